package awsapi

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

// TestRetryerLimitsAttemptsInFlight: a throttled attempt halves the client's limit of
// attempts in flight (down to 1), other outcomes grow it back, and an attempt waits for
// room under the limit (or for its context).
func TestRetryerLimitsAttemptsInFlight(t *testing.T) {
	r := Retryer(10, 0).(*aimdRetryer)
	ctx := context.Background()
	throttle := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	ibThrottle := &smithy.GenericAPIError{Code: "CallRateLimitExceededException"}
	for i, err := range []error{throttle, throttle, ibThrottle} {
		release, gerr := r.GetAttemptToken(ctx)
		if gerr != nil {
			t.Fatal(gerr)
		}
		_ = release(err)
		if want := float64(MaxInFlight) / float64(int(1)<<(i+1)); r.Limit() != want {
			t.Fatalf("after %d throttles the limit is %v, want %v", i+1, r.Limit(), want)
		}
	}
	for range 20 {
		release, _ := r.GetAttemptToken(ctx)
		_ = release(throttle)
	}
	if r.Limit() != 1 {
		t.Fatalf("limit %v after many throttles, want 1", r.Limit())
	}
	// One attempt in flight: the next waits, and gets its turn when the first ends.
	first, _ := r.GetAttemptToken(ctx)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := r.GetAttemptToken(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second attempt under a limit of 1: %v, want it to wait", err)
	}
	got := make(chan error)
	go func() {
		release, err := r.GetAttemptToken(ctx)
		if err == nil {
			_ = release(nil)
		}
		got <- err
	}()
	_ = first(nil)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if r.Limit() <= 1 {
		t.Errorf("successes do not grow the limit: %v", r.Limit())
	}
}

// TestBackoffStartsSmallAndGrows: full jitter under min(BackoffBase×2^attempt, max).
func TestBackoffStartsSmallAndGrows(t *testing.T) {
	b := jitterBackoff{base: BackoffBase, max: 20 * time.Second}
	for attempt, bound := range map[int]time.Duration{1: 2 * BackoffBase, 3: 8 * BackoffBase, 20: 20 * time.Second, 100: 20 * time.Second} {
		for range 50 {
			if d, _ := b.BackoffDelay(attempt, nil); d < 0 || d > bound {
				t.Fatalf("attempt %d: %v, want within [0, %v]", attempt, d, bound)
			}
		}
	}
}
