package images

import (
	"strings"
	"testing"

	"github.com/winami/winami/catalog"
)

func labelled(i int, osv string) *Entry {
	return &Entry{Index: i, ManifestDigest: "sha256:" + strings.Repeat(string(rune('a'+i)), 64), OSVersion: osv, label: osv}
}

func unlabelled(i int, osv string) *Entry {
	e := labelled(i, osv)
	e.label, e.FromConfig = "", true
	return e
}

// TestPullContainerdPlatformOrder ports containerd/platforms' Test_PlatformOrder
// (platform_windows_compat_test.go at v1.0.0-rc.4, 09756f59cb1d: the windowsMatchComparer
// of containerd ≥ 2.1.6) and shows what the older orders pick on the same indexes
// (containerd 1.7–2.1.5: index order; 1.6: revision).
func TestPullContainerdPlatformOrder(t *testing.T) {
	ws2022 := "10.0.20348.3091"
	ws2025 := "10.0.26100.2894"
	ws2025r3000 := "10.0.26100.3000"
	for _, tc := range []struct {
		name  string
		host  string
		osvs  []string
		order catalog.PullOrder
		want  string
	}{
		// containerd/platforms' cases (the linux entry is dropped before, in read).
		{"Windows Server 2022 should select 2022", ws2022, []string{ws2022, ws2025}, catalog.OrderOSVersion, ws2022},
		{"Windows Server 2025 should select 2025", ws2025, []string{ws2022, ws2025}, catalog.OrderOSVersion, ws2025},
		{"Windows Server 2025 should select 2025 latest rev", ws2025, []string{ws2022, ws2025r3000}, catalog.OrderOSVersion, ws2025r3000},
		// The same indexes under containerd 1.7 (EKS AMIs up to Kubernetes 1.33): the
		// first accepted entry in index order, so a 2025 host runs the ltsc2022 entry.
		{"1.7: 2022 host", ws2022, []string{ws2022, ws2025}, catalog.OrderIndex, ws2022},
		{"1.7: 2025 host takes the first", ws2025, []string{ws2022, ws2025}, catalog.OrderIndex, ws2022},
		{"1.7: 2025 host, 2025 listed first", ws2025, []string{ws2025, ws2022}, catalog.OrderIndex, ws2025},
		// containerd 1.6: the greater revision, whatever the build.
		{"1.6: 2025 host, greater revision wins", ws2025, []string{ws2025, ws2022}, catalog.OrderRevision, ws2022},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var es []*Entry
			for i, v := range tc.osvs {
				es = append(es, labelled(i, v))
			}
			e, why := pull(es, tc.host, tc.order)
			if e == nil || e.OSVersion != tc.want {
				t.Fatalf("picked %+v (%s), want %s", e, why, tc.want)
			}
		})
	}
}

// TestPullMatcherAcceptance ports containerd/platforms' TestMatchComparerMatch_WCOW
// (defaults_windows_test.go at 09756f59cb1d) for a 2019 host: the host's build with any
// revision matches, a neighbouring build does not, an entry without os.version does.
func TestPullMatcherAcceptance(t *testing.T) {
	host := "10.0.17763"
	for _, tc := range []struct {
		e    *Entry
		want bool
	}{
		{labelled(0, host+".1"), true},
		{labelled(0, host+".2"), true},
		{labelled(0, "10.0.17762.1"), false},
		{labelled(0, "10.0.17764.1"), false},
		{unlabelled(0, ""), true},
	} {
		e, _ := pull([]*Entry{tc.e}, host, catalog.OrderIndex)
		if (e != nil) != tc.want {
			t.Errorf("%q: accepted %v, want %v", tc.e.label, e != nil, tc.want)
		}
	}
	// Entries without os.version are accepted whatever their build, and sorted after
	// labelled ones only by the os.version order ("" is the least string).
	es := []*Entry{unlabelled(0, "10.0.17763.1"), labelled(1, "10.0.20348.5")}
	if e, _ := pull(es, "10.0.20348", catalog.OrderIndex); e.Index != 0 {
		t.Errorf("index order: picked %d, want the unlabelled first entry", e.Index)
	}
	if e, _ := pull(es, "10.0.20348", catalog.OrderOSVersion); e.Index != 1 {
		t.Errorf("os.version order: picked %d, want the labelled entry", e.Index)
	}
}
