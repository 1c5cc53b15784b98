package cli

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// versionBuild is the build information `go build -buildvcs=true` embeds in a git
// checkout at tag v1.4.2 with uncommitted changes (go version -m shows the same keys).
func versionBuild(mainVersion string, modified string) *debug.BuildInfo {
	return &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/winami/winami", Version: mainVersion},
		Settings: []debug.BuildSetting{
			{Key: "-buildmode", Value: "exe"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "8d4c1233cfc1d655211abc6af169121536143d39"},
			{Key: "vcs.time", Value: "2026-12-06T22:13:54Z"},
			{Key: "vcs.modified", Value: modified},
		},
	}
}

func TestVersionFromBuildInfo(t *testing.T) {
	t.Parallel()
	platform := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name   string
		bi     *debug.BuildInfo
		linked string
		want   string // Line()
	}{
		// go install github.com/winami/winami/cmd/winami@v1.4.2: the module version, no VCS data
		// (a module zip from the proxy carries none).
		{"go install @version", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/winami/winami", Version: "v1.4.2"}}, "dev",
			"winami v1.4.2 (go1.26.8, " + platform + ")"},
		{"tagged checkout, modified", versionBuild("v1.4.2+dirty", "true"), "dev",
			"winami v1.4.2+dirty (commit 8d4c1233cfc1, modified, go1.26.8, " + platform + ")"},
		{"untagged checkout", versionBuild("v0.0.0-20261206221354-8d4c1233cfc1", "false"), "dev",
			"winami v0.0.0-20261206221354-8d4c1233cfc1 (commit 8d4c1233cfc1, go1.26.8, " + platform + ")"},
		// go build without VCS stamping (-buildvcs=false) or go run: "(devel)".
		{"devel", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/winami/winami", Version: "(devel)"}}, "dev",
			"winami dev (go1.26.8, " + platform + ")"},
		// -ldflags -X …/internal/cli.Version=2.0.0 wins over the build information.
		{"ldflags -X", versionBuild("v1.4.2", "false"), "2.0.0",
			"winami 2.0.0 (commit 8d4c1233cfc1, go1.26.8, " + platform + ")"},
		{"no build info", nil, "dev", "winami dev (" + runtime.Version() + ", " + platform + ")"},
	}
	for _, tt := range tests {
		if got := versionFrom(tt.bi, tt.linked).Line(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	v := versionFrom(versionBuild("v1.4.2", "true"), "dev")
	if v.Commit != "8d4c1233cfc1d655211abc6af169121536143d39" || v.CommitTime != "2026-12-06T22:13:54Z" || v.Modified == nil || !*v.Modified {
		t.Errorf("VCS settings not read: %+v", v)
	}
	b, _ := json.Marshal(v)
	for _, field := range []string{`"version":"v1.4.2"`, `"goVersion":"go1.26.8"`, `"commit":"8d4c`, `"commitTime":"2026-12-06T22:13:54Z"`, `"modified":true`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("JSON %s lacks %s", b, field)
		}
	}
	b, _ = json.Marshal(versionFrom(nil, "dev"))
	if strings.Contains(string(b), "modified") || strings.Contains(string(b), "commit") {
		t.Errorf("JSON without VCS data names a commit: %s", b)
	}
}

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	want := BuildVersion()
	out, stderr, code := run(t, "--version")
	if code != 0 || out != want.Line()+"\n" || stderr != "" {
		t.Errorf("--version: exit %d, stdout %q, stderr %q; want %q", code, out, stderr, want.Line())
	}
	out, _, code = run(t, "--version", "-o", "json")
	var got VersionInfo
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Version != want.Version || got.GoVersion != want.GoVersion {
		t.Errorf("--version -o json: exit %d, %q", code, out)
	}
	out, _, code = run(t, "version")
	if code != 0 || !strings.Contains(out, "winami") || !strings.Contains(out, want.GoVersion) {
		t.Errorf("version: exit %d, %q", code, out)
	}
	if _, stderr, code := run(t, "--version", "-o", "xml"); code != ExitUsage || !strings.Contains(stderr, "-o/--output") {
		t.Errorf("--version -o xml: exit %d, %q", code, stderr)
	}
	// No flag: the help, as before.
	if out, _, code := run(t); code != 0 || !strings.Contains(out, "Available Commands") {
		t.Errorf("winami alone: exit %d, %q", code, out)
	}
}
