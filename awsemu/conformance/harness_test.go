//go:build conformance

package conformance_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// record collects the observable results of one scenario, one line per step, so that two
// runs (awsemu and moto) can be compared line by line.
type record struct {
	lines []string
}

// add records one observation.
func (r *record) add(format string, args ...any) {
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

// sorted formats a set of strings in a stable order, for results whose order the API
// does not define.
func sorted(items []string) string {
	s := append([]string(nil), items...)
	sort.Strings(s)
	return "[" + strings.Join(s, " ") + "]"
}

// compareRecords fails the test for every step whose observation differs between awsemu
// and moto, except the steps named in allowed (differences written down in
// DIFFERENCES.md), whose lines are compared by their step name only.
func compareRecords(t *testing.T, emu, moto *record, allowed ...string) {
	t.Helper()
	if len(emu.lines) != len(moto.lines) {
		t.Fatalf("awsemu recorded %d steps, moto %d:\nawsemu:\n%s\nmoto:\n%s", len(emu.lines), len(moto.lines),
			strings.Join(emu.lines, "\n"), strings.Join(moto.lines, "\n"))
	}
	for i := range emu.lines {
		a, b := emu.lines[i], moto.lines[i]
		if a == b {
			continue
		}
		stepA, _, _ := strings.Cut(a, ":")
		stepB, _, _ := strings.Cut(b, ":")
		known := false
		for _, s := range allowed {
			if stepA == s && stepB == s {
				known = true
			}
		}
		if known {
			t.Logf("known difference (DIFFERENCES.md) at %s:\n  awsemu: %s\n  moto:   %s", stepA, a, b)
			continue
		}
		t.Errorf("step %d differs:\n  awsemu: %s\n  moto:   %s", i, a, b)
	}
}
