package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/winami/winami/awsapi"
)

// rollback undoes what the rollout changed: the published parameter back to its previous
// value (first, so that templates and NodeClasses that follow it launch the previous AMI
// again), then the targets, the last one moved first. Each step is printed and recorded in
// Result.RolledBack.
func (r *runner) rollback(ctx context.Context) error {
	if !slices.ContainsFunc(r.moves, func(m *move) bool { return m.changed }) {
		return nil // nothing was written: nothing to undo
	}
	r.o.Progress("rolling back")
	var errs []error
	if err := r.rollbackParameter(ctx); err != nil {
		errs = append(errs, err)
	}
	for i := len(r.moves) - 1; i >= 0; i-- {
		m := r.moves[i]
		if !m.changed {
			continue // nothing written for it
		}
		var err error
		switch m.t.Kind {
		case KindAutoScalingGroup:
			err = r.rollbackGroup(ctx, m)
		case KindNodeGroup:
			err = r.rollbackNodeGroup(ctx, m)
		case KindKarpenter:
			err = r.rollbackKarpenter(ctx, m)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", label(m.t), err))
			continue
		}
		m.tr.State = StateRolledBack
	}
	return errors.Join(errs...)
}

// did records and prints a rollback step.
func (r *runner) did(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	r.res.RolledBack = append(r.res.RolledBack, s)
	r.o.Progress("rollback: %s", s)
}

// rollbackParameter writes Plan.Previous back to the published parameter in the regions of
// the targets the rollout moved, where it still names the AMI the rollout moved to (a newer
// value someone published since is left alone).
func (r *runner) rollbackParameter(ctx context.Context) error {
	if r.p.Parameter == "" {
		return nil
	}
	var regions []string
	for _, m := range r.moves {
		if m.changed && !slices.Contains(regions, m.t.Region) {
			regions = append(regions, m.t.Region)
		}
	}
	slices.Sort(regions)
	var errs []error
	for _, region := range regions {
		prev, to := r.p.Previous[region], r.p.To[region]
		if prev == "" || prev == to {
			continue
		}
		c := r.o.AWS.SSM(region)
		v, err := parameterValue(ctx, c, r.p.Parameter)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if v != to {
			r.o.Progress("rollback: parameter %s (%s) names %s, not %s: left as it is", r.p.Parameter, region, v, to)
			continue
		}
		if err := putImageParameter(ctx, c, r.p.Parameter, prev); err != nil {
			errs = append(errs, err)
			continue
		}
		r.did("parameter %s (%s): back to %s (was %s)", r.p.Parameter, region, prev, to)
	}
	return errors.Join(errs...)
}

// previousAMI is the AMI a target ran before the move: its template's, or the parameter's
// previous value when the template follows it.
func (r *runner) previousAMI(m *move) string {
	if strings.HasPrefix(m.prevImage, resolveSSMPrefix) {
		return r.p.Previous[m.t.Region]
	}
	return m.prevImage
}

// rollbackGroup undoes a group's move: RollbackInstanceRefresh while the refresh is under
// way and has a desired configuration; else CancelInstanceRefresh, the launch template (or
// the group's version) back, and an instance refresh back to the previous version.
func (r *runner) rollbackGroup(ctx context.Context, m *move) error {
	t := m.t
	as := r.o.AWS.AutoScaling(t.Region)
	name := groupName(t)
	if m.templateID == "" {
		return nil // nothing was read, nothing changed
	}
	if m.refreshID != "" {
		ir, err := describeRefresh(ctx, as, name, m.refreshID)
		if err != nil {
			return err
		}
		switch ir.Status {
		case astypes.InstanceRefreshStatusPending, astypes.InstanceRefreshStatusInProgress, astypes.InstanceRefreshStatusBaking:
			if m.desired {
				// RollbackInstanceRefresh: the refresh has a desired configuration and the
				// group names a version number (API_RollbackInstanceRefresh.html).
				_, err := as.RollbackInstanceRefresh(ctx, &autoscaling.RollbackInstanceRefreshInput{AutoScalingGroupName: aws.String(name)})
				if err == nil {
					r.did("%s: RollbackInstanceRefresh of instance refresh %s (the group back on launch template %s version %d)", label(t), m.refreshID, m.templateID, m.prevVersion)
					end, err := r.waitRefresh(ctx, m, name, m.refreshID)
					if err != nil {
						return err
					}
					if end.Status != astypes.InstanceRefreshStatusRollbackSuccessful {
						return fmt.Errorf("the rollback of instance refresh %s ended %s: %s", m.refreshID, end.Status, oneLine(aws.ToString(end.StatusReason)))
					}
					r.did("%s: instance refresh %s %s: the group back on launch template %s version %d", label(t), m.refreshID, end.Status, m.templateID, m.prevVersion)
					return r.rollbackLeftovers(ctx, m)
				}
				r.o.Progress("rollback: %s: RollbackInstanceRefresh refused (%s): cancelling the refresh instead", label(t), awsapi.Message(err))
			}
			if _, err := as.CancelInstanceRefresh(ctx, &autoscaling.CancelInstanceRefreshInput{AutoScalingGroupName: aws.String(name)}); err != nil {
				return fmt.Errorf("cancelling instance refresh %s of %s: %w", m.refreshID, name, err)
			}
			r.did("%s: CancelInstanceRefresh of instance refresh %s", label(t), m.refreshID)
			if _, err := r.waitRefresh(ctx, m, name, m.refreshID); err != nil {
				return err
			}
		case astypes.InstanceRefreshStatusCancelling, astypes.InstanceRefreshStatusRollbackInProgress:
			end, err := r.waitRefresh(ctx, m, name, m.refreshID)
			if err != nil {
				return err
			}
			if end.Status == astypes.InstanceRefreshStatusRollbackSuccessful {
				r.did("%s: instance refresh %s %s: the group back on launch template %s version %d", label(t), m.refreshID, end.Status, m.templateID, m.prevVersion)
				return r.rollbackLeftovers(ctx, m)
			}
		}
	}

	return r.refreshBack(ctx, m, false)
}

// rollbackLeftovers follows a RollbackSuccessful: RollbackInstanceRefresh "replaces any
// instances that were replaced during the instance refresh", and after the canary's
// checkpoint was ended early the canary's instances were replaced by the refresh before
// (the cancelled one), so instances may still run the new AMI: a refresh back replaces
// them (the group's configuration is already the previous one).
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RollbackInstanceRefresh.html
func (r *runner) rollbackLeftovers(ctx context.Context, m *move) error {
	return r.refreshBack(ctx, m, true)
}

// refreshBack puts the group's configuration back (unless rolledBack: a RollbackSuccessful
// did) and, when instances run another AMI than before, refreshes them back.
func (r *runner) refreshBack(ctx context.Context, m *move, rolledBack bool) error {
	t := m.t
	as, ec := r.o.AWS.AutoScaling(t.Region), r.o.AWS.EC2(t.Region)
	name := groupName(t)

	// The configuration back.
	var desired *astypes.DesiredConfiguration
	switch {
	case rolledBack:
		if m.desired {
			g, err := describeGroup(ctx, as, name)
			if err != nil {
				return err
			}
			desired = desiredConfiguration(g, m.templateID, m.prevVersion)
		}
	case m.groupVersion == "$Default" || m.groupVersion == "":
		if m.prevDefault != 0 {
			if err := setDefault(ctx, ec, m.templateID, m.prevDefault); err != nil {
				return err
			}
			r.did("%s: launch template %s default version back to %d", label(t), m.templateID, m.prevDefault)
		}
	case m.groupVersion == "$Latest":
		if m.newVersion != 0 {
			n, _, err := newVersion(ctx, ec, m.templateID, m.prevVersion, m.prevImage, r.p.Spec, true)
			if err != nil {
				return err
			}
			r.did("%s: launch template %s version %d, a copy of version %d (%s), is the latest again", label(t), m.templateID, n, m.prevVersion, m.prevImage)
		}
	default:
		g, err := describeGroup(ctx, as, name)
		if err != nil {
			return err
		}
		desired = desiredConfiguration(g, m.templateID, m.prevVersion)
	}

	// The instances back, when some run another AMI than before.
	back := r.previousAMI(m)
	if back == "" {
		r.o.Progress("rollback: %s: the AMI it ran before is not known (its template follows a parameter with no previous value): instances left as they are", label(t))
		return nil
	}
	insts, _, err := listGroupInstances(ctx, as, ec, []string{name})
	if err != nil {
		return err
	}
	moved := 0
	for _, i := range insts {
		if i.ImageID != back {
			moved++
		}
	}
	if moved == 0 && rolledBack {
		r.did("%s: instances back on %s", label(t), back)
		return nil
	}
	if moved == 0 && desired == nil {
		return nil
	}
	if rolledBack {
		r.o.Progress("rollback: %s: %d instances still run another AMI than %s (replaced before the rolled-back refresh started): refreshing them back", label(t), moved, back)
	}
	if moved == 0 {
		// Only the group's version to put back (a refresh that succeeded wrote the new one
		// on the group): a refresh with skip matching replaces nothing and writes it back.
		r.o.Progress("rollback: %s: every instance runs %s; putting the group's version back", label(t), back)
	}
	out, err := as.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{
		AutoScalingGroupName: aws.String(name),
		Strategy:             astypes.RefreshStrategyRolling,
		DesiredConfiguration: desired,
		Preferences: &astypes.RefreshPreferences{
			MinHealthyPercentage: aws.Int32(int32(100 - r.p.MaxUnavailablePercent)),
			SkipMatching:         aws.Bool(!m.followsSSM),
		},
	})
	if err != nil {
		return fmt.Errorf("starting an instance refresh of %s back to %s: %w", name, back, err)
	}
	id := aws.ToString(out.InstanceRefreshId)
	r.did("%s: instance refresh %s back to launch template %s version %d (%s)", label(t), id, m.templateID, m.prevVersion, back)
	end, err := r.waitRefresh(ctx, m, name, id)
	if err != nil {
		return err
	}
	if end.Status != astypes.InstanceRefreshStatusSuccessful {
		return fmt.Errorf("instance refresh %s back to %s ended %s: %s", id, back, end.Status, oneLine(aws.ToString(end.StatusReason)))
	}
	r.did("%s: instance refresh %s Successful: instances back on %s", label(t), id, back)
	return nil
}

// waitRefresh follows a refresh until it is no longer active, reporting the instances on
// the previous AMI.
func (r *runner) waitRefresh(ctx context.Context, m *move, name, id string) (astypes.InstanceRefresh, error) {
	t := m.t
	as, ec := r.o.AWS.AutoScaling(t.Region), r.o.AWS.EC2(t.Region)
	back := r.previousAMI(m)
	var pl progressLine
	for {
		ir, err := describeRefresh(ctx, as, name, id)
		if err != nil {
			return ir, err
		}
		if insts, desired, err := listGroupInstances(ctx, as, ec, []string{name}); err == nil {
			on := 0
			for _, i := range insts {
				if i.ImageID == back && i.Lifecycle == astypes.LifecycleStateInService {
					on++
				}
			}
			line := fmt.Sprintf("rollback: %s: %d/%d on %s, %s", label(t), on, desired, back, ir.Status)
			if line != pl.last {
				pl.last = line
				r.o.Progress("%s, %s", line, r.elapsed(m.started))
			}
		}
		if !refreshActive(ir.Status) {
			return ir, nil
		}
		if err := r.sleep(ctx); err != nil {
			return ir, err
		}
	}
}

// rollbackNodeGroup undoes a node group's move: its update is waited for (a node group
// update cannot be cancelled), then, when the node group launches another version than
// before, a new launch template version copied from the previous one and an update to it;
// the update configuration the rollout changed is put back.
func (r *runner) rollbackNodeGroup(ctx context.Context, m *move) error {
	t := m.t
	if m.templateID == "" {
		return nil
	}
	ek, ec := r.o.AWS.EKS(t.Region), r.o.AWS.EC2(t.Region)
	if m.updateID != "" {
		r.o.Progress("rollback: %s: waiting for update %s to end (a node group update cannot be cancelled)", label(t), m.updateID)
		u, err := r.followUpdate(ctx, m, m.updateID)
		if err != nil {
			return err
		}
		r.o.Progress("rollback: %s: update %s ended %s", label(t), m.updateID, u.Status)
	}
	ng, err := describeNodegroup(ctx, ek, t.Cluster, t.Name)
	if err != nil {
		return err
	}
	curVersion := ""
	if ng.LaunchTemplate != nil {
		curVersion = aws.ToString(ng.LaunchTemplate.Version)
	}
	if curVersion != m.groupVersion && curVersion != strconv.FormatInt(m.prevVersion, 10) {
		// A node group cannot go back to an earlier launch template version number
		// (API_UpdateNodegroupVersion.html): a copy of it, newer.
		n, _, err := newVersion(ctx, ec, m.templateID, m.prevVersion, m.prevImage, r.p.Spec, false)
		if err != nil {
			return err
		}
		out, err := ek.UpdateNodegroupVersion(ctx, &eks.UpdateNodegroupVersionInput{
			ClusterName: aws.String(t.Cluster), NodegroupName: aws.String(t.Name),
			LaunchTemplate: &ekstypes.LaunchTemplateSpecification{Id: aws.String(m.templateID), Version: aws.String(strconv.FormatInt(n, 10))},
		})
		if err != nil {
			return fmt.Errorf("updating node group %s back to launch template %s version %d: %w", t.Name, m.templateID, n, err)
		}
		id := aws.ToString(out.Update.Id)
		r.did("%s: update %s to launch template %s version %d, a copy of version %d (%s)", label(t), id, m.templateID, n, m.prevVersion, r.previousAMI(m))
		u, err := r.followUpdate(ctx, m, id)
		if err != nil {
			return err
		}
		if u.Status != ekstypes.UpdateStatusSuccessful {
			return fmt.Errorf("update %s of node group %s back to %s is %s: %s", id, t.Name, r.previousAMI(m), u.Status, updateErrors(u))
		}
		r.did("%s: update %s Successful: nodes back on %s", label(t), id, r.previousAMI(m))
	}
	if m.prevUpdateConfig != nil {
		cfg := m.prevUpdateConfig
		if err := r.restoreUpdateConfig(ctx, m); err != nil {
			return err
		}
		if cfg.MaxUnavailable != nil || cfg.MaxUnavailablePercentage != nil {
			r.did("%s: update configuration back to %s", label(t), describeUpdateConfig(cfg))
		}
	}
	return nil
}

// rollbackKarpenter puts back the amiSelectorTerms the rollout replaced.
func (r *runner) rollbackKarpenter(ctx context.Context, m *move) error {
	if m.prevTerms == nil {
		return nil
	}
	if err := r.patchTerms(ctx, m.t.Name, m.prevTerms); err != nil {
		return err
	}
	r.did("%s: amiSelectorTerms back to what they were", label(m.t))
	return nil
}
