package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// brokenSpec has several problems, each on its own line.
const brokenSpec = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: prod-win2022
  region: us-east-1
spec:
  kubernetesVersion: "v1.31"
  windows: {version: "2016", edition: Core}
  build:
    instanceType: m6i.2xlarge
    rootVolumeSize: 20
  distribution:
    regions: [us-east-1]
    publishParameter: /aws/prod/image_id
`

// specProblemsRE is the one format of a spec's problems: a header naming the file and
// the count, then one indented line per problem with its file and line; one problem is
// written on the header's line.
var specProblemsRE = map[string]*regexp.Regexp{
	"broken.yaml": regexp.MustCompile(`^error: invalid spec \S+broken\.yaml \(5 problems\):\n(  \S+broken\.yaml:\d+: spec\.[^\n]+\n){5}$`),
	"one.yaml":    regexp.MustCompile(`^error: invalid spec: \S+one\.yaml:7: spec\.kubernetesVersion: [^\n]+\n$`),
}

// TestSpecProblemsOneFormat: every command that takes -f prints a broken spec's problems
// the same way (render's) and exits 2, before calling AWS.
func TestSpecProblemsOneFormat(t *testing.T) {
	t.Parallel()
	useEmulator(t)
	dir := t.TempDir()
	specs := map[string]string{
		"broken.yaml": brokenSpec,
		"one.yaml":    goodSpec[:strings.Index(goodSpec, "kubernetesVersion")] + `kubernetesVersion: "v1.31"` + goodSpec[strings.Index(goodSpec, "\n  windows:"):],
	}
	for name, text := range specs {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, want, code := run(t, "render", "-f", f, "-d", filepath.Join(dir, "out"))
		if code != ExitUsage || !specProblemsRE[name].MatchString(want) {
			t.Fatalf("render %s: exit %d, stderr:\n%s", name, code, want)
		}
		for _, args := range [][]string{
			{"plan", "-f", f},
			{"apply", "-f", f, "--yes"},
			{"build", "-f", f},
			{"audit", "-f", f},
			{"doctor", "-f", f},
			{"prune", "-f", f},
			{"iam-policy", "-f", f},
			{"images", "check", "-f", f},
		} {
			stdout, stderr, code := run(t, args...)
			if code != ExitUsage || stderr != want || stdout != "" {
				t.Errorf("winami %v: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and render's:\n%s", args, code, stdout, stderr, want)
			}
		}
	}
}

func TestSupportEndWarning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	spec := "../../examples/minimal-2019-core.yaml"

	useClock(t, func() time.Time { return time.Date(2028, 9, 1, 0, 0, 0, 0, time.UTC) })
	_, stderr, code := run(t, "render", "-f", spec, "-d", dir)
	if code != 0 || !strings.Contains(stderr, "spec.windows.version: Windows Server 2019 leaves Microsoft extended support on 2029-01-09 (less than 6 months)") {
		t.Errorf("four months before the end: exit %d, stderr %q", code, stderr)
	}

	useClock(t, func() time.Time { return time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC) })
	_, stderr, code = run(t, "render", "-f", spec, "-d", t.TempDir())
	if code != 0 || strings.Contains(stderr, "extended support") {
		t.Errorf("years before the end: exit %d, stderr %q", code, stderr)
	}
}
