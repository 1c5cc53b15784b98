package awsemu

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ControlPrefix is the URL path under which the endpoint takes commands from tests and
// benchmarks that run it out of process (faults, counts, clock).
const ControlPrefix = "/_awsemu/"

// ControlFaults is the body of POST /_awsemu/faults.
type ControlFaults struct {
	// LatencyMS delays every request.
	LatencyMS int `json:"latencyMs"`
	// ThrottleRate answers that share (0..1) of requests with the service's throttling error.
	ThrottleRate float64 `json:"throttleRate"`
	// Seed reseeds the random source that picks throttled requests (0 leaves it).
	Seed int64 `json:"seed"`
	// FailNext scripts errors for named operations.
	FailNext []ControlFailure `json:"failNext"`
	// ThrottleOperations limits ThrottleRate to these operations (every operation when empty).
	ThrottleOperations []ControlOperation `json:"throttleOperations,omitempty"`
	// OperationLatency delays the named operations, in addition to LatencyMS.
	OperationLatency []ControlLatency `json:"operationLatency,omitempty"`
}

// ControlOperation names one operation of one service ("ssm", "GetParameters").
type ControlOperation struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
}

// ControlLatency delays one operation.
type ControlLatency struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
	LatencyMS int    `json:"latencyMs"`
}

// ControlFailure scripts one error for one operation.
type ControlFailure struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
	Status    int    `json:"status"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

// controlMethods are the methods of the endpoint's own control paths.
var controlMethods = map[string]string{
	ControlPrefix + "faults":        http.MethodPost,
	ControlPrefix + "counts":        http.MethodGet,
	ControlPrefix + "counts/reset":  http.MethodPost,
	ControlPrefix + "clock":         http.MethodGet,
	ControlPrefix + "clock/advance": http.MethodPost,
}

// MaxControlLatencyMS bounds the latencies of ControlFaults (10 minutes): more would only
// make every client time out.
const MaxControlLatencyMS = 600_000

// operationRE is the shape of an AWS API operation name (GetParameters, DescribeImages).
var operationRE = regexp.MustCompile(`^[A-Z][A-Za-z0-9]+$`)

// Validate checks the values of c (DecodeControl checked the names and types): latencies
// from 0 to MaxControlLatencyMS, a throttle rate from 0 to 1, services the endpoint serves
// (services), operation names of AWS's shape, scripted errors with a code and an HTTP
// error status (400-599; 0 means 400). The error names the field.
func (c ControlFaults) Validate(services []string) error {
	if c.LatencyMS < 0 || c.LatencyMS > MaxControlLatencyMS {
		return fmt.Errorf("latencyMs: %d is out of range: use 0 to %d (milliseconds)", c.LatencyMS, MaxControlLatencyMS)
	}
	if c.ThrottleRate < 0 || c.ThrottleRate > 1 {
		return fmt.Errorf("throttleRate: %g is out of range: use a share from 0 to 1, such as 0.3", c.ThrottleRate)
	}
	checkOp := func(path, service, op string) error {
		if !slices.Contains(services, service) {
			return fmt.Errorf("%s.service: %q is not a service of this endpoint: use one of %s", path, service, strings.Join(services, ", "))
		}
		if !operationRE.MatchString(op) {
			return fmt.Errorf("%s.operation: %q is not an AWS operation name: use the API's name, such as GetParameters or DescribeImages", path, op)
		}
		return nil
	}
	for i, f := range c.FailNext {
		path := fmt.Sprintf("failNext[%d]", i)
		if err := checkOp(path, f.Service, f.Operation); err != nil {
			return err
		}
		if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
			return fmt.Errorf("%s.status: %d is not an HTTP error status: use 400 to 599 (0 or absent: 400)", path, f.Status)
		}
		if f.Code == "" {
			return fmt.Errorf("%s.code is required: the AWS error code, such as InternalError or AccessDeniedException", path)
		}
	}
	for i, o := range c.ThrottleOperations {
		if err := checkOp(fmt.Sprintf("throttleOperations[%d]", i), o.Service, o.Operation); err != nil {
			return err
		}
	}
	for i, l := range c.OperationLatency {
		path := fmt.Sprintf("operationLatency[%d]", i)
		if err := checkOp(path, l.Service, l.Operation); err != nil {
			return err
		}
		if l.LatencyMS < 0 || l.LatencyMS > MaxControlLatencyMS {
			return fmt.Errorf("%s.latencyMs: %d is out of range: use 0 to %d (milliseconds)", path, l.LatencyMS, MaxControlLatencyMS)
		}
	}
	return nil
}

// serveControl answers:
//
//	POST /_awsemu/faults        ControlFaults (replaces the faults)
//	GET  /_awsemu/counts        [{"service","operation","region","count"}]
//	POST /_awsemu/counts/reset
//	POST /_awsemu/clock/advance?by=90s   (ManualClock only)
//	GET  /_awsemu/clock         {"now": RFC 3339 time, "manual": bool}
//
// and the paths services add with HandleControl, of the endpoint's own account or, with
// ?account=<id>, of that peer account's world (Server.Peer).
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case controlMethods[r.URL.Path] != "" && controlMethods[r.URL.Path] != r.Method:
		ControlError(w, http.StatusMethodNotAllowed, "%s %s: use %s", r.Method, r.URL.Path, controlMethods[r.URL.Path])
	case r.URL.Path == ControlPrefix+"faults":
		var c ControlFaults
		if !DecodeControl(w, r, &c) {
			return
		}
		if err := c.Validate(s.Services()); err != nil {
			ControlError(w, http.StatusBadRequest, "%v", err)
			return
		}
		s.Faults.Reset()
		s.Faults.SetLatency(time.Duration(c.LatencyMS) * time.Millisecond)
		var ops []OpKey
		for _, o := range c.ThrottleOperations {
			ops = append(ops, OpKey(o))
		}
		s.Faults.SetThrottle(c.ThrottleRate, ops...)
		for _, l := range c.OperationLatency {
			s.Faults.SetOperationLatency(l.Service, l.Operation, time.Duration(l.LatencyMS)*time.Millisecond)
		}
		if c.Seed != 0 {
			s.Faults.SetSeed(c.Seed)
		}
		for _, f := range c.FailNext {
			s.Faults.FailNext(f.Service, f.Operation, FaultError{Status: f.Status, Code: f.Code, Message: f.Message})
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	case r.URL.Path == ControlPrefix+"counts":
		type row struct {
			Service   string `json:"service"`
			Operation string `json:"operation"`
			Region    string `json:"region"`
			Count     int    `json:"count"`
		}
		rows := []row{}
		for _, c := range s.Faults.Counts() {
			rows = append(rows, row{c.Service, c.Operation, c.Region, c.Count})
		}
		_ = json.NewEncoder(w).Encode(rows)
	case r.URL.Path == ControlPrefix+"counts/reset":
		s.Faults.ResetCounts()
		_, _ = w.Write([]byte(`{"ok":true}`))
	case r.URL.Path == ControlPrefix+"clock":
		_, manual := s.Clock.(*ManualClock)
		_ = json.NewEncoder(w).Encode(struct {
			Now    time.Time `json:"now"`
			Manual bool      `json:"manual"`
		}{s.Clock.Now().UTC(), manual})
	case r.URL.Path == ControlPrefix+"clock/advance":
		mc, ok := s.Clock.(*ManualClock)
		if !ok {
			ControlError(w, http.StatusConflict, "the clock is not manual: only an endpoint started with a ManualClock advances on request")
			return
		}
		by := r.URL.Query().Get("by")
		d, err := time.ParseDuration(by)
		if err != nil || d <= 0 {
			ControlError(w, http.StatusBadRequest, "by: %q is not a positive duration: use one such as ?by=90s or ?by=2h", by)
			return
		}
		mc.Advance(d)
		_, _ = w.Write([]byte(`{"ok":true}`))
	default:
		world := s
		if acct := r.URL.Query().Get("account"); acct != "" {
			p, ok := s.Peer(acct)
			if !ok {
				ControlError(w, http.StatusNotFound, "account: the endpoint serves no account %s (served: %v)", acct, s.Accounts())
				return
			}
			world = p
		}
		world.mu.RLock()
		h := world.controls[r.URL.Path]
		world.mu.RUnlock()
		if h != nil {
			h.ServeHTTP(w, r)
			return
		}
		paths := slices.Sorted(maps.Keys(controlMethods))
		world.mu.RLock()
		for p := range world.controls {
			paths = append(paths, p)
		}
		world.mu.RUnlock()
		slices.Sort(paths)
		ControlError(w, http.StatusNotFound, "unknown control path %s: use %s", r.URL.Path, strings.Join(paths, ", "))
	}
}
