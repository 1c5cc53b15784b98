package parallel

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestForEachBoundsAndRunsAll(t *testing.T) {
	var running, most, ran atomic.Int32
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- ForEach(context.Background(), 10, 3, func(ctx context.Context, i int) error {
			n := running.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			<-release
			running.Add(-1)
			ran.Add(1)
			return nil
		})
	}()
	// Three run and block; the other seven must wait for them.
	for running.Load() < 3 {
		runtime.Gosched()
	}
	time.Sleep(20 * time.Millisecond) // room for a fourth to start if the bound were broken
	if n := running.Load(); n != 3 {
		t.Fatalf("%d running at once, limit 3", n)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 10 || most.Load() > 3 {
		t.Fatalf("ran %d of 10, at most %d at once (limit 3)", ran.Load(), most.Load())
	}
}

func TestForEachFirstErrorCancelsTheRest(t *testing.T) {
	boom := errors.New("boom")
	var started atomic.Int32
	err := ForEach(context.Background(), 100, 1, func(ctx context.Context, i int) error {
		started.Add(1)
		if i == 2 {
			return boom
		}
		return ctx.Err()
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	if n := started.Load(); n != 3 {
		t.Errorf("%d calls started with limit 1 after the third failed, want 3", n)
	}
}

func TestForEachCancelledFromOutside(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stopped by the user")
	cancel(stop)
	called := false
	err := ForEach(ctx, 5, 2, func(context.Context, int) error { called = true; return nil })
	if !errors.Is(err, stop) || called {
		t.Fatalf("err %v, called %v: want the cause and no call", err, called)
	}
}
