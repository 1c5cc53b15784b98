package docs

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/winami/winami/internal/readmetest"
)

// TestREADMEFailsOnAnEditedOutput edits one captured output of the real README.md (a line
// of the effective spec that `winami render -o yaml` prints, in scene spec, which needs no
// sandbox), runs that scene as TestREADME does and checks that the comparison fails once,
// naming the README's line of the block, its first command and the edited line; the
// unedited scene passes (TestREADME runs it too, but this test must not pass by accident
// on a scene that always fails).
func TestREADMEFailsOnAnEditedOutput(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	build(t, root, filepath.Join(bin, "winami"), "./cmd/winami")
	const cmd = "winami render -f examples/minimal-2019-core.yaml -o yaml"
	run := func(src string) (*readmetest.Doc, *readmetest.Block, []string) {
		doc, err := readmetest.Parse("README.md", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		sc := doc.Scene("spec")
		if sc == nil {
			t.Fatal("README.md has no scene spec")
		}
		var block *readmetest.Block
		for _, b := range sc.Blocks {
			if len(b.Commands) > 0 && b.Commands[0].Text == cmd {
				block = b
			}
		}
		if block == nil {
			t.Fatalf("scene spec has no block of %q", cmd)
		}
		opts := readmetest.Options{Root: root, Bin: bin}
		outs := readmetest.RunBlocks(t, doc, []*readmetest.Block{block}, nil, readmetest.SessionEnv(t, opts), opts)
		return doc, block, readmetest.Failures(doc, outs)
	}
	if _, _, fs := run(string(src)); len(fs) != 0 {
		t.Fatalf("the unedited block fails: %v", fs)
	}
	const line, edited = "    amiName: minimal-win2019-{{imagebuilder:buildDate}}\n", "    amiName: minimal-win2019-{{imagebuilder:buildTime}}\n"
	if strings.Count(string(src), line) != 1 {
		t.Fatalf("README.md shows %q %d times, want once", line, strings.Count(string(src), line))
	}
	_, block, fs := run(strings.Replace(string(src), line, edited, 1))
	if len(fs) != 1 {
		t.Fatalf("got %d failures with an edited output, want 1: %v", len(fs), fs)
	}
	if want := "README.md:" + itoa(block.Line) + `: block of "$ ` + cmd + `"`; !strings.HasPrefix(fs[0], want) {
		t.Errorf("the failure does not start with %q:\n%s", want, fs[0])
	}
	var minus, plus bool
	for _, l := range strings.Split(fs[0], "\n") {
		minus = minus || strings.HasPrefix(l, "- ") && strings.Contains(l, "amiName: minimal-win2019-{{imagebuilder:buildTime}}")
		plus = plus || strings.HasPrefix(l, "+ ") && strings.Contains(l, "amiName: minimal-win2019-{{imagebuilder:buildDate}}")
	}
	if !minus || !plus {
		t.Errorf("the diff does not show the edited line (-) and what winami printed (+):\n%s", fs[0])
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
