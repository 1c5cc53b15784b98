package readmetest

import (
	"fmt"
	"regexp"
	"strings"
)

// volatile is a kind of value that differs between two runs of the same commands, found
// by running the README's scenes twice and diffing: the sandbox makes random resource ids
// (EC2 ids, instance refresh and update ids), the README's registry random layers (so
// digests), the sandbox's clock starts at the wall clock (dates, AMI names with their
// build time), and what winami measures takes as long as it takes (durations).
type volatile struct {
	name string
	re   *regexp.Regexp
	// always: normalised even when the same value is in both outputs. A duration or a
	// node name this run prints on another line than the README (rollout's "in 8s" of
	// another target, the canary in the other zone) is not the README's value.
	always bool
}

// volatiles are applied in order: longer shapes first, so that a UUID is not taken for
// hex digits and a date for a duration.
var volatiles = []volatile{
	// EC2 private DNS names, the Kubernetes node names of EKS nodes: which zone, so which
	// address, a replacement instance gets varies from run to run.
	{"node", regexp.MustCompile(`\bip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}\.[a-z0-9-]+\.compute\.internal\b`), true},
	// The sandbox's clock: a minute this run prints on another row than the README
	// (prune's CREATED column, two AMIs minutes apart) is no stable value.
	{"timestamp", regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}[:-]\d{2}(?:[:-]\d{2}(?:\.\d+)?)?Z?)?`), true},
	{"uuid", regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`), false},
	{"id", regexp.MustCompile(`\b(?:ami|lt|snap|subnet|vpc|sg|i|sir|vol|eni|igw|rtb|acl|sfr|fleet|r)-[0-9a-f]{8,17}\b`), false},
	{"hex", regexp.MustCompile(`\b[0-9a-f]{8,64}\b`), false},
	{"duration", regexp.MustCompile(`\b(?:\d+h)?(?:\d+m)?\d+(?:\.\d+)?(?:ns|µs|ms|s|m|h)\b`), true},
}

var multiSpace = regexp.MustCompile(`  +`)

// clean trims each line's trailing blanks and the text's trailing blank lines, and
// makes every run of two or more spaces two spaces (a column shifted by a value of
// another width still lines up).
func clean(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = multiSpace.ReplaceAllString(strings.TrimRight(l, " \t"), "  ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// normalize replaces, in expected and actual, each volatile value that is not in both
// with its kind: a value that is the same in the README and in this run (a seeded public
// AMI id, an account id, a content hash) is compared as it is.
func normalize(expected, actual string) (string, string) {
	for _, v := range volatiles {
		inExp := map[string]bool{}
		for _, m := range v.re.FindAllString(expected, -1) {
			inExp[m] = true
		}
		inAct := map[string]bool{}
		for _, m := range v.re.FindAllString(actual, -1) {
			inAct[m] = true
		}
		repl := func(m string) string {
			if inExp[m] && inAct[m] && !v.always {
				return m
			}
			if v.name == "id" {
				prefix, _, _ := strings.Cut(m, "-")
				return prefix + "-<id>"
			}
			return "<" + v.name + ">"
		}
		expected = v.re.ReplaceAllStringFunc(expected, repl)
		actual = v.re.ReplaceAllStringFunc(actual, repl)
	}
	return expected, actual
}

// pattern turns a normalised expected output into a regular expression: a line that is
// only "…" matches any number of lines, a "…" inside a line any text on that line.
func pattern(expected string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^`)
	if expected != "" {
		for _, l := range strings.Split(expected, "\n") {
			if strings.TrimSpace(l) == "…" {
				b.WriteString(`(?:[^\n]*\n)*?`)
				continue
			}
			parts := strings.Split(l, "…")
			for i, p := range parts {
				if i > 0 {
					b.WriteString(`[^\n]*?`)
				}
				b.WriteString(regexp.QuoteMeta(p))
			}
			b.WriteString(`\n`)
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

// Match compares a command's output as the README shows it (expected) with what it
// printed (actual, with ports and paths already mapped back to the README's). It ignores
// trailing blanks, the width of runs of spaces and the volatile values that differ
// (normalize), and honours "…" elisions. On a mismatch it returns a line diff of the two,
// normalised.
func Match(expected, actual string) (bool, string) {
	e, a := normalize(clean(expected), clean(actual))
	subject := a
	if subject != "" {
		subject += "\n"
	}
	if pattern(e).MatchString(subject) {
		return true, ""
	}
	return false, Diff(e, a)
}

// Diff is a line diff of a and b ("-" lines only in a, "+" only in b), with two lines of
// context around each change.
func Diff(a, b string) string {
	x, y := splitLines(a), splitLines(b)
	if len(x)*len(y) > 4_000_000 {
		return fmt.Sprintf("--- expected\n%s\n+++ actual\n%s", a, b)
	}
	// Longest common subsequence, then walk it.
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case x[i] == y[j]:
				lcs[i][j] = lcs[i+1][j+1] + 1
			case lcs[i+1][j] >= lcs[i][j+1]:
				lcs[i][j] = lcs[i+1][j]
			default:
				lcs[i][j] = lcs[i][j+1]
			}
		}
	}
	type op struct {
		kind byte
		text string
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, op{' ', x[i]})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', x[i]})
			i++
		default:
			ops = append(ops, op{'+', y[j]})
			j++
		}
	}
	var out strings.Builder
	const ctx = 2
	last := -1
	for k, o := range ops {
		if o.kind == ' ' {
			near := false
			for d := -ctx; d <= ctx; d++ {
				if k+d >= 0 && k+d < len(ops) && ops[k+d].kind != ' ' {
					near = true
				}
			}
			if !near {
				continue
			}
		}
		if last >= 0 && k > last+1 {
			out.WriteString("  ⋮\n")
		}
		out.WriteByte(o.kind)
		out.WriteByte(' ')
		out.WriteString(o.text)
		out.WriteByte('\n')
		last = k
	}
	return out.String()
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
