package awse2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	// Not called: linking the CLI into the test binary makes go test's result cache follow
	// the sources of the winami binary TestMain builds, so that `go test ./...` reruns
	// this suite when the CLI or a library under it changes (cmd/winami/main.go, a few
	// lines, is the only source it does not follow).
	_ "github.com/winami/winami/internal/cli"

	"github.com/winami/winami/e2e"
)

// winamiBin is the binary TestMain builds, as a user would: go build ./cmd/winami.
var winamiBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "winami-e2e-aws-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	winamiBin, err = e2e.BuildWinami(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = os.RemoveAll(dir) // a temporary directory: best effort
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir) // a temporary directory: best effort
	os.Exit(code)
}

// result is one run of the winami binary.
type result struct {
	args           []string
	stdout, stderr []byte
	code           int
	wall           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("winami %s: exit %d after %s\nstdout:\n%s\nstderr:\n%s",
		strings.Join(r.args, " "), r.code, r.wall.Round(time.Millisecond), r.stdout, r.stderr)
}

// winami runs the binary with the world's environment, as a user would in a shell with
// no terminal (stdin is empty), and returns what it printed and its exit code.
func (w *world) winami(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(ctx, winamiBin, args...)
	cmd.Env = w.env
	cmd.Dir = w.dir
	// On the flow's deadline winami gets Ctrl-C first (a build says what it leaves
	// running); the clean-up cancels what still runs.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	var lines *lineLogger
	if w.stream {
		lines = &lineLogger{t: t, prefix: "winami " + args[0] + ": "}
		cmd.Stderr = io.MultiWriter(&stderr, lines)
	} else {
		cmd.Stderr = &stderr
	}
	start := time.Now()
	err := cmd.Run()
	r := result{args: args, stdout: stdout.Bytes(), stderr: stderr.Bytes(), wall: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		t.Fatalf("running winami %s: %v (after %s)\nstderr:\n%s", strings.Join(args, " "), err, r.wall, r.stderr)
	}
	if lines != nil {
		lines.flush()
	}
	t.Logf("winami %s: exit %d in %s", strings.Join(args, " "), r.code, r.wall.Round(time.Millisecond))
	return r
}

// must runs winami and fails the test unless it exits with want.
func (w *world) must(t *testing.T, ctx context.Context, want int, args ...string) result {
	t.Helper()
	r := w.winami(t, ctx, args...)
	if r.code != want {
		t.Fatalf("want exit %d\n%s", want, r)
	}
	return r
}

// mustJSON runs winami (which must exit 0) and decodes its stdout into v; a field that v
// does not expect is not an error (JSON fields are only ever added).
func (w *world) mustJSON(t *testing.T, ctx context.Context, v any, args ...string) result {
	t.Helper()
	r := w.must(t, ctx, 0, args...)
	if err := json.Unmarshal(r.stdout, v); err != nil {
		t.Fatalf("stdout is not the JSON expected (%T): %v\n%s", v, err, r)
	}
	return r
}

// lineLogger logs each complete line written to it.
type lineLogger struct {
	t      *testing.T
	prefix string
	mu     sync.Mutex
	buf    bytes.Buffer
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			l.buf.Reset()
			l.buf.WriteString(line)
			return len(p), nil
		}
		l.t.Log(l.prefix + strings.TrimRight(line, "\n"))
	}
}

func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	sc := bufio.NewScanner(&l.buf)
	for sc.Scan() {
		l.t.Log(l.prefix + sc.Text())
	}
	l.buf.Reset()
}

// The JSON winami prints, as the README documents it (only the fields the suite reads).

type resolved struct {
	Region, Windows, Edition, Kubernetes, Parameter string
	ImageID                                         string `json:"imageId"`
	Error                                           string `json:"error"`
}

type change struct {
	Resource, Name, Action, Reason, Version string
	ARN                                     string `json:"arn"`
}

type check struct {
	Name, Status, Message, Fix string
}

type builtAMI struct {
	Region           string `json:"region"`
	ImageID          string `json:"imageId"`
	FastLaunch       string `json:"fastLaunch"`
	FastLaunchReason string `json:"fastLaunchReason"`
}

type buildResult struct {
	Image     string     `json:"image"`
	AMIs      []builtAMI `json:"amis"`
	Parameter string     `json:"parameter"`
	Published []struct {
		Region string `json:"region"`
		By     string `json:"by"`
	} `json:"published"`
	State      string `json:"state"`
	Skipped    bool   `json:"skipped"`
	InputsHash string `json:"inputsHash"`
}

// ami returns the build's AMI in region.
func (b buildResult) ami(t *testing.T, region string) string {
	t.Helper()
	for _, a := range b.AMIs {
		if a.Region == region {
			return a.ImageID
		}
	}
	t.Fatalf("the build printed no AMI for %s: %+v", region, b.AMIs)
	return ""
}

type fastLaunchState struct {
	Region              string `json:"region"`
	ImageID             string `json:"imageId"`
	State               string `json:"state"`
	TargetSnapshots     int    `json:"targetSnapshots"`
	MaxParallelLaunches int    `json:"maxParallelLaunches"`
	StateReason         string `json:"stateReason"`
	OwnerID             string `json:"ownerId"`
}

type fastLaunchDryRun struct {
	Region  string  `json:"region"`
	ImageID string  `json:"imageId"`
	Checks  []check `json:"checks"`
	DryRun  bool    `json:"dryRun"`
}

type pruneResult struct {
	Name   string `json:"name"`
	Images []struct {
		Region     string   `json:"region"`
		ImageID    string   `json:"imageId"`
		Action     string   `json:"action"`
		Reasons    []string `json:"reasons"`
		FastLaunch string   `json:"fastLaunch"`
		Snapshots  []struct {
			ID     string `json:"id"`
			Delete bool   `json:"delete"`
			Result string `json:"result"`
		} `json:"snapshots"`
		Result string `json:"result"`
	} `json:"images"`
}
