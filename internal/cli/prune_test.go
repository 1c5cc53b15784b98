package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/internal/awsfixture"
	"github.com/winami/winami/prune"
)

const pruneSpec = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: team-win2022
  region: us-east-1
spec:
  kubernetesVersion: "1.33"
  windows: {version: "2022", edition: Core}
  distribution:
    regions: [us-east-1, us-west-2]
    publishParameter: /winami/team-win2022/image_id
  keep: 1
`

// pipelineImages makes n AMIs tagged as the spec's pipeline tags them, one a day, in region.
func pipelineImages(t *testing.T, srv *awsemu.Server, clock *awsemu.ManualClock, region string, n int) []string {
	t.Helper()
	return pipelineImagesAt(t, srv, func() { clock.Advance(24 * time.Hour) }, region, n)
}

// pipelineImagesAt is pipelineImages with day passing as next says (a manual clock
// advanced, or nothing on a clock that runs).
func pipelineImagesAt(t *testing.T, srv *awsemu.Server, next func(), region string, n int) []string {
	t.Helper()
	ctx := context.Background()
	c := awsfixture.New(awstest.SDKConfig(srv.URL(), region))
	run, err := c.RunInstances(ctx, publicEKSImage(region), 1, "m6i.large")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range n {
		next()
		out, err := c.CreateImage(ctx, run.Instances[0].InstanceId, fmt.Sprintf("team-win2022-%s-%d", region, i), map[string]string{
			prune.NameTag:         "team-win2022",
			prune.ManagedByTag:    "winami",
			prune.ImageBuilderTag: fmt.Sprintf("arn:aws:imagebuilder:us-east-1:123456789012:image/team-win2022/1.0.%d/1", i),
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.ImageId))
	}
	return ids
}

func ownedCount(t *testing.T, srv *awsemu.Server, region string) int {
	t.Helper()
	c := awsfixture.New(awstest.SDKConfig(srv.URL(), region))
	out, err := c.DescribeImagesOwnedBy(context.Background(), "", "self")
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Images)
}

func writePruneSpec(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "winami.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrunePlanThenYesThenRerun(t *testing.T) {
	t.Parallel()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	srv := useEmulator(t, emulator.WithClock(clock))
	file := writePruneSpec(t, pruneSpec)
	east := pipelineImages(t, srv, clock, "us-east-1", 3)
	west := pipelineImages(t, srv, clock, "us-west-2", 2)

	out, stderr, code := run(t, "prune", "-f", file, "-o", "json")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	var plan prune.Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("plan JSON: %v\n%s", err, out)
	}
	if len(plan.Images) != 5 || plan.Deletes() != 3 || !strings.Contains(stderr, "nothing was changed") {
		t.Fatalf("plan: %d images, %d deletes\n%s", len(plan.Images), plan.Deletes(), out)
	}
	if ownedCount(t, srv, "us-east-1") != 3 || ownedCount(t, srv, "us-west-2") != 2 {
		t.Fatalf("the plan changed the AMIs")
	}
	if n := srv.Faults.Count("ec2", "DeregisterImage", ""); n != 0 {
		t.Fatalf("the plan deregistered %d AMIs", n)
	}

	srv.Faults.FailNext("ec2", "DeleteSnapshot", awsemu.FaultError{Status: 400, Code: "InvalidSnapshot.InUse", Message: "The snapshot is currently in use (injected)"})
	out, stderr, code = run(t, "prune", "-f", file, "--yes")
	if code != 1 || !strings.Contains(stderr, "1 of 3 deletions failed") || !strings.Contains(out, "failed") {
		t.Fatalf("--yes with a failing DeleteSnapshot: exit %d\n%s\n%s", code, out, stderr)
	}
	if ownedCount(t, srv, "us-east-1") != 1 || ownedCount(t, srv, "us-west-2") != 1 {
		t.Errorf("after --yes: %d AMIs in us-east-1, %d in us-west-2; want 1 and 1", ownedCount(t, srv, "us-east-1"), ownedCount(t, srv, "us-west-2"))
	}
	// The plan names the snapshot the failed run left.
	if _, stderr, code := run(t, "prune", "-f", file); code != 0 || !strings.Contains(stderr, "plan: 0 AMIs go, 2 stay, 1 snapshot(s) left by an earlier prune go") {
		t.Errorf("plan after the failure: exit %d\n%s", code, stderr)
	}
	_, stderr, code = run(t, "prune", "-f", file, "--yes")
	if code != 0 || !strings.Contains(stderr, "left by an earlier prune") {
		t.Fatalf("re-run: exit %d\n%s", code, stderr)
	}
	for region, newest := range map[string]string{"us-east-1": east[2], "us-west-2": west[1]} {
		c := awsfixture.New(awstest.SDKConfig(srv.URL(), region))
		out, err := c.DescribeImagesOwnedBy(context.Background(), "", "self")
		if err != nil || len(out.Images) != 1 || aws.ToString(out.Images[0].ImageId) != newest {
			t.Errorf("%s keeps %+v, want only the newest %s (%v)", region, out, newest, err)
		}
	}
	out, _, code = run(t, "prune", "-f", file, "-o", "json")
	if err := json.Unmarshal([]byte(out), &plan); code != 0 || err != nil || plan.Deletes() != 0 || len(plan.Orphans) != 0 {
		t.Errorf("third run: exit %d, %+v", code, plan)
	}
}

func TestPruneKeepFlagAndRegion(t *testing.T) {
	t.Parallel()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	srv := useEmulator(t, emulator.WithClock(clock))
	file := writePruneSpec(t, pruneSpec)
	pipelineImages(t, srv, clock, "us-east-1", 3)
	pipelineImages(t, srv, clock, "us-west-2", 3)
	out, stderr, code := run(t, "prune", "-f", file, "--keep", "2", "--region", "us-west-2", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var plan prune.Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil || len(plan.Images) != 3 || plan.Deletes() != 1 {
		t.Fatalf("plan: %v %s", err, out)
	}
	for _, im := range plan.Images {
		if im.Region != "us-west-2" {
			t.Errorf("%s in %s", im.ImageID, im.Region)
		}
	}
}

func TestPruneBadInputExit2(t *testing.T) {
	t.Parallel()
	useEmulator(t)
	file := writePruneSpec(t, pruneSpec)
	bad := writePruneSpec(t, "apiVersion: winami.io/v1alpha1\nkind: WindowsImage\nmetadata: {name: x}\nspec:\n  windows: {version: \"2003\"}\n")
	for _, args := range [][]string{
		{"prune"},
		{"prune", "-f", file, "--older-than", "soon"},
		{"prune", "-f", file, "--keep", "-1"},
		{"prune", "-f", file, "--poll-interval", "0s"},
		{"prune", "-f", file, "--timeout", "-1m"},
		{"prune", "-f", file, "--concurrency", "0"},
		{"prune", "-f", bad},
		{"prune", "-f", filepath.Join(t.TempDir(), "missing.yaml")},
	} {
		if _, stderr, code := run(t, args...); code != 2 {
			t.Errorf("winami %v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
}

// TestPruneKeepsSharedUnlessIncludeShared: the plan keeps an AMI shared with another
// account and says with whom; --include-shared prunes it.
func TestPruneKeepsSharedUnlessIncludeShared(t *testing.T) {
	t.Parallel()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	srv := useEmulator(t, emulator.WithClock(clock))
	file := writePruneSpec(t, pruneSpec)
	east := pipelineImages(t, srv, clock, "us-east-1", 2)
	c := awsfixture.New(awstest.SDKConfig(srv.URL(), "us-east-1"))
	if _, err := c.ShareImage(context.Background(), east[0], "444455556666"); err != nil {
		t.Fatal(err)
	}
	// -o wide: each reason on one line (the table folds them at 120 columns).
	out, stderr, code := run(t, "prune", "-f", file, "--region", "us-east-1", "-o", "wide")
	if code != 0 || !strings.Contains(out, "shared with account 444455556666 (--include-shared to prune it)") || !strings.Contains(stderr, "0 AMIs go") && !strings.Contains(stderr, "nothing to prune") {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, stderr)
	}
	out, stderr, code = run(t, "prune", "-f", file, "--region", "us-east-1", "--include-shared", "--yes", "-o", "json")
	var plan prune.Plan
	if err := json.Unmarshal([]byte(out), &plan); code != 0 || err != nil || plan.Deletes() != 1 || plan.Images[0].ImageID != east[0] ||
		len(plan.Images[0].SharedWith) != 1 || plan.Images[0].Result != prune.ResultDeleted {
		t.Fatalf("--include-shared --yes: exit %d %v\n%s\n%s", code, err, out, stderr)
	}
	if ownedCount(t, srv, "us-east-1") != 1 {
		t.Errorf("the shared AMI is still there")
	}
}
