package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/winami/winami/images"
	"github.com/winami/winami/images/imagestest"
	"github.com/winami/winami/render"
	"github.com/winami/winami/rootvolume"
	"github.com/winami/winami/spec"
)

var planRootVolumeRE = regexp.MustCompile(`root volume: (\d+) GiB \(rootVolumeSize: auto: ([^\n]*)\)`)

// TestOneRootVolumeAnswer: winami images check -f and winami plan -f give the same root
// volume for the same spec, whether the registry can be read, cannot be read, or can be
// read for some images only (the others count rootvolume.EstimatePerImageGiB each in
// both); plan --no-registry gives what render writes offline.
func TestOneRootVolumeAnswer(t *testing.T) {
	t.Parallel()
	host := imageRegistry(t)
	base := imagestest.Layers(t, 2, 3<<20)
	own := imagestest.Layers(t, 1, 1<<20)
	web, app := host+"/web:1.0", host+"/app:2.0"
	imagestest.Push(t, web, imagestest.WindowsImage(t, osLTSC2022, base, 0))
	imagestest.Push(t, app, imagestest.WindowsImage(t, osLTSC2022, append(append([]v1.Layer(nil), base...), own...), 0))
	unreadable := "127.0.0.1:1/offline/app:1" // nothing listens on port 1
	missing := host + "/missing:1"

	useBuildWorld(t, buildClock())
	for _, tc := range []struct {
		name      string
		refs      []string
		measured  int
		estimated int
		gib       int // 50 parent + ceil(cache × 1.5) + 20 free
	}{
		{"readable", []string{web, app}, 2, 0, 50 + 1 + 20},                                   // a few MiB measured
		{"unreadable", []string{unreadable, "127.0.0.1:1/offline/web:1"}, 0, 2, 50 + 24 + 20}, // 2 × 8 GiB
		{"mixed", []string{web, missing, unreadable}, 1, 2, 50 + 25 + 20},                     // 2 × 8 GiB + a few MiB
	} {
		t.Run(tc.name, func(t *testing.T) {
			var list string
			for _, r := range tc.refs {
				list += "      - " + r + "\n"
			}
			f := filepath.Join(t.TempDir(), "winami.yaml")
			body := strings.NewReplacer(
				"      - mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022\n      - IMAGE\n", list,
				"PROFILE", "EC2InstanceProfileForImageBuilder").Replace(buildSpec)
			if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}

			out, errOut, code := run(t, "images", "check", "-f", f, "-o", "json", "--attempts", "1")
			if tc.estimated == 0 && code != ExitOK || tc.estimated > 0 && code != ExitProblem {
				t.Fatalf("images check: exit %d\n%s%s", code, out, errOut)
			}
			var rep images.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			rv := rep.Totals.RootVolume
			if rv.MeasuredImages != tc.measured || rv.EstimatedImages != tc.estimated || len(rv.EstimateReasons) != tc.estimated ||
				rv.ParentGiB != 50 || rv.MinimumGiB != rootvolume.MinimumGiB || rv.GiB != rep.Totals.RootVolumeGiB {
				t.Fatalf("images check root volume %+v", rv)
			}
			if rv.GiB != tc.gib {
				t.Errorf("images check %d GiB, want %d (%s)", rv.GiB, tc.gib, rv.Formula)
			}

			_, errOut, code = run(t, "plan", "-f", f)
			m := planRootVolumeRE.FindStringSubmatch(errOut)
			if m == nil {
				t.Fatalf("plan: exit %d, no root volume line:\n%s", code, errOut)
			}
			if got, _ := strconv.Atoi(m[1]); got != rv.GiB || m[2] != rv.Formula {
				t.Errorf("plan: root volume %s GiB (%s), images check %d GiB (%s)", m[1], m[2], rv.GiB, rv.Formula)
			}
			if tc.estimated > 0 && !strings.Contains(errOut, fmt.Sprintf("%d of %d image(s) could not be read", tc.estimated, len(tc.refs))) {
				t.Errorf("plan does not say which images were estimated:\n%s", errOut)
			}

			// Offline: render's estimate is plan --no-registry's.
			_, errOut, _ = run(t, "plan", "-f", f, "--no-registry")
			m = planRootVolumeRE.FindStringSubmatch(errOut)
			img, err := spec.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if want := render.AutoRootVolume(img, len(tc.refs)); m == nil || m[1] != strconv.Itoa(want) {
				t.Errorf("plan --no-registry %v, render.AutoRootVolume %d:\n%s", m, want, errOut)
			}
		})
	}
}
