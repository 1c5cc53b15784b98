package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzSeeds are the specs the loader's fuzz targets start from: every example of the
// repository, the tests' good spec, and snippets of the shapes the tests refuse.
func fuzzSeeds(f *testing.F) [][]byte {
	f.Helper()
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(files) == 0 {
		f.Fatalf("no example specs in ../examples: %v", err)
	}
	var seeds [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	for _, s := range []string{
		good,
		"",
		"# only a comment\n",
		"- a\n- b\n",
		"a: 1\n---\nb: 2\n",
		"apiVersion: winami.io/v1alpha1\nkind: WindowsImage\nmetadata: {name: x, region: us-east-1}\nspec:\n\tkubernetesVersion: \"1.31\"\n",
		"apiVersion: winami.io/v1alpha1\nkind: WindowsImage\nmetadata: &m {name: x, region: us-est-1}\nspec: {kubernetesVersion: *m, keep: 2.9, bogus: 1}\n",
		strings.Replace(good, "publishParameter: /winami/prod/image_id", "publishParameter: \"/aws/x\x1b[31m\"\n    maxParallelLaunches: 0", 1),
		strings.Replace(good, "servercore:ltsc2022", "servercore:latest\n      - \"x'$(calc).io/a:1\"", 1),
		// Keys that a terminal would not show as written (regressions: the field path
		// printed them raw).
		"\"\\e[2J\\u202e\": 1\n",
		strings.Replace(good, "  distribution:\n", "  distribution:\n    amiTags: {\"a\\nb\": x, \"\\e]0;t\\a\": y}\n", 1),
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// FuzzLoadBytes feeds arbitrary bytes to the spec loader. Whatever the input, LoadBytes
// must not panic and must answer a spec or Errors, never both and never neither; each
// error names the file, points at a line of it, has a message, names the field when it
// has a path, and is one line without control characters (a value echoed raw could
// rewrite the user's terminal); errors come in file order. A spec that loads renders
// (YAML, as `render -o yaml` prints it) to a spec that loads again to the same content.
func FuzzLoadBytes(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "fuzz.yaml"
		img, err := LoadBytes(data, file)
		if (img == nil) == (err == nil) {
			t.Fatalf("LoadBytes returned spec %v and error %v: want exactly one", img != nil, err)
		}
		if err != nil {
			checkErrors(t, data, file, err)
			return
		}
		out, err := img.YAML()
		if err != nil {
			t.Fatalf("YAML of a loaded spec: %v", err)
		}
		again, err := LoadBytes(out, "rendered.yaml")
		if err != nil {
			t.Fatalf("the rendered spec does not load: %v\nrendered:\n%s", err, out)
		}
		if again.Hash() != img.Hash() {
			out2, _ := again.YAML()
			t.Fatalf("the rendered spec loads to other content:\nfirst:\n%s\nagain:\n%s", out, out2)
		}
	})
}

// FuzzParse checks Parse alone (no defaults, no validation): no panic, the errors as
// LoadBytes's, and a nil spec only with an error.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Parse(data, "fuzz.yaml")
		if img == nil && err == nil {
			t.Fatal("Parse returned neither a spec nor an error")
		}
		if err != nil {
			checkErrors(t, data, "fuzz.yaml", err)
		}
	})
}

func checkErrors(t *testing.T, data []byte, file string, err error) {
	t.Helper()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, want spec.Errors: %v", err, err)
	}
	if len(errs) == 0 {
		t.Fatal("an empty Errors returned as an error")
	}
	// Lines as YAML counts them: LF, CR, CRLF, NEL, LS and PS each end one.
	text := strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n").Replace(string(data))
	lines := strings.Count(text, "\n") + 1
	prev := 0
	for _, e := range errs {
		if e.File != file {
			t.Errorf("error %q names file %q, want %q", e.Error(), e.File, file)
		}
		if e.Line < 0 || e.Line > lines {
			t.Errorf("error %q is on line %d of a %d-line file", e.Error(), e.Line, lines)
		}
		if e.Line < prev {
			t.Errorf("errors out of file order: line %d after line %d (%q)", e.Line, prev, e.Error())
		}
		prev = e.Line
		if strings.TrimSpace(e.Message) == "" {
			t.Errorf("error without a message: %#v", e)
		}
		if i := strings.IndexFunc(e.Error(), isControl); i >= 0 {
			t.Errorf("error has control character %q at %d: %q", e.Error()[i], i, e.Error())
		}
	}
}

// isControl reports the characters a message must not carry raw: C0 and C1 controls
// (newline included: one error is one line), DEL, and the bidirectional overrides that
// reorder what a terminal shows.
func isControl(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
