package cli

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"

	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/check"
	"github.com/winami/winami/preflight"
	"github.com/winami/winami/spec"
)

// TestTargetAccountIsTheBuildAccount: the enterprise example with the build account (the
// credentials' account, 123456789012) in spec.distribution.targetAccountIds: doctor's
// target-accounts check fails naming the entry and the fix; apply and build stop on it
// with nothing created; the example as it is (target 210987654321) passes the check.
func TestTargetAccountIsTheBuildAccount(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t, emulator.WithPeerAccounts(emulator.SandboxPeerAccount))
	createExecutionRole(t, srv, spec.DefaultExecutionRole("enterprise-win2022"), "/winami/enterprise-win2022/image_id", "us-east-1", "us-west-2")
	enterpriseWorld(t, srv)
	b, err := os.ReadFile(enterpriseExample)
	if err != nil {
		t.Fatal(err)
	}
	// Without the cached image: doctor would read its registry (loopback only in tests).
	const cache = "  cache:\n    images:\n      - mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022\n"
	const targets = `    targetAccountIds: ["210987654321"]` + "\n"
	if !strings.Contains(string(b), cache) || !strings.Contains(string(b), targets) {
		t.Fatal("the enterprise example has no cache block or targetAccountIds line to change")
	}
	plain := writePruneSpec(t, strings.Replace(string(b), cache, "", 1))
	f := writePruneSpec(t, strings.Replace(strings.Replace(string(b), cache, "", 1), targets, `    targetAccountIds: ["210987654321", "123456789012"]`+"\n", 1))

	targetCheck := func(file string) (check.Check, int) {
		t.Helper()
		out, stderr, code := run(t, "doctor", "-f", file, "-o", "json")
		var checks []check.Check
		if err := json.Unmarshal([]byte(out), &checks); err != nil {
			t.Fatalf("doctor -o json: exit %d: %v\n%s\n%s", code, err, out, stderr)
		}
		var found []check.Check
		for _, c := range checks {
			if c.Name == preflight.CheckTargetAccounts {
				found = append(found, c)
			}
		}
		if len(found) != 1 {
			t.Fatalf("doctor: %d %s checks, want 1: %+v", len(found), preflight.CheckTargetAccounts, checks)
		}
		return found[0], code
	}
	c, code := targetCheck(f)
	if code != ExitProblem || c.Status != check.Fail ||
		!strings.Contains(c.Message, "spec.distribution.targetAccountIds[1] 123456789012 is the build account") ||
		!strings.Contains(c.Fix, "remove 123456789012 from spec.distribution.targetAccountIds") ||
		!strings.Contains(c.Fix, "without being listed") {
		t.Errorf("doctor: exit %d, %s: %s (fix: %s)", code, c.Status, c.Message, c.Fix)
	}
	if c, _ := targetCheck(plain); c.Status != check.Pass || !strings.Contains(c.Message, "210987654321") {
		t.Errorf("the example's target account: %s: %s", c.Status, c.Message)
	}

	srv.Faults.ResetCounts()
	for _, args := range [][]string{{"apply", "-f", f, "--no-registry", "--yes"}, {"build", "-f", f, "--no-registry", "--yes", "--poll-interval", "20ms"}} {
		_, errOut, code := run(t, args...)
		if code != ExitProblem || !strings.Contains(errOut, args[0]+" changed nothing:") ||
			!strings.Contains(errOut, "  target-accounts: spec.distribution.targetAccountIds[1] 123456789012 is the build account") ||
			!strings.Contains(errOut, "fix: remove 123456789012") {
			t.Errorf("%s: exit %d, want 1 with the target-accounts problem:\n%s", args[0], code, errOut)
		}
	}
	if m := mutatingRequests(srv); len(m) > 0 {
		t.Errorf("mutating requests before stopping: %v", m)
	}
	pipes, err := ib.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")).ListImagePipelines(context.Background(), &ib.ListImagePipelinesInput{})
	if err != nil || len(pipes.ImagePipelineList) != 0 {
		t.Errorf("pipelines after the refusals: %v %v", pipes, err)
	}
}
