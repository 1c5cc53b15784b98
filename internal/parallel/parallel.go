package parallel

import (
	"context"
	"sync"
)

// ForEach runs fn(ctx, i) for i in [0, n) with at most limit (at least 1) running at
// once. The first error cancels the context the others run with and is returned once
// all have ended; when ctx is cancelled from outside, no new call starts and its cause
// is returned.
func ForEach(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	sem := make(chan struct{}, max(limit, 1))
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return context.Cause(ctx) // cancelled from outside
	}
	return first
}
