package rollout

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/winami/winami/awsapi"
)

// How a managed node group moves (Amazon EKS API reference and User Guide):
//   - "If you need to update a custom AMI in a node group that was deployed with a launch
//     template, then update your custom AMI, specify the new ID in a new version of the
//     launch template, and then update the node group to the new version of the launch
//     template"; with a launch template that names a custom AMI, the request carries no
//     version nor releaseVersion ("or the node group update will fail"); "the launch
//     template ID or name must match what was used when the node group was created".
//     https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateNodegroupVersion.html
//   - "You cannot roll back a node group to an earlier Kubernetes version or AMI version"
//     (same page): a rollback is a new launch template version copied from the previous
//     one, not the previous version number.
//   - The update replaces at most updateConfig.maxUnavailable nodes (1..100) or
//     maxUnavailablePercentage (1..100) at a time; UpdateNodegroupConfig sets it, as an
//     update of its own (type ConfigUpdate) followed with DescribeUpdate.
//     https://docs.aws.amazon.com/eks/latest/APIReference/API_NodegroupUpdateConfig.html
//     https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateNodegroupConfig.html
//   - A node group update cannot be paused: the canary's gate runs while the update goes
//     on, on the first canary nodes it brings up (the plan puts Auto Scaling groups, whose
//     refresh can pause at a checkpoint, first).

func describeNodegroup(ctx context.Context, c awsapi.EKS, cluster, name string) (*ekstypes.Nodegroup, error) {
	out, err := c.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("describing node group %s of cluster %s: %w", name, cluster, err)
	}
	if out.Nodegroup == nil {
		return nil, fmt.Errorf("describing node group %s of cluster %s: no node group answered", name, cluster)
	}
	return out.Nodegroup, nil
}

func describeUpdate(ctx context.Context, c awsapi.EKS, cluster, nodegroup, id string) (*ekstypes.Update, error) {
	out, err := c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String(cluster), NodegroupName: aws.String(nodegroup), UpdateId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("describing update %s of node group %s: %w", id, nodegroup, err)
	}
	if out.Update == nil {
		return nil, fmt.Errorf("describing update %s of node group %s: no update answered", id, nodegroup)
	}
	return out.Update, nil
}

// activeUpdate returns the node group's update in progress, nil when none.
func activeUpdate(ctx context.Context, c awsapi.EKS, cluster, nodegroup string) (*ekstypes.Update, error) {
	in := &eks.ListUpdatesInput{Name: aws.String(cluster), NodegroupName: aws.String(nodegroup)}
	for {
		out, err := c.ListUpdates(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("listing the updates of node group %s: %w", nodegroup, err)
		}
		for _, id := range out.UpdateIds {
			u, err := describeUpdate(ctx, c, cluster, nodegroup, id)
			if err != nil {
				return nil, err
			}
			if u.Status == ekstypes.UpdateStatusInProgress {
				return u, nil
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return nil, nil
		}
		in.NextToken = out.NextToken
	}
}

// updateParam returns a parameter of an update.
func updateParam(u *ekstypes.Update, typ ekstypes.UpdateParamType) string {
	for _, p := range u.Params {
		if p.Type == typ {
			return aws.ToString(p.Value)
		}
	}
	return ""
}

// updateErrors is an update's errors on one line.
func updateErrors(u *ekstypes.Update) string {
	var parts []string
	for _, e := range u.Errors {
		parts = append(parts, oneLine(fmt.Sprintf("%s: %s", e.ErrorCode, aws.ToString(e.ErrorMessage))))
	}
	if len(parts) == 0 {
		return "no error reported"
	}
	return strings.Join(parts, "; ")
}

// nodegroupGroups are the Auto Scaling groups of a node group.
func nodegroupGroups(ng *ekstypes.Nodegroup) []string {
	var out []string
	if ng.Resources != nil {
		for _, g := range ng.Resources.AutoScalingGroups {
			if n := aws.ToString(g.Name); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// moveNodeGroup moves a managed node group: a new launch template version, maxUnavailable
// set (the canary's size on the canary target), UpdateNodegroupVersion to the new version,
// followed with DescribeUpdate, with the gates.
func (r *runner) moveNodeGroup(ctx context.Context, m *move) error {
	t := m.t
	ek, ec := r.o.AWS.EKS(t.Region), r.o.AWS.EC2(t.Region)
	ng, err := describeNodegroup(ctx, ek, t.Cluster, t.Name)
	if err != nil {
		return err
	}
	if ng.LaunchTemplate == nil || aws.ToString(ng.LaunchTemplate.Id) == "" {
		return fmt.Errorf("node group %s has no launch template: rollout moves node groups that launch a custom AMI from a launch template", t.Name)
	}
	if gs := nodegroupGroups(ng); len(gs) > 0 {
		t.AutoScalingGroups = gs
	}
	if m.tr.Total == 0 && ng.ScalingConfig != nil {
		m.tr.Total = int(aws.ToInt32(ng.ScalingConfig.DesiredSize))
	}
	id, spec := aws.ToString(ng.LaunchTemplate.Id), aws.ToString(ng.LaunchTemplate.Version)
	m.templateID, m.groupVersion = id, spec
	cur, err := readVersion(ctx, ec, id, spec)
	if err != nil {
		return err
	}
	m.prevVersion, m.prevImage = cur.Number, cur.ImageRef

	// Resume: an update under way is followed when it moves to m.to; a configuration update
	// is waited for.
	u, err := activeUpdate(ctx, ek, t.Cluster, t.Name)
	if err != nil {
		return err
	}
	if u != nil && u.Type == ekstypes.UpdateTypeConfigUpdate {
		r.o.Progress("%s: waiting for configuration update %s to end", label(t), aws.ToString(u.Id))
		if _, err := r.followUpdate(ctx, m, aws.ToString(u.Id)); err != nil {
			return err
		}
		u = nil
	}
	if u != nil {
		v := updateParam(u, ekstypes.UpdateParamTypeLaunchTemplateVersion)
		toward := ""
		if v != "" {
			tv, err := readVersion(ctx, ec, id, v)
			if err != nil {
				return err
			}
			toward = tv.ImageRef
			if strings.HasPrefix(toward, resolveSSMPrefix) {
				if toward, err = parameterValue(ctx, r.o.AWS.SSM(t.Region), ssmName(toward)); err != nil {
					return err
				}
			}
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				m.newVersion = n
				if n == cur.Number {
					// The node group already names the update's version: the version
					// before is the one rollout copied it from (its description says).
					if src, ok := tv.createdFrom(); ok {
						prev, err := readVersion(ctx, ec, id, strconv.FormatInt(src, 10))
						if err != nil {
							return err
						}
						m.prevVersion, m.prevImage, m.groupVersion = prev.Number, prev.ImageRef, strconv.FormatInt(prev.Number, 10)
					}
				}
			}
		}
		if toward != m.to {
			return fmt.Errorf("update %s (%s) is in progress on node group %s (toward %s, not %s): wait for it to end",
				aws.ToString(u.Id), u.Type, t.Name, orUnknown(toward), m.to)
		}
		m.updateID = aws.ToString(u.Id)
		m.tr.UpdateID = m.updateID
		m.changed = true
		r.o.Progress("%s: following update %s already in progress toward %s", label(t), m.updateID, m.to)
		return r.followVersionUpdate(ctx, m)
	}

	imageRef := m.to
	if strings.HasPrefix(cur.ImageRef, resolveSSMPrefix) {
		// The template follows the parameter: a new version that still names it, so the
		// update relaunches the nodes, which resolve the parameter (now To) at launch.
		param := ssmName(cur.ImageRef)
		v, err := parameterValue(ctx, r.o.AWS.SSM(t.Region), param)
		if err != nil {
			return err
		}
		if v != m.to {
			return fmt.Errorf("launch template %s follows parameter %s, which names %s, not %s: publish %s to it first (winami build publishes it)", id, param, v, m.to, m.to)
		}
		imageRef = cur.ImageRef
	}
	n, created, err := newVersion(ctx, ec, id, cur.Number, imageRef, r.p.Spec, false)
	if err != nil {
		return err
	}
	m.newVersion, m.tr.LaunchTemplateVersion = n, n
	m.changed = true
	if created {
		r.o.Progress("%s: launch template %s version %d: version %d with ImageId %s", label(t), id, n, cur.Number, imageRef)
	}

	if err := r.setMaxUnavailable(ctx, m, ng); err != nil {
		return err
	}
	out, err := ek.UpdateNodegroupVersion(ctx, &eks.UpdateNodegroupVersionInput{
		ClusterName:    aws.String(t.Cluster),
		NodegroupName:  aws.String(t.Name),
		LaunchTemplate: &ekstypes.LaunchTemplateSpecification{Id: aws.String(id), Version: aws.String(strconv.FormatInt(n, 10))},
	})
	if err != nil {
		return fmt.Errorf("updating node group %s to launch template %s version %d: %w", t.Name, id, n, err)
	}
	if out.Update == nil {
		return fmt.Errorf("updating node group %s: no update answered", t.Name)
	}
	m.updateID = aws.ToString(out.Update.Id)
	m.tr.UpdateID = m.updateID
	r.o.Progress("%s: update %s started (launch template %s version %d)", label(t), m.updateID, id, n)
	if err := r.followVersionUpdate(ctx, m); err != nil {
		return err
	}
	return r.restoreUpdateConfig(ctx, m)
}

// wantUpdateConfig is the update configuration the move needs: the canary's size on the
// canary target, else --max-unavailable as a percentage.
func (r *runner) wantUpdateConfig(m *move) *ekstypes.NodegroupUpdateConfig {
	if m.canary > 0 {
		return &ekstypes.NodegroupUpdateConfig{MaxUnavailable: aws.Int32(int32(min(100, m.canary)))}
	}
	return &ekstypes.NodegroupUpdateConfig{MaxUnavailablePercentage: aws.Int32(int32(r.p.MaxUnavailablePercent))}
}

func sameUpdateConfig(a, b *ekstypes.NodegroupUpdateConfig) bool {
	if a == nil || b == nil {
		return a == b
	}
	return aws.ToInt32(a.MaxUnavailable) == aws.ToInt32(b.MaxUnavailable) && aws.ToInt32(a.MaxUnavailablePercentage) == aws.ToInt32(b.MaxUnavailablePercentage)
}

// setMaxUnavailable sets the node group's update configuration for the move, remembering
// the one it had, and waits for the configuration update to end.
func (r *runner) setMaxUnavailable(ctx context.Context, m *move, ng *ekstypes.Nodegroup) error {
	want := r.wantUpdateConfig(m)
	if sameUpdateConfig(ng.UpdateConfig, want) {
		return nil
	}
	if err := r.updateConfig(ctx, m, want); err != nil {
		return err
	}
	prev := ng.UpdateConfig
	if prev == nil {
		prev = &ekstypes.NodegroupUpdateConfig{}
	}
	m.prevUpdateConfig = &ekstypes.NodegroupUpdateConfig{MaxUnavailable: prev.MaxUnavailable, MaxUnavailablePercentage: prev.MaxUnavailablePercentage}
	return nil
}

// restoreUpdateConfig puts back the update configuration the move replaced.
func (r *runner) restoreUpdateConfig(ctx context.Context, m *move) error {
	prev := m.prevUpdateConfig
	if prev == nil || (prev.MaxUnavailable == nil && prev.MaxUnavailablePercentage == nil) {
		return nil
	}
	if err := r.updateConfig(ctx, m, prev); err != nil {
		return err
	}
	m.prevUpdateConfig = nil
	return nil
}

func (r *runner) updateConfig(ctx context.Context, m *move, cfg *ekstypes.NodegroupUpdateConfig) error {
	t := m.t
	out, err := r.o.AWS.EKS(t.Region).UpdateNodegroupConfig(ctx, &eks.UpdateNodegroupConfigInput{
		ClusterName: aws.String(t.Cluster), NodegroupName: aws.String(t.Name),
		UpdateConfig: &ekstypes.NodegroupUpdateConfig{MaxUnavailable: cfg.MaxUnavailable, MaxUnavailablePercentage: cfg.MaxUnavailablePercentage},
	})
	if err != nil {
		return fmt.Errorf("setting the update configuration of node group %s: %w", t.Name, err)
	}
	if out.Update == nil {
		return fmt.Errorf("setting the update configuration of node group %s: no update answered", t.Name)
	}
	r.o.Progress("%s: update configuration %s (update %s)", label(t), describeUpdateConfig(cfg), aws.ToString(out.Update.Id))
	u, err := r.followUpdate(ctx, m, aws.ToString(out.Update.Id))
	if err != nil {
		return err
	}
	if u.Status != ekstypes.UpdateStatusSuccessful {
		return fmt.Errorf("configuration update %s of node group %s is %s: %s", aws.ToString(u.Id), t.Name, u.Status, updateErrors(u))
	}
	return nil
}

func describeUpdateConfig(c *ekstypes.NodegroupUpdateConfig) string {
	if c.MaxUnavailable != nil {
		return fmt.Sprintf("maxUnavailable %d", aws.ToInt32(c.MaxUnavailable))
	}
	return fmt.Sprintf("maxUnavailablePercentage %d", aws.ToInt32(c.MaxUnavailablePercentage))
}

// followUpdate polls an update until it is no longer InProgress.
func (r *runner) followUpdate(ctx context.Context, m *move, id string) (*ekstypes.Update, error) {
	t := m.t
	for {
		u, err := describeUpdate(ctx, r.o.AWS.EKS(t.Region), t.Cluster, t.Name, id)
		if err != nil {
			return nil, err
		}
		if u.Status != ekstypes.UpdateStatusInProgress {
			return u, nil
		}
		if err := r.sleep(ctx); err != nil {
			return nil, err
		}
	}
}

// followVersionUpdate follows the move's node group update to its end, gating the canary
// when its first nodes are in service, and the whole node group after.
func (r *runner) followVersionUpdate(ctx context.Context, m *move) error {
	t := m.t
	ek := r.o.AWS.EKS(t.Region)
	as, ec := r.o.AWS.AutoScaling(t.Region), r.o.AWS.EC2(t.Region)
	canaryGated := m.canary == 0
	var pl progressLine
	for {
		u, err := describeUpdate(ctx, ek, t.Cluster, t.Name, m.updateID)
		if err != nil {
			return err
		}
		var fresh []string
		if len(t.AutoScalingGroups) > 0 {
			insts, desired, err := listGroupInstances(ctx, as, ec, t.AutoScalingGroups)
			if err != nil {
				return err
			}
			fresh = newInService(insts, m.to)
			m.tr.Replaced = len(fresh)
			if desired > 0 {
				m.tr.Total = desired
			}
		}
		r.report(&pl, m, string(u.Status))
		switch u.Status {
		case ekstypes.UpdateStatusSuccessful:
			return r.gate(ctx, m, fresh, "the node group")
		case ekstypes.UpdateStatusFailed, ekstypes.UpdateStatusCancelled:
			return fmt.Errorf("update %s of node group %s is %s: %s", m.updateID, t.Name, u.Status, updateErrors(u))
		}
		if !canaryGated && len(fresh) >= m.canary {
			r.o.Progress("%s: canary: %d nodes on %s in service; gating (the node group update goes on: it cannot pause)", label(t), len(fresh), m.to)
			if err := r.gate(ctx, m, fresh[:m.canary], "the canary"); err != nil {
				return err
			}
			canaryGated = true
		}
		if err := r.sleep(ctx); err != nil {
			return err
		}
	}
}
