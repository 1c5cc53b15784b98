package rollout_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/rollout"
)

// The canary's checkpoint ends as soon as the canary passes its gate: the gate timeout is
// a limit, not a bake time. These tests step the emulator's clock; what they assert is
// the sequence of instance refreshes and the emulator's time, never wall time.

// instancesOn lists the group's live instances that run ami.
func (w *world) instancesOn(name, ami string) []string {
	w.t.Helper()
	var ids []string
	for _, i := range w.describeGroup(name).Instances {
		if i.LifecycleState != astypes.LifecycleStateInService && i.LifecycleState != astypes.LifecycleStatePending {
			continue
		}
		out, err := w.ec2.DescribeInstances(w.ctx(), &ec2.DescribeInstancesInput{InstanceIds: []string{aws.ToString(i.InstanceId)}})
		if err != nil {
			w.t.Fatal(err)
		}
		if len(out.Reservations) == 1 && aws.ToString(out.Reservations[0].Instances[0].ImageId) == ami {
			ids = append(ids, aws.ToString(i.InstanceId))
		}
	}
	slices.Sort(ids)
	return ids
}

func desiredVersion(ir astypes.InstanceRefresh) string {
	if ir.DesiredConfiguration == nil || ir.DesiredConfiguration.LaunchTemplate == nil {
		return ""
	}
	return aws.ToString(ir.DesiredConfiguration.LaunchTemplate.Version)
}

// A group on a version number: the canary's refresh (desired configuration version 2,
// checkpoint at 25%) is cancelled once the canary passes, and a second refresh toward the
// same desired configuration, without checkpoints and skipping matching instances, moves
// the rest; the canary's instance is kept, the group ends on version 2 (written by the
// second refresh), long before the checkpoint's delay would have passed.
func TestRunNumberedGroupCanaryEndsCheckpointEarly(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "1", 4)
	var canary []string
	w.onStep = func() {
		if canary == nil {
			if on := w.instancesOn("win-asg", w.ami2); len(on) > 0 {
				canary = on
			}
		}
	}
	var lines []string
	opts := w.options(w.withKube(), &lines)
	res := g.runEndingCheckpointEarly(opts)
	irs := w.refreshes("win-asg") // newest first
	if len(irs) != 2 {
		t.Fatalf("%d instance refreshes, want 2 (the canary's, cancelled at its checkpoint, then the rest)", len(irs))
	}
	first, second := irs[1], irs[0]
	if first.Status != astypes.InstanceRefreshStatusCancelled || desiredVersion(first) != "2" ||
		first.Preferences == nil || !slices.Equal(first.Preferences.CheckpointPercentages, []int32{25, 100}) {
		t.Errorf("first refresh %s, desired version %q, preferences %+v: want Cancelled, 2, checkpoints [25 100]", first.Status, desiredVersion(first), first.Preferences)
	}
	if second.Status != astypes.InstanceRefreshStatusSuccessful || desiredVersion(second) != "2" || second.Preferences == nil ||
		len(second.Preferences.CheckpointPercentages) != 0 || !aws.ToBool(second.Preferences.SkipMatching) || aws.ToInt32(second.Preferences.MinHealthyPercentage) != 75 {
		t.Errorf("second refresh %s, desired version %q, preferences %+v: want Successful, 2, no checkpoints, skip matching, min healthy 75",
			second.Status, desiredVersion(second), second.Preferences)
	}
	if v := aws.ToString(w.describeGroup("win-asg").LaunchTemplate.Version); v != "2" {
		t.Errorf("group version = %s, want 2 (the second refresh's desired configuration)", v)
	}
	on := w.instancesOn("win-asg", w.ami2)
	if len(on) != 4 || len(canary) != 1 || !slices.Contains(on, canary[0]) {
		t.Errorf("instances on %s = %v, canary %v: want 4, the canary's kept (skipped as matching)", w.ami2, on, canary)
	}
	if tr := res.Targets[0]; tr.State != rollout.StateMoved || tr.InstanceRefreshID != aws.ToString(second.InstanceRefreshId) || tr.LaunchTemplateVersion != 2 {
		t.Errorf("target result = %+v, want moved, the second refresh, version 2", tr)
	}
	if !hasLine(lines, "the canary passed the gate: ending the checkpoint early (CancelInstanceRefresh, then a refresh of the rest, skipping matching instances)") {
		t.Errorf("progress does not say the checkpoint ends early:\n%s", strings.Join(lines, "\n"))
	}
}

// A gate failing after the checkpoint ended early (the group's gate: new nodes turn
// NotReady once the second refresh started) still rolls back fully: every instance, the
// canary's included, back on ami1, the group's version (numbered) or the template's default
// ($Default) back to 1, the parameter back.
func TestRunRollsBackWhenGateFailsAfterCheckpointEndedEarly(t *testing.T) {
	for _, version := range []string{"1", "$Default"} {
		t.Run(version, func(t *testing.T) {
			w := newWorld(t)
			g := w.winGroup(w.ami1, version, 4)
			w.onStep = func() {
				if len(w.refreshes("win-asg")) == 2 {
					w.failAMI = w.ami2
				}
			}
			var lines []string
			res, err := g.run(w.ctx(), rollout.Canary{Count: 1}, w.options(w.withKube(), &lines))
			w.onStep = nil
			if !errors.Is(err, rollout.ErrGate) || !strings.Contains(res.Gate, "the group") {
				t.Fatalf("Run error = %v, gate %q: want the group's gate failed", err, res.Gate)
			}
			if !hasLine(lines, "gate (the canary) passed") || !hasLine(lines, "ending the checkpoint early") {
				t.Fatalf("the canary did not pass and end its checkpoint first:\n%s", strings.Join(lines, "\n"))
			}
			if got := w.amis("win-asg"); got[w.ami1] != 4 || len(got) != 1 {
				t.Errorf("instances by AMI after the rollback = %v, want 4 on %s", got, w.ami1)
			}
			if v := aws.ToString(w.describeGroup("win-asg").LaunchTemplate.Version); v != version {
				t.Errorf("group version = %s, want %s again", v, version)
			}
			if d := w.defaultVersion(g.lt); d != 1 {
				t.Errorf("default version = %d, want 1", d)
			}
			if w.parameter() != w.ami1 || res.Targets[0].State != rollout.StateRolledBack {
				t.Errorf("parameter %s, state %s: want %s, rolled back", w.parameter(), res.Targets[0].State, w.ami1)
			}
		})
	}
}

// Ctrl-C (answered "roll back") during the refresh of the rest: the refresh rolled back is
// the second one (RollbackInstanceRefresh: it carries the desired configuration), and
// every instance, the canary's included, ends on ami1 with the group on version 1.
func TestRunInterruptedAfterCheckpointEndedEarlyRollsBackSecondRefresh(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "1", 4)
	var lines []string
	opts := w.options(rollout.Kube{}, &lines)
	opts.Interrupted = func() bool { return true }
	res, err := g.interrupt(rollout.Canary{Count: 1}, opts, func() bool {
		irs := w.refreshes("win-asg")
		return len(irs) == 2 && irs[0].Status == astypes.InstanceRefreshStatusInProgress
	})
	if !errors.Is(err, rollout.ErrInterrupted) {
		t.Fatalf("Run error = %v, want ErrInterrupted", err)
	}
	irs := w.refreshes("win-asg")
	if len(irs) < 2 {
		t.Fatalf("%d refreshes", len(irs))
	}
	second := irs[len(irs)-2]
	if second.Status != astypes.InstanceRefreshStatusRollbackSuccessful || irs[len(irs)-1].Status != astypes.InstanceRefreshStatusCancelled {
		t.Errorf("refreshes %s then %s, want Cancelled then RollbackSuccessful", irs[len(irs)-1].Status, second.Status)
	}
	want := "RollbackInstanceRefresh of instance refresh " + aws.ToString(second.InstanceRefreshId)
	if !slices.ContainsFunc(res.RolledBack, func(l string) bool { return strings.Contains(l, want) }) {
		t.Errorf("RolledBack = %q, want %q", res.RolledBack, want)
	}
	if got := w.amis("win-asg"); got[w.ami1] != 4 || len(got) != 1 {
		t.Errorf("instances by AMI = %v, want 4 on %s", got, w.ami1)
	}
	if v := aws.ToString(w.describeGroup("win-asg").LaunchTemplate.Version); v != "1" {
		t.Errorf("group version = %s, want 1", v)
	}
}

// A re-run after the run died during the refresh of the rest follows that refresh (the
// one the restart started, toward the same version) instead of starting another, and
// reports its id.
func TestRunResumesRefreshStartedAfterCanary(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "1", 4)
	var lines []string
	opts := w.options(rollout.Kube{}, &lines)
	opts.NoRollback = true
	// The run dies once the refresh of the rest started.
	if _, err := g.interrupt(rollout.Canary{Count: 1}, opts, func() bool { return len(w.refreshes("win-asg")) == 2 }); !errors.Is(err, rollout.ErrInterrupted) {
		t.Fatalf("first Run error = %v, want ErrInterrupted", err)
	}
	irs := w.refreshes("win-asg")
	if len(irs) != 2 || !slices.Contains([]astypes.InstanceRefreshStatus{astypes.InstanceRefreshStatusPending, astypes.InstanceRefreshStatusInProgress}, irs[0].Status) {
		t.Fatalf("after the first run: %d refreshes, newest %s: want the second in progress", len(irs), irs[0].Status)
	}
	id := aws.ToString(irs[0].InstanceRefreshId)

	lines = nil
	res, err := g.run(w.ctx(), rollout.Canary{Count: 1}, w.options(rollout.Kube{}, &lines))
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if !hasLine(lines, "following instance refresh "+id) {
		t.Errorf("progress does not follow %s:\n%s", id, strings.Join(lines, "\n"))
	}
	if irs := w.refreshes("win-asg"); len(irs) != 2 || irs[0].Status != astypes.InstanceRefreshStatusSuccessful {
		t.Errorf("%d refreshes, newest %s: want the second followed to Successful, none started", len(irs), irs[0].Status)
	}
	if tr := res.Targets[0]; tr.InstanceRefreshID != id || tr.LaunchTemplateVersion != 2 || tr.State != rollout.StateMoved {
		t.Errorf("target result = %+v, want refresh %s, version 2, moved", tr, id)
	}
	if got := w.amis("win-asg"); got[w.ami2] != 4 || len(got) != 1 {
		t.Errorf("instances by AMI = %v", got)
	}
	if v := aws.ToString(w.describeGroup("win-asg").LaunchTemplate.Version); v != "2" {
		t.Errorf("group version = %s, want 2", v)
	}
}

// A template whose ImageId is resolve:ssm: keeps one refresh that waits its checkpoint out
// (a refresh of the rest cannot skip matching instances there, it would replace the
// canary again), and says so.
func TestRunParameterTemplateCanaryWaitsOutCheckpoint(t *testing.T) {
	w := newWorld(t)
	w.publish(w.ami1)
	g := w.winGroup("resolve:ssm:"+param, "$Default", 4)
	w.publish(w.ami2)
	p := g.plan(rollout.Canary{Count: 1})
	p.Targets[0].Follows = param
	p.Targets[0].LaunchTemplate.ImageRef = "resolve:ssm:" + param
	var lines []string
	opts := w.options(rollout.Kube{}, &lines)
	start := w.clock.Now()
	if _, err := rollout.Run(w.ctx(), p, opts); err != nil {
		t.Fatalf("Run: %v", err)
	}
	irs := w.refreshes("win-asg")
	if len(irs) != 1 || irs[0].Status != astypes.InstanceRefreshStatusSuccessful || aws.ToBool(irs[0].Preferences.SkipMatching) {
		t.Fatalf("refreshes = %+v, want one, Successful, without skip matching", irs)
	}
	// The checkpoint is the gate's time, three polls and a minute: 10m + 45s + 1m.
	if took, delay := w.clock.Now().Sub(start), opts.GateTimeout+3*poll+time.Minute; took < delay {
		t.Errorf("the move took %s, less than the checkpoint's delay %s", took, delay)
	}
	if !hasLine(lines, "goes on after its checkpoint's delay (705s): its launch template resolves an SSM parameter") {
		t.Errorf("progress does not say why the checkpoint is waited out:\n%s", strings.Join(lines, "\n"))
	}
}

// A run that died between CancelInstanceRefresh at the canary's checkpoint and the refresh
// of the rest leaves a $Default group whose default version rollout made, and no refresh
// under way. A re-run refreshes again; when its canary's gate fails, the rollback still
// knows where the group came from: the default version back to 1, every instance on ami1.
func TestRunRerunAfterCancelledCheckpointRollsBackToVersionBefore(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "$Default", 4)
	var lines []string
	opts := w.options(rollout.Kube{}, &lines)
	opts.NoRollback = true
	// The run dies at the canary's checkpoint.
	if _, err := g.interrupt(rollout.Canary{Count: 1}, opts, func() bool { return w.amis("win-asg")[w.ami2] >= 1 }); !errors.Is(err, rollout.ErrInterrupted) {
		t.Fatalf("first Run error = %v, want ErrInterrupted", err)
	}
	// What endCheckpoint had done when the run died: the refresh cancelled.
	if _, err := w.as.CancelInstanceRefresh(w.ctx(), &autoscaling.CancelInstanceRefreshInput{AutoScalingGroupName: aws.String("win-asg")}); err != nil {
		t.Fatal(err)
	}
	for i := 0; w.refreshes("win-asg")[0].Status != astypes.InstanceRefreshStatusCancelled; i++ {
		if i > 10 {
			t.Fatal("the refresh never became Cancelled")
		}
		w.clock.Advance(poll)
	}
	if w.defaultVersion(g.lt) != 2 {
		t.Fatalf("default version %d, want 2 (made by the first run)", w.defaultVersion(g.lt))
	}

	w.failAMI = w.ami2
	lines = nil
	res, err := g.run(w.ctx(), rollout.Canary{Count: 1}, w.options(w.withKube(), &lines))
	if !errors.Is(err, rollout.ErrGate) {
		t.Fatalf("second Run error = %v, want ErrGate", err)
	}
	if d := w.defaultVersion(g.lt); d != 1 {
		t.Errorf("default version = %d, want 1 again (the version before the first run)", d)
	}
	if got := w.amis("win-asg"); got[w.ami1] != 4 || len(got) != 1 {
		t.Errorf("instances by AMI = %v, want 4 on %s", got, w.ami1)
	}
	if res.Targets[0].State != rollout.StateRolledBack {
		t.Errorf("state = %s, want rolled back; rolled back: %q", res.Targets[0].State, res.RolledBack)
	}
}

// The endpoint's clock may run faster than rollout's (the sandbox's --time-scale): the
// canary's checkpoint must still hold the rest of the group back until the gate decides,
// so a canary whose gate fails leaves only the canary on the new AMI. With a checkpoint
// as long as the gate (the emulator's 20 gate-lengths pass during it), the refresh would
// go on past the canary.
func TestRunCanaryCheckpointOutlastsGateOnFasterEndpointClock(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "$Default", 4)
	w.failAMI, w.watch = w.ami2, "win-asg"
	var lines []string
	o := w.options(w.withKube(), &lines)
	mine := awsemu.NewManualClock(w.clock.Now())
	o.Now = mine.Now
	o.Sleep = func(ctx context.Context, d time.Duration) error {
		mine.Advance(d)
		w.clock.Advance(19 * d) // w.sleep adds the 20th
		return w.sleep(ctx, d)
	}
	_, err := g.run(w.ctx(), rollout.Canary{Count: 1}, o)
	if !errors.Is(err, rollout.ErrGate) {
		t.Fatalf("Run error = %v, want ErrGate", err)
	}
	if w.maxOn[w.ami2] > 1 {
		t.Errorf("%d instances ran %s at once while the canary's gate ran; the canary is 1", w.maxOn[w.ami2], w.ami2)
	}
	if got := w.amis("win-asg"); got[w.ami1] != 4 || len(got) != 1 {
		t.Errorf("instances by AMI after the rollback = %v, want 4 on %s", got, w.ami1)
	}
	refreshes := w.refreshes("win-asg")
	first := refreshes[len(refreshes)-1] // newest first
	if got := aws.ToInt32(first.Preferences.CheckpointDelay); got != 172800 {
		t.Errorf("the canary's CheckpointDelay = %d s, want 172800 (the longest AWS allows)", got)
	}
}
