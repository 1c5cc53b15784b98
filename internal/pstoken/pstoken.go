// Package pstoken is a model of how PowerShell's tokenizer reads single-quoted string
// literals and single-quoted here-strings, for tests that check what winami renders into
// PowerShell reads back as the value it quoted.
//
// It follows PowerShell's src/System.Management.Automation/engine/parser/CharTraits.cs
// (IsSingleQuote: ' and U+2018, U+2019, U+201A, U+201B; IsDoubleQuote: " and U+201C,
// U+201D, U+201E) and Tokenizer.cs (ScanStringLiteral: a single quote followed by another
// single quote appends the second, any other single quote ends the string, a NUL is a
// character except at the end of input; ScanHereStringLiteral and
// ScanPossibleHereStringFooter: @' then only whitespace to the end of the line, and the
// here-string ends at the first line that starts with a single quote followed by @;
// whitespace before it makes it no footer). PowerShell/PowerShell master, and
// about_Quoting_Rules ("PowerShell treats smart quotation marks ... as normal quotation
// marks").
package pstoken

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// IsSingleQuote reports whether PowerShell reads r as a single quote (CharTraits.cs).
func IsSingleQuote(r rune) bool {
	switch r {
	case '\'', '\u2018', '\u2019', '\u201A', '\u201B':
		return true
	}
	return false
}

// IsDoubleQuote reports whether PowerShell reads r as a double quote (CharTraits.cs).
func IsDoubleQuote(r rune) bool {
	switch r {
	case '"', '\u201C', '\u201D', '\u201E':
		return true
	}
	return false
}

// SingleQuoted reads the single-quoted string literal that starts at byte i of s (s[i] is
// an opening single quote) and returns its value and the byte offset just past its
// closing quote.
func SingleQuoted(s string, i int) (value string, end int, err error) {
	r, n := utf8.DecodeRuneInString(s[i:])
	if !IsSingleQuote(r) {
		return "", 0, fmt.Errorf("offset %d: %q does not open a single-quoted string", i, r)
	}
	var b strings.Builder
	for j := i + n; j < len(s); {
		r, n := utf8.DecodeRuneInString(s[j:])
		j += n
		if IsSingleQuote(r) {
			r2, n2 := utf8.DecodeRuneInString(s[j:])
			if j >= len(s) || !IsSingleQuote(r2) {
				return b.String(), j, nil
			}
			// Two quotes in a row: the first escapes, the second is appended.
			r, j = r2, j+n2
		}
		b.WriteRune(r)
	}
	return "", 0, fmt.Errorf("offset %d: the string is not terminated", i)
}

// HereString reads the single-quoted here-string that starts at byte i of s (s[i:] starts
// with @ and a single quote) and returns its content and the byte offset just past its
// footer.
func HereString(s string, i int) (content string, end int, err error) {
	if !strings.HasPrefix(s[i:], "@") {
		return "", 0, fmt.Errorf("offset %d: no @", i)
	}
	r, n := utf8.DecodeRuneInString(s[i+1:])
	if !IsSingleQuote(r) {
		return "", 0, fmt.Errorf("offset %d: @ is not followed by a single quote", i)
	}
	j := i + 1 + n
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	switch {
	case strings.HasPrefix(s[j:], "\r\n"):
		j += 2
	case strings.HasPrefix(s[j:], "\n"), strings.HasPrefix(s[j:], "\r"):
		j++
	default:
		return "", 0, fmt.Errorf("offset %d: the here-string header is not alone on its line", i)
	}
	start := j
	footer := func(k int) (int, bool) {
		r, n := utf8.DecodeRuneInString(s[k:])
		if k < len(s) && IsSingleQuote(r) && strings.HasPrefix(s[k+n:], "@") {
			return k + n + 1, true
		}
		return 0, false
	}
	if e, ok := footer(start); ok {
		return "", e, nil
	}
	for k := start; k < len(s); k++ {
		if s[k] != '\n' && s[k] != '\r' {
			continue
		}
		nl := k
		if s[k] == '\r' && k+1 < len(s) && s[k+1] == '\n' {
			k++
		}
		if e, ok := footer(k + 1); ok {
			return s[start:nl], e, nil
		}
	}
	return "", 0, fmt.Errorf("offset %d: the here-string is not terminated", i)
}
