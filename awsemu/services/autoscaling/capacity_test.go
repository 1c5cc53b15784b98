package autoscaling_test

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	emu "github.com/winami/winami/awsemu/services/autoscaling"
)

const region = "us-east-1"

// world is a whole emulator on a manual clock, with SDK clients.
type world struct {
	t     *testing.T
	ctx   context.Context
	clock *awsemu.ManualClock
	srv   *awsemu.Server
	as    *autoscaling.Client
	ec2   *ec2.Client
	ssm   *ssm.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	clock := awsemu.NewManualClock(time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	cfg := awstest.SDKConfig(srv.URL(), region)
	return &world{t: t, ctx: context.Background(), clock: clock, srv: srv,
		as: autoscaling.NewFromConfig(cfg), ec2: ec2.NewFromConfig(cfg), ssm: ssm.NewFromConfig(cfg)}
}

// image registers an available Windows AMI of the account.
func (w *world) image(name string) string {
	return w.srv.EC2.PutImage(awsemu.Image{Region: region, Name: name, OwnerID: w.srv.Account, State: "available",
		Platform: "windows", PlatformDetails: "Windows", Architecture: "x86_64", RootDeviceName: "/dev/sda1",
		BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", VolumeSize: 50, VolumeType: "gp3"}}}).ID
}

// template creates a launch template whose version 1 runs imageID; it returns its id.
func (w *world) template(name, imageID string) string {
	out, err := w.ec2.CreateLaunchTemplate(w.ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(imageID), InstanceType: ec2types.InstanceTypeM5Large}})
	if err != nil {
		w.t.Fatalf("CreateLaunchTemplate: %v", err)
	}
	return aws.ToString(out.LaunchTemplate.LaunchTemplateId)
}

// version adds a template version (source: version 1) running imageID; it returns its number.
func (w *world) version(ltID, imageID string) string {
	out, err := w.ec2.CreateLaunchTemplateVersion(w.ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: aws.String(ltID), SourceVersion: aws.String("1"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(imageID)}})
	if err != nil {
		w.t.Fatalf("CreateLaunchTemplateVersion: %v", err)
	}
	return strconv.FormatInt(aws.ToInt64(out.LaunchTemplateVersion.VersionNumber), 10)
}

func (w *world) group(name string) types.AutoScalingGroup {
	w.t.Helper()
	out, err := w.as.DescribeAutoScalingGroups(w.ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		w.t.Fatalf("DescribeAutoScalingGroups %s: %v %v", name, out, err)
	}
	return out.AutoScalingGroups[0]
}

// states counts a group's instances by "LifecycleState/HealthStatus".
func states(g types.AutoScalingGroup) map[string]int {
	out := map[string]int{}
	for _, in := range g.Instances {
		out[string(in.LifecycleState)+"/"+aws.ToString(in.HealthStatus)]++
	}
	return out
}

func (w *world) ec2Instance(id string) ec2types.Instance {
	w.t.Helper()
	out, err := w.ec2.DescribeInstances(w.ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil || len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		w.t.Fatalf("DescribeInstances %s: %v", id, err)
	}
	return out.Reservations[0].Instances[0]
}

func tagMap(tags []ec2types.Tag) map[string]string {
	out := map[string]string{}
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func wantError(t *testing.T, err error, code, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), message) {
		t.Errorf("error %v, want %s containing %q", err, code, message)
	}
}

func TestGroupKeepsCapacityOnTheClock(t *testing.T) {
	w := newWorld(t)
	ami := w.image("win-1")
	lt := w.template("nodes", ami)
	_, err := w.as.CreateAutoScalingGroup(w.ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("win"),
		MinSize: aws.Int32(1), MaxSize: aws.Int32(4), DesiredCapacity: aws.Int32(2), AvailabilityZones: []string{"us-east-1a", "us-east-1b"},
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("nodes"), Version: aws.String("$Default")},
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("infra"), PropagateAtLaunch: aws.Bool(true)},
			{Key: aws.String("billing"), Value: aws.String("x"), PropagateAtLaunch: aws.Bool(false)}}})
	if err != nil {
		t.Fatal(err)
	}
	g := w.group("win")
	if got := states(g); got["Pending/Healthy"] != 2 || len(g.Instances) != 2 {
		t.Fatalf("after create: %v", got)
	}
	// Created by name, described with id and name, as Auto Scaling does.
	if aws.ToString(g.LaunchTemplate.LaunchTemplateId) != lt || aws.ToString(g.LaunchTemplate.LaunchTemplateName) != "nodes" || aws.ToString(g.LaunchTemplate.Version) != "$Default" {
		t.Errorf("group launch template %+v", g.LaunchTemplate)
	}
	zones := []string{aws.ToString(g.Instances[0].AvailabilityZone), aws.ToString(g.Instances[1].AvailabilityZone)}
	sort.Strings(zones)
	if zones[0] != "us-east-1a" || zones[1] != "us-east-1b" {
		t.Errorf("zones %v, want one instance in each", zones)
	}
	first := aws.ToString(g.Instances[0].InstanceId)
	in := w.ec2Instance(first)
	tags := tagMap(in.Tags)
	if tags["aws:autoscaling:groupName"] != "win" || tags["team"] != "infra" || tags["billing"] != "" ||
		tags["aws:ec2launchtemplate:id"] != lt || tags["aws:ec2launchtemplate:version"] != "1" || aws.ToString(in.ImageId) != ami {
		t.Errorf("instance %s: image %s tags %v", first, aws.ToString(in.ImageId), tags)
	}
	if lt := g.Instances[0].LaunchTemplate; lt == nil || aws.ToString(lt.Version) != "1" || aws.ToString(lt.LaunchTemplateName) != "nodes" {
		t.Errorf("instance launch template %+v, want nodes version 1", lt)
	}
	// Still Pending before the launch delay, InService after it.
	w.clock.Advance(emu.LaunchDelay - time.Second)
	if got := states(w.group("win")); got["Pending/Healthy"] != 2 {
		t.Fatalf("before the launch delay: %v", got)
	}
	w.clock.Advance(time.Second)
	if got := states(w.group("win")); got["InService/Healthy"] != 2 {
		t.Fatalf("after the launch delay: %v", got)
	}
	ai, err := w.as.DescribeAutoScalingInstances(w.ctx, &autoscaling.DescribeAutoScalingInstancesInput{InstanceIds: []string{first, "i-0123456789abcdef0"}})
	if err != nil || len(ai.AutoScalingInstances) != 1 || aws.ToString(ai.AutoScalingInstances[0].HealthStatus) != "HEALTHY" ||
		aws.ToString(ai.AutoScalingInstances[0].AutoScalingGroupName) != "win" || aws.ToString(ai.AutoScalingInstances[0].LifecycleState) != "InService" {
		t.Fatalf("DescribeAutoScalingInstances: %+v %v", ai, err)
	}

	// An instance EC2 stopped is unhealthy: terminated and replaced.
	if _, err := w.ec2.StopInstances(w.ctx, &ec2.StopInstancesInput{InstanceIds: []string{first}}); err != nil {
		t.Fatal(err)
	}
	if got := states(w.group("win")); got["Terminating/Unhealthy"] != 1 || got["Pending/Healthy"] != 1 || got["InService/Healthy"] != 1 {
		t.Fatalf("after stopping one: %v", got)
	}
	if st := w.ec2Instance(first).State.Name; st != ec2types.InstanceStateNameTerminated {
		t.Errorf("stopped instance is %s, want terminated", st)
	}
	// SetInstanceHealth Unhealthy replaces the other.
	second := ""
	for _, in := range w.group("win").Instances {
		if string(in.LifecycleState) == "InService" {
			second = aws.ToString(in.InstanceId)
		}
	}
	if _, err := w.as.SetInstanceHealth(w.ctx, &autoscaling.SetInstanceHealthInput{InstanceId: aws.String(second), HealthStatus: aws.String("Unhealthy")}); err != nil {
		t.Fatal(err)
	}
	if got := states(w.group("win")); got["Terminating/Unhealthy"] != 2 || got["Pending/Healthy"] != 2 {
		t.Fatalf("after SetInstanceHealth: %v", got)
	}
	_, err = w.as.SetInstanceHealth(w.ctx, &autoscaling.SetInstanceHealthInput{InstanceId: aws.String("i-0123456789abcdef0"), HealthStatus: aws.String("Unhealthy")})
	wantError(t, err, "ValidationError", "No managed instance found for instance ID: i-0123456789abcdef0")
	w.clock.Advance(emu.TerminateDelay)
	if got := states(w.group("win")); got["InService/Healthy"] != 2 || len(w.group("win").Instances) != 2 {
		t.Fatalf("after the terminate delay: %v", got)
	}

	// Desired capacity: within min and max; scale out and in.
	_, err = w.as.SetDesiredCapacity(w.ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("win"), DesiredCapacity: aws.Int32(5)})
	wantError(t, err, "ValidationError", "New SetDesiredCapacity value 5 is above max value 4 for the AutoScalingGroup.")
	_, err = w.as.SetDesiredCapacity(w.ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("win"), DesiredCapacity: aws.Int32(0)})
	wantError(t, err, "ValidationError", "New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup.")
	if _, err := w.as.SetDesiredCapacity(w.ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("win"), DesiredCapacity: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	if got := states(w.group("win")); got["Pending/Healthy"] != 2 || got["InService/Healthy"] != 2 {
		t.Fatalf("after scaling out to 4: %v", got)
	}
	// UpdateAutoScalingGroup: a MaxSize below the desired capacity lowers it.
	if _, err := w.as.UpdateAutoScalingGroup(w.ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("win"), MaxSize: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	g = w.group("win")
	if aws.ToInt32(g.DesiredCapacity) != 3 || states(g)["Terminating/Healthy"] != 1 {
		t.Fatalf("after MaxSize 3: desired %d, %v", aws.ToInt32(g.DesiredCapacity), states(g))
	}
	_, err = w.as.UpdateAutoScalingGroup(w.ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("nope"), MaxSize: aws.Int32(3)})
	wantError(t, err, "ValidationError", "AutoScalingGroup name not found")
	_, err = w.as.UpdateAutoScalingGroup(w.ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("win"),
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("missing")}})
	wantError(t, err, "ValidationError", "The specified launch template, with template name missing, does not exist.")

	// TerminateInstanceInAutoScalingGroup: decrementing below the minimum is refused.
	w.clock.Advance(emu.TerminateDelay)
	g = w.group("win")
	victim := aws.ToString(g.Instances[0].InstanceId)
	out, err := w.as.TerminateInstanceInAutoScalingGroup(w.ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{InstanceId: aws.String(victim), ShouldDecrementDesiredCapacity: aws.Bool(true)})
	if err != nil || !strings.Contains(aws.ToString(out.Activity.Description), victim) {
		t.Fatalf("TerminateInstanceInAutoScalingGroup: %+v %v", out, err)
	}
	if g := w.group("win"); aws.ToInt32(g.DesiredCapacity) != 2 || states(g)["Terminating/Healthy"] != 1 {
		t.Fatalf("after terminating with decrement: desired %d %v", aws.ToInt32(g.DesiredCapacity), states(g))
	}
	if _, err := w.as.UpdateAutoScalingGroup(w.ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("win"), MinSize: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	for _, in := range w.group("win").Instances {
		if string(in.LifecycleState) == "InService" {
			victim = aws.ToString(in.InstanceId)
		}
	}
	_, err = w.as.TerminateInstanceInAutoScalingGroup(w.ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{InstanceId: aws.String(victim), ShouldDecrementDesiredCapacity: aws.Bool(true)})
	wantError(t, err, "ValidationError", "Currently, desiredSize equals minSize (2).")

	// Deleting a group with instances needs ForceDelete, which terminates them.
	_, err = w.as.DeleteAutoScalingGroup(w.ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("win")})
	wantError(t, err, "ResourceInUse", "You cannot delete an AutoScalingGroup while there are instances")
	if _, err := w.as.DeleteAutoScalingGroup(w.ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("win"), ForceDelete: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if st := w.ec2Instance(victim).State.Name; st != ec2types.InstanceStateNameTerminated {
		t.Errorf("instance of the deleted group is %s", st)
	}
	acts, err := w.as.DescribeScalingActivities(w.ctx, &autoscaling.DescribeScalingActivitiesInput{})
	if err != nil || len(acts.Activities) != 0 {
		t.Errorf("activities of deleted groups: %d %v", len(acts.Activities), err)
	}
}

func TestResolveSSMAtLaunchAndFailedLaunches(t *testing.T) {
	w := newWorld(t)
	ami1, ami2 := w.image("win-1"), w.image("win-2")
	put := func(v string) {
		if _, err := w.ssm.PutParameter(w.ctx, &ssm.PutParameterInput{Name: aws.String("/winami/win"), Value: aws.String(v), Type: ssmtypes.ParameterTypeString,
			DataType: aws.String("aws:ec2:image"), Overwrite: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}
	w.template("by-param", "resolve:ssm:/winami/win")
	_, err := w.as.CreateAutoScalingGroup(w.ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("p"),
		MinSize: aws.Int32(0), MaxSize: aws.Int32(2), DesiredCapacity: aws.Int32(1), AvailabilityZones: []string{"us-east-1a"},
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("by-param")}})
	if err != nil {
		t.Fatal(err)
	}
	// No parameter yet: the launch fails, is recorded, and is retried later.
	if g := w.group("p"); len(g.Instances) != 0 {
		t.Fatalf("launched without the parameter: %+v", g.Instances)
	}
	acts, err := w.as.DescribeScalingActivities(w.ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("p")})
	if err != nil || len(acts.Activities) != 1 || acts.Activities[0].StatusCode != types.ScalingActivityStatusCodeFailed ||
		!strings.Contains(aws.ToString(acts.Activities[0].StatusMessage), "/winami/win") {
		t.Fatalf("activities: %+v %v", acts, err)
	}
	put(ami1)
	if g := w.group("p"); len(g.Instances) != 0 {
		t.Fatalf("retried before LaunchRetryDelay")
	}
	w.clock.Advance(emu.LaunchRetryDelay)
	g := w.group("p")
	if len(g.Instances) != 1 {
		t.Fatalf("after the retry delay: %+v", g.Instances)
	}
	if img := aws.ToString(w.ec2Instance(aws.ToString(g.Instances[0].InstanceId)).ImageId); img != ami1 {
		t.Errorf("launched %s, want the parameter's %s", img, ami1)
	}
	// The parameter moves: the next launch resolves it again.
	put(ami2)
	if _, err := w.as.SetInstanceHealth(w.ctx, &autoscaling.SetInstanceHealthInput{InstanceId: g.Instances[0].InstanceId, HealthStatus: aws.String("Unhealthy")}); err != nil {
		t.Fatal(err)
	}
	for _, in := range w.group("p").Instances {
		if string(in.LifecycleState) == "Pending" {
			if img := aws.ToString(w.ec2Instance(aws.ToString(in.InstanceId)).ImageId); img != ami2 {
				t.Errorf("replacement runs %s, want %s", img, ami2)
			}
			return
		}
	}
	t.Fatal("no replacement launched")
}

func TestHugeCapacityGrowsOverRequests(t *testing.T) {
	w := newWorld(t)
	w.template("many", w.image("win-1"))
	_, err := w.as.CreateAutoScalingGroup(w.ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("many"),
		MinSize: aws.Int32(-1), MaxSize: aws.Int32(1000), AvailabilityZones: []string{"us-east-1a"},
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("many")}})
	wantError(t, err, "ValidationError", "Value '-1' at 'minSize' failed to satisfy constraint")
	if _, err := w.as.CreateAutoScalingGroup(w.ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("many"),
		MinSize: aws.Int32(0), MaxSize: aws.Int32(2000), DesiredCapacity: aws.Int32(2000), AvailabilityZones: []string{"us-east-1a", "us-east-1b"},
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("many")}}); err != nil {
		t.Fatal(err)
	}
	// One request launches a bounded number (the service is not held for the whole group;
	// EKS ticks Auto Scaling too, so a request may tick it twice).
	if n := len(w.group("many").Instances); n == 0 || n >= 2000 {
		t.Fatalf("first request: %d instances", n)
	}
	w.step(time.Second, 5, func() bool { return len(w.group("many").Instances) == 2000 })
}
