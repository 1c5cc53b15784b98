package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/winami/winami/audit"
	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/imagebuilder"
)

// Labels, annotations and names the node agent writes.
const (
	// AgentLabel marks the Nodes and pods a NodeAgent manages; its value is the cluster.
	AgentLabel = "e2e.winami.io/node-agent"
	// RegisteredAnnotation is when the agent registered the node (RFC 3339, the agent's
	// clock): the node turns Ready ReadyAfter later.
	RegisteredAnnotation = "e2e.winami.io/registered-at"
	// AgentNamespace holds the stand-in DaemonSet and its pods.
	AgentNamespace = "kube-system"
	// AgentDaemonSet is the stand-in Windows DaemonSet whose pod runs on every node.
	AgentDaemonSet = "winami-e2e-windows-agent"
	// NodeGroupLabel is the label EKS puts on a managed node group's nodes ("Amazon EKS
	// adds Kubernetes labels to managed node group instances … prefixed with
	// eks.amazonaws.com"; nodegroup, nodegroup-image and capacityType are the ones a
	// managed Windows node carries).
	// https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html
	NodeGroupLabel = "eks.amazonaws.com/nodegroup"
	// NodeGroupImageLabel is the label EKS puts on a managed node group's nodes: their AMI.
	NodeGroupImageLabel = "eks.amazonaws.com/nodegroup-image"
	// WindowsBuildLabel is the label Windows kubelets put on their node: the OS build.
	WindowsBuildLabel = "node.kubernetes.io/windows-build"
)

// Instance tags the agent reads. EKS tags a managed node group's instances with the
// cluster and node group; Karpenter tags its instances with the NodePool and
// EC2NodeClass and kubernetes.io/cluster/<cluster>=owned.
// https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html
// https://karpenter.sh/docs/concepts/nodeclasses/ (tags)
const (
	clusterNameTag   = "eks:cluster-name"
	nodeGroupNameTag = "eks:nodegroup-name"
	clusterTagPrefix = "kubernetes.io/cluster/"
	nodePoolTag      = "karpenter.sh/nodepool"
	ec2NodeClassTag  = "karpenter.k8s.aws/ec2nodeclass"
	// autoScalingGroupTag is the tag Auto Scaling puts on the instances it launches.
	// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html
	autoScalingGroupTag = "aws:autoscaling:groupName"
	// autoScalingGroupAnnotation records the group on the node (the agent's, so a
	// deleted node's event can name its group; an annotation, since a group name may be
	// longer than a label value).
	autoScalingGroupAnnotation = "e2e.winami.io/auto-scaling-group"
	maxParentLevels            = 3
	notReadyMessage            = "container runtime status check may not have completed yet"
	failReadyMessage           = "the e2e node agent was told to fail readiness on this node"
	readyMessage               = "kubelet is posting ready status"
	agentPodContainer          = "agent"
)

// NodeAgentOptions configure a NodeAgent.
type NodeAgentOptions struct {
	// Cluster is the EKS cluster whose instances the agent registers: those tagged
	// eks:cluster-name=Cluster or carrying the tag kubernetes.io/cluster/Cluster.
	Cluster string
	// Region is the instances' region (the providerID's zone comes from each instance).
	Region string
	// EC2 describes the instances and their AMIs.
	EC2 awsapi.EC2
	// Kube writes the Nodes and pods.
	Kube kubernetes.Interface
	// ReadyAfter is how long after registering a node turns Ready (0: at once).
	ReadyAfter time.Duration
	// FailReadinessAMIs: nodes of instances of these AMIs never turn Ready.
	FailReadinessAMIs []string
	// FailNew: nodes of instances the agent did not see at its first Sync never turn Ready.
	FailNew bool
	// Run, when set, is the value of TestLabel on what the agent creates.
	Run string
	// Now is the agent's clock (time.Now when nil).
	Now func() time.Time
	// Log receives one line per change (nothing when nil).
	Log io.Writer
	// Events, when set, is called with every change, in order, from the goroutine that
	// syncs (tests follow which nodes came and went, and when).
	Events func(AgentEvent)
}

// AgentEvent is one change a NodeAgent made.
type AgentEvent struct {
	// Kind is "registered", "ready", "failing" (kept not Ready on purpose) or "deleted".
	Kind       string
	Time       time.Time
	Node       string
	InstanceID string
	// ImageID is the instance's AMI ("" for a deleted node whose instance is gone).
	ImageID string
	// AutoScalingGroup and NodeGroup are the instance's aws:autoscaling:groupName and
	// eks:nodegroup-name tags (from the node's labels for a deleted node).
	AutoScalingGroup, NodeGroup string
}

// NodeAgent stands in for the kubelets of a cluster's Windows instances: each Sync
// registers a Windows Node (and a stand-in DaemonSet pod) for every running instance of
// the cluster, turns it Ready (or not, when told to fail readiness), and deletes the
// Node and pod of every instance that is shutting down, stopped or gone. It reads AWS
// and writes only Kubernetes objects it labels AgentLabel=<cluster>.
type NodeAgent struct {
	o NodeAgentOptions

	mu        sync.Mutex
	failAMIs  map[string]bool
	failNew   bool
	baseline  map[string]bool // instances seen before failNew was turned on
	seen      map[string]bool // every instance the agent has seen
	synced    bool
	images    map[string]AMIInfo
	setupDone bool
}

// SyncResult says what one Sync did.
type SyncResult struct {
	// Instances is how many instances of the cluster EC2 described (any state).
	Instances int
	// Registered, Readied, Failing and Deleted are the node names created, turned Ready,
	// kept not Ready on purpose and deleted by this Sync.
	Registered, Readied, Failing, Deleted []string
	// Nodes is how many Nodes the agent manages after the Sync.
	Nodes int
}

// NewNodeAgent checks the options and returns an agent.
func NewNodeAgent(o NodeAgentOptions) (*NodeAgent, error) {
	switch {
	case o.Cluster == "":
		return nil, errors.New("node agent: the cluster name is empty")
	case o.Region == "":
		return nil, errors.New("node agent: the region is empty")
	case o.EC2 == nil || o.Kube == nil:
		return nil, errors.New("node agent: an EC2 and a Kubernetes client are needed")
	case o.ReadyAfter < 0:
		return nil, fmt.Errorf("node agent: ReadyAfter %s is negative", o.ReadyAfter)
	}
	for _, id := range o.FailReadinessAMIs {
		if !strings.HasPrefix(id, "ami-") {
			return nil, fmt.Errorf("node agent: fail-readiness AMI %q is not an AMI id (ami-…)", id)
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	a := &NodeAgent{o: o, seen: map[string]bool{}, images: map[string]AMIInfo{}}
	a.setFail(o.FailReadinessAMIs, o.FailNew)
	return a, nil
}

// SetFailReadiness changes which nodes fail readiness from the next Sync on: those of
// instances of amis, and, with failNew, those of instances the agent has not seen before
// this call (before its first Sync: not seen at its first Sync). Nodes that no longer
// have to fail turn Ready.
func (a *NodeAgent) SetFailReadiness(amis []string, failNew bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.setFail(amis, failNew)
}

func (a *NodeAgent) setFail(amis []string, failNew bool) {
	a.failAMIs = map[string]bool{}
	for _, id := range amis {
		a.failAMIs[id] = true
	}
	a.failNew = failNew
	a.baseline = nil
	if failNew && a.synced {
		a.baseline = maps.Clone(a.seen)
	}
}

// failing reports whether the node of instance id running ami must stay not Ready.
func (a *NodeAgent) failing(id, ami string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.failAMIs[ami] || (a.failNew && !a.baseline[id])
}

// AMIInfo is what a node learns from its AMI: the Windows Server version and build and
// the Kubernetes minor of the EKS-optimized AMI it is (or was built from).
type AMIInfo struct {
	ImageID string
	// EKSImage is the EKS-optimized AMI's name (the AMI's own, or its parent's).
	EKSImage   string
	Windows    string // 2022
	Build      string // 10.0.20348
	Kubernetes string // 1.35
}

// Kubelet is the kubelet version a node of the AMI reports: v<minor>.0-eks-<7 hex>.
// awsemu's world knows no kubelet patch releases; the suffix is a hash of the
// EKS-optimized AMI's name, so two AMIs built from the same parent report the same
// kubelet.
func (i AMIInfo) Kubelet() string {
	h := sha256.Sum256([]byte(i.EKSImage))
	return "v" + i.Kubernetes + ".0-eks-" + hex.EncodeToString(h[:])[:7]
}

// baseNameRE matches a Windows Server base AMI name (a parent from source windows-base).
var baseNameRE = regexp.MustCompile(`^Windows_Server-(\d{4})-English-(Core|Full)-Base-`)

// eksComponentRE finds the Kubernetes minor of the eks-optimized-ami-windows component in
// an AMI's winami:components tag (name@version, comma separated).
var eksComponentRE = regexp.MustCompile(`eks-optimized-ami-windows@(1\.\d+)`)

// amiInfo describes ami (following winami:parent-image up to maxParentLevels times).
func (a *NodeAgent) amiInfo(ctx context.Context, ami string) (AMIInfo, error) {
	a.mu.Lock()
	info, ok := a.images[ami]
	a.mu.Unlock()
	if ok {
		return info, nil
	}
	info = AMIInfo{ImageID: ami}
	id := ami
	var k8s string
	for level := 0; ; level++ {
		out, err := a.o.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
		if err != nil {
			return AMIInfo{}, fmt.Errorf("describing AMI %s: %w", id, err)
		}
		if len(out.Images) != 1 {
			return AMIInfo{}, fmt.Errorf("describing AMI %s: EC2 returned %d images", id, len(out.Images))
		}
		img := out.Images[0]
		name := aws.ToString(img.Name)
		tags := map[string]string{}
		for _, t := range img.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		if k8s == "" {
			if m := eksComponentRE.FindStringSubmatch(tags[imagebuilder.ComponentsTag]); m != nil {
				k8s = m[1]
			}
		}
		if n, ok := catalog.ParseAMIName(name); ok {
			info.EKSImage, info.Windows, info.Kubernetes = name, n.Windows, n.Kubernetes
			break
		}
		if m := baseNameRE.FindStringSubmatch(name); m != nil && k8s != "" {
			info.EKSImage, info.Windows, info.Kubernetes = name, m[1], k8s
			break
		}
		parent := tags[imagebuilder.ParentImageTag]
		if parent == "" || level == maxParentLevels {
			return AMIInfo{}, fmt.Errorf("AMI %s (%s) is not an EKS-optimized Windows AMI and names no parent (tag %s) that is", ami, name, imagebuilder.ParentImageTag)
		}
		id = parent
	}
	w, err := catalog.Windows(info.Windows)
	if err != nil {
		return AMIInfo{}, fmt.Errorf("AMI %s: %w", ami, err)
	}
	info.Build = w.Build
	a.mu.Lock()
	a.images[ami] = info
	a.mu.Unlock()
	return info, nil
}

// clusterInstances describes the instances of the cluster (both tag conventions).
func (a *NodeAgent) clusterInstances(ctx context.Context) (map[string]ec2types.Instance, error) {
	out := map[string]ec2types.Instance{}
	for _, f := range []ec2types.Filter{
		{Name: aws.String("tag:" + clusterNameTag), Values: []string{a.o.Cluster}},
		{Name: aws.String("tag-key"), Values: []string{clusterTagPrefix + a.o.Cluster}},
	} {
		p := ec2.NewDescribeInstancesPaginator(a.o.EC2, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{f}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describing the instances of cluster %s: %w", a.o.Cluster, err)
			}
			for _, r := range page.Reservations {
				for _, in := range r.Instances {
					out[aws.ToString(in.InstanceId)] = in
				}
			}
		}
	}
	return out, nil
}

// Sync makes the Nodes match the cluster's instances once.
func (a *NodeAgent) Sync(ctx context.Context) (SyncResult, error) {
	var res SyncResult
	if err := a.setup(ctx); err != nil {
		return res, err
	}
	instances, err := a.clusterInstances(ctx)
	if err != nil {
		return res, err
	}
	res.Instances = len(instances)
	a.mu.Lock()
	for id := range instances {
		a.seen[id] = true
	}
	if !a.synced {
		a.synced = true
		if a.failNew && a.baseline == nil {
			a.baseline = maps.Clone(a.seen)
		}
	}
	a.mu.Unlock()

	nodes, err := a.o.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: AgentLabel + "=" + a.o.Cluster})
	if err != nil {
		return res, fmt.Errorf("listing the agent's nodes: %w", err)
	}
	byInstance := map[string]*corev1.Node{}
	for i := range nodes.Items {
		n := &nodes.Items[i]
		if _, _, id, ok := audit.ParseProviderID(n.Spec.ProviderID); ok {
			byInstance[id] = n
		} else {
			byInstance["?"+n.Name] = n
		}
	}

	var errs []error
	for _, id := range slices.Sorted(maps.Keys(byInstance)) {
		in, ok := instances[id]
		if ok && instanceUp(in) {
			continue
		}
		n := byInstance[id]
		if err := a.deleteNode(ctx, n); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(byInstance, id)
		res.Deleted = append(res.Deleted, n.Name)
		a.logf("deleted node %s (instance %s %s)", n.Name, id, stateOf(in, ok))
		a.emit(AgentEvent{Kind: "deleted", Node: n.Name, InstanceID: strings.TrimPrefix(id, "?"), ImageID: aws.ToString(in.ImageId),
			AutoScalingGroup: n.Annotations[autoScalingGroupAnnotation], NodeGroup: n.Labels[NodeGroupLabel]})
	}
	for _, id := range slices.Sorted(maps.Keys(instances)) {
		in := instances[id]
		if stateOf(in, true) != string(ec2types.InstanceStateNameRunning) {
			continue
		}
		name, change, ready, err := a.syncNode(ctx, in, byInstance[id])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ev := AgentEvent{Node: name, InstanceID: id, ImageID: aws.ToString(in.ImageId),
			AutoScalingGroup: tagOf(in, autoScalingGroupTag), NodeGroup: tagOf(in, nodeGroupNameTag)}
		switch change {
		case "registered":
			res.Registered = append(res.Registered, name)
			ev.Kind = "registered"
			a.emit(ev)
		case "ready":
			res.Readied = append(res.Readied, name)
		}
		if change == "registered" || change == "failing" {
			if a.failing(id, aws.ToString(in.ImageId)) {
				res.Failing = append(res.Failing, name)
				ev.Kind = "failing"
				a.emit(ev)
			}
		}
		if (change == "registered" || change == "ready") && ready {
			ev.Kind = "ready"
			a.emit(ev)
		}
		byInstance[id] = nil
	}
	res.Nodes = len(byInstance)
	return res, errors.Join(errs...)
}

// instanceUp reports whether an instance keeps its node: pending (booting, no node yet)
// or running.
func instanceUp(in ec2types.Instance) bool {
	s := stateOf(in, true)
	return s == string(ec2types.InstanceStateNameRunning) || s == string(ec2types.InstanceStateNamePending)
}

func stateOf(in ec2types.Instance, ok bool) string {
	if !ok {
		return "not described"
	}
	if in.State == nil {
		return ""
	}
	return string(in.State.Name)
}

// Run syncs every poll until ctx ends; a failed Sync is logged and retried.
func (a *NodeAgent) Run(ctx context.Context, poll time.Duration) error {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := a.Sync(ctx); err != nil && ctx.Err() == nil {
			a.logf("sync: %v", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (a *NodeAgent) emit(ev AgentEvent) {
	if a.o.Events != nil {
		ev.Time = a.o.Now()
		a.o.Events(ev)
	}
}

func tagOf(in ec2types.Instance, key string) string {
	for _, t := range in.Tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

func (a *NodeAgent) logf(format string, args ...any) {
	if a.o.Log != nil {
		_, _ = fmt.Fprintf(a.o.Log, "node agent: "+format+"\n", args...)
	}
}

// setup creates the stand-in DaemonSet and the namespace's default service account (no
// controller-manager runs to create it), once.
func (a *NodeAgent) setup(ctx context.Context) error {
	a.mu.Lock()
	done := a.setupDone
	a.mu.Unlock()
	if done {
		return nil
	}
	core := a.o.Kube.CoreV1()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: AgentNamespace}}
	if _, err := core.ServiceAccounts(AgentNamespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating service account %s/default: %w", AgentNamespace, err)
	}
	sel := map[string]string{"app": AgentDaemonSet}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: AgentDaemonSet, Namespace: AgentNamespace, Labels: map[string]string{"app": AgentDaemonSet}},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: sel},
				Spec:       agentPodSpec(""),
			},
		},
	}
	if _, err := a.o.Kube.AppsV1().DaemonSets(AgentNamespace).Create(ctx, ds, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating DaemonSet %s/%s: %w", AgentNamespace, AgentDaemonSet, err)
	}
	a.mu.Lock()
	a.setupDone = true
	a.mu.Unlock()
	return nil
}

func agentPodSpec(node string) corev1.PodSpec {
	return corev1.PodSpec{
		NodeName:     node,
		NodeSelector: map[string]string{"kubernetes.io/os": "windows"},
		OS:           &corev1.PodOS{Name: corev1.Windows},
		Tolerations:  []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
		Containers: []corev1.Container{{Name: agentPodContainer,
			Image: "mcr.microsoft.com/windows/nanoserver:ltsc2022"}},
	}
}

// syncNode registers the node of a running instance, or brings its Ready condition up to
// date. change is "registered", "ready" (turned Ready), "failing" (kept not Ready) or "".
func (a *NodeAgent) syncNode(ctx context.Context, in ec2types.Instance, existing *corev1.Node) (name, change string, ready bool, err error) {
	id, ami := aws.ToString(in.InstanceId), aws.ToString(in.ImageId)
	now := a.o.Now()
	if existing == nil {
		info, err := a.amiInfo(ctx, ami)
		if err != nil {
			return "", "", false, fmt.Errorf("registering the node of instance %s: %w", id, err)
		}
		n := a.node(in, info, now)
		got, err := a.o.Kube.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
		if err != nil {
			return "", "", false, fmt.Errorf("registering node %s: %w", n.Name, err)
		}
		got.Status = n.Status
		if _, err := a.o.Kube.CoreV1().Nodes().UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
			return "", "", false, fmt.Errorf("writing the status of node %s: %w", n.Name, err)
		}
		a.logf("registered node %s (instance %s, %s, kubelet %s, Windows %s)", n.Name, id, ami, info.Kubelet(), info.Build)
		existing, change = got, "registered"
	}
	name = existing.Name
	ready, reason, msg := a.readiness(existing, id, ami, now)
	cond := readyCondition(existing)
	want := corev1.ConditionFalse
	if ready {
		want = corev1.ConditionTrue
	}
	if cond == nil || cond.Status != want || cond.Message != msg {
		n := existing.DeepCopy()
		setReady(n, want, reason, msg, now)
		if _, err := a.o.Kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			return name, change, false, fmt.Errorf("writing the Ready condition of node %s: %w", name, err)
		}
		switch {
		case ready:
			a.logf("node %s is Ready", name)
		case msg == failReadyMessage:
			a.logf("node %s is not Ready (KubeletNotReady): told to fail readiness", name)
		}
		if change == "" {
			if ready {
				change = "ready"
			} else if msg == failReadyMessage {
				change = "failing"
			}
		}
	}
	if err := a.syncPod(ctx, name, id, ready); err != nil {
		return name, change, ready, err
	}
	return name, change, ready, nil
}

// readiness is the Ready condition a node should have now.
func (a *NodeAgent) readiness(n *corev1.Node, id, ami string, now time.Time) (ready bool, reason, msg string) {
	if a.failing(id, ami) {
		return false, "KubeletNotReady", failReadyMessage
	}
	reg, err := time.Parse(time.RFC3339Nano, n.Annotations[RegisteredAnnotation])
	if err == nil && now.Sub(reg) < a.o.ReadyAfter {
		return false, "KubeletNotReady", notReadyMessage
	}
	return true, "KubeletReady", readyMessage
}

func readyCondition(n *corev1.Node) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

func setReady(n *corev1.Node, status corev1.ConditionStatus, reason, msg string, now time.Time) {
	c := corev1.NodeCondition{Type: corev1.NodeReady, Status: status, Reason: reason, Message: msg,
		LastHeartbeatTime: metav1.NewTime(now), LastTransitionTime: metav1.NewTime(now)}
	if old := readyCondition(n); old != nil {
		if old.Status == status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		*old = c
		return
	}
	n.Status.Conditions = append(n.Status.Conditions, c)
}

// node is the Node a Windows kubelet on EKS registers for the instance.
func (a *NodeAgent) node(in ec2types.Instance, info AMIInfo, now time.Time) *corev1.Node {
	id := aws.ToString(in.InstanceId)
	tags := map[string]string{}
	for _, t := range in.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	zone := ""
	if in.Placement != nil {
		zone = aws.ToString(in.Placement.AvailabilityZone)
	}
	name := aws.ToString(in.PrivateDnsName)
	if name == "" {
		name = id
	}
	n := Node(NodeSpec{Name: name, Windows: true, Zone: zone, InstanceID: id, Kubelet: info.Kubelet(),
		OSBuild: info.Build, NodeGroup: tags[nodeGroupNameTag], NodePool: tags[nodePoolTag], Run: a.o.Run})
	if a.o.Run == "" {
		delete(n.Labels, TestLabel)
	}
	n.Labels[AgentLabel] = a.o.Cluster
	n.Labels["topology.kubernetes.io/region"] = a.o.Region
	n.Labels["node.kubernetes.io/instance-type"] = string(in.InstanceType)
	if tags[nodeGroupNameTag] != "" {
		n.Labels[NodeGroupImageLabel] = info.ImageID
		n.Labels["eks.amazonaws.com/capacityType"] = "ON_DEMAND"
	}
	if v := tags[ec2NodeClassTag]; v != "" {
		n.Labels[ec2NodeClassTag] = v
	}
	n.Annotations = map[string]string{RegisteredAnnotation: now.UTC().Format(time.RFC3339Nano)}
	if v := tags[autoScalingGroupTag]; v != "" {
		n.Annotations[autoScalingGroupAnnotation] = v
	}
	n.Status.NodeInfo.OSImage = "Windows Server " + info.Windows + " Datacenter"
	n.Status.Conditions = nil
	setReady(n, corev1.ConditionFalse, "KubeletNotReady", notReadyMessage, now)
	if ip := aws.ToString(in.PrivateIpAddress); ip != "" {
		n.Status.Addresses = append([]corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}, n.Status.Addresses...)
	}
	return n
}

// podName is the stand-in DaemonSet pod's name on the node of instance id.
func podName(id string) string { return AgentDaemonSet + "-" + id }

// syncPod creates the node's DaemonSet pod and keeps its Ready condition with the node's.
func (a *NodeAgent) syncPod(ctx context.Context, node, id string, ready bool) error {
	pods := a.o.Kube.CoreV1().Pods(AgentNamespace)
	pod, err := pods.Get(ctx, podName(id), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		ds, derr := a.o.Kube.AppsV1().DaemonSets(AgentNamespace).Get(ctx, AgentDaemonSet, metav1.GetOptions{})
		if derr != nil {
			return fmt.Errorf("reading DaemonSet %s: %w", AgentDaemonSet, derr)
		}
		labels := map[string]string{"app": AgentDaemonSet, AgentLabel: a.o.Cluster}
		if a.o.Run != "" {
			labels[TestLabel] = a.o.Run
		}
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: podName(id), Namespace: AgentNamespace, Labels: labels,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: ds.Name, UID: ds.UID,
					Controller: aws.Bool(true), BlockOwnerDeletion: aws.Bool(true)}}},
			Spec: agentPodSpec(node),
		}
		if pod, err = pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating pod %s on node %s: %w", p.Name, node, err)
		}
	} else if err != nil {
		return fmt.Errorf("reading pod %s: %w", podName(id), err)
	}
	if pod.Status.Phase == corev1.PodRunning && podReady(pod) == ready {
		return nil
	}
	now := metav1.NewTime(a.o.Now())
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	pod.Status.Phase = corev1.PodRunning
	pod.Status.StartTime = &now
	pod.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: status, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: status, LastTransitionTime: now},
	}
	if !ready {
		pod.Status.Conditions[2].Reason, pod.Status.Conditions[3].Reason = "ContainersNotReady", "ContainersNotReady"
	}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: agentPodContainer, Ready: ready, Started: aws.Bool(true),
		Image: pod.Spec.Containers[0].Image, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}}
	if _, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("writing the status of pod %s: %w", pod.Name, err)
	}
	return nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// deleteNode deletes a node and its DaemonSet pod (pod garbage collection's part when
// a node goes).
func (a *NodeAgent) deleteNode(ctx context.Context, n *corev1.Node) error {
	if _, _, id, ok := audit.ParseProviderID(n.Spec.ProviderID); ok {
		err := a.o.Kube.CoreV1().Pods(AgentNamespace).Delete(ctx, podName(id), *metav1.NewDeleteOptions(0))
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting pod %s: %w", podName(id), err)
		}
	}
	if err := a.o.Kube.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting node %s: %w", n.Name, err)
	}
	return nil
}

// AgentNodes lists the nodes the agent of cluster manages, by name.
func AgentNodes(ctx context.Context, kube kubernetes.Interface, cluster string) ([]corev1.Node, error) {
	list, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: AgentLabel + "=" + cluster})
	if err != nil {
		return nil, fmt.Errorf("listing the nodes of cluster %s: %w", cluster, err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items, nil
}

// DeleteAgentObjects deletes every node and pod the agent of cluster made (test clean-up).
func DeleteAgentObjects(ctx context.Context, kube kubernetes.Interface, cluster string) error {
	sel := metav1.ListOptions{LabelSelector: AgentLabel + "=" + cluster}
	if err := kube.CoreV1().Pods(AgentNamespace).DeleteCollection(ctx, *metav1.NewDeleteOptions(0), sel); err != nil {
		return fmt.Errorf("deleting the pods of cluster %s: %w", cluster, err)
	}
	if err := kube.CoreV1().Nodes().DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil {
		return fmt.Errorf("deleting the nodes of cluster %s: %w", cluster, err)
	}
	return nil
}
