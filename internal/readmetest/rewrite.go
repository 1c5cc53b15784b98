package readmetest

import (
	"sort"
	"strings"
)

// Rewrite returns the document with the outputs that do not Match replaced by what the
// commands printed, and how many it replaced. An output with "…" lines keeps its shape:
// each run of lines between elisions is replaced by the lines of this run's output that
// line up with it best (the first run at the start, the last at the end), and the
// elisions stay. Blank lines that ended an output in the README are kept.
func Rewrite(doc *Doc, outs []Outcome) ([]byte, int) {
	type edit struct {
		start, end int
		lines      []string
	}
	var edits []edit
	for _, o := range outs {
		c := o.Command
		if ok, _ := Match(c.Output, o.Output); ok {
			continue
		}
		var actual []string
		if a := strings.TrimRight(o.Output, "\n"); a != "" {
			for _, l := range strings.Split(a, "\n") {
				actual = append(actual, strings.TrimRight(l, " \t"))
			}
		}
		old := doc.Lines[c.OutStart:c.OutEnd]
		trail := 0
		for k := len(old) - 1; k >= 0 && strings.TrimSpace(old[k]) == ""; k-- {
			trail++
		}
		lines := elide(old[:len(old)-trail], actual)
		for ; trail > 0; trail-- {
			lines = append(lines, "")
		}
		edits = append(edits, edit{c.OutStart, c.OutEnd, lines})
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	lines := append([]string(nil), doc.Lines...)
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		tail := append([]string(nil), lines[e.end:]...)
		lines = append(append(lines[:e.start], e.lines...), tail...)
	}
	return []byte(strings.Join(lines, "\n") + "\n"), len(edits)
}

// elide returns actual shaped like old: when old has "…" lines, the runs of lines
// between them are replaced by the windows of actual that match them best, in order
// (the first from actual's start, the last to its end), and the "…" lines stay.
func elide(old, actual []string) []string {
	var segs [][]string
	var indents []string
	cur := []string{}
	for _, l := range old {
		if strings.TrimSpace(l) == "…" {
			segs = append(segs, cur)
			indents = append(indents, l)
			cur = []string{}
			continue
		}
		cur = append(cur, l)
	}
	segs = append(segs, cur)
	if len(segs) == 1 {
		return actual
	}
	total := 0
	for _, s := range segs {
		total += len(s)
	}
	if total >= len(actual) {
		return actual
	}
	// Place each run where it matches best, in order, leaving room for the later runs;
	// the first run then starts at the output's first line and the last ends at its last.
	starts := make([]int, len(segs))
	pos := 0
	for k, s := range segs {
		rest := 0
		for _, t := range segs[k+1:] {
			rest += len(t)
		}
		best, bestScore := pos, -1
		for f := pos; f+len(s) <= len(actual)-rest; f++ {
			score := 0
			for i, l := range s {
				if ok, _ := Match(l, actual[f+i]); ok {
					score++
				}
			}
			if score > bestScore {
				best, bestScore = f, score
			}
		}
		if bestScore <= 0 && k == len(segs)-1 {
			best = len(actual) - len(s) // nothing lines up: the tail of the output
		}
		starts[k] = best
		pos = best + len(s)
	}
	var out []string
	for k, s := range segs {
		from, end := starts[k], starts[k]+len(s)
		if k == 0 {
			from = 0
		}
		if k == len(segs)-1 {
			end = len(actual)
		}
		out = append(out, actual[from:end]...)
		if k < len(indents) {
			out = append(out, indents[k])
		}
	}
	return out
}
