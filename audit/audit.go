package audit

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/images"
	parallelpkg "github.com/winami/winami/internal/parallel"
)

// Node labels the audit reads.
const (
	LabelOS           = "kubernetes.io/os"
	LabelWindowsBuild = "node.kubernetes.io/windows-build"
	LabelNodeGroup    = "eks.amazonaws.com/nodegroup"
	LabelNodePool     = "karpenter.sh/nodepool"
)

// DefaultPageSize is the number of nodes asked for per List request.
const DefaultPageSize = 500

// DefaultConcurrency is the number of EC2 requests in flight per region.
const DefaultConcurrency = 4

// AWS gives the per-region clients the audit calls; *awsapi.Clients satisfies it.
type AWS interface {
	EC2(region string) awsapi.EC2
	SSM(region string) awsapi.SSM
}

// Options configure Run.
type Options struct {
	// Kube is the cluster's client.
	Kube kubernetes.Interface
	// AWS gives the EC2 and SSM clients per region.
	AWS AWS
	// DefaultRegion is the region of nodes whose providerID names no zone.
	DefaultRegion string
	// Expect is what every node should run; its zero value expects nothing.
	Expect Expectation
	// CheckLatest reports EKS-optimized AMIs that are no longer the newest for their
	// Windows version, edition and Kubernetes version.
	CheckLatest bool
	// PageSize is the List page size (DefaultPageSize when zero).
	PageSize int64
	// Concurrency bounds the EC2 requests in flight per region (DefaultConcurrency when zero).
	Concurrency int
	// Progress, when set, receives progress lines (for stderr).
	Progress func(format string, args ...any)
	// Coverage, when set, adds the cache coverage of each AMI the nodes run to the
	// report (see [Report.Coverage]).
	Coverage *CoverageOptions
}

// Expectation is what every Windows node should run.
type Expectation struct {
	// Image is the expected AMI: an AMI id ("ami-…", the same in every region) or an SSM
	// parameter ("ssm:/path", or "/path") read in each node's region.
	Image string
	// Source says where Image came from, for messages: "--expect-image" or
	// "winami.yaml distribution.publishParameter".
	Source string
	// Kubernetes is the expected kubelet minor ("1.31"), or "".
	Kubernetes string
	// Windows is the expected Windows Server version ("2022"), or "".
	Windows string
}

// Report is the result of an audit.
type Report struct {
	// ServerVersion is the API server's git version.
	ServerVersion string `json:"serverVersion"`
	// WindowsNodes is the number of Windows nodes audited.
	WindowsNodes int `json:"windowsNodes"`
	// Regions are the AWS regions the nodes run in.
	Regions []string `json:"regions"`
	// Expected lists the expected AMI per region, when an expectation was given.
	Expected []ExpectedImage `json:"expected,omitempty"`
	// Summary groups the nodes by (AMI, kubelet, OS build), largest group first.
	Summary []Group `json:"summary"`
	// Findings are the problems found, errors first.
	Findings []Finding `json:"findings"`
	// Errors and Warnings count the findings by severity.
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	// Requests counts the API requests the audit made, by "service:Operation".
	Requests map[string]int `json:"requests"`
	// Nodes are the audited nodes, by name.
	Nodes []Node `json:"nodes"`
	// Coverage is, per AMI the Windows nodes run, what a new node launched from it must
	// pull before the cluster's Windows pods start (with Options.Coverage).
	Coverage []images.Coverage `json:"coverage,omitempty"`
	// CoverageWarnings say what the coverage could not read (pods it may not list…).
	CoverageWarnings []string `json:"coverageWarnings,omitempty"`
}

// ExpectedImage is the AMI expected in one region.
type ExpectedImage struct {
	Region  string `json:"region"`
	ImageID string `json:"imageId,omitempty"`
	// Source is the AMI id or SSM parameter it was read from.
	Source string `json:"source"`
	// Error says why it could not be resolved.
	Error string `json:"error,omitempty"`
}

// Node is one Windows node, its instance and its AMI.
type Node struct {
	Name       string `json:"name"`
	ProviderID string `json:"providerID,omitempty"`
	Region     string `json:"region,omitempty"`
	Zone       string `json:"zone,omitempty"`
	InstanceID string `json:"instanceId,omitempty"`
	// InstanceState is the EC2 state ("running", "terminated"…); "not-found" when EC2
	// no longer knows the instance; "" when the node names no instance.
	InstanceState string `json:"instanceState,omitempty"`
	ImageID       string `json:"imageId,omitempty"`
	ImageName     string `json:"imageName,omitempty"`
	// Windows is the Windows Server version of the AMI family ("2022"), when known.
	Windows        string `json:"windows,omitempty"`
	KubeletVersion string `json:"kubeletVersion"`
	OSImage        string `json:"osImage,omitempty"`
	KernelVersion  string `json:"kernelVersion,omitempty"`
	// OSBuild is major.minor.build from the node.kubernetes.io/windows-build label, else
	// from the kernel version.
	OSBuild   string `json:"osBuild,omitempty"`
	NodeGroup string `json:"nodeGroup,omitempty"`
	NodePool  string `json:"nodePool,omitempty"`
	// Ready is the status of the node's Ready condition: "True", "False", "Unknown" (the
	// kubelet stopped reporting), or "" when the node reports no Ready condition.
	Ready string `json:"ready"`
	// Unschedulable is the node's spec.unschedulable: it is cordoned.
	Unschedulable bool `json:"unschedulable"`
}

// IsReady tells whether the node's Ready condition is True.
func (n Node) IsReady() bool { return n.Ready == "True" }

// Group is a set of nodes sharing (AMI, kubelet, OS build). Nodes whose instance no
// longer runs (terminated, shutting down, unknown to EC2) are not counted under the AMI
// it ran: they form groups of their own, with an empty ImageID and their InstanceState.
type Group struct {
	ImageID   string `json:"imageId"`
	ImageName string `json:"imageName,omitempty"`
	// InstanceState is set on the groups of nodes whose instance is gone ("terminated",
	// "shutting-down", "not-found").
	InstanceState  string `json:"instanceState,omitempty"`
	KubeletVersion string `json:"kubeletVersion"`
	OSBuild        string `json:"osBuild"`
	Nodes          int    `json:"nodes"`
	// NotReady and Cordoned count the group's nodes whose Ready condition is not True,
	// and those marked unschedulable.
	NotReady   int      `json:"notReady"`
	Cordoned   int      `json:"cordoned"`
	NodeGroups []string `json:"nodeGroups,omitempty"`
	NodePools  []string `json:"nodePools,omitempty"`
}

// Severity ranks findings.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Finding is one problem, the nodes it concerns and what to do.
type Finding struct {
	// Check names the rule: one of the Check… constants.
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Action   string   `json:"action"`
	Nodes    []string `json:"nodes"`
}

// Checks.
const (
	CheckMultipleAMIs         = "multiple-amis"
	CheckUnexpectedAMI        = "unexpected-ami"
	CheckExpectedUnresolved   = "expected-ami-unresolved"
	CheckMultipleKubelets     = "multiple-kubelet-versions"
	CheckUnexpectedKubelet    = "unexpected-kubelet-version"
	CheckKubeletNewer         = "kubelet-newer-than-apiserver"
	CheckKubeletTooOld        = "kubelet-too-old"
	CheckKubeletAtSkewLimit   = "kubelet-at-skew-limit"
	CheckOSBuildMismatch      = "os-build-mismatch"
	CheckNotLatest            = "not-latest-ami"
	CheckInstanceGone         = "instance-gone"
	CheckAMIUnavailable       = "ami-unavailable"
	CheckNoInstance           = "no-instance"
	CheckInstanceStopped      = "instance-stopped"
	CheckNodeNotReady         = "node-not-ready"
	CheckNodeCordoned         = "node-cordoned"
	stateNotFound             = "not-found"
	maxNodesInMessage         = 3
	defaultExpectationSource  = "--expect-image"
	ssmPrefix                 = "ssm:"
	kubernetesVersionSkewSpan = 3
)

// counter counts requests by "service:Operation"; safe for concurrent use.
type counter struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counter) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

func (c *counter) add(key string) {
	c.mu.Lock()
	c.m[key]++
	c.mu.Unlock()
}

// Run audits the cluster's Windows nodes.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Kube == nil {
		return nil, fmt.Errorf("auditing nodes: no Kubernetes client")
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	reqs := &counter{m: map[string]int{}}

	sv, err := o.Kube.Discovery().ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("reading the API server version: %w", err)
	}
	reqs.add("kubernetes:version")
	server, err := ParseServerVersion(sv.GitVersion, sv.Major, sv.Minor)
	if err != nil {
		return nil, err
	}

	inv, err := takeInventory(ctx, o, reqs, progress)
	if err != nil {
		return nil, err
	}
	nodes, regions, regionOf := inv.nodes, inv.regions, inv.regionOf

	rep := &Report{
		ServerVersion: sv.GitVersion,
		WindowsNodes:  len(nodes),
		Regions:       regions,
		Expected:      []ExpectedImage{},
		Findings:      []Finding{},
	}
	for _, region := range regions {
		if o.Expect.Image != "" {
			rep.Expected = append(rep.Expected, regionOf[region].expected)
		}
	}
	if o.Expect.Image == "" {
		rep.Expected = nil
	}
	rep.Nodes = nodes
	rep.Summary = summarize(nodes)
	rep.Findings = findings(nodes, server, o.Expect, regionOf)
	for _, f := range rep.Findings {
		switch f.Severity {
		case SeverityError:
			rep.Errors++
		case SeverityWarning:
			rep.Warnings++
		}
	}
	if o.Coverage != nil {
		started := time.Now()
		rep.Coverage, rep.CoverageWarnings = coverage(ctx, o, nodes, regionOf)
		progress("read the cache coverage of %s in %s", plural(len(rep.Coverage), "AMI"), time.Since(started).Round(time.Millisecond))
	}
	rep.Requests = reqs.m
	return rep, nil
}

// inventory is the Windows nodes with their instances and AMIs, per region.
type inventory struct {
	nodes    []Node
	regions  []string
	regionOf map[string]*regionResult
}

// takeInventory lists the Windows nodes and describes their instances and AMIs (and the
// expected AMI), regions in parallel, and fills each node's instance state and AMI.
func takeInventory(ctx context.Context, o Options, reqs *counter, progress func(string, ...any)) (*inventory, error) {
	started := time.Now()
	nodes, err := listWindowsNodes(ctx, o.Kube, o.PageSize, o.DefaultRegion, reqs)
	if err != nil {
		return nil, err
	}
	progress("listed %s in %s (%s)", plural(len(nodes), "Windows node"), time.Since(started).Round(time.Millisecond), plural(reqs.get("kubernetes:listNodes"), "list request"))
	started = time.Now()

	byRegion := map[string][]int{}
	for i, n := range nodes {
		if n.InstanceID != "" && n.Region != "" {
			byRegion[n.Region] = append(byRegion[n.Region], i)
		}
	}
	regions := slices.Sorted(maps.Keys(byRegion))
	if regions == nil {
		regions = []string{}
	}
	if len(byRegion) > 0 && o.AWS == nil {
		return nil, fmt.Errorf("auditing nodes: no AWS clients")
	}

	results := make([]*regionResult, len(regions))
	err = parallel(ctx, len(regions), len(regions), func(ctx context.Context, i int) error {
		region := regions[i]
		ids := make([]string, 0, len(byRegion[region]))
		for _, ni := range byRegion[region] {
			ids = append(ids, nodes[ni].InstanceID)
		}
		r, err := auditRegion(ctx, o, region, ids, reqs)
		if err != nil {
			return fmt.Errorf("auditing region %s: %w", region, err)
		}
		results[i] = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(regions) > 0 {
		progress("described their instances and AMIs in %s in %s (%s)", strings.Join(regions, ", "),
			time.Since(started).Round(time.Millisecond), plural(reqs.get("ec2:DescribeInstances")+reqs.get("ec2:DescribeImages"), "EC2 request"))
	}
	regionOf := map[string]*regionResult{}
	for i, region := range regions {
		r := results[i]
		regionOf[region] = r
		for _, ni := range byRegion[region] {
			n := &nodes[ni]
			inst, ok := r.instances[n.InstanceID]
			if !ok {
				n.InstanceState = stateNotFound
				continue
			}
			n.InstanceState = inst.state
			n.ImageID = inst.imageID
			if img, ok := r.images[inst.imageID]; ok {
				n.ImageName = img.name
				n.Windows = img.windows
			}
		}
	}
	return &inventory{nodes: nodes, regions: regions, regionOf: regionOf}, nil
}

// summarize groups nodes by (AMI, kubelet, OS build), largest group first.
func summarize(nodes []Node) []Group {
	type key struct{ image, state, kubelet, build string }
	groups := map[key]*Group{}
	var order []key
	for _, n := range nodes {
		image, name, state := n.ImageID, n.ImageName, ""
		if n.InstanceID != "" && n.Region != "" && !isLive(n.InstanceState) {
			// The node's instance is gone: it runs no AMI (the one EC2 still reports for a
			// terminated instance is history), as the instance-gone finding says.
			image, name, state = "", "", n.InstanceState
		}
		k := key{image, state, n.KubeletVersion, n.OSBuild}
		g := groups[k]
		if g == nil {
			g = &Group{ImageID: image, ImageName: name, InstanceState: state, KubeletVersion: n.KubeletVersion, OSBuild: n.OSBuild}
			groups[k] = g
			order = append(order, k)
		}
		g.Nodes++
		if !n.IsReady() {
			g.NotReady++
		}
		if n.Unschedulable {
			g.Cordoned++
		}
		if n.NodeGroup != "" && !slices.Contains(g.NodeGroups, n.NodeGroup) {
			g.NodeGroups = append(g.NodeGroups, n.NodeGroup)
		}
		if n.NodePool != "" && !slices.Contains(g.NodePools, n.NodePool) {
			g.NodePools = append(g.NodePools, n.NodePool)
		}
	}
	out := make([]Group, 0, len(order))
	for _, k := range order {
		g := groups[k]
		sort.Strings(g.NodeGroups)
		sort.Strings(g.NodePools)
		out = append(out, *g)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Nodes != out[j].Nodes {
			return out[i].Nodes > out[j].Nodes
		}
		a, b := out[i], out[j]
		return a.ImageID+"\x00"+a.InstanceState+"\x00"+a.KubeletVersion+"\x00"+a.OSBuild < b.ImageID+"\x00"+b.InstanceState+"\x00"+b.KubeletVersion+"\x00"+b.OSBuild
	})
	return out
}

// plural is "1 node" / "3 nodes".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// someNodes names up to maxNodesInMessage nodes: "a, b, c and 7 more".
func someNodes(names []string) string {
	if len(names) <= maxNodesInMessage {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:maxNodesInMessage], ", ") + fmt.Sprintf(" and %d more", len(names)-maxNodesInMessage)
}

// parallel runs fn(0..n-1) with at most limit running at once (parallel.ForEach).
var parallel = parallelpkg.ForEach
