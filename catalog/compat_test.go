package catalog

import (
	"fmt"
	"strings"
	"testing"
)

// TestHostRunsContainer ports hcsshim's Test_PlatformCompat
// (github.com/microsoft/hcsshim osversion/platform_compat_windows_test.go at
// 7c9ff7f481383ff47524bade75d1b25d631b49ce) and the two V23H2 cases containerd's copy
// adds (github.com/containerd/platforms platform_windows_compat_test.go at 09756f59cb1d).
func TestHostRunsContainer(t *testing.T) {
	for _, tc := range []struct {
		host, ctr int
		shouldRun bool
	}{
		{BuildLTSC2019, BuildLTSC2019, true},
		{BuildLTSC2019, BuildLTSC2022, false},
		{BuildLTSC2022, BuildLTSC2019, false},
		{BuildLTSC2022, BuildLTSC2022, true},
		{BuildV22H2Win11, BuildLTSC2019, false},
		{BuildV22H2Win11, BuildLTSC2022, true},
		{BuildV23H2, BuildLTSC2019, false}, // containerd/platforms only
		{BuildV23H2, BuildLTSC2022, true},  // containerd/platforms only
		{BuildLTSC2025, BuildLTSC2022, true},
		{BuildLTSC2022, BuildLTSC2025, false},
		{BuildLTSC2022, BuildV22H2Win11, false},
		{BuildLTSC2025, BuildV22H2Win11, true},
	} {
		t.Run(fmt.Sprintf("Host_%d_Ctr_%d", tc.host, tc.ctr), func(t *testing.T) {
			h := OSVersion{Major: 10, Minor: 0, Build: tc.host}
			c := OSVersion{Major: 10, Minor: 0, Build: tc.ctr}
			if HostRunsContainer(h, c) != tc.shouldRun {
				not := ""
				if !tc.shouldRun {
					not = " NOT"
				}
				t.Fatalf("host %d should%s be able to run guest %d", tc.host, not, tc.ctr)
			}
		})
	}
}

// TestRunsOnMatrix is the table the README shows: host 2019/2022/2025 × image
// ltsc2019/2022/2025, revisions ignored.
func TestRunsOnMatrix(t *testing.T) {
	want := map[string]string{
		"10.0.17763.6054": "2019",
		"10.0.20348.2700": "2022,2025",
		"10.0.26100.1742": "2025",
		"10.0.19041.1":    "", // 2004 (SAC): no supported host
		"6.3.9600":        "",
		"10.1.20348":      "", // minor differs
		"garbage":         "",
	}
	for ctr, w := range want {
		var got []string
		for _, v := range RunsOn(ctr) {
			got = append(got, v.Version)
		}
		if strings.Join(got, ",") != w {
			t.Errorf("RunsOn(%s) = %v, want %s", ctr, got, w)
		}
	}
	if !Runs("10.0.26100.2894", "10.0.20348.3091") || Runs("10.0.20348", "10.0.26100") || Runs("10.0.17763", "10.0.20348") {
		t.Error("Runs disagrees with HostRunsContainer")
	}
}

func TestParseOSVersion(t *testing.T) {
	v, err := ParseOSVersion("10.0.20348.2700")
	if err != nil || v != (OSVersion{10, 0, 20348, 2700}) || v.String() != "10.0.20348.2700" {
		t.Errorf("got %+v %v", v, err)
	}
	for _, bad := range []string{"", "10.0", "10.0.x", "10.0.20348.1.2", "10..20348", "10.0.-1"} {
		if _, err := ParseOSVersion(bad); err == nil || !strings.Contains(err.Error(), "os.version") {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestContainerdOrder(t *testing.T) {
	for v, want := range map[string]PullOrder{
		"1.6.28": OrderRevision, "1.7.20": OrderIndex, "v1.7.30": OrderIndex, "2.0.5": OrderIndex,
		"2.1.4": OrderIndex, "2.1.5": OrderIndex, "2.1.6": OrderOSVersion, "2.2.0": OrderOSVersion, "2.1.6-eks": OrderOSVersion,
	} {
		if got, err := ContainerdOrder(v); err != nil || got != want {
			t.Errorf("ContainerdOrder(%s) = %s, %v; want %s", v, got, err, want)
		}
	}
	for _, bad := range []string{"", "1", "x.y", "1.5.0", "0.9"} {
		if _, err := ContainerdOrder(bad); err == nil {
			t.Errorf("ContainerdOrder(%q): no error", bad)
		}
	}
	// Every Kubernetes minor the catalog knows maps to a containerd version with an order.
	for _, k := range EKSContainerdVersions() {
		v, ok := EKSContainerd(k)
		if _, err := ContainerdOrder(v); !ok || err != nil {
			t.Errorf("%s: containerd %q: %v", k, v, err)
		}
	}
	if v, _ := EKSContainerd("1.33"); v != "1.7.30" {
		t.Errorf("1.33: %s", v)
	}
	if _, ok := EKSContainerd("1.20"); ok {
		t.Error("1.20 known")
	}
}
