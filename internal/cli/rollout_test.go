package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/rollout"
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
	return rolloutWorldClock(t, awsemu.NewManualClock(at), 0)
}

// rolloutWorldClock is rolloutWorld on clock, web with desired instances.
func rolloutWorldClock(t *testing.T, clock awsemu.Clock, desired int32) (string, []string, *awsemu.Server) {
	t.Helper()
	srv := useEmulator(t, emulator.WithClock(clock))
	amis := pipelineImagesAt(t, srv, func() { advance(clock, 24*time.Hour) }, "us-east-1", 2)
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
		lt, err := e.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
			LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(image), InstanceType: ec2types.InstanceTypeM6iLarge}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := as.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name),
			MinSize: aws.Int32(0), MaxSize: aws.Int32(4), DesiredCapacity: aws.Int32(map[string]int32{"web": desired}[name]), AvailabilityZones: []string{"us-east-1a"},
			LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: lt.LaunchTemplate.LaunchTemplateName}}); err != nil {
			t.Fatal(err)
		}
	}
	return writePruneSpec(t, rolloutSpec), amis, srv
}

// advance moves a manual clock by d (a running clock moves by itself).
func advance(c awsemu.Clock, d time.Duration) {
	if m, ok := c.(*awsemu.ManualClock); ok {
		m.Advance(d)
	}
}

// rolloutCluster adds EKS cluster prod (ACTIVE) and its managed node group win (two
// nodes) on a launch template on the spec's first AMI, to a rolloutWorldClock on clock.
func rolloutCluster(t *testing.T, srv *awsemu.Server, clock *awsemu.ManualClock, ami string) {
	t.Helper()
	ctx := context.Background()
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	e := ec2.NewFromConfig(cfg)
	k := eks.NewFromConfig(cfg)
	if _, err := k.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String("prod"), RoleArn: aws.String("arn:aws:iam::123456789012:role/eks"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{}}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(11 * time.Minute)
	lt, err := e.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("win-ng"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(ami), InstanceType: ec2types.InstanceTypeM6iLarge}})
	if err != nil {
		t.Fatal(err)
	}
	sn, err := e.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}},
		{Name: aws.String("availability-zone"), Values: []string{"us-east-1a", "us-east-1b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	var subnets []string
	for _, s := range sn.Subnets {
		subnets = append(subnets, aws.ToString(s.SubnetId))
	}
	if _, err := k.CreateNodegroup(ctx, &eks.CreateNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win"),
		NodeRole: aws.String("arn:aws:iam::123456789012:role/nodes"), Subnets: subnets,
		ScalingConfig:  &ekstypes.NodegroupScalingConfig{MinSize: aws.Int32(1), MaxSize: aws.Int32(4), DesiredSize: aws.Int32(2)},
		LaunchTemplate: &ekstypes.LaunchTemplateSpecification{Id: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("1")}}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		clock.Advance(time.Minute)
		if _, err := k.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win")}); err != nil {
			t.Fatal(err)
		}
	}
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
		{[]string{"--cluster", "prod"}, "flag --cluster: no EKS cluster prod in us-east-1"},
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

// TestRolloutAskedAndAccepted: answered yes on a terminal, rollout moves the group.
func TestRolloutAskedAndAccepted(t *testing.T) {
	t.Parallel()
	clock := awsemu.NewManualClock(goldenClock)
	spec, amis, srv := rolloutWorldClock(t, clock, 1)
	useClock(t, clock.Now)
	useSleep(t, func(ctx context.Context, d time.Duration) error { clock.Advance(d); return ctx.Err() })
	useTerminal(t, true)
	for range 3 {
		clock.Advance(time.Minute)
		groupAMIs(t, srv, "web")
	}
	var out, errb bytes.Buffer
	code := runWith(t, context.Background(), []string{"rollout", "-f", spec, "--poll-interval", "10s"}, strings.NewReader("y\n"), &out, &errb)
	if code != 0 || !strings.Contains(errb.String(), "Roll out (2 targets: 1 to move, 1 up to date; canary: 1 node of web first)? [y/N] ") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	if got, n := groupAMIs(t, srv, "web"); got[amis[1]] != 1 || n != 1 {
		t.Errorf("after the rollout web runs %v of %d instances, want 1 on %s", got, n, amis[1])
	}
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

// groupAMIs returns the AMIs the in-service instances of group run, and how many
// instances it has, as the AWS CLI would show them.
func groupAMIs(t *testing.T, srv *awsemu.Server, group string) (map[string]int, int) {
	t.Helper()
	ctx := context.Background()
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	out, err := autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		t.Fatalf("DescribeAutoScalingGroups %s: %v", group, err)
	}
	amis := map[string]int{}
	var ids []string
	for _, in := range out.AutoScalingGroups[0].Instances {
		if in.LifecycleState == astypes.LifecycleStateInService {
			ids = append(ids, aws.ToString(in.InstanceId))
		}
	}
	if len(ids) > 0 {
		d, err := ec2.NewFromConfig(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range d.Reservations {
			for _, in := range r.Instances {
				amis[aws.ToString(in.ImageId)]++
			}
		}
	}
	return amis, len(out.AutoScalingGroups[0].Instances)
}

// TestRolloutYesMovesAGroup: with --yes, rollout moves an Auto Scaling group of two
// instances from the spec's first AMI to the second (a new default launch template
// version, an instance refresh), prints what it did, exits 0; run again, it has nothing
// to do. Time is the emulator's manual clock, which rollout's waits advance.
func TestRolloutYesMovesAGroup(t *testing.T) {
	t.Parallel()
	clock := awsemu.NewManualClock(goldenClock)
	spec, amis, srv := rolloutWorldClock(t, clock, 2)
	useClock(t, clock.Now)
	useSleep(t, func(ctx context.Context, d time.Duration) error { clock.Advance(d); return ctx.Err() })
	for range 3 {
		clock.Advance(time.Minute)
		groupAMIs(t, srv, "web") // a request: the group launches and its launches turn InService
	}
	if got, n := groupAMIs(t, srv, "web"); got[amis[0]] != 2 || n != 2 {
		t.Fatalf("web has %v in service of %d instances, want 2 on %s", got, n, amis[0])
	}
	out, stderr, code := run(t, "rollout", "-f", spec, "--asg", "web", "--yes", "--poll-interval", "10s")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	if got, n := groupAMIs(t, srv, "web"); got[amis[1]] != 2 || n != 2 {
		t.Errorf("after rollout, web runs %v (%d instances), want 2 on %s", got, n, amis[1])
	}
	lt, err := ec2.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")).DescribeLaunchTemplateVersions(context.Background(),
		&ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String("web"), Versions: []string{"$Default"}})
	if err != nil || aws.ToInt64(lt.LaunchTemplateVersions[0].VersionNumber) != 2 || aws.ToString(lt.LaunchTemplateVersions[0].LaunchTemplateData.ImageId) != amis[1] {
		t.Errorf("web's default version after rollout: %v %+v", err, lt)
	}
	if !strings.Contains(out, "moved") || !strings.Contains(stderr, "rollout: 1 target: 1 to move, 0 up to date; canary: 1 node of web first") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, stderr)
	}
	out, stderr, code = run(t, "rollout", "-f", spec, "--asg", "web", "--yes")
	if code != 0 || !strings.Contains(stderr, "rollout: nothing to do (1 target: 0 to move, 1 up to date)") {
		t.Errorf("again: exit %d\n%s\n%s", code, out, stderr)
	}
}

// TestRolloutExitCodes: a failed gate exits 1 saying whether it rolled back; a target not
// moved (skipped without --yes, failed) exits 1 naming it; every target moved or up to
// date exits 0.
func TestRolloutExitCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range []struct {
		name string
		o    rolloutOptions
		res  *rollout.Result
		err  error
		code int
		msg  string
	}{
		{"moved", rolloutOptions{}, &rollout.Result{Targets: []rollout.TargetResult{{Name: "web", State: rollout.StateMoved}, {Name: "api", State: rollout.StateUpToDate}}}, nil, 0, ""},
		{"gate", rolloutOptions{}, &rollout.Result{Gate: "node n1 is not Ready", Targets: []rollout.TargetResult{{Name: "web", State: rollout.StateRolledBack}}}, errors.New("gate failed"), 1,
			"rollout stopped: node n1 is not Ready; rolled back"},
		{"gate, no rollback", rolloutOptions{noRollback: true}, &rollout.Result{Gate: "node n1 is not Ready"}, nil, 1, "rollout stopped: node n1 is not Ready; left as it is (--no-rollback)"},
		{"skipped", rolloutOptions{}, &rollout.Result{Targets: []rollout.TargetResult{{Name: "pinned", State: rollout.StateSkipped}}}, nil, 1,
			"rollout: not every target runs the new AMI: pinned (skipped: pass --yes to patch it)"},
		{"error", rolloutOptions{}, nil, errors.New("describing group web: boom"), 1, "rolling out: describing group web: boom"},
	} {
		err := rolloutExit(ctx, &c.o, c.res, c.err)
		if ExitCode(err) != c.code || (c.msg != "" && (err == nil || err.Error() != c.msg)) {
			t.Errorf("%s: %v (exit %d), want exit %d %q", c.name, err, ExitCode(err), c.code, c.msg)
		}
	}
}
