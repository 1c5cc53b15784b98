package rollout_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/winami/winami/rollout"
)

const cluster = "prod"

// nodegroupWorld adds to the world an EKS cluster and a managed node group "win" of three
// nodes on a launch template on ami1.
type nodegroupWorld struct {
	*world
	eks *eks.Client
	lt  string
}

func newNodegroupWorld(t *testing.T) *nodegroupWorld {
	w := &nodegroupWorld{world: newWorld(t), eks: eks.NewFromConfig(awsConfig(t))}
	ctx := w.ctx()
	sn, err := w.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}}}})
	if err != nil || len(sn.Subnets) < 2 {
		t.Fatalf("default subnets: %v", err)
	}
	subnets := []string{aws.ToString(sn.Subnets[0].SubnetId), aws.ToString(sn.Subnets[1].SubnetId)}
	if _, err := w.eks.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String(cluster), RoleArn: aws.String("arn:aws:iam::123456789012:role/eks"),
		Version: aws.String("1.31"), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnets}}); err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	w.clock.Advance(15 * time.Minute)
	w.lt = w.template("win-ng", w.ami1)
	if _, err := w.eks.CreateNodegroup(ctx, &eks.CreateNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String("win"),
		NodeRole: aws.String("arn:aws:iam::123456789012:role/nodes"), Subnets: subnets,
		ScalingConfig:  &ekstypes.NodegroupScalingConfig{MinSize: aws.Int32(0), MaxSize: aws.Int32(6), DesiredSize: aws.Int32(3)},
		LaunchTemplate: &ekstypes.LaunchTemplateSpecification{Id: aws.String(w.lt), Version: aws.String("1")}}); err != nil {
		t.Fatalf("CreateNodegroup: %v", err)
	}
	for i := 0; w.nodegroup().Status != ekstypes.NodegroupStatusActive; i++ {
		if i > 200 {
			t.Fatalf("node group never ACTIVE: %s", w.nodegroup().Status)
		}
		w.clock.Advance(poll)
	}
	return w
}

func (w *nodegroupWorld) nodegroup() *ekstypes.Nodegroup {
	w.t.Helper()
	out, err := w.eks.DescribeNodegroup(w.ctx(), &eks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String("win")})
	if err != nil {
		w.t.Fatal(err)
	}
	return out.Nodegroup
}

func (w *nodegroupWorld) asg() string {
	return aws.ToString(w.nodegroup().Resources.AutoScalingGroups[0].Name)
}

func (w *nodegroupWorld) plan(canary rollout.Canary) *rollout.Plan {
	return &rollout.Plan{Spec: spec, Parameter: param, To: map[string]string{region: w.ami2}, Previous: map[string]string{region: w.ami1},
		Canary: canary, MaxUnavailablePercent: 34, KubernetesGate: true,
		Targets: []rollout.Target{{Kind: rollout.KindNodeGroup, Name: "win", Region: region, Cluster: cluster, AutoScalingGroups: []string{w.asg()},
			LaunchTemplate: &rollout.LaunchTemplate{ID: w.lt, Version: "1", Number: 1, DefaultVersion: 1, ImageRef: w.ami1},
			Capacity:       3, From: w.ami1, Running: []string{w.ami1}, To: w.ami2}}}
}

func (w *nodegroupWorld) templateImage(version string) string {
	w.t.Helper()
	out, err := w.ec2.DescribeLaunchTemplateVersions(w.ctx(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(w.lt), Versions: []string{version}})
	if err != nil {
		w.t.Fatal(err)
	}
	return aws.ToString(out.LaunchTemplateVersions[0].LaunchTemplateData.ImageId)
}

// A node group moves: a new template version with ami2, maxUnavailable set to the canary's
// 2 for the update and put back after, UpdateNodegroupVersion to the new version (launch
// template only), the node group's gate.
func TestRunMovesNodeGroup(t *testing.T) {
	w := newNodegroupWorld(t)
	before := w.nodegroup().UpdateConfig
	var lines []string
	kube := w.withKube()
	res, err := rollout.Run(w.ctx(), w.plan(rollout.Canary{Count: 2}), w.options(kube, &lines))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	ng := w.nodegroup()
	if v := aws.ToString(ng.LaunchTemplate.Version); v != "2" || w.templateImage("2") != w.ami2 {
		t.Errorf("node group on version %s (%s), want 2 on %s", v, w.templateImage(v), w.ami2)
	}
	if got := w.amis(w.asg()); got[w.ami2] != 3 || len(got) != 1 {
		t.Errorf("instances by AMI = %v", got)
	}
	if aws.ToInt32(ng.UpdateConfig.MaxUnavailable) != aws.ToInt32(before.MaxUnavailable) ||
		aws.ToInt32(ng.UpdateConfig.MaxUnavailablePercentage) != aws.ToInt32(before.MaxUnavailablePercentage) {
		t.Errorf("update config = %+v, want it back to %+v", ng.UpdateConfig, before)
	}
	// (awsemu's update, like EKS's scale-up phase, may bring all three new nodes up
	// between two polls: the node group's gate then covers the canary's nodes.)
	if !hasLine(lines, "maxUnavailable 2") || !hasLine(lines, "gate (the node group) passed: 3 new instances") {
		t.Errorf("progress lacks the canary's maxUnavailable or the gate:\n%s", strings.Join(lines, "\n"))
	}
	if tr := res.Targets[0]; tr.State != rollout.StateMoved || tr.UpdateID == "" || tr.LaunchTemplateVersion != 2 || tr.Replaced != 3 {
		t.Errorf("target result = %+v", tr)
	}
}

// With the new nodes failing readiness, the rollback waits for the update to end (it
// cannot be cancelled), then updates the node group to a new version copied from version 1
// (a node group cannot go back to an earlier version), and the parameter back.
func TestRunRollsBackNodeGroup(t *testing.T) {
	w := newNodegroupWorld(t)
	w.failAMI = w.ami2
	var lines []string
	kube := w.withKube()
	res, err := rollout.Run(w.ctx(), w.plan(rollout.Canary{Count: 1}), w.options(kube, &lines))
	if !errors.Is(err, rollout.ErrGate) {
		t.Fatalf("Run error = %v, want ErrGate", err)
	}
	ng := w.nodegroup()
	v := aws.ToString(ng.LaunchTemplate.Version)
	if v != "3" || w.templateImage(v) != w.ami1 {
		t.Errorf("node group on version %s (%s), want 3, a copy of 1 on %s", v, w.templateImage(v), w.ami1)
	}
	if got := w.amis(w.asg()); got[w.ami1] != 3 || len(got) != 1 {
		t.Errorf("instances by AMI = %v, want 3 on %s", got, w.ami1)
	}
	if w.parameter() != w.ami1 || res.Targets[0].State != rollout.StateRolledBack {
		t.Errorf("parameter %s, state %s", w.parameter(), res.Targets[0].State)
	}
	if !slices.ContainsFunc(res.RolledBack, func(l string) bool { return strings.Contains(l, "a copy of version 1") }) {
		t.Errorf("RolledBack = %q", res.RolledBack)
	}
}

// Two targets, canary on the Auto Scaling group: the group moves and passes its gates,
// then the node group's new nodes fail theirs; the rollback undoes both, the last moved
// first: the node group to a copy of version 1, the group (its refresh long Successful, so
// no RollbackInstanceRefresh) by its default version back and a refresh back; the
// parameter back.
func TestRunRollsBackEveryTargetMoved(t *testing.T) {
	w := newNodegroupWorld(t)
	g := w.winGroup(w.ami1, "$Default", 2)
	p := w.plan(rollout.Canary{Count: 1})
	p.Targets = append(g.plan(rollout.Canary{}).Targets, p.Targets...)
	var lines []string
	opts := w.options(w.withKube(), &lines)
	opts.Progress = func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		lines = append(lines, line)
		t.Log(line)
		if strings.HasPrefix(line, "auto-scaling-group win-asg (us-east-1): moved") {
			w.failAMI = w.ami2 // from now on new nodes fail readiness
		}
	}
	res, err := rollout.Run(w.ctx(), p, opts)
	if !errors.Is(err, rollout.ErrGate) || !strings.HasPrefix(res.Gate, "node-group win") {
		t.Fatalf("Run error = %v, gate %q: want the node group's gate", err, res.Gate)
	}
	if got := w.amis("win-asg"); got[w.ami1] != 2 || len(got) != 1 {
		t.Errorf("group instances by AMI = %v, want back on %s", got, w.ami1)
	}
	if got := w.amis(w.asg()); got[w.ami1] != 3 || len(got) != 1 {
		t.Errorf("node group instances by AMI = %v, want back on %s", got, w.ami1)
	}
	if w.defaultVersion(g.lt) != 1 || w.parameter() != w.ami1 {
		t.Errorf("default version %d, parameter %s", w.defaultVersion(g.lt), w.parameter())
	}
	for _, tr := range res.Targets {
		if tr.State != rollout.StateRolledBack {
			t.Errorf("%s: state %s, want rolled-back", tr.Name, tr.State)
		}
	}
	ng := slices.IndexFunc(res.RolledBack, func(l string) bool { return strings.HasPrefix(l, "node-group win") })
	asg := slices.IndexFunc(res.RolledBack, func(l string) bool { return strings.HasPrefix(l, "auto-scaling-group win-asg") })
	if ng < 0 || asg < 0 || ng > asg {
		t.Errorf("rollback order: %q (want the node group, moved last, first)", res.RolledBack)
	}
}

// Re-run safety for a node group: an update toward ami2 already in progress (a previous
// run that died) is followed, not started again.
func TestRunResumesNodeGroupUpdate(t *testing.T) {
	w := newNodegroupWorld(t)
	v, err := w.ec2.CreateLaunchTemplateVersion(w.ctx(), &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: aws.String(w.lt),
		SourceVersion: aws.String("1"), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(w.ami2)}})
	if err != nil {
		t.Fatal(err)
	}
	n := aws.ToInt64(v.LaunchTemplateVersion.VersionNumber)
	up, err := w.eks.UpdateNodegroupVersion(w.ctx(), &eks.UpdateNodegroupVersionInput{ClusterName: aws.String(cluster), NodegroupName: aws.String("win"),
		LaunchTemplate: &ekstypes.LaunchTemplateSpecification{Id: aws.String(w.lt), Version: aws.String(fmt.Sprint(n))}})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	res, err := rollout.Run(w.ctx(), w.plan(rollout.Canary{}), w.options(rollout.Kube{}, &lines))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if tr := res.Targets[0]; tr.UpdateID != aws.ToString(up.Update.Id) || tr.State != rollout.StateMoved || !hasLine(lines, "following update") {
		t.Errorf("target %+v, lines %q: want the update already in progress followed", tr, lines)
	}
	ids, err := w.eks.ListUpdates(w.ctx(), &eks.ListUpdatesInput{Name: aws.String(cluster), NodegroupName: aws.String("win")})
	if err != nil {
		t.Fatal(err)
	}
	versionUpdates := 0
	for _, id := range ids.UpdateIds {
		u, err := w.eks.DescribeUpdate(w.ctx(), &eks.DescribeUpdateInput{Name: aws.String(cluster), NodegroupName: aws.String("win"), UpdateId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if u.Update.Type == ekstypes.UpdateTypeVersionUpdate {
			versionUpdates++
		}
	}
	if versionUpdates != 1 {
		t.Errorf("%d version updates, want the one already in progress only", versionUpdates)
	}
	if got := w.amis(w.asg()); got[w.ami2] != 3 || len(got) != 1 {
		t.Errorf("instances by AMI = %v", got)
	}
}
