package autoscaling_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// refreshGroup creates a group of n instances on version "1" of a template running ami1
// and waits until they are InService; it returns the template id.
func (w *world) refreshGroup(name string, n int32, version string) string {
	w.t.Helper()
	lt := w.template(name+"-lt", w.image(name+"-1"))
	_, err := w.as.CreateAutoScalingGroup(w.ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name),
		MinSize: aws.Int32(0), MaxSize: aws.Int32(2 * n), DesiredCapacity: aws.Int32(n), AvailabilityZones: []string{"us-east-1a", "us-east-1b"},
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: aws.String(lt), Version: aws.String(version)}})
	if err != nil {
		w.t.Fatal(err)
	}
	w.step(10*time.Second, 10, func() bool { return states(w.group(name))["InService/Healthy"] == int(n) })
	return lt
}

// versions counts a group's active (Pending or InService) instances by launch template version.
func versions(g types.AutoScalingGroup) map[string]int {
	out := map[string]int{}
	for _, in := range g.Instances {
		if in.LifecycleState == types.LifecycleStatePending || in.LifecycleState == types.LifecycleStateInService {
			out[aws.ToString(in.LaunchTemplate.Version)]++
		}
	}
	return out
}

func (w *world) refreshOf(group string) types.InstanceRefresh {
	w.t.Helper()
	out, err := w.as.DescribeInstanceRefreshes(w.ctx, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(group)})
	if err != nil || len(out.InstanceRefreshes) == 0 {
		w.t.Fatalf("DescribeInstanceRefreshes %s: %+v %v", group, out, err)
	}
	return out.InstanceRefreshes[0]
}

func TestInstanceRefreshPausesAtCheckpointAndRollsBack(t *testing.T) {
	w := newWorld(t)
	lt := w.refreshGroup("canary", 4, "1")
	v2 := w.version(lt, w.image("canary-2"))
	_, err := w.as.CancelInstanceRefresh(w.ctx, &autoscaling.CancelInstanceRefreshInput{AutoScalingGroupName: aws.String("canary")})
	wantError(t, err, "ActiveInstanceRefreshNotFound", "No in progress or pending Instance Refresh found for Auto Scaling group canary")
	_, err = w.as.RollbackInstanceRefresh(w.ctx, &autoscaling.RollbackInstanceRefreshInput{AutoScalingGroupName: aws.String("canary")})
	wantError(t, err, "ActiveInstanceRefreshNotFound", "canary")

	in := &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("canary"),
		DesiredConfiguration: &types.DesiredConfiguration{LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: aws.String(lt), Version: aws.String(v2)}},
		Preferences: &types.RefreshPreferences{MinHealthyPercentage: aws.Int32(75), CheckpointPercentages: []int32{25, 100},
			CheckpointDelay: aws.Int32(600), InstanceWarmup: aws.Int32(60), SkipMatching: aws.Bool(true), AutoRollback: aws.Bool(true)}}
	started, err := w.as.StartInstanceRefresh(w.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.as.StartInstanceRefresh(w.ctx, in)
	wantError(t, err, "InstanceRefreshInProgress", "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.")
	_, err = w.as.UpdateAutoScalingGroup(w.ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("canary"),
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: aws.String(lt), Version: aws.String(v2)}})
	wantError(t, err, "ValidationError", "An active instance refresh with a desired configuration exists.")

	// The first checkpoint: one of four replaced (and warmed up), then the refresh waits.
	w.step(10*time.Second, 30, func() bool {
		return strings.Contains(aws.ToString(w.refreshOf("canary").StatusReason), "Checkpoint 25% reached")
	})
	r := w.refreshOf("canary")
	if aws.ToString(r.InstanceRefreshId) != aws.ToString(started.InstanceRefreshId) || r.Status != types.InstanceRefreshStatusInProgress ||
		aws.ToInt32(r.PercentageComplete) != 25 || aws.ToInt32(r.InstancesToUpdate) != 3 {
		t.Fatalf("at the checkpoint: %+v", r)
	}
	if got := versions(w.group("canary")); got["1"] != 3 || got[v2] != 1 {
		t.Fatalf("at the checkpoint: versions %v, want 3 on 1 and 1 on %s", got, v2)
	}
	p := r.Preferences
	if aws.ToInt32(p.MinHealthyPercentage) != 75 || aws.ToInt32(p.CheckpointDelay) != 600 || len(p.CheckpointPercentages) != 2 ||
		!aws.ToBool(p.SkipMatching) || !aws.ToBool(p.AutoRollback) || aws.ToInt32(p.InstanceWarmup) != 60 ||
		aws.ToString(r.DesiredConfiguration.LaunchTemplate.Version) != v2 {
		t.Errorf("preferences %+v desired %+v", p, r.DesiredConfiguration)
	}
	// Waiting: nothing more is replaced during CheckpointDelay.
	w.clock.Advance(9 * time.Minute)
	if got := versions(w.group("canary")); got["1"] != 3 {
		t.Fatalf("during the checkpoint delay: %v", got)
	}

	// Roll back: the new instance is replaced with version 1; the group keeps version 1.
	if _, err := w.as.RollbackInstanceRefresh(w.ctx, &autoscaling.RollbackInstanceRefreshInput{AutoScalingGroupName: aws.String("canary")}); err != nil {
		t.Fatal(err)
	}
	if r := w.refreshOf("canary"); r.Status != types.InstanceRefreshStatusRollbackInProgress || r.RollbackDetails == nil ||
		aws.ToInt32(r.RollbackDetails.PercentageCompleteOnRollback) != 25 || aws.ToInt32(r.RollbackDetails.InstancesToUpdateOnRollback) != 3 {
		t.Fatalf("after RollbackInstanceRefresh: %+v %+v", r, r.RollbackDetails)
	}
	w.step(10*time.Second, 30, func() bool { return w.refreshOf("canary").Status == types.InstanceRefreshStatusRollbackSuccessful })
	g := w.group("canary")
	if got := versions(g); got["1"] != 4 || len(got) != 1 || aws.ToString(g.LaunchTemplate.Version) != "1" {
		t.Fatalf("after the rollback: versions %v, group %+v", got, g.LaunchTemplate)
	}
	_, err = w.as.RollbackInstanceRefresh(w.ctx, &autoscaling.RollbackInstanceRefreshInput{AutoScalingGroupName: aws.String("canary")})
	wantError(t, err, "ActiveInstanceRefreshNotFound", "canary")
}

func TestInstanceRefreshLaunchesBeforeTerminatingAndSucceeds(t *testing.T) {
	w := newWorld(t)
	lt := w.refreshGroup("surge", 2, "1")
	v2 := w.version(lt, w.image("surge-2"))
	_, err := w.as.StartInstanceRefresh(w.ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("surge"),
		DesiredConfiguration: &types.DesiredConfiguration{LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: aws.String(lt), Version: aws.String(v2)}},
		Preferences:          &types.RefreshPreferences{MinHealthyPercentage: aws.Int32(100), MaxHealthyPercentage: aws.Int32(100), SkipMatching: aws.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	minInService, maxActive := 2, 0
	w.step(10*time.Second, 40, func() bool {
		g := w.group("surge")
		inService, active := 0, 0
		for _, in := range g.Instances {
			switch in.LifecycleState {
			case types.LifecycleStateInService:
				inService++
				active++
			case types.LifecycleStatePending:
				active++
			}
		}
		minInService, maxActive = min(minInService, inService), max(maxActive, active)
		return w.refreshOf("surge").Status == types.InstanceRefreshStatusSuccessful
	})
	if minInService != 2 || maxActive != 3 {
		t.Errorf("in service at least %d, active at most %d; min = max = 100%% keeps 2 in service and launches one before terminating", minInService, maxActive)
	}
	g := w.group("surge")
	if got := versions(g); got[v2] != 2 || len(got) != 1 || aws.ToString(g.LaunchTemplate.Version) != v2 {
		t.Fatalf("after the refresh: versions %v, group %+v (the group takes the desired configuration)", got, g.LaunchTemplate)
	}
	if r := w.refreshOf("surge"); aws.ToInt32(r.PercentageComplete) != 100 || aws.ToInt32(r.InstancesToUpdate) != 0 || r.EndTime == nil {
		t.Errorf("finished refresh %+v", r)
	}

	// Skip matching with everything up to date: nothing to replace.
	if _, err := w.as.StartInstanceRefresh(w.ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("surge"),
		Preferences: &types.RefreshPreferences{SkipMatching: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	w.step(time.Second, 3, func() bool { return w.refreshOf("surge").Status == types.InstanceRefreshStatusSuccessful })
	if got := versions(w.group("surge")); got[v2] != 2 {
		t.Errorf("skip matching replaced instances: %v", got)
	}

	// Cancelling keeps what was replaced: back to version 1, cancelled at the first checkpoint.
	if _, err := w.as.StartInstanceRefresh(w.ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("surge"),
		DesiredConfiguration: &types.DesiredConfiguration{LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: aws.String(lt), Version: aws.String("1")}},
		Preferences:          &types.RefreshPreferences{MinHealthyPercentage: aws.Int32(50), CheckpointPercentages: []int32{50, 100}}}); err != nil {
		t.Fatal(err)
	}
	w.step(10*time.Second, 30, func() bool {
		return strings.Contains(aws.ToString(w.refreshOf("surge").StatusReason), "Checkpoint 50% reached")
	})
	if r := w.refreshOf("surge"); aws.ToInt32(r.Preferences.CheckpointDelay) != 3600 {
		t.Errorf("default CheckpointDelay %d, want 3600", aws.ToInt32(r.Preferences.CheckpointDelay))
	}
	if _, err := w.as.CancelInstanceRefresh(w.ctx, &autoscaling.CancelInstanceRefreshInput{AutoScalingGroupName: aws.String("surge")}); err != nil {
		t.Fatal(err)
	}
	w.step(time.Second, 3, func() bool { return w.refreshOf("surge").Status == types.InstanceRefreshStatusCancelled })
	w.clock.Advance(2 * time.Hour)
	g = w.group("surge")
	if got := versions(g); got["1"] != 1 || got[v2] != 1 || aws.ToString(g.LaunchTemplate.Version) != v2 {
		t.Errorf("after cancelling: versions %v, group on %s; want one of each, the group unchanged", got, aws.ToString(g.LaunchTemplate.Version))
	}
}

func TestInstanceRefreshValidationAndIrreversible(t *testing.T) {
	w := newWorld(t)
	lt := w.refreshGroup("def", 1, "$Default")
	desired := &types.DesiredConfiguration{LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: aws.String(lt), Version: aws.String("1")}}
	for name, tc := range map[string]struct {
		in            *autoscaling.StartInstanceRefreshInput
		code, message string
	}{
		"max without min":     {&autoscaling.StartInstanceRefreshInput{Preferences: &types.RefreshPreferences{MaxHealthyPercentage: aws.Int32(150)}}, "ValidationError", "MinHealthyPercentage"},
		"max too far":         {&autoscaling.StartInstanceRefreshInput{Preferences: &types.RefreshPreferences{MinHealthyPercentage: aws.Int32(50), MaxHealthyPercentage: aws.Int32(200)}}, "ValidationError", "cannot be greater than 100"},
		"min above 100":       {&autoscaling.StartInstanceRefreshInput{Preferences: &types.RefreshPreferences{MinHealthyPercentage: aws.Int32(101)}}, "ValidationError", "minHealthyPercentage"},
		"delay without marks": {&autoscaling.StartInstanceRefreshInput{Preferences: &types.RefreshPreferences{CheckpointDelay: aws.Int32(60)}}, "ValidationError", "CheckpointPercentages"},
		"marks descending":    {&autoscaling.StartInstanceRefreshInput{Preferences: &types.RefreshPreferences{CheckpointPercentages: []int32{50, 20}}}, "ValidationError", "ascending"},
		"auto rollback, no desired configuration": {&autoscaling.StartInstanceRefreshInput{Preferences: &types.RefreshPreferences{AutoRollback: aws.Bool(true)}},
			"IrreversibleInstanceRefresh", "no desired configuration"},
		"auto rollback, group on $Default": {&autoscaling.StartInstanceRefreshInput{DesiredConfiguration: desired, Preferences: &types.RefreshPreferences{AutoRollback: aws.Bool(true)}},
			"IrreversibleInstanceRefresh", "$Default"},
		"unknown group": {&autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("nope")}, "ValidationError", "nope"},
	} {
		if tc.in.AutoScalingGroupName == nil {
			tc.in.AutoScalingGroupName = aws.String("def")
		}
		_, err := w.as.StartInstanceRefresh(w.ctx, tc.in)
		if apiCode(err) != tc.code || !strings.Contains(err.Error(), tc.message) {
			t.Errorf("%s: %v, want %s mentioning %q", name, err, tc.code, tc.message)
		}
	}
	// A group on $Default cannot roll back a refresh even with a desired configuration.
	if _, err := w.as.StartInstanceRefresh(w.ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("def"), DesiredConfiguration: desired}); err != nil {
		t.Fatal(err)
	}
	_, err := w.as.RollbackInstanceRefresh(w.ctx, &autoscaling.RollbackInstanceRefreshInput{AutoScalingGroupName: aws.String("def")})
	wantError(t, err, "IrreversibleInstanceRefresh", "$Default")

	// A group whose template version's ImageId is a Systems Manager parameter cannot either.
	ssmLT := w.template("by-param", "resolve:ssm:/winami/none")
	if _, err := w.as.CreateAutoScalingGroup(w.ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("param"),
		MinSize: aws.Int32(0), MaxSize: aws.Int32(1), AvailabilityZones: []string{"us-east-1a"},
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: aws.String(ssmLT), Version: aws.String("1")}}); err != nil {
		t.Fatal(err)
	}
	_, err = w.as.StartInstanceRefresh(w.ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("param"),
		DesiredConfiguration: desired, Preferences: &types.RefreshPreferences{AutoRollback: aws.Bool(true)}})
	wantError(t, err, "IrreversibleInstanceRefresh", "Systems Manager parameter")
}

func TestInstanceRefreshFailsAfterAnHourAndAutoRollsBack(t *testing.T) {
	for _, auto := range []bool{false, true} {
		w := newWorld(t)
		lt := w.refreshGroup("bad", 2, "1")
		bad := w.version(lt, "ami-0123456789abcdef0") // no such image: launches fail
		if _, err := w.as.StartInstanceRefresh(w.ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("bad"),
			DesiredConfiguration: &types.DesiredConfiguration{LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: aws.String(lt), Version: aws.String(bad)}},
			Preferences:          &types.RefreshPreferences{MinHealthyPercentage: aws.Int32(50), AutoRollback: aws.Bool(auto)}}); err != nil {
			t.Fatal(err)
		}
		w.step(time.Minute, 5, func() bool {
			return strings.Contains(aws.ToString(w.refreshOf("bad").StatusReason), "InvalidAMIID") || strings.Contains(aws.ToString(w.refreshOf("bad").StatusReason), "does not exist")
		})
		if r := w.refreshOf("bad"); r.Status != types.InstanceRefreshStatusInProgress {
			t.Fatalf("before an hour: %+v", r)
		}
		want := types.InstanceRefreshStatusFailed
		if auto {
			want = types.InstanceRefreshStatusRollbackSuccessful
		}
		w.step(5*time.Minute, 16, func() bool { return w.refreshOf("bad").Status == want })
		// The group keeps its configuration (it takes the desired one only when a refresh
		// succeeds) and launches it again: back to two on version 1.
		w.step(10*time.Second, 10, func() bool { return versions(w.group("bad"))["1"] == 2 })
		if g := w.group("bad"); aws.ToString(g.LaunchTemplate.Version) != "1" {
			t.Errorf("after the failed refresh the group is on %s", aws.ToString(g.LaunchTemplate.Version))
		}
		if r := w.refreshOf("bad"); !strings.Contains(aws.ToString(r.StatusReason), "hour") && !auto {
			t.Errorf("status reason %q", aws.ToString(r.StatusReason))
		}
	}
}

func TestRollbackRightAfterStart(t *testing.T) {
	w := newWorld(t)
	lt := w.refreshGroup("early", 2, "1")
	v2 := w.version(lt, w.image("early-2"))
	if _, err := w.as.StartInstanceRefresh(w.ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("early"),
		DesiredConfiguration: &types.DesiredConfiguration{LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: aws.String(lt), Version: aws.String(v2)}}}); err != nil {
		t.Fatal(err)
	}
	// Rolled back at once (the request's tick has just started it): nothing was replaced yet.
	if _, err := w.as.RollbackInstanceRefresh(w.ctx, &autoscaling.RollbackInstanceRefreshInput{AutoScalingGroupName: aws.String("early")}); err != nil {
		t.Fatal(err)
	}
	r := w.refreshOf("early")
	if r.RollbackDetails == nil || aws.ToInt32(r.RollbackDetails.PercentageCompleteOnRollback) != 0 {
		t.Fatalf("rollback details %+v", r.RollbackDetails)
	}
	w.step(10*time.Second, 10, func() bool { return w.refreshOf("early").Status == types.InstanceRefreshStatusRollbackSuccessful })
	w.step(10*time.Second, 10, func() bool { return versions(w.group("early"))["1"] == 2 })
	if got := versions(w.group("early")); got["1"] != 2 || len(got) != 1 {
		t.Errorf("versions %v", got)
	}
}
