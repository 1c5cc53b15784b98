package images

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// measure downloads each distinct distributable layer whose uncompressed size was
// estimated, once, and replaces the estimate with the counted size.
func (c *client) measure(ctx context.Context, refs []name.Reference, ims []Image) error {
	type job struct {
		repo   name.Repository
		digest string
	}
	var jobs []job
	seen := map[string]bool{}
	for i, im := range ims {
		for _, l := range im.Layers {
			if !l.Estimated || l.Foreign || seen[l.Digest] {
				continue
			}
			seen[l.Digest] = true
			jobs = append(jobs, job{refs[i].Context(), l.Digest})
		}
	}
	sizes := map[string]int64{}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n int64
			// A layer is gigabytes: no bound on the whole download, but one on silence.
			err := c.doTimeout(ctx, 0, func(ctx context.Context) error {
				ctx, cancel := context.WithCancelCause(ctx)
				defer cancel(nil)
				idle := time.AfterFunc(c.opts.AttemptTimeout, func() {
					cancel(fmt.Errorf("no data for %s: %w", c.opts.AttemptTimeout, context.DeadlineExceeded))
				})
				defer idle.Stop()
				l, err := c.puller.Layer(ctx, j.repo.Digest(j.digest))
				if err != nil {
					return err
				}
				rc, err := l.Uncompressed()
				if err != nil {
					return err
				}
				defer func() { _ = rc.Close() }() // read to the end and discarded: nothing to lose
				n, err = io.Copy(io.Discard, &progressReader{r: rc, tick: func() { idle.Reset(c.opts.AttemptTimeout) }})
				if err != nil && context.Cause(ctx) != nil && ctx.Err() != nil {
					return context.Cause(ctx)
				}
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("measuring layer %s of %s: %w", j.digest, j.repo, err)
				}
				return
			}
			sizes[j.digest] = n
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	for i := range ims {
		im := &ims[i]
		im.UncompressedBytes, im.UncompressedEstimated = 0, false
		for k := range im.Layers {
			l := &im.Layers[k]
			if n, ok := sizes[l.Digest]; ok {
				l.UncompressedSize, l.Estimated = n, false
			}
			im.UncompressedBytes += l.UncompressedSize
			im.UncompressedEstimated = im.UncompressedEstimated || l.Estimated
		}
	}
	return nil
}

// progressReader calls tick after every read that returned data.
type progressReader struct {
	r    io.Reader
	tick func()
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.tick()
	}
	return n, err
}
