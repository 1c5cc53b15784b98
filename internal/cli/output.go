package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// Output formats.
const (
	FormatTable = "table"
	// FormatWide is the table in full: its long columns on one line and its Wide
	// columns, as kubectl's -o wide.
	FormatWide = "wide"
	FormatJSON = "json"
	FormatYAML = "yaml"
)

// Table is tabular data for people: a header and rows, printed in columns fitted to a
// width (Layout). A table narrower than the width prints one line per row; a wider one
// moves some of its Detail columns under their rows and wraps its Wrap columns (see
// fit), and overflows the width only when its other columns alone are wider.
type Table struct {
	Header []string
	Rows   [][]string
	// Wrap names (by header) the columns of text that may wrap onto more lines within
	// their column when the table is too wide: at spaces, and a word longer than the
	// column after a / : , ; - or _ (or anywhere).
	Wrap []string
	// Detail names the columns of long text that move under their row, as an indented
	// "name: value" line, when the table is too wide (one with nothing to show first,
	// then the rightmost, one at a time, until the table fits); a detail of "" or "-"
	// is left out.
	Detail []string
	// Wide names the columns shown only with -o wide.
	Wide []string
}

// DefaultWidth is the width tables are fitted to when neither COLUMNS nor a terminal
// gives one (piped output, files): fixed, so that piped output is the same everywhere.
const DefaultWidth = 120

// Layout is how a table is printed: fitted to Width columns (0: not fitted), in full
// with its Wide columns (-o wide: nothing moved or wrapped), without the header line
// (--no-headers).
type Layout struct {
	Width     int
	Wide      bool
	NoHeaders bool
}

// Write prints the table in columns laid out by l. A table that fits prints as
// text/tabwriter printed it (two spaces between columns, the last column not padded),
// without trailing spaces.
func (t Table) Write(w io.Writer, l Layout) error {
	cols := t.visible(l.Wide)
	withHeader := len(t.Header) > 0 && !l.NoHeaders
	var lines [][]string
	if withHeader {
		lines = append(lines, pick(t.Header, cols))
	}
	for _, r := range t.Rows {
		lines = append(lines, pick(r, cols))
	}
	heads := pick(t.Header, cols)
	wrap, detail := make([]bool, len(cols)), make([]bool, len(cols))
	for i, h := range heads {
		wrap[i], detail[i] = slices.Contains(t.Wrap, h), slices.Contains(t.Detail, h)
	}
	width := l.Width
	if l.Wide {
		width = 0
	}
	f := fit(lines, withHeader, wrap, detail, width)
	ew := &errWriter{w: w}
	for i, line := range lines {
		ew.printf("%s", f.format(line, heads, i == 0 && withHeader))
	}
	return ew.err
}

// visible are the indexes of the columns shown: all with wide, else all but Wide's.
func (t Table) visible(wide bool) []int {
	n := len(t.Header)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	var cols []int
	for i := range n {
		if !wide && i < len(t.Header) && slices.Contains(t.Wide, t.Header[i]) {
			continue
		}
		cols = append(cols, i)
	}
	return cols
}

// pick returns r's cells at cols (as far as r has them), made printable.
func pick(r []string, cols []int) []string {
	out := make([]string, 0, len(cols))
	for _, c := range cols {
		if c >= len(r) {
			break
		}
		out = append(out, printable(r[c]))
	}
	return out
}

// printable replaces what would break a table or drive a terminal in a cell (a value
// from AWS, a cluster or a registry): tabs and line breaks by a space, other control
// characters by U+FFFD.
func printable(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r):
			return utf8.RuneError
		}
		return r
	}, s)
}

// columnGap is the space between columns.
const columnGap = 2

// minWrap is the narrowest a Wrap column is made.
const minWrap = 30

// maxWord is the longest word a Wrap column keeps whole when the table does not fit
// otherwise: names, ids and most ARNs stay on one line, a longer word (an SSM path, a
// long ARN) is split.
const maxWord = 40

// detailIndent is how far a detail line is indented under its row.
const detailIndent = "    "

// layout is a table's columns fitted to a width: each column's width (its cells are
// padded to it, but for a line's last cell), which columns wrap and which moved under
// their rows.
type layout struct {
	widths []int
	wraps  []bool
	moved  []bool
	width  int
}

// fit lays out lines (the header first, when printed) within width (0: no limit):
//  1. as they are, when they fit;
//  2. else with the blank Detail columns moved and the fewest others (the rightmost
//     first), the Wrap columns wrapped at spaces, no narrower than minWrap or their
//     longest word;
//  3. else likewise, but words longer than maxWord may be split;
//  4. else (too wide even so) with every Detail column moved and the Wrap columns at
//     their longest word: the table overflows.
func fit(lines [][]string, header bool, wrap, detail []bool, width int) layout {
	n := len(wrap)
	natural := make([]int, n)  // the longest cell
	longWord := make([]int, n) // the longest word of a cell
	for _, line := range lines {
		for c, cell := range line {
			natural[c] = max(natural[c], runes(cell))
			for _, word := range strings.Fields(cell) {
				longWord[c] = max(longWord[c], runes(word))
			}
		}
	}
	none := make([]bool, n)
	if width <= 0 || total(lines, natural, none) <= width {
		return layout{widths: natural, wraps: none, moved: none, width: width}
	}
	// The Detail columns in the order they move: those with nothing to show first and
	// always (they leave no detail line, so the others get their width), then from the
	// right.
	var details, empty []int
	for c := n - 1; c >= 0; c-- {
		if !detail[c] {
			continue
		}
		if blankColumn(lines, c, header) {
			empty = append(empty, c)
		} else {
			details = append(details, c)
		}
	}
	details = append(empty, details...)
	movedFirst := func(k int) []bool {
		moved := make([]bool, n)
		for _, c := range details[:k] {
			moved[c] = true
		}
		return moved
	}
	mins := func(split bool) []int {
		m := slices.Clone(natural)
		for c := range n {
			if wrap[c] {
				floor := max(minWrap, longWord[c])
				if split && longWord[c] > maxWord {
					floor = minWrap
				}
				m[c] = min(natural[c], floor)
			}
		}
		return m
	}
	for _, split := range []bool{false, true} {
		for k := len(empty); k <= len(details); k++ {
			moved := movedFirst(k)
			if widths, ok := shrink(lines, natural, mins(split), moved, width); ok {
				return layout{widths: widths, wraps: wrap, moved: moved, width: width}
			}
		}
	}
	return layout{widths: mins(false), wraps: wrap, moved: movedFirst(len(details)), width: width}
}

// blankColumn reports whether column c of the rows (lines after the header when there is
// one) is all "" or "-".
func blankColumn(lines [][]string, c int, header bool) bool {
	if header {
		lines = lines[1:]
	}
	for _, line := range lines {
		if c < len(line) && line[c] != "" && line[c] != "-" {
			return false
		}
	}
	return true
}

// shrink narrows the columns whose mins are below their natural width, the widest first,
// until the lines fit width; ok is false when they do not at mins.
func shrink(lines [][]string, natural, mins []int, moved []bool, width int) ([]int, bool) {
	if total(lines, mins, moved) > width {
		return nil, false
	}
	widths := slices.Clone(natural)
	for total(lines, widths, moved) > width {
		// Narrow the widest column that can be narrowed by one.
		best := -1
		for c := range widths {
			if !moved[c] && widths[c] > mins[c] && (best < 0 || widths[c] > widths[best]) {
				best = c
			}
		}
		widths[best]--
	}
	return widths, true
}

// total is the width of the widest line with these column widths: each cell but a
// line's last padded to its column and followed by the gap.
func total(lines [][]string, widths []int, moved []bool) int {
	w := 0
	for _, line := range lines {
		lw, last := 0, 0
		for c := range line {
			if moved[c] {
				continue
			}
			lw += last
			last = widths[c] + columnGap
		}
		if last > 0 {
			lw += last - columnGap
		}
		w = max(w, lw)
	}
	return w
}

// format prints one line of the table: its cells, the wrapped parts of its Wrap cells on
// the lines after, then its moved cells as detail lines (a header line has none).
func (l layout) format(line, heads []string, header bool) string {
	// The cells shown in columns, each as its lines.
	var shown []int
	for c := range line {
		if !l.moved[c] {
			shown = append(shown, c)
		}
	}
	parts := make(map[int][]string, len(shown))
	rows := 1
	for _, c := range shown {
		p := []string{line[c]}
		if l.wraps[c] && runes(line[c]) > l.widths[c] {
			p = wrapText(line[c], l.widths[c])
		}
		parts[c] = p
		rows = max(rows, len(p))
	}
	var b strings.Builder
	for i := range rows {
		var s strings.Builder
		for j, c := range shown {
			cell := ""
			if i < len(parts[c]) {
				cell = parts[c][i]
			}
			s.WriteString(cell)
			if j < len(shown)-1 {
				s.WriteString(strings.Repeat(" ", l.widths[c]-runes(cell)+columnGap))
			}
		}
		b.WriteString(strings.TrimRight(s.String(), " "))
		b.WriteByte('\n')
	}
	if header {
		return b.String()
	}
	for c := range line {
		if !l.moved[c] || line[c] == "" || line[c] == "-" {
			continue
		}
		label := detailIndent + strings.ToLower(heads[c]) + ": "
		for i, p := range wrapText(line[c], max(l.width-runes(label), minWrap)) {
			if i == 0 {
				b.WriteString(label)
			} else {
				b.WriteString(strings.Repeat(" ", runes(label)))
			}
			b.WriteString(p)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Paragraph is text printed as one line after prefix, or, when the line is wider than
// l's width (and l is not wide), wrapped to it with the lines after the first indented
// as wide as prefix (a message under a table: audit's findings). It ends in a newline.
func (l Layout) Paragraph(prefix, text string) string {
	text = printable(text)
	if l.Wide || l.Width <= 0 || runes(prefix)+runes(text) <= l.Width {
		return prefix + text + "\n"
	}
	var b strings.Builder
	for i, line := range wrapText(text, max(l.Width-runes(prefix), minWrap)) {
		if i == 0 {
			b.WriteString(prefix)
		} else {
			b.WriteString(strings.Repeat(" ", runes(prefix)))
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// wrapText breaks s into lines of at most width runes: at spaces, and a word longer
// than width after its last / : , ; - or _ that fits (else at width).
func wrapText(s string, width int) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		for runes(word) > width {
			if cur != "" && runes(cur)+1+minWrap <= width {
				// Start the long word on this line.
				head, rest := splitWord(word, width-runes(cur)-1)
				lines = append(lines, cur+" "+head)
				cur, word = "", rest
				continue
			}
			if cur != "" {
				lines = append(lines, cur)
				cur = ""
			}
			head, rest := splitWord(word, width)
			lines = append(lines, head)
			word = rest
		}
		switch {
		case cur == "":
			cur = word
		case runes(cur)+1+runes(word) <= width:
			cur += " " + word
		default:
			lines = append(lines, cur)
			cur = word
		}
	}
	if cur != "" || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}

// splitWord splits word (longer than n runes) into a head of at most n runes, ending
// after a / : , ; - or _ when one is in its second half, and the rest.
func splitWord(word string, n int) (string, string) {
	r := []rune(word)
	cut := n
	for i := n - 1; i >= n/2; i-- {
		if strings.ContainsRune("/:,;-_", r[i]) {
			cut = i + 1
			break
		}
	}
	return string(r[:cut]), string(r[cut:])
}

// runes is the width of s in a terminal, counted as text/tabwriter counts it: a column
// per rune.
func runes(s string) int { return utf8.RuneCountInString(s) }

// errWriter writes to w until a write fails, then keeps that first error and writes
// nothing more: a printer of many lines checks err once, at the end.
type errWriter struct {
	w   io.Writer
	err error
}

// Write implements io.Writer.
func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}

// printf and println format as fmt does; a write error is kept in e.err.
func (e *errWriter) printf(format string, args ...any) { _, _ = fmt.Fprintf(e, format, args...) }
func (e *errWriter) println(args ...any)               { _, _ = fmt.Fprintln(e, args...) }

// printData writes data as JSON or YAML, or calls table for the table formats (table,
// wide), laid out by l.
func printData(w io.Writer, format string, l Layout, data any, table func() Table) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(data)
	case FormatYAML:
		b, err := yaml.Marshal(data)
		if err != nil {
			return fmt.Errorf("encoding yaml: %w", err)
		}
		_, err = w.Write(b)
		return err
	case FormatTable, FormatWide, "":
		if table == nil {
			return printData(w, FormatYAML, l, data, nil)
		}
		return table().Write(w, l)
	}
	return Usagef("-o %q: use table, wide, json or yaml", format)
}

// isTable reports whether format is one of the table formats (table, wide).
func isTable(format string) bool {
	return format == FormatTable || format == FormatWide || format == ""
}

func checkFormat(f string) error {
	switch f {
	case FormatTable, FormatWide, FormatJSON, FormatYAML:
		return nil
	}
	return Usagef("flag -o/--output %q: use table, wide, json or yaml", f)
}
