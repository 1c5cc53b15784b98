//go:build conformance

package conformance_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/seed"
	emuasg "github.com/winami/winami/awsemu/services/autoscaling"
	"github.com/winami/winami/awsemu/world"
)

// asgCapacityEmulator starts awsemu on a manual clock and returns its endpoint and a settle
// function that moves the clock through launches and terminations (each step a request,
// before which the server ticks Auto Scaling).
func asgCapacityEmulator(t *testing.T) (string, func()) {
	clock := awsemu.NewManualClock(time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	c := autoscaling.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	return srv.URL(), func() {
		for range 4 {
			clock.Advance(emuasg.LaunchDelay)
			if _, err := c.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// windowsAMI is a seeded public EKS-optimized Windows AMI of the region (moto launches any id).
func windowsAMI(region string) string {
	k8s := world.LatestKubernetes()
	rel := seed.EKSReleases(k8s)
	return seed.ImageID(region, world.EKSOptimizedAMIName("2022", world.Core, k8s, rel[len(rel)-1].Format("2006.01.02")))
}

type cliASGInstance struct {
	InstanceId, AvailabilityZone, LifecycleState, HealthStatus, AutoScalingGroupName string
	LaunchTemplate                                                                   *struct{ LaunchTemplateName, Version string }
}

// asgCapacityScenario drives a group's capacity with the AWS CLI: launches, tags, scale out
// and in, UpdateAutoScalingGroup, TerminateInstanceInAutoScalingGroup, SetInstanceHealth,
// DescribeAutoScalingInstances and deletes. settle lets launches and terminations happen.
func asgCapacityScenario(t *testing.T, ep string, settle func()) *record {
	const region = "us-east-1"
	r := &record{}
	awstest.CLIJSON(t, ep, region, nil, "ec2", "create-launch-template", "--launch-template-name", "cap-nodes",
		"--launch-template-data", `{"ImageId":"`+windowsAMI(region)+`","InstanceType":"m5.large"}`)
	awstest.CLIJSON(t, ep, region, nil, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "cap",
		"--launch-template", "LaunchTemplateName=cap-nodes,Version=$Default", "--min-size", "1", "--max-size", "4", "--desired-capacity", "2",
		"--availability-zones", "us-east-1a", "us-east-1b", "--tags", "Key=team,Value=infra,PropagateAtLaunch=true", "Key=cost,Value=x,PropagateAtLaunch=false")
	settle()
	group := func() (int, []cliASGInstance) {
		var out struct {
			AutoScalingGroups []struct {
				DesiredCapacity int
				Instances       []cliASGInstance
			}
		}
		awstest.CLIJSON(t, ep, region, &out, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "cap")
		if len(out.AutoScalingGroups) != 1 {
			t.Fatalf("describe-auto-scaling-groups cap: %+v", out)
		}
		return out.AutoScalingGroups[0].DesiredCapacity, out.AutoScalingGroups[0].Instances
	}
	summary := func(ins []cliASGInstance) string {
		var s []string
		for _, in := range ins {
			s = append(s, in.LifecycleState+"/"+in.HealthStatus)
		}
		return sorted(s)
	}
	desired, ins := group()
	var zones []string
	for _, in := range ins {
		zones = append(zones, in.AvailabilityZone)
	}
	r.add("launched: desired %d instances %s zones %s", desired, summary(ins), sorted(zones))
	if len(ins) == 0 {
		t.Fatal("no instances launched")
	}
	var lt string
	if ins[0].LaunchTemplate != nil {
		lt = ins[0].LaunchTemplate.LaunchTemplateName
	}
	r.add("instance launch template: %s", lt)

	var described struct {
		Reservations []struct {
			Instances []struct {
				InstanceId string
				Tags       []struct{ Key, Value string }
			}
		}
	}
	awstest.CLIJSON(t, ep, region, &described, "ec2", "describe-instances", "--instance-ids", ins[0].InstanceId)
	tags := map[string]string{}
	for _, res := range described.Reservations {
		for _, in := range res.Instances {
			for _, tg := range in.Tags {
				tags[tg.Key] = tg.Value
			}
		}
	}
	r.add("instance tags: group %q team %q cost %q", tags["aws:autoscaling:groupName"], tags["team"], tags["cost"])

	var asi struct{ AutoScalingInstances []cliASGInstance }
	awstest.CLIJSON(t, ep, region, &asi, "autoscaling", "describe-auto-scaling-instances", "--instance-ids", ins[0].InstanceId, "i-0123456789abcdef0")
	if len(asi.AutoScalingInstances) == 1 {
		a := asi.AutoScalingInstances[0]
		r.add("describe-auto-scaling-instances: 1 group %s state %s", a.AutoScalingGroupName, a.LifecycleState)
		r.add("describe-auto-scaling-instances health: %s", a.HealthStatus)
	} else {
		r.add("describe-auto-scaling-instances: %d", len(asi.AutoScalingInstances))
	}

	r.add("set-desired-capacity above max: %s", outcome(t, ep, region, "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "cap", "--desired-capacity", "5"))
	awstest.CLIJSON(t, ep, region, nil, "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "cap", "--desired-capacity", "3")
	settle()
	desired, ins = group()
	r.add("scaled out: desired %d instances %s", desired, summary(ins))

	awstest.CLIJSON(t, ep, region, nil, "autoscaling", "update-auto-scaling-group", "--auto-scaling-group-name", "cap", "--max-size", "2")
	settle()
	desired, ins = group()
	r.add("max size below desired: desired %d instances %s", desired, summary(ins))

	awstest.CLIJSON(t, ep, region, nil, "autoscaling", "terminate-instance-in-auto-scaling-group", "--instance-id", ins[0].InstanceId, "--should-decrement-desired-capacity")
	settle()
	desired, ins = group()
	r.add("terminated with decrement: desired %d instances %s", desired, summary(ins))
	before := "i-0123456789abcdef1"
	if len(ins) > 0 {
		before = ins[0].InstanceId
	}
	r.add("terminate below min: %s", outcome(t, ep, region, "autoscaling", "terminate-instance-in-auto-scaling-group", "--instance-id", before, "--should-decrement-desired-capacity"))
	r.add("terminate unknown instance: %s", outcome(t, ep, region, "autoscaling", "terminate-instance-in-auto-scaling-group", "--instance-id", "i-0123456789abcdef0", "--no-should-decrement-desired-capacity"))

	r.add("set-instance-health: %s", outcome(t, ep, region, "autoscaling", "set-instance-health", "--instance-id", before, "--health-status", "Unhealthy"))
	settle()
	desired, ins = group()
	replaced := len(ins) == 1 && ins[0].InstanceId != before
	r.add("unhealthy instance replaced: %v desired %d instances %s", replaced, desired, summary(ins))

	r.add("delete with instances: %s", outcome(t, ep, region, "autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", "cap"))
	r.add("force delete call: %s", outcome(t, ep, region, "autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", "cap", "--force-delete"))
	settle()
	var after struct {
		Reservations []struct {
			Instances []struct{ State struct{ Name string } }
		}
	}
	awstest.CLIJSON(t, ep, region, &after, "ec2", "describe-instances", "--filters", "Name=tag:aws:autoscaling:groupName,Values=cap", "Name=instance-state-name,Values=pending,running")
	state := "none running"
	for _, res := range after.Reservations {
		if len(res.Instances) > 0 {
			state = "some running"
		}
	}
	r.add("force delete: %s", state)
	return r
}

func TestAutoScalingCapacityWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	ep, settle := asgCapacityEmulator(t)
	r := asgCapacityScenario(t, ep, settle)
	want := []string{
		"launched: desired 2 instances [InService/Healthy InService/Healthy] zones [us-east-1a us-east-1b]",
		"instance launch template: cap-nodes",
		`instance tags: group "cap" team "infra" cost ""`,
		"describe-auto-scaling-instances: 1 group cap state InService",
		"describe-auto-scaling-instances health: HEALTHY",
		"set-desired-capacity above max: ValidationError",
		"scaled out: desired 3 instances [InService/Healthy InService/Healthy InService/Healthy]",
		"max size below desired: desired 2 instances [InService/Healthy InService/Healthy]",
		"terminated with decrement: desired 1 instances [InService/Healthy]",
		"terminate below min: ValidationError",
		"terminate unknown instance: ValidationError",
		"set-instance-health: ok",
		"unhealthy instance replaced: true desired 1 instances [InService/Healthy]",
		"delete with instances: ResourceInUse",
		"force delete call: ok",
		"force delete: none running",
	}
	if got := strings.Join(r.lines, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("scenario:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestAutoScalingCapacityAgainstMoto(t *testing.T) {
	t.Parallel()
	motoEP := awstest.StartMoto(t)
	ep, settle := asgCapacityEmulator(t)
	emu := asgCapacityScenario(t, ep, settle)
	mot := asgCapacityScenario(t, motoEP, func() {})
	t.Logf("moto:\n%s", strings.Join(mot.lines, "\n"))
	compareRecords(t, emu, mot, allowedCapacityDifferences...)
}

// allowedCapacityDifferences are the steps where moto differs from Auto Scaling
// (DIFFERENCES.md, Auto Scaling capacity).
var allowedCapacityDifferences = []string{
	"launched",                               // moto puts every instance in the first zone
	"describe-auto-scaling-instances health", // moto answers Healthy, Auto Scaling HEALTHY
	"set-desired-capacity above max",         // moto accepts a capacity above MaxSize
	"terminate below min",                    // moto decrements below MinSize
	"terminate unknown instance",             // moto fails with a 500
	"set-instance-health",                    // moto fails with a 500 (its group is empty by then)
	"unhealthy instance replaced",            // moto neither replaces Unhealthy instances nor (here) has one
	"delete with instances",                  // moto deletes a group with instances without ForceDelete
	"force delete call",                      // so the group is gone for the forced call
}

// TestInstanceRefreshWithTheAWSCLI drives an instance refresh with the AWS CLI (botocore
// parses every answer with the official model): start with a desired configuration,
// checkpoints and preferences, describe at the checkpoint, roll back, cancel. moto 5.2 does
// not implement instance refreshes.
func TestInstanceRefreshWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	const region = "us-east-1"
	clock := awsemu.NewManualClock(time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	ep := srv.URL()
	c := autoscaling.NewFromConfig(awstest.SDKConfig(ep, region))
	tick := func(d time.Duration) {
		clock.Advance(d)
		if _, err := c.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{}); err != nil {
			t.Fatal(err)
		}
	}
	ami := windowsAMI(region)
	awstest.CLIJSON(t, ep, region, nil, "ec2", "create-launch-template", "--launch-template-name", "ir-nodes",
		"--launch-template-data", `{"ImageId":"`+ami+`","InstanceType":"m5.large"}`)
	awstest.CLIJSON(t, ep, region, nil, "ec2", "create-launch-template-version", "--launch-template-name", "ir-nodes", "--source-version", "1",
		"--launch-template-data", `{"InstanceType":"m6i.large"}`)
	awstest.CLIJSON(t, ep, region, nil, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "ir",
		"--launch-template", "LaunchTemplateName=ir-nodes,Version=1", "--min-size", "0", "--max-size", "4", "--desired-capacity", "2",
		"--availability-zones", "us-east-1a", "us-east-1b")
	for range 3 {
		tick(emuasg.LaunchDelay)
	}
	code, msg := awstest.CLIError(t, ep, region, "autoscaling", "cancel-instance-refresh", "--auto-scaling-group-name", "ir")
	if code != "ActiveInstanceRefreshNotFound" || !strings.Contains(msg, "ir") {
		t.Errorf("cancel without a refresh: %s %s", code, msg)
	}
	var started struct{ InstanceRefreshId string }
	awstest.CLIJSON(t, ep, region, &started, "autoscaling", "start-instance-refresh", "--auto-scaling-group-name", "ir",
		"--desired-configuration", `{"LaunchTemplate":{"LaunchTemplateName":"ir-nodes","Version":"2"}}`,
		"--preferences", `{"MinHealthyPercentage":50,"CheckpointPercentages":[50,100],"CheckpointDelay":900,"InstanceWarmup":30,"SkipMatching":true,"AutoRollback":true}`)
	if started.InstanceRefreshId == "" {
		t.Fatal("start-instance-refresh: no id")
	}
	code, _ = awstest.CLIError(t, ep, region, "autoscaling", "start-instance-refresh", "--auto-scaling-group-name", "ir")
	if code != "InstanceRefreshInProgress" {
		t.Errorf("second start-instance-refresh: %s", code)
	}
	type cliRefresh struct {
		InstanceRefreshId, AutoScalingGroupName, Status, StatusReason, StartTime, EndTime, Strategy string
		PercentageComplete, InstancesToUpdate                                                       int
		ProgressDetails                                                                             struct {
			LivePoolProgress struct{ PercentageComplete, InstancesToUpdate int }
		}
		Preferences struct {
			MinHealthyPercentage, MaxHealthyPercentage, InstanceWarmup, CheckpointDelay int
			CheckpointPercentages                                                       []int
			SkipMatching, AutoRollback                                                  bool
			ScaleInProtectedInstances, StandbyInstances                                 string
		}
		DesiredConfiguration struct {
			LaunchTemplate struct{ LaunchTemplateName, Version string }
		}
		RollbackDetails *struct {
			RollbackReason, RollbackStartTime                         string
			PercentageCompleteOnRollback, InstancesToUpdateOnRollback int
		}
	}
	describe := func() cliRefresh {
		var out struct{ InstanceRefreshes []cliRefresh }
		awstest.CLIJSON(t, ep, region, &out, "autoscaling", "describe-instance-refreshes", "--auto-scaling-group-name", "ir")
		if len(out.InstanceRefreshes) == 0 {
			t.Fatal("describe-instance-refreshes: none")
		}
		return out.InstanceRefreshes[0]
	}
	for i := 0; i < 20 && !strings.Contains(describe().StatusReason, "Checkpoint 50% reached"); i++ {
		tick(10 * time.Second)
	}
	ir := describe()
	p := ir.Preferences
	if ir.InstanceRefreshId != started.InstanceRefreshId || ir.Status != "InProgress" || ir.PercentageComplete != 50 || ir.InstancesToUpdate != 1 ||
		ir.ProgressDetails.LivePoolProgress.PercentageComplete != 50 || ir.Strategy != "Rolling" || ir.StartTime == "" ||
		p.MinHealthyPercentage != 50 || p.MaxHealthyPercentage != 100 || p.InstanceWarmup != 30 || p.CheckpointDelay != 900 ||
		len(p.CheckpointPercentages) != 2 || p.CheckpointPercentages[1] != 100 || !p.SkipMatching || !p.AutoRollback ||
		ir.DesiredConfiguration.LaunchTemplate.Version != "2" {
		t.Fatalf("at the checkpoint: %+v", ir)
	}
	awstest.CLIJSON(t, ep, region, nil, "autoscaling", "rollback-instance-refresh", "--auto-scaling-group-name", "ir")
	for i := 0; i < 20 && describe().Status != "RollbackSuccessful"; i++ {
		tick(10 * time.Second)
	}
	ir = describe()
	if ir.Status != "RollbackSuccessful" || ir.RollbackDetails == nil || ir.RollbackDetails.PercentageCompleteOnRollback != 50 ||
		ir.RollbackDetails.InstancesToUpdateOnRollback != 1 || ir.RollbackDetails.RollbackStartTime == "" || ir.EndTime == "" {
		t.Fatalf("after the rollback: %+v %+v", ir, ir.RollbackDetails)
	}
	var asi struct{ AutoScalingInstances []cliASGInstance }
	awstest.CLIJSON(t, ep, region, &asi, "autoscaling", "describe-auto-scaling-instances")
	var vs []string
	for _, in := range asi.AutoScalingInstances {
		if in.LifecycleState == "InService" || in.LifecycleState == "Pending" {
			vs = append(vs, in.LaunchTemplate.Version)
		}
	}
	sort.Strings(vs)
	if strings.Join(vs, ",") != "1,1" {
		t.Errorf("versions after the rollback: %v", vs)
	}
	// A refresh of a group on $Default cannot roll back.
	awstest.CLIJSON(t, ep, region, nil, "autoscaling", "update-auto-scaling-group", "--auto-scaling-group-name", "ir",
		"--launch-template", "LaunchTemplateName=ir-nodes,Version=$Default")
	code, _ = awstest.CLIError(t, ep, region, "autoscaling", "start-instance-refresh", "--auto-scaling-group-name", "ir",
		"--desired-configuration", `{"LaunchTemplate":{"LaunchTemplateName":"ir-nodes","Version":"2"}}`, "--preferences", `{"AutoRollback":true}`)
	if code != "IrreversibleInstanceRefresh" {
		t.Errorf("auto rollback on $Default: %s", code)
	}
	awstest.CLIJSON(t, ep, region, nil, "autoscaling", "start-instance-refresh", "--auto-scaling-group-name", "ir",
		"--preferences", `{"MinHealthyPercentage":100,"MaxHealthyPercentage":200}`)
	var cancelled struct{ InstanceRefreshId string }
	awstest.CLIJSON(t, ep, region, &cancelled, "autoscaling", "cancel-instance-refresh", "--auto-scaling-group-name", "ir")
	tick(time.Second)
	if ir := describe(); ir.InstanceRefreshId != cancelled.InstanceRefreshId || ir.Status != "Cancelled" {
		t.Errorf("after cancel-instance-refresh: %+v", ir)
	}
}
