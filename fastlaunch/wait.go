package fastlaunch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/winami/winami/awsapi"
)

// Target is the state Wait waits for.
type Target int

const (
	// UntilEnabled waits for "enabled".
	UntilEnabled Target = iota
	// UntilGone waits until the image has no Fast Launch settings left (its
	// pre-provisioned snapshots are cleaned up).
	UntilGone
)

// String implements fmt.Stringer.
func (t Target) String() string {
	if t == UntilGone {
		return "disabled"
	}
	return StateEnabled
}

// WaitOptions tune Wait.
type WaitOptions struct {
	// Timeout bounds the wait (no bound when zero; the context still applies).
	Timeout time.Duration
	// Interval is the first pause between polls (15 s when zero); each pause grows by half
	// up to MaxInterval (2 min when zero).
	Interval    time.Duration
	MaxInterval time.Duration
	// Progress is called with the first state and every change of state.
	Progress func(Status)
	// Sleep pauses between polls (a context-aware time.Sleep when nil).
	Sleep func(ctx context.Context, d time.Duration) error
}

// FailedError is returned by Wait when Fast Launch ended in a *-failed state.
type FailedError struct{ Status Status }

// Error implements error.
func (e *FailedError) Error() string {
	reason := e.Status.StateReason
	if reason == "" {
		reason = "EC2 gave no reason"
	}
	return fmt.Sprintf("Fast Launch for %s in %s is %s: %s", e.Status.ImageID, e.Status.Region, e.Status.State, reason)
}

// TimeoutError is returned by Wait when the timeout passed first; Last is the last state seen.
type TimeoutError struct {
	Target  Target
	Timeout time.Duration
	Last    Status
}

// Error implements error.
func (e *TimeoutError) Error() string {
	last := e.Last.State
	if e.Last.StateReason != "" {
		last += " (" + e.Last.StateReason + ")"
	}
	return fmt.Sprintf("waiting for Fast Launch of %s in %s to be %s: timed out after %s; last state: %s",
		e.Last.ImageID, e.Last.Region, e.Target, e.Timeout, last)
}

// Wait polls DescribeFastLaunchImages with a growing pause until imageID reaches target.
// It stops at once on a *-failed state with a *FailedError carrying StateTransitionReason,
// and with a *TimeoutError (holding the last state) when opts.Timeout passes. Throttling
// and other transient errors that outlast the SDK's retries are waited out, not returned.
// The returned Status is the last one seen.
func (c *Client) Wait(ctx context.Context, imageID string, target Target, opts WaitOptions) (Status, error) {
	interval, maxInterval := opts.Interval, opts.MaxInterval
	if interval <= 0 {
		interval = 15 * time.Second
	}
	if maxInterval <= 0 {
		maxInterval = 2 * time.Minute
	}
	if maxInterval < interval {
		maxInterval = interval
	}
	sleep := opts.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	var deadline time.Time
	wctx := ctx
	if opts.Timeout > 0 {
		deadline = time.Now().Add(opts.Timeout)
		var cancel context.CancelFunc
		wctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	last := Status{Region: c.Region, ImageID: imageID, State: "unknown"}
	reported := ""
	pause := interval
	for {
		st, err := c.Get(wctx, imageID)
		switch {
		case err == nil:
			last = st
			if st.State+"|"+st.StateReason != reported && opts.Progress != nil {
				opts.Progress(st)
			}
			reported = st.State + "|" + st.StateReason
			if Failed(st.State) {
				return st, &FailedError{Status: st}
			}
			if target == UntilEnabled && st.State == StateEnabled || target == UntilGone && st.State == StateGone {
				return st, nil
			}
			if target == UntilEnabled && (st.State == StateGone || st.State == StateDisabling) {
				return st, fmt.Errorf("waiting for Fast Launch of %s in %s to be enabled: it is %s (was it disabled meanwhile?)", imageID, c.Region, st.State)
			}
		case ctx.Err() != nil:
			return last, ctx.Err()
		case opts.Timeout > 0 && errors.Is(wctx.Err(), context.DeadlineExceeded):
			return last, &TimeoutError{Target: target, Timeout: opts.Timeout, Last: last}
		case !transient(err):
			return last, err
		}
		d := pause
		if !deadline.IsZero() {
			if left := time.Until(deadline); left <= 0 {
				return last, &TimeoutError{Target: target, Timeout: opts.Timeout, Last: last}
			} else if d > left {
				d = left
			}
		}
		if err := sleep(wctx, d); err != nil {
			if ctx.Err() != nil {
				return last, ctx.Err()
			}
			if !deadline.IsZero() {
				return last, &TimeoutError{Target: target, Timeout: opts.Timeout, Last: last}
			}
			return last, err
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			// One last look at the deadline so a state reached just now is not missed.
			if st, err := c.Get(ctx, imageID); err == nil {
				last = st
				if target == UntilEnabled && st.State == StateEnabled || target == UntilGone && st.State == StateGone {
					return st, nil
				}
				if Failed(st.State) {
					return st, &FailedError{Status: st}
				}
			}
			return last, &TimeoutError{Target: target, Timeout: opts.Timeout, Last: last}
		}
		pause = min(pause*3/2, maxInterval)
	}
}

// transient reports whether a polling error is worth another try.
func transient(err error) bool {
	switch awsapi.ErrorCode(err) {
	case "RequestLimitExceeded", "Throttling", "ThrottlingException", "TooManyRequestsException",
		"InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable":
		return true
	}
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
