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
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/winami/winami/images"
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
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "images-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	os.Setenv("DOCKER_CONFIG", os.TempDir()+"/images-bench-no-docker-config")
	var (
		requests atomic.Int64
		delay    atomic.Int64
	)
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		time.Sleep(time.Duration(delay.Load()))
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	refs, err := seed(host)
	if err != nil {
		return err
	}
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
// share another set.
func seed(host string) ([]string, error) {
	base2019, err := layers(*nBase)
	if err != nil {
		return nil, err
	}
	base2022, err := layers(*nBase)
	if err != nil {
		return nil, err
	}
	var refs []string
	for i := range *nImages {
		a, err := windowsImage(base2019, os2019)
		if err != nil {
			return nil, err
		}
		b, err := windowsImage(base2022, os2022)
		if err != nil {
			return nil, err
		}
		idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.DockerManifestList),
			mutate.IndexAddendum{Add: a, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "windows", Architecture: "amd64", OSVersion: os2019}}},
			mutate.IndexAddendum{Add: b, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "windows", Architecture: "amd64", OSVersion: os2022}}},
		)
		r := fmt.Sprintf("%s/team/app-%02d:1.0", host, i)
		ref, err := name.ParseReference(r)
		if err != nil {
			return nil, err
		}
		if err := remote.WriteIndex(ref, idx); err != nil {
			return nil, fmt.Errorf("pushing %s: %w", r, err)
		}
		refs = append(refs, r)
	}
	return refs, nil
}

func layers(n int) ([]v1.Layer, error) {
	out := make([]v1.Layer, n)
	for i := range out {
		l, err := random.Layer(2048, types.DockerLayer)
		if err != nil {
			return nil, err
		}
		out[i] = l
	}
	return out, nil
}

func windowsImage(base []v1.Layer, osVersion string) (v1.Image, error) {
	own, err := random.Layer(1024, types.DockerLayer)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, append(append([]v1.Layer(nil), base...), own)...)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.OSVersion = "windows", "amd64", osVersion
	return mutate.ConfigFile(img, cfg)
}
