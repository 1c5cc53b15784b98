package images

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/winami/winami/catalog"
	"github.com/winami/winami/rootvolume"
)

// Defaults of [Options].
const (
	DefaultConcurrency    = 16
	DefaultAttempts       = 3
	DefaultAttemptTimeout = 30 * time.Second
	DefaultRetryBackoff   = 500 * time.Millisecond
	// DefaultParentVolumeGiB is the root volume of the EKS-optimized Windows AMIs
	// (package rootvolume's, as are the two below).
	DefaultParentVolumeGiB = rootvolume.EKSOptimizedParentGiB
	// DefaultHeadroom multiplies the cache's uncompressed size; see [Totals].
	DefaultHeadroom = rootvolume.Headroom
	// DefaultFreeGiB is left free on the root volume for Windows updates, logs and pods
	// (kubelet starts evicting at 10–15 % free); the same as apply's rootVolumeSize: auto.
	DefaultFreeGiB = rootvolume.FreeGiB
	// EstimatedExpansion is the uncompressed/compressed ratio assumed for a compressed
	// layer whose uncompressed size is unknown (Windows layers typically expand 2.5–3×).
	EstimatedExpansion = 2.5
)

// Options tune [Check]. The zero value works: Docker config keychain, anonymous
// otherwise, no ECR token exchange.
type Options struct {
	// AWS provides the ECR clients used to get registry tokens for ECR registries.
	// When nil, ECR registries are only reached through the Docker config keychain.
	AWS ECRClients
	// Keychain overrides the credential lookup entirely (default: [NewKeychain]).
	Keychain authn.Keychain
	// DockerKeychain is the credentials tried after ECR's (default: authn.DefaultKeychain,
	// the Docker config: DOCKER_CONFIG, ~/.docker/config.json, Podman's auth.json). A
	// caller that must not read the machine's Docker config (a test) gives its own.
	DockerKeychain authn.Keychain
	// ECRHosts maps extra registry hosts (a pull-through endpoint, a test registry)
	// to the ECR registry whose token they accept.
	ECRHosts map[string]ECRRegistry
	// Transport is the HTTP transport (default: go-containerregistry's).
	Transport http.RoundTripper
	// Concurrency bounds the registry requests in flight (DefaultConcurrency).
	Concurrency int
	// Attempts is how many times a request is tried (DefaultAttempts).
	Attempts int
	// AttemptTimeout bounds one attempt of one request (DefaultAttemptTimeout).
	AttemptTimeout time.Duration
	// RetryBackoff is the wait before the second attempt, doubled after (DefaultRetryBackoff).
	RetryBackoff time.Duration
	// ParentVolumeGiB is the parent AMI's root volume (DefaultParentVolumeGiB).
	ParentVolumeGiB int
	// Headroom multiplies the cache's uncompressed size (DefaultHeadroom).
	Headroom float64
	// FreeGiB is added for free space (DefaultFreeGiB when zero; negative for none).
	FreeGiB int
	// Kubernetes is the AMI's Kubernetes minor ("1.33"): it names the containerd version
	// of the EKS-optimized Windows AMI (catalog.EKSContainerd), whose platform matcher
	// decides which index entry a node pulls. When empty or not in the catalog, every
	// containerd pull order of the AMIs for the Windows version is checked.
	Kubernetes string
	// Containerd, when set, is the node's containerd version ("1.7.30"); it wins over
	// Kubernetes.
	Containerd string
	// MinimumGiB is the smallest root volume recommended (rootvolume.MinimumGiB when
	// zero; negative for none).
	MinimumGiB int
	// MeasureUncompressed downloads every distributable compressed layer once to
	// measure its uncompressed size exactly instead of estimating it. Slow: Windows
	// base layers are gigabytes.
	MeasureUncompressed bool
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = DefaultAttemptTimeout
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = DefaultRetryBackoff
	}
	// ParentVolumeGiB, Headroom, FreeGiB and MinimumGiB are defaulted by rootvolume.Compute.
	if o.Transport == nil {
		o.Transport = deadlineTransport(o.AttemptTimeout)
	}
	return o
}

// Status is the outcome of checking one image.
type Status string

// Statuses of an [Image].
const (
	// StatusCompatible: the entry the node's containerd pulls runs on the AMI's build
	// (hcsshim's host/container rule, catalog.HostRunsContainer).
	StatusCompatible Status = "compatible"
	// StatusIncompatible: the image exists but the entry the node would pull does not run
	// on the AMI's build (no entry runs, or containerd would pick one that does not).
	StatusIncompatible Status = "incompatible"
	// StatusMissing: the registry has no such tag, digest or repository (only the
	// reference itself: a manifest or blob it points to that is absent is an error).
	StatusMissing Status = "missing"
	// StatusError: the registry could not be read (auth, network), or the image is
	// broken (a bad manifest, an index entry or config blob the registry does not have).
	StatusError Status = "error"
)

// Reasons of a missing or error [Image].
const (
	// ReasonNoRepository: the registry says the repository does not exist (NAME_UNKNOWN).
	ReasonNoRepository = "repository-not-found"
	// ReasonNoTag: the repository has no such tag or digest (MANIFEST_UNKNOWN, 404).
	ReasonNoTag = "tag-not-found"
	// ReasonBroken: the reference exists but an index entry or config it names does not.
	ReasonBroken = "broken"
	// ReasonUnauthorized: the registry refused the credentials (401, 403).
	ReasonUnauthorized = "unauthorized"
	// ReasonUnreadable: any other failure (network, timeout, a server error).
	ReasonUnreadable = "unreadable"
)

// Image is the report on one image reference.
type Image struct {
	// Ref is the reference as given.
	Ref string `json:"ref"`
	// Status is compatible, incompatible, missing or error.
	Status Status `json:"status"`
	// Compatible is Status == compatible.
	Compatible bool `json:"compatible"`
	// Digest is what Ref resolves to (the index digest for a multi-platform image).
	Digest string `json:"digest,omitempty"`
	// Pinned is Ref's repository at Digest, ready for spec.cache.images.
	Pinned string `json:"pinned,omitempty"`
	// ManifestDigest is the digest of the windows/amd64 image manifest the node pulls
	// (Pulls[0]).
	ManifestDigest string `json:"manifestDigest,omitempty"`
	// OSVersion is the pulled entry's os.version (the index's, else its config's).
	OSVersion string `json:"osVersion,omitempty"`
	// Platforms lists every platform the reference offers ("windows/amd64 10.0.17763.6054").
	Platforms []string `json:"platforms,omitempty"`
	// CompatibleWith lists the LTSC hosts (ltsc2019, ltsc2022, ltsc2025) the image runs
	// on: those whose containerd pulls an entry the host runs (hcsshim's rule, so an
	// ltsc2022-only image lists ltsc2022 and ltsc2025).
	CompatibleWith []string `json:"compatibleWith"`
	// Entries are the windows/amd64 manifests the reference offers, index order, with
	// the build of each (from the config when the index gives no os.version).
	Entries []Entry `json:"entries,omitempty"`
	// Pulls say which entry the node's containerd pulls on the AMI's build, and why: one
	// per containerd version checked (see Options.Kubernetes).
	Pulls []Pull `json:"pulls,omitempty"`
	// Suggestion is a reference of the same repository, found in the registry, that is
	// compatible with the AMI (set for an incompatible image when one exists): a sibling
	// ltsc tag, else the digest of the entry that runs.
	Suggestion string `json:"suggestion,omitempty"`
	// Warnings: the image is compatible, but not as one would assume (containerd pulls an
	// older build than an entry the host also has; the index and config disagree).
	Warnings []string `json:"warnings,omitempty"`
	// CompressedBytes is the sum of the layers' sizes as stored in the registry.
	CompressedBytes int64 `json:"compressedBytes,omitempty"`
	// UncompressedBytes is the sum of the layers' unpacked sizes.
	UncompressedBytes int64 `json:"uncompressedBytes,omitempty"`
	// UncompressedEstimated is true when part of UncompressedBytes is an estimate.
	UncompressedEstimated bool `json:"uncompressedEstimated,omitempty"`
	// Layers are the chosen manifest's layers.
	Layers []Layer `json:"layers,omitempty"`
	// Message explains an incompatible, missing or error status.
	Message string `json:"message,omitempty"`
	// Reason classifies a missing or error status: ReasonNoRepository, ReasonNoTag,
	// ReasonBroken, ReasonUnauthorized or ReasonUnreadable.
	Reason string `json:"reason,omitempty"`
}

// Layer is one layer of a chosen manifest.
type Layer struct {
	Digest    string `json:"digest"`
	DiffID    string `json:"diffId,omitempty"`
	MediaType string `json:"mediaType"`
	// Size is the compressed size from the manifest's descriptor.
	Size int64 `json:"size"`
	// UncompressedSize is exact unless Estimated.
	UncompressedSize int64 `json:"uncompressedSize"`
	Estimated        bool  `json:"estimated,omitempty"`
	// Foreign layers are non-distributable: never fetched, sized from the descriptor.
	Foreign bool `json:"foreign,omitempty"`
}

// Report is the result of [Check].
type Report struct {
	// Windows is the Windows Server version ("2022"), Build its OS build and Tag its
	// container tag suffix.
	Windows string  `json:"windows"`
	Build   string  `json:"build"`
	Tag     string  `json:"tag"`
	Images  []Image `json:"images"`
	Totals  Totals  `json:"totals"`
}

// OK reports whether every image is compatible.
func (r *Report) OK() bool {
	for _, im := range r.Images {
		if im.Status != StatusCompatible {
			return false
		}
	}
	return true
}

// RefError is an image reference that does not parse.
type RefError struct {
	Ref string
	Err error
}

// Error implements error.
func (e *RefError) Error() string { return fmt.Sprintf("image reference %q: %v", e.Ref, e.Err) }

// Unwrap returns the underlying error.
func (e *RefError) Unwrap() error { return e.Err }

// ParseRefs parses image references the way Check does, returning a *RefError for the
// first that does not parse.
func ParseRefs(refs []string) ([]name.Reference, error) {
	out := make([]name.Reference, len(refs))
	for i, r := range refs {
		ref, err := name.ParseReference(strings.TrimSpace(r))
		if err != nil {
			return nil, &RefError{Ref: r, Err: err}
		}
		out[i] = ref
	}
	return out, nil
}

// Check reads every image reference from its registry and reports whether it runs on
// the given Windows version (a year, an ltsc tag or an OS build; see [Target]), with
// sizes and a recommended root volume. Problems with single images are reported in
// the Report; the error is for bad input (a reference or Windows version that does not
// parse, a *RefError for references) and for a cancelled context.
func Check(ctx context.Context, refs []string, windows string, opts Options) (*Report, error) {
	target, err := Target(windows)
	if err != nil {
		return nil, err
	}
	parsed, err := ParseRefs(refs)
	if err != nil {
		return nil, err
	}
	c, err := newClient(opts)
	if err != nil {
		return nil, err
	}
	rts, err := runtimes(c.opts, target)
	if err != nil {
		return nil, err
	}
	rep := &Report{Windows: target.Version, Build: target.Build, Tag: target.Tag, Images: make([]Image, len(refs))}
	var wg sync.WaitGroup
	for i, ref := range parsed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			im := c.checkImage(ctx, ref, target, rts)
			im.Ref = refs[i]
			rep.Images[i] = im
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.opts.MeasureUncompressed {
		if err := c.measure(ctx, parsed, rep.Images); err != nil {
			return nil, err
		}
	}
	rep.Totals = totals(rep.Images, c.opts)
	return rep, nil
}

// Resolve returns the digest each reference resolves to, keyed by the reference as
// given; a reference that cannot be read is left out and its error is returned joined.
func Resolve(ctx context.Context, refs []string, opts Options) (map[string]string, error) {
	parsed, err := ParseRefs(refs)
	if err != nil {
		return nil, err
	}
	c, err := newClient(opts)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for i, ref := range parsed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := c.head(ctx, ref)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("resolving %s: %w", refs[i], err))
				return
			}
			out[refs[i]] = d
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// checkImage checks one reference against the target build: it reads what the
// reference offers, computes the entry the node's containerd would pull (per runtime)
// and whether the host runs it.
func (c *client) checkImage(ctx context.Context, ref name.Reference, target catalog.WindowsVersion, rts []nodeRuntime) Image {
	im := Image{CompatibleWith: []string{}}
	off, err := c.read(ctx, ref)
	if err != nil {
		im.Status, im.Reason, im.Message = classify(ref, err)
		return im
	}
	im.Digest = off.desc.Digest.String()
	im.Pinned = ref.Context().Digest(im.Digest).String()
	im.Platforms = off.platforms
	for _, e := range off.entries {
		im.Entries = append(im.Entries, *e)
	}
	im.CompatibleWith = hostsRunning(off.entries, rts)
	ps, picked := pulls(off.entries, target.Build, rts)
	im.Pulls = ps

	if !runsEverywhere(ps) {
		im.Status = StatusIncompatible
		good := best(off.entries, target.Build)
		var why []string
		for _, p := range ps {
			if !p.Runs {
				why = append(why, describePull(p))
			}
		}
		switch {
		case len(off.entries) == 0:
			im.Message = fmt.Sprintf("no windows/amd64 image: the image offers %s", describe(im.Platforms))
		case good == nil:
			im.Message = fmt.Sprintf("no windows/amd64 entry runs on Windows Server %s (%s): the image offers %s", target.Version, target.Build, describe(im.Platforms))
		default:
			im.Message = fmt.Sprintf("the node would run an entry that does not run on Windows Server %s (%s): %s; entry %s runs there",
				target.Version, target.Build, strings.Join(why, "; "), entryName(good))
		}
		if s := c.suggest(ctx, ref, target, rts); s != "" {
			im.Suggestion = s
		} else if good != nil {
			// The platform manifest itself: pulling it by digest leaves containerd nothing to choose.
			im.Suggestion = ref.Context().Digest(good.ManifestDigest).String()
		}
		if im.Suggestion != "" {
			im.Message += "; use " + im.Suggestion
		}
		return im
	}

	e := picked[0]
	ch := e.ch
	if ch == nil {
		if ch, err = c.image(ctx, ref.Context().Digest(e.ManifestDigest)); err != nil {
			im.Status, im.Reason, im.Message = classify(ref, &brokenError{fmt.Errorf("reading index entry %d (%s): %w", e.Index, e.ManifestDigest, err)})
			return im
		}
	}
	if ch.config.OSVersion != "" && catalog.MajorMinorBuild(ch.config.OSVersion) != catalog.MajorMinorBuild(e.OSVersion) {
		im.Warnings = append(im.Warnings, fmt.Sprintf("index entry %d says os.version %s but its config says %s", e.Index, e.OSVersion, printable(ch.config.OSVersion)))
	}
	if g := best(off.entries, target.Build); g != nil && catalog.MajorMinorBuild(g.OSVersion) != catalog.MajorMinorBuild(e.OSVersion) {
		im.Warnings = append(im.Warnings, fmt.Sprintf("%s; entry %s, the host's own build, is not the one pulled: pin %s to run it",
			describePull(ps[0]), entryName(g), ref.Context().Digest(g.ManifestDigest)))
	}
	for i := 1; i < len(picked); i++ {
		if picked[i] != e {
			im.Warnings = append(im.Warnings, fmt.Sprintf("containerd versions differ in the entry they pull: %s; %s", describePull(ps[0]), describePull(ps[i])))
		}
	}
	im.Status, im.Compatible = StatusCompatible, true
	im.ManifestDigest = ch.digest
	im.OSVersion = e.OSVersion
	im.Layers = layersOf(ch)
	for _, l := range im.Layers {
		im.CompressedBytes += l.Size
		im.UncompressedBytes += l.UncompressedSize
		im.UncompressedEstimated = im.UncompressedEstimated || l.Estimated
	}
	return im
}
