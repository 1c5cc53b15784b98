package imagestest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	crand "crypto/rand"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// OwnLayerSize is the size in bytes of each random layer WindowsImage adds on top of
// the base layers.
const OwnLayerSize = 1024

// TB is the part of testing.TB the builders use.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Fatal is a TB for programs and examples: Fatalf logs with the standard logger and
// exits (log.Fatalf).
var Fatal TB = fatal{}

type fatal struct{}

func (fatal) Helper()                           {}
func (fatal) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }

// Registry is go-containerregistry's in-memory registry served on loopback, with a log
// of the requests it served.
type Registry struct {
	// Host is the registry's host:port, the first part of the references pushed to it.
	Host string

	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []string
	hidden map[string]bool
}

// NewRegistry starts a registry on loopback; mw, when not nil, wraps its handler. The
// caller closes it.
func NewRegistry(mw func(http.Handler) http.Handler) *Registry {
	reg := &Registry{}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if mw != nil {
		h = mw(h)
	}
	reg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg.mu.Lock()
		reg.reqs = append(reg.reqs, r.Method+" "+r.URL.Path)
		hide := (r.Method == http.MethodGet || r.Method == http.MethodHead) && reg.hidden[path.Base(r.URL.Path)]
		reg.mu.Unlock()
		if hide {
			code := "MANIFEST_UNKNOWN"
			if strings.Contains(r.URL.Path, "/blobs/") {
				code = "BLOB_UNKNOWN"
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = fmt.Fprintf(w, `{"errors":[{"code":%q,"message":"hidden by the test"}]}`, code)
			return
		}
		h.ServeHTTP(w, r)
	}))
	reg.Host = strings.TrimPrefix(reg.srv.URL, "http://")
	return reg
}

// Start starts a registry on loopback (see NewRegistry) that closes when the test ends.
func Start(t testing.TB, mw func(http.Handler) http.Handler) *Registry {
	t.Helper()
	reg := NewRegistry(mw)
	t.Cleanup(reg.Close)
	return reg
}

// Close stops the registry.
func (r *Registry) Close() { r.srv.Close() }

// Hide makes the registry answer 404 (MANIFEST_UNKNOWN or BLOB_UNKNOWN, as a registry
// that lost them would) to reads of the manifests and blobs of the given digests: a
// broken image, whose index or manifest names content the registry does not have.
func (r *Registry) Hide(digests ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hidden == nil {
		r.hidden = map[string]bool{}
	}
	for _, d := range digests {
		r.hidden[d] = true
	}
}

// Count returns how many requests of method had a path containing pathPart.
func (r *Registry) Count(method, pathPart string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.reqs {
		if strings.HasPrefix(s, method+" ") && strings.Contains(s, pathPart) {
			n++
		}
	}
	return n
}

// Layers returns n random Docker layers of size bytes each. Their content is random (each
// layer has its own digest) but their compressed size is not: the tar is stored in gzip
// without compression, so sizes printed from them (images check's COMPRESSED column) are
// the same on every run; random.Layer's deflate of random bytes varied by tens of bytes.
func Layers(t TB, n int, size int64) []v1.Layer {
	t.Helper()
	out := make([]v1.Layer, n)
	for i := range out {
		l, err := storedLayer(size)
		if err != nil {
			t.Fatalf("making a random layer: %v", err)
		}
		out[i] = l
	}
	return out
}

// storedLayer is a Docker layer holding one file of size random bytes, gzip-compressed at
// gzip.NoCompression.
func storedLayer(size int64) (v1.Layer, error) {
	content := make([]byte, size)
	if _, err := crand.Read(content); err != nil {
		return nil, fmt.Errorf("reading random bytes: %w", err)
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: "random_file", Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		return nil, fmt.Errorf("writing the tar header: %w", err)
	}
	if _, err := tw.Write(content); err != nil {
		return nil, fmt.Errorf("writing the tar content: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing the tar: %w", err)
	}
	data := b.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithCompressionLevel(gzip.NoCompression), tarball.WithMediaType(types.DockerLayer))
}

// WindowsImage builds a windows/amd64 image of osVersion: the base layers, then own
// random layers of OwnLayerSize bytes.
func WindowsImage(t TB, osVersion string, base []v1.Layer, own int) v1.Image {
	t.Helper()
	layers := append(append([]v1.Layer(nil), base...), Layers(t, own, OwnLayerSize)...)
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatalf("appending layers: %v", err)
	}
	return WithPlatform(t, img, "windows", "amd64", osVersion)
}

// WithPlatform returns img with the OS, architecture and os.version of its config set.
func WithPlatform(t TB, img v1.Image, goos, arch, osVersion string) v1.Image {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("reading the image config: %v", err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.OSVersion = goos, arch, osVersion
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatalf("setting the image config: %v", err)
	}
	return img
}

// Index builds a Docker manifest list with one entry per image, its platform taken
// from the image's config.
func Index(t TB, imgs ...v1.Image) v1.ImageIndex {
	t.Helper()
	return index(t, true, imgs)
}

// index builds a Docker manifest list of imgs, their platforms from their configs, with
// os.version when withOSVersion is set.
func index(t TB, withOSVersion bool, imgs []v1.Image) v1.ImageIndex {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.DockerManifestList)
	for _, img := range imgs {
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatalf("reading the image config: %v", err)
		}
		p := &v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture}
		if withOSVersion {
			p.OSVersion = cfg.OSVersion
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: p}})
	}
	return idx
}

// IndexWithoutOSVersion builds a Docker manifest list whose entries say windows/amd64
// but not which build: only each image's config has its os.version (older images, and
// some build tools, publish such indexes; containerd's matcher accepts every such entry
// on any Windows host).
func IndexWithoutOSVersion(t TB, imgs ...v1.Image) v1.ImageIndex {
	t.Helper()
	return index(t, false, imgs)
}

// ForeignLayer returns a random non-distributable (foreign) layer of size bytes and the
// addendum that appends it with its URL, as Windows base layers were published: a
// registry never serves it and winami never fetches it.
func ForeignLayer(t TB, size int64, url string) (v1.Layer, mutate.Addendum) {
	t.Helper()
	l, err := random.Layer(size, types.DockerForeignLayer)
	if err != nil {
		t.Fatalf("making a foreign layer: %v", err)
	}
	d, err := l.Digest()
	if err != nil {
		t.Fatalf("digesting a foreign layer: %v", err)
	}
	return l, mutate.Addendum{Layer: l, MediaType: types.DockerForeignLayer, URLs: []string{strings.TrimSuffix(url, "/") + "/" + d.String()}}
}

// WindowsImageOn builds a windows/amd64 image of osVersion whose first layers are the
// addenda (a foreign base layer, say), then own random layers of OwnLayerSize bytes.
func WindowsImageOn(t TB, osVersion string, base []mutate.Addendum, own int) v1.Image {
	t.Helper()
	img, err := mutate.Append(empty.Image, base...)
	if err != nil {
		t.Fatalf("appending the base: %v", err)
	}
	img, err = mutate.AppendLayers(img, Layers(t, own, OwnLayerSize)...)
	if err != nil {
		t.Fatalf("appending layers: %v", err)
	}
	return WithPlatform(t, img, "windows", "amd64", osVersion)
}

// ConfigDigest returns the digest of an image's config blob.
func ConfigDigest(t TB, img v1.Image) string {
	t.Helper()
	d, err := img.ConfigName()
	if err != nil {
		t.Fatalf("reading the config digest: %v", err)
	}
	return d.String()
}

// PushWindows pushes to ref an index with one windows/amd64 entry per os.version, each
// the base layers plus one own layer, and returns the index digest.
func PushWindows(t TB, ref string, base []v1.Layer, osVersions ...string) string {
	t.Helper()
	imgs := make([]v1.Image, len(osVersions))
	for i, osv := range osVersions {
		imgs[i] = WindowsImage(t, osv, base, 1)
	}
	return Push(t, ref, Index(t, imgs...))
}

// Push pushes an image or an index (v1.Image or v1.ImageIndex) to ref and returns its
// digest.
func Push(t TB, ref string, v interface{ Digest() (v1.Hash, error) }) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatalf("parsing %s: %v", ref, err)
	}
	switch v := v.(type) {
	case v1.ImageIndex:
		err = remote.WriteIndex(r, v)
	case v1.Image:
		err = remote.Write(r, v)
	default:
		t.Fatalf("pushing %s: a %T is neither an image nor an index", ref, v)
		return ""
	}
	if err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return Digest(t, v)
}

// Digest returns the digest of an image or an index.
func Digest(t TB, v interface{ Digest() (v1.Hash, error) }) string {
	t.Helper()
	d, err := v.Digest()
	if err != nil {
		t.Fatalf("computing a digest: %v", err)
	}
	return d.String()
}
