package catalog

import (
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"eks 2022 core", EKSOptimizedParameter("2022", Core, "1.31"), "/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id"},
		{"eks 2022 full", EKSOptimizedParameter("2022", Full, "1.31"), "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-EKS_Optimized-1.31/image_id"},
		{"eks 2019 core", EKSOptimizedParameter("2019", Core, "1.33"), "/aws/service/ami-windows-latest/Windows_Server-2019-English-Core-EKS_Optimized-1.33/image_id"},
		{"eks 2025 full", EKSOptimizedParameter("2025", Full, "1.35"), "/aws/service/ami-windows-latest/Windows_Server-2025-English-Full-EKS_Optimized-1.35/image_id"},
		{"base 2022 core", BaseParameter("2022", Core), "/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-Base"},
		{"base 2019 full", BaseParameter("2019", Full), "/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-Base"},
		{"ami name dots", EKSOptimizedAMIName("2022", Core, "1.31", "2026.10.15"), "Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15"},
		{"ami name dashes", EKSOptimizedAMIName("2022", Full, "1.31", "2026-10-15"), "Windows_Server-2022-English-Full-EKS_Optimized-1.31-2026.10.15"},
		{"pattern", EKSOptimizedNamePattern("2019", Core, "1.31"), "Windows_Server-2019-English-Core-EKS_Optimized-1.31-*"},
		{"base name", BaseAMIName("2025", Full, "2026-11-12"), "Windows_Server-2025-English-Full-Base-2026.11.12"},
		{"base pattern", BaseNamePattern("2025", Core), "Windows_Server-2025-English-Core-Base-*"},
		{"component arn", ManagedComponentARN("us-east-1", ComponentUpdateWindows, "x.x.x"), "arn:aws:imagebuilder:us-east-1:aws:component/update-windows/x.x.x"},
		{"component arn gov", ManagedComponentARN("us-gov-west-1", ComponentEKS, EKSComponentVersion("1.31")), "arn:aws-us-gov:imagebuilder:us-gov-west-1:aws:component/eks-optimized-ami-windows/1.31.x"},
		{"owner", OwnerFor("eu-west-1"), "801119661308"},
		{"owner gov", OwnerFor("us-gov-east-1"), "077303321853"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestCoreAndFullAreNotSwapped(t *testing.T) {
	// A public Terraform module once shipped Core and Full swapped: the edition named must
	// be the edition in the parameter and in the AMI name.
	for _, w := range WindowsVersionNames() {
		for _, ed := range Editions {
			p := EKSOptimizedParameter(w, ed, "1.35")
			if !strings.Contains(p, "-English-"+string(ed)+"-") {
				t.Errorf("%s %s: parameter %q does not name the edition", w, ed, p)
			}
			n, ok := ParseAMIName(EKSOptimizedAMIName(w, ed, "1.35", "2026.04.18"))
			if !ok || n.Edition != ed || n.Windows != w {
				t.Errorf("%s %s: name round trip gave %+v, %v", w, ed, n, ok)
			}
		}
	}
}

func TestWindows(t *testing.T) {
	for _, tt := range []struct{ in, build, tag string }{
		{"2019", "10.0.17763", "ltsc2019"},
		{"2022", "10.0.20348", "ltsc2022"},
		{"ltsc2025", "10.0.26100", "ltsc2025"},
	} {
		w, err := Windows(tt.in)
		if err != nil || w.Build != tt.build || w.Tag != tt.tag || w.Channel != "LTSC" {
			t.Errorf("Windows(%q) = %+v, %v", tt.in, w, err)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"20H2", "retired"}, {"2004", "retired"}, {"1809-SAC", "retired"}, {"2016", "no EKS-optimized AMIs"}, {"2030", "not known"},
	} {
		if _, err := Windows(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Windows(%q) error = %v, want it to say %q", tt.in, err, tt.want)
		}
	}
}

func TestForBuild(t *testing.T) {
	w, ok := ForBuild("10.0.20348.2700")
	if !ok || w.Version != "2022" {
		t.Errorf("ForBuild(10.0.20348.2700) = %v, %v", w.Version, ok)
	}
	if _, ok := ForBuild("10.0.19041.1"); ok {
		t.Error("ForBuild(10.0.19041.1) matched a supported version")
	}
}

func TestKubernetes(t *testing.T) {
	for _, ok := range []string{"1.31", "1.10", "1.35", "1.99"} {
		if _, err := ParseKubernetes(ok); err != nil {
			t.Errorf("ParseKubernetes(%q): %v", ok, err)
		}
	}
	for in, hint := range map[string]string{"v1.31": "drop the v", "1.31.2": `"1.31"`, "1.x": "1.NN", "": "1.NN", "2.0": "1.NN", "1.031": "1.NN",
		// Issue 18: a version older than EKS's first (1.10) is one EKS never had.
		"1.9": "older than any EKS ever had", "1.0": "EKS started with 1.10"} {
		if _, err := ParseKubernetes(in); err == nil || !strings.Contains(err.Error(), hint) {
			t.Errorf("ParseKubernetes(%q) = %v, want an error saying %s", in, err, hint)
		}
	}
	if NewerThanCatalog(LatestKubernetes()) || !NewerThanCatalog("1.99") {
		t.Error("NewerThanCatalog: the newest catalog version is not newer than the catalog, 1.99 is")
	}
	if CompareKubernetes("1.9", "1.10") >= 0 || CompareKubernetes("1.31", "1.31") != 0 {
		t.Error("CompareKubernetes does not compare numerically")
	}
	vs := KubernetesVersions()
	if got := sortedVersions(vs); strings.Join(got, ",") != strings.Join(vs, ",") {
		t.Errorf("catalog not sorted: %v", vs)
	}
	if LatestKubernetes() != vs[len(vs)-1] {
		t.Errorf("LatestKubernetes = %s", LatestKubernetes())
	}
}

func TestSupported(t *testing.T) {
	if err := Supported("2025", "1.31"); err == nil || !strings.Contains(err.Error(), "1.35 and later") {
		t.Errorf("2025 with 1.31: %v", err)
	}
	if err := Supported("2025", "1.35"); err != nil {
		t.Errorf("2025 with 1.35: %v", err)
	}
	if err := Supported("2022", "1.22"); err == nil {
		t.Error("2022 with 1.22 accepted")
	}
	if err := Supported("2019", "1.31"); err != nil {
		t.Errorf("2019 with 1.31: %v", err)
	}
}

func TestParseRelease(t *testing.T) {
	for _, in := range []string{"1.35-2026.04.18", "1.35-2026-04-18", "2026.04.18", "2026-04-18"} {
		k, d, err := ParseRelease(in)
		if err != nil || d.Format("2006-01-02") != "2026-04-18" {
			t.Errorf("ParseRelease(%q) = %q, %v, %v", in, k, d, err)
		}
		if strings.HasPrefix(in, "1.35") && k != "1.35" {
			t.Errorf("ParseRelease(%q) k8s = %q", in, k)
		}
	}
	for _, in := range []string{"2026/04/18", "1.35", "2026.13.40"} {
		if _, _, err := ParseRelease(in); err == nil {
			t.Errorf("ParseRelease(%q) accepted", in)
		}
	}
}

func TestSupportWarning(t *testing.T) {
	w, _ := Windows("2019")
	if got := w.SupportWarning(date("2028-09-01")); !strings.Contains(got, "less than 6 months") {
		t.Errorf("warning 4 months before the end: %q", got)
	}
	if got := w.SupportWarning(date("2026-11-26")); got != "" {
		t.Errorf("warning years before the end: %q", got)
	}
	if got := w.SupportWarning(date("2029-02-01")); !strings.Contains(got, "left") {
		t.Errorf("warning after the end: %q", got)
	}
}

func TestParseECRHost(t *testing.T) {
	for host, want := range map[string]string{
		"111000111000.dkr.ecr.us-east-1.amazonaws.com":          "111000111000/us-east-1",
		"111000111000.dkr.ecr-fips.us-gov-west-1.amazonaws.com": "111000111000/us-gov-west-1",
		"111000111000.dkr.ecr.cn-north-1.amazonaws.com.cn":      "111000111000/cn-north-1",
		"111000111000.DKR.ECR.US-EAST-1.AMAZONAWS.COM":          "111000111000/us-east-1",
		"mcr.microsoft.com": "",
		"public.ecr.aws":    "",
		"1110001110.dkr.ecr.us-east-1.amazonaws.com":           "",
		"111000111000.dkr.ecr.us-east-1.amazonaws.com.evil.io": "",
	} {
		a, r, ok := ParseECRHost(host)
		if got := a + "/" + r; (want == "" && ok) || (want != "" && (!ok || got != want)) {
			t.Errorf("ParseECRHost(%q) = %q, %v; want %q", host, got, ok, want)
		}
	}
}
