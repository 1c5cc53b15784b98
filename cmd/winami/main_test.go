package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// TestMain runs main itself when the test binary is started as winami by the tests below
// (so they exercise the process's signal handling without building the binary).
func TestMain(m *testing.M) {
	if os.Getenv("WINAMI_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// startSandbox runs `winami sandbox` as a child process on a free loopback port and returns
// it with its endpoint, once it serves.
func startSandbox(t *testing.T) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "sandbox", "--listen", "127.0.0.1:0", "--peer-account", "210987654321")
	cmd.Env = append(os.Environ(), "WINAMI_TEST_RUN_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	endpoint, ok := strings.CutPrefix(strings.TrimSpace(line), "export AWS_ENDPOINT_URL=")
	if err != nil || !ok {
		t.Fatalf("first line of the sandbox: %q, %v (stderr %s)", line, err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	resp, err := http.Get(endpoint + "/_awsemu/clock")
	if err != nil {
		t.Fatalf("the sandbox does not serve: %v", err)
	}
	_ = resp.Body.Close()
	return cmd, endpoint, &stderr
}

// TestSandboxStopsOnSignal: SIGTERM (what `kill $pid`, `kill %1`, systemd and Docker send)
// and SIGINT (Ctrl-C) stop the sandbox cleanly: it says so, exits 0 and closes its port.
func TestSandboxStopsOnSignal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, endpoint, stderr := startSandbox(t)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			if err != nil || cmd.ProcessState.ExitCode() != 0 {
				t.Fatalf("after %v: %v, exit %d; stderr:\n%s", sig, err, cmd.ProcessState.ExitCode(), stderr)
			}
			if !strings.HasSuffix(stderr.String(), "winami sandbox: stopped\n") || strings.Contains(stderr.String(), "error") {
				t.Errorf("stderr after %v:\n%s", sig, stderr)
			}
			if resp, err := http.Get(endpoint + "/_awsemu/clock"); err == nil {
				_ = resp.Body.Close()
				t.Errorf("%s still answers after %v", endpoint, sig)
			}
		})
	}
}

// TestVersionOfBuild builds winami from a git repository holding this checkout's files, as
// `go install` does from a checkout (-buildvcs=true: this machine's GOFLAGS may turn VCS
// stamping off), and runs `winami version -o json` and `winami --version`: untagged it
// reports the pseudo-version and the commit, tagged the tag, with uncommitted changes
// "+dirty" and modified. `go install github.com/winami/winami/cmd/winami@vX` sets the same
// field (debug.BuildInfo.Main.Version) to vX from the module proxy's zip, which carries no
// VCS data; TestVersionFromBuildInfo covers that shape. (The tag is v1: a v2+ tag would need
// the module path to end in /v2.)
func TestVersionOfBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds winami three times (about a minute cold): not with -short")
	}
	if raceEnabled {
		t.Skip("runs only go and git processes, which the race detector does not see: the plain go test run covers it")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	root := strings.TrimSpace(string(top))
	files, err := exec.Command("git", "-C", root, "ls-files", "-z", "-c", "-o", "--exclude-standard").Output()
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	for _, name := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		b, err := os.ReadFile(filepath.Join(root, name))
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(repo, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=winami test", "-c", "user.email=test@winami.invalid", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "a checkout")
	rev := git("rev-parse", "HEAD")
	bin := filepath.Join(t.TempDir(), "bin")
	version := func() (map[string]any, string) {
		t.Helper()
		install := exec.Command("go", "install", "-buildvcs=true", "./cmd/winami")
		install.Dir = repo
		install.Env = append(os.Environ(), "GOBIN="+bin, "GOWORK=off")
		if out, err := install.CombinedOutput(); err != nil {
			t.Fatalf("go install: %v\n%s", err, out)
		}
		out, err := exec.Command(filepath.Join(bin, "winami"), "version", "-o", "json").Output()
		if err != nil {
			t.Fatalf("winami version -o json: %v", err)
		}
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("winami version -o json: %v: %s", err, out)
		}
		line, err := exec.Command(filepath.Join(bin, "winami"), "--version").Output()
		if err != nil {
			t.Fatalf("winami --version: %v", err)
		}
		return v, strings.TrimSpace(string(line))
	}
	goVersion := strings.TrimSpace(string(must(exec.Command("go", "env", "GOVERSION").Output())))

	v, line := version()
	if s, _ := v["version"].(string); !strings.HasPrefix(s, "v0.0.0-") || !strings.HasSuffix(s, "-"+rev[:12]) {
		t.Errorf("untagged: version %q, want the pseudo-version v0.0.0-<time>-%s", s, rev[:12])
	}
	if v["commit"] != rev || v["modified"] != false || v["goVersion"] != goVersion || v["commitTime"] == nil {
		t.Errorf("untagged: %v; want commit %s, modified false, goVersion %s", v, rev, goVersion)
	}
	if want := " (commit " + rev[:12] + ", " + goVersion + ", " + runtime.GOOS + "/" + runtime.GOARCH + ")"; !strings.HasPrefix(line, "winami v0.0.0-") || !strings.HasSuffix(line, want) {
		t.Errorf("untagged --version: %q, want winami v0.0.0-…%s", line, want)
	}

	git("tag", "v1.8.7")
	v, line = version()
	if v["version"] != "v1.8.7" || v["commit"] != rev {
		t.Errorf("tagged v1.8.7: %v", v)
	}
	if want := "winami v1.8.7 (commit " + rev[:12] + ", " + goVersion + ", " + runtime.GOOS + "/" + runtime.GOARCH + ")"; line != want {
		t.Errorf("tagged --version: %q, want %q", line, want)
	}

	if err := os.WriteFile(filepath.Join(repo, "uncommitted.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	v, line = version()
	if v["version"] != "v1.8.7+dirty" || v["modified"] != true {
		t.Errorf("tagged with an uncommitted file: %v", v)
	}
	if !strings.Contains(line, "winami v1.8.7+dirty (commit "+rev[:12]+", modified, ") {
		t.Errorf("modified --version: %q", line)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
