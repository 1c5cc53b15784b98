package pstoken

import "testing"

// TestSingleQuoted: the tokenizer rules the model follows (Tokenizer.cs ScanStringLiteral).
func TestSingleQuoted(t *testing.T) {
	for in, want := range map[string]struct {
		value string
		end   int
	}{
		"'it''s' x":          {"it's", 7},
		"'a\u2019\u2019b'":   {"a\u2019b", 10},         // a doubled smart quote is one
		"'a\u2019 b'":        {"a", 5},                 // U+2019 closes the string
		"'a\u2019'b'":        {"a'b", 8},               // U+2019 then ': a pair, the second kept
		"\u2018a' x":         {"a", 5},                 // any single quote opens and closes
		"'a'\u2018b'":        {"a\u2018b", 8},          // a pair of different quotes: the second
		"'$(x) `n \"\u201C'": {"$(x) `n \"\u201C", 14}, // nothing else is special
		"'a\nb'":             {"a\nb", 5},
	} {
		v, end, err := SingleQuoted(in, 0)
		if err != nil || v != want.value || end != want.end {
			t.Errorf("SingleQuoted(%q) = %q, %d, %v; want %q, %d", in, v, end, err, want.value, want.end)
		}
	}
	for _, in := range []string{"'abc", "'it''", "abc'", ""} {
		if _, _, err := SingleQuoted(in+" ", 0); in != "" && err == nil {
			t.Errorf("SingleQuoted(%q) reads a string", in)
		}
	}
}

// TestHereString: the footer is a single quote and @ at the start of a line
// (ScanPossibleHereStringFooter); whitespace before it makes it content.
func TestHereString(t *testing.T) {
	in := "@'\na\n  '@\n\u2019@ tail"
	content, end, err := HereString(in, 0)
	if err != nil || content != "a\n  '@" || in[end:] != " tail" {
		t.Errorf("HereString = %q, rest %q, %v", content, in[end:], err)
	}
	if _, _, err := HereString("@' x\na\n", 0); err == nil {
		t.Error("a header with text after it, or no footer, is not a here-string")
	}
}
