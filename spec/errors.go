package spec

import (
	"fmt"
	"sort"
	"strings"
)

// FieldError is one problem in a spec file: where it is and what is accepted.
type FieldError struct {
	// File is the spec file's name ("" when parsed from bytes without one).
	File string
	// Line is the 1-based line of the field (0 when not known).
	Line int
	// Path is the field's path, such as spec.distribution.fastLaunch.maxParallelLaunches.
	Path string
	// Message says what is wrong and what would be accepted.
	Message string
}

// Error reads "winami.yaml:12: spec.keep: …".
func (e FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Errors are all the problems found in a spec file, in file order.
type Errors []FieldError

// MaxListed is how many problems an error message lists; the rest are counted
// ("… and 239951 more problems"), so that a spec with thousands of problems prints a
// screenful, not megabytes.
const MaxListed = 50

// Error lists the first MaxListed problems, one a line, and counts the rest.
func (es Errors) Error() string {
	return strings.Join(es.Lines(""), "\n")
}

// Lines are the first MaxListed problems, each prefixed with indent, and a last line
// "… and N more problems" when there are more.
func (es Errors) Lines(indent string) []string {
	n := min(len(es), MaxListed)
	lines := make([]string, 0, n+1)
	for _, e := range es[:n] {
		lines = append(lines, indent+e.Error())
	}
	if more := len(es) - n; more > 0 {
		lines = append(lines, fmt.Sprintf("%s… and %d more problem%s", indent, more, plural(more)))
	}
	return lines
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (es Errors) sorted() Errors {
	out := append(Errors(nil), es...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Path < out[j].Path
	})
	return out
}

// collector gathers field errors with their lines.
type collector struct {
	img  *WindowsImage
	errs Errors
}

func (c *collector) add(path, format string, args ...any) {
	c.addAt(path, path, format, args...)
}

// addAt reports a problem of path on the line of linePath (for a default that another
// field caused).
func (c *collector) addAt(path, linePath, format string, args ...any) {
	c.errs = append(c.errs, FieldError{File: c.img.file, Line: c.img.Line(linePath), Path: path, Message: fmt.Sprintf(format, args...)})
}
