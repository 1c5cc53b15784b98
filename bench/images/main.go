// Command images-bench measures `winami images check` on a cache of many Windows images
// that share their base layers, against go-containerregistry's in-memory registry on
// loopback with a fixed latency per request:
//
//	(a) images.Check as winami runs it (16 requests in flight, one client per call);
//	(a') the same with 64 requests in flight;
//	(b) images.Check with one request in flight (what a sequential loop would cost);
//	(c) a loop of go-containerregistry's remote.Image with a windows/amd64 platform per
//	    image and a config read (how a `crane config --platform …` loop works), for scale.
//
// Every image is an index with an ltsc2019 and an ltsc2022 entry; every ltsc2022 entry
// has the same 3 base layers plus one of its own. No layer is ever downloaded.
//
// Run from the repository root:
//
//	go run ./bench/images                   # 50 images, 10 ms latency, median of 3 runs
//	go run ./bench/images -images 200 -latency 20ms -runs 5
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"sort"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/winami/winami/images"
	"github.com/winami/winami/images/imagestest"
)

var (
	nImages = flag.Int("images", 50, "images to check")
	nBase   = flag.Int("base-layers", 3, "base layers every image shares")
	latency = flag.Duration("latency", 10*time.Millisecond, "latency of every registry request")
	runs    = flag.Int("runs", 3, "runs of each method (the median is shown)")
)

const (
	os2019 = "10.0.17763.6054"
	os2022 = "10.0.20348.2700"
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("images-bench: ")
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "images-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	if err := os.Setenv("DOCKER_CONFIG", os.TempDir()+"/images-bench-no-docker-config"); err != nil {
		return fmt.Errorf("setting DOCKER_CONFIG: %w", err)
	}
	var (
		requests atomic.Int64
		delay    atomic.Int64
	)
	reg := imagestest.NewRegistry(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			time.Sleep(time.Duration(delay.Load()))
			h.ServeHTTP(w, r)
		})
	})
	defer reg.Close()

	refs := seed(reg.Host)
	delay.Store(int64(*latency))

	type method struct {
		name string
		f    func(ctx context.Context) error
	}
	check := func(concurrency int) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			rep, err := images.Check(ctx, refs, "2022", images.Options{Concurrency: concurrency})
			if err != nil {
				return err
			}
			if rep.Totals.Compatible != len(refs) || rep.Totals.UniqueLayers != *nBase+len(refs) {
				return fmt.Errorf("check: %d compatible, %d unique layers; want %d and %d", rep.Totals.Compatible, rep.Totals.UniqueLayers, len(refs), *nBase+len(refs))
			}
			return nil
		}
	}
	methods := []method{
		{fmt.Sprintf("(a) images.Check, %d in flight", images.DefaultConcurrency), check(images.DefaultConcurrency)},
		{"(a') images.Check, 64 in flight", check(64)},
		{"(b) images.Check, 1 in flight", check(1)},
		{"(c) remote.Image --platform loop", func(ctx context.Context) error {
			p := v1.Platform{OS: "windows", Architecture: "amd64", OSVersion: os2022}
			for _, r := range refs {
				ref, err := name.ParseReference(r)
				if err != nil {
					return err
				}
				img, err := remote.Image(ref, remote.WithContext(ctx), remote.WithPlatform(p))
				if err != nil {
					return err
				}
				if _, err := img.ConfigFile(); err != nil {
					return err
				}
			}
			return nil
		}},
	}

	fmt.Printf("%d images (index: ltsc2019 + ltsc2022), %d shared base layers, %s latency per request, median of %d runs\n\n",
		len(refs), *nBase, *latency, *runs)
	fmt.Printf("%-36s %9s %12s %10s\n", "method", "requests", "wall", "vs (a)")
	var base time.Duration
	for i, m := range methods {
		var walls []time.Duration
		var reqs int64
		for range *runs {
			requests.Store(0)
			start := time.Now()
			if err := m.f(context.Background()); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			walls = append(walls, time.Since(start))
			reqs = requests.Load()
		}
		sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
		med := walls[len(walls)/2]
		if i == 0 {
			base = med
		}
		fmt.Printf("%-36s %9d %12s %9.1f×\n", m.name, reqs, med.Round(100*time.Microsecond), float64(med)/float64(base))
	}
	return nil
}

// seed pushes the images: ltsc2022 entries share the same base layers, ltsc2019 entries
// share another set. An error ends the program (imagestest.Fatal).
func seed(host string) []string {
	t := imagestest.Fatal
	base2019 := imagestest.Layers(t, *nBase, 2048)
	base2022 := imagestest.Layers(t, *nBase, 2048)
	var refs []string
	for i := range *nImages {
		r := fmt.Sprintf("%s/team/app-%02d:1.0", host, i)
		imagestest.Push(t, r, imagestest.Index(t,
			imagestest.WindowsImage(t, os2019, base2019, 1),
			imagestest.WindowsImage(t, os2022, base2022, 1)))
		refs = append(refs, r)
	}
	return refs
}
