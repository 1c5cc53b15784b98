package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// run executes winami in-process and returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runWith(t, context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// runWith executes winami in-process in t's world (testEnv) on the given streams and
// returns the exit code.
func runWith(t *testing.T, ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	t.Helper()
	return Execute(ctx, testFactory(t, stdin, stdout, stderr), args)
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"version"}, ExitOK, ""},
		{[]string{"nope"}, ExitUsage, `unknown command "nope"`},
		{[]string{"version", "--bogus"}, ExitUsage, "unknown flag: --bogus"},
		{[]string{"version", "-o", "xml"}, ExitUsage, `-o/--output "xml": use table, wide, json or yaml`},
		{[]string{"version", "extra"}, ExitUsage, "unknown command"},
	}
	for _, tt := range tests {
		_, stderr, code := run(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("winami %v: exit %d, stderr %q; want exit %d and %q", tt.args, code, stderr, tt.code, tt.inStderr)
		}
	}
}

func TestVersionJSON(t *testing.T) {
	t.Parallel()
	out, _, code := run(t, "version", "-o", "json")
	var v VersionInfo
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.Version == "" || !strings.HasPrefix(v.GoVersion, "go") {
		t.Fatalf("version -o json: exit %d, %q", code, out)
	}
}

func TestExitCodeMapping(t *testing.T) {
	t.Parallel()
	if ExitCode(nil) != 0 || ExitCode(Usagef("x")) != 2 || ExitCode(&ProblemError{"drift"}) != 1 || ExitCode(context.Canceled) != 1 {
		t.Error("exit code mapping is wrong")
	}
	if Usage(nil) != nil {
		t.Error("Usage(nil) is not nil")
	}
}
