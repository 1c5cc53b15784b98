package rollout

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsapi"
)

// How a self-managed Auto Scaling group moves (Amazon EC2 Auto Scaling User Guide and API
// reference):
//   - The instance refresh replaces instances in batches that keep MinHealthyPercentage of
//     the desired capacity in service: 100 − --max-unavailable.
//     https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html
//   - A group that names a version number gets the new version as the refresh's
//     DesiredConfiguration, and no UpdateAutoScalingGroup: "Once the instance refresh
//     succeeds, Amazon EC2 Auto Scaling updates the settings of the Auto Scaling group to
//     reflect the new desired configuration", and RollbackInstanceRefresh "restores your
//     Auto Scaling group to the configuration that it was using before the start of the
//     instance refresh" — which it can only do when the refresh has a desired configuration
//     and the group names neither $Latest nor $Default nor an SSM parameter.
//     https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_StartInstanceRefresh.html
//     https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RollbackInstanceRefresh.html
//     https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-rollback.html
//   - A $Default group: ModifyLaunchTemplate's default version, then a refresh without a
//     desired configuration: with SkipMatching, "Amazon EC2 Auto Scaling checks to see if any
//     instances match the configuration that you last saved on the Auto Scaling group" and
//     replaces the others. A $Latest group launches the new version as soon as it exists.
//   - A template whose ImageId is resolve:ssm: gets no new version (the parameter moved at
//     build time), and its refresh skips no instance: "If you enable skip matching, but none
//     of these are changing, the instance refresh will succeed immediately without replacing
//     any instances."
//     https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-instance-refresh-skip-matching.html
//   - The canary is a checkpoint: "These checkpoints indicate the minimum percentage of
//     instances in the Auto Scaling group that must be new instances before the checkpoint
//     is considered reached", the last one 100; the refresh waits CheckpointDelay seconds
//     there (at most 172800), while rollout runs the gate.
//     https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-adding-checkpoints-instance-refresh.html
//   - The gate timeout is a limit, not a bake time, and Auto Scaling has no call that ends
//     a checkpoint's pause early. So when the canary passes its gate while the refresh
//     waits at the checkpoint, rollout cancels it — "Canceling an instance refresh does not
//     roll back any instances that were already replaced" — and starts a refresh of the
//     rest toward the same configuration (the same DesiredConfiguration for a group on a
//     version number: the group still takes it on success, and RollbackInstanceRefresh of
//     that refresh restores the configuration the group had before it, which a cancelled
//     refresh never changed) with no checkpoints and SkipMatching, which "skips replacing
//     instances that match the desired configuration" (without one, "the same launch
//     template and instance types that the Auto Scaling group was using before the start
//     of the instance refresh"): the canary's instances already match.
//     https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CancelInstanceRefresh.html
//     https://docs.aws.amazon.com/autoscaling/ec2/userguide/cancel-instance-refresh.html
//     https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html
//     https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-instance-refresh-skip-matching.html
//     A template whose ImageId is resolve:ssm: cannot skip matching instances (see above):
//     a second refresh would replace the canary again, so its canary waits the checkpoint
//     out, and rollout says so.

// maxCheckpointDelay is CheckpointDelay's upper bound, in seconds (RefreshPreferences).
const maxCheckpointDelay = 172800

// checkpointSlack is what a resolve:ssm: template's checkpoint adds to the gate's time and
// its polls, for the rollback's requests to reach Auto Scaling before the refresh goes on.
const checkpointSlack = time.Minute

// Instance refresh statuses (DescribeInstanceRefreshes).
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceRefresh.html
func refreshActive(s astypes.InstanceRefreshStatus) bool {
	switch s {
	case astypes.InstanceRefreshStatusPending, astypes.InstanceRefreshStatusInProgress,
		astypes.InstanceRefreshStatusBaking, astypes.InstanceRefreshStatusCancelling,
		astypes.InstanceRefreshStatusRollbackInProgress:
		return true
	}
	return false
}

// groupTemplate is the launch template a group launches from: its own, or its mixed
// instances policy's.
func groupTemplate(g astypes.AutoScalingGroup) (id, version string, ok bool) {
	spec := g.LaunchTemplate
	if spec == nil && g.MixedInstancesPolicy != nil && g.MixedInstancesPolicy.LaunchTemplate != nil {
		spec = g.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification
	}
	if spec == nil || aws.ToString(spec.LaunchTemplateId) == "" {
		return "", "", false
	}
	return aws.ToString(spec.LaunchTemplateId), aws.ToString(spec.Version), true
}

func describeGroup(ctx context.Context, c awsapi.AutoScaling, name string) (astypes.AutoScalingGroup, error) {
	out, err := c.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		return astypes.AutoScalingGroup{}, fmt.Errorf("describing Auto Scaling group %s: %w", name, err)
	}
	if len(out.AutoScalingGroups) != 1 {
		return astypes.AutoScalingGroup{}, fmt.Errorf("describing Auto Scaling group %s: not found", name)
	}
	return out.AutoScalingGroups[0], nil
}

// activeRefresh returns the group's instance refresh that is not over yet (at most one
// is: StartInstanceRefresh refuses a second with InstanceRefreshInProgress), nil when none.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_StartInstanceRefresh.html
func activeRefresh(ctx context.Context, c awsapi.AutoScaling, group string) (*astypes.InstanceRefresh, error) {
	in := &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(group)}
	for {
		out, err := c.DescribeInstanceRefreshes(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describing the instance refreshes of %s: %w", group, err)
		}
		for i := range out.InstanceRefreshes {
			if refreshActive(out.InstanceRefreshes[i].Status) {
				return &out.InstanceRefreshes[i], nil
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return nil, nil
		}
		in.NextToken = out.NextToken
	}
}

func describeRefresh(ctx context.Context, c awsapi.AutoScaling, group, id string) (astypes.InstanceRefresh, error) {
	out, err := c.DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(group), InstanceRefreshIds: []string{id}})
	if err != nil {
		return astypes.InstanceRefresh{}, fmt.Errorf("describing instance refresh %s of %s: %w", id, group, err)
	}
	if len(out.InstanceRefreshes) != 1 {
		return astypes.InstanceRefresh{}, fmt.Errorf("describing instance refresh %s of %s: not found", id, group)
	}
	return out.InstanceRefreshes[0], nil
}

// groupName is the Auto Scaling group of a self-managed group target.
func groupName(t *Target) string {
	if len(t.AutoScalingGroups) > 0 {
		return t.AutoScalingGroups[0]
	}
	return t.Name
}

// moveGroup moves a self-managed Auto Scaling group: a new launch template version, the
// group pointed at it, an instance refresh (the canary as its first checkpoint), followed
// to the end, with the gates.
func (r *runner) moveGroup(ctx context.Context, m *move) error {
	t := m.t
	as, ec := r.o.AWS.AutoScaling(t.Region), r.o.AWS.EC2(t.Region)
	name := groupName(t)
	g, err := describeGroup(ctx, as, name)
	if err != nil {
		return err
	}
	id, spec, ok := groupTemplate(g)
	if !ok {
		return fmt.Errorf("group %s launches from no launch template (rollout moves launch template groups)", name)
	}
	m.templateID, m.groupVersion = id, spec
	cur, err := readVersion(ctx, ec, id, spec)
	if err != nil {
		return err
	}
	m.prevVersion, m.prevImage = cur.Number, cur.ImageRef
	m.followsSSM = strings.HasPrefix(cur.ImageRef, resolveSSMPrefix)
	if m.tr.Total == 0 {
		m.tr.Total = int(aws.ToInt32(g.DesiredCapacity))
	}

	// Resume: a refresh already under way is followed when it moves the group to m.to.
	last, err := activeRefresh(ctx, as, name)
	if err != nil {
		return err
	}
	if last != nil {
		toward, err := r.refreshTarget(ctx, t.Region, *last, cur)
		if err != nil {
			return err
		}
		if toward != m.to || last.Status == astypes.InstanceRefreshStatusCancelling || last.Status == astypes.InstanceRefreshStatusRollbackInProgress {
			return fmt.Errorf("instance refresh %s is %s on %s (toward %s, not %s): wait for it to end or cancel it (aws autoscaling cancel-instance-refresh)",
				aws.ToString(last.InstanceRefreshId), last.Status, name, orUnknown(toward), m.to)
		}
		m.refreshID = aws.ToString(last.InstanceRefreshId)
		m.desired = last.DesiredConfiguration != nil
		if m.desired && last.DesiredConfiguration.LaunchTemplate != nil {
			if n, err := strconv.ParseInt(aws.ToString(last.DesiredConfiguration.LaunchTemplate.Version), 10, 64); err == nil {
				m.newVersion = n
			}
		} else if err := r.adoptVersion(ctx, m, cur); err != nil {
			return err
		}
		m.tr.LaunchTemplateVersion = m.newVersion
		m.tr.InstanceRefreshID = m.refreshID
		r.o.Progress("%s: following instance refresh %s already %s toward %s", label(t), m.refreshID, last.Status, m.to)
		return r.followRefresh(ctx, m)
	}

	var desired *astypes.DesiredConfiguration
	switch {
	case cur.ImageRef == m.to:
		// A $Default or $Latest group whose version a previous run made, with no refresh
		// under way (that run died after it pointed the template at it, or after it
		// cancelled the refresh at the canary's checkpoint and before the refresh of the
		// rest): refreshed again; the rollback goes back to what that version was made from.
		if err := r.adoptVersion(ctx, m, cur); err != nil {
			return err
		}
	case m.followsSSM:
		param := ssmName(cur.ImageRef)
		v, err := parameterValue(ctx, r.o.AWS.SSM(t.Region), param)
		if err != nil {
			return err
		}
		if v != m.to {
			return fmt.Errorf("launch template %s follows parameter %s, which names %s, not %s: publish %s to it first (winami build publishes it) or roll out the parameter's AMI",
				id, param, v, m.to, m.to)
		}
	case cur.ImageRef != m.to:
		n, created, err := newVersion(ctx, ec, id, cur.Number, m.to, r.p.Spec, spec == "$Latest")
		if err != nil {
			return err
		}
		m.newVersion, m.tr.LaunchTemplateVersion = n, n
		m.changed = true
		if created {
			r.o.Progress("%s: launch template %s version %d: version %d with ImageId %s", label(t), id, n, cur.Number, m.to)
		}
		switch spec {
		case "$Default", "":
			def, err := defaultVersion(ctx, ec, id)
			if err != nil {
				return err
			}
			if def != n {
				if err := setDefault(ctx, ec, id, n); err != nil {
					return err
				}
				m.prevDefault = def
				r.o.Progress("%s: launch template %s default version %d → %d", label(t), id, def, n)
			}
		case "$Latest":
		default:
			desired = desiredConfiguration(g, id, n)
		}
	}

	prefs := r.refreshPreferences(m)
	if m.canary > 0 && m.canary < m.tr.Total {
		pct := checkpointPercent(r.p.Canary, m.canary, m.tr.Total)
		// The checkpoint holds the rest of the group back until the gate decides. When the
		// canary's gate ends the checkpoint itself (cancel, then a refresh of the rest), the
		// pause is the longest AWS allows: if rollout dies during the gate, or the
		// endpoint's clock runs faster than rollout's (the sandbox's --time-scale), the
		// refresh still waits at the canary instead of going on ungated; a re-run resumes
		// and gates it. A resolve:ssm: template waits its checkpoint out (it cannot be
		// restarted with skip matching), so its pause is the gate's time and a margin: the
		// gate starts up to a poll after the canary is in service and ends up to a poll
		// after its deadline, and rollout needs a poll and the request to roll back before
		// the refresh goes on.
		delay := int32(maxCheckpointDelay)
		if m.followsSSM {
			delay = int32(min(maxCheckpointDelay, (r.o.GateTimeout + 3*r.o.Poll + checkpointSlack).Seconds()))
		}
		prefs.CheckpointPercentages = []int32{int32(pct), 100}
		prefs.CheckpointDelay = aws.Int32(delay)
	}
	m.changed = true
	out, err := as.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{
		AutoScalingGroupName: aws.String(name),
		Strategy:             astypes.RefreshStrategyRolling,
		DesiredConfiguration: desired,
		Preferences:          prefs,
	})
	if err != nil {
		return fmt.Errorf("starting an instance refresh of %s: %w", name, err)
	}
	m.refreshID, m.desired = aws.ToString(out.InstanceRefreshId), desired != nil
	m.tr.InstanceRefreshID = m.refreshID
	r.o.Progress("%s: instance refresh %s started (min healthy %d%%%s)", label(t), m.refreshID, 100-r.p.MaxUnavailablePercent, checkpointNote(prefs))
	return r.followRefresh(ctx, m)
}

// adoptVersion records, for a group that already launches a version a previous run made
// (its description says from which), that version as the move's and the one it was made
// from as what a rollback goes back to (the default version, for a $Default group).
func (r *runner) adoptVersion(ctx context.Context, m *move, cur templateVersion) error {
	src, ok := cur.createdFrom()
	if !ok {
		return nil
	}
	prev, err := readVersion(ctx, r.o.AWS.EC2(m.t.Region), m.templateID, strconv.FormatInt(src, 10))
	if err != nil {
		return err
	}
	m.newVersion, m.prevVersion, m.prevImage = cur.Number, prev.Number, prev.ImageRef
	m.tr.LaunchTemplateVersion = cur.Number
	if m.groupVersion == "$Default" || m.groupVersion == "" {
		m.prevDefault = prev.Number
	}
	return nil
}

// refreshPreferences are the preferences of the move's refresh, before checkpoints:
// MinHealthyPercentage keeps 100 − max-unavailable of the desired capacity in service;
// skip matching unless the template resolves an SSM parameter.
func (r *runner) refreshPreferences(m *move) *astypes.RefreshPreferences {
	return &astypes.RefreshPreferences{
		MinHealthyPercentage: aws.Int32(int32(100 - r.p.MaxUnavailablePercent)),
		SkipMatching:         aws.Bool(!m.followsSSM),
	}
}

// canaryCheckpoint tells whether the refresh still has a checkpoint before 100% ahead of
// it: the canary's, where it pauses CheckpointDelay seconds once the canary is replaced.
func canaryCheckpoint(ir astypes.InstanceRefresh) bool {
	if ir.Status != astypes.InstanceRefreshStatusInProgress && ir.Status != astypes.InstanceRefreshStatusPending {
		return false
	}
	if ir.Preferences == nil {
		return false
	}
	return slices.ContainsFunc(ir.Preferences.CheckpointPercentages, func(p int32) bool { return p < 100 })
}

// endCheckpoint ends the canary's checkpoint early once the canary passed its gate:
// CancelInstanceRefresh (the canary's replacements stay), followed to Cancelled, then a
// refresh of the rest toward the same configuration, without checkpoints and with skip
// matching, which m follows from then on (its id is what a rollback and a re-run follow).
// When the refresh ended otherwise meanwhile (it cannot be cancelled any more), it is left
// to the caller to follow.
func (r *runner) endCheckpoint(ctx context.Context, m *move) error {
	t := m.t
	as := r.o.AWS.AutoScaling(t.Region)
	name := groupName(t)
	first := m.refreshID
	r.o.Progress("%s: the canary passed the gate: ending the checkpoint early (CancelInstanceRefresh, then a refresh of the rest, skipping matching instances)", label(t))
	if _, err := as.CancelInstanceRefresh(ctx, &autoscaling.CancelInstanceRefreshInput{AutoScalingGroupName: aws.String(name)}); err != nil {
		if ir, derr := describeRefresh(ctx, as, name, first); derr == nil && !refreshActive(ir.Status) {
			r.o.Progress("%s: instance refresh %s is already %s", label(t), first, ir.Status)
			return nil
		}
		return fmt.Errorf("cancelling instance refresh %s of %s at the canary's checkpoint: %w", first, name, err)
	}
	for {
		ir, err := describeRefresh(ctx, as, name, first)
		if err != nil {
			return err
		}
		if !refreshActive(ir.Status) {
			if ir.Status != astypes.InstanceRefreshStatusCancelled {
				r.o.Progress("%s: instance refresh %s ended %s before it was cancelled", label(t), first, ir.Status)
				return nil
			}
			break
		}
		if err := r.sleep(ctx); err != nil {
			return err
		}
	}
	var desired *astypes.DesiredConfiguration
	if m.desired {
		g, err := describeGroup(ctx, as, name)
		if err != nil {
			return err
		}
		desired = desiredConfiguration(g, m.templateID, m.newVersion)
	}
	prefs := r.refreshPreferences(m)
	out, err := as.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{
		AutoScalingGroupName: aws.String(name),
		Strategy:             astypes.RefreshStrategyRolling,
		DesiredConfiguration: desired,
		Preferences:          prefs,
	})
	if err != nil {
		return fmt.Errorf("starting an instance refresh of the rest of %s after the canary (instance refresh %s cancelled at its checkpoint): %w", name, first, err)
	}
	m.refreshID = aws.ToString(out.InstanceRefreshId)
	m.tr.InstanceRefreshID = m.refreshID
	r.o.Progress("%s: instance refresh %s Cancelled at the canary's checkpoint; instance refresh %s started for the rest (min healthy %d%%, skipping the instances that already run %s)",
		label(t), first, m.refreshID, aws.ToInt32(prefs.MinHealthyPercentage), m.to)
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown AMI"
	}
	return s
}

func checkpointNote(p *astypes.RefreshPreferences) string {
	if len(p.CheckpointPercentages) == 0 {
		return ""
	}
	return fmt.Sprintf(", checkpoint at %d%% for %ds", p.CheckpointPercentages[0], aws.ToInt32(p.CheckpointDelay))
}

// checkpointPercent is the canary's checkpoint: --canary P% as is; --canary N as the
// largest whole percentage that N new instances reach (at least 1).
func checkpointPercent(c Canary, n, total int) int {
	if c.Percent > 0 {
		return min(100, c.Percent)
	}
	return max(1, n*100/total)
}

// desiredConfiguration is the group's launch template (or mixed instances policy) with
// version n.
func desiredConfiguration(g astypes.AutoScalingGroup, id string, n int64) *astypes.DesiredConfiguration {
	spec := &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(id), Version: aws.String(strconv.FormatInt(n, 10))}
	if g.LaunchTemplate == nil && g.MixedInstancesPolicy != nil && g.MixedInstancesPolicy.LaunchTemplate != nil {
		mip := *g.MixedInstancesPolicy
		lt := *mip.LaunchTemplate
		lt.LaunchTemplateSpecification = spec
		mip.LaunchTemplate = &lt
		return &astypes.DesiredConfiguration{MixedInstancesPolicy: &mip}
	}
	return &astypes.DesiredConfiguration{LaunchTemplate: spec}
}

// refreshTarget is the AMI an instance refresh moves the group to: its desired
// configuration's launch template version's, else the group's own (cur).
func (r *runner) refreshTarget(ctx context.Context, region string, ir astypes.InstanceRefresh, cur templateVersion) (string, error) {
	ec := r.o.AWS.EC2(region)
	ref := cur.ImageRef
	if dc := ir.DesiredConfiguration; dc != nil {
		spec := dc.LaunchTemplate
		if spec == nil && dc.MixedInstancesPolicy != nil && dc.MixedInstancesPolicy.LaunchTemplate != nil {
			spec = dc.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification
		}
		if spec != nil && aws.ToString(spec.LaunchTemplateId) != "" {
			v, err := readVersion(ctx, ec, aws.ToString(spec.LaunchTemplateId), aws.ToString(spec.Version))
			if err != nil {
				return "", err
			}
			ref = v.ImageRef
		}
	}
	if strings.HasPrefix(ref, resolveSSMPrefix) {
		return parameterValue(ctx, r.o.AWS.SSM(region), ssmName(ref))
	}
	return ref, nil
}

// groupInstance is an instance of a group with its AMI.
type groupInstance struct {
	ID        string
	Lifecycle astypes.LifecycleState
	Health    string
	ImageID   string
	State     ec2types.InstanceStateName
}

// listGroupInstances lists the instances of groups with the AMI each runs.
func listGroupInstances(ctx context.Context, as awsapi.AutoScaling, ec awsapi.EC2, groups []string) ([]groupInstance, int, error) {
	var out []groupInstance
	desired := 0
	for _, name := range groups {
		g, err := describeGroup(ctx, as, name)
		if err != nil {
			return nil, 0, err
		}
		desired += int(aws.ToInt32(g.DesiredCapacity))
		for _, i := range g.Instances {
			out = append(out, groupInstance{ID: aws.ToString(i.InstanceId), Lifecycle: i.LifecycleState, Health: aws.ToString(i.HealthStatus)})
		}
	}
	ids := make([]string, len(out))
	for i, gi := range out {
		ids[i] = gi.ID
	}
	if len(ids) == 0 {
		return out, desired, nil
	}
	insts, err := instanceImages(ctx, ec, ids)
	if err != nil {
		return nil, 0, err
	}
	for i := range out {
		if inst, ok := insts[out[i].ID]; ok {
			out[i].ImageID = aws.ToString(inst.ImageId)
			if inst.State != nil {
				out[i].State = inst.State.Name
			}
		}
	}
	return out, desired, nil
}

// newInService returns the ids of the instances in service on ami.
func newInService(insts []groupInstance, ami string) []string {
	var ids []string
	for _, i := range insts {
		if i.ImageID == ami && i.Lifecycle == astypes.LifecycleStateInService && i.State == ec2types.InstanceStateNameRunning {
			ids = append(ids, i.ID)
		}
	}
	return ids
}

// followRefresh follows the move's instance refresh to its end, gating the canary when its
// instances are in service, and the whole group after.
func (r *runner) followRefresh(ctx context.Context, m *move) error {
	t := m.t
	as, ec := r.o.AWS.AutoScaling(t.Region), r.o.AWS.EC2(t.Region)
	name := groupName(t)
	canaryGated := m.canary == 0
	var pl progressLine
	for {
		ir, err := describeRefresh(ctx, as, name, m.refreshID)
		if err != nil {
			return err
		}
		insts, desired, err := listGroupInstances(ctx, as, ec, []string{name})
		if err != nil {
			return err
		}
		fresh := newInService(insts, m.to)
		m.tr.Replaced, m.tr.Total = len(fresh), desired
		state := string(ir.Status)
		if reason := aws.ToString(ir.StatusReason); reason != "" && ir.Status != astypes.InstanceRefreshStatusSuccessful {
			state += " (" + oneLine(reason) + ")"
		}
		r.report(&pl, m, state)
		switch ir.Status {
		case astypes.InstanceRefreshStatusSuccessful:
			if err := r.gate(ctx, m, fresh, "the group"); err != nil {
				return err
			}
			return nil
		case astypes.InstanceRefreshStatusFailed, astypes.InstanceRefreshStatusCancelled, astypes.InstanceRefreshStatusCancelling,
			astypes.InstanceRefreshStatusRollbackInProgress, astypes.InstanceRefreshStatusRollbackSuccessful, astypes.InstanceRefreshStatusRollbackFailed:
			return fmt.Errorf("instance refresh %s of %s is %s: %s", m.refreshID, name, ir.Status, oneLine(aws.ToString(ir.StatusReason)))
		}
		if !canaryGated && len(fresh) >= m.canary {
			r.o.Progress("%s: canary: %d instances on %s in service; gating", label(t), len(fresh), m.to)
			if err := r.gate(ctx, m, fresh[:m.canary], "the canary"); err != nil {
				return err
			}
			canaryGated = true
			switch {
			case !canaryCheckpoint(ir):
				r.o.Progress("%s: the canary passed the gate; the instance refresh goes on", label(t))
			case m.followsSSM:
				r.o.Progress("%s: the canary passed the gate; the instance refresh goes on after its checkpoint's delay (%ds): its launch template resolves an SSM parameter, so a refresh of the rest could not skip the canary's instances and would replace them again",
					label(t), aws.ToInt32(ir.Preferences.CheckpointDelay))
			case m.desired && m.newVersion == 0:
				// A refresh rollout did not start (its desired configuration names no
				// version number): not restarted toward a configuration rollout cannot repeat.
				r.o.Progress("%s: the canary passed the gate; the instance refresh goes on after its checkpoint's delay (%ds)",
					label(t), aws.ToInt32(ir.Preferences.CheckpointDelay))
			default:
				if err := r.endCheckpoint(ctx, m); err != nil {
					return err
				}
				pl = progressLine{}
				continue
			}
		}
		if err := r.sleep(ctx); err != nil {
			return err
		}
	}
}
