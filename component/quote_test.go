package component

import (
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/winami/winami/internal/pstoken"
)

// injections are values that would end, or escape from, a PowerShell string that
// quoted them wrongly: every single quote PowerShell knows (CharTraits.cs IsSingleQuote),
// the double quotes (IsDoubleQuote, which must stay as they are inside single quotes),
// subexpressions, backticks, newlines and here-string footers.
var injections = []string{
	"plain",
	"it's",
	"x\u2019;calc;\u2019.io/app:1", // issue 14
	"';calc;'", "\u2018;calc;\u2018", "\u201A;calc;\u201A", "\u201B;calc;\u201B",
	"a\u2018b\u2019c\u201Ad\u201Be",
	"'; Remove-Item C:\\ -Recurse; '",
	`"$(calc)"`, "\u201C$(calc)\u201D", "\u201E$(calc)\u201C", `""`, "\u201C\u201C",
	"$(calc)", "${env:PATH}", "`n`r`0", "`'", "x`",
	"line\ncalc", "line\r\ncalc", "line\rcalc",
	"x\n'@\ncalc\n@'\n", "x\n\u2019@\ncalc", "x\n\"@\ncalc\n@\"\n", "'@", "\"@", "\n'@", "@'",
	"'", "''", "'''", "\u2019", "\u2019\u2019", "'\u2019", "\u2019'",
	"x\x00y", "",
}

// dangerous is the alphabet of the exhaustive check: all single and double quotes, and
// what PowerShell makes of $, `, @, ( ) and line ends outside single quotes.
var dangerous = []rune{'a', '\'', '\u2018', '\u2019', '\u201A', '\u201B', '"', '\u201C', '\u201D', '\u201E', '$', '`', '@', '(', '\n', '\r'}

// allShort are all strings of up to three runes of dangerous.
func allShort() []string {
	out := []string{""}
	level := []string{""}
	for range 3 {
		var next []string
		for _, p := range level {
			for _, r := range dangerous {
				next = append(next, p+string(r))
			}
		}
		out = append(out, next...)
		level = next
	}
	return out
}

// TestPSQuoteReadsBack: every value psQuote quotes reads back, with PowerShell's
// tokenizer rules (package pstoken), as exactly the value, ending where the quoting
// ends: alone, followed by more arguments, in a list, and inside the helpers' here-string
// (which must end at its own footer, not at one in a value).
func TestPSQuoteReadsBack(t *testing.T) {
	values := append(append([]string{}, injections...), allShort()...)
	for _, s := range values {
		q := psQuote(s)
		v, end, err := pstoken.SingleQuoted(q+" -Attempts 5", 0)
		if err != nil || v != s || end != len(q) {
			t.Errorf("psQuote(%q) = %s reads back as %q ending at %d of %d (%v)", s, q, v, end, len(q), err)
			continue
		}
		list := psList([]string{s, "b"})
		got, err := readList(list)
		if err != nil || len(got) != 2 || got[0] != s || got[1] != "b" {
			t.Errorf("psList(%q) = %s reads back as %q (%v)", s, list, got, err)
		}
		here := "Set-Content -Value @'\n  " + q + "\nWrite-Host 'tail'\n'@\n"
		content, end, err := pstoken.HereString(here, strings.Index(here, "@'"))
		if err != nil || end != len(here)-1 || content != "  "+q+"\nWrite-Host 'tail'" {
			t.Errorf("here-string with %q: content %q, ends at %d of %d (%v)", s, content, end, len(here), err)
		}
	}
}

// readList reads a psList: @( literal, literal, ... ) and nothing after.
func readList(s string) ([]string, error) {
	if !strings.HasPrefix(s, "@(") {
		return nil, fmt.Errorf("%q does not start with @(", s)
	}
	var out []string
	i := 2
	for {
		v, end, err := pstoken.SingleQuoted(s, i)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		switch rest := s[end:]; {
		case rest == ")":
			return out, nil
		case strings.HasPrefix(rest, ", "):
			i = end + 2
		default:
			return nil, fmt.Errorf("after %q: %q", v, rest)
		}
	}
}

// TestRenderedLiteralsReadBack renders whole documents whose every PowerShell value
// carries an injection (the document name reaches the helpers' path; references are
// refused unless they follow the OCI grammar, tested below and in package render) and reads
// each script back with PowerShell's tokenizer rules: every literal is the value quoted,
// and the text around the literals is winami's.
func TestRenderedLiteralsReadBack(t *testing.T) {
	refs := []Image{
		{Ref: "mcr.microsoft.com/windows/servercore:ltsc2022", Digest: "sha256:" + strings.Repeat("ab", 32)},
		{Ref: "111000111000.dkr.ecr.us-east-1.amazonaws.com/team/app__x-y.z:1.0_rc-1"},
		{Ref: "[::1]:5000/a/b:1", PlatformDigest: "sha256:" + strings.Repeat("cd", 32)},
	}
	for _, name := range injections {
		docs, err := Render(Options{Name: name, Images: refs})
		if err != nil {
			t.Fatalf("Render with name %q: %v", name, err)
		}
		for _, d := range docs {
			checkDocument(t, d, refs)
		}
	}
}

// checkDocument reads every script of d with pstoken and checks its literals.
func checkDocument(t *testing.T, d Document, refs []Image) {
	t.Helper()
	var doc document
	if err := yaml.Unmarshal([]byte(d.Data), &doc); err != nil {
		t.Fatalf("%s: %v", d.Name, err)
	}
	wantPath := `winami\` + d.Name + ".ps1"
	var pulls []pull
	for _, r := range refs {
		p, err := plan(r)
		if err != nil {
			t.Fatal(err)
		}
		pulls = append(pulls, p)
	}
	var cached []string
	for _, p := range pulls {
		cached = append(cached, p.names...)
	}
	pullIndex := 0
	for _, ph := range doc.Phases {
		for _, st := range ph.Steps {
			script := st.Inputs["commands"].([]any)[0].(string)
			// The helpers' path: every (Join-Path $env:ProgramData '…') names it.
			const join = "(Join-Path $env:ProgramData "
			for i := strings.Index(script, join); i >= 0; {
				v, end, err := pstoken.SingleQuoted(script, i+len(join))
				if err != nil || v != wantPath || !strings.HasPrefix(script[end:], ")\n") {
					t.Errorf("%s %s: helpers path reads %q (%v), want %q, then %q", d.Name, st.Name, v, err, wantPath, script[end:min(end+20, len(script))])
					break
				}
				next := strings.Index(script[end:], join)
				if next < 0 {
					break
				}
				i = end + next
			}
			switch {
			case st.Name == "WriteHelpers":
				at := strings.Index(script, "@'\n")
				content, end, err := pstoken.HereString(script, at)
				if err != nil || script[end:] != "\n" {
					t.Errorf("%s: the helpers' here-string ends at %d of %d (%v)", d.Name, end, len(script), err)
					continue
				}
				const open = "$WinamiCachedImages = @(\n"
				i := strings.Index(content, open) + len(open)
				var got []string
				for strings.HasPrefix(content[i:], "  ") {
					v, end, err := pstoken.SingleQuoted(content, i+2)
					if err != nil || content[end] != '\n' {
						t.Fatalf("%s: cached image line at %d: %v", d.Name, i, err)
					}
					got, i = append(got, v), end+1
				}
				if fmt.Sprint(got) != fmt.Sprint(cached) || !strings.HasPrefix(content[i:], ")\n") {
					t.Errorf("%s: cached images read back as %q, want %q", d.Name, got, cached)
				}
			case strings.HasPrefix(st.Name, "CacheImage"):
				p := pulls[pullIndex]
				pullIndex++
				const ref = "Invoke-WinamiPull -Ref "
				i := strings.Index(script, ref)
				v, end, err := pstoken.SingleQuoted(script, i+len(ref))
				if err != nil || v != p.from {
					t.Errorf("%s %s: -Ref reads %q (%v), want %q", d.Name, st.Name, v, err, p.from)
					continue
				}
				if p.ecrRegion != "" {
					const er = " -EcrRegion "
					if !strings.HasPrefix(script[end:], er) {
						t.Errorf("%s %s: no -EcrRegion after -Ref: %q", d.Name, st.Name, script[end:])
						continue
					}
					v, end, err = pstoken.SingleQuoted(script, end+len(er))
					if err != nil || v != p.ecrRegion {
						t.Errorf("%s %s: -EcrRegion reads %q (%v)", d.Name, st.Name, v, err)
					}
				}
				const names = " -Attempts 5\nSet-WinamiPinnedNames -Names "
				if !strings.HasPrefix(script[end:], names) {
					t.Errorf("%s %s: after the literals: %q", d.Name, st.Name, script[end:])
					continue
				}
				list := strings.TrimSuffix(script[end+len(names):], "\n")
				got, err := readList(list)
				if err != nil || fmt.Sprint(got) != fmt.Sprint(p.names) {
					t.Errorf("%s %s: -Names reads %q (%v), want %q", d.Name, st.Name, got, err, p.names)
				}
			}
		}
	}
	if pullIndex != len(pulls) {
		t.Errorf("%s: %d pull steps, want %d", d.Name, pullIndex, len(pulls))
	}
}
