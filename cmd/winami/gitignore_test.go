package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// writtenBy finds, in a README console command, the paths it writes in the checkout:
// redirections (> file, not /dev/null or a variable), render's -d DIR and go build -o FILE.
var writtenBy = []*regexp.Regexp{
	regexp.MustCompile(`(?:^|[^0-9&>])>\s*([A-Za-z0-9_.][A-Za-z0-9_./-]*)`),
	regexp.MustCompile(`\brender\b.*\s-d\s+([A-Za-z0-9_.][A-Za-z0-9_./-]*)`),
	regexp.MustCompile(`\bgo build -o\s+([A-Za-z0-9_.][A-Za-z0-9_./-]*)`),
}

// TestGitignoreCoversTheREADME: every file or directory a command of README.md's console
// blocks writes into the checkout is ignored by .gitignore (git check-ignore), so following
// the README leaves `git status` clean.
func TestGitignoreCoversTheREADME(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	root := filepath.Join("..", "..")
	f, err := os.Open(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var paths []string
	console := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```console"):
			console = true
		case strings.HasPrefix(line, "```"):
			console = false
		case console && strings.HasPrefix(line, "$ "):
			for _, re := range writtenBy {
				for _, m := range re.FindAllStringSubmatch(line, -1) {
					if p := strings.TrimPrefix(m[1], "./"); !slices.Contains(paths, p) {
						paths = append(paths, p)
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// The README's known writers, so that a broken extraction cannot pass by finding nothing.
	for _, want := range []string{"out", "out2", "trust.json", "fixes.txt", "agent.log", "nodeagent"} {
		if !slices.Contains(paths, want) {
			t.Errorf("found no README command writing %s (found %q)", want, paths)
		}
	}
	for _, p := range paths {
		// --no-index: the rule decides, whether or not such a file is tracked; a directory is
		// checked by a file inside it.
		probe := p
		if !strings.Contains(filepath.Base(p), ".") {
			probe = p + "/x.json"
		}
		cmd := exec.Command("git", "check-ignore", "-q", "--no-index", probe)
		cmd.Dir = root
		if err := cmd.Run(); err != nil {
			t.Errorf("README writes %s, which .gitignore does not cover (git check-ignore %s: %v)", p, probe, err)
		}
	}
}
