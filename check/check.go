package check

import "strings"

// Outcomes of a [Check].
const (
	Pass = "pass"
	Warn = "warn"
	Fail = "fail"
	Skip = "skip"
)

// Check is one preflight check: what was checked, how it went (Pass, Warn, Fail, Skip)
// and, when it did not pass, how to fix it. Its JSON form is a contract (doctor -o json,
// fast-launch enable --dry-run -o json).
type Check struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Failed reports whether any check failed.
func Failed(checks []Check) bool {
	for _, c := range checks {
		if c.Status == Fail {
			return true
		}
	}
	return false
}

// Problems are the failed checks, for a caller that stops on them.
func Problems(checks []Check) []Check {
	var out []Check
	for _, c := range checks {
		if c.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}

// PreflightError stops an operation whose preflight found problems, before it changed
// anything; Checks holds every check run (the failed ones say what to fix).
type PreflightError struct {
	// What names the preflight, the start of the message ("checking before apply").
	What string
	// Region and ImageID name the image checked, when the checks are about one image
	// (Fast Launch's preflight).
	Region  string
	ImageID string
	// Checks are the checks run, at least one failed.
	Checks []Check
}

// Errorf returns a PreflightError of one failed check.
func Errorf(what, name, message string) *PreflightError {
	return &PreflightError{What: what, Checks: []Check{{Name: name, Status: Fail, Message: message}}}
}

// Problems are the messages of the failed checks, each followed by its fix.
func (e *PreflightError) Problems() []string {
	var out []string
	for _, c := range Problems(e.Checks) {
		m := c.Message
		if c.Fix != "" {
			m += ": " + c.Fix
		}
		out = append(out, m)
	}
	return out
}

// Error lists the problems: "what: problem" for one, one a line for several.
func (e *PreflightError) Error() string {
	ps := e.Problems()
	if len(ps) == 1 {
		return e.What + ": " + ps[0]
	}
	return e.What + ":\n  - " + strings.Join(ps, "\n  - ")
}
