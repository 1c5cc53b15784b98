package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/winami/winami/awsapi"
)

// runOffline runs winami with a factory whose AWS configuration fails the test if a
// command loads it: bad input must be refused before any AWS call.
func runOffline(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	f := testFactory(t, strings.NewReader(""), &out, &errb)
	f.LoadAWS = func(context.Context, awsapi.Settings) (*awsapi.Clients, error) {
		t.Errorf("winami %v loaded the AWS configuration", args)
		return nil, errors.New("no AWS in this test")
	}
	code := Execute(context.Background(), f, args)
	return errb.String(), code
}

// TestPollIntervalEverywhere: every command that waits takes --poll-interval with the one
// rule (checkPollInterval), refused with exit 2 before any AWS call; fast-launch's is no
// longer hidden, and it is refused without --wait (it would be ignored).
func TestPollIntervalEverywhere(t *testing.T) {
	t.Parallel()
	const spec = "../../examples/win2022-core-cached-fastlaunch.yaml"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "-f", spec, "--poll-interval", "0s"}, "flag --poll-interval 0s: use a positive duration such as 30s"},
		{[]string{"rollout", "-f", spec, "--poll-interval", "-1s"}, "flag --poll-interval -1s: use a positive duration such as 15s"},
		{[]string{"prune", "-f", spec, "--poll-interval", "0s"}, "flag --poll-interval 0s: use a positive duration such as 15s"},
		{[]string{"fast-launch", "enable", "--image", "ami-0123456789abcdef0", "--wait", "--poll-interval", "0s"}, "flag --poll-interval 0s: use a positive duration such as 15s"},
		{[]string{"fast-launch", "disable", "--image", "ami-0123456789abcdef0", "--wait", "--poll-interval", "0s"}, "flag --poll-interval 0s: use a positive duration such as 15s"},
		{[]string{"fast-launch", "enable", "--image", "ami-0123456789abcdef0", "--poll-interval", "5s"}, "flag --poll-interval: it paces --wait; add --wait, or drop --poll-interval"},
		{[]string{"fast-launch", "disable", "--image", "ami-0123456789abcdef0", "--timeout", "5m"}, "flag --timeout: it paces --wait; add --wait, or drop --timeout"},
	} {
		stderr, code := runOffline(t, tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("winami %v: exit %d, stderr %q; want exit 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
	for _, cmd := range [][]string{{"build"}, {"rollout"}, {"prune"}, {"fast-launch", "enable"}, {"fast-launch", "disable"}} {
		out, _, code := run(t, append(cmd, "--help")...)
		if code != 0 || !strings.Contains(out, "--poll-interval duration") {
			t.Errorf("winami %v --help does not show --poll-interval:\n%s", cmd, out)
		}
	}
}

func TestShortDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"30s": "30s", "15m0s": "15m", "1h0m0s": "1h", "1h30m0s": "1h30m", "1m30s": "1m30s", "500ms": "500ms"} {
		d, _ := time.ParseDuration(in)
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%s) = %s, want %s", in, got, want)
		}
	}
}
