package awsemu

import (
	"math/rand"
	"sort"
	"sync"
	"time"
)

// FaultError is an error the endpoint answers instead of serving a request.
type FaultError struct {
	// Status is the HTTP status code (400 when zero).
	Status int
	// Code is the AWS error code, such as "InternalError" or "AccessDeniedException".
	Code string
	// Message is the error message.
	Message string
	// Throttle makes the service answer its own throttling error (Status and Code ignored).
	Throttle bool
}

// OpKey names one operation of one service.
type OpKey struct {
	Service   string
	Operation string
}

// CountKey names one operation of one service in one region.
type CountKey struct {
	Service   string
	Operation string
	Region    string
}

// Faults holds injected faults and counts every request. It is safe for concurrent use.
type Faults struct {
	mu           sync.Mutex
	latency      time.Duration
	opLatency    map[OpKey]time.Duration
	throttleRate float64
	throttleOps  map[OpKey]bool
	scripted     map[OpKey][]FaultError
	counts       map[CountKey]int
	rng          *rand.Rand
	// buckets throttle by request rate (SetThrottleBucket), per service and region.
	bucketRate, bucketBurst float64
	buckets                 map[[2]string]*tokenBucket
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

// SetThrottleBucket throttles by request rate, as AWS does: each service has, in each
// region, a token bucket of burst tokens refilled at rate tokens a second; a request
// takes a token or is answered with the service's throttling error. EC2 documents this
// algorithm for its API ("Request throttling for the Amazon EC2 API", token bucket:
// bucket maximum capacity and refill rate per action,
// https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html); other
// services publish per-operation TPS quotas (Service Quotas). EC2 keeps a bucket per API
// action and account in each region; here one bucket serves all of a service's
// operations in a region (conformance/DIFFERENCES.md). rate 0 turns it off.
func (f *Faults) SetThrottleBucket(rate, burst float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bucketRate, f.bucketBurst = rate, burst
	f.buckets = map[[2]string]*tokenBucket{}
}

// bucketAllows takes a token from service's bucket in region (f.mu held).
func (f *Faults) bucketAllows(service, region string) bool {
	k := [2]string{service, region}
	now := time.Now()
	b := f.buckets[k]
	if b == nil {
		b = &tokenBucket{tokens: f.bucketBurst, last: now}
		f.buckets[k] = b
	}
	b.tokens = min(f.bucketBurst, b.tokens+now.Sub(b.last).Seconds()*f.bucketRate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// NewFaults returns an empty fault set with a deterministic random source.
func NewFaults() *Faults {
	return &Faults{
		opLatency: map[OpKey]time.Duration{},
		scripted:  map[OpKey][]FaultError{},
		counts:    map[CountKey]int{},
		rng:       rand.New(rand.NewSource(1)),
	}
}

// SetLatency delays every request by d.
func (f *Faults) SetLatency(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latency = d
}

// SetOperationLatency delays every request to one operation by d (in addition to SetLatency).
func (f *Faults) SetOperationLatency(service, op string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opLatency[OpKey{service, op}] = d
}

// SetThrottle answers the given share (0..1) of requests with the service's throttling
// error. With ops given, only those operations ("service:Operation" keys) are throttled.
func (f *Faults) SetThrottle(rate float64, ops ...OpKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttleRate = rate
	f.throttleOps = nil
	if len(ops) > 0 {
		f.throttleOps = map[OpKey]bool{}
		for _, k := range ops {
			f.throttleOps[k] = true
		}
	}
}

// SetSeed reseeds the random source that picks throttled requests.
func (f *Faults) SetSeed(seed int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rng = rand.New(rand.NewSource(seed))
}

// FailNext makes the next len(errs) calls of service's operation answer errs, in order.
func (f *Faults) FailNext(service, op string, errs ...FaultError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := OpKey{service, op}
	f.scripted[k] = append(f.scripted[k], errs...)
}

// Reset removes every fault (counts are kept).
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bucketRate, f.buckets = 0, nil
	f.latency, f.throttleRate, f.throttleOps = 0, 0, nil
	f.opLatency = map[OpKey]time.Duration{}
	f.scripted = map[OpKey][]FaultError{}
}

// ResetCounts sets every request count back to zero.
func (f *Faults) ResetCounts() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts = map[CountKey]int{}
}

// Count returns how many requests reached service's operation in region ("" for every region).
// Requests answered with an injected fault are counted too.
func (f *Faults) Count(service, op, region string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k, c := range f.counts {
		if k.Service == service && (op == "" || k.Operation == op) && (region == "" || k.Region == region) {
			n += c
		}
	}
	return n
}

// Counts returns a copy of every request count, sorted by service, operation and region.
func (f *Faults) Counts() []CountEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]CountEntry, 0, len(f.counts))
	for k, c := range f.counts {
		out = append(out, CountEntry{CountKey: k, Count: c})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		if a.Operation != b.Operation {
			return a.Operation < b.Operation
		}
		return a.Region < b.Region
	})
	return out
}

// CountEntry is one request count.
type CountEntry struct {
	CountKey
	Count int
}

type faultDecision struct {
	delay time.Duration
	err   *FaultError
}

// before counts the request and decides what fault, if any, applies to it.
func (f *Faults) before(service, op, region string) *faultDecision {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts[CountKey{service, op, region}]++
	k := OpKey{service, op}
	d := &faultDecision{delay: f.latency + f.opLatency[k]}
	if q := f.scripted[k]; len(q) > 0 {
		e := q[0]
		if e.Status == 0 {
			e.Status = 400
		}
		d.err = &e
		f.scripted[k] = q[1:]
	} else if f.throttleRate > 0 && (f.throttleOps == nil || f.throttleOps[k]) && f.rng.Float64() < f.throttleRate {
		d.err = &FaultError{Throttle: true, Message: "Rate exceeded"}
	} else if f.bucketRate > 0 && !f.bucketAllows(service, region) {
		d.err = &FaultError{Throttle: true, Message: "Rate exceeded"}
	}
	if d.delay == 0 && d.err == nil {
		return nil
	}
	return d
}
