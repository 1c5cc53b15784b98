//go:build e2e && unix

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/imagebuilder"
)

// agentWorld is an in-process awsemu, the real API server and a node agent for one
// cluster.
type agentWorld struct {
	t       *testing.T
	ctx     context.Context
	cluster *Cluster
	ec2     *ec2.Client
	url     string
	name    string
}

var agentSeq int

func newAgentWorld(t *testing.T) *agentWorld {
	t.Helper()
	ctx := context.Background()
	c, err := Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv := emulatortest.Start(t)
	agentSeq++
	w := &agentWorld{t: t, ctx: ctx, cluster: c, ec2: ec2.NewFromConfig(awstest.SDKConfig(srv.URL(), region)), url: srv.URL(),
		name: fmt.Sprintf("agent-%d-%d", os.Getpid(), agentSeq)}
	t.Cleanup(func() {
		if err := DeleteAgentObjects(context.Background(), c.Kube, w.name); err != nil {
			t.Errorf("cleaning up: %v", err)
		}
	})
	return w
}

func (w *agentWorld) agent(o NodeAgentOptions) *NodeAgent {
	w.t.Helper()
	o.Cluster, o.Region, o.EC2, o.Kube = w.name, region, w.ec2, w.cluster.Kube
	a, err := NewNodeAgent(o)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

// eksAMI is the seeded EKS-optimized Windows Server 2022 Core AMI for k8s of the newest release.
func eksAMI(k8s string) string {
	return seed.ImageID(region, eksAMIName(k8s))
}

func eksAMIName(k8s string) string {
	return catalog.EKSOptimizedAMIName("2022", catalog.Core, k8s, seed.Releases[len(seed.Releases)-1].Format("2006.01.02"))
}

// launch runs one instance of ami in zone with tags and returns its id.
func (w *agentWorld) launch(ami, zone string, tags map[string]string) string {
	w.t.Helper()
	in := &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		InstanceType: ec2types.InstanceTypeM6iLarge, Placement: &ec2types.Placement{AvailabilityZone: aws.String(zone)}}
	if len(tags) > 0 {
		spec := ec2types.TagSpecification{ResourceType: ec2types.ResourceTypeInstance}
		for k, v := range tags {
			spec.Tags = append(spec.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		in.TagSpecifications = []ec2types.TagSpecification{spec}
	}
	out, err := w.ec2.RunInstances(w.ctx, in)
	if err != nil {
		w.t.Fatalf("RunInstances %s: %v", ami, err)
	}
	return aws.ToString(out.Instances[0].InstanceId)
}

func (w *agentWorld) sync(a *NodeAgent) SyncResult {
	w.t.Helper()
	res, err := a.Sync(w.ctx)
	if err != nil {
		w.t.Fatalf("sync: %v", err)
	}
	return res
}

// nodes maps the agent's nodes by instance id.
func (w *agentWorld) nodes() map[string]corev1.Node {
	w.t.Helper()
	list, err := AgentNodes(w.ctx, w.cluster.Kube, w.name)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]corev1.Node{}
	for _, n := range list {
		out[n.Spec.ProviderID[strings.LastIndex(n.Spec.ProviderID, "/")+1:]] = n
	}
	return out
}

func (w *agentWorld) pod(id string) *corev1.Pod {
	w.t.Helper()
	p, err := w.cluster.Kube.CoreV1().Pods(AgentNamespace).Get(w.ctx, podName(id), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

func nodeReady(n corev1.Node) string {
	if c := readyCondition(&n); c != nil {
		return string(c.Status) + "/" + c.Reason
	}
	return "none"
}

func TestNodeAgentRegistersReadiesAndRemovesNodes(t *testing.T) {
	w := newAgentWorld(t)
	ami := eksAMI("1.35")
	managed := w.launch(ami, region+"a", map[string]string{"eks:cluster-name": w.name, "eks:nodegroup-name": "windows-ng"})
	karp := w.launch(ami, region+"b", map[string]string{"kubernetes.io/cluster/" + w.name: "owned", "karpenter.sh/nodepool": "windows",
		"karpenter.k8s.aws/ec2nodeclass": "windows2022"})
	other := w.launch(ami, region+"a", map[string]string{"eks:cluster-name": w.name + "-other"})
	w.launch(ami, region+"a", nil)
	var events []string
	a := w.agent(NodeAgentOptions{Run: "agent-test", Events: func(e AgentEvent) {
		events = append(events, e.Kind+" "+e.InstanceID+" "+e.ImageID+" ng="+e.NodeGroup)
	}})

	res := w.sync(a)
	if res.Instances != 2 || len(res.Registered) != 2 || res.Nodes != 2 || len(res.Deleted) != 0 || len(res.Failing) != 0 {
		t.Fatalf("first sync = %+v, want 2 instances registered", res)
	}
	nodes := w.nodes()
	if len(nodes) != 2 || nodes[other].Name != "" {
		t.Fatalf("nodes = %v, want those of %s and %s", slices.Collect(maps.Keys(nodes)), managed, karp)
	}
	wantKubelet := "v1.35.0-eks-"
	for id, n := range nodes {
		info := n.Status.NodeInfo
		if nodeReady(n) != "True/KubeletReady" || !strings.HasPrefix(info.KubeletVersion, wantKubelet) || info.OperatingSystem != "windows" ||
			n.Labels[WindowsBuildLabel] != "10.0.20348" || n.Labels["kubernetes.io/os"] != "windows" || n.Labels[AgentLabel] != w.name ||
			n.Labels[TestLabel] != "agent-test" || !strings.HasPrefix(info.KernelVersion, "10.0.20348.") {
			t.Errorf("node %s of %s: ready %s, labels %v, info %+v", n.Name, id, nodeReady(n), n.Labels, info)
		}
		if !strings.HasPrefix(n.Name, "ip-") || !strings.HasSuffix(n.Name, "."+region+".compute.internal") {
			t.Errorf("node of %s is named %s, want the instance's private DNS name", id, n.Name)
		}
		p := w.pod(id)
		if p == nil || p.Spec.NodeName != n.Name || p.Status.Phase != corev1.PodRunning || !podReady(p) ||
			len(p.OwnerReferences) != 1 || p.OwnerReferences[0].Kind != "DaemonSet" {
			t.Errorf("pod on %s = %+v", n.Name, p)
		}
	}
	if n := nodes[managed]; n.Spec.ProviderID != "aws:///"+region+"a/"+managed || n.Labels[NodeGroupLabel] != "windows-ng" ||
		n.Labels[NodeGroupImageLabel] != ami || n.Labels["topology.kubernetes.io/zone"] != region+"a" {
		t.Errorf("managed node: providerID %s, labels %v", n.Spec.ProviderID, n.Labels)
	}
	if n := nodes[karp]; n.Spec.ProviderID != "aws:///"+region+"b/"+karp || n.Labels["karpenter.sh/nodepool"] != "windows" ||
		n.Labels["karpenter.k8s.aws/ec2nodeclass"] != "windows2022" || n.Labels[NodeGroupLabel] != "" {
		t.Errorf("Karpenter node: providerID %s, labels %v", n.Spec.ProviderID, n.Labels)
	}
	if nodes[managed].Status.NodeInfo.KubeletVersion != kubeletOf(eksAMIName("1.35")) {
		t.Errorf("kubelet %s, want %s", nodes[managed].Status.NodeInfo.KubeletVersion, kubeletOf(eksAMIName("1.35")))
	}

	// winami audit finds the agent's nodes as it finds real ones: on the AMI, clean.
	res2, err := Run(w.ctx, winamiBin, AWSEnv(w.url, region, t.TempDir()), "audit", "--kubeconfig", w.cluster.Kubeconfig,
		"--context", AdminContext, "--expect-image", ami, "-o", "json")
	var rep report
	if err != nil || json.Unmarshal(res2.Stdout, &rep) != nil || res2.ExitCode != 0 || rep.WindowsNodes != 2 || len(rep.Findings) != 0 ||
		len(rep.Summary) != 1 || rep.Summary[0].OSBuild != "10.0.20348" || rep.Summary[0].ImageID != ami {
		t.Errorf("audit of the agent's nodes: exit %d, %v, report %+v\n%s", res2.ExitCode, err, rep, res2.Stderr)
	}

	// Nothing changed: nothing to do.
	if res := w.sync(a); len(res.Registered)+len(res.Readied)+len(res.Deleted) != 0 || res.Nodes != 2 {
		t.Errorf("second sync = %+v, want no change", res)
	}

	// A terminated instance loses its node and pod; a stopped one too.
	if _, err := w.ec2.TerminateInstances(w.ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{managed}}); err != nil {
		t.Fatal(err)
	}
	res = w.sync(a)
	if len(res.Deleted) != 1 || res.Deleted[0] != nodes[managed].Name || res.Nodes != 1 {
		t.Errorf("after terminating %s: %+v", managed, res)
	}
	if _, ok := w.nodes()[managed]; ok || w.pod(managed) != nil {
		t.Errorf("the node or pod of terminated %s is still there", managed)
	}
	want := []string{"registered " + karp + " " + ami + " ng=", "ready " + karp + " " + ami + " ng=",
		"registered " + managed + " " + ami + " ng=windows-ng", "ready " + managed + " " + ami + " ng=windows-ng",
		"deleted " + managed + " " + ami + " ng=windows-ng"}
	if karp > managed {
		want[0], want[1], want[2], want[3] = want[2], want[3], want[0], want[1]
	}
	if !slices.Equal(events, want) {
		t.Errorf("events:\n%s\nwant\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}
	if _, err := w.ec2.StopInstances(w.ctx, &ec2.StopInstancesInput{InstanceIds: []string{karp}}); err != nil {
		t.Fatal(err)
	}
	if res := w.sync(a); len(res.Deleted) != 1 || res.Nodes != 0 || len(w.nodes()) != 0 || w.pod(karp) != nil {
		t.Errorf("after stopping %s: %+v, nodes %d", karp, res, len(w.nodes()))
	}
}

// kubeletOf is the kubelet the agent reports for an EKS-optimized AMI's name.
func kubeletOf(name string) string {
	n, _ := catalog.ParseAMIName(name)
	return AMIInfo{EKSImage: name, Kubernetes: n.Kubernetes}.Kubelet()
}

// TestNodeAgentReadyAfter: a node registers not Ready and turns Ready ReadyAfter later on
// the agent's clock (stepped by the test, no sleeping).
func TestNodeAgentReadyAfter(t *testing.T) {
	w := newAgentWorld(t)
	id := w.launch(eksAMI("1.35"), region+"a", map[string]string{"eks:cluster-name": w.name})
	now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	a := w.agent(NodeAgentOptions{ReadyAfter: 30 * time.Second, Now: func() time.Time { return now }})
	if res := w.sync(a); len(res.Registered) != 1 || len(res.Readied) != 0 {
		t.Fatalf("sync = %+v", res)
	}
	if n := w.nodes()[id]; nodeReady(n) != "False/KubeletNotReady" || podReady(w.pod(id)) {
		t.Fatalf("just registered: %s, pod ready %v", nodeReady(n), podReady(w.pod(id)))
	}
	now = now.Add(29 * time.Second)
	if res := w.sync(a); len(res.Readied) != 0 || nodeReady(w.nodes()[id]) != "False/KubeletNotReady" {
		t.Fatalf("after 29 s: %+v, %s", res, nodeReady(w.nodes()[id]))
	}
	now = now.Add(time.Second)
	if res := w.sync(a); len(res.Readied) != 1 || nodeReady(w.nodes()[id]) != "True/KubeletReady" || !podReady(w.pod(id)) {
		t.Fatalf("after 30 s: %+v, %s", res, nodeReady(w.nodes()[id]))
	}
}

// TestNodeAgentFailsReadiness: by AMI, and for instances the agent had not seen when told
// to fail new nodes; the node is Ready=False (KubeletNotReady), its pod Running but not Ready;
// told to stop failing, the nodes turn Ready.
func TestNodeAgentFailsReadiness(t *testing.T) {
	w := newAgentWorld(t)
	good, bad := eksAMI("1.35"), eksAMI("1.34")
	tags := map[string]string{"eks:cluster-name": w.name}
	old := w.launch(good, region+"a", tags)
	a := w.agent(NodeAgentOptions{FailReadinessAMIs: []string{bad}})
	w.sync(a)
	onBad := w.launch(bad, region+"a", tags)
	res := w.sync(a)
	if len(res.Registered) != 1 || len(res.Failing) != 1 {
		t.Fatalf("sync = %+v", res)
	}
	n := w.nodes()[onBad]
	if c := readyCondition(&n); c == nil || c.Status != corev1.ConditionFalse || c.Reason != "KubeletNotReady" || c.Message != failReadyMessage {
		t.Errorf("node on the failing AMI: %+v", c)
	}
	if p := w.pod(onBad); p == nil || p.Status.Phase != corev1.PodRunning || podReady(p) {
		t.Errorf("pod on the failing node: %+v", p)
	}
	if nodeReady(w.nodes()[old]) != "True/KubeletReady" {
		t.Errorf("node on the good AMI: %s", nodeReady(w.nodes()[old]))
	}

	// Fail new nodes: the two seen so far stay as they are (the bad-AMI rule is dropped).
	a.SetFailReadiness(nil, true)
	fresh := w.launch(good, region+"b", tags)
	res = w.sync(a)
	if len(res.Failing) != 1 || len(res.Readied) != 1 {
		t.Errorf("sync after SetFailReadiness(nil, true) = %+v", res)
	}
	got := w.nodes()
	if nodeReady(got[fresh]) != "False/KubeletNotReady" || nodeReady(got[old]) != "True/KubeletReady" || nodeReady(got[onBad]) != "True/KubeletReady" {
		t.Errorf("fail new: fresh %s, old %s, onBad %s", nodeReady(got[fresh]), nodeReady(got[old]), nodeReady(got[onBad]))
	}
	a.SetFailReadiness(nil, false)
	if res := w.sync(a); len(res.Readied) != 1 || nodeReady(w.nodes()[fresh]) != "True/KubeletReady" || !podReady(w.pod(fresh)) {
		t.Errorf("healed: %+v, %s", res, nodeReady(w.nodes()[fresh]))
	}

	// FailNew from the start: what the first Sync sees is the baseline.
	b := w.agent(NodeAgentOptions{FailNew: true})
	w.sync(b)
	later := w.launch(good, region+"a", tags)
	if res := w.sync(b); len(res.Failing) != 1 || res.Failing[0] != w.nodes()[later].Name {
		t.Errorf("FailNew agent: %+v", res)
	}
}

// TestNodeAgentWinamiBuiltAMI: an AMI that is not EKS-optimized reports the Windows
// build and kubelet of the AMI its winami:parent-image tag names; one without the tag
// gets no node and the error names it.
func TestNodeAgentWinamiBuiltAMI(t *testing.T) {
	w := newAgentWorld(t)
	parent := eksAMI("1.34")
	src := w.launch(parent, region+"a", nil)
	image := func(name string, tags map[string]string) string {
		spec := ec2types.TagSpecification{ResourceType: ec2types.ResourceTypeImage}
		for k, v := range tags {
			spec.Tags = append(spec.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		out, err := w.ec2.CreateImage(w.ctx, &ec2.CreateImageInput{InstanceId: aws.String(src), Name: aws.String(name),
			TagSpecifications: []ec2types.TagSpecification{spec}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ImageId)
	}
	built := image("team-win2022-1", map[string]string{imagebuilder.ParentImageTag: parent, imagebuilder.NameTag: "team-win2022"})
	rebuilt := image("team-win2022-2", map[string]string{imagebuilder.ParentImageTag: built})
	orphan := image("handmade", map[string]string{"team": "x"})
	tags := map[string]string{"eks:cluster-name": w.name}
	id1, id2 := w.launch(built, region+"a", tags), w.launch(rebuilt, region+"a", tags)
	a := w.agent(NodeAgentOptions{})
	w.sync(a)
	want := kubeletOf(eksAMIName("1.34"))
	for _, id := range []string{id1, id2} {
		n := w.nodes()[id]
		if n.Status.NodeInfo.KubeletVersion != want || n.Labels[WindowsBuildLabel] != "10.0.20348" || nodeReady(n) != "True/KubeletReady" {
			t.Errorf("node of %s: kubelet %s, build %s, %s", id, n.Status.NodeInfo.KubeletVersion, n.Labels[WindowsBuildLabel], nodeReady(n))
		}
	}
	bad := w.launch(orphan, region+"a", tags)
	_, err := a.Sync(w.ctx)
	if err == nil || !strings.Contains(err.Error(), orphan) || !strings.Contains(err.Error(), bad) {
		t.Errorf("sync with an AMI of unknown origin: %v", err)
	}
	if _, ok := w.nodes()[bad]; ok || len(w.nodes()) != 2 {
		t.Errorf("nodes %d, the unknown AMI's instance got one: %v", len(w.nodes()), ok)
	}
}

// TestNodeAgentProgram runs `go run ./e2e/nodeagent` (built once) with --once against
// the in-process awsemu, and checks it refuses what is not loopback (exit 2).
func TestNodeAgentProgram(t *testing.T) {
	w := newAgentWorld(t)
	bin := filepath.Join(t.TempDir(), "nodeagent")
	build := exec.Command("go", "build", "-o", bin, "./nodeagent")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the node agent: %v\n%s", err, out)
	}
	ami := eksAMI("1.35")
	id := w.launch(ami, region+"a", map[string]string{"eks:cluster-name": w.name})
	home := t.TempDir()
	env := append(AWSEnv(w.url, region, home), KubeconfigEnv+"="+w.cluster.Kubeconfig)
	run := func(env []string, args ...string) Result {
		t.Helper()
		ctx, cancel := context.WithTimeout(w.ctx, time.Minute)
		defer cancel()
		res, err := Run(ctx, bin, env, args...)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := run(env, "--cluster", w.name, "--once", "--ready-after", "0", "--fail-readiness-ami", ami)
	if res.ExitCode != 0 || !strings.Contains(string(res.Stderr), "1 instances, 1 nodes (1 registered, 0 turned Ready, 1 failing, 0 deleted)") {
		t.Fatalf("--once: exit %d\n%s", res.ExitCode, res.Stderr)
	}
	if n := w.nodes()[id]; nodeReady(n) != "False/KubeletNotReady" {
		t.Errorf("node after --once with --fail-readiness-ami: %s", nodeReady(n))
	}
	res = run(env, "--cluster", w.name, "--once", "--ready-after", "0")
	if res.ExitCode != 0 || nodeReady(w.nodes()[id]) != "True/KubeletReady" {
		t.Errorf("second --once: exit %d, %s\n%s", res.ExitCode, nodeReady(w.nodes()[id]), res.Stderr)
	}

	// Running (not --once) with --fail-new: the instance there at start stays Ready, a new
	// one's node never turns Ready; SIGTERM stops it with exit 0. The node is deleted first,
	// so that its coming back shows the agent's first sync is done.
	if err := DeleteAgentObjects(w.ctx, w.cluster.Kube, w.name); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--cluster", w.name, "--fail-new", "--poll", "100ms", "--ready-after", "0")
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitNode := func(id, want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for nodeReady(w.nodes()[id]) != want {
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatalf("node of %s: %s, want %s\n%s", id, nodeReady(w.nodes()[id]), want, stderr.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitNode(id, "True/KubeletReady")
	fresh := w.launch(ami, region+"b", map[string]string{"eks:cluster-name": w.name})
	waitNode(fresh, "False/KubeletNotReady")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil || nodeReady(w.nodes()[id]) != "True/KubeletReady" {
		t.Errorf("the running agent: %v, node of %s %s\n%s", err, id, nodeReady(w.nodes()[id]), stderr.String())
	}

	for _, c := range []struct {
		env  []string
		args []string
		want string
	}{
		{env, nil, "--cluster is required"},
		{env, []string{"--cluster", w.name, "--fail-readiness-ami", "i-123"}, `--fail-readiness-ami: "i-123" is not an AMI id`},
		{env, []string{"--cluster", w.name, "--poll", "0s"}, "--poll 0s"},
		{env, []string{"--cluster", w.name, "--fail-new", "--once"}, "--fail-new with --once"},
		{append(AWSEnv("https://ec2.us-east-1.amazonaws.com", region, home), KubeconfigEnv+"="+w.cluster.Kubeconfig),
			[]string{"--cluster", w.name}, "is not on the loopback interface"},
		{[]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, KubeconfigEnv + "=" + w.cluster.Kubeconfig}, []string{"--cluster", w.name}, "AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_EC2) is not set"},
		{env, []string{"--cluster", w.name, "--context", "nope"}, `--context: context "nope" does not exist`},
	} {
		res := run(c.env, c.args...)
		if res.ExitCode != 2 || !strings.Contains(string(res.Stderr), c.want) {
			t.Errorf("%v: exit %d, stderr %s; want 2 and %q", c.args, res.ExitCode, res.Stderr, c.want)
		}
	}
	// An API server that is not loopback is refused before any request.
	kc := filepath.Join(home, "remote-kubeconfig")
	remote := map[string]any{"apiVersion": "v1", "kind": "Config", "current-context": "r",
		"clusters": []any{map[string]any{"name": "r", "cluster": map[string]any{"server": "https://203.0.113.10:6443"}}},
		"contexts": []any{map[string]any{"name": "r", "context": map[string]any{"cluster": "r", "user": "u"}}},
		"users":    []any{map[string]any{"name": "u", "user": map[string]any{"token": "t"}}}}
	raw, _ := json.Marshal(remote)
	if err := os.WriteFile(kc, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	res = run(AWSEnv(w.url, region, home), "--cluster", w.name, "--kubeconfig", kc, "--once")
	if res.ExitCode != 2 || !strings.Contains(string(res.Stderr), "the API server https://203.0.113.10:6443 is not on the loopback interface") {
		t.Errorf("remote API server: exit %d\n%s", res.ExitCode, res.Stderr)
	}
}
