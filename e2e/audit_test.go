//go:build e2e && unix

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/catalog"
)

var winamiBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "winami-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	winamiBin, err = BuildWinami(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir) // a temporary directory: best effort
	os.Exit(code)
}

// scenario is one cluster state: nodes in the real API server, instances in awsemu.
type scenario struct {
	t       *testing.T
	ctx     context.Context
	cluster *Cluster
	srv     *awsemu.Server
	ec2     *ec2.Client
	run     string
	nodes   []*corev1.Node
	home    string
}

const (
	region    = "us-east-1"
	build2022 = "10.0.20348"
)

var runSeq int

func newScenario(t *testing.T) *scenario {
	t.Helper()
	ctx := context.Background()
	c, err := Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.GrantAudit(ctx); err != nil {
		t.Fatal(err)
	}
	srv := emulatortest.Start(t)
	runSeq++
	s := &scenario{t: t, ctx: ctx, cluster: c, srv: srv, home: t.TempDir(),
		ec2: ec2.NewFromConfig(awstest.SDKConfig(srv.URL(), region)),
		run: fmt.Sprintf("%d-%d", os.Getpid(), runSeq)}
	// Nodes are cluster-scoped and the audit lists them all: start and end empty.
	if list, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil || len(list.Items) > 0 {
		t.Fatalf("the cluster is not empty before the scenario (%v): %d nodes; run e2e/setup.sh down and up", err, len(list.Items))
	}
	t.Cleanup(func() {
		if err := c.DeleteNodes(context.Background(), s.run); err != nil {
			t.Errorf("cleaning up: %v", err)
		}
	})
	return s
}

// ami is the seeded EKS-optimized Windows Server 2022 Core AMI for k8s released on date.
func (s *scenario) ami(k8s, date string) string {
	s.t.Helper()
	name := catalog.EKSOptimizedAMIName("2022", catalog.Core, k8s, date)
	out, err := s.ec2.DescribeImages(s.ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"},
		Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{name}}}})
	if err != nil || len(out.Images) != 1 {
		s.t.Fatalf("finding AMI %s: %v", name, err)
	}
	return aws.ToString(out.Images[0].ImageId)
}

// launch runs one instance of ami (RunInstances over HTTP) and returns its id.
func (s *scenario) launch(ami string) string {
	s.t.Helper()
	out, err := s.ec2.RunInstances(s.ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		InstanceType: ec2types.InstanceTypeM6i2xlarge})
	if err != nil {
		s.t.Fatalf("RunInstances %s: %v", ami, err)
	}
	return aws.ToString(out.Instances[0].InstanceId)
}

// windows adds a Windows node on a new instance of ami; it returns the instance id.
func (s *scenario) windows(name, ami, kubelet string) string {
	id := s.launch(ami)
	s.nodes = append(s.nodes, Node(NodeSpec{Name: name, Windows: true, Zone: region + "a", InstanceID: id,
		Kubelet: kubelet, OSBuild: build2022, NodeGroup: "windows-ng", Run: s.run}))
	return id
}

// create writes the scenario's nodes into the API server.
func (s *scenario) create() {
	s.t.Helper()
	if err := s.cluster.CreateNodes(s.ctx, s.nodes, 4); err != nil {
		s.t.Fatal(err)
	}
}

type report struct {
	ServerVersion string
	WindowsNodes  int
	Regions       []string
	Summary       []struct {
		ImageID, ImageName, KubeletVersion, OSBuild string
		Nodes                                       int
		NodeGroups                                  []string
	}
	Findings []struct {
		Check, Severity, Message, Action string
		Nodes                            []string
	}
	Errors, Warnings int
	Nodes            []struct {
		Name, ImageID, InstanceState, KubeletVersion, OSBuild string
	}
}

// audit runs `winami audit -o json` as the winami-audit user and decodes the report.
func (s *scenario) audit(args ...string) (report, Result) {
	s.t.Helper()
	env := AWSEnv(s.srv.URL(), region, s.home)
	args = append([]string{"audit", "--kubeconfig", s.cluster.Kubeconfig, "--context", AuditContext, "-o", "json"}, args...)
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, winamiBin, env, args...)
	if err != nil {
		s.t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(res.Stdout, &rep); err != nil {
		s.t.Fatalf("winami %v: exit %d, stdout is not a report (%v)\nstdout: %s\nstderr: %s", args, res.ExitCode, err, res.Stdout, res.Stderr)
	}
	return rep, res
}

func (r report) finding(check string) (severity string, nodes string) {
	for _, f := range r.Findings {
		if f.Check == check {
			return f.Severity, strings.Join(f.Nodes, ",")
		}
	}
	return "", ""
}

func (r report) checks() []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Severity+":"+f.Check)
	}
	sort.Strings(out)
	return out
}

func TestAuditCleanCluster(t *testing.T) {
	s := newScenario(t)
	if s.cluster.ServerVersion != "v1.37.2" {
		t.Fatalf("API server reports %q, want v1.37.2 (built with the version ldflags by e2e/setup.sh)", s.cluster.ServerVersion)
	}
	ami := s.ami("1.36", "2026.11.12")
	s.windows("win-a", ami, "v1.36.3-eks-1a2b3c4")
	s.windows("win-b", ami, "v1.36.3-eks-1a2b3c4")
	// A Karpenter node on the same AMI.
	id := s.launch(ami)
	s.nodes = append(s.nodes, Node(NodeSpec{Name: "win-karpenter", Windows: true, Zone: region + "c", InstanceID: id,
		Kubelet: "v1.36.3-eks-1a2b3c4", OSBuild: build2022, NodePool: "windows", Run: s.run}))
	// A Linux node on another AMI with an old kubelet: ignored, or it would make findings.
	linuxID := s.launch(s.ami("1.29", "2026.08.13"))
	s.nodes = append(s.nodes, Node(NodeSpec{Name: "linux-a", Zone: region + "b", InstanceID: linuxID, Kubelet: "v1.29.0-eks-0000000", NodeGroup: "linux-ng", Run: s.run}))
	s.create()
	s.windowsPod("iis", "win-a")

	// The expectation comes from an SSM parameter, as winami build publishes it.
	const param = "/winami/e2e/image_id"
	cfg := awstest.SDKConfig(s.srv.URL(), region)
	if _, err := ssm.NewFromConfig(cfg).PutParameter(s.ctx, &ssm.PutParameterInput{Name: aws.String(param), Value: aws.String(ami),
		Type: ssmtypes.ParameterTypeString, DataType: aws.String("aws:ec2:image")}); err != nil {
		t.Fatal(err)
	}
	rep, res := s.audit("--expect-image", "ssm:"+param, "--check-latest")
	if res.ExitCode != 0 || len(rep.Findings) != 0 {
		t.Fatalf("clean cluster: exit %d, findings %+v\nstderr: %s", res.ExitCode, rep.Findings, res.Stderr)
	}
	if rep.WindowsNodes != 3 || len(rep.Nodes) != 3 || rep.ServerVersion != "v1.37.2" {
		t.Errorf("report: %d Windows nodes (%d listed), server %q", rep.WindowsNodes, len(rep.Nodes), rep.ServerVersion)
	}
	if len(rep.Summary) != 1 || rep.Summary[0].Nodes != 3 || rep.Summary[0].ImageID != ami || rep.Summary[0].OSBuild != build2022 ||
		rep.Summary[0].ImageName != catalog.EKSOptimizedAMIName("2022", catalog.Core, "1.36", "2026.11.12") {
		t.Errorf("summary = %+v", rep.Summary)
	}
	// The table form, for people.
	res2, err := Run(s.ctx, winamiBin, AWSEnv(s.srv.URL(), region, s.home), "audit", "--kubeconfig", s.cluster.Kubeconfig, "--context", AuditContext)
	if err != nil || res2.ExitCode != 0 || !strings.Contains(string(res2.Stdout), "No findings") || !strings.Contains(string(res2.Stdout), "windows-ng, windows") {
		t.Errorf("table: exit %d, %v\n%s%s", res2.ExitCode, err, res2.Stdout, res2.Stderr)
	}
}

// windowsPod creates the default namespace's service account (no controller-manager runs
// here) and a Windows pod bound to node, Running.
func (s *scenario) windowsPod(name, node string) {
	s.t.Helper()
	core := s.cluster.Kube.CoreV1()
	if _, err := core.ServiceAccounts("default").Create(s.ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		s.t.Fatal(err)
	}
	pod, err := core.Pods("default").Create(s.ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{TestLabel: s.run}},
		Spec: corev1.PodSpec{
			NodeName:     node,
			NodeSelector: map[string]string{"kubernetes.io/os": "windows"},
			OS:           &corev1.PodOS{Name: corev1.Windows},
			Containers:   []corev1.Container{{Name: "iis", Image: "mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	pod.Status.Phase = corev1.PodRunning
	if _, err := core.Pods("default").UpdateStatus(s.ctx, pod, metav1.UpdateOptions{}); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() {
		_ = core.Pods("default").Delete(context.Background(), name, *metav1.NewDeleteOptions(0))
	})
}

func TestAuditTwoAMIs(t *testing.T) {
	s := newScenario(t)
	nov, oct := s.ami("1.36", "2026.11.12"), s.ami("1.36", "2026.10.15")
	s.windows("win-a", nov, "v1.36.3-eks-1a2b3c4")
	s.windows("win-b", nov, "v1.36.3-eks-1a2b3c4")
	s.windows("win-old", oct, "v1.36.3-eks-1a2b3c4")
	s.create()
	rep, res := s.audit("--check-latest")
	if res.ExitCode != 1 {
		t.Fatalf("exit %d, want 1\nstderr: %s", res.ExitCode, res.Stderr)
	}
	if sev, nodes := rep.finding("multiple-amis"); sev != "error" || nodes != "win-old" {
		t.Errorf("multiple-amis = %s %q; all %v", sev, nodes, rep.checks())
	}
	if sev, nodes := rep.finding("not-latest-ami"); sev != "warning" || nodes != "win-old" {
		t.Errorf("not-latest-ami = %s %q; all %v", sev, nodes, rep.checks())
	}
	if got := strings.Join(rep.checks(), " "); got != "error:multiple-amis warning:not-latest-ami" {
		t.Errorf("findings = %s", got)
	}
	if len(rep.Summary) != 2 || rep.Summary[0].Nodes != 2 || rep.Summary[0].ImageID != nov || rep.Summary[1].ImageID != oct {
		t.Errorf("summary = %+v", rep.Summary)
	}
	if !strings.Contains(string(res.Stderr), "error: audit: 1 error") {
		t.Errorf("stderr = %s", res.Stderr)
	}
}

func TestAuditKubeletFourMinorsBehind(t *testing.T) {
	s := newScenario(t)
	cur := s.ami("1.36", "2026.11.12")
	s.windows("win-a", cur, "v1.36.3-eks-1a2b3c4")
	s.windows("win-b", cur, "v1.36.3-eks-1a2b3c4")
	// 1.33 against the API server's 1.37: four minors behind.
	s.windows("win-133", s.ami("1.33", "2026.11.12"), "v1.33.7-eks-9f8e7d6")
	s.create()
	rep, res := s.audit()
	if res.ExitCode != 1 {
		t.Fatalf("exit %d, want 1\nstderr: %s", res.ExitCode, res.Stderr)
	}
	for check, want := range map[string]string{
		"kubelet-too-old":           "error win-133",
		"multiple-kubelet-versions": "error win-133",
		"multiple-amis":             "error win-133",
	} {
		if sev, nodes := rep.finding(check); sev+" "+nodes != want {
			t.Errorf("%s = %s %q, want %s; all %v", check, sev, nodes, want, rep.checks())
		}
	}
	if len(rep.Findings) != 3 || rep.Errors != 3 {
		t.Errorf("findings %v", rep.checks())
	}
}

func TestAuditInstanceGone(t *testing.T) {
	s := newScenario(t)
	ami := s.ami("1.36", "2026.11.12")
	s.windows("win-a", ami, "v1.36.3-eks-1a2b3c4")
	s.windows("win-b", ami, "v1.36.3-eks-1a2b3c4")
	gone := s.windows("win-terminated", ami, "v1.36.3-eks-1a2b3c4")
	s.nodes = append(s.nodes, Node(NodeSpec{Name: "win-unknown", Windows: true, Zone: region + "b", InstanceID: "i-0aaaaaaaaaaaaaaaa",
		Kubelet: "v1.36.3-eks-1a2b3c4", OSBuild: build2022, NodeGroup: "windows-ng", Run: s.run}))
	s.create()
	if _, err := s.ec2.TerminateInstances(s.ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{gone}}); err != nil {
		t.Fatal(err)
	}
	rep, res := s.audit()
	if res.ExitCode != 1 {
		t.Fatalf("exit %d, want 1\nstderr: %s", res.ExitCode, res.Stderr)
	}
	if got := strings.Join(rep.checks(), " "); got != "error:instance-gone" {
		t.Errorf("findings = %s", got)
	}
	if sev, nodes := rep.finding("instance-gone"); sev != "error" || nodes != "win-terminated,win-unknown" {
		t.Errorf("instance-gone = %s %q", sev, nodes)
	}
	states := map[string]string{}
	for _, n := range rep.Nodes {
		states[n.Name] = n.InstanceState
	}
	if states["win-terminated"] != "terminated" || states["win-unknown"] != "not-found" || states["win-a"] != "running" {
		t.Errorf("instance states = %v", states)
	}
}

func TestAuditNeedsOnlyNodeList(t *testing.T) {
	s := newScenario(t)
	s.windows("win-a", s.ami("1.36", "2026.11.12"), "v1.36.3-eks-1a2b3c4")
	s.create()
	// The audit user may list nodes; without the binding it may not, and the audit fails
	// (exit 1) saying so.
	if err := s.cluster.Kube.RbacV1().ClusterRoleBindings().Delete(s.ctx, AuditUser, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := Run(s.ctx, winamiBin, AWSEnv(s.srv.URL(), region, s.home), "audit", "--kubeconfig", s.cluster.Kubeconfig, "--context", AuditContext, "-o", "json")
	if err != nil || res.ExitCode != 1 || !strings.Contains(string(res.Stderr), `cannot list resource "nodes"`) {
		t.Errorf("without RBAC: exit %d, %v, stderr %s", res.ExitCode, err, res.Stderr)
	}
	if err := s.cluster.GrantAudit(s.ctx); err != nil {
		t.Fatal(err)
	}
	// RBAC changes reach the authorizer through a watch: retry briefly.
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := Run(s.ctx, winamiBin, AWSEnv(s.srv.URL(), region, s.home), "audit", "--kubeconfig", s.cluster.Kubeconfig, "--context", AuditContext, "-o", "json")
		if err == nil && res.ExitCode == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with RBAC: exit %d, %v\nstderr: %s", res.ExitCode, err, res.Stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if rep, _ := s.audit(); rep.WindowsNodes != 1 {
		t.Errorf("with RBAC: %d Windows nodes, want 1", rep.WindowsNodes)
	}
}
