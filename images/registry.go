package images

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/winami/winami/awsapi"
)

// deadlineTransport is go-containerregistry's default transport with deadlines of its
// own, besides each attempt's context (client.doTimeout): connecting (awsapi.ConnectTimeout),
// the TLS handshake and the response headers (timeout). A layer's body has no bound
// but the idle timer of measure.go, since a layer is gigabytes.
func deadlineTransport(timeout time.Duration) http.RoundTripper {
	tr, ok := remote.DefaultTransport.(*http.Transport)
	if !ok {
		return remote.DefaultTransport
	}
	tr = tr.Clone()
	dialer := &net.Dialer{Timeout: awsapi.ConnectTimeout, KeepAlive: 30 * time.Second}
	tr.DialContext = dialer.DialContext
	tr.TLSHandshakeTimeout = awsapi.TLSHandshakeTimeout
	tr.ResponseHeaderTimeout = timeout
	return tr
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
		kc = newKeychain(opts.AWS, opts.ECRHosts, opts.DockerKeychain)
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
				// The manifest exists: a config it names that cannot be read is a broken image.
				return &brokenError{err}
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

// classify turns a read error into a status and message. Only the reference's own
// manifest can be missing (MANIFEST_UNKNOWN, NAME_UNKNOWN or a 404 on it); a manifest
// or blob it points to that cannot be read makes the image broken: an error.
func classify(ref name.Reference, err error) (Status, string, string) {
	reg := ref.Context().RegistryStr()
	switch {
	case isUnauthorized(err):
		return StatusError, ReasonUnauthorized, fmt.Sprintf("not authorized by %s (docker login, or AWS credentials for ECR): %v", reg, err)
	case isBroken(err):
		return StatusError, ReasonBroken, fmt.Sprintf("the image is broken or unreadable: %v", err)
	case isNameUnknown(err):
		return StatusMissing, ReasonNoRepository, fmt.Sprintf("repository %s does not exist in %s: %v", ref.Context().RepositoryStr(), reg, err)
	case isNotFound(err):
		what := "tag " + ref.Identifier()
		if _, ok := ref.(name.Digest); ok {
			what = "digest " + ref.Identifier()
		}
		return StatusMissing, ReasonNoTag, fmt.Sprintf("%s not found in repository %s of %s: %v", what, ref.Context().RepositoryStr(), reg, err)
	}
	return StatusError, ReasonUnreadable, err.Error()
}

func isNameUnknown(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	for _, d := range te.Errors {
		if d.Code == transport.NameUnknownErrorCode {
			return true
		}
	}
	return false
}
