package images

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/winami/winami/catalog"
	"github.com/winami/winami/images/imagestest"
)

const (
	os2019 = "10.0.17763.6054"
	os2022 = "10.0.20348.2700"
	os2025 = "10.0.26100.1742"
)

// noDockerConfig points the Docker keychain at an empty directory.
func noDockerConfig(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
}

func fastOpts() Options {
	return Options{AttemptTimeout: 5 * time.Second, RetryBackoff: 10 * time.Millisecond}
}

func TestIndexPicksEntryByBuild(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	base := imagestest.Layers(t, 2, 4096)
	img2019 := imagestest.WindowsImage(t, os2019, base, 1)
	img2022 := imagestest.WindowsImage(t, "10.0.20348.2113", base, 1)
	img2022new := imagestest.WindowsImage(t, os2022, base, 1)
	linux := imagestest.WithPlatform(t, imagestest.WindowsImage(t, "", nil, 1), "linux", "amd64", "")
	// The newest 2022 revision is listed between older entries: it must win.
	idx := imagestest.Index(t, img2019, img2022, img2022new, linux)
	ref := reg.Host + "/dotnet/aspnet:4.8"
	idxDigest := imagestest.Push(t, ref, idx)

	// containerd 1.7 (Kubernetes 1.33 AMIs) takes the first accepted entry in index order
	// (the older 2022 revision); containerd 2.1.6 (1.34) the greatest os.version.
	for _, tc := range []struct {
		windows, kubernetes, wantManifest, wantOS string
		wantIndex                                 int
	}{
		{"2022", "1.33", imagestest.Digest(t, img2022), "10.0.20348.2113", 1},
		{"10.0.20348", "1.34", imagestest.Digest(t, img2022new), os2022, 2},
		{"ltsc2019", "1.33", imagestest.Digest(t, img2019), os2019, 0},
		{"ltsc2019", "1.34", imagestest.Digest(t, img2019), os2019, 0},
		// hcsshim: a 2025 host runs ltsc2022 images; 2025 AMIs (1.35) ship containerd 2.1.6.
		{"2025", "1.35", imagestest.Digest(t, img2022new), os2022, 2},
		{"2025", "", imagestest.Digest(t, img2022new), os2022, 2},
	} {
		opts := fastOpts()
		opts.Kubernetes = tc.kubernetes
		rep, err := Check(context.Background(), []string{ref}, tc.windows, opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.windows, err)
		}
		im := rep.Images[0]
		if im.Status != StatusCompatible || !im.Compatible || !rep.OK() {
			t.Fatalf("%s/%s: status %s (%s), want compatible", tc.windows, tc.kubernetes, im.Status, im.Message)
		}
		if im.ManifestDigest != tc.wantManifest || im.OSVersion != tc.wantOS {
			t.Errorf("%s/%s: picked %s (%s), want %s (%s)", tc.windows, tc.kubernetes, im.ManifestDigest, im.OSVersion, tc.wantManifest, tc.wantOS)
		}
		if len(im.Pulls) != 1 || im.Pulls[0].Index != tc.wantIndex || !im.Pulls[0].Runs || im.Pulls[0].ManifestDigest != tc.wantManifest {
			t.Errorf("%s/%s: pulls %+v, want entry %d", tc.windows, tc.kubernetes, im.Pulls, tc.wantIndex)
		}
		if im.Digest != idxDigest || im.Pinned != reg.Host+"/dotnet/aspnet@"+idxDigest {
			t.Errorf("%s: digest %s pinned %s, want the index digest %s", tc.windows, im.Digest, im.Pinned, idxDigest)
		}
		if got := strings.Join(im.CompatibleWith, ","); got != "ltsc2019,ltsc2022,ltsc2025" {
			t.Errorf("%s: compatibleWith %s", tc.windows, got)
		}
		if len(im.Platforms) != 4 || !strings.Contains(strings.Join(im.Platforms, ";"), "linux/amd64") || len(im.Entries) != 3 {
			t.Errorf("%s: platforms %v entries %d", tc.windows, im.Platforms, len(im.Entries))
		}
		if len(im.Layers) != 3 {
			t.Errorf("%s: %d layers, want 3", tc.windows, len(im.Layers))
		}
	}

	// No --kubernetes for 2022: both pull orders of the 2022 AMIs are checked, and the
	// report says they pull different entries.
	rep, err := Check(context.Background(), []string{ref}, "2022", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; im.Status != StatusCompatible || len(im.Pulls) != 2 || len(im.Warnings) != 1 || !strings.Contains(im.Warnings[0], "differ") {
		t.Errorf("2022, all runtimes: %+v", im)
	}
}

func TestIncompatibleSuggestsLTSCTag(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	base := imagestest.Layers(t, 1, 2048)
	imagestest.Push(t, reg.Host+"/app:1.4-ltsc2019", imagestest.Index(t, imagestest.WindowsImage(t, os2019, base, 1)))
	imagestest.Push(t, reg.Host+"/app:1.4-ltsc2022", imagestest.Index(t, imagestest.WindowsImage(t, os2022, base, 1)))
	// A single-manifest 2019 image whose ltsc2022 tag does not exist.
	imagestest.Push(t, reg.Host+"/tool:2.0-ltsc2019", imagestest.WindowsImage(t, os2019, base, 1))
	// A Linux image.
	imagestest.Push(t, reg.Host+"/nginx:1.27", imagestest.WithPlatform(t, imagestest.WindowsImage(t, "", nil, 1), "linux", "amd64", ""))

	refs := []string{reg.Host + "/app:1.4-ltsc2019", reg.Host + "/tool:2.0-ltsc2019", reg.Host + "/nginx:1.27"}
	rep, err := Check(context.Background(), refs, "2022", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Fatal("report OK with incompatible images")
	}
	app, tool, nginx := rep.Images[0], rep.Images[1], rep.Images[2]
	if app.Status != StatusIncompatible || app.Compatible {
		t.Errorf("app: status %s", app.Status)
	}
	if want := reg.Host + "/app:1.4-ltsc2022"; app.Suggestion != want {
		t.Errorf("app: suggestion %q, want %q", app.Suggestion, want)
	}
	if strings.Join(app.CompatibleWith, ",") != "ltsc2019" {
		t.Errorf("app: compatibleWith %v", app.CompatibleWith)
	}
	if tool.Status != StatusIncompatible || tool.Suggestion != "" || strings.Join(tool.CompatibleWith, ",") != "ltsc2019" {
		t.Errorf("tool: %+v", tool)
	}
	if nginx.Status != StatusIncompatible || len(nginx.CompatibleWith) != 0 || !strings.Contains(nginx.Message, "linux/amd64") {
		t.Errorf("nginx: %+v", nginx)
	}
	if rep.Totals.Incompatible != 3 || rep.Totals.Compatible != 0 || rep.Totals.UniqueLayers != 0 {
		t.Errorf("totals %+v", rep.Totals)
	}
	if rep.Totals.RootVolumeGiB != DefaultParentVolumeGiB+DefaultFreeGiB {
		t.Errorf("empty cache: root volume %d, want the parent's %d + %d free", rep.Totals.RootVolumeGiB, DefaultParentVolumeGiB, DefaultFreeGiB)
	}

	// The same single-manifest image is fine for 2019.
	rep, err = Check(context.Background(), refs[1:2], "2019", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; im.Status != StatusCompatible || im.OSVersion != os2019 || im.ManifestDigest != im.Digest {
		t.Errorf("tool on 2019: %+v", im)
	}
}

func TestSharedLayersCountedOnce(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	base := imagestest.Layers(t, 3, 1<<20)
	a := imagestest.WindowsImage(t, os2022, base, 1)
	b := imagestest.WindowsImage(t, os2022, base, 2)
	imagestest.Push(t, reg.Host+"/a:1", imagestest.Index(t, a))
	imagestest.Push(t, reg.Host+"/b:1", imagestest.Index(t, b))

	rep, err := Check(context.Background(), []string{reg.Host + "/a:1", reg.Host + "/b:1"}, "2022", Options{ParentVolumeGiB: 30, Headroom: 2, FreeGiB: 5, MinimumGiB: -1})
	if err != nil {
		t.Fatal(err)
	}
	sizeOf := func(ls ...v1.Layer) int64 {
		var n int64
		for _, l := range ls {
			s, err := l.Size()
			if err != nil {
				t.Fatal(err)
			}
			n += s
		}
		return n
	}
	la, _ := a.Layers()
	lb, _ := b.Layers()
	baseSize := sizeOf(base...)
	want := baseSize + sizeOf(la[3:]...) + sizeOf(lb[3:]...)
	tot := rep.Totals
	if tot.UniqueLayers != 6 {
		t.Errorf("unique layers %d, want 6 (3 shared + 1 + 2)", tot.UniqueLayers)
	}
	if tot.CompressedBytes != want {
		t.Errorf("compressed total %d, want %d (shared layers once)", tot.CompressedBytes, want)
	}
	if tot.SharedBytes != baseSize {
		t.Errorf("shared bytes %d, want %d", tot.SharedBytes, baseSize)
	}
	if rep.Images[0].CompressedBytes != sizeOf(la...) || rep.Images[1].CompressedBytes != sizeOf(lb...) {
		t.Errorf("per-image sizes %d/%d", rep.Images[0].CompressedBytes, rep.Images[1].CompressedBytes)
	}
	// gzip layers: the uncompressed size is an estimate, and labelled so.
	if !tot.UncompressedEstimated || !rep.Images[0].UncompressedEstimated {
		t.Error("uncompressed size of gzip layers not labelled as an estimate")
	}
	var est int64
	for _, im := range rep.Images {
		for _, l := range im.Layers {
			if !l.Estimated || l.UncompressedSize != int64(float64(l.Size)*EstimatedExpansion) {
				t.Errorf("layer %s: uncompressed %d estimated=%v", l.Digest, l.UncompressedSize, l.Estimated)
			}
		}
	}
	for _, l := range rep.Images[0].Layers {
		est += l.UncompressedSize
	}
	if rep.Images[0].UncompressedBytes != est {
		t.Errorf("image a uncompressed %d, want %d", rep.Images[0].UncompressedBytes, est)
	}
	if got, want := tot.RootVolumeGiB, RootVolumeGiB(30, tot.UncompressedBytes, 2, 5); got != want || got != 36 {
		t.Errorf("root volume %d, want %d (= 36: 30 + a few MiB × 2, rounded up, + 5)", got, want)
	}
	if !strings.Contains(tot.Formula, "30 GiB parent") || !strings.Contains(tot.Formula, "(estimated)") || !strings.Contains(tot.Formula, "5 GiB free = 36 GiB") {
		t.Errorf("formula %q", tot.Formula)
	}

	// Measured: exact, and equal to the bytes the layers unpack to.
	rep, err = Check(context.Background(), []string{reg.Host + "/a:1", reg.Host + "/b:1"}, "2022", Options{MeasureUncompressed: true})
	if err != nil {
		t.Fatal(err)
	}
	var exact int64
	seen := map[v1.Hash]bool{}
	for _, l := range append(la, lb...) {
		d, _ := l.Digest()
		if seen[d] {
			continue
		}
		seen[d] = true
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, rc)
		_ = rc.Close()
		exact += n
	}
	if rep.Totals.UncompressedEstimated || rep.Totals.UncompressedBytes != exact {
		t.Errorf("measured uncompressed %d (estimated=%v), want exactly %d", rep.Totals.UncompressedBytes, rep.Totals.UncompressedEstimated, exact)
	}
	// Each shared layer was downloaded once, though two images have it.
	for _, l := range base {
		d, _ := l.Digest()
		if n := reg.Count("GET", "/blobs/"+d.String()); n != 1 {
			t.Errorf("base layer %s fetched %d times, want 1", d, n)
		}
	}
}

func TestUncompressedLayersAreExact(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	l, err := random.Layer(4096, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	// Store the layer uncompressed: its diff id is then its digest.
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: uncompressedLayer{l}, MediaType: types.DockerUncompressedLayer})
	if err != nil {
		t.Fatal(err)
	}
	img = imagestest.WithPlatform(t, img, "windows", "amd64", os2022)
	imagestest.Push(t, reg.Host+"/raw:1", img)
	rep, err := Check(context.Background(), []string{reg.Host + "/raw:1"}, "2022", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	im := rep.Images[0]
	if im.Status != StatusCompatible || len(im.Layers) != 1 {
		t.Fatalf("%+v", im)
	}
	if ly := im.Layers[0]; ly.Estimated || ly.UncompressedSize != ly.Size || ly.DiffID != ly.Digest {
		t.Errorf("uncompressed layer: %+v", ly)
	}
	if rep.Totals.UncompressedEstimated {
		t.Error("totals labelled estimated")
	}
}

// uncompressedLayer serves l's uncompressed bytes as its stored form.
type uncompressedLayer struct{ v1.Layer }

func (u uncompressedLayer) Digest() (v1.Hash, error)           { return u.DiffID() }
func (u uncompressedLayer) Compressed() (io.ReadCloser, error) { return u.Uncompressed() }
func (u uncompressedLayer) MediaType() (types.MediaType, error) {
	return types.DockerUncompressedLayer, nil
}
func (u uncompressedLayer) Size() (int64, error) { return uncompressedSize(u.Layer) }
func uncompressedSize(l v1.Layer) (int64, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return 0, err
	}
	defer func() { _ = rc.Close() }()
	return io.Copy(io.Discard, rc)
}

func TestForeignLayersNeverFetched(t *testing.T) {
	noDockerConfig(t)
	var foreignHits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignHits.Add(1)
		http.Error(w, "no", http.StatusTeapot)
	}))
	defer foreign.Close()
	reg := imagestest.Start(t, nil)
	fl, err := random.Layer(8192, types.DockerForeignLayer)
	if err != nil {
		t.Fatal(err)
	}
	fd, _ := fl.Digest()
	img, err := mutate.Append(empty.Image,
		mutate.Addendum{Layer: fl, MediaType: types.DockerForeignLayer, URLs: []string{foreign.URL + "/" + fd.String()}},
	)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.AppendLayers(img, imagestest.Layers(t, 1, 1024)...)
	if err != nil {
		t.Fatal(err)
	}
	img = imagestest.WithPlatform(t, img, "windows", "amd64", os2019)
	imagestest.Push(t, reg.Host+"/servercore:ltsc2019", imagestest.Index(t, img))

	rep, err := Check(context.Background(), []string{reg.Host + "/servercore:ltsc2019"}, "2019", Options{MeasureUncompressed: true})
	if err != nil {
		t.Fatal(err)
	}
	im := rep.Images[0]
	if im.Status != StatusCompatible || len(im.Layers) != 2 {
		t.Fatalf("%+v", im)
	}
	size, _ := fl.Size()
	if l := im.Layers[0]; !l.Foreign || l.Size != size || !l.Estimated {
		t.Errorf("foreign layer: %+v (want foreign, size %d from the descriptor, estimated)", l, size)
	}
	if l := im.Layers[1]; l.Foreign || l.Estimated {
		t.Errorf("distributable layer after measuring: %+v", l)
	}
	if n := foreignHits.Load(); n != 0 {
		t.Errorf("the foreign layer's URL was fetched %d times", n)
	}
	if n := reg.Count("GET", "/blobs/"+fd.String()); n != 0 {
		t.Errorf("the foreign layer's blob was fetched from the registry %d times", n)
	}
}

func TestMissingTag(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	imagestest.Push(t, reg.Host+"/app:1", imagestest.Index(t, imagestest.WindowsImage(t, os2022, nil, 1)))
	refs := []string{reg.Host + "/app:1", reg.Host + "/app:2", reg.Host + "/nothere:1"}
	rep, err := Check(context.Background(), refs, "2022", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || rep.Totals.Missing != 2 || rep.Totals.Compatible != 1 {
		t.Fatalf("totals %+v", rep.Totals)
	}
	for _, im := range rep.Images[1:] {
		if im.Status != StatusMissing || im.Compatible || im.Digest != "" || !strings.Contains(im.Message, reg.Host) {
			t.Errorf("%s: %+v", im.Ref, im)
		}
	}
	// Not found is not retried.
	if n := reg.Count("GET", "/app/manifests/2"); n != 1 {
		t.Errorf("missing tag requested %d times, want 1", n)
	}
}

func TestTimeoutOnceThenRetried(t *testing.T) {
	noDockerConfig(t)
	var armed, stalled atomic.Bool
	release := make(chan struct{})
	defer close(release)
	reg := imagestest.Start(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if armed.Load() && strings.Contains(r.URL.Path, "/manifests/") && stalled.CompareAndSwap(false, true) {
				select { // hang past the attempt timeout, once
				case <-r.Context().Done():
				case <-release:
				}
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	imagestest.Push(t, reg.Host+"/slow:1", imagestest.Index(t, imagestest.WindowsImage(t, os2022, nil, 1)))
	armed.Store(true)
	start := time.Now()
	rep, err := Check(context.Background(), []string{reg.Host + "/slow:1"}, "2022",
		Options{AttemptTimeout: time.Second, RetryBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; im.Status != StatusCompatible {
		t.Fatalf("status %s: %s", im.Status, im.Message)
	}
	if n := reg.Count("GET", "/slow/manifests/1"); n != 2 {
		t.Errorf("tag manifest requested %d times, want 2 (a timeout, then a retry)", n)
	}
	if d := time.Since(start); d < time.Second || d > 10*time.Second {
		t.Errorf("took %s", d)
	}

	// A registry that never answers: an error naming the timeout, after Attempts tries.
	never := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer never.Close()
	host := strings.TrimPrefix(never.URL, "http://")
	rep, err = Check(context.Background(), []string{host + "/x:1"}, "2022",
		Options{AttemptTimeout: 100 * time.Millisecond, RetryBackoff: time.Millisecond, Attempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; im.Status != StatusError || !strings.Contains(im.Message, "2 attempts") {
		t.Errorf("dead registry: %+v", im)
	}
}

func basicAuth(user, pass string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

func TestPrivateRegistryDockerConfig(t *testing.T) {
	reg := imagestest.Start(t, nil)
	priv := imagestest.Start(t, basicAuth("ci", "s3cret"))
	img := imagestest.Index(t, imagestest.WindowsImage(t, os2022, nil, 1))
	// Push to the open registry, then copy through the private one with credentials.
	imagestest.Push(t, reg.Host+"/app:1", img)
	r, _ := name.ParseReference(priv.Host + "/app:1")
	if err := remote.WriteIndex(r, img, remote.WithAuth(&authn.Basic{Username: "ci", Password: "s3cret"})); err != nil {
		t.Fatal(err)
	}
	ref := priv.Host + "/app:1"

	noDockerConfig(t)
	rep, err := Check(context.Background(), []string{ref}, "2022", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; im.Status != StatusError || !strings.Contains(im.Message, "not authorized") {
		t.Errorf("anonymous: %+v", im)
	}

	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("ci:s3cret"))
	cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, priv.Host, auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	rep, err = Check(context.Background(), []string{ref, reg.Host + "/app:1"}, "2022", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range rep.Images {
		if im.Status != StatusCompatible {
			t.Errorf("%s with docker config: %s %s", im.Ref, im.Status, im.Message)
		}
	}
	// Same image in two registries: its layers are counted once.
	if rep.Totals.UniqueLayers != 1 {
		t.Errorf("unique layers %d, want 1", rep.Totals.UniqueLayers)
	}
}

func TestBadInput(t *testing.T) {
	if _, err := Check(context.Background(), []string{"UPPER/case:1"}, "2022", Options{}); err == nil {
		t.Error("bad reference accepted")
	} else {
		var re *RefError
		if !errors.As(err, &re) || re.Ref != "UPPER/case:1" {
			t.Errorf("err %v, want a *RefError", err)
		}
	}
	if _, err := Check(context.Background(), nil, "2016", Options{}); err == nil || !strings.Contains(err.Error(), "2016") {
		t.Errorf("windows 2016: %v", err)
	}
	if _, err := Check(context.Background(), nil, "10.0.14393", Options{}); err == nil || !strings.Contains(err.Error(), "10.0.20348") {
		t.Errorf("build 10.0.14393: %v", err)
	}
}

func TestRootVolumeGiB(t *testing.T) {
	for _, tc := range []struct {
		parent int
		bytes  int64
		head   float64
		free   int
		want   int
	}{
		{50, 0, 1.5, 20, 70},
		{50, 8 << 30, 1.5, 20, 82},
		{50, 8<<30 + 1, 1.5, 20, 83},
		{30, 10 << 30, 1.25, 0, 43},
	} {
		if got := RootVolumeGiB(tc.parent, tc.bytes, tc.head, tc.free); got != tc.want {
			t.Errorf("RootVolumeGiB(%d, %d, %v, %d) = %d, want %d", tc.parent, tc.bytes, tc.head, tc.free, got, tc.want)
		}
	}
}

func TestIndexEntryWithoutOSVersion(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	img2019 := imagestest.WindowsImage(t, os2019, nil, 1)
	img2022 := imagestest.WindowsImage(t, os2022, nil, 1)
	// The index says windows/amd64 but not which build: the configs do.
	idx := mutate.IndexMediaType(empty.Index, types.DockerManifestList)
	for _, img := range []v1.Image{img2019, img2022} {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "windows", Architecture: "amd64"}}})
	}
	imagestest.Push(t, reg.Host+"/old:1", idx)
	// containerd's matcher accepts both entries on a 2022 host (no os.version) and takes
	// the first: the 2019 one, which does not run. Refused, with the 2022 entry's digest.
	for _, k := range []string{"1.33", "1.34", ""} {
		opts := fastOpts()
		opts.Kubernetes = k
		rep, err := Check(context.Background(), []string{reg.Host + "/old:1"}, "2022", opts)
		if err != nil {
			t.Fatal(err)
		}
		im := rep.Images[0]
		if im.Status != StatusIncompatible || rep.OK() || im.Suggestion != reg.Host+"/old@"+imagestest.Digest(t, img2022) {
			t.Errorf("%s: %+v", k, im)
		}
		for _, p := range im.Pulls {
			if p.Runs || p.Index != 0 || p.OSVersion != os2019 || !strings.Contains(p.Reason, "no os.version") {
				t.Errorf("%s: pull %+v", k, p)
			}
		}
		if len(im.Entries) != 2 || !im.Entries[0].FromConfig || im.Entries[1].OSVersion != os2022 {
			t.Errorf("%s: entries %+v", k, im.Entries)
		}
		if !strings.Contains(im.Message, "index entry 0") || !strings.Contains(im.Message, "entry 1") {
			t.Errorf("%s: message %q", k, im.Message)
		}
		if strings.Join(im.CompatibleWith, ",") != "ltsc2019" {
			t.Errorf("compatibleWith %v", im.CompatibleWith)
		}
	}
	// The platform manifest by digest: nothing to choose, it runs.
	rep, err := Check(context.Background(), []string{reg.Host + "/old@" + imagestest.Digest(t, img2022)}, "2022", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; im.Status != StatusCompatible || im.OSVersion != os2022 || im.Pulls[0].Index != -1 {
		t.Errorf("by digest: %+v", im)
	}
	// On 2019 the first entry is the right one.
	rep, err = Check(context.Background(), []string{reg.Host + "/old:1"}, "2019", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; im.Status != StatusCompatible || im.ManifestDigest != imagestest.Digest(t, img2019) {
		t.Errorf("2019: %+v", im)
	}
}

func TestMeasureRetriesAStalledLayer(t *testing.T) {
	noDockerConfig(t)
	l, err := random.Layer(64<<10, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	ld, _ := l.Digest()
	var armed, stalled atomic.Bool
	reg := imagestest.Start(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if armed.Load() && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+ld.String()) && stalled.CompareAndSwap(false, true) {
				w.WriteHeader(http.StatusOK)
				w.(http.Flusher).Flush()
				<-r.Context().Done() // headers, then silence
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	imagestest.Push(t, reg.Host+"/big:1", imagestest.Index(t, imagestest.WithPlatform(t, img, "windows", "amd64", os2022)))
	armed.Store(true)
	rep, err := Check(context.Background(), []string{reg.Host + "/big:1"}, "2022",
		Options{MeasureUncompressed: true, AttemptTimeout: 500 * time.Millisecond, RetryBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	want, err := uncompressedSize(l)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Totals.UncompressedBytes; got != want || rep.Totals.UncompressedEstimated {
		t.Errorf("measured %d (estimated=%v), want %d", got, rep.Totals.UncompressedEstimated, want)
	}
	if n := reg.Count("GET", "/blobs/"+ld.String()); n != 2 {
		t.Errorf("layer fetched %d times, want 2 (a stall, then a retry)", n)
	}
}

// TestWindows2025RunsLTSC2022: hcsshim's rule end to end. A 2025 AMI runs ltsc2022
// images; a 2022 AMI does not run ltsc2025 images; 2019 runs only 17763.
func TestWindows2025RunsLTSC2022(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	base := imagestest.Layers(t, 1, 2048)
	imagestest.PushWindows(t, reg.Host+"/app:1-ltsc2022", base, os2022)
	imagestest.PushWindows(t, reg.Host+"/app:1-ltsc2025", base, os2025)
	imagestest.PushWindows(t, reg.Host+"/app:1-ltsc2019", base, os2019)
	want := map[string]map[string]Status{
		"2019": {"ltsc2019": StatusCompatible, "ltsc2022": StatusIncompatible, "ltsc2025": StatusIncompatible},
		"2022": {"ltsc2019": StatusIncompatible, "ltsc2022": StatusCompatible, "ltsc2025": StatusIncompatible},
		"2025": {"ltsc2019": StatusIncompatible, "ltsc2022": StatusCompatible, "ltsc2025": StatusCompatible},
	}
	for host, row := range want {
		for tag, st := range row {
			ref := reg.Host + "/app:1-" + tag
			rep, err := Check(context.Background(), []string{ref}, host, fastOpts())
			if err != nil {
				t.Fatal(err)
			}
			if im := rep.Images[0]; im.Status != st {
				t.Errorf("host %s, image %s: %s (%s), want %s", host, tag, im.Status, im.Message, st)
			}
		}
	}
	rep, err := Check(context.Background(), []string{reg.Host + "/app:1-ltsc2022"}, "2025", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; strings.Join(im.CompatibleWith, ",") != "ltsc2022,ltsc2025" || im.OSVersion != os2022 {
		t.Errorf("ltsc2022 image: %+v", im)
	}
}

// TestPullOlderBuildWarns: an index listing ltsc2022 before ltsc2025 (both labelled).
// containerd 2.1.6 (2025 AMIs) pulls the 2025 entry; containerd 1.7 would pull the
// 2022 one: it runs, with a warning naming the entry it skips.
func TestPullOlderBuildWarns(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	img2022 := imagestest.WindowsImage(t, os2022, nil, 1)
	img2025 := imagestest.WindowsImage(t, os2025, nil, 1)
	ref := reg.Host + "/multi:1"
	imagestest.Push(t, ref, imagestest.Index(t, img2022, img2025))

	opts := fastOpts()
	rep, err := Check(context.Background(), []string{ref}, "2025", opts)
	if err != nil {
		t.Fatal(err)
	}
	im := rep.Images[0]
	if im.Status != StatusCompatible || im.ManifestDigest != imagestest.Digest(t, img2025) || len(im.Warnings) != 0 {
		t.Errorf("2025 with its own containerd: %+v", im)
	}
	if p := im.Pulls[0]; p.Containerd != "2.1.6" || p.Order != catalog.OrderOSVersion || strings.Join(p.Kubernetes, ",") != "1.35" {
		t.Errorf("pull %+v", p)
	}

	opts.Containerd = "1.7.30"
	rep, err = Check(context.Background(), []string{ref}, "2025", opts)
	if err != nil {
		t.Fatal(err)
	}
	im = rep.Images[0]
	if im.Status != StatusCompatible || im.ManifestDigest != imagestest.Digest(t, img2022) || len(im.Warnings) != 1 ||
		!strings.Contains(im.Warnings[0], "@"+imagestest.Digest(t, img2025)) {
		t.Errorf("2025 with containerd 1.7.30: %+v", im)
	}

	opts.Containerd = "1.5"
	if _, err := Check(context.Background(), []string{ref}, "2025", opts); err == nil || !strings.Contains(err.Error(), "containerd version") {
		t.Errorf("containerd 1.5: %v", err)
	}
}

// TestSuggestUnlabelledSibling: the sibling ltsc tag is an index whose entries carry no
// os.version; its config says the build, so it is suggested. On a 2025 host the
// host's own ltsc2025 sibling wins over ltsc2022; without it, ltsc2022 is suggested.
func TestSuggestUnlabelledSibling(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	base := imagestest.Layers(t, 1, 2048)
	imagestest.PushWindows(t, reg.Host+"/web:3.0-ltsc2019", base, os2019)
	imagestest.Push(t, reg.Host+"/web:3.0-ltsc2022", imagestest.IndexWithoutOSVersion(t, imagestest.WindowsImage(t, os2022, base, 1)))
	imagestest.PushWindows(t, reg.Host+"/api:2-ltsc2019", base, os2019)
	imagestest.Push(t, reg.Host+"/api:2-ltsc2022", imagestest.IndexWithoutOSVersion(t, imagestest.WindowsImage(t, os2022, base, 1)))
	imagestest.Push(t, reg.Host+"/api:2-ltsc2025", imagestest.IndexWithoutOSVersion(t, imagestest.WindowsImage(t, os2025, base, 1)))
	// A sibling whose unlabelled index lists 2019 first: containerd would pull that one.
	imagestest.PushWindows(t, reg.Host+"/bad:1-ltsc2019", base, os2019)
	imagestest.Push(t, reg.Host+"/bad:1-ltsc2022", imagestest.IndexWithoutOSVersion(t,
		imagestest.WindowsImage(t, os2019, base, 1), imagestest.WindowsImage(t, os2022, base, 1)))

	for _, tc := range []struct{ ref, host, want string }{
		{"/web:3.0-ltsc2019", "2022", "/web:3.0-ltsc2022"},
		{"/web:3.0-ltsc2019", "2025", "/web:3.0-ltsc2022"},
		{"/api:2-ltsc2019", "2025", "/api:2-ltsc2025"},
		{"/api:2-ltsc2019", "2022", "/api:2-ltsc2022"},
		{"/bad:1-ltsc2019", "2022", ""},
	} {
		rep, err := Check(context.Background(), []string{reg.Host + tc.ref}, tc.host, fastOpts())
		if err != nil {
			t.Fatal(err)
		}
		im := rep.Images[0]
		want := ""
		if tc.want != "" {
			want = reg.Host + tc.want
		}
		if im.Status != StatusIncompatible || im.Suggestion != want {
			t.Errorf("%s on %s: %s, suggestion %q, want %q", tc.ref, tc.host, im.Status, im.Suggestion, want)
		}
		if want != "" && !strings.HasSuffix(im.Message, "; use "+want) {
			t.Errorf("%s on %s: message %q", tc.ref, tc.host, im.Message)
		}
	}
}

// TestMissingVersusBroken: only the reference itself can be missing. An index entry or
// config blob the registry does not have is an error (the image is broken).
func TestMissingVersusBroken(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	img := imagestest.WindowsImage(t, os2022, nil, 1)
	imagestest.Push(t, reg.Host+"/noconfig:1", img)
	child := imagestest.WindowsImage(t, os2022, nil, 1)
	imagestest.Push(t, reg.Host+"/nochild:1", imagestest.IndexWithoutOSVersion(t, child))
	reg.Hide(imagestest.ConfigDigest(t, img), imagestest.Digest(t, child))

	refs := []string{reg.Host + "/noconfig:1", reg.Host + "/nochild:1", reg.Host + "/noconfig:2", reg.Host + "/norepo:1",
		reg.Host + "/noconfig@sha256:" + strings.Repeat("0", 64)}
	rep, err := Check(context.Background(), refs, "2022", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		st   Status
		text string
	}{
		{StatusError, "broken"},
		{StatusError, "index entry 0"},
		{StatusMissing, "tag 2 not found in repository noconfig"},
		{StatusMissing, "repository norepo does not exist"},
		{StatusMissing, "digest sha256:000"},
	}
	for i, w := range want {
		if im := rep.Images[i]; im.Status != w.st || !strings.Contains(im.Message, w.text) {
			t.Errorf("%s: %s %q, want %s containing %q", im.Ref, im.Status, im.Message, w.st, w.text)
		}
	}
	if rep.Totals.Missing != 3 || rep.Totals.Errors != 2 {
		t.Errorf("totals %+v", rep.Totals)
	}
}

// TestHostileOSVersion: an os.version with terminal escapes (a registry controls it) is
// printed harmlessly and matches no host, as containerd's parser rejects it.
func TestHostileOSVersion(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	evil := "10.0.20348.1\x1b]0;pwned\x07"
	imagestest.PushWindows(t, reg.Host+"/evil:1", nil, evil)
	rep, err := Check(context.Background(), []string{reg.Host + "/evil:1"}, "2022", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	im := rep.Images[0]
	if im.Status != StatusIncompatible {
		t.Errorf("status %s", im.Status)
	}
	for _, s := range append([]string{im.Message, im.Entries[0].OSVersion}, im.Platforms...) {
		if strings.ContainsAny(s, "\x1b\x07") {
			t.Errorf("control characters printed: %q", s)
		}
	}
}

// TestDefaultTransportHasDeadlines: the registry transport bounds connecting, the TLS
// handshake and the response headers by itself, besides each attempt's context.
func TestDefaultTransportHasDeadlines(t *testing.T) {
	tr, ok := Options{AttemptTimeout: 7 * time.Second}.withDefaults().Transport.(*http.Transport)
	if !ok {
		t.Fatalf("default transport is %T", Options{}.withDefaults().Transport)
	}
	if tr.ResponseHeaderTimeout != 7*time.Second || tr.TLSHandshakeTimeout <= 0 || tr.DialContext == nil {
		t.Errorf("response headers %v, TLS %v, dial %v", tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, tr.DialContext != nil)
	}
}
