package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/internal/awsfixture"
	"github.com/winami/winami/prune"
	"github.com/winami/winami/render"
	"github.com/winami/winami/spec"
)

const hijackSpec = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: %s
  region: us-east-1
spec:
  kubernetesVersion: "1.33"
  windows: {version: "2022", edition: Core}
  distribution:
    regions: [us-east-1]
%s  keep: 1
`

// TestAMITagsCannotHijackAnotherSpec reproduces issue 14: team-b's spec tags its AMIs
// winami:name: team-a, and team-a's prune then took team-b's newer AMI for team-a's
// newest and planned to delete team-a's real newest one. The spec is refused (exit 2,
// naming the key); and were it not validated, the AMIs it makes still carry winami's own
// winami:name (render.AMITags), so team-a's prune keeps team-a's newest.
func TestAMITagsCannotHijackAnotherSpec(t *testing.T) {
	t.Parallel()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	srv := useEmulator(t, emulator.WithClock(clock))
	ctx := context.Background()
	ec := awsfixture.New(awstest.SDKConfig(srv.URL(), "us-east-1"))
	inst, err := ec.RunInstances(ctx, publicEKSImage("us-east-1"), 1, "m6i.large")
	if err != nil {
		t.Fatal(err)
	}
	// ami makes an AMI tagged as Image Builder tags a distributed AMI: the distribution's
	// amiTags (render.AMITags of the spec) plus its own Ec2ImageBuilderArn and CreatedBy.
	n := 0
	ami := func(img *spec.WindowsImage) string {
		t.Helper()
		clock.Advance(24 * time.Hour)
		n++
		tags := render.AMITags(img)
		tags["Ec2ImageBuilderArn"] = fmt.Sprintf("arn:aws:imagebuilder:us-east-1:123456789012:image/%s/1.0.%d/1", img.Metadata.Name, n)
		tags["CreatedBy"] = "EC2 Image Builder"
		out, err := ec.CreateImage(ctx, inst.Instances[0].InstanceId, fmt.Sprintf("%s-%d", img.Metadata.Name, n), tags)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ImageId)
	}

	teamAFile := writePruneSpec(t, fmt.Sprintf(hijackSpec, "team-a", ""))
	teamA, err := spec.Load(teamAFile)
	if err != nil {
		t.Fatal(err)
	}
	hijack := "    amiTags:\n      winami:name: team-a\n"
	teamBFile := writePruneSpec(t, fmt.Sprintf(hijackSpec, "team-b", hijack))

	// The spec is bad input: refused before anything is read or written.
	for _, cmd := range [][]string{{"render", "-f", teamBFile, "-d", t.TempDir()}, {"plan", "-f", teamBFile}} {
		_, stderr, code := run(t, cmd...)
		if code != 2 || !strings.Contains(stderr, "spec.distribution.amiTags.winami:name") || !strings.Contains(stderr, "winami's own") {
			t.Errorf("%s with amiTags winami:name: exit %d, want 2 naming the key\n%s", cmd[0], code, stderr)
		}
	}

	// Defence in depth: the same spec, had it skipped validation.
	teamB, err := spec.Load(writePruneSpec(t, fmt.Sprintf(hijackSpec, "team-b", "")))
	if err != nil {
		t.Fatal(err)
	}
	teamB.Spec.Distribution.AMITags = map[string]string{"winami:managed-by": "someone", "Ec2ImageBuilderArn": "x"}
	if got := render.AMITags(teamB); got[render.TagManagedBy] != "winami" || got["Ec2ImageBuilderArn"] != "" {
		t.Errorf("render.AMITags of team-b with reserved amiTags = %v: winami's own tags must win, Image Builder's are not the spec's", got)
	}
	teamB.Spec.Distribution.AMITags = map[string]string{"winami:name": "team-a", "team": "b"}
	if got := render.AMITags(teamB); got[render.TagName] != "team-b" || got["team"] != "b" {
		t.Errorf("render.AMITags of team-b with amiTags winami:name: team-a = %v: winami's own tags must win", got)
	}

	older, newest := ami(teamA), ami(teamA)
	other := ami(teamB) // newer than all of team-a's

	out, stderr, code := run(t, "prune", "-f", teamAFile, "-o", "json")
	if code != 0 {
		t.Fatalf("prune plan: exit %d\n%s", code, stderr)
	}
	var plan prune.Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("plan JSON: %v\n%s", err, out)
	}
	actions := map[string]string{}
	for _, im := range plan.Images {
		actions[im.ImageID] = im.Action
	}
	if _, seen := actions[other]; seen {
		t.Errorf("team-a's prune plans team-b's AMI %s: %s", other, out)
	}
	if actions[newest] == prune.ActionDelete || actions[older] != prune.ActionDelete {
		t.Errorf("team-a's prune (keep 1) plans %s (newest) %q and %s %q; want newest kept, older deleted\n%s", newest, actions[newest], older, actions[older], out)
	}
}

// TestInjectedImageReferenceExit2: issue 14's reference, which ended the PowerShell
// string at U+2019, is bad input for every command that reads the spec (exit 2, on its
// field, nothing written).
func TestInjectedImageReferenceExit2(t *testing.T) {
	t.Parallel()
	file := writePruneSpec(t, fmt.Sprintf(hijackSpec, "team-a", "")+"  cache:\n    images: [\"x\u2019;calc;\u2019.io/app:1\"]\n")
	dir := t.TempDir()
	_, stderr, code := run(t, "render", "-f", file, "-d", dir)
	if code != 2 || !strings.Contains(stderr, "spec.cache.images[0]") || !strings.Contains(stderr, "not a valid image reference") {
		t.Errorf("render: exit %d, want 2 naming spec.cache.images[0]\n%s", code, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("render wrote %d files", len(entries))
	}
}
