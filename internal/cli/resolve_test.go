package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/catalog"
)

func TestResolveJSONContract(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t)
	out, stderr, code := run(t, "resolve", "--windows", "2022,2025", "--edition", "core", "--kubernetes", "1.35,1.36", "--region", "us-east-1,eu-west-1", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var raw []map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("output is not a JSON array: %v\n%s", err, out)
	}
	if len(raw) != 8 {
		t.Fatalf("%d entries, want 8 (2 regions × 2 windows × 2 kubernetes)", len(raw))
	}
	for _, e := range raw {
		for _, k := range []string{"region", "windows", "edition", "kubernetes", "parameter", "imageId", "version", "lastModified"} {
			if _, ok := e[k]; !ok {
				t.Errorf("entry lacks %q: %v", k, e)
			}
		}
		if _, ok := e["error"]; ok {
			t.Errorf("entry has an error: %v", e)
		}
	}
	if n := srv.Faults.Count("ssm", "GetParameters", "eu-west-1"); n != 1 {
		t.Errorf("GetParameters in eu-west-1: %d requests, want 1", n)
	}
}

func TestResolveDefaultsToNewestStandardKubernetes(t *testing.T) {
	t.Parallel()
	useEmulator(t)
	out, stderr, code := run(t, "resolve", "--windows", "2019", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var entries []struct{ Kubernetes, Edition, Region string }
	if err := json.Unmarshal([]byte(out), &entries); err != nil || len(entries) != 2 {
		t.Fatalf("entries %v (%v): %s", entries, err, out)
	}
	if entries[0].Region != "us-east-1" || entries[0].Kubernetes == "" || entries[0].Kubernetes != entries[1].Kubernetes {
		t.Errorf("defaults gave %+v", entries)
	}
}

func TestResolveMissingParameterExits1(t *testing.T) {
	t.Parallel()
	useEmulator(t)
	out, stderr, code := run(t, "resolve", "--windows", "2019", "--edition", "full", "--kubernetes", "1.24,1.36", "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
	}
	if !strings.Contains(stderr, "missing: /aws/service/ami-windows-latest/Windows_Server-2019-English-Full-EKS_Optimized-1.24/image_id in us-east-1") {
		t.Errorf("stderr does not name the missing parameter: %s", stderr)
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(out), &entries); err != nil || len(entries) != 2 {
		t.Fatalf("%v: %s", err, out)
	}
	if entries[0]["error"] == nil || entries[1]["error"] != nil {
		t.Errorf("errors on the wrong entries: %v", entries)
	}
}

func TestResolveBadFlagsExit2(t *testing.T) {
	t.Parallel()
	useEmulator(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--kubernetes", "v1.31"}, "--kubernetes"},
		{[]string{"--kubernetes", "1.31.2"}, "--kubernetes"},
		{[]string{"--windows", "20H2"}, "retired"},
		{[]string{"--windows", "2025", "--kubernetes", "1.31"}, "1.35 and later"},
		{[]string{"--edition", "nano"}, "--edition"},
		{[]string{"--region", "moon-1"}, "--region"},
		{[]string{"--concurrency", "0"}, "--concurrency"},
	} {
		_, stderr, code := run(t, append([]string{"resolve"}, tt.args...)...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("resolve %v: exit %d, stderr %q; want exit 2 naming %q", tt.args, code, stderr, tt.want)
		}
	}
}

func TestResolveExpiredCredentials(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t)
	for i := 0; i < 12; i++ { // every retry attempt sees the expired token
		srv.Faults.FailNext("ssm", "GetParameters", awsemu.FaultError{Code: "ExpiredTokenException", Message: "The security token included in the request is expired"})
	}
	_, stderr, code := run(t, "resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "1.36", "--profile", "")
	if code != 1 || !strings.Contains(stderr, "credentials were refused or are missing") || !strings.Contains(stderr, "region us-east-1") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestResolveNoCredentials(t *testing.T) {
	t.Parallel()
	useEmulator(t)
	useNoCredentials(t)
	_, stderr, code := run(t, "resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "1.36")
	if code != 1 || !strings.Contains(stderr, "credentials were refused or are missing") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	// With the default Kubernetes version (asked of EKS), the missing credentials are the
	// error, not a warning about EKS followed by a fallback.
	_, stderr, code = run(t, "resolve", "--windows", "2022", "--edition", "core")
	if code != 1 || !strings.Contains(stderr, "credentials were refused or are missing") || strings.Contains(stderr, "warning") {
		t.Errorf("default Kubernetes: exit %d, stderr %q", code, stderr)
	}
}

// TestResolveAllAsksEKSAndEC2: --kubernetes all lists the versions EKS DescribeClusterVersions
// answers (2025 left out before its first version), --region all the regions of EC2
// DescribeRegions; one GetParameters request per 10 names per region.
func TestResolveAllAsksEKSAndEC2(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t)
	out, stderr, code := run(t, "resolve", "--kubernetes", "all", "--edition", "core", "--region", "all", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("unexpected warning: %s", stderr)
	}
	var entries []struct{ Region, Windows, Kubernetes, ImageId, Error string }
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatal(err)
	}
	regions, perRegion := map[string]int{}, map[string]int{}
	for _, e := range entries {
		regions[e.Region]++
		if e.Region == "us-east-1" {
			perRegion[e.Windows+"/"+e.Kubernetes]++
		}
		if e.Windows == "2025" && catalog.Supported("2025", e.Kubernetes) != nil {
			t.Errorf("--kubernetes all included a combination the catalog rules out: %+v", e)
		}
		if e.Error != "" || !strings.HasPrefix(e.ImageId, "ami-") {
			t.Errorf("entry %+v", e)
		}
	}
	if len(regions) != len(seed.Regions()) {
		t.Errorf("--region all gave %d regions, want the %d DescribeRegions lists", len(regions), len(seed.Regions()))
	}
	k8s := catalog.KubernetesVersions()
	want := 0
	for _, w := range catalog.WindowsVersionNames() {
		for _, k := range k8s {
			if catalog.Supported(w, k) == nil {
				want++
				if perRegion[w+"/"+k] != 1 {
					t.Errorf("us-east-1: Windows %s Kubernetes %s listed %d times, want once", w, k, perRegion[w+"/"+k])
				}
			}
		}
	}
	if regions["us-east-1"] != want {
		t.Errorf("us-east-1: %d entries, want %d", regions["us-east-1"], want)
	}
	asked := 0
	for _, r := range seed.Regions() {
		asked += srv.Faults.Count("eks", "DescribeClusterVersions", r)
	}
	if asked != 1 || srv.Faults.Count("eks", "DescribeClusterVersions", "us-east-1") != 1 {
		t.Errorf("EKS DescribeClusterVersions asked %d times, want once, in the configured region us-east-1: %v", asked, srv.Faults.Counts())
	}
	if n := srv.Faults.Count("ec2", "DescribeRegions", "us-east-1"); n != 1 {
		t.Errorf("EC2 DescribeRegions: %d requests, want 1", n)
	}
	if n, w := srv.Faults.Count("ssm", "GetParameters", "eu-west-1"), (want+9)/10; n != w {
		t.Errorf("GetParameters in eu-west-1: %d requests, want %d", n, w)
	}
}

// TestResolveKubernetesAllFallsBackWhenEKSDenies: a denied DescribeClusterVersions gives the
// catalog's versions with a warning on stderr, and still exit 0.
func TestResolveKubernetesAllFallsBackWhenEKSDenies(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t)
	srv.Faults.FailNext("eks", "DescribeClusterVersions", awsemu.FaultError{Status: 403, Code: "AccessDeniedException", Message: "not authorized to perform: eks:DescribeClusterVersions"})
	out, stderr, code := run(t, "resolve", "--kubernetes", "all", "--windows", "2025", "--edition", "full", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "AccessDeniedException") || !strings.Contains(stderr, "catalog") {
		t.Errorf("no fallback warning on stderr: %q", stderr)
	}
	var entries []struct{ Kubernetes string }
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, k := range catalog.KubernetesVersions() {
		if catalog.Supported("2025", k) == nil {
			want = append(want, k)
		}
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Kubernetes)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Kubernetes versions %v, want the catalog's %v", got, want)
	}
}

// TestResolveDetailsTable: the table of --details shows the AMI's release version, creation
// date and name, as the JSON does.
func TestResolveDetailsTable(t *testing.T) {
	t.Parallel()
	useEmulator(t)
	// -o wide: the row on one line (the table moves the name under it at 120 columns).
	out, stderr, code := run(t, "resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "1.36", "--details", "-o", "wide")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	js, _, _ := run(t, "resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "1.36", "--details", "-o", "json")
	var entries []struct {
		Details struct{ Name, CreationDate, ReleaseVersion string }
	}
	if err := json.Unmarshal([]byte(js), &entries); err != nil || len(entries) != 1 || entries[0].Details.CreationDate == "" {
		t.Fatalf("JSON %v %s", err, js)
	}
	d := entries[0].Details
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "CREATED") {
		t.Fatalf("table:\n%s", out)
	}
	created := strings.Replace(d.CreationDate[:16], "T", " ", 1) // 2026-11-12 09:00
	for _, want := range []string{d.Name, d.ReleaseVersion, created} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row lacks %q:\n%s", want, out)
		}
	}
}
