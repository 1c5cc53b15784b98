package readmetest

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

const sample = "# t\n\n" +
	"<!-- test: scene one -->\n" +
	"```console\n" +
	"$ echo hello; echo oops >&2\n" +
	"hello\n" +
	"oops\n" +
	"$ for i in 1 2; do\n" +
	"    echo $i\n" +
	"  done\n" +
	"1\n" +
	"2\n" +
	"$ (exit 3)\n" +
	"$ echo $?\n" +
	"3\n" +
	"```\n\n" +
	"<!-- test: scene one -->\n" +
	"<!-- test: file data.txt -->\n" +
	"```yaml\n" +
	"a: 1\n" +
	"```\n\n" +
	"<!-- test: scene one -->\n" +
	"<!-- test: setup\n" +
	"export GREETING=hi\n" +
	"-->\n" +
	"```console\n" +
	"$ cat data.txt; echo $GREETING\n" +
	"a: 1\n" +
	"hi\n" +
	"$ seq 1 10\n" +
	"1\n" +
	"…\n" +
	"10\n" +
	"```\n\n" +
	"<!-- test: skip needs a real AWS account -->\n" +
	"```console\n" +
	"$ aws cloudformation deploy\n" +
	"```\n"

func TestParse(t *testing.T) {
	d, err := Parse("README.md", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Blocks) != 4 {
		t.Fatalf("blocks: got %d, want 4", len(d.Blocks))
	}
	b := d.Blocks[0]
	if b.Line != 4 || b.Scene != "one" || len(b.Commands) != 4 {
		t.Fatalf("block 0: line %d scene %q, %d commands", b.Line, b.Scene, len(b.Commands))
	}
	if got := b.Commands[1].Text; got != "for i in 1 2; do\n    echo $i\n  done" {
		t.Errorf("multi-line command: %q", got)
	}
	if got := b.Commands[1].Output; got != "1\n2" {
		t.Errorf("its output: %q", got)
	}
	if got := b.Commands[2].Output; got != "" {
		t.Errorf("(exit 3) output: %q", got)
	}
	if d.Blocks[1].File != "data.txt" || d.Blocks[2].Setup[0] != "export GREETING=hi" || d.Blocks[3].Skip != "needs a real AWS account" {
		t.Errorf("directives: file %q setup %q skip %q", d.Blocks[1].File, d.Blocks[2].Setup, d.Blocks[3].Skip)
	}
	if sc := d.Scenes(); len(sc) != 1 || len(sc[0].Blocks) != 3 {
		t.Errorf("scenes: %+v", sc)
	}
	if len(d.Unmarked()) != 0 {
		t.Errorf("unmarked: %v", d.Unmarked())
	}
}

func TestParseRefusesADirectiveAwayFromItsBlock(t *testing.T) {
	_, err := Parse("README.md", []byte("<!-- test: scene x -->\nsome prose\n```console\n$ true\n```\n"))
	if err == nil || !strings.Contains(err.Error(), "README.md:1:") {
		t.Fatalf("got %v, want an error naming README.md:1", err)
	}
	_, err = Parse("README.md", []byte("<!-- test: scen x -->\n```console\n$ true\n```\n"))
	if err == nil || !strings.Contains(err.Error(), "unknown directive") {
		t.Fatalf("got %v, want unknown directive", err)
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		name, exp, act string
		ok             bool
	}{
		{"same", "a\nb", "a\nb\n", true},
		{"edited", "a\nb", "a\nc", false},
		{"missing line", "a\nb", "a", false},
		{"extra line", "a", "a\nb", false},
		{"elided lines", "head\n…\ntail", "head\nx\ny\ntail", true},
		{"elided nothing", "head\n…\ntail", "head\ntail", true},
		{"elision keeps the rest", "head\n…\ntail", "head\nx\nTAIL", false},
		{"inline elision", "key/bf835b57-… is enabled", "key/bf835b57-1234-5678 is enabled", true},
		{"random ids", "ami-383c63fe33273453c in us-east-1", "ami-0123456789abcdef0 in us-east-1", true},
		{"id kind kept", "ami-383c63fe33273453c in us-east-1", "snap-0123456789abcdef0 in us-east-1", false},
		{"stable ids compared", "parent ami-4373993f9d4238448, built ami-383c63fe33273453c", "parent ami-0123456789abcdef0, built ami-4373993f9d4238448", false},
		{"durations", "preflight: 13 checks passed (59ms)", "preflight: 13 checks passed (1.2s)", true},
		{"counts compared", "preflight: 13 checks passed (59ms)", "preflight: 14 checks passed (59ms)", false},
		{"dates", "SINCE 2026-12-06 13:34", "SINCE 2027-01-02 09:11", true},
		{"dates on other rows", "a 2026-12-07 01:02\nb 2026-12-07 01:05", "a 2026-12-07 01:05\nb 2026-12-07 01:08", true},
		{"column widths", "A    B\nx    y", "A  B\nx  y", true},
		{"trailing blanks", "a  \n\n", "a", true},
		{"empty", "", "", true},
		{"output where none", "", "something", false},
	} {
		ok, diff := Match(c.exp, c.act)
		if ok != c.ok {
			t.Errorf("%s: Match(%q, %q) = %v, want %v; diff:\n%s", c.name, c.exp, c.act, ok, c.ok, diff)
		}
		if !ok && diff == "" {
			t.Errorf("%s: no diff for a mismatch", c.name)
		}
	}
}

// TestRunFailsNamingTheBlock runs the sample's scene with one captured output edited and
// checks that the failure names the file, the block's line, its first command and the
// command whose output differs; and that the unedited sample passes.
func TestRunFailsNamingTheBlock(t *testing.T) {
	run := func(t *testing.T, src string) (*Doc, []Outcome) {
		d, err := Parse("README.md", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Root: gitRoot(t), Bin: t.TempDir()}
		return d, RunBlocks(t, d, d.Scenes()[0].Blocks, nil, SessionEnv(t, opts), opts)
	}
	d, outs := run(t, sample)
	if fs := Failures(d, outs); len(fs) != 0 {
		t.Fatalf("the sample fails: %v", fs)
	}
	edited := strings.Replace(sample, "a: 1\nhi\n", "a: 1\nhello\n", 1)
	d, outs = run(t, edited)
	fs := Failures(d, outs)
	if len(fs) != 1 {
		t.Fatalf("got %d failures, want 1: %v", len(fs), fs)
	}
	for _, want := range []string{`README.md:28: block of "$ cat data.txt; echo $GREETING"`, `(README.md:29)`, "- hello", "+ hi"} {
		if !strings.Contains(fs[0], want) {
			t.Errorf("failure %q does not say %q", fs[0], want)
		}
	}
	out, n := Rewrite(d, outs)
	if n != 1 || string(out) != sample {
		t.Errorf("Rewrite: %d edits, got\n%s\nwant the original sample", n, out)
	}
}

func TestRewriteKeepsElisions(t *testing.T) {
	old := []string{"head", "…", "mid", "…", "tail"}
	for _, c := range []struct{ act, want string }{
		{"head|a|mid|b|c|tail2", "head|…|mid|…|tail2"},
		{"warning|head|a|mid|b|tail", "warning|head|…|mid|…|tail"},
		{"head|mid|tail|more", "head|…|mid|…|tail|more"},
	} {
		got := strings.Join(elide(old, strings.Split(c.act, "|")), "|")
		if got != c.want {
			t.Errorf("elide(%s): got %s, want %s", c.act, got, c.want)
		}
	}
}

func TestInterruptAndBackground(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	s, err := StartSession(dir, tmp, []string{"PATH=/usr/bin:/bin"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Run(t.Context(), `bash -c 'trap "echo interrupted; exit 7" INT; while :; do sleep 0.05; done'`, 10e9, 300e6, 0)
	if err != nil || r.ExitCode != 7 || r.Output != "interrupted\n" {
		t.Fatalf("interrupt: %q exit %d, %v", r.Output, r.ExitCode, err)
	}
	r, err = s.Run(t.Context(), `(sleep 0.2; echo one; echo two; sleep 100) &`, 10e9, 0, 2)
	if err != nil || r.Output != "one\ntwo\n" {
		t.Fatalf("background: %q, %v", r.Output, err)
	}
	r, err = s.Run(t.Context(), `kill %1; echo $?`, 10e9, 0, 0)
	if err != nil || r.Output != "0\n" {
		t.Fatalf("kill %%1: %q, %v", r.Output, err)
	}
	// A job that says something as it stops: its words show under the kill, as in a
	// terminal.
	if _, err = s.Run(t.Context(), `(trap 'echo stopped; exit 0' TERM; while :; do sleep 0.05; done) &`, 10e9, 0, 0); err != nil {
		t.Fatal(err)
	}
	r, err = s.Run(t.Context(), `kill %%`, 10e9, 0, 1)
	if err != nil || r.Output != "stopped\n" {
		t.Fatalf("kill %%%%: %q, %v", r.Output, err)
	}
	// Close leaves nothing behind: a job that ignores SIGTERM is killed with the group.
	if _, err = s.Run(t.Context(), `(trap '' TERM; while :; do sleep 0.05; done) &`, 10e9, 0, -1); err != nil {
		t.Fatal(err)
	}
	pgid := s.cmd.Process.Pid
	s.Close()
	if err := syscall.Kill(-pgid, 0); err == nil {
		t.Fatalf("process group %d still has processes after Close", pgid)
	}
}

func gitRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// TestMatchAlwaysNormalisesDurationsAndNodeNames: a duration or an EC2 private DNS name
// that this run prints elsewhere than the README does (rollout's "in 8s" on another line;
// the canary landing in the other zone) is still a volatile value, not a difference.
func TestMatchAlwaysNormalisesDurationsAndNodeNames(t *testing.T) {
	for _, c := range []struct{ expected, actual string }{
		{"moved: 4/4 in 8s\nmoved: 2/2 in 2s", "moved: 4/4 in 10s\nmoved: 2/2 in 8s"},
		{"listed 3 nodes in 4ms\ndescribed them in 8ms", "listed 3 nodes in 8ms\ndescribed them in 6ms"},
		{"not Ready: ip-172-31-16-7.us-east-1.compute.internal\nwaiting: ip-172-31-0-7.us-east-1.compute.internal",
			"not Ready: ip-172-31-0-7.us-east-1.compute.internal\nwaiting: ip-172-31-16-9.us-east-1.compute.internal"},
	} {
		if ok, diff := Match(c.expected, c.actual); !ok {
			t.Errorf("Match(%q, %q): differs:\n%s", c.expected, c.actual, diff)
		}
	}
	// Still compared: the words around them, and a different number of nodes.
	if ok, _ := Match("moved: 4/4 in 8s", "moved: 3/4 in 8s"); ok {
		t.Error("4/4 and 3/4 match")
	}
}
