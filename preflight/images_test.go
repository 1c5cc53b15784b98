package preflight_test

import (
	"context"
	"strings"
	"testing"

	"github.com/winami/winami/check"
	"github.com/winami/winami/images"
	"github.com/winami/winami/images/imagestest"
	"github.com/winami/winami/preflight"
)

func TestDoctorCachedImages(t *testing.T) {
	host := imagestest.Start(t, nil).Host
	imagestest.PushWindows(t, host+"/team/app:ltsc2022", nil, "10.0.20348.2700")
	imagestest.PushWindows(t, host+"/team/old:ltsc2019", nil, "10.0.17763.6054")
	checkImages := preflight.ImagesCheck(images.Options{Attempts: 1})
	ctx := context.Background()

	if c := checkImages(ctx, []string{host + "/team/app:ltsc2022"}, "2022", "1.33"); c.Status != check.Pass {
		t.Errorf("compatible image: %+v", c)
	}
	c := checkImages(ctx, []string{host + "/team/app:ltsc2022", host + "/team/old:ltsc2019"}, "2022", "1.33")
	if c.Status != check.Fail || !strings.Contains(c.Message, "team/old:ltsc2019 is incompatible") || !strings.Contains(c.Fix, "ltsc2022") {
		t.Errorf("incompatible image: %+v", c)
	}
	// A missing repository is not a wrong tag: the advice says the repository does not
	// exist, not to pick another ltsc tag.
	c = checkImages(ctx, []string{host + "/team/none:1"}, "2022", "1.33")
	if c.Status != check.Fail || !strings.Contains(c.Message, "missing") || !strings.Contains(c.Message, "repository team/none does not exist") ||
		!strings.Contains(c.Fix, "the repository does not exist") || strings.Contains(c.Fix, "ltsc") {
		t.Errorf("missing repository: %+v", c)
	}
	c = checkImages(ctx, []string{host + "/team/app:nope"}, "2022", "1.33")
	if c.Status != check.Fail || !strings.Contains(c.Fix, "no such tag") || strings.Contains(c.Fix, "ltsc") {
		t.Errorf("missing tag: %+v", c)
	}
	// hcsshim's rule: a 2025 AMI runs the ltsc2022 image; the advice for the ltsc2019 one
	// names what a 2025 host runs.
	if c := checkImages(ctx, []string{host + "/team/app:ltsc2022"}, "2025", "1.35"); c.Status != check.Pass {
		t.Errorf("ltsc2022 on 2025: %+v", c)
	}
	c = checkImages(ctx, []string{host + "/team/old:ltsc2019"}, "2025", "1.35")
	if c.Status != check.Fail || !strings.Contains(c.Fix, "runs ltsc2022 and ltsc2025 images only") {
		t.Errorf("ltsc2019 on 2025: %+v", c)
	}

	// Through the doctor: only the cached-images check fails.
	w := newDocWorld(t)
	w.d.CheckImages = checkImages
	img := loadSpec(t)
	img.Spec.Cache.Images = []string{host + "/team/old:ltsc2019"}
	onlyFailure(t, w.run(t, img), preflight.CheckCachedImages)
}

// TestDoctorCachedImagesSuggestsOnce: an incompatible image whose repository has the
// right tag names it once ("…; use <ref>"), not twice.
func TestDoctorCachedImagesSuggestsOnce(t *testing.T) {
	host := imagestest.Start(t, nil).Host
	imagestest.PushWindows(t, host+"/legacy-app:2.0-ltsc2019", nil, "10.0.17763.6054")
	imagestest.PushWindows(t, host+"/legacy-app:2.0-ltsc2022", nil, "10.0.20348.2700")
	checkImages := preflight.ImagesCheck(images.Options{Attempts: 1})
	c := checkImages(context.Background(), []string{host + "/legacy-app:2.0-ltsc2019"}, "2022", "1.33")
	suggestion := host + "/legacy-app:2.0-ltsc2022"
	if c.Status != check.Fail || !strings.Contains(c.Message, "use "+suggestion) {
		t.Fatalf("incompatible image with a suggestion: %+v", c)
	}
	if n := strings.Count(c.Message, suggestion); n != 1 {
		t.Errorf("the suggestion %s appears %d times in %q, want once", suggestion, n, c.Message)
	}
}
