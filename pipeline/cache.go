package pipeline

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/images"
	"github.com/winami/winami/render"
	"github.com/winami/winami/rootvolume"
	"github.com/winami/winami/spec"
)

// cacheReader reads the cached images from their registries once per Load (package
// images): the same report gives the component its platform manifests, pins digests and
// sizes the root volume, so plan and apply read each image once.
type cacheReader struct {
	clients             images.ECRClients
	registry            images.Options
	windows, kubernetes string

	mu      sync.Mutex
	reports map[string]*images.Report // by the references read, joined with newlines
}

func newCacheReader(clients images.ECRClients, img *spec.WindowsImage, registry images.Options) *cacheReader {
	return &cacheReader{clients: clients, registry: registry, windows: img.Spec.Windows.Version, kubernetes: img.Spec.KubernetesVersion, reports: map[string]*images.Report{}}
}

// check returns the report on refs, reading the registries the first time: refs for the
// Windows version with the containerd of the Kubernetes minor (the entry it pulls
// decides; see images.Options.Kubernetes).
func (c *cacheReader) check(ctx context.Context, refs []string) (*images.Report, error) {
	key := strings.Join(refs, "\n")
	c.mu.Lock()
	defer c.mu.Unlock()
	if rep, ok := c.reports[key]; ok {
		return rep, nil
	}
	opts := c.registry
	opts.Kubernetes = c.kubernetes
	if c.clients != nil {
		opts.AWS = c.clients
	}
	rep, err := images.Check(ctx, refs, c.windows, opts)
	if err != nil {
		return nil, err
	}
	c.reports[key] = rep
	return rep, nil
}

// alias records rep under refs too (the same images named by digest).
func (c *cacheReader) alias(refs []string, rep *images.Report) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reports[strings.Join(refs, "\n")] = rep
}

// CacheRead is what the registries say about a spec's cached images, in the form
// render.Options takes it.
type CacheRead struct {
	// Digests maps each reference to the digest it names now (spec.cache.pinDigests only).
	Digests map[string]string
	// Platforms maps each reference to the windows/amd64 manifest the node's containerd
	// pulls on the AMI's Windows build, with its compressed size (readable, compatible
	// images only).
	Platforms map[string]render.Platform
	// Refs are the references to record as the build's inputs (pinned ones with their
	// digest).
	Refs []string
	// Skipped lists the images pulled as given ("ref: status"): they could not be read or
	// do not run on the Windows build.
	Skipped []string
}

// ReadCache reads from the registries what the image-cache component of img pulls, as
// `winami render --resolve-digests` does: with spec.cache.pinDigests the digest each
// reference names now (an image that cannot be read is an error), and for every image the
// windows/amd64 manifest the node's containerd pulls on the AMI's Windows build
// (images.Image.ManifestDigest) and its compressed size. An image that cannot be read or
// does not run there is pulled as given (CacheRead.Skipped). clients gives the ECR tokens
// of ECR registries (nil: the Docker config keychain only); opts.Registry the rest of the
// registry reads' options.
func ReadCache(ctx context.Context, clients images.ECRClients, img *spec.WindowsImage, opts Options) (*CacheRead, error) {
	return readCache(ctx, newCacheReader(clients, img, opts.Registry), img)
}

func readCache(ctx context.Context, cache *cacheReader, img *spec.WindowsImage) (*CacheRead, error) {
	refs := img.Images()
	out := &CacheRead{Refs: refs, Platforms: map[string]render.Platform{}}
	pin := img.Spec.Cache.PinDigests
	if pin {
		out.Refs = make([]string, len(refs))
		out.Digests = map[string]string{}
	}
	rep, err := cache.check(ctx, refs)
	if err != nil {
		return nil, fmt.Errorf("reading the cached images from their registries: %w", err)
	}
	var unread []string
	for i, im := range rep.Images {
		r := refs[i]
		if pin {
			out.Refs[i] = r
			switch {
			case im.Digest == "":
				unread = append(unread, fmt.Sprintf("%s: %s", r, im.Status))
			case !strings.Contains(r, "@"):
				out.Digests[r] = im.Digest
				out.Refs[i] = r + "@" + im.Digest
			}
		}
		if im.Status != images.StatusCompatible || im.ManifestDigest == "" {
			out.Skipped = append(out.Skipped, fmt.Sprintf("%s: %s", r, im.Status))
			continue
		}
		out.Platforms[r] = render.Platform{Digest: im.ManifestDigest, CompressedBytes: im.CompressedBytes}
	}
	if len(unread) > 0 {
		return nil, fmt.Errorf("resolving image digests for spec.cache.pinDigests: %s (`winami images check -f …` says why)", strings.Join(unread, "; "))
	}
	if pin {
		// The root volume is sized from the same report (the images are named by digest there).
		cache.alias(out.Refs, rep)
	}
	return out, nil
}

// registrySizer measures the cached images from the one registry report of a Load; an
// image that cannot be read counts the documented estimate, with a warning, and so do all
// of them when the check itself fails.
func registrySizer(warnf func(string, ...any), cache *cacheReader) imagebuilder.Sizer {
	return imagebuilder.SizerFunc(func(ctx context.Context, refs []string) (rootvolume.Cache, error) {
		var c rootvolume.Cache
		rep, err := cache.check(ctx, refs)
		if err == nil {
			if rep.Totals.Incompatible > 0 {
				warnf("%d cached image(s) do not run on Windows Server %s hosts: `winami images check -f …` names them and the tags that would", rep.Totals.Incompatible, cache.windows)
			}
			c = images.CacheOf(rep.Images)
		} else {
			if ctx.Err() != nil {
				return rootvolume.Cache{}, ctx.Err()
			}
			c = rootvolume.Estimated(len(refs), "not measured: "+err.Error())
		}
		if c.EstimatedImages > 0 {
			warnf("sizing the root volume: %d of %d image(s) could not be read (%s); each counts the estimate of %d GiB (`winami images check -f …` says why)",
				c.EstimatedImages, c.Images, strings.Join(c.EstimateReasons, "; "), rootvolume.EstimatePerImageGiB)
		}
		return c, nil
	})
}
