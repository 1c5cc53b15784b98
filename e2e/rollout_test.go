//go:build e2e && unix

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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
	corev1 "k8s.io/api/core/v1"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
)

// shiftClock is awsemu's clock for the rollout tests: sped up while Image Builder builds
// (minutes of build in a second) and while instances launch and terminate, and at real
// pace while an instance refresh waits at a checkpoint: there the refresh's
// CheckpointDelay (awsemu's clock) and winami's gate (its wall clock) measure the same
// time, as they do on AWS. Now never goes backwards when the scale changes.
type shiftClock struct {
	mu     sync.Mutex
	base   time.Time // emulated time at anchor
	anchor time.Time // wall time when the scale last changed
	scale  float64
}

func newShiftClock(scale float64) *shiftClock {
	now := time.Now().UTC()
	return &shiftClock{base: now, anchor: now, scale: scale}
}

func (c *shiftClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(time.Duration(float64(time.Since(c.anchor)) * c.scale))
}

func (c *shiftClock) SetScale(s float64) {
	now := c.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base, c.anchor, c.scale = now, time.Now(), s
}

var _ awsemu.Clock = (*shiftClock)(nil)

// fleet is one sandbox of the "Done when": a spec built twice, a self-managed Auto
// Scaling group and an EKS managed node group on the first AMI, the node agent
// registering their instances as Windows nodes in the real API server.
type fleet struct {
	t       *testing.T
	ctx     context.Context
	kube    *Cluster
	clock   *shiftClock
	url     string
	home    string
	env     []string
	spec    string
	cfg     aws.Config
	cluster string
	agent   *NodeAgent

	amis      [2]string // the first and the second build's AMI
	asg       string    // the Auto Scaling group
	asgLT     string    // its launch template (the group uses $Default)
	nodeGroup string
	ngLT      string // the node group's launch template
	ngASG     string // the node group's Auto Scaling group

	mu     sync.Mutex
	events []AgentEvent
}

const (
	rolloutSpecName  = "e2e-rollout"
	rolloutParameter = "/winami/e2e-rollout/image_id"
	asgCapacity      = 3
	ngCapacity       = 2
)

var fleetSeq int

// newFleet builds the spec twice in a fresh awsemu and puts both targets on the first AMI.
func newFleet(t *testing.T) *fleet {
	t.Helper()
	ctx := context.Background()
	kc, err := Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := kc.GrantAudit(ctx); err != nil {
		t.Fatal(err)
	}
	clock := newShiftClock(600)
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	fleetSeq++
	f := &fleet{t: t, ctx: ctx, kube: kc, clock: clock, url: srv.URL(), home: t.TempDir(),
		cfg:     awstest.SDKConfig(srv.URL(), region),
		cluster: fmt.Sprintf("e2e-%d-%d", os.Getpid(), fleetSeq),
		asg:     "windows-asg", asgLT: "windows-asg", nodeGroup: "windows-ng", ngLT: "windows-ng"}
	f.env = AWSEnv(f.url, region, f.home)
	t.Cleanup(func() {
		if err := DeleteAgentObjects(context.Background(), kc.Kube, f.cluster); err != nil {
			t.Errorf("cleaning up: %v", err)
		}
	})
	f.spec = filepath.Join(f.home, "winami.yaml")
	if err := os.WriteFile(f.spec, []byte(`apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata: {name: `+rolloutSpecName+`, region: us-east-1}
spec:
  kubernetesVersion: "1.36"
  windows: {version: "2022", edition: Core}
  parent: {source: eks-optimized}
  distribution:
    regions: [us-east-1]
    publishParameter: `+rolloutParameter+`
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range f.amis {
		f.amis[i] = f.build()
	}
	if f.amis[0] == f.amis[1] {
		t.Fatalf("two builds made one AMI %s", f.amis[0])
	}
	if got := f.parameter(); got != f.amis[1] {
		t.Fatalf("after two builds %s = %s, want the second AMI %s", rolloutParameter, got, f.amis[1])
	}
	f.createTargets()
	return f
}

// build runs `winami build` and returns the AMI it made.
func (f *fleet) build() string {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.ctx, 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, winamiBin, f.env, "build", "-f", f.spec, "--yes", "--create-roles", "--no-registry", "-o", "json", "--poll-interval", "100ms")
	if err != nil {
		f.t.Fatal(err)
	}
	var out struct {
		AMIs []struct {
			Region  string `json:"region"`
			ImageID string `json:"imageId"`
		} `json:"amis"`
		State string `json:"state"`
	}
	if res.ExitCode != 0 || json.Unmarshal(res.Stdout, &out) != nil || out.State != "AVAILABLE" || len(out.AMIs) != 1 {
		f.t.Fatalf("winami build: exit %d\nstdout: %s\nstderr: %s", res.ExitCode, res.Stdout, res.Stderr)
	}
	return out.AMIs[0].ImageID
}

func (f *fleet) parameter() string {
	f.t.Helper()
	out, err := ssm.NewFromConfig(f.cfg).GetParameter(f.ctx, &ssm.GetParameterInput{Name: aws.String(rolloutParameter)})
	if err != nil {
		f.t.Fatalf("reading %s: %v", rolloutParameter, err)
	}
	return aws.ToString(out.Parameter.Value)
}

// createTargets makes the Auto Scaling group (launch template $Default, tagged for the
// cluster) and the EKS cluster with its managed node group (launch template version 1),
// both on the first AMI, and waits until they run their capacity.
func (f *fleet) createTargets() {
	t, ctx := f.t, f.ctx
	t.Helper()
	ec2c := ec2.NewFromConfig(f.cfg)
	subnets, err := ec2c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}}}})
	if err != nil || len(subnets.Subnets) < 3 {
		t.Fatalf("default subnets: %v (%d)", err, len(subnets.Subnets))
	}
	var subnetIDs []string
	for _, s := range subnets.Subnets[:3] {
		subnetIDs = append(subnetIDs, aws.ToString(s.SubnetId))
	}
	template := func(name string) string {
		out, err := ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
			LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(f.amis[0]), InstanceType: ec2types.InstanceTypeM6iLarge}})
		if err != nil {
			t.Fatalf("CreateLaunchTemplate %s: %v", name, err)
		}
		return aws.ToString(out.LaunchTemplate.LaunchTemplateId)
	}
	asgLT, ngLT := template(f.asgLT), template(f.ngLT)

	as := autoscaling.NewFromConfig(f.cfg)
	if _, err := as.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(f.asg),
		MinSize: aws.Int32(asgCapacity), MaxSize: aws.Int32(asgCapacity + 1), DesiredCapacity: aws.Int32(asgCapacity),
		LaunchTemplate:    &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(asgLT), Version: aws.String("$Default")},
		VPCZoneIdentifier: aws.String(strings.Join(subnetIDs, ",")),
		Tags: []astypes.Tag{{Key: aws.String("kubernetes.io/cluster/" + f.cluster), Value: aws.String("owned"), PropagateAtLaunch: aws.Bool(true)},
			{Key: aws.String("Name"), Value: aws.String("windows-asg"), PropagateAtLaunch: aws.Bool(true)}},
	}); err != nil {
		t.Fatalf("CreateAutoScalingGroup: %v", err)
	}

	ek := eks.NewFromConfig(f.cfg)
	account := "123456789012"
	if _, err := ek.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String(f.cluster), Version: aws.String("1.36"),
		RoleArn:            aws.String("arn:aws:iam::" + account + ":role/eks-cluster"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnetIDs}}); err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	f.waitFor("the EKS cluster ACTIVE", 2*time.Minute, func() (bool, string) {
		out, err := ek.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(f.cluster)})
		if err != nil {
			return false, err.Error()
		}
		return out.Cluster.Status == ekstypes.ClusterStatusActive, string(out.Cluster.Status)
	})
	if _, err := ek.CreateNodegroup(ctx, &eks.CreateNodegroupInput{ClusterName: aws.String(f.cluster), NodegroupName: aws.String(f.nodeGroup),
		NodeRole: aws.String("arn:aws:iam::" + account + ":role/eks-windows-node"), Subnets: subnetIDs,
		ScalingConfig:  &ekstypes.NodegroupScalingConfig{MinSize: aws.Int32(ngCapacity), MaxSize: aws.Int32(ngCapacity + 1), DesiredSize: aws.Int32(ngCapacity)},
		LaunchTemplate: &ekstypes.LaunchTemplateSpecification{Id: aws.String(ngLT), Version: aws.String("1")},
	}); err != nil {
		t.Fatalf("CreateNodegroup: %v", err)
	}
	f.waitFor("the node group ACTIVE", 2*time.Minute, func() (bool, string) {
		out, err := ek.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(f.cluster), NodegroupName: aws.String(f.nodeGroup)})
		if err != nil {
			return false, err.Error()
		}
		if out.Nodegroup.Resources != nil && len(out.Nodegroup.Resources.AutoScalingGroups) == 1 {
			f.ngASG = aws.ToString(out.Nodegroup.Resources.AutoScalingGroups[0].Name)
		}
		return out.Nodegroup.Status == ekstypes.NodegroupStatusActive, string(out.Nodegroup.Status)
	})
	f.waitFor("the Auto Scaling group's instances InService", 2*time.Minute, func() (bool, string) {
		g := f.group(f.asg)
		return len(g.Instances) == asgCapacity && inService(g) == asgCapacity, fmt.Sprintf("%d instances, %d InService", len(g.Instances), inService(g))
	})
}

func inService(g astypes.AutoScalingGroup) int {
	n := 0
	for _, in := range g.Instances {
		if in.LifecycleState == astypes.LifecycleStateInService {
			n++
		}
	}
	return n
}

func (f *fleet) group(name string) astypes.AutoScalingGroup {
	f.t.Helper()
	out, err := autoscaling.NewFromConfig(f.cfg).DescribeAutoScalingGroups(f.ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		f.t.Fatalf("describing group %s: %v", name, err)
	}
	return out.AutoScalingGroups[0]
}

// waitFor polls cond every 100 ms until it holds or timeout passes (then fails the test
// with cond's last word).
func (f *fleet) waitFor(what string, timeout time.Duration, cond func() (bool, string)) {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("waiting %s for %s: %s", timeout, what, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pace runs awsemu's clock at fast× until the test ends, except while the group's instance
// refresh waits at a checkpoint, when it runs at 1× (see shiftClock). It looks every 10 ms,
// so a pause loses about 10 ms × fast of its CheckpointDelay.
func (f *fleet) pace(fast float64) {
	as := autoscaling.NewFromConfig(f.cfg)
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	f.clock.SetScale(fast)
	go func() {
		defer close(done)
		scale := fast
		for ctx.Err() == nil {
			out, err := as.DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(f.asg)})
			want := fast
			if err == nil {
				for _, r := range out.InstanceRefreshes {
					if r.Status == astypes.InstanceRefreshStatusInProgress && strings.HasPrefix(aws.ToString(r.StatusReason), "Checkpoint ") {
						want = 1
					}
				}
			}
			if want != scale {
				f.clock.SetScale(want)
				scale = want
			}
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	f.t.Cleanup(func() { cancel(); <-done })
}

// startAgent runs the node agent for the cluster until the test ends.
func (f *fleet) startAgent() {
	f.t.Helper()
	a, err := NewNodeAgent(NodeAgentOptions{Cluster: f.cluster, Region: region, EC2: ec2.NewFromConfig(f.cfg), Kube: f.kube.Kube,
		ReadyAfter: 500 * time.Millisecond, Events: func(e AgentEvent) {
			f.mu.Lock()
			f.events = append(f.events, e)
			f.mu.Unlock()
		}})
	if err != nil {
		f.t.Fatal(err)
	}
	f.agent = a
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.Run(ctx, 200*time.Millisecond)
	}()
	f.t.Cleanup(func() { cancel(); <-done })
}

// start starts the node agent and waits until every instance of both targets is a
// Ready node on the first AMI, each attributed to its group (the Auto Scaling group, or
// the node group and its group).
func (f *fleet) start() {
	f.t.Helper()
	f.pace(10)
	f.startAgent()
	f.waitNodes(asgCapacity+ngCapacity, f.amis[0])
	f.mu.Lock()
	defer f.mu.Unlock()
	groups := map[string]int{}
	for _, e := range f.events {
		if e.Kind == "registered" {
			groups[e.AutoScalingGroup+"/"+e.NodeGroup]++
		}
	}
	want := map[string]int{f.asg + "/": asgCapacity, f.ngASG + "/" + f.nodeGroup: ngCapacity}
	if fmt.Sprint(groups) != fmt.Sprint(want) {
		f.t.Fatalf("registered nodes per group/node group = %v, want %v", groups, want)
	}
}

// fleetState is what a rollout may change, read with the SDK.
type fleetState struct {
	// ASGTemplate and NGTemplate are the launch templates' default and latest versions.
	ASGTemplate, NGTemplate [2]int64
	// ASGInstances and NGInstances map the groups' pending or running instances to their AMI.
	ASGInstances, NGInstances map[string]string
	// NGVersion is the launch template version the node group names.
	NGVersion        string
	Parameter        string
	ParameterVersion int64
	// Refreshes and NGUpdates count the instance refreshes of the group and the updates of
	// the node group.
	Refreshes, NGUpdates int
}

func (f *fleet) state() fleetState {
	f.t.Helper()
	ctx := f.ctx
	ec2c, ek := ec2.NewFromConfig(f.cfg), eks.NewFromConfig(f.cfg)
	var st fleetState
	lts, err := ec2c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{f.asgLT, f.ngLT}})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, lt := range lts.LaunchTemplates {
		v := [2]int64{aws.ToInt64(lt.DefaultVersionNumber), aws.ToInt64(lt.LatestVersionNumber)}
		if aws.ToString(lt.LaunchTemplateName) == f.asgLT {
			st.ASGTemplate = v
		} else {
			st.NGTemplate = v
		}
	}
	st.ASGInstances, st.NGInstances = f.instances(f.asg), f.instances(f.ngASG)
	ng, err := ek.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(f.cluster), NodegroupName: aws.String(f.nodeGroup)})
	if err != nil {
		f.t.Fatal(err)
	}
	st.NGVersion = aws.ToString(ng.Nodegroup.LaunchTemplate.Version)
	p, err := ssm.NewFromConfig(f.cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(rolloutParameter)})
	if err != nil {
		f.t.Fatal(err)
	}
	st.Parameter, st.ParameterVersion = aws.ToString(p.Parameter.Value), p.Parameter.Version
	refreshes, err := autoscaling.NewFromConfig(f.cfg).DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(f.asg)})
	if err != nil {
		f.t.Fatal(err)
	}
	st.Refreshes = len(refreshes.InstanceRefreshes)
	updates, err := ek.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String(f.cluster), NodegroupName: aws.String(f.nodeGroup)})
	if err != nil {
		f.t.Fatal(err)
	}
	st.NGUpdates = len(updates.UpdateIds)
	return st
}

// instances maps the pending or running instances of an Auto Scaling group to their AMI.
func (f *fleet) instances(group string) map[string]string {
	f.t.Helper()
	out, err := ec2.NewFromConfig(f.cfg).DescribeInstances(f.ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:aws:autoscaling:groupName"), Values: []string{group}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}}}})
	if err != nil {
		f.t.Fatal(err)
	}
	m := map[string]string{}
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			m[aws.ToString(in.InstanceId)] = aws.ToString(in.ImageId)
		}
	}
	return m
}

// amisOf lists the distinct AMIs of an instance map.
func amisOf(m map[string]string) []string {
	var out []string
	for _, ami := range m {
		if !slices.Contains(out, ami) {
			out = append(out, ami)
		}
	}
	slices.Sort(out)
	return out
}

// rolloutJSON is what `winami rollout -o json` prints.
type rolloutJSON struct {
	Plan struct {
		To       map[string]string `json:"to"`
		Previous map[string]string `json:"previous"`
		Targets  []struct {
			Kind     string `json:"kind"`
			Name     string `json:"name"`
			From     string `json:"from"`
			To       string `json:"to"`
			UpToDate bool   `json:"upToDate"`
			Capacity int    `json:"capacity"`
		} `json:"targets"`
	} `json:"plan"`
	Result *struct {
		Targets []struct {
			Kind              string `json:"kind"`
			Name              string `json:"name"`
			State             string `json:"state"`
			Replaced          int    `json:"replaced"`
			Total             int    `json:"total"`
			InstanceRefreshID string `json:"instanceRefreshId"`
			UpdateID          string `json:"updateId"`
		} `json:"targets"`
		Gate       string   `json:"gate"`
		RolledBack []string `json:"rolledBack"`
	} `json:"result"`
}

func (r rolloutJSON) targets() string {
	var out []string
	for _, t := range r.Plan.Targets {
		out = append(out, t.Kind+"/"+t.Name)
	}
	return strings.Join(out, " ")
}

func (r rolloutJSON) states() string {
	if r.Result == nil {
		return "no result"
	}
	var out []string
	for _, t := range r.Result.Targets {
		out = append(out, t.Kind+"/"+t.Name+"="+t.State)
	}
	return strings.Join(out, " ")
}

// rollout runs `winami rollout` against the sandbox and the API server, as the admin.
func (f *fleet) rollout(args ...string) (rolloutJSON, Result) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.ctx, 5*time.Minute)
	defer cancel()
	all := []string{"rollout", "-f", f.spec, "--cluster", f.cluster, "--kubeconfig", f.kube.Kubeconfig, "--context", AdminContext, "-o", "json"}
	if !slices.Contains(args, "--poll-interval") {
		all = append(all, "--poll-interval", "500ms")
	}
	all = append(all, args...)
	res, err := Run(ctx, winamiBin, f.env, all...)
	if err != nil {
		f.t.Fatal(err)
	}
	var out rolloutJSON
	if len(res.Stdout) > 0 {
		if err := json.Unmarshal(res.Stdout, &out); err != nil {
			f.t.Fatalf("winami %v: exit %d, stdout is not JSON (%v)\nstdout: %s\nstderr: %s", all, res.ExitCode, err, res.Stdout, res.Stderr)
		}
	}
	f.t.Logf("winami %s: exit %d\n%s", strings.Join(args, " "), res.ExitCode, res.Stderr)
	return out, res
}

// awsCLI runs the AWS CLI against the sandbox and decodes its JSON output into v.
func (f *fleet) awsCLI(v any, args ...string) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.ctx, time.Minute)
	defer cancel()
	res, err := Run(ctx, "aws", append(f.env, "AWS_DEFAULT_REGION="+region), append(args, "--output", "json")...)
	if err != nil || res.ExitCode != 0 {
		f.t.Fatalf("aws %v: exit %d, %v\n%s", args, res.ExitCode, err, res.Stderr)
	}
	if err := json.Unmarshal(res.Stdout, v); err != nil {
		f.t.Fatalf("aws %v: %v\n%s", args, err, res.Stdout)
	}
}

// cliView is what the AWS CLI shows of a target: the AMI of its launch template's default
// version (asg) or of the version the node group names, and the AMIs its running
// instances run.
func (f *fleet) cliView(template, version, group string) (templateAMI string, instanceAMIs []string) {
	f.t.Helper()
	var lt struct {
		LaunchTemplateVersions []struct {
			LaunchTemplateData struct{ ImageId string }
		}
	}
	f.awsCLI(&lt, "ec2", "describe-launch-template-versions", "--launch-template-name", template, "--versions", version)
	if len(lt.LaunchTemplateVersions) != 1 {
		f.t.Fatalf("aws ec2 describe-launch-template-versions %s %s: %d versions", template, version, len(lt.LaunchTemplateVersions))
	}
	var in struct {
		Reservations []struct{ Instances []struct{ ImageId string } }
	}
	f.awsCLI(&in, "ec2", "describe-instances", "--filters", "Name=tag:aws:autoscaling:groupName,Values="+group, "Name=instance-state-name,Values=running")
	for _, r := range in.Reservations {
		for _, i := range r.Instances {
			if !slices.Contains(instanceAMIs, i.ImageId) {
				instanceAMIs = append(instanceAMIs, i.ImageId)
			}
		}
	}
	slices.Sort(instanceAMIs)
	return lt.LaunchTemplateVersions[0].LaunchTemplateData.ImageId, instanceAMIs
}

// waitNodes waits until the agent's nodes are n Ready nodes on ami, the instances that
// ended gone.
func (f *fleet) waitNodes(n int, ami string) {
	f.t.Helper()
	f.waitFor(fmt.Sprintf("%d Ready nodes on %s", n, ami), 2*time.Minute, func() (bool, string) {
		nodes, err := AgentNodes(f.ctx, f.kube.Kube, f.cluster)
		if err != nil {
			return false, err.Error()
		}
		var states []string
		ok := len(nodes) == n
		for _, nd := range nodes {
			c := readyCondition(&nd)
			img := f.imageOf(nd)
			states = append(states, nd.Name+"="+img)
			if c == nil || c.Status != "True" || img != ami {
				ok = false
			}
		}
		return ok, strings.Join(states, " ")
	})
}

// imageOf is the AMI of a node's instance, from the agent's events.
func (f *fleet) imageOf(n corev1.Node) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.events {
		if e.Node == n.Name && e.Kind == "registered" {
			return e.ImageID
		}
	}
	return ""
}

// registrations lists the agent's node registrations on ami, in order, as "asg" or
// "node-group".
func (f *fleet) registrations(ami string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, e := range f.events {
		if e.Kind != "registered" || e.ImageID != ami {
			continue
		}
		if e.NodeGroup != "" {
			out = append(out, "node-group")
		} else {
			out = append(out, "asg")
		}
	}
	return out
}

// TestRolloutMovesBothCanaryFirst is the issue's "Done when", first half: `winami rollout
// --yes` moves the Auto Scaling group (the canary's target) and then the managed node
// group to the second AMI; the AWS CLI shows the templates and the instances on it; the
// audit is clean; a second run has nothing to do.
func TestRolloutMovesBothCanaryFirst(t *testing.T) {
	f := newFleet(t)
	f.start()
	first, second := f.amis[0], f.amis[1]

	out, res := f.rollout("--yes", "--canary", "1", "--max-unavailable", "50%", "--gate-timeout", "30s")
	if res.ExitCode != 0 {
		t.Fatalf("rollout --yes: exit %d, %s\n%s", res.ExitCode, out.states(), res.Stderr)
	}
	if got, want := out.targets(), "auto-scaling-group/"+f.asg+" node-group/"+f.nodeGroup; got != want {
		t.Errorf("targets %s, want %s (the group, the canary's target, first)", got, want)
	}
	if got := out.states(); got != "auto-scaling-group/"+f.asg+"=moved node-group/"+f.nodeGroup+"=moved" {
		t.Errorf("result %s", got)
	}
	// Through the AWS CLI: both templates launch the second AMI and every instance runs it.
	st := f.state()
	if lt, amis := f.cliView(f.asgLT, "$Default", f.asg); lt != second || !slices.Equal(amis, []string{second}) {
		t.Errorf("the group: template $Default on %s, instances on %v; want %s", lt, amis, second)
	}
	if lt, amis := f.cliView(f.ngLT, st.NGVersion, f.ngASG); lt != second || !slices.Equal(amis, []string{second}) {
		t.Errorf("the node group: template version %s on %s, instances on %v; want %s", st.NGVersion, lt, amis, second)
	}
	if len(st.ASGInstances) != asgCapacity || len(st.NGInstances) != ngCapacity || st.Parameter != second {
		t.Errorf("after the rollout: %+v", st)
	}
	// Canary first: the first node on the second AMI is the group's, and the node group's
	// come only after every one of the group's.
	f.waitNodes(asgCapacity+ngCapacity, second)
	regs := f.registrations(second)
	want := append(slices.Repeat([]string{"asg"}, asgCapacity), slices.Repeat([]string{"node-group"}, ngCapacity)...)
	if !slices.Equal(regs, want) {
		t.Errorf("nodes on the second AMI registered in the order %v, want %v", regs, want)
	}
	if regs := f.registrations(first); len(regs) != asgCapacity+ngCapacity {
		t.Errorf("nodes on the first AMI registered: %v, want only the %d of the start", regs, asgCapacity+ngCapacity)
	}
	// The canary's refresh (a checkpoint) was cancelled once the canary passed its gate,
	// and a refresh of the rest (no checkpoint, skip matching) ended the move.
	var refreshes struct {
		InstanceRefreshes []struct {
			Status      string
			Preferences struct {
				CheckpointPercentages []int
				SkipMatching          bool
			}
		}
	}
	f.awsCLI(&refreshes, "autoscaling", "describe-instance-refreshes", "--auto-scaling-group-name", f.asg)
	if irs := refreshes.InstanceRefreshes; len(irs) != 2 || irs[0].Status != "Successful" || len(irs[0].Preferences.CheckpointPercentages) != 0 ||
		!irs[0].Preferences.SkipMatching || irs[1].Status != "Cancelled" || len(irs[1].Preferences.CheckpointPercentages) != 2 {
		t.Errorf("instance refreshes (newest first): %+v, want the canary's (a checkpoint) Cancelled, then the rest's (skip matching) Successful", irs)
	}

	// The walkthrough's last step: a clean audit of the spec.
	ares, err := Run(f.ctx, winamiBin, f.env, "audit", "-f", f.spec, "--kubeconfig", f.kube.Kubeconfig, "--context", AuditContext)
	if err != nil || ares.ExitCode != 0 || !strings.Contains(string(ares.Stdout), "No findings") {
		t.Errorf("audit after the rollout: exit %d, %v\n%s%s", ares.ExitCode, err, ares.Stdout, ares.Stderr)
	}
	// Again: nothing to do, nothing changed.
	before := f.state()
	_, res = f.rollout("--yes")
	if res.ExitCode != 0 || !strings.Contains(string(res.Stderr), "nothing to do") {
		t.Errorf("second rollout: exit %d\n%s", res.ExitCode, res.Stderr)
	}
	if after := f.state(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the second rollout changed\n%+v\ninto\n%+v", before, after)
	}
}

// TestRolloutGateFailsRollsBack is the "Done when", second half: --dry-run changes
// nothing; with the node agent failing readiness on nodes of the new AMI, rollout stops
// after the canary (the node group never moves) and rolls back: the group's instances,
// its launch template default version and the parameter are back on the first AMI.
func TestRolloutGateFailsRollsBack(t *testing.T) {
	f := newFleet(t)
	f.start()
	first, second := f.amis[0], f.amis[1]
	before := f.state()

	out, res := f.rollout("--dry-run")
	if res.ExitCode != 0 || out.Result != nil {
		t.Fatalf("--dry-run: exit %d, result %v\n%s", res.ExitCode, out.Result, res.Stderr)
	}
	if got, want := out.targets(), "auto-scaling-group/"+f.asg+" node-group/"+f.nodeGroup; got != want {
		t.Errorf("plan targets %s, want %s", got, want)
	}
	if out.Plan.To[region] != second || out.Plan.Previous[region] != first {
		t.Errorf("plan To %v Previous %v, want %s and %s", out.Plan.To, out.Plan.Previous, second, first)
	}
	if after := f.state(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("--dry-run changed\n%+v\ninto\n%+v", before, after)
	}

	f.agent.SetFailReadiness([]string{second}, false)
	// --poll-interval 1s: the refresh pauses GateTimeout + 2 polls at the canary's
	// checkpoint, and the gate starts up to a poll after the checkpoint and fails up to a
	// poll after its deadline: what is left is the margin before the refresh would go on.
	out, res = f.rollout("--yes", "--canary", "1", "--max-unavailable", "50%", "--gate-timeout", "15s", "--poll-interval", "1s")
	if res.ExitCode != 1 {
		t.Fatalf("rollout with failing nodes: exit %d, want 1\n%s", res.ExitCode, res.Stderr)
	}
	if out.Result == nil || out.Result.Gate == "" || len(out.Result.RolledBack) == 0 {
		t.Fatalf("result %+v: want the failed gate and the rollback's steps", out.Result)
	}
	t.Logf("gate: %s\nrolled back: %s", out.Result.Gate, strings.Join(out.Result.RolledBack, "\n"))
	// Stopped after the canary: one node of the group on the second AMI, none of the node
	// group; the node group untouched.
	if regs := f.registrations(second); !slices.Equal(regs, []string{"asg"}) {
		t.Errorf("nodes on the second AMI: %v, want the canary only", regs)
	}
	// Rolled back: the group's instances, its template's default version and the parameter
	// on the first AMI (the rollback's refresh may still be replacing the canary).
	f.waitFor("the group back on the first AMI", 2*time.Minute, func() (bool, string) {
		m := f.instances(f.asg)
		return len(m) == asgCapacity && slices.Equal(amisOf(m), []string{first}), fmt.Sprint(m)
	})
	after := f.state()
	if after.ASGTemplate[0] != before.ASGTemplate[0] || after.Parameter != first || after.NGVersion != before.NGVersion ||
		after.NGTemplate != before.NGTemplate || after.NGUpdates != before.NGUpdates || fmt.Sprint(after.NGInstances) != fmt.Sprint(before.NGInstances) {
		t.Errorf("after the rollback\n%+v\nbefore\n%+v", after, before)
	}
	if lt, amis := f.cliView(f.asgLT, "$Default", f.asg); lt != first || !slices.Equal(amis, []string{first}) {
		t.Errorf("the AWS CLI shows the group's template $Default on %s, instances on %v; want %s", lt, amis, first)
	}
	var p struct{ Parameter struct{ Value string } }
	f.awsCLI(&p, "ssm", "get-parameter", "--name", rolloutParameter)
	if p.Parameter.Value != first {
		t.Errorf("the AWS CLI shows %s = %s, want %s", rolloutParameter, p.Parameter.Value, first)
	}
	// And the cluster is whole again: every node Ready on the first AMI, the canary's gone.
	f.waitNodes(asgCapacity+ngCapacity, first)
}
