package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const good = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: prod-win2022
  region: us-east-1
spec:
  kubernetesVersion: "1.31"
  windows: {version: "2022", edition: core}
  cache:
    images:
      - mcr.microsoft.com/windows/servercore:ltsc2022
  distribution:
    regions: [us-east-1, us-west-2]
    fastLaunch: {enabled: true}
    publishParameter: /winami/prod/image_id
`

func load(t *testing.T, src string) (*WindowsImage, Errors) {
	t.Helper()
	img, err := LoadBytes([]byte(src), "winami.yaml")
	if err == nil {
		return img, nil
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, want spec.Errors: %v", err, err)
	}
	return nil, errs
}

func TestDefaults(t *testing.T) {
	img, errs := load(t, good)
	if errs != nil {
		t.Fatal(errs)
	}
	s := img.Spec
	if s.Windows.Edition != "Core" || s.Parent.Source != SourceEKSOptimized || !s.Cache.IsEnabled() ||
		s.Build.InstanceProfile != DefaultInstanceProfile || len(s.Build.InstanceTypes) != 1 ||
		!s.Build.RootVolumeSize.Auto() || !*s.Build.TerminateOnFailure ||
		s.Distribution.AMIName != "prod-win2022-{{imagebuilder:buildDate}}" ||
		s.Distribution.FastLaunch.TargetSnapshots != 10 || s.Distribution.FastLaunch.MaxParallelLaunches != 6 || *s.Keep != 3 {
		t.Errorf("defaults not filled: %+v", s)
	}
	min, errs := load(t, strings.Replace(good, "    regions: [us-east-1, us-west-2]\n", "", 1))
	if errs != nil {
		t.Fatal(errs)
	}
	if got := min.Spec.Distribution.Regions; len(got) != 1 || got[0] != "us-east-1" {
		t.Errorf("regions default = %v, want [metadata.region]", got)
	}
	y, err := img.YAML()
	if err != nil || !strings.Contains(string(y), "instanceProfile: EC2InstanceProfileForImageBuilder") || !strings.Contains(string(y), "rootVolumeSize: auto") {
		t.Errorf("effective YAML lacks defaults:\n%s", y)
	}
}

func TestUnknownFieldHasLineAndSuggestion(t *testing.T) {
	src := strings.Replace(good, "    fastLaunch: {enabled: true}\n", "    fastLaunch:\n      enabled: true\n      maxParalelLaunches: 8\n", 1)
	_, errs := load(t, src)
	if len(errs) != 1 {
		t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
	}
	e := errs[0]
	if e.Line != 16 || e.Path != "spec.distribution.fastLaunch.maxParalelLaunches" || !strings.Contains(e.Message, `did you mean "maxParallelLaunches"`) {
		t.Errorf("got %+v", e)
	}
	if !strings.HasPrefix(e.Error(), "winami.yaml:16: spec.distribution.fastLaunch.maxParalelLaunches: unknown field") {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestCollectsAllErrorsWithLines(t *testing.T) {
	src := `apiVersion: winami.io/v1
kind: WindowsImage
metadata:
  name: x
  region: us-east-9
spec:
  kubernetesVersion: v1.31
  windows: {version: "2016", edition: Core}
  build:
    rootVolumeSize: 10
  distribution:
    fastLaunch: {enabled: true, maxParallelLaunches: 5}
    publishParameter: /aws/service/mine
`
	_, errs := load(t, src)
	want := map[string]int{
		"apiVersion":                1,
		"metadata.name":             4,
		"metadata.region":           5,
		"spec.kubernetesVersion":    7,
		"spec.windows.version":      8,
		"spec.build.rootVolumeSize": 10,
		"spec.distribution.fastLaunch.maxParallelLaunches": 12,
		"spec.distribution.publishParameter":               13,
	}
	got := map[string]int{}
	for _, e := range errs {
		got[e.Path] = e.Line
	}
	for p, l := range want {
		if got[p] != l {
			t.Errorf("%s: line %d, want %d (all: %v)", p, got[p], l, errs)
		}
	}
	for i := 1; i < len(errs); i++ {
		if errs[i].Line < errs[i-1].Line {
			t.Errorf("errors not in file order: %v", errs)
		}
	}
}

func TestTypeErrorsNameFieldAndLine(t *testing.T) {
	src := strings.Replace(good, "  kubernetesVersion: \"1.31\"\n", "  kubernetesVersion: \"1.31\"\n  keep: many\n", 1)
	_, errs := load(t, src)
	if len(errs) != 1 || errs[0].Path != "spec.keep" || errs[0].Line != 8 || !strings.Contains(errs[0].Message, "whole number") {
		t.Errorf("got %v", errs)
	}
}

func TestHashStable(t *testing.T) {
	a, _ := load(t, good)
	// Same content, other order and formatting.
	reordered := `kind: WindowsImage
apiVersion: winami.io/v1alpha1
spec:
  distribution:
    publishParameter: /winami/prod/image_id
    fastLaunch:
      enabled: true
    regions:
      - us-east-1
      - us-west-2
  windows:
    edition: Core
    version: 2022
  cache: {images: [mcr.microsoft.com/windows/servercore:ltsc2022]}
  kubernetesVersion: "1.31"
metadata: {region: us-east-1, name: prod-win2022}
`
	b, errs := load(t, reordered)
	if errs != nil {
		t.Fatal(errs)
	}
	if a.Hash() != b.Hash() || len(a.Hash()) != 64 {
		t.Errorf("hashes differ: %s vs %s", a.Hash(), b.Hash())
	}
	c, _ := load(t, strings.Replace(good, "ltsc2022\n", "ltsc2022-amd64\n", 1))
	if c.Hash() == a.Hash() {
		t.Error("a changed image did not change the hash")
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(good+"#"+strings.Repeat("x", 5<<20)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.yaml"), "no such file"},
		{dir, "directory"},
		{big, "1 MiB"},
	} {
		if _, err := Load(tt.path); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%s) = %v, want %q", tt.path, err, tt.want)
		}
	}
	for src, want := range map[string]string{
		"":                    "empty",
		"# only a comment\n":  "empty",
		"- a\n- b\n":          "sequence, want a mapping",
		"just text\n":         "scalar",
		"a: [\n":              "parsing YAML",
		good + "---\n" + good: "more than one",
	} {
		if _, err := Parse([]byte(src), "f.yaml"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", src, err, want)
		}
	}
}

func TestImageReferences(t *testing.T) {
	for ref, want := range map[string]string{
		"mcr.microsoft.com/windows/servercore:ltsc2022":                    "",
		"111000111000.dkr.ecr.us-east-1.amazonaws.com/app:1.0":             "",
		"registry.example.com:5000/app@sha256:" + strings.Repeat("ab", 32): "",
		"mcr.microsoft.com/windows/servercore":                             "has no tag",
		"mcr.microsoft.com/windows/servercore:latest":                      "tag latest",
		"registry.example.com:5000/app":                                    "has no tag",
		"UPPER/repo:1.0":                                                   "not a valid image reference",
		"repo@sha256:short":                                                "not a valid image reference",
		// Hosts go-containerregistry accepts but containerd's grammar does not: quotes
		// (U+2019 too) and $( ) would reach the component's PowerShell.
		"a'b.example.com/app:1.0":        "is not a valid image reference",
		"ev\u2019il.example.com/app:1.0": "is not a valid image reference",
		"x$(calc).example.com/app:1.0":   "is not a valid image reference",
		// Issue 14's injection, and the same in every part of a reference: the OCI
		// distribution grammar has no quote, '$', '`', space or newline anywhere.
		"x\u2019;calc;\u2019.io/app:1":                             "is not a valid image reference",
		"example.com/app:1';calc;'":                                "is not a valid image reference",
		"example.com/a\u2018pp:1":                                  "is not a valid image reference",
		"example.com/app:1\u201B":                                  "is not a valid image reference",
		"example.com/app:1\u201C":                                  "is not a valid image reference",
		"example.com/$(calc)/app:1":                                "is not a valid image reference",
		"example.com/app:1`calc":                                   "is not a valid image reference",
		"example.com/app:1\n'@\ncalc":                              "is not a valid image reference",
		"example.com/app@sha256:" + strings.Repeat("ab", 32) + "'": "is not a valid image reference",
		"[::1]:5000/app:1.0":                                       "",
		"localhost:5000/app:1.0":                                   "",
	} {
		got := CheckImageReference(ref)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("CheckImageReference(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestParameterNames(t *testing.T) {
	for p, want := range map[string]string{
		"/winami/prod/image_id":              "",
		"winami/prod":                        "does not start with /",
		"/aws/service/x":                     "reserves",
		"/SSM-x/y":                           "reserves",
		"/a b":                               "characters",
		"/a//b":                              "empty path segment",
		"/" + strings.Repeat("a/", 16) + "x": "15 levels",
	} {
		got := CheckParameterName(p)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("CheckParameterName(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestParentTypeErrorIsNotRepeated(t *testing.T) {
	src := strings.Replace(good, "  windows: {version: \"2022\", edition: core}\n", "  windows: \"2022\"\n", 1)
	_, errs := load(t, src)
	if len(errs) != 1 || errs[0].Path != "spec.windows" || errs[0].Line != 8 || !strings.Contains(errs[0].Message, "want a mapping with the fields version, edition") {
		t.Errorf("got %v", errs)
	}
}

func TestDuplicateKey(t *testing.T) {
	_, errs := load(t, strings.Replace(good, "kind: WindowsImage\n", "kind: WindowsImage\nkind: WindowsImage\n", 1))
	if len(errs) != 1 || errs[0].Path != "kind" || errs[0].Line != 3 || !strings.Contains(errs[0].Message, "twice") {
		t.Errorf("got %v", errs)
	}
}

func TestExecutionRoleDefault(t *testing.T) {
	img, errs := load(t, good)
	if errs != nil {
		t.Fatal(errs)
	}
	if got := img.Spec.Build.ExecutionRole; got != "prod-win2022-imagebuilder-execution" {
		t.Errorf("executionRole default = %q, want prod-win2022-imagebuilder-execution", got)
	}
	if y, _ := img.YAML(); !strings.Contains(string(y), "executionRole: prod-win2022-imagebuilder-execution") {
		t.Errorf("effective YAML lacks the executionRole default:\n%s", y)
	}
	for _, src := range []string{
		strings.Replace(good, "/winami/prod/image_id", "/imagebuilder/prod/image_id", 1),
		strings.Replace(good, "    publishParameter: /winami/prod/image_id\n", "", 1),
	} {
		img, errs := load(t, src)
		if errs != nil {
			t.Fatal(errs)
		}
		if got := img.Spec.Build.ExecutionRole; got != "" {
			t.Errorf("executionRole = %q without a parameter outside /imagebuilder/, want none", got)
		}
	}
	// Parameter names are case-sensitive: /ImageBuilder/ is not the service-linked role's path.
	if img, _ := load(t, strings.Replace(good, "/winami/prod/image_id", "/ImageBuilder/prod", 1)); img == nil || img.Spec.Build.ExecutionRole == "" {
		t.Error("/ImageBuilder/… got no execution role")
	}
	// An explicit role is kept, also under /imagebuilder/.
	explicit := strings.Replace(good, "  distribution:\n", "  build:\n    executionRole: arn:aws-us-gov:iam::111122223333:role/ops/ib-exec\n  distribution:\n", 1)
	if img, errs := load(t, explicit); errs != nil || img.Spec.Build.ExecutionRole != "arn:aws-us-gov:iam::111122223333:role/ops/ib-exec" {
		t.Errorf("explicit role: %v %v", img, errs)
	}
	// A scanned image's distribution writes no parameter (winami build publishes it), so
	// there is no default role; one the spec names is kept.
	scanned := strings.Replace(good, "  distribution:\n", "  build:\n    imageScanning: {enabled: true}\n  distribution:\n", 1)
	if img, errs := load(t, scanned); errs != nil || img.Spec.Build.ExecutionRole != "" || img.NeedsExecutionRole() || img.DistributedParameter() != "" ||
		img.Spec.Distribution.PublishParameter != "/winami/prod/image_id" {
		t.Errorf("scanned: %v %+v", errs, img)
	}
	scannedExplicit := strings.Replace(good, "  distribution:\n", "  build:\n    imageScanning: {enabled: true}\n    executionRole: ib-exec\n  distribution:\n", 1)
	if img, errs := load(t, scannedExplicit); errs != nil || img.Spec.Build.ExecutionRole != "ib-exec" || img.DistributedParameter() != "" {
		t.Errorf("scanned, explicit role: %v %+v", errs, img)
	}
	if img, _ := load(t, good); img == nil || img.DistributedParameter() != "/winami/prod/image_id" || !img.NeedsExecutionRole() {
		t.Error("unscanned: the distribution writes the parameter")
	}
	if RoleName("arn:aws:iam::111122223333:role/ops/ib-exec") != "ib-exec" || RoleName("ib-exec") != "ib-exec" {
		t.Error("RoleName")
	}
}

func TestExecutionRoleValidation(t *testing.T) {
	withRole := func(r string) string {
		return strings.Replace(good, "  distribution:\n", "  build:\n    executionRole: "+r+"\n  distribution:\n", 1)
	}
	for role, want := range map[string]string{
		"winami-exec":           "",
		strings.Repeat("r", 64): "",
		"arn:aws:iam::111122223333:role/winami-exec":                        "",
		"arn:aws-cn:iam::111122223333:role/a/b/winami-exec":                 "",
		strings.Repeat("r", 65):                                             "not an IAM role name",
		`"has space"`:                                                       "not an IAM role name",
		"arn:aws:iam::1111:role/x":                                          "not an IAM role ARN",
		"arn:aws:iam::111122223333:user/x":                                  "not an IAM role ARN",
		"arn:aws:iam::111122223333:role/" + strings.Repeat("p", 65):         "not an IAM role ARN",
		"arn:aws:iam::111122223333:role/" + strings.Repeat("p/", 300) + "x": "at most 512",
	} {
		_, errs := load(t, withRole(role))
		if want == "" {
			if errs != nil {
				t.Errorf("%s: %v", role, errs)
			}
			continue
		}
		if len(errs) != 1 || errs[0].Path != "spec.build.executionRole" || errs[0].Line != 13 || !strings.Contains(errs[0].Message, want) {
			t.Errorf("%s: got %v, want spec.build.executionRole at line 13: %q", role, errs, want)
		}
	}
	// A default made too long (or with spaces) by metadata.name says what to do.
	long := strings.Repeat("n", 42)
	for name, want := range map[string]string{
		long:             "65 characters, and IAM role names are at most 64",
		`"prod win2022"`: "no spaces",
	} {
		_, errs := load(t, strings.Replace(good, "name: prod-win2022", "name: "+name, 1))
		if len(errs) != 1 || errs[0].Path != "spec.build.executionRole" || errs[0].Line != 15 || !strings.Contains(errs[0].Message, want) ||
			!strings.Contains(errs[0].Message, "set spec.build.executionRole") || !strings.Contains(errs[0].Message, "at most 41 characters") {
			t.Errorf("name %s: got %v", name, errs)
		}
	}
	if _, errs := load(t, strings.Replace(good, "name: prod-win2022", "name: "+long[:41], 1)); errs != nil {
		t.Errorf("41-character name: %v", errs)
	}
}

// TestAMITagsLeaveRoomForTheBuild: amiTags may take what the AMI's 50 tags leave after
// Image Builder's two and winami's eight; one more is refused on its line.
func TestAMITagsLeaveRoomForTheBuild(t *testing.T) {
	withTags := func(n int) string {
		var b strings.Builder
		b.WriteString(good + "    amiTags:\n")
		for i := 0; i < n; i++ {
			b.WriteString("      team-" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ": v\n")
		}
		return b.String()
	}
	if _, errs := load(t, withTags(MaxAMITags)); errs != nil {
		t.Fatalf("%d amiTags: %v", MaxAMITags, errs)
	}
	_, errs := load(t, withTags(MaxAMITags+1))
	if len(errs) != 1 || errs[0].Path != "spec.distribution.amiTags" || errs[0].Line == 0 || !strings.Contains(errs[0].Message, "at most 40") {
		t.Fatalf("%d amiTags: %v", MaxAMITags+1, errs)
	}
}

// TestReservedTagKeys: a spec may not set the tags winami and Image Builder find AMIs by
// (issue 14: amiTags winami:name: team-a made team-a's prune take another spec's AMIs
// for team-a's); each is refused on its own line, naming the key.
func TestReservedTagKeys(t *testing.T) {
	for key, want := range map[string]string{
		"winami:name":          "winami's own",
		"winami:managed-by":    "winami's own",
		"WINAMI:Name":          "winami's own",
		"winami:inputs-hash":   "winami's own",
		"winami:anything-else": "winami's own",
		"Ec2ImageBuilderArn":   "Image Builder's own",
		"ec2imagebuilderarn":   "Image Builder's own",
		"CreatedBy":            "Image Builder's own",
		"aws:cloudformation":   "reserved by AWS",
		"team":                 "",
		"winami":               "",
		"my-winami:name":       "",
	} {
		src := good + "    amiTags:\n      other: a\n      \"" + key + "\": team-a\n"
		_, errs := load(t, src)
		if want == "" {
			if errs != nil {
				t.Errorf("%s: %v", key, errs)
			}
			continue
		}
		if len(errs) != 1 || errs[0].Path != "spec.distribution.amiTags."+key || errs[0].Line == 0 ||
			!strings.Contains(errs[0].Message, want) || !strings.Contains(errs[0].Message, key) {
			t.Errorf("%s: %v, want one error on its line naming it, %q", key, errs, want)
		}
	}
}

// TestInstanceMetadata: without spec.build.instanceMetadata the build instance requires
// IMDSv2 with a hop limit of 2; a value outside Image Builder's optional|required or
// 1..64 is refused on its line, naming the field and what it accepts.
func TestInstanceMetadata(t *testing.T) {
	img, errs := load(t, good)
	if errs != nil {
		t.Fatal(errs)
	}
	if m := img.Spec.Build.InstanceMetadata; m.Tokens() != "required" || m.HopLimit() != 2 {
		t.Errorf("defaults = %s/%d, want required/2", m.Tokens(), m.HopLimit())
	}
	for src, want := range map[string]string{
		"{httpTokens: optional}":                              "",
		"{httpPutResponseHopLimit: 1}":                        "",
		"{httpTokens: required, httpPutResponseHopLimit: 64}": "",
		"{httpTokens: Required}":                              "spec.build.instanceMetadata.httpTokens",
		"{httpTokens: v2}":                                    "spec.build.instanceMetadata.httpTokens",
		"{httpPutResponseHopLimit: 0}":                        "spec.build.instanceMetadata.httpPutResponseHopLimit",
		"{httpPutResponseHopLimit: 65}":                       "spec.build.instanceMetadata.httpPutResponseHopLimit",
		"{httpPutResponseHopLimit: -1}":                       "spec.build.instanceMetadata.httpPutResponseHopLimit",
	} {
		_, errs := load(t, good+"  build:\n    instanceMetadata: "+src+"\n")
		if want == "" {
			if errs != nil {
				t.Errorf("%s: %v", src, errs)
			}
			continue
		}
		if len(errs) != 1 || errs[0].Path != want || errs[0].Line == 0 {
			t.Errorf("%s: %v, want one error at %s on its line", src, errs, want)
			continue
		}
		accepted := []string{"1..64"}
		if strings.HasSuffix(want, "httpTokens") {
			accepted = []string{"required", "optional"}
		}
		for _, w := range accepted {
			if !strings.Contains(errs[0].Message, w) {
				t.Errorf("%s: %q does not say what is accepted (%s)", src, errs[0].Message, w)
			}
		}
	}
	img, errs = load(t, good+"  build:\n    instanceMetadata: {httpTokens: optional, httpPutResponseHopLimit: 5}\n")
	if errs != nil {
		t.Fatal(errs)
	}
	if m := img.Spec.Build.InstanceMetadata; m.Tokens() != "optional" || m.HopLimit() != 5 {
		t.Errorf("read %s/%d, want optional/5", m.Tokens(), m.HopLimit())
	}
}

// TestResourceTags: spec.build.resourceTags are checked like amiTags: winami's, Image
// Builder's and AWS's keys are refused, keys and values within EC2's limits, and at most
// the 28 Image Builder's 30 leave after winami's two.
func TestResourceTags(t *testing.T) {
	with := func(tags string) string { return good + "  build:\n    resourceTags:\n" + tags }
	if _, errs := load(t, with("      team: a\n      cost-center: \"42\"\n")); errs != nil {
		t.Fatal(errs)
	}
	for key, want := range map[string]string{
		"winami:name":            "winami's own",
		"WINAMI:managed-by":      "winami's own",
		"Ec2ImageBuilderArn":     "Image Builder's own",
		"aws:createdBy":          "reserved by AWS",
		strings.Repeat("k", 129): "1 to 128",
	} {
		_, errs := load(t, with("      other: a\n      \""+key+"\": x\n"))
		if len(errs) != 1 || errs[0].Path != "spec.build.resourceTags."+key || errs[0].Line == 0 || !strings.Contains(errs[0].Message, want) {
			t.Errorf("%s: %v, want one error on its line, %q", key, errs, want)
		}
	}
	for _, v := range []string{"{{resolve:secretsmanager:prod-db:SecretString:password}}", "x{{RESOLVE:ssm:/team/key}}"} {
		_, errs := load(t, with("      leak: \""+v+"\"\n"))
		if len(errs) != 1 || errs[0].Path != "spec.build.resourceTags.leak" || !strings.Contains(errs[0].Message, "dynamic reference") {
			t.Errorf("value %s: %v, want refused as a dynamic reference", v, errs)
		}
		_, errs = load(t, good+"    amiTags: {leak: \""+v+"\"}\n")
		if len(errs) != 1 || errs[0].Path != "spec.distribution.amiTags.leak" {
			t.Errorf("amiTags value %s: %v, want refused", v, errs)
		}
	}
	// The AMI name's pattern admits a dynamic reference without a slash; it is refused too.
	for _, name := range []string{"app-{{resolve:secretsmanager:db:SecretString:password}}-{{imagebuilder:buildDate}}", "app {{ imagebuilder:buildDate }} {{Resolve:ssm:key}}"} {
		_, errs := load(t, good+"    amiName: \""+name+"\"\n")
		if len(errs) != 1 || errs[0].Path != "spec.distribution.amiName" || !strings.Contains(errs[0].Message, "dynamic reference") {
			t.Errorf("amiName %s: %v, want refused as a dynamic reference", name, errs)
		}
	}
	if _, errs := load(t, good+"    amiName: \"app-{{imagebuilder:buildDate}}\"\n"); errs != nil {
		t.Errorf("a plain amiName: %v", errs)
	}
	_, errs := load(t, with("      long: "+strings.Repeat("v", 257)+"\n"))
	if len(errs) != 1 || errs[0].Path != "spec.build.resourceTags.long" || !strings.Contains(errs[0].Message, "256") {
		t.Errorf("257-character value: %v", errs)
	}
	many := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString("      t" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ": v\n")
		}
		return with(b.String())
	}
	if _, errs := load(t, many(MaxResourceTags)); errs != nil {
		t.Fatalf("%d resourceTags: %v", MaxResourceTags, errs)
	}
	_, errs = load(t, many(MaxResourceTags+1))
	if len(errs) != 1 || errs[0].Path != "spec.build.resourceTags" || errs[0].Line == 0 || !strings.Contains(errs[0].Message, "at most 28") {
		t.Errorf("%d resourceTags: %v", MaxResourceTags+1, errs)
	}
}
