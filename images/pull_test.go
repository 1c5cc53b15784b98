package images

import (
	"context"
	"strings"
	"testing"

	"github.com/winami/winami/catalog"
	"github.com/winami/winami/images/imagestest"
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

// TestWindows2025RunsLTSC2022: hcsshim's rule end to end. A 2025 AMI runs ltsc2022
// images; a 2022 AMI does not run ltsc2025 images; 2019 runs only 17763.
func TestWindows2025RunsLTSC2022(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	base := imagestest.Layers(t, 1, 2048)
	imagestest.PushWindows(t, reg.Host+"/app:1-ltsc2022", base, os2022)
	imagestest.PushWindows(t, reg.Host+"/app:1-ltsc2025", base, os2025)
	imagestest.PushWindows(t, reg.Host+"/app:1-ltsc2019", base, os2019)
	want := map[string]map[string]Status{
		"2019": {"ltsc2019": StatusCompatible, "ltsc2022": StatusIncompatible, "ltsc2025": StatusIncompatible},
		"2022": {"ltsc2019": StatusIncompatible, "ltsc2022": StatusCompatible, "ltsc2025": StatusIncompatible},
		"2025": {"ltsc2019": StatusIncompatible, "ltsc2022": StatusCompatible, "ltsc2025": StatusCompatible},
	}
	for host, row := range want {
		for tag, st := range row {
			ref := reg.Host + "/app:1-" + tag
			rep, err := Check(context.Background(), []string{ref}, host, fastOpts())
			if err != nil {
				t.Fatal(err)
			}
			if im := rep.Images[0]; im.Status != st {
				t.Errorf("host %s, image %s: %s (%s), want %s", host, tag, im.Status, im.Message, st)
			}
		}
	}
	rep, err := Check(context.Background(), []string{reg.Host + "/app:1-ltsc2022"}, "2025", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; strings.Join(im.CompatibleWith, ",") != "ltsc2022,ltsc2025" || im.OSVersion != os2022 {
		t.Errorf("ltsc2022 image: %+v", im)
	}
}

// TestPullOlderBuildWarns: an index listing ltsc2022 before ltsc2025 (both labelled).
// containerd 2.1.6 (2025 AMIs) pulls the 2025 entry; containerd 1.7 would pull the
// 2022 one: it runs, with a warning naming the entry it skips.
func TestPullOlderBuildWarns(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	img2022 := imagestest.WindowsImage(t, os2022, nil, 1)
	img2025 := imagestest.WindowsImage(t, os2025, nil, 1)
	ref := reg.Host + "/multi:1"
	imagestest.Push(t, ref, imagestest.Index(t, img2022, img2025))

	opts := fastOpts()
	rep, err := Check(context.Background(), []string{ref}, "2025", opts)
	if err != nil {
		t.Fatal(err)
	}
	im := rep.Images[0]
	if im.Status != StatusCompatible || im.ManifestDigest != imagestest.Digest(t, img2025) || len(im.Warnings) != 0 {
		t.Errorf("2025 with its own containerd: %+v", im)
	}
	if p := im.Pulls[0]; p.Containerd != "2.1.6" || p.Order != catalog.OrderOSVersion || strings.Join(p.Kubernetes, ",") != "1.35" {
		t.Errorf("pull %+v", p)
	}

	opts.Containerd = "1.7.30"
	rep, err = Check(context.Background(), []string{ref}, "2025", opts)
	if err != nil {
		t.Fatal(err)
	}
	im = rep.Images[0]
	if im.Status != StatusCompatible || im.ManifestDigest != imagestest.Digest(t, img2022) || len(im.Warnings) != 1 ||
		!strings.Contains(im.Warnings[0], "@"+imagestest.Digest(t, img2025)) {
		t.Errorf("2025 with containerd 1.7.30: %+v", im)
	}

	opts.Containerd = "1.5"
	if _, err := Check(context.Background(), []string{ref}, "2025", opts); err == nil || !strings.Contains(err.Error(), "containerd version") {
		t.Errorf("containerd 1.5: %v", err)
	}
}

// TestSuggestUnlabelledSibling: the sibling ltsc tag is an index whose entries carry no
// os.version; its config says the build, so it is suggested. On a 2025 host the
// host's own ltsc2025 sibling wins over ltsc2022; without it, ltsc2022 is suggested.
func TestSuggestUnlabelledSibling(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	base := imagestest.Layers(t, 1, 2048)
	imagestest.PushWindows(t, reg.Host+"/web:3.0-ltsc2019", base, os2019)
	imagestest.Push(t, reg.Host+"/web:3.0-ltsc2022", imagestest.IndexWithoutOSVersion(t, imagestest.WindowsImage(t, os2022, base, 1)))
	imagestest.PushWindows(t, reg.Host+"/api:2-ltsc2019", base, os2019)
	imagestest.Push(t, reg.Host+"/api:2-ltsc2022", imagestest.IndexWithoutOSVersion(t, imagestest.WindowsImage(t, os2022, base, 1)))
	imagestest.Push(t, reg.Host+"/api:2-ltsc2025", imagestest.IndexWithoutOSVersion(t, imagestest.WindowsImage(t, os2025, base, 1)))
	// A sibling whose unlabelled index lists 2019 first: containerd would pull that one.
	imagestest.PushWindows(t, reg.Host+"/bad:1-ltsc2019", base, os2019)
	imagestest.Push(t, reg.Host+"/bad:1-ltsc2022", imagestest.IndexWithoutOSVersion(t,
		imagestest.WindowsImage(t, os2019, base, 1), imagestest.WindowsImage(t, os2022, base, 1)))

	for _, tc := range []struct{ ref, host, want string }{
		{"/web:3.0-ltsc2019", "2022", "/web:3.0-ltsc2022"},
		{"/web:3.0-ltsc2019", "2025", "/web:3.0-ltsc2022"},
		{"/api:2-ltsc2019", "2025", "/api:2-ltsc2025"},
		{"/api:2-ltsc2019", "2022", "/api:2-ltsc2022"},
		{"/bad:1-ltsc2019", "2022", ""},
	} {
		rep, err := Check(context.Background(), []string{reg.Host + tc.ref}, tc.host, fastOpts())
		if err != nil {
			t.Fatal(err)
		}
		im := rep.Images[0]
		want := ""
		if tc.want != "" {
			want = reg.Host + tc.want
		}
		if im.Status != StatusIncompatible || im.Suggestion != want {
			t.Errorf("%s on %s: %s, suggestion %q, want %q", tc.ref, tc.host, im.Status, im.Suggestion, want)
		}
		if want != "" && !strings.HasSuffix(im.Message, "; use "+want) {
			t.Errorf("%s on %s: message %q", tc.ref, tc.host, im.Message)
		}
	}
}

// TestMissingVersusBroken: only the reference itself can be missing. An index entry or
// config blob the registry does not have is an error (the image is broken).
func TestMissingVersusBroken(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	img := imagestest.WindowsImage(t, os2022, nil, 1)
	imagestest.Push(t, reg.Host+"/noconfig:1", img)
	child := imagestest.WindowsImage(t, os2022, nil, 1)
	imagestest.Push(t, reg.Host+"/nochild:1", imagestest.IndexWithoutOSVersion(t, child))
	reg.Hide(imagestest.ConfigDigest(t, img), imagestest.Digest(t, child))

	refs := []string{reg.Host + "/noconfig:1", reg.Host + "/nochild:1", reg.Host + "/noconfig:2", reg.Host + "/norepo:1",
		reg.Host + "/noconfig@sha256:" + strings.Repeat("0", 64)}
	rep, err := Check(context.Background(), refs, "2022", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		st   Status
		text string
	}{
		{StatusError, "broken"},
		{StatusError, "index entry 0"},
		{StatusMissing, "tag 2 not found in repository noconfig"},
		{StatusMissing, "repository norepo does not exist"},
		{StatusMissing, "digest sha256:000"},
	}
	for i, w := range want {
		if im := rep.Images[i]; im.Status != w.st || !strings.Contains(im.Message, w.text) {
			t.Errorf("%s: %s %q, want %s containing %q", im.Ref, im.Status, im.Message, w.st, w.text)
		}
	}
	if rep.Totals.Missing != 3 || rep.Totals.Errors != 2 {
		t.Errorf("totals %+v", rep.Totals)
	}
}

// TestHostileOSVersion: an os.version with terminal escapes (a registry controls it) is
// printed harmlessly and matches no host, as containerd's parser rejects it.
func TestHostileOSVersion(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	evil := "10.0.20348.1\x1b]0;pwned\x07"
	imagestest.PushWindows(t, reg.Host+"/evil:1", nil, evil)
	rep, err := Check(context.Background(), []string{reg.Host + "/evil:1"}, "2022", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	im := rep.Images[0]
	if im.Status != StatusIncompatible {
		t.Errorf("status %s", im.Status)
	}
	for _, s := range append([]string{im.Message, im.Entries[0].OSVersion}, im.Platforms...) {
		if strings.ContainsAny(s, "\x1b\x07") {
			t.Errorf("control characters printed: %q", s)
		}
	}
}
