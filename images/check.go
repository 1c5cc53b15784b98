package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
)

// Defaults of [Options].
const (
	DefaultConcurrency    = 16
	DefaultAttempts       = 3
	DefaultAttemptTimeout = 30 * time.Second
	DefaultRetryBackoff   = 500 * time.Millisecond
	// DefaultParentVolumeGiB is the root volume of the EKS-optimized Windows AMIs.
	DefaultParentVolumeGiB = 50
	// DefaultHeadroom multiplies the cache's uncompressed size; see [Totals].
	DefaultHeadroom = 1.5
	// DefaultFreeGiB is left free on the root volume for Windows updates, logs and pods
	// (kubelet starts evicting at 10–15 % free); the same as apply's rootVolumeSize: auto.
	DefaultFreeGiB = 20
	// EstimatedExpansion is the uncompressed/compressed ratio assumed for a compressed
	// layer whose uncompressed size is unknown (Windows layers typically expand 2.5–3×).
	EstimatedExpansion = 2.5
)

// Options tune [Check]. The zero value works: Docker config keychain, anonymous
// otherwise, no ECR token exchange.
type Options struct {
	// AWS provides the ECR clients used to get registry tokens for ECR registries.
	// When nil, ECR registries are only reached through the Docker config keychain.
	AWS *awsapi.Clients
	// Keychain overrides the credential lookup entirely (default: [NewKeychain]).
	Keychain authn.Keychain
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
	if o.ParentVolumeGiB <= 0 {
		o.ParentVolumeGiB = DefaultParentVolumeGiB
	}
	if o.Headroom <= 0 {
		o.Headroom = DefaultHeadroom
	}
	switch {
	case o.FreeGiB == 0:
		o.FreeGiB = DefaultFreeGiB
	case o.FreeGiB < 0:
		o.FreeGiB = 0
	}
	if o.Transport == nil {
		o.Transport = remote.DefaultTransport
	}
	return o
}

// Status is the outcome of checking one image.
type Status string

// Statuses of an [Image].
const (
	// StatusCompatible: the image has a windows/amd64 entry for the AMI's build.
	StatusCompatible Status = "compatible"
	// StatusIncompatible: the image exists but has no entry for the AMI's build.
	StatusIncompatible Status = "incompatible"
	// StatusMissing: the registry has no such tag, digest or repository.
	StatusMissing Status = "missing"
	// StatusError: the registry could not be read (auth, network, a bad manifest).
	StatusError Status = "error"
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
	// ManifestDigest is the digest of the windows/amd64 image manifest chosen.
	ManifestDigest string `json:"manifestDigest,omitempty"`
	// OSVersion is the chosen entry's os.version.
	OSVersion string `json:"osVersion,omitempty"`
	// Platforms lists every platform the reference offers ("windows/amd64 10.0.17763.6054").
	Platforms []string `json:"platforms,omitempty"`
	// CompatibleWith lists the LTSC tags (ltsc2019, ltsc2022, ltsc2025) whose build the
	// image has an entry for.
	CompatibleWith []string `json:"compatibleWith"`
	// Suggestion is a reference of the same repository, found in the registry, that is
	// compatible with the AMI (set for an incompatible image when one exists).
	Suggestion string `json:"suggestion,omitempty"`
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
	rep := &Report{Windows: target.Version, Build: target.Build, Tag: target.Tag, Images: make([]Image, len(refs))}
	var wg sync.WaitGroup
	for i, ref := range parsed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			im := c.checkImage(ctx, ref, target)
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

// client is a registry client shared by the checks of one call.
type client struct {
	opts   Options
	puller *remote.Puller
	sem    chan struct{}
}

func newClient(opts Options) (*client, error) {
	opts = opts.withDefaults()
	kc := opts.Keychain
	if kc == nil {
		kc = NewKeychain(opts.AWS, opts.ECRHosts)
	}
	p, err := remote.NewPuller(
		remote.WithAuthFromKeychain(kc),
		remote.WithTransport(opts.Transport),
		remote.WithUserAgent("winami"),
		// Retries are ours (per-attempt timeout included); one try per call here.
		remote.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Steps: 1}),
	)
	if err != nil {
		return nil, fmt.Errorf("creating the registry client: %w", err)
	}
	return &client{opts: opts, puller: p, sem: make(chan struct{}, opts.Concurrency)}, nil
}

// do runs f with a per-attempt timeout, bounded concurrency and retries.
func (c *client) do(ctx context.Context, f func(ctx context.Context) error) error {
	return c.doTimeout(ctx, c.opts.AttemptTimeout, f)
}

// doTimeout is do with the given per-attempt timeout (none when 0: f bounds itself).
func (c *client) doTimeout(ctx context.Context, timeout time.Duration, f func(ctx context.Context) error) error {
	wait := c.opts.RetryBackoff
	for attempt := 1; ; attempt++ {
		select {
		case c.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		actx, cancel := context.WithCancel(ctx)
		if timeout > 0 {
			actx, cancel = context.WithTimeout(ctx, timeout)
		}
		err := f(actx)
		cancel()
		<-c.sem
		if err == nil || ctx.Err() != nil || attempt >= c.opts.Attempts || !retryable(err) {
			if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("no answer within %s (%d attempts): %w", c.opts.AttemptTimeout, attempt, err)
			}
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		wait *= 2
	}
}

func retryable(err error) bool {
	var tok *TokenError
	if errors.As(err, &tok) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	// Connection resets, EOFs and other transport failures.
	return !isStatusError(err)
}

func isStatusError(err error) bool {
	var te *transport.Error
	return errors.As(err, &te)
}

func isNotFound(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	if te.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range te.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode:
			return true
		}
	}
	return false
}

func isUnauthorized(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden)
}

// get fetches ref's manifest and, for an image manifest, its config, within one
// attempt (with retries): the descriptor reads the config with the attempt's context.
func (c *client) get(ctx context.Context, ref name.Reference) (*remote.Descriptor, *chosen, error) {
	var (
		desc *remote.Descriptor
		ch   *chosen
	)
	err := c.do(ctx, func(ctx context.Context) error {
		d, err := c.puller.Get(ctx, ref)
		if err != nil {
			return err
		}
		if d.MediaType.IsImage() {
			if ch, err = imageOf(d); err != nil {
				return err
			}
		}
		desc = d
		return nil
	})
	return desc, ch, err
}

// head returns the digest ref resolves to.
func (c *client) head(ctx context.Context, ref name.Reference) (string, error) {
	if d, ok := ref.(name.Digest); ok {
		return d.DigestStr(), nil
	}
	var digest string
	err := c.do(ctx, func(ctx context.Context) error {
		d, err := c.puller.Head(ctx, ref)
		if err != nil {
			return err
		}
		digest = d.Digest.String()
		return nil
	})
	return digest, err
}

// chosen is the windows/amd64 image manifest picked for the target build.
type chosen struct {
	manifest *v1.Manifest
	config   *v1.ConfigFile
	digest   string
}

// image fetches an image manifest by digest and its config (with retries).
func (c *client) image(ctx context.Context, ref name.Digest) (*chosen, error) {
	d, ch, err := c.get(ctx, ref)
	if err != nil {
		return nil, err
	}
	if ch == nil {
		return nil, fmt.Errorf("reading %s: media type %s is not an image manifest", ref, d.MediaType)
	}
	return ch, nil
}

// imageOf reads the manifest of d (already fetched) and its config blob.
func imageOf(d *remote.Descriptor) (*chosen, error) {
	if !d.MediaType.IsImage() {
		return nil, fmt.Errorf("reading %s: media type %s is not an image manifest", d.Digest, d.MediaType)
	}
	img, err := d.Image()
	if err != nil {
		return nil, fmt.Errorf("reading image %s: %w", d.Digest, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", d.Digest, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config of %s: %w", d.Digest, err)
	}
	return &chosen{manifest: m, config: cfg, digest: d.Digest.String()}, nil
}

// checkImage checks one reference against the target build.
func (c *client) checkImage(ctx context.Context, ref name.Reference, target catalog.WindowsVersion) Image {
	im := Image{CompatibleWith: []string{}}
	fail := func(err error) Image {
		switch {
		case isNotFound(err):
			im.Status, im.Message = StatusMissing, fmt.Sprintf("not found in %s: %v", ref.Context().RegistryStr(), err)
		case isUnauthorized(err):
			im.Status, im.Message = StatusError, fmt.Sprintf("not authorized by %s (docker login, or AWS credentials for ECR): %v", ref.Context().RegistryStr(), err)
		default:
			im.Status, im.Message = StatusError, err.Error()
		}
		return im
	}
	desc, single, err := c.get(ctx, ref)
	if err != nil {
		return fail(err)
	}
	im.Digest = desc.Digest.String()
	im.Pinned = ref.Context().Digest(im.Digest).String()

	var ch *chosen
	switch {
	case desc.MediaType.IsIndex():
		idx, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return fail(fmt.Errorf("parsing index %s: %w", im.Digest, err))
		}
		entry, platforms, compat := pickWindows(idx.Manifests, target)
		im.Platforms, im.CompatibleWith = platforms, compat
		if entry == nil {
			// Entries that do not say their os.version: read it from their config.
			ch, err = c.unlabelled(ctx, ref, idx.Manifests, target, &im)
			if err != nil {
				return fail(err)
			}
			break
		}
		if !entry.MediaType.IsImage() {
			return fail(fmt.Errorf("index %s: entry %s is %s, not an image manifest", im.Digest, entry.Digest, entry.MediaType))
		}
		ch, err = c.image(ctx, ref.Context().Digest(entry.Digest.String()))
		if err != nil {
			return fail(err)
		}
	case desc.MediaType.IsImage():
		ch = single
		cfg := ch.config
		p := platformString(cfg.OS, cfg.Architecture, cfg.OSVersion)
		im.Platforms = []string{p}
		if w, ok := catalog.ForBuild(cfg.OSVersion); ok && cfg.OS == "windows" && cfg.Architecture == "amd64" {
			im.CompatibleWith = []string{w.Tag}
		}
		if cfg.OS != "windows" || cfg.Architecture != "amd64" || catalog.MajorMinorBuild(cfg.OSVersion) != target.Build {
			ch = nil
		}
	default:
		return fail(fmt.Errorf("%s is %s, not an image or an index", im.Digest, desc.MediaType))
	}

	if ch == nil {
		im.Status = StatusIncompatible
		im.Message = fmt.Sprintf("no windows/amd64 entry for %s (%s); the image offers %s", target.Build, target.Tag, describe(im.Platforms))
		if s := c.suggest(ctx, ref, target); s != "" {
			im.Suggestion = s
			im.Message += "; use " + s
		}
		return im
	}
	im.Status, im.Compatible = StatusCompatible, true
	im.ManifestDigest = ch.digest
	im.OSVersion = ch.config.OSVersion
	im.Layers = layersOf(ch)
	for _, l := range im.Layers {
		im.CompressedBytes += l.Size
		im.UncompressedBytes += l.UncompressedSize
		im.UncompressedEstimated = im.UncompressedEstimated || l.Estimated
	}
	return im
}

func describe(platforms []string) string {
	if len(platforms) == 0 {
		return "no platform"
	}
	return strings.Join(platforms, ", ")
}

func platformString(os, arch, osVersion string) string {
	s := os + "/" + arch
	if osVersion != "" {
		s += " " + osVersion
	}
	return s
}

// pickWindows chooses the windows/amd64 entry whose os.version matches the target by
// major.minor.build (the newest revision when several do), and lists every platform
// and the LTSC tags the entries run on.
func pickWindows(entries []v1.Descriptor, target catalog.WindowsVersion) (*v1.Descriptor, []string, []string) {
	var (
		best      *v1.Descriptor
		platforms []string
		compat    = []string{}
		seen      = map[string]bool{}
	)
	for i := range entries {
		e := &entries[i]
		if e.Platform == nil {
			continue
		}
		p := e.Platform
		if p.OS == "unknown" { // attestation manifests
			continue
		}
		platforms = append(platforms, platformString(p.OS, p.Architecture, p.OSVersion))
		if p.OS != "windows" || p.Architecture != "amd64" {
			continue
		}
		if w, ok := catalog.ForBuild(p.OSVersion); ok && !seen[w.Tag] {
			seen[w.Tag] = true
			compat = append(compat, w.Tag)
		}
		if catalog.MajorMinorBuild(p.OSVersion) != target.Build {
			continue
		}
		if best == nil || revision(p.OSVersion) > revision(best.Platform.OSVersion) {
			best = e
		}
	}
	sort.Strings(compat)
	return best, platforms, compat
}

// revision is the fourth part of an os.version (10.0.20348.2700 → 2700), or -1.
func revision(osVersion string) int {
	parts := strings.Split(osVersion, ".")
	if len(parts) < 4 {
		return -1
	}
	n := 0
	for _, ch := range parts[3] {
		if ch < '0' || ch > '9' {
			return -1
		}
		n = n*10 + int(ch-'0')
	}
	return n
}

// unlabelled reads the config of each windows/amd64 index entry that has no os.version
// in its platform, adds the builds found to im.CompatibleWith, and returns the entry
// matching the target, if any.
func (c *client) unlabelled(ctx context.Context, ref name.Reference, entries []v1.Descriptor, target catalog.WindowsVersion, im *Image) (*chosen, error) {
	var found *chosen
	for _, e := range entries {
		if e.Platform == nil || e.Platform.OS != "windows" || e.Platform.Architecture != "amd64" || e.Platform.OSVersion != "" || !e.MediaType.IsImage() {
			continue
		}
		ch, err := c.image(ctx, ref.Context().Digest(e.Digest.String()))
		if err != nil {
			return nil, err
		}
		if w, ok := catalog.ForBuild(ch.config.OSVersion); ok && !slices.Contains(im.CompatibleWith, w.Tag) {
			im.CompatibleWith = append(im.CompatibleWith, w.Tag)
			sort.Strings(im.CompatibleWith)
		}
		if catalog.MajorMinorBuild(ch.config.OSVersion) == target.Build && (found == nil || revision(ch.config.OSVersion) > revision(found.config.OSVersion)) {
			found = ch
		}
	}
	return found, nil
}

var ltscTag = regexp.MustCompile(`ltsc20(19|22|25)`)

// suggest looks for the same tag with the target's ltsc suffix and returns it when the
// registry has it and it is compatible.
func (c *client) suggest(ctx context.Context, ref name.Reference, target catalog.WindowsVersion) string {
	tag, ok := ref.(name.Tag)
	if !ok || !ltscTag.MatchString(tag.TagStr()) {
		return ""
	}
	cand := ltscTag.ReplaceAllString(tag.TagStr(), target.Tag)
	if cand == tag.TagStr() {
		return ""
	}
	candRef := tag.Context().Tag(cand)
	desc, single, err := c.get(ctx, candRef)
	if err != nil {
		return ""
	}
	switch {
	case desc.MediaType.IsIndex():
		idx, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return ""
		}
		if e, _, _ := pickWindows(idx.Manifests, target); e == nil {
			return ""
		}
	case desc.MediaType.IsImage():
		if cfg := single.config; cfg.OS != "windows" || catalog.MajorMinorBuild(cfg.OSVersion) != target.Build {
			return ""
		}
	default:
		return ""
	}
	return candRef.String()
}

// layersOf describes the chosen manifest's layers. The uncompressed size is exact for
// uncompressed media types and for layers whose diff id equals their digest (stored
// uncompressed); otherwise it is estimated from the compressed size.
func layersOf(ch *chosen) []Layer {
	out := make([]Layer, 0, len(ch.manifest.Layers))
	for i, d := range ch.manifest.Layers {
		l := Layer{Digest: d.Digest.String(), MediaType: string(d.MediaType), Size: d.Size, Foreign: !d.MediaType.IsDistributable()}
		if i < len(ch.config.RootFS.DiffIDs) {
			l.DiffID = ch.config.RootFS.DiffIDs[i].String()
		}
		if uncompressedMediaType(d.MediaType) || (l.DiffID != "" && l.DiffID == l.Digest) {
			l.UncompressedSize = d.Size
		} else {
			l.UncompressedSize = int64(float64(d.Size) * EstimatedExpansion)
			l.Estimated = true
		}
		out = append(out, l)
	}
	return out
}

func uncompressedMediaType(mt types.MediaType) bool {
	switch mt {
	case types.DockerUncompressedLayer, types.OCIUncompressedLayer, types.OCIUncompressedRestrictedLayer:
		return true
	}
	return false
}
