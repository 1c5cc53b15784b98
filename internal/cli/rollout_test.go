package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
)

const rolloutSpec = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: team-win2022
  region: us-east-1
spec:
  kubernetesVersion: "1.33"
  windows: {version: "2022", edition: Core}
  distribution:
    regions: [us-east-1]
    publishParameter: /winami/team-win2022/image_id
`

// rolloutWorld is the spec built twice in us-east-1 (the parameter on the second AMI) and
// Auto Scaling groups web (on the first AMI, through its default template version) and
// follow (resolve:ssm: the parameter). It returns the spec file and the two AMIs.
func rolloutWorld(t *testing.T, at time.Time) (string, []string, *awsemu.Server) {
	t.Helper()
	clock := awsemu.NewManualClock(at)
	srv := useEmulator(t, emulator.WithClock(clock))
	amis := pipelineImages(t, srv, clock, "us-east-1", 2)
	ctx := context.Background()
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	sm := ssm.NewFromConfig(cfg)
	for _, a := range amis {
		if _, err := sm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/winami/team-win2022/image_id"), Value: aws.String(a),
			Type: ssmtypes.ParameterTypeString, DataType: aws.String("aws:ec2:image"), Overwrite: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}
	e := ec2.NewFromConfig(cfg)
	as := autoscaling.NewFromConfig(cfg)
	for name, image := range map[string]string{"web": amis[0], "follow": "resolve:ssm:/winami/team-win2022/image_id"} {
		if _, err := e.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
			LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(image), InstanceType: ec2types.InstanceTypeM6iLarge}}); err != nil {
			t.Fatal(err)
		}
		if _, err := as.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name),
			MinSize: aws.Int32(0), MaxSize: aws.Int32(2), DesiredCapacity: aws.Int32(0), AvailabilityZones: []string{"us-east-1a"},
			LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String(name)}}); err != nil {
			t.Fatal(err)
		}
	}
	return writePruneSpec(t, rolloutSpec), amis, srv
}

// templateVersions counts the versions of launch template name.
func templateVersions(t *testing.T, srv *awsemu.Server, name string) int {
	t.Helper()
	out, err := ec2.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")).DescribeLaunchTemplateVersions(context.Background(),
		&ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.LaunchTemplateVersions)
}

// TestRolloutBadFlags: each bad flag exits 2 with a message naming it and what is
// accepted, before AWS is read (no emulator: a call would fail otherwise).
func TestRolloutBadFlags(t *testing.T) {
	t.Parallel()
	spec := writePruneSpec(t, rolloutSpec)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "flag -f/--file is required"},
		{[]string{"-f", spec, "--canary", "x"}, `flag --canary "x": use a number of nodes (1), or a percentage`},
		{[]string{"-f", spec, "--canary", "150%"}, `flag --canary "150%"`},
		{[]string{"-f", spec, "--canary", "-1"}, `flag --canary "-1"`},
		{[]string{"-f", spec, "--max-unavailable", "10"}, `flag --max-unavailable "10": use a percentage from 1% to 100% (10%)`},
		{[]string{"-f", spec, "--max-unavailable", "0%"}, `flag --max-unavailable "0%"`},
		{[]string{"-f", spec, "--timeout", "0s"}, "flag --timeout 0s: use a positive duration"},
		{[]string{"-f", spec, "--gate-timeout", "-1m"}, "flag --gate-timeout -1m0s: use a positive duration"},
		{[]string{"-f", spec, "--dry-run", "--yes"}, "flags --dry-run and --yes"},
		{[]string{"-f", spec, "--context", "prod"}, "flag --context prod: it chooses a context of --kubeconfig"},
		{[]string{"-f", spec, "--node-group", "ng"}, "flag --node-group: managed node groups belong to a cluster: pass --cluster NAME"},
		{[]string{"-f", spec, "--asg", "web,,api"}, "flag --asg: an empty name"},
		{[]string{"-f", spec, "--to", "latest"}, `flag --to: "latest": use an AMI id (ami-…) or an SSM parameter`},
		{[]string{"-f", spec, "--to", "ami-0123456789abcdef0", "--region", "us-east-1,us-west-2"}, "flag --to: ami-0123456789abcdef0 is an AMI of one region"},
		{[]string{"-f", spec, "extra"}, "unknown command"},
	} {
		_, stderr, code := run(t, append([]string{"rollout"}, c.args...)...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("rollout %v: exit %d, stderr %q; want exit 2 saying %q", c.args, code, stderr, c.want)
		}
	}
}

// TestRolloutBadInputFoundInAWS: a --to parameter that does not exist and an --asg that is
// not a target exit 2 and change nothing.
func TestRolloutBadInputFoundInAWS(t *testing.T) {
	t.Parallel()
	spec, _, srv := rolloutWorld(t, goldenClock)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", "ssm:/nope"}, "flag --to: SSM parameter /nope does not exist in us-east-1"},
		{[]string{"--asg", "nope"}, "flag --asg: no Auto Scaling group nope in us-east-1 (of those that launch an AMI of spec team-win2022, use follow, web)"},
	} {
		_, stderr, code := run(t, append([]string{"rollout", "-f", spec, "--yes"}, c.args...)...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("rollout %v: exit %d, stderr %q; want exit 2 saying %q", c.args, code, stderr, c.want)
		}
	}
	if n := templateVersions(t, srv, "web"); n != 1 {
		t.Errorf("launch template web has %d versions after bad input, want 1", n)
	}
}

// TestRolloutDryRunChangesNothing: --dry-run prints the plan (web moves, follow is up to
// date), says nothing was changed and changes nothing; -o json carries the plan.
func TestRolloutDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	spec, amis, srv := rolloutWorld(t, goldenClock)
	out, stderr, code := run(t, "rollout", "-f", spec, "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"auto-scaling-group  web", "up to date", "made the default version"} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{"plan: 2 targets: 1 to move, 1 up to date; dry run: nothing was changed",
		"gate: EC2 and Auto Scaling health only", "warning: Karpenter not checked"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if n := templateVersions(t, srv, "web"); n != 1 {
		t.Errorf("launch template web has %d versions after --dry-run, want 1", n)
	}
	out, _, code = run(t, "rollout", "-f", spec, "--dry-run", "-o", "json")
	var v rolloutOutput
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 0 {
		t.Fatalf("exit %d, -o json: %v\n%s", code, err, out)
	}
	if v.Result != nil || len(v.Plan.Targets) != 2 || v.Plan.Targets[0].Name != "web" || v.Plan.Targets[0].From != amis[0] || v.Plan.To["us-east-1"] != amis[1] || v.Plan.Previous["us-east-1"] != amis[0] {
		t.Errorf("-o json: %s", out)
	}
}

// TestRolloutAsks: without --yes rollout needs a terminal to ask (exit 2 otherwise);
// declining changes nothing and exits 1.
func TestRolloutAsks(t *testing.T) {
	t.Parallel()
	t.Run("no terminal", func(t *testing.T) {
		t.Parallel()
		spec, _, srv := rolloutWorld(t, goldenClock)
		_, stderr, code := run(t, "rollout", "-f", spec)
		if code != ExitUsage || !strings.Contains(stderr, "rollout would move 2 targets: 1 to move, 1 up to date: pass --yes to roll out without a prompt (stdin is not a terminal); --dry-run prints the plan") {
			t.Errorf("exit %d\n%s", code, stderr)
		}
		if n := templateVersions(t, srv, "web"); n != 1 {
			t.Errorf("launch template web has %d versions, want 1", n)
		}
	})
	t.Run("declined", func(t *testing.T) {
		t.Parallel()
		spec, _, srv := rolloutWorld(t, goldenClock)
		useTerminal(t, true)
		var out, errb bytes.Buffer
		code := runWith(t, context.Background(), []string{"rollout", "-f", spec}, strings.NewReader("n\n"), &out, &errb)
		if code != ExitProblem || !strings.Contains(errb.String(), "Roll out (2 targets: 1 to move, 1 up to date)? [y/N] ") ||
			!strings.Contains(errb.String(), "rollout: nothing changed") || !strings.Contains(errb.String(), "auto-scaling-group  web") {
			t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
		}
		if n := templateVersions(t, srv, "web"); n != 1 {
			t.Errorf("launch template web has %d versions, want 1", n)
		}
	})
}

// TestRolloutNothingToDo: when every target is up to date rollout says so and exits 0
// without asking.
func TestRolloutNothingToDo(t *testing.T) {
	t.Parallel()
	spec, _, _ := rolloutWorld(t, goldenClock)
	out, stderr, code := run(t, "rollout", "-f", spec, "--asg", "follow")
	if code != 0 || !strings.Contains(stderr, "rollout: nothing to do (1 target: 0 to move, 1 up to date)") || !strings.Contains(out, "follow") {
		t.Errorf("exit %d\n%s\n%s", code, out, stderr)
	}
}
