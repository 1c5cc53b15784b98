package awsemu

import (
	"sync"
	"time"
)

// Clock tells the time to every state machine of the endpoint.
type Clock interface {
	Now() time.Time
}

// RealClock is the wall clock, optionally sped up.
type RealClock struct {
	// Scale speeds time up: 60 makes one real second count as a minute. 0 or 1 is real time.
	Scale float64
	// Start is the moment from which scaled time runs; zero means the Unix epoch is not
	// scaled and Scale is ignored.
	Start time.Time
}

// Now returns the (scaled) current time.
func (c RealClock) Now() time.Time {
	now := time.Now().UTC()
	if c.Scale <= 1 || c.Start.IsZero() {
		return now
	}
	return c.Start.Add(time.Duration(float64(now.Sub(c.Start)) * c.Scale))
}

// ManualClock is a clock that moves only when told to; tests use it to step builds and
// Fast Launch through their states.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t.UTC()} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
