package preflight_test

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/winami/winami/images"
	"github.com/winami/winami/preflight"
)

// pushWindows pushes a manifest list with one windows/amd64 entry of osVersion.
func pushWindows(t *testing.T, ref, osVersion string) {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.OSVersion = "windows", "amd64", osVersion
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		t.Fatal(err)
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.DockerManifestList), mutate.IndexAddendum{Add: img,
		Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "windows", Architecture: "amd64", OSVersion: osVersion}}})
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
}

func TestDoctorCachedImages(t *testing.T) {
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	pushWindows(t, host+"/team/app:ltsc2022", "10.0.20348.2700")
	pushWindows(t, host+"/team/old:ltsc2019", "10.0.17763.6054")
	check := preflight.ImagesCheck(images.Options{Attempts: 1})
	ctx := context.Background()

	if c := check(ctx, []string{host + "/team/app:ltsc2022"}, "2022"); c.Status != preflight.Pass {
		t.Errorf("compatible image: %+v", c)
	}
	c := check(ctx, []string{host + "/team/app:ltsc2022", host + "/team/old:ltsc2019"}, "2022")
	if c.Status != preflight.Fail || !strings.Contains(c.Message, "team/old:ltsc2019 is incompatible") || !strings.Contains(c.Fix, "ltsc2022") {
		t.Errorf("incompatible image: %+v", c)
	}
	if c := check(ctx, []string{host + "/team/none:1"}, "2022"); c.Status != preflight.Fail || !strings.Contains(c.Message, "missing") {
		t.Errorf("missing image: %+v", c)
	}

	// Through the doctor: only the cached-images check fails.
	w := newDocWorld(t)
	w.d.CheckImages = check
	img := loadSpec(t)
	img.Spec.Cache.Images = []string{host + "/team/old:ltsc2019"}
	onlyFailure(t, w.run(t, img), preflight.CheckCachedImages)
}
