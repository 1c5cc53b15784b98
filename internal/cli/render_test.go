package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winami/winami/spec"
)

// goodSpec is a valid spec that each bad-input case breaks in one place.
const goodSpec = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: prod-win2022
  region: us-east-1
spec:
  kubernetesVersion: "1.31"
  windows: {version: "2022", edition: Core}
  cache:
    images:
      - mcr.microsoft.com/windows/servercore:ltsc2022
  build:
    rootVolumeSize: auto
    subnetId: subnet-0123456789abcdef0
    securityGroupIds: [sg-0123456789abcdef0]
  distribution:
    regions: [us-east-1, us-west-2]
    fastLaunch: {enabled: true, maxParallelLaunches: 6, launchTemplate: {name: fast}}
    publishParameter: /winami/prod/image_id
    launchPermissions: {accounts: ["111122223333"]}
`

func replace(old, new string) string {
	if !strings.Contains(goodSpec, old) {
		panic("test case does not apply: " + old)
	}
	return strings.Replace(goodSpec, old, new, 1)
}

func TestRenderGoodSpecValid(t *testing.T) {
	t.Parallel()
	if _, err := spec.LoadBytes([]byte(goodSpec), "good.yaml"); err != nil {
		t.Fatalf("the base spec of the bad-input cases is not valid: %v", err)
	}
}

func TestRenderBadInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		content string // spec content; ignored when file is set
		file    func(dir string) string
		want    []string // all must be on stderr
	}{
		{name: "unknown field", content: replace("edition: Core}", "editon: Core}"), want: []string{":8:", "spec.windows.editon", `did you mean "edition"`}},
		{name: "unknown top-level field", content: goodSpec + "extra: 1\n", want: []string{":21:", "extra", "unknown field"}},
		{name: "wrong kind", content: replace("kind: WindowsImage", "kind: LinuxImage"), want: []string{":2:", "kind", "WindowsImage"}},
		{name: "wrong apiVersion", content: replace("winami.io/v1alpha1", "winami.io/v2"), want: []string{":1:", "apiVersion", "winami.io/v1alpha1"}},
		{name: "bad name characters", content: replace("name: prod-win2022", "name: prod/win2022!"), want: []string{":4:", "metadata.name", "Image Builder resource name"}},
		{name: "name too short", content: replace("name: prod-win2022", "name: p"), want: []string{"metadata.name", "3 to 128"}},
		{name: "kubernetes v1.31", content: replace(`"1.31"`, `"v1.31"`), want: []string{":7:", "spec.kubernetesVersion", "drop the v"}},
		{name: "kubernetes 1.31.2", content: replace(`"1.31"`, `"1.31.2"`), want: []string{"spec.kubernetesVersion", `"1.31"`}},
		{name: "kubernetes 1.x", content: replace(`"1.31"`, `"1.x"`), want: []string{"spec.kubernetesVersion", "1.NN"}},
		{name: "windows 2016", content: replace(`version: "2022"`, `version: "2016"`), want: []string{":8:", "spec.windows.version", "2016 has no EKS-optimized AMIs"}},
		{name: "windows SAC 20H2", content: replace(`version: "2022"`, `version: "20H2"`), want: []string{"spec.windows.version", "retired", "LTSC"}},
		{name: "edition Nano", content: replace("edition: Core", "edition: Nano"), want: []string{"spec.windows.edition", "Core or Full"}},
		{name: "2025 with 1.31", content: replace(`version: "2022"`, `version: "2025"`), want: []string{"spec.kubernetesVersion", "1.35 and later"}},
		{name: "unknown region", content: replace("region: us-east-1", "region: us-east-9"), want: []string{":5:", "metadata.region", "not a known AWS region"}},
		{name: "malformed region", content: replace("regions: [us-east-1, us-west-2]", "regions: [us-east-1, US_WEST_2]"), want: []string{"spec.distribution.regions[1]", "not an AWS region name"}},
		{name: "maxParallelLaunches 5", content: replace("maxParallelLaunches: 6", "maxParallelLaunches: 5"), want: []string{":18:", "spec.distribution.fastLaunch.maxParallelLaunches", "6 or more"}},
		{name: "targetSnapshots 20000", content: replace("maxParallelLaunches: 6", "maxParallelLaunches: 6, targetSnapshots: 20000"), want: []string{"spec.distribution.fastLaunch.targetSnapshots", "1..10000"}},
		{name: "launch template id and name", content: replace("launchTemplate: {name: fast}", "launchTemplate: {name: fast, id: lt-0123456789abcdef0}"), want: []string{"spec.distribution.fastLaunch.launchTemplate", "not both"}},
		{name: "launch template id in two regions", content: replace("launchTemplate: {name: fast}", "launchTemplate: {id: lt-0123456789abcdef0}"), want: []string{"spec.distribution.fastLaunch.launchTemplate.id", "one region"}},
		{name: "image UPPER/repo", content: replace("- mcr.microsoft.com/windows/servercore:ltsc2022", "- UPPER/repo:1.0"), want: []string{":11:", "spec.cache.images[0]", "not a valid image reference"}},
		{name: "image digest too short", content: replace("- mcr.microsoft.com/windows/servercore:ltsc2022", "- repo@sha256:short"), want: []string{"spec.cache.images[0]", "not a valid image reference"}},
		{name: "image :latest", content: replace("servercore:ltsc2022", "servercore:latest"), want: []string{"spec.cache.images[0]", "latest", "pin a version tag"}},
		{name: "image untagged", content: replace("servercore:ltsc2022", "servercore"), want: []string{"spec.cache.images[0]", "has no tag", "digest"}},
		{name: "empty cache with cache enabled", content: replace("  cache:\n    images:\n      - mcr.microsoft.com/windows/servercore:ltsc2022\n", "  cache:\n    enabled: true\n    images: []\n"), want: []string{"spec.cache.images", "enabled: false"}},
		{name: "root volume 10", content: replace("rootVolumeSize: auto", "rootVolumeSize: 10"), want: []string{":13:", "spec.build.rootVolumeSize", "30..16384"}},
		{name: "root volume not a number", content: replace("rootVolumeSize: auto", "rootVolumeSize: big"), want: []string{"spec.build.rootVolumeSize", "auto"}},
		{name: "bad subnet", content: replace("subnetId: subnet-0123456789abcdef0", "subnetId: subnet-xyz"), want: []string{"spec.build.subnetId", "subnet-"}},
		{name: "bad security group", content: replace("[sg-0123456789abcdef0]", "[sg-1]"), want: []string{"spec.build.securityGroupIds[0]", "sg-"}},
		{name: "publishParameter without /", content: replace("/winami/prod/image_id", "winami/prod/image_id"), want: []string{":19:", "spec.distribution.publishParameter", "start with /"}},
		{name: "publishParameter under /aws/", content: replace("/winami/prod/image_id", "/aws/service/mine"), want: []string{"spec.distribution.publishParameter", "reserves"}},
		{name: "bad account", content: replace(`"111122223333"`, `"1234"`), want: []string{"spec.distribution.launchPermissions.accounts[0]", "12 digits"}},
		{name: "amiName without build date", content: replace("    publishParameter:", "    amiName: fixed-name\n    publishParameter:"), want: []string{"spec.distribution.amiName", "{{imagebuilder:buildDate}}"}},
		{name: "wrong type", content: replace("rootVolumeSize: auto", "rootVolumeSize: auto\n    instanceTypes: m6i.large"), want: []string{"spec.build.instanceTypes", "want a list"}},
		{name: "missing kubernetes version", content: replace("  kubernetesVersion: \"1.31\"\n", ""), want: []string{"spec.kubernetesVersion", "missing"}},
		{name: "unreadable file", file: func(dir string) string { return filepath.Join(dir, "does-not-exist.yaml") }, want: []string{"does-not-exist.yaml", "no such file"}},
		{name: "directory as file", file: func(dir string) string { return dir }, want: []string{"directory"}},
		{name: "empty file", content: "", want: []string{"bad.yaml", "empty"}},
		{name: "not a mapping", content: "- apiVersion: winami.io/v1alpha1\n- kind: WindowsImage\n", want: []string{"bad.yaml:1", "sequence", "want a mapping"}},
		{name: "a scalar", content: "winami\n", want: []string{"bad.yaml", "want a mapping"}},
		{name: "broken YAML", content: "metadata: {name: [\n", want: []string{"bad.yaml", "parsing YAML"}},
		{name: "too many images for one recipe", content: replace("      - mcr.microsoft.com/windows/servercore:ltsc2022\n", manyImages(400)), want: []string{":10:", "spec.cache.images", "at most 20 components"}},
		{name: "5 MB file", content: goodSpec + "# " + strings.Repeat("x", 5<<20) + "\n", want: []string{"bad.yaml", "1 MiB"}},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d bad-input cases", len(cases))
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "bad.yaml")
			if tt.file != nil {
				file = tt.file(dir)
			} else if err := os.WriteFile(file, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			stdout, stderr, code := run(t, "render", "-f", file, "-d", out)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitUsage, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("stdout is not empty: %q", stdout)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("the output directory was created (%v)", err)
			}
		})
	}
}

func TestRenderCollectsEveryProblem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "winami.yaml")
	bad := strings.NewReplacer(`"1.31"`, `"v1.31"`, "maxParallelLaunches: 6", "maxParallelLaunches: 5", "rootVolumeSize: auto", "rootVolumeSize: 10").Replace(goodSpec)
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, "render", "-f", file, "-d", filepath.Join(dir, "out"))
	if code != ExitUsage || !strings.Contains(stderr, "3 problems") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	// In file order, each with its line.
	i7 := strings.Index(stderr, "winami.yaml:7: spec.kubernetesVersion")
	i13 := strings.Index(stderr, "winami.yaml:13: spec.build.rootVolumeSize")
	i18 := strings.Index(stderr, "winami.yaml:18: spec.distribution.fastLaunch.maxParallelLaunches")
	if i7 < 0 || i13 < i7 || i18 < i13 {
		t.Errorf("problems missing or out of order:\n%s", stderr)
	}
}

func TestRenderWritesEveryExample(t *testing.T) {
	t.Parallel()
	examples, _ := filepath.Glob("../../examples/*.yaml")
	if len(examples) < 3 {
		t.Fatalf("%d examples", len(examples))
	}
	for _, ex := range examples {
		name := strings.TrimSuffix(filepath.Base(ex), ".yaml")
		t.Run(name, func(t *testing.T) { checkRenderedExample(t, ex, "../../render/testdata/"+name) })
	}
}

// checkRenderedExample renders example with the command and compares every file with
// the render package's golden files.
func checkRenderedExample(t *testing.T, example, golden string) {
	dir := t.TempDir()
	stdout, stderr, code := run(t, "render", "-f", example, "-d", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want, _ := filepath.Glob(filepath.Join(golden, "*"))
	got, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("wrote %d files, the golden directory has %d", len(got), len(want))
	}
	for _, w := range want {
		a, _ := os.ReadFile(w)
		b, err := os.ReadFile(filepath.Join(dir, filepath.Base(w)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s (%v)", filepath.Base(w), w, err)
		}
		if !strings.Contains(stdout, filepath.Join(dir, filepath.Base(w))) {
			t.Errorf("stdout does not name %s:\n%s", filepath.Base(w), stdout)
		}
	}
	if strings.Contains(example, "win2022-core-cached-fastlaunch") && !strings.Contains(stderr, "warning: spec.parent is pinned") {
		t.Errorf("the offline pin warning is missing: %q", stderr)
	}
}

func TestRenderEffectiveSpec(t *testing.T) {
	t.Parallel()
	stdout, stderr, code := run(t, "render", "-f", "../../examples/minimal-2019-core.yaml", "-o", "yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"instanceProfile: EC2InstanceProfileForImageBuilder", "rootVolumeSize: auto", "amiName: minimal-win2019-{{imagebuilder:buildDate}}", "keep: 3", "source: eks-optimized", "- us-east-1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("effective spec lacks %q:\n%s", want, stdout)
		}
	}
	// The effective spec is itself a valid spec that loads to the same hash.
	img, err := spec.LoadBytes([]byte(stdout), "effective.yaml")
	if err != nil {
		t.Fatalf("the effective spec does not load: %v", err)
	}
	orig, _ := spec.Load("../../examples/minimal-2019-core.yaml")
	if img.Hash() != orig.Hash() {
		t.Error("the effective spec hashes differently from the spec")
	}
	stdout, _, code = run(t, "render", "-f", "../../examples/minimal-2019-core.yaml", "-o", "json")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil || v["kind"] != "WindowsImage" {
		t.Errorf("-o json: exit %d %q", code, stdout)
	}
}

func TestRenderFlags(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"render", "-d", "x"}, "-f/--file is required"},
		{[]string{"render", "-f", "../../examples/minimal-2019-core.yaml"}, "-d/--dir is required"},
		{[]string{"render", "-f", "../../examples/minimal-2019-core.yaml", "-d", "x", "--account", "12"}, "12-digit"},
		{[]string{"render", "-f", "../../examples/minimal-2019-core.yaml", "-d", "render_test.go"}, "is a file"},
	} {
		_, stderr, code := run(t, tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("winami %v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
	dir := t.TempDir()
	if _, stderr, code := run(t, "render", "-f", "../../examples/minimal-2019-core.yaml", "-d", dir, "--account", "123456789012"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "create-image-pipeline.json"))
	if !strings.Contains(string(b), "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/minimal-win2019/1.") {
		t.Errorf("--account not used:\n%s", b)
	}
}

// manyImages lists n distinct cached images, one spec line each.
func manyImages(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "      - 111000111000.dkr.ecr.us-east-1.amazonaws.com/team-%03d/service:1.%d.0\n", i, i)
	}
	return b.String()
}
