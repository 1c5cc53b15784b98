package images

import (
	"context"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/winami/winami/images/imagestest"
)

func layerBytes(t *testing.T, ls ...v1.Layer) int64 {
	t.Helper()
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

// TestCacheCoverage: the images a cluster's Windows pods run (client-go fake), read from
// a loopback registry against what an AMI caches: cached by name, cached by digest, a
// shared base counted as cached, an image with nothing cached, an image for another
// Windows build and an image that cannot be read; the total counts each missing layer once.
func TestCacheCoverage(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	h := reg.Host
	base := imagestest.Layers(t, 2, 64<<10)
	webOwn, appOwn, toolOwn := imagestest.Layers(t, 1, 8<<10), imagestest.Layers(t, 1, 16<<10), imagestest.Layers(t, 2, 4<<10)
	web := imagestest.WindowsImage(t, os2022, append(append([]v1.Layer(nil), base...), webOwn...), 0)
	webDigest := imagestest.Push(t, h+"/web:1.0", web)
	imagestest.Push(t, h+"/app:2.0", imagestest.WindowsImage(t, os2022, append(append([]v1.Layer(nil), base...), appOwn...), 0))
	// tool shares its own layers with a second image no pod runs twice: counted once.
	imagestest.Push(t, h+"/tool:1", imagestest.WindowsImage(t, os2022, toolOwn, 0))
	imagestest.Push(t, h+"/tool:1-debug", imagestest.WindowsImage(t, os2022, toolOwn, 0))
	imagestest.PushWindows(t, h+"/old:1", base, os2019)

	cs := fake.NewSimpleClientset([]runtime.Object{
		node("win-1", "windows"),
		pod("shop", "web-1", "win-1", corev1.PodRunning, podSpec(nil, h+"/web:1.0")),
		pod("shop", "web-pinned", "win-1", corev1.PodRunning, podSpec(nil, h+"/web@"+webDigest)),
		pod("shop", "app-1", "win-1", corev1.PodRunning, podSpec(nil, h+"/app:2.0")),
		pod("shop", "tool-1", "win-1", corev1.PodRunning, podSpec(nil, h+"/tool:1", h+"/tool:1-debug")),
		pod("shop", "old-1", "", corev1.PodPending, podSpec(winSelector, h+"/old:1")),
		pod("shop", "gone-1", "", corev1.PodPending, podSpec(winSelector, h+"/gone:1")),
	}...)
	d, err := Discover(context.Background(), cs, DiscoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// What the AMI records: web at the digest the build resolved. The tag then moves:
	// the node still holds the old image under that name.
	cached := []string{h + "/web:1.0@" + webDigest}
	imagestest.Push(t, h+"/web:1.0", imagestest.WindowsImage(t, os2022, imagestest.Layers(t, 3, 1<<10), 0))

	cov, err := CacheCoverage(context.Background(), d.Images, cached, true, "2022", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ImageCoverage{}
	for _, ic := range cov.Images {
		got[ic.Image] = ic
	}
	want := map[string]struct {
		status       CoverageStatus
		pull         int64
		cachedLayers int
	}{
		h + "/web:1.0":          {CoverageCached, 0, 3},
		h + "/web@" + webDigest: {CoverageCached, 0, 3},
		h + "/app:2.0":          {CoveragePartly, layerBytes(t, appOwn...), 2},
		h + "/tool:1":           {CoverageNotCached, layerBytes(t, toolOwn...), 0},
		h + "/tool:1-debug":     {CoverageNotCached, layerBytes(t, toolOwn...), 0},
		h + "/old:1":            {CoverageIncompatible, 0, 0},
		h + "/gone:1":           {CoverageUnknown, 0, 0},
	}
	for ref, w := range want {
		ic, ok := got[ref]
		if !ok || ic.Status != w.status || ic.PullBytes != w.pull || ic.CachedLayers != w.cachedLayers {
			t.Errorf("%s: %+v, want %+v", ref, ic, w)
		}
	}
	if total := layerBytes(t, appOwn...) + layerBytes(t, toolOwn...); cov.PullBytes != total {
		t.Errorf("pull bytes %d, want %d (app's own layer + tool's layers once)", cov.PullBytes, total)
	}
	if cov.Covered != 2 || cov.Unknown != 1 || cov.Windows != "10.0.20348" || !cov.CacheKnown {
		t.Errorf("coverage %+v", cov)
	}
	if wantAdd := []string{h + "/app:2.0", h + "/gone:1", h + "/tool:1", h + "/tool:1-debug"}; !slices.Equal(cov.Add, wantAdd) {
		t.Errorf("add %v, want %v", cov.Add, wantAdd)
	}

	// Caching what Add proposes closes it.
	cov, err = CacheCoverage(context.Background(), d.Images, append(cached, cov.Add...), true, "2022", fastOpts())
	if err != nil || cov.PullBytes != 0 || len(cov.Add) != 0 {
		t.Errorf("after adding: %v pull %d add %v", err, cov.PullBytes, cov.Add)
	}

	// An AMI that records nothing: every layer is pulled.
	cov, err = CacheCoverage(context.Background(), d.Images[:1], nil, false, "2022", fastOpts())
	if err != nil || cov.CacheKnown || cov.Note == "" || cov.PullBytes == 0 || cov.Images[0].Status != CoverageNotCached {
		t.Errorf("unknown cache: %v %+v", err, cov)
	}
}
