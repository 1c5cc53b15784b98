package rollout

import (
	"context"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/winami/winami/awsapi"
)

// Kind is what a target is.
type Kind string

// The kinds of targets.
const (
	// KindNodeGroup is an EKS managed node group.
	KindNodeGroup Kind = "node-group"
	// KindAutoScalingGroup is a self-managed Auto Scaling group.
	KindAutoScalingGroup Kind = "auto-scaling-group"
	// KindKarpenter is a Karpenter EC2NodeClass.
	KindKarpenter Kind = "karpenter"
)

// Clients gives the per-region AWS clients rollout calls; *awsapi.Clients satisfies it.
type Clients interface {
	EC2(region string) awsapi.EC2
	SSM(region string) awsapi.SSM
	EKS(region string) awsapi.EKS
	AutoScaling(region string) awsapi.AutoScaling
}

// Kube is the cluster a rollout reads (nodes, pods, EC2NodeClasses) and gates on; the
// zero value (no kubeconfig) gates on EC2 and Auto Scaling health only.
type Kube struct {
	Client    kubernetes.Interface
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
}

// LaunchTemplate is the launch template version a target launches from now.
type LaunchTemplate struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Version is the version as the group or node group names it: a number, "$Default" or
	// "$Latest".
	Version string `json:"version"`
	// Number is the version Version resolves to now.
	Number int64 `json:"number"`
	// DefaultVersion is the template's default version now (rollback restores it).
	DefaultVersion int64 `json:"defaultVersion"`
	// ImageRef is the version's ImageId as written: "ami-…" or "resolve:ssm:<parameter>".
	ImageRef string `json:"imageRef"`
}

// Target is one thing the rollout moves.
type Target struct {
	Kind   Kind   `json:"kind"`
	Name   string `json:"name"`
	Region string `json:"region"`
	// Cluster is the EKS cluster of a node group (and of Karpenter's nodes).
	Cluster string `json:"cluster,omitempty"`
	// AutoScalingGroups are a node group's groups (one for an Auto Scaling group: itself).
	AutoScalingGroups []string `json:"autoScalingGroups,omitempty"`
	// LaunchTemplate is nil for Karpenter.
	LaunchTemplate *LaunchTemplate `json:"launchTemplate,omitempty"`
	// Follows is the SSM parameter the target's AMI comes from (resolve:ssm: in its
	// template, an ssmParameter amiSelectorTerm), "" when it names an AMI.
	Follows string `json:"follows,omitempty"`
	// Capacity is the number of instances (nodes) the target runs now.
	Capacity int `json:"capacity"`
	// From is the AMI the target launches now; Running the AMIs its instances run, sorted.
	From    string   `json:"from"`
	Running []string `json:"running"`
	// To is the AMI it will launch.
	To string `json:"to"`
	// Change says what the rollout will do to it, as the plan prints it ("" when nothing).
	Change string `json:"change"`
	// UpToDate: it launches To and every instance runs To.
	UpToDate bool `json:"upToDate"`
	// NeedsYes: the change is applied only with --yes even when the rollout runs (a
	// Karpenter EC2NodeClass that pins an AMI).
	NeedsYes bool `json:"needsYes,omitempty"`
}

// Canary is how many nodes of the first target move first: Count nodes, or Percent of
// its capacity (rounded up, at least one). Zero values: no canary step.
type Canary struct {
	Count   int `json:"count,omitempty"`
	Percent int `json:"percent,omitempty"`
}

// Plan is what a rollout will do, target by target, in order: the canary's target first.
type Plan struct {
	// Spec is the spec's metadata.name; Parameter its published parameter ("" when none).
	Spec      string `json:"spec"`
	Parameter string `json:"parameter,omitempty"`
	// To is the AMI each region moves to; ToSource where it came from ("--to ami-…",
	// "ssm:/winami/prod/image_id").
	To       map[string]string `json:"to"`
	ToSource string            `json:"toSource"`
	// Previous is, per region, the AMI the published parameter named before To (from its
	// history): what a rollback writes back. Empty when there is no parameter.
	Previous map[string]string `json:"previous,omitempty"`
	Targets  []Target          `json:"targets"`
	Canary   Canary            `json:"canary"`
	// MaxUnavailablePercent bounds the instances out of service at once (an instance
	// refresh's MinHealthyPercentage is 100 minus it; a node group's maxUnavailablePercentage).
	MaxUnavailablePercent int `json:"maxUnavailablePercent"`
	// KubernetesGate: nodes and pods are checked (a kubeconfig was given); otherwise the
	// gate is EC2 and Auto Scaling health only.
	KubernetesGate bool `json:"kubernetesGate"`
	// Warnings are what Discover saw and will not move (a group on a launch
	// configuration, an EC2NodeClass whose name or tag terms select an older AMI), and what
	// it could not check (Karpenter without a kubeconfig).
	Warnings []string `json:"warnings,omitempty"`
}

// DiscoverOptions configure Discover.
type DiscoverOptions struct {
	AWS  Clients
	Kube Kube
	// Regions to look in (the spec's); Cluster the EKS cluster whose node groups count.
	Regions []string
	Cluster string
	// Spec is the spec's metadata.name (AMIs tagged winami:name=Spec are its AMIs);
	// Parameter its published parameter.
	Spec      string
	Parameter string
	// To, when set, is --to: an AMI id or ssm:<parameter>; else the published parameter.
	To string
	// AutoScalingGroups and NodeGroups, when set, narrow the targets to those names.
	AutoScalingGroups []string
	NodeGroups        []string
	Canary            Canary
	// MaxUnavailablePercent (1..100).
	MaxUnavailablePercent int
}

// RunOptions configure Run.
type RunOptions struct {
	AWS  Clients
	Kube Kube
	// Yes applies the changes that need it (Plan target NeedsYes).
	Yes bool
	// NoRollback leaves things as they are when a gate fails.
	NoRollback bool
	// Timeout bounds the whole rollout; GateTimeout each gate (new nodes Ready, on the new
	// AMI and kubelet, their Windows pods Running and Ready).
	Timeout     time.Duration
	GateTimeout time.Duration
	// Poll is the interval between reads while waiting (default 15 s).
	Poll time.Duration
	// Kubernetes is the kubelet minor ("1.31", the spec's kubernetesVersion) the gate
	// expects on new nodes; "" checks only the version skew against the API server.
	Kubernetes string
	// Now and Sleep are the clock Run reads (elapsed times, gate and timeout deadlines) and
	// how it waits between reads; nil: the wall clock and a timer. Tests step a manual clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Progress, when set, receives progress lines (stderr).
	Progress func(format string, args ...any)
	// Interrupted, when set, is asked whether to roll back after the context is cancelled
	// (Ctrl-C); nil rolls back.
	Interrupted func() bool
}

// Result is what Run did.
type Result struct {
	Targets []TargetResult `json:"targets"`
	// Gate is the failed gate's finding, "" when every gate passed.
	Gate string `json:"gate,omitempty"`
	// RolledBack lists what the rollback did, in order.
	RolledBack []string `json:"rolledBack,omitempty"`
}

// TargetResult is one target's outcome.
type TargetResult struct {
	Kind     Kind   `json:"kind"`
	Name     string `json:"name"`
	Region   string `json:"region"`
	Replaced int    `json:"replaced"`
	Total    int    `json:"total"`
	// State: "moved", "up-to-date", "skipped" (NeedsYes without --yes), "failed",
	// "rolled-back", "not-started".
	State string `json:"state"`
	// LaunchTemplateVersion is the version the rollout created, 0 when none.
	LaunchTemplateVersion int64 `json:"launchTemplateVersion,omitempty"`
	// InstanceRefreshID / UpdateID name the refresh or node group update it started.
	InstanceRefreshID string `json:"instanceRefreshId,omitempty"`
	UpdateID          string `json:"updateId,omitempty"`
	Elapsed           string `json:"elapsed"`
}

// ensure the signatures the helpers implement stay the contract.
var (
	_ func(context.Context, DiscoverOptions) (*Plan, error)     = Discover
	_ func(context.Context, *Plan, RunOptions) (*Result, error) = Run
)
