package spec

import (
	"fmt"
	"strings"
	"testing"
)

// find returns the problem at path, or fails the test.
func find(t *testing.T, errs Errors, path string) FieldError {
	t.Helper()
	for _, e := range errs {
		if e.Path == path {
			return e
		}
	}
	t.Fatalf("no problem at %s in:\n%v", path, errs)
	return FieldError{}
}

// Issue 18: numbers are what the user wrote. yaml.v3 decodes 2.9 into an int as 2, and
// an explicit 0 took the default (targetSnapshots: 0 became 10).
func TestNumbersAreWhatTheUserWrote(t *testing.T) {
	for _, tt := range []struct {
		name, fastLaunch, keep, path, want string
	}{
		{"keep 2.9", "{enabled: true}", "2.9", "spec.keep", `"2.9" is not a whole number`},
		{"maxParallelLaunches 6.9", "{enabled: true, maxParallelLaunches: 6.9}", "", "spec.distribution.fastLaunch.maxParallelLaunches", `"6.9" is not a whole number`},
		{"targetSnapshots 10.0", "{enabled: true, targetSnapshots: 10.0}", "", "spec.distribution.fastLaunch.targetSnapshots", `"10.0" is not a whole number`},
		{"targetSnapshots 0", "{enabled: true, targetSnapshots: 0}", "", "spec.distribution.fastLaunch.targetSnapshots", "0 is outside 1..10000"},
		{"maxParallelLaunches 0", "{enabled: true, maxParallelLaunches: 0}", "", "spec.distribution.fastLaunch.maxParallelLaunches", "0 is too low"},
		{"keep 0", "{enabled: true}", "0", "spec.keep", "keep at least 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(good, "fastLaunch: {enabled: true}", "fastLaunch: "+tt.fastLaunch, 1)
			if tt.keep != "" {
				src += "  keep: " + tt.keep + "\n"
			}
			_, errs := load(t, src)
			if e := find(t, errs, tt.path); !strings.Contains(e.Message, tt.want) || e.Line == 0 {
				t.Errorf("%s: %v; want %q with its line", tt.path, e, tt.want)
			}
		})
	}
	// Absent and empty (null) values still take the defaults.
	for _, fl := range []string{"{enabled: true}", "{enabled: true, targetSnapshots: , maxParallelLaunches: }"} {
		img, errs := load(t, strings.Replace(good, "fastLaunch: {enabled: true}", "fastLaunch: "+fl, 1))
		if errs != nil {
			t.Fatalf("%s: %v", fl, errs)
		}
		if f := img.Spec.Distribution.FastLaunch; f.TargetSnapshots != DefaultTargetSnapshots || f.MaxParallelLaunches != DefaultMaxParallelLaunches {
			t.Errorf("%s: defaults not taken: %+v", fl, f)
		}
	}
	// Whole numbers as YAML writes them are accepted as they are.
	img, errs := load(t, strings.Replace(good, "fastLaunch: {enabled: true}", "fastLaunch: {enabled: true, targetSnapshots: 20000}", 1)+"  keep: 7\n")
	if errs == nil {
		t.Fatalf("targetSnapshots 20000 accepted: %+v", img.Spec.Distribution.FastLaunch)
	}
	_ = find(t, errs, "spec.distribution.fastLaunch.targetSnapshots")
}

// Issue 18: a YAML tab says "tab", on the tab's line.
func TestYAMLTabSaysTab(t *testing.T) {
	for _, tt := range []struct {
		src  string
		line int
	}{
		{"apiVersion: winami.io/v1alpha1\nkind: WindowsImage\nmetadata:\n\tname: x\n", 4},
		{"apiVersion: winami.io/v1alpha1\nmetadata:\n  name: x\n\tregion: us-east-1\n", 4},
		{"\tapiVersion: winami.io/v1alpha1\n", 1},
	} {
		_, errs := load(t, tt.src)
		if len(errs) != 1 || errs[0].Line != tt.line || !strings.Contains(errs[0].Message, "tab") || !strings.Contains(errs[0].Message, "spaces") {
			t.Errorf("%q: %v; want one problem on line %d saying tab and spaces", tt.src, errs, tt.line)
		}
	}
	// Other YAML errors keep the parser's words and line.
	_, errs := load(t, "a: b: c\n")
	if len(errs) != 1 || strings.Contains(errs[0].Message, "tab") || !strings.Contains(errs[0].Message, "mapping values are not allowed") {
		t.Errorf("a: b: c: %v", errs)
	}
}

// Issue 18: a spec with thousands of problems lists the first MaxListed and counts the
// rest (a 720 KB spec printed 240,001 errors, 40 MB).
func TestThousandsOfProblemsListed50(t *testing.T) {
	const n = 5000
	// A big enough spec to have thousands of problems.
	var many strings.Builder
	many.WriteString("apiVersion: winami.io/v1alpha1\nkind: WindowsImage\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&many, "x%d: 1\n", i)
	}
	_, errs := load(t, many.String())
	if len(errs) < n {
		t.Fatalf("%d problems, want at least %d", len(errs), n)
	}
	if got := strings.Count(errs.Error(), "\n"); got != MaxListed {
		t.Errorf("%d problems printed as %d lines, want %d and the count", len(errs), got+1, MaxListed+1)
	}
	if !strings.Contains(errs.Error(), fmt.Sprintf("… and %d more problems", len(errs)-MaxListed)) {
		t.Errorf("no count of the rest: %s", errs.Error()[len(errs.Error())-200:])
	}
}

// Issue 18: a region the user mistyped is refused with the nearest name suggested; the
// same rule is what --region uses (CheckRegion).
func TestRegionNearestSuggested(t *testing.T) {
	_, errs := load(t, strings.Replace(good, "region: us-east-1", "region: us-est-1", 1))
	if e := find(t, errs, "metadata.region"); !strings.Contains(e.Message, `"us-est-1" is not a known AWS region (did you mean "us-east-1"?)`) {
		t.Errorf("metadata.region: %v", e)
	}
	for in, want := range map[string]string{
		"us-east-1": "", "us-gov-west-1": "", "eu-west-1": "",
		"us-est-1": `did you mean "us-east-1"`, "euwest1": `did you mean "eu-west-1"`,
		"US-EAST-1": `did you mean "us-east-1"`, "moon-1": "is not an AWS region name such as us-east-1",
		"us-east-9": `did you mean "us-east-1" or "us-east-2"?`, "us-west-3": `did you mean "us-west-1" or "us-west-2"?`,
	} {
		got := CheckRegion(in)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("CheckRegion(%q) = %q, want %q", in, got, want)
		}
	}
	if strings.Contains(CheckRegion("moon-1"), "did you mean") {
		t.Errorf("moon-1 suggested a region: %s", CheckRegion("moon-1"))
	}
}

// Issue 18: a Kubernetes version older than EKS ever had is refused as such.
func TestKubernetesOlderThanEKSRefused(t *testing.T) {
	_, errs := load(t, strings.Replace(good, `kubernetesVersion: "1.31"`, `kubernetesVersion: "1.9"`, 1))
	if e := find(t, errs, "spec.kubernetesVersion"); !strings.Contains(e.Message, "older than any EKS ever had") {
		t.Errorf("spec.kubernetesVersion: %v", e)
	}
}
