package readmetest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// Replacement maps a value the README shows to the one a test run uses: applied to every
// command (and hidden setup command) before it runs, and reversed on every output
// before it is compared or written back. Ports must keep their width, so that tables
// keep their columns.
type Replacement struct {
	// README is the value as the README writes it (127.0.0.1:4566).
	README string
	// Actual is the value the run uses (127.0.0.1:4613).
	Actual string
	// CommandOnly replaces in commands only (a command rewritten for the test, such as
	// the registry started from a binary built once): outputs are left as they are.
	CommandOnly bool
}

// Options say which scenes of which file to run, and how.
type Options struct {
	// README is the Markdown file's path.
	README string
	// Root is the repository: the scene directories link its tracked top-level files.
	Root string
	// Select picks the scenes to run (nil: every scene).
	Select func(*Scene) bool
	// Bin is put first on PATH (the winami built from the checkout).
	Bin string
	// Env is added to the sessions' environment (after the defaults: PATH, HOME…).
	Env []string
	// Replace maps ports and paths (see Replacement).
	Replace []Replacement
	// SceneReplace, when set, gives each scene replacements of its own (free ports, so
	// that scenes can run in parallel), applied after Replace.
	SceneReplace func(t *testing.T) []Replacement
	// Timeout bounds each command (default 3m; a block's timeout directive overrides).
	Timeout time.Duration
	// Update rewrites the README's outputs that differ.
	Update bool
	// Parallel runs the scenes as parallel subtests.
	Parallel bool
}

// Outcome is the result of one README command.
type Outcome struct {
	Command *Command
	// Output is what it printed, mapped back to the README's ports and paths.
	Output string
	// Replay marks a command of an after= scene: run, not compared.
	Replay bool
}

// Run parses opts.README, runs each selected scene as a subtest and fails each command
// whose output differs from the README's, naming the block (its line and first command),
// the command and the diff. With opts.Update, the differing outputs are written back to
// the README once every scene has run (a scene that could not run changes nothing).
func Run(t *testing.T, opts Options) {
	t.Helper()
	src, err := os.ReadFile(opts.README)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(opts.README)
	doc, err := Parse(name, src)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range doc.Unmarked() {
		t.Errorf("%s:%d: console block of %q has no test directive: add <!-- test: scene NAME --> (or <!-- test: skip REASON --> when it cannot run here)", name, b.Line, firstLine(b.Commands[0].Text))
	}
	if opts.Timeout == 0 {
		opts.Timeout = 3 * time.Minute
	}
	env := SessionEnv(t, opts)
	results := make(chan []Outcome, len(doc.Scenes()))
	var ran int
	t.Run("scenes", func(t *testing.T) {
		for _, sc := range doc.Scenes() {
			if opts.Select != nil && !opts.Select(sc) {
				continue
			}
			ran++
			t.Run(sc.Name, func(t *testing.T) {
				if opts.Parallel {
					t.Parallel()
				}
				var blocks []*Block
				replay := map[*Block]bool{}
				if sc.After != "" {
					prev := doc.Scene(sc.After)
					if prev == nil {
						t.Fatalf("scene %s: after=%s: no such scene", sc.Name, sc.After)
					}
					for _, b := range prev.Blocks {
						replay[b] = true
						blocks = append(blocks, b)
					}
				}
				blocks = append(blocks, sc.Blocks...)
				sceneOpts := opts
				if opts.SceneReplace != nil {
					sceneOpts.Replace = append(append([]Replacement(nil), opts.Replace...), opts.SceneReplace(t)...)
				}
				outs := RunBlocks(t, doc, blocks, replay, env, sceneOpts)
				var mine []Outcome
				for _, o := range outs {
					if !o.Replay {
						mine = append(mine, o)
					}
				}
				for _, f := range Failures(doc, mine) {
					t.Error(f)
				}
				if !t.Failed() || opts.Update {
					results <- mine
				}
			})
		}
	})
	close(results)
	if ran == 0 {
		t.Fatal("no scene selected")
	}
	if !opts.Update {
		return
	}
	var all []Outcome
	for r := range results {
		all = append(all, r...)
	}
	out, n := Rewrite(doc, all)
	if n == 0 {
		t.Logf("%s: every output matches: nothing to update", name)
		return
	}
	if err := os.WriteFile(opts.README, out, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: rewrote %d output(s)", name, n)
}

// RunBlocks runs blocks in one session, in a new scratch directory that links opts.Root's
// tracked top-level files, and returns each command's outcome. A command that could not
// run (a hidden setup command that failed, a timeout) fails the test and ends the scene.
func RunBlocks(t *testing.T, doc *Doc, blocks []*Block, replay map[*Block]bool, env []string, opts Options) []Outcome {
	t.Helper()
	dir := t.TempDir()
	tmp := t.TempDir()
	if err := linkTracked(opts.Root, dir); err != nil {
		t.Fatal(err)
	}
	s, err := StartSession(dir, tmp, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	for _, b := range doc.Blocks {
		if b.File != "" && b.Scene == "" {
			// A file block outside any scene is every scene's starting point.
			if err := os.WriteFile(filepath.Join(dir, b.File), []byte(toActual(b.Body, opts.Replace)+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx := context.Background()
	var outs []Outcome
	for _, b := range blocks {
		timeout := opts.Timeout
		if timeout == 0 {
			timeout = 3 * time.Minute
		}
		if b.Timeout > 0 {
			timeout = b.Timeout
		}
		for _, setup := range b.Setup {
			r, err := s.Run(ctx, toActual(setup, opts.Replace), timeout, 0, -1)
			if err != nil || r.ExitCode != 0 {
				t.Fatalf("%s:%d: %s: hidden setup %q: exit %d, %v:\n%s", doc.Name, b.Line, b.First(), setup, r.ExitCode, err, r.Output)
			}
		}
		if b.File != "" && b.Lang == "console" && len(b.Commands) > 0 {
			// A console block that shows a file (cat FILE): the file is what it shows.
			if err := os.WriteFile(filepath.Join(dir, b.File), []byte(toActual(b.Commands[0].Output, opts.Replace)+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		} else if b.File != "" {
			if err := os.WriteFile(filepath.Join(dir, b.File), []byte(toActual(b.Body, opts.Replace)+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range b.Commands {
			want := 0
			for _, l := range strings.Split(c.Output, "\n") {
				if strings.TrimSpace(l) != "" && strings.TrimSpace(l) != "…" {
					want++
				}
			}
			start := time.Now()
			r, err := s.Run(ctx, toActual(c.Text, opts.Replace), timeout, b.Interrupt[i], want)
			if testing.Verbose() {
				t.Logf("%s:%d: $ %s (%s, exit %d)", doc.Name, c.Line, firstLine(c.Text), time.Since(start).Round(time.Millisecond), r.ExitCode)
			}
			if err != nil {
				t.Fatalf("%s:%d: %s: \"$ %s\": %v", doc.Name, b.Line, b.First(), firstLine(c.Text), err)
			}
			outs = append(outs, Outcome{Command: c, Output: toREADME(r.Output, opts.Replace), Replay: replay[b]})
		}
	}
	return outs
}

// Failures compares each outcome's output with the README's and returns a message per
// difference: the file and line of the block, its first command, the command that
// printed something else (with its line) and the diff (- README, + this run).
func Failures(doc *Doc, outs []Outcome) []string {
	var fs []string
	for _, o := range outs {
		if o.Replay {
			continue
		}
		if ok, diff := Match(o.Command.Output, o.Output); !ok {
			b := o.Command.Block
			fs = append(fs, fmt.Sprintf("%s:%d: %s: the output of \"$ %s\" (%s:%d) differs from the README (- README, + this run):\n%s",
				doc.Name, b.Line, b.First(), firstLine(o.Command.Text), doc.Name, o.Command.Line, diff))
		}
	}
	return fs
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func toActual(s string, reps []Replacement) string {
	for _, r := range reps {
		s = strings.ReplaceAll(s, r.README, r.Actual)
	}
	return s
}

func toREADME(s string, reps []Replacement) string {
	for i := len(reps) - 1; i >= 0; i-- {
		if reps[i].CommandOnly {
			continue
		}
		s = strings.ReplaceAll(s, reps[i].Actual, reps[i].README)
	}
	return s
}

// SessionEnv is what a reader's shell would have, without their AWS settings: PATH (opts.Bin
// first), a HOME of its own (no ~/.aws, ~/.docker, ~/.kube of the machine), Go's caches
// (for commands that build), UTC, a UTF-8 locale, no terminal, the instance metadata
// service off; then opts.Env.
func SessionEnv(t *testing.T, opts Options) []string {
	home := t.TempDir()
	env := []string{
		"PATH=" + opts.Bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + home,
		"TZ=UTC",
		"LANG=C.UTF-8",
		"LC_ALL=C.UTF-8",
		"TERM=dumb",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS", "GOTOOLCHAIN", "GOROOT", "TMPDIR"} {
		if v := goEnv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return append(env, opts.Env...)
}

func goEnv(k string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	if k == "TMPDIR" {
		return ""
	}
	out, err := exec.Command("go", "env", k).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// linkTracked links root's tracked top-level files and directories (examples/, docs/,
// e2e/, go.mod…) into dir, so the README's relative paths work while what its commands
// write (out/, winami.yaml…) stays in dir.
func linkTracked(root, dir string) error {
	out, err := exec.Command("git", "-C", root, "ls-files").Output()
	if err != nil {
		return fmt.Errorf("listing the repository's files: %w", err)
	}
	seen := map[string]bool{}
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		top, _, _ := strings.Cut(f, "/")
		seen[top] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == "" {
			continue
		}
		if err := os.Symlink(filepath.Join(root, n), filepath.Join(dir, n)); err != nil {
			return fmt.Errorf("linking %s: %w", n, err)
		}
	}
	return nil
}
