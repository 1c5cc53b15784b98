package rollout_test

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/rollout"
)

const (
	region = "us-east-1"
	spec   = "prod-win2022"
	param  = "/winami/prod-win2022/image_id"
	poll   = 15 * time.Second
)

// world is an awsemu endpoint on a manual clock with two AMIs of the spec (ami1 published
// first, then ami2) and, with a Kubernetes gate, a fake cluster whose nodes a stand-in
// agent registers for the running instances each time Run sleeps.
type world struct {
	t       *testing.T
	clock   *awsemu.ManualClock
	ec2     *ec2.Client
	as      *autoscaling.Client
	ssm     *ssm.Client
	clients *awsapi.Clients
	ami1    string
	ami2    string

	kube *fake.Clientset
	// failAMI: nodes of instances on this AMI never turn Ready; failPodsAMI: their
	// nodes do, their pods do not; kubelet: the kubelet the nodes of an AMI report
	// (v1.31.4-eks-abcdef0 when absent).
	failAMI     string
	failPodsAMI string
	kubelet     map[string]string
	// maxOn is, per AMI, the most instances of the watched group that ran it at once
	// (InService or Pending), as seen each time Run slept.
	mu     sync.Mutex
	watch  string
	maxOn  map[string]int
	onStep func()
	steps  int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	cfg := awstest.SDKConfig(srv.URL(), region)
	urls.Store(t, srv.URL())
	w := &world{t: t, clock: clock, ec2: ec2.NewFromConfig(cfg), as: autoscaling.NewFromConfig(cfg), ssm: ssm.NewFromConfig(cfg),
		clients: awsapi.FromConfig(cfg), maxOn: map[string]int{}}
	rel := seed.Releases[len(seed.Releases)-1]
	public := seed.ImageID(region, catalog.EKSOptimizedAMIName("2022", catalog.Core, "1.31", rel.Format("2006.01.02")))
	inst := w.run(public)
	w.ami1 = w.image(inst, 1)
	w.ami2 = w.image(inst, 2)
	w.terminate(inst)
	w.publish(w.ami1)
	w.publish(w.ami2)
	return w
}

func (w *world) ctx() context.Context { return context.Background() }

// urls remembers each test's endpoint, for the clients of other services.
var urls sync.Map

func awsConfig(t *testing.T) aws.Config {
	u, _ := urls.Load(t)
	return awstest.SDKConfig(u.(string), region)
}

func (w *world) run(ami string) string {
	w.t.Helper()
	out, err := w.ec2.RunInstances(w.ctx(), &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: ec2types.InstanceTypeM6iLarge})
	if err != nil {
		w.t.Fatalf("RunInstances %s: %v", ami, err)
	}
	return aws.ToString(out.Instances[0].InstanceId)
}

func (w *world) terminate(id string) {
	w.t.Helper()
	if _, err := w.ec2.TerminateInstances(w.ctx(), &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) image(inst string, n int) string {
	w.t.Helper()
	w.clock.Advance(24 * time.Hour)
	out, err := w.ec2.CreateImage(w.ctx(), &ec2.CreateImageInput{InstanceId: aws.String(inst), Name: aws.String(fmt.Sprintf("%s-%d", spec, n)),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeImage, Tags: []ec2types.Tag{{Key: aws.String("winami:name"), Value: aws.String(spec)}}}}})
	if err != nil {
		w.t.Fatalf("CreateImage: %v", err)
	}
	return aws.ToString(out.ImageId)
}

func (w *world) publish(ami string) {
	w.t.Helper()
	if _, err := w.ssm.PutParameter(w.ctx(), &ssm.PutParameterInput{Name: aws.String(param), Value: aws.String(ami), Type: ssmtypes.ParameterTypeString,
		DataType: aws.String("aws:ec2:image"), Overwrite: aws.Bool(true)}); err != nil {
		w.t.Fatalf("PutParameter: %v", err)
	}
}

func (w *world) parameter() string {
	w.t.Helper()
	out, err := w.ssm.GetParameter(w.ctx(), &ssm.GetParameterInput{Name: aws.String(param)})
	if err != nil {
		w.t.Fatal(err)
	}
	return aws.ToString(out.Parameter.Value)
}

// template creates a launch template launching imageRef.
func (w *world) template(name, imageRef string) string {
	w.t.Helper()
	out, err := w.ec2.CreateLaunchTemplate(w.ctx(), &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(imageRef), InstanceType: ec2types.InstanceTypeM6iLarge}})
	if err != nil {
		w.t.Fatalf("CreateLaunchTemplate: %v", err)
	}
	return aws.ToString(out.LaunchTemplate.LaunchTemplateId)
}

// group creates an Auto Scaling group of n instances on the template's version and waits
// until they are in service.
func (w *world) group(name, templateID, version string, n int32) {
	w.t.Helper()
	_, err := w.as.CreateAutoScalingGroup(w.ctx(), &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(name), MinSize: aws.Int32(0), MaxSize: aws.Int32(n * 2), DesiredCapacity: aws.Int32(n),
		AvailabilityZones: []string{region + "a", region + "b"},
		LaunchTemplate:    &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(templateID), Version: aws.String(version)},
	})
	if err != nil {
		w.t.Fatalf("CreateAutoScalingGroup: %v", err)
	}
	for i := 0; ; i++ {
		if len(w.inService(name)) == int(n) {
			return
		}
		if i > 100 {
			w.t.Fatalf("group %s never had %d instances in service", name, n)
		}
		w.clock.Advance(poll)
	}
}

func (w *world) describeGroup(name string) astypes.AutoScalingGroup {
	w.t.Helper()
	out, err := w.as.DescribeAutoScalingGroups(w.ctx(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		w.t.Fatalf("DescribeAutoScalingGroups %s: %v", name, err)
	}
	return out.AutoScalingGroups[0]
}

func (w *world) inService(name string) []string {
	var ids []string
	for _, i := range w.describeGroup(name).Instances {
		if i.LifecycleState == astypes.LifecycleStateInService {
			ids = append(ids, aws.ToString(i.InstanceId))
		}
	}
	return ids
}

// amis counts the group's live instances by the AMI they run.
func (w *world) amis(name string) map[string]int {
	w.t.Helper()
	var ids []string
	for _, i := range w.describeGroup(name).Instances {
		switch i.LifecycleState {
		case astypes.LifecycleStateInService, astypes.LifecycleStatePending:
			ids = append(ids, aws.ToString(i.InstanceId))
		}
	}
	out := map[string]int{}
	if len(ids) == 0 {
		return out
	}
	res, err := w.ec2.DescribeInstances(w.ctx(), &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, r := range res.Reservations {
		for _, i := range r.Instances {
			out[aws.ToString(i.ImageId)]++
		}
	}
	return out
}

func (w *world) defaultVersion(templateID string) int64 {
	w.t.Helper()
	out, err := w.ec2.DescribeLaunchTemplates(w.ctx(), &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{templateID}})
	if err != nil {
		w.t.Fatal(err)
	}
	return aws.ToInt64(out.LaunchTemplates[0].DefaultVersionNumber)
}

func (w *world) refreshes(name string) []astypes.InstanceRefresh {
	w.t.Helper()
	out, err := w.as.DescribeInstanceRefreshes(w.ctx(), &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(name)})
	if err != nil {
		w.t.Fatal(err)
	}
	return out.InstanceRefreshes
}

// withKube gives the world a fake cluster (API server v1.31) whose agent registers a Ready
// Windows node and a Running, Ready pod per running instance (not Ready on failAMI).
func (w *world) withKube() rollout.Kube {
	w.kube = fake.NewSimpleClientset()
	w.kube.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: "v1.31.4-eks-abcdef0", Major: "1", Minor: "31"}
	return rollout.Kube{Client: w.kube, Discovery: w.kube.Discovery()}
}

// syncNodes is the stand-in kubelet: a node per running instance, none for the others.
func (w *world) syncNodes() {
	w.t.Helper()
	ctx := w.ctx()
	out, err := w.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			id := aws.ToString(i.InstanceId)
			running := i.State != nil && i.State.Name == ec2types.InstanceStateNameRunning
			if !running {
				_ = w.kube.CoreV1().Nodes().Delete(ctx, id, metav1.DeleteOptions{})
				_ = w.kube.CoreV1().Pods("kube-system").Delete(ctx, "agent-"+id, metav1.DeleteOptions{})
				continue
			}
			ready, podReady := corev1.ConditionTrue, corev1.ConditionTrue
			if aws.ToString(i.ImageId) == w.failAMI {
				ready, podReady = corev1.ConditionFalse, corev1.ConditionFalse
			}
			if aws.ToString(i.ImageId) == w.failPodsAMI {
				podReady = corev1.ConditionFalse
			}
			kubelet := w.kubelet[aws.ToString(i.ImageId)]
			if kubelet == "" {
				kubelet = "v1.31.4-eks-abcdef0"
			}
			node := &corev1.Node{
				ObjectMeta: metav1.ObjectMeta{Name: id, Labels: map[string]string{"kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": "10.0.20348"}},
				Spec:       corev1.NodeSpec{ProviderID: "aws:///" + aws.ToString(i.Placement.AvailabilityZone) + "/" + id},
				Status: corev1.NodeStatus{
					NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: kubelet, KernelVersion: "10.0.20348.2700"},
					Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}},
				},
			}
			if _, err := w.kube.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
				if _, err := w.kube.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil {
					w.t.Fatal(err)
				}
			} else if err != nil {
				w.t.Fatal(err)
			}
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "agent-" + id, Namespace: "kube-system"},
				Spec:       corev1.PodSpec{NodeName: id},
				Status:     corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: podReady}}},
			}
			if _, err := w.kube.CoreV1().Pods("kube-system").Create(ctx, pod, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
				_, _ = w.kube.CoreV1().Pods("kube-system").Update(ctx, pod, metav1.UpdateOptions{})
			}
		}
	}
}

// sleep is Run's Sleep: the clock moves, the agent syncs, the watched group is observed.
func (w *world) sleep(ctx context.Context, d time.Duration) error {
	w.clock.Advance(d)
	w.steps++
	if w.steps > 5000 {
		return errors.New("test: too many polls")
	}
	if w.kube != nil {
		w.syncNodes()
	}
	if w.watch != "" {
		w.mu.Lock()
		for ami, n := range w.amis(w.watch) {
			w.maxOn[ami] = max(w.maxOn[ami], n)
		}
		w.mu.Unlock()
	}
	if w.onStep != nil {
		w.onStep()
	}
	return ctx.Err()
}

// options are Run's options on the world's clock; lines collects the progress.
func (w *world) options(kube rollout.Kube, lines *[]string) rollout.RunOptions {
	return rollout.RunOptions{
		AWS: w.clients, Kube: kube, Poll: poll, GateTimeout: 10 * time.Minute, Timeout: 6 * time.Hour, Kubernetes: "1.31",
		Now: w.clock.Now, Sleep: w.sleep,
		Progress: func(format string, args ...any) {
			line := fmt.Sprintf(format, args...)
			*lines = append(*lines, line)
			w.t.Log(line)
		},
	}
}

// groupPlan is the plan Discover makes for one group on ami1 moving to ami2.
func (w *world) groupPlan(name, templateID, version string, capacity int, canary rollout.Canary) *rollout.Plan {
	return &rollout.Plan{
		Spec: spec, Parameter: param, To: map[string]string{region: w.ami2}, ToSource: "ssm:" + param,
		Previous: map[string]string{region: w.ami1}, Canary: canary, MaxUnavailablePercent: 25,
		Targets: []rollout.Target{{
			Kind: rollout.KindAutoScalingGroup, Name: name, Region: region, AutoScalingGroups: []string{name},
			LaunchTemplate: &rollout.LaunchTemplate{ID: templateID, Version: version, Number: 1, DefaultVersion: 1, ImageRef: w.ami1},
			Capacity:       capacity, From: w.ami1, Running: []string{w.ami1}, To: w.ami2, Change: "new launch template version, instance refresh",
		}},
	}
}

// winGroup is the Auto Scaling group win-asg of n instances on version of the launch
// template win-nodes (lt), which the tests of Run move from ami1 to ami2.
type winGroup struct {
	w       *world
	lt      string
	version string
	n       int32
}

// winGroup creates the template win-nodes launching imageRef and the group win-asg of n
// instances on its version, and waits until they are in service.
func (w *world) winGroup(imageRef, version string, n int32) *winGroup {
	w.t.Helper()
	lt := w.template("win-nodes", imageRef)
	w.group("win-asg", lt, version, n)
	return &winGroup{w: w, lt: lt, version: version, n: n}
}

// plan is the plan Discover makes for the group, moving it with canary.
func (g *winGroup) plan(canary rollout.Canary) *rollout.Plan {
	return g.w.groupPlan("win-asg", g.lt, g.version, int(g.n), canary)
}

// run runs the group's plan with canary and opts.
func (g *winGroup) run(ctx context.Context, canary rollout.Canary, opts rollout.RunOptions) (*rollout.Result, error) {
	return rollout.Run(ctx, g.plan(canary), opts)
}

// interrupt runs the group's plan with canary and opts and, once cut holds
// when Run sleeps, cancels Run's context as a Ctrl-C would; it returns what Run returns.
func (g *winGroup) interrupt(canary rollout.Canary, opts rollout.RunOptions, cut func() bool) (*rollout.Result, error) {
	ctx, cancel := context.WithCancel(g.w.ctx())
	defer cancel()
	g.w.onStep = func() {
		if cut() {
			cancel()
		}
	}
	defer func() { g.w.onStep = nil }()
	return g.run(ctx, canary, opts)
}

// runEndingCheckpointEarly runs the group's plan with a canary of 1 and opts, which must
// succeed well before the canary's checkpoint delay (the gate timeout plus two polls:
// 630 s) passes on the emulator's clock: the gate passing ended the checkpoint early.
func (g *winGroup) runEndingCheckpointEarly(opts rollout.RunOptions) *rollout.Result {
	w := g.w
	w.t.Helper()
	start := w.clock.Now()
	res, err := g.run(w.ctx(), rollout.Canary{Count: 1}, opts)
	if err != nil {
		w.t.Fatalf("Run: %v", err)
	}
	if took, delay := w.clock.Now().Sub(start), opts.GateTimeout+2*poll; took >= delay/2 {
		w.t.Errorf("the move took %s on the emulator's clock; the canary's checkpoint delay is %s: the checkpoint was waited out", took, delay)
	}
	return res
}

func hasLine(lines []string, substr string) bool {
	return slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, substr) })
}

// A $Default group moves canary first: a new template version with ami2 becomes the
// default, the refresh pauses at the canary's checkpoint (25% of 4) while the gate runs;
// the gate passing ends the checkpoint early (that refresh cancelled, a second one without
// checkpoints skipping the canary), long before the checkpoint's delay; then every
// instance runs ami2.
func TestRunMovesDefaultVersionGroupCanaryFirst(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "$Default", 4)
	var lines []string
	opts := w.options(w.withKube(), &lines)
	res := g.runEndingCheckpointEarly(opts)
	if got := w.amis("win-asg"); got[w.ami2] != 4 || len(got) != 1 {
		t.Errorf("instances by AMI = %v, want 4 on %s", got, w.ami2)
	}
	if got := w.defaultVersion(g.lt); got != 2 {
		t.Errorf("default version = %d, want 2 (the new version)", got)
	}
	tr := res.Targets[0]
	if tr.State != rollout.StateMoved || tr.Replaced != 4 || tr.Total != 4 || tr.LaunchTemplateVersion != 2 || tr.InstanceRefreshID == "" {
		t.Errorf("target result = %+v", tr)
	}
	irs := w.refreshes("win-asg") // newest first
	if len(irs) != 2 {
		t.Fatalf("%d instance refreshes, want 2 (the canary's, cancelled at its checkpoint, then the rest)", len(irs))
	}
	p := irs[1].Preferences
	if irs[1].Status != astypes.InstanceRefreshStatusCancelled || p == nil || !slices.Equal(p.CheckpointPercentages, []int32{25, 100}) ||
		aws.ToInt32(p.MinHealthyPercentage) != 75 || !aws.ToBool(p.SkipMatching) {
		t.Errorf("first refresh %s, preferences %+v, want Cancelled, checkpoints [25 100], min healthy 75, skip matching", irs[1].Status, p)
	}
	p = irs[0].Preferences
	if irs[0].Status != astypes.InstanceRefreshStatusSuccessful || p == nil || len(p.CheckpointPercentages) != 0 ||
		aws.ToInt32(p.MinHealthyPercentage) != 75 || !aws.ToBool(p.SkipMatching) {
		t.Errorf("second refresh %s, preferences %+v, want Successful, no checkpoints, min healthy 75, skip matching", irs[0].Status, p)
	}
	if irs[0].DesiredConfiguration != nil || irs[1].DesiredConfiguration != nil {
		t.Errorf("a $Default group's refresh carries a desired configuration: %+v %+v", irs[0].DesiredConfiguration, irs[1].DesiredConfiguration)
	}
	if tr.InstanceRefreshID != aws.ToString(irs[0].InstanceRefreshId) {
		t.Errorf("result's instance refresh %s, want the second one %s", tr.InstanceRefreshID, aws.ToString(irs[0].InstanceRefreshId))
	}
	if !hasLine(lines, "the canary passed the gate: ending the checkpoint early (CancelInstanceRefresh, then a refresh of the rest, skipping matching instances)") {
		t.Errorf("progress does not say the checkpoint ends early:\n%s", strings.Join(lines, "\n"))
	}
	if !hasLine(lines, "gate (the canary) passed: 1 new instances") || !hasLine(lines, "gate (the group) passed: 4 new instances") {
		t.Errorf("progress lacks the canary's and the group's gates:\n%s", strings.Join(lines, "\n"))
	}
	if w.parameter() != w.ami2 || len(res.RolledBack) != 0 || res.Gate != "" {
		t.Errorf("parameter %s, rolled back %v, gate %q", w.parameter(), res.RolledBack, res.Gate)
	}
}

// With new nodes failing readiness, the rollout stops at the canary and rolls back: the
// refresh cancelled (a $Default group's refresh has no desired configuration, so
// RollbackInstanceRefresh is not possible), the default version back to 1, a refresh back,
// every instance on ami1, the parameter back on ami1. At most the canary ran ami2.
func TestRunRollsBackDefaultVersionGroupWhenCanaryGateFails(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "$Default", 4)
	w.failAMI, w.watch = w.ami2, "win-asg"
	var lines []string
	res, err := g.run(w.ctx(), rollout.Canary{Count: 1}, w.options(w.withKube(), &lines))
	if !errors.Is(err, rollout.ErrGate) {
		t.Fatalf("Run error = %v, want ErrGate", err)
	}
	if !strings.Contains(res.Gate, "node-not-ready") || !strings.Contains(res.Gate, "the canary") {
		t.Errorf("Gate = %q, want the canary's node-not-ready", res.Gate)
	}
	if got := w.amis("win-asg"); got[w.ami1] != 4 || len(got) != 1 {
		t.Errorf("instances by AMI after the rollback = %v, want 4 on %s", got, w.ami1)
	}
	if got := w.defaultVersion(g.lt); got != 1 {
		t.Errorf("default version = %d, want 1 again", got)
	}
	if w.parameter() != w.ami1 {
		t.Errorf("parameter = %s, want %s again", w.parameter(), w.ami1)
	}
	if w.maxOn[w.ami2] > 1 {
		t.Errorf("%d instances ran %s at once; the canary is 1", w.maxOn[w.ami2], w.ami2)
	}
	if res.Targets[0].State != rollout.StateRolledBack {
		t.Errorf("state = %s, want rolled-back", res.Targets[0].State)
	}
	want := []string{"parameter " + param, "CancelInstanceRefresh", "default version back to 1", "instances back on " + w.ami1}
	for _, s := range want {
		if !slices.ContainsFunc(res.RolledBack, func(l string) bool { return strings.Contains(l, s) }) {
			t.Errorf("RolledBack lacks %q: %q", s, res.RolledBack)
		}
	}
}

// A group that names a version number moves through the refresh's desired configuration,
// so a failed gate rolls back with RollbackInstanceRefresh, and the group still names
// version 1.
func TestRunRollsBackNumberedGroupWithRollbackInstanceRefresh(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "1", 4)
	w.failAMI = w.ami2
	var lines []string
	res, err := g.run(w.ctx(), rollout.Canary{Count: 1}, w.options(w.withKube(), &lines))
	if !errors.Is(err, rollout.ErrGate) {
		t.Fatalf("Run error = %v, want ErrGate", err)
	}
	irs := w.refreshes("win-asg")
	if len(irs) != 1 || irs[0].DesiredConfiguration == nil || irs[0].Status != astypes.InstanceRefreshStatusRollbackSuccessful {
		t.Fatalf("refreshes = %+v, want one with a desired configuration, RollbackSuccessful", irs)
	}
	if v := aws.ToString(irs[0].DesiredConfiguration.LaunchTemplate.Version); v != "2" {
		t.Errorf("desired version = %s, want 2", v)
	}
	if v := aws.ToString(w.describeGroup("win-asg").LaunchTemplate.Version); v != "1" {
		t.Errorf("group version = %s, want 1", v)
	}
	if got := w.amis("win-asg"); got[w.ami1] != 4 || len(got) != 1 {
		t.Errorf("instances by AMI = %v, want 4 on %s", got, w.ami1)
	}
	if !slices.ContainsFunc(res.RolledBack, func(l string) bool { return strings.Contains(l, "RollbackInstanceRefresh") }) {
		t.Errorf("RolledBack = %q, want RollbackInstanceRefresh", res.RolledBack)
	}
}

// A numbered group that passes its gates ends on the new version (written by Auto Scaling
// from the desired configuration), without an UpdateAutoScalingGroup.
func TestRunMovesNumberedGroupThroughDesiredConfiguration(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "1", 3)
	var lines []string
	res, err := g.run(w.ctx(), rollout.Canary{}, w.options(rollout.Kube{}, &lines))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if v := aws.ToString(w.describeGroup("win-asg").LaunchTemplate.Version); v != "2" {
		t.Errorf("group version = %s, want 2", v)
	}
	if got := w.defaultVersion(g.lt); got != 1 {
		t.Errorf("default version = %d, want 1 (a numbered group's template default is not touched)", got)
	}
	if got := w.amis("win-asg"); got[w.ami2] != 3 || len(got) != 1 {
		t.Errorf("instances by AMI = %v", got)
	}
	if !hasLine(lines, "no kubeconfig: the gates check EC2 and Auto Scaling health only") || !hasLine(lines, "EC2 and Auto Scaling health only") {
		t.Errorf("progress does not say the gate is EC2/Auto Scaling health only:\n%s", strings.Join(lines, "\n"))
	}
	if res.Targets[0].State != rollout.StateMoved {
		t.Errorf("state = %s", res.Targets[0].State)
	}
}

// Re-run safety: a refresh toward ami2 already under way (a previous run that died) is
// followed, not started again, and the version it made is reused; a second Run finds the
// target up to date (as Discover then says) and changes nothing.
func TestRunResumesRefreshInProgress(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "$Default", 2)
	var lines []string
	opts := w.options(rollout.Kube{}, &lines)
	opts.NoRollback = true
	opts.Interrupted = func() bool { t.Error("asked whether to roll back with --no-rollback"); return true }
	// Ctrl-C once the refresh started.
	_, err := g.interrupt(rollout.Canary{}, opts, func() bool { return len(w.refreshes("win-asg")) == 1 })
	if !errors.Is(err, rollout.ErrInterrupted) {
		t.Fatalf("first Run error = %v, want ErrInterrupted", err)
	}
	if irs := w.refreshes("win-asg"); len(irs) != 1 || irs[0].Status != astypes.InstanceRefreshStatusInProgress && irs[0].Status != astypes.InstanceRefreshStatusPending {
		t.Fatalf("after the interrupted run: refreshes %+v, want one in progress", irs)
	}
	lines = nil
	res, err := g.run(w.ctx(), rollout.Canary{}, w.options(rollout.Kube{}, &lines))
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if irs := w.refreshes("win-asg"); len(irs) != 1 {
		t.Errorf("%d refreshes, want the first one followed", len(irs))
	}
	if !hasLine(lines, "following instance refresh") {
		t.Errorf("progress does not say it follows the refresh:\n%s", strings.Join(lines, "\n"))
	}
	if res.Targets[0].LaunchTemplateVersion != 2 || w.defaultVersion(g.lt) != 2 {
		t.Errorf("version %d, default %d: want the version the first run made (2)", res.Targets[0].LaunchTemplateVersion, w.defaultVersion(g.lt))
	}
	if got := w.amis("win-asg"); got[w.ami2] != 2 || len(got) != 1 {
		t.Errorf("instances by AMI = %v", got)
	}

	p := g.plan(rollout.Canary{})
	p.Targets[0].UpToDate = true
	lines = nil
	res, err = rollout.Run(w.ctx(), p, w.options(rollout.Kube{}, &lines))
	if err != nil || res.Targets[0].State != rollout.StateUpToDate || !hasLine(lines, "nothing to do") {
		t.Errorf("third Run: %v, %+v, %q", err, res.Targets, lines)
	}
	if irs := w.refreshes("win-asg"); len(irs) != 1 {
		t.Errorf("an up-to-date target got a refresh: %d", len(irs))
	}
}

// Ctrl-C answered "roll back" rolls back; --no-rollback with a failed gate leaves the
// group as it is.
func TestRunInterruptedRollsBackWhenAsked(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "$Default", 2)
	var lines []string
	opts := w.options(rollout.Kube{}, &lines)
	asked := 0
	opts.Interrupted = func() bool { asked++; return true }
	res, err := g.interrupt(rollout.Canary{}, opts, func() bool { return w.amis("win-asg")[w.ami2] >= 1 })
	if !errors.Is(err, rollout.ErrInterrupted) || asked != 1 {
		t.Fatalf("Run error = %v (asked %d times), want ErrInterrupted after asking once", err, asked)
	}
	if got := w.amis("win-asg"); got[w.ami1] != 2 || len(got) != 1 {
		t.Errorf("instances by AMI = %v, want both back on %s", got, w.ami1)
	}
	if w.defaultVersion(g.lt) != 1 || w.parameter() != w.ami1 || len(res.RolledBack) == 0 {
		t.Errorf("default version %d, parameter %s, rolled back %q", w.defaultVersion(g.lt), w.parameter(), res.RolledBack)
	}
}

func TestRunNoRollbackLeavesFailedGroup(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "$Default", 4)
	w.failAMI = w.ami2
	var lines []string
	opts := w.options(w.withKube(), &lines)
	opts.NoRollback = true
	res, err := g.run(w.ctx(), rollout.Canary{Count: 1}, opts)
	if !errors.Is(err, rollout.ErrGate) {
		t.Fatalf("Run error = %v, want ErrGate", err)
	}
	if len(res.RolledBack) != 0 || w.defaultVersion(g.lt) != 2 || w.parameter() != w.ami2 {
		t.Errorf("--no-rollback changed things back: %q, default %d, parameter %s", res.RolledBack, w.defaultVersion(g.lt), w.parameter())
	}
	if res.Targets[0].State != rollout.StateFailed || !hasLine(lines, "--no-rollback: leaving the targets as they are") {
		t.Errorf("state %s; lines %q", res.Targets[0].State, lines)
	}
}

// The gate is audit's checks: new nodes on a kubelet other than the spec's Kubernetes
// fail it at once (no waiting for GateTimeout: it will not change), and the rollout rolls
// back.
func TestRunGateFailsAtOnceOnUnexpectedKubelet(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "$Default", 4)
	w.kubelet = map[string]string{w.ami2: "v1.30.9-eks-abcdef0"}
	var lines []string
	opts := w.options(w.withKube(), &lines)
	var failedAt time.Time
	opts.Progress = func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		lines = append(lines, line)
		if strings.Contains(line, "FAILED") && failedAt.IsZero() {
			failedAt = w.clock.Now()
		}
	}
	var canaryAt time.Time
	w.onStep = func() {
		if canaryAt.IsZero() && w.amis("win-asg")[w.ami2] >= 1 {
			canaryAt = w.clock.Now()
		}
	}
	res, err := g.run(w.ctx(), rollout.Canary{Count: 1}, opts)
	if !errors.Is(err, rollout.ErrGate) || !strings.Contains(res.Gate, "unexpected-kubelet-version") {
		t.Fatalf("Run error = %v, gate %q: want unexpected-kubelet-version", err, res.Gate)
	}
	if failedAt.Sub(canaryAt) >= opts.GateTimeout {
		t.Errorf("the gate failed %s after the canary launched: it waited for GateTimeout on a finding that does not settle", failedAt.Sub(canaryAt))
	}
	if got := w.amis("win-asg"); got[w.ami1] != 4 || len(got) != 1 {
		t.Errorf("instances by AMI = %v, want all back on %s", got, w.ami1)
	}
}

// Nodes Ready but the pods on them not: the gate waits GateTimeout, then fails naming them.
func TestRunGateWaitsForPods(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "$Default", 2)
	w.failPodsAMI = w.ami2
	var lines []string
	kube := w.withKube()
	res, err := g.run(w.ctx(), rollout.Canary{Count: 1}, w.options(kube, &lines))
	if !errors.Is(err, rollout.ErrGate) || !strings.Contains(res.Gate, "pods on the new nodes are not Running and Ready: kube-system/agent-") ||
		!strings.Contains(res.Gate, "still after 10m0s") {
		t.Fatalf("Run error = %v, gate %q", err, res.Gate)
	}
}

// A template whose ImageId is resolve:ssm:<the parameter> gets no new version (the
// parameter already names ami2); its refresh replaces every instance (skip matching would
// replace none); the rollback writes the parameter back and refreshes again.
func TestRunFollowsParameterTemplate(t *testing.T) {
	w := newWorld(t)
	w.publish(w.ami1)
	g := w.winGroup("resolve:ssm:"+param, "$Default", 2)
	w.publish(w.ami2)
	var lines []string
	p := g.plan(rollout.Canary{})
	p.Targets[0].Follows = param
	p.Targets[0].LaunchTemplate.ImageRef = "resolve:ssm:" + param
	res, err := rollout.Run(w.ctx(), p, w.options(rollout.Kube{}, &lines))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := w.amis("win-asg"); got[w.ami2] != 2 || len(got) != 1 {
		t.Errorf("instances by AMI = %v", got)
	}
	irs := w.refreshes("win-asg")
	if len(irs) != 1 || aws.ToBool(irs[0].Preferences.SkipMatching) || res.Targets[0].LaunchTemplateVersion != 0 || w.defaultVersion(g.lt) != 1 {
		t.Errorf("refreshes %+v, version %d, default %d: want one refresh without skip matching and no new version", irs, res.Targets[0].LaunchTemplateVersion, w.defaultVersion(g.lt))
	}

	// --to another AMI than the parameter's: refused, nothing changed.
	p.To[region] = w.ami1
	_, err = rollout.Run(w.ctx(), p, w.options(rollout.Kube{}, &lines))
	if err == nil || !strings.Contains(err.Error(), "follows parameter "+param+", which names "+w.ami2) {
		t.Errorf("Run to another AMI than the parameter's: %v", err)
	}
	if irs := w.refreshes("win-asg"); len(irs) != 1 || w.parameter() != w.ami2 {
		t.Errorf("the refused run changed things: %d refreshes, parameter %s", len(irs), w.parameter())
	}
}

// The rollout's --timeout passing stops it and rolls back (here during the canary's
// checkpoint pause, while the gate waits for the canary's pods).
func TestRunTimeoutRollsBack(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "$Default", 4)
	w.failPodsAMI = w.ami2
	var lines []string
	opts := w.options(w.withKube(), &lines)
	opts.Timeout = 5 * time.Minute
	res, err := g.run(w.ctx(), rollout.Canary{Count: 1}, opts)
	if !errors.Is(err, rollout.ErrTimeout) {
		t.Fatalf("Run error = %v, want ErrTimeout", err)
	}
	if got := w.amis("win-asg"); got[w.ami1] != 4 || len(got) != 1 || w.defaultVersion(g.lt) != 1 || res.Targets[0].State != rollout.StateRolledBack {
		t.Errorf("instances %v, default version %d, state %s: want rolled back", got, w.defaultVersion(g.lt), res.Targets[0].State)
	}
}

// A $Latest group launches the new version as soon as it exists; its rollback cannot
// un-make it, so it makes the latest version a copy of version 1 again, then refreshes back.
func TestRunRollsBackLatestVersionGroup(t *testing.T) {
	w := newWorld(t)
	g := w.winGroup(w.ami1, "$Latest", 2)
	w.failAMI = w.ami2
	var lines []string
	res, err := g.run(w.ctx(), rollout.Canary{Count: 1}, w.options(w.withKube(), &lines))
	if !errors.Is(err, rollout.ErrGate) {
		t.Fatalf("Run error = %v, want ErrGate", err)
	}
	out, err := w.ec2.DescribeLaunchTemplateVersions(w.ctx(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(g.lt), Versions: []string{"$Latest"}})
	if err != nil {
		t.Fatal(err)
	}
	latest := out.LaunchTemplateVersions[0]
	if aws.ToInt64(latest.VersionNumber) != 3 || aws.ToString(latest.LaunchTemplateData.ImageId) != w.ami1 {
		t.Errorf("latest version %d on %s, want 3 on %s", aws.ToInt64(latest.VersionNumber), aws.ToString(latest.LaunchTemplateData.ImageId), w.ami1)
	}
	if got := w.amis("win-asg"); got[w.ami1] != 2 || len(got) != 1 {
		t.Errorf("instances by AMI = %v", got)
	}
	if !slices.ContainsFunc(res.RolledBack, func(l string) bool { return strings.Contains(l, "is the latest again") }) {
		t.Errorf("RolledBack = %q", res.RolledBack)
	}
}
