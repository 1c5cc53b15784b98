package audit

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/catalog"
)

// world is awsemu over HTTP plus helpers that create instances through the SDK.
type world struct {
	t   *testing.T
	srv *awsemu.Server
	aws *awsapi.Clients
}

func newWorld(t *testing.T) *world {
	t.Helper()
	srv := emulatortest.Start(t)
	return &world{t: t, srv: srv, aws: awsapi.FromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))}
}

func (w *world) ec2(region string) *ec2.Client { return w.aws.EC2(region).(*ec2.Client) }

// ami finds a seeded EKS-optimized AMI by name through DescribeImages.
func (w *world) ami(region, win string, ed catalog.Edition, k8s, date string) string {
	w.t.Helper()
	name := catalog.EKSOptimizedAMIName(win, ed, k8s, date)
	out, err := w.ec2(region).DescribeImages(context.Background(), &ec2.DescribeImagesInput{
		Owners:  []string{catalog.AmazonOwner},
		Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{name}}},
	})
	if err != nil || len(out.Images) != 1 {
		w.t.Fatalf("finding AMI %s in %s: %v (%d images)", name, region, err, len(out.Images))
	}
	return aws.ToString(out.Images[0].ImageId)
}

// launch runs n instances of ami in region and returns their ids.
func (w *world) launch(region, ami string, n int) []string {
	w.t.Helper()
	out, err := w.ec2(region).RunInstances(context.Background(), &ec2.RunInstancesInput{
		ImageId: aws.String(ami), MinCount: aws.Int32(int32(n)), MaxCount: aws.Int32(int32(n)), InstanceType: ec2types.InstanceTypeM6iLarge,
	})
	if err != nil {
		w.t.Fatalf("running %d instances of %s: %v", n, ami, err)
	}
	var ids []string
	for _, in := range out.Instances {
		ids = append(ids, aws.ToString(in.InstanceId))
	}
	return ids
}

func (w *world) terminate(region string, ids ...string) {
	w.t.Helper()
	if _, err := w.ec2(region).TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
		w.t.Fatalf("terminating %v: %v", ids, err)
	}
}

func (w *world) count(op string) int { return w.srv.Faults.Count("ec2", op, "") }

// node is a Windows node of a managed node group.
func node(name, zone, instanceID, kubelet, build string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			LabelOS: "windows", LabelWindowsBuild: build, LabelNodeGroup: "win-ng",
		}},
		Spec: corev1.NodeSpec{ProviderID: "aws:///" + zone + "/" + instanceID},
		Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{
			KubeletVersion: kubelet, OSImage: "Windows Server 2022 Datacenter", KernelVersion: build + ".2700",
			OperatingSystem: "windows", Architecture: "amd64",
		}, Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
	}
}

func linuxNode(name, instanceID string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{LabelOS: "linux"}},
		Spec:       corev1.NodeSpec{ProviderID: "aws:///us-east-1a/" + instanceID},
		Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{
			KubeletVersion: "v1.20.0", OSImage: "Amazon Linux 2023", OperatingSystem: "linux",
		}},
	}
}

func cluster(server string, nodes ...*corev1.Node) *fake.Clientset {
	objs := make([]runtime.Object, len(nodes))
	for i, n := range nodes {
		objs[i] = n
	}
	cs := fake.NewSimpleClientset(objs...)
	v, _ := ParseVersion(server)
	cs.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{
		GitVersion: server, Major: fmt.Sprint(v.Major), Minor: fmt.Sprintf("%d+", v.Minor),
	}
	return cs
}

const (
	build2022 = "10.0.20348"
	build2019 = "10.0.17763"
)

func (w *world) audit(cs *fake.Clientset, mod func(*Options)) *Report {
	w.t.Helper()
	o := Options{Kube: cs, AWS: w.aws, DefaultRegion: "us-east-1"}
	if mod != nil {
		mod(&o)
	}
	rep, err := Run(context.Background(), o)
	if err != nil {
		w.t.Fatalf("Run: %v", err)
	}
	return rep
}

func findingOf(rep *Report, check string) *Finding {
	for i := range rep.Findings {
		if rep.Findings[i].Check == check {
			return &rep.Findings[i]
		}
	}
	return nil
}

func checks(rep *Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, string(f.Severity)+":"+f.Check)
	}
	return out
}

func TestCleanCluster(t *testing.T) {
	w := newWorld(t)
	ami := w.ami("us-east-1", "2022", catalog.Core, "1.35", "2026.11.12")
	ids := w.launch("us-east-1", ami, 3)
	linux := w.launch("us-east-1", ami, 1)
	cs := cluster("v1.35.3-eks-5e0fdde",
		node("win-a", "us-east-1a", ids[0], "v1.35.2-eks-ba74326", build2022),
		node("win-b", "us-east-1b", ids[1], "v1.35.2-eks-ba74326", build2022),
		node("win-c", "us-east-1c", ids[2], "v1.35.2-eks-ba74326", build2022),
		linuxNode("linux-a", linux[0]),
	)
	rep := w.audit(cs, func(o *Options) { o.Expect = Expectation{Image: ami}; o.CheckLatest = true })
	if len(rep.Findings) != 0 || rep.Errors != 0 {
		t.Fatalf("clean cluster has findings: %+v", rep.Findings)
	}
	if rep.WindowsNodes != 3 || len(rep.Nodes) != 3 {
		t.Fatalf("audited %d nodes (%d listed), want the 3 Windows nodes", rep.WindowsNodes, len(rep.Nodes))
	}
	for _, n := range rep.Nodes {
		if n.ImageID != ami || n.InstanceState != "running" || n.Windows != "2022" || n.Region != "us-east-1" || n.OSBuild != build2022 {
			t.Errorf("node %+v: want %s running, Windows 2022 in us-east-1", n, ami)
		}
	}
	if len(rep.Summary) != 1 || rep.Summary[0].Nodes != 3 || rep.Summary[0].ImageName != catalog.EKSOptimizedAMIName("2022", catalog.Core, "1.35", "2026.11.12") ||
		strings.Join(rep.Summary[0].NodeGroups, ",") != "win-ng" {
		t.Errorf("summary = %+v", rep.Summary)
	}
	if rep.ServerVersion != "v1.35.3-eks-5e0fdde" || len(rep.Expected) != 1 || rep.Expected[0].ImageID != ami {
		t.Errorf("server %q, expected %+v", rep.ServerVersion, rep.Expected)
	}
	// One DescribeInstances, one DescribeImages for the node AMIs, one for the newest of the family.
	if got := w.count("DescribeInstances"); got != 1 {
		t.Errorf("DescribeInstances requests = %d, want 1", got)
	}
	if got := w.count("DescribeImages") - 1; got != 2 { // minus the lookup in w.ami
		t.Errorf("DescribeImages requests = %d, want 2", got)
	}
}

func TestTwoAMIsAndKubeletSkew(t *testing.T) {
	w := newWorld(t)
	nov := w.ami("us-east-1", "2022", catalog.Core, "1.35", "2026.11.12")
	oct := w.ami("us-east-1", "2022", catalog.Core, "1.35", "2026.10.15")
	old := w.ami("us-east-1", "2022", catalog.Core, "1.31", "2026.11.12")
	a := w.launch("us-east-1", nov, 3)
	b := w.launch("us-east-1", oct, 1)
	c := w.launch("us-east-1", old, 1)
	cs := cluster("v1.35.3-eks-5e0fdde",
		node("n1", "us-east-1a", a[0], "v1.35.2-eks-ba74326", build2022),
		node("n2", "us-east-1a", a[1], "v1.35.2-eks-ba74326", build2022),
		node("n3", "us-east-1a", a[2], "v1.35.2-eks-ba74326", build2022),
		node("n4-oct", "us-east-1b", b[0], "v1.35.2-eks-ba74326", build2022),
		node("n5-old", "us-east-1c", c[0], "v1.31.9-eks-1234abc", build2022),
	)
	rep := w.audit(cs, func(o *Options) { o.CheckLatest = true })
	f := findingOf(rep, CheckMultipleAMIs)
	if f == nil || f.Severity != SeverityError || strings.Join(f.Nodes, ",") != "n4-oct,n5-old" ||
		!strings.Contains(f.Message, "3 AMIs") || !strings.Contains(f.Message, "on 3 nodes") {
		t.Errorf("multiple-amis finding = %+v", f)
	}
	f = findingOf(rep, CheckKubeletTooOld)
	if f == nil || f.Severity != SeverityError || strings.Join(f.Nodes, ",") != "n5-old" || !strings.Contains(f.Action, "1.32") {
		t.Errorf("kubelet-too-old finding = %+v", f)
	}
	f = findingOf(rep, CheckMultipleKubelets)
	if f == nil || f.Severity != SeverityError || strings.Join(f.Nodes, ",") != "n5-old" {
		t.Errorf("multiple-kubelet-versions finding = %+v", f)
	}
	f = findingOf(rep, CheckNotLatest)
	if f == nil || f.Severity != SeverityWarning || strings.Join(f.Nodes, ",") != "n4-oct" || !strings.Contains(f.Message, nov) {
		t.Errorf("not-latest-ami finding = %+v (all: %v)", f, checks(rep))
	}
	if rep.Errors != 3 || rep.Warnings != 1 {
		t.Errorf("errors %d, warnings %d; findings %v", rep.Errors, rep.Warnings, checks(rep))
	}
	if rep.Findings[len(rep.Findings)-1].Severity != SeverityWarning {
		t.Errorf("errors do not come first: %v", checks(rep))
	}
	if len(rep.Summary) != 3 || rep.Summary[0].Nodes != 3 || rep.Summary[0].ImageID != nov {
		t.Errorf("summary = %+v", rep.Summary)
	}
}

func TestSkewPolicy(t *testing.T) {
	nodes := []Node{
		{Name: "newer", KubeletVersion: "v1.36.0"},
		{Name: "same", KubeletVersion: "v1.35.1-eks-1"},
		{Name: "three", KubeletVersion: "v1.32.5-eks-2"},
		{Name: "four", KubeletVersion: "v1.31.4-eks-1234abc"},
		{Name: "unknown", KubeletVersion: ""},
	}
	server, err := ParseServerVersion("", "1", "35+")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range kubeletSkew(nodes, server) {
		got[f.Check] = string(f.Severity) + ":" + strings.Join(f.Nodes, ",")
	}
	want := map[string]string{
		CheckKubeletNewer:       "error:newer",
		CheckKubeletTooOld:      "error:four",
		CheckKubeletAtSkewLimit: "warning:three",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("skew findings = %v, want %v", got, want)
	}
}

func TestInstanceGoneAndBatching(t *testing.T) {
	w := newWorld(t)
	ami := w.ami("us-east-1", "2022", catalog.Core, "1.35", "2026.11.12")
	ids := w.launch("us-east-1", ami, 2100)
	w.terminate("us-east-1", ids[5])
	var nodes []*corev1.Node
	for i, id := range ids {
		nodes = append(nodes, node(fmt.Sprintf("n%04d", i), "us-east-1a", id, "v1.35.2", build2022))
	}
	// An instance EC2 never knew (long gone) and a node with no providerID.
	nodes = append(nodes, node("ghost", "us-east-1a", "i-0123456789abcdef0", "v1.35.2", build2022))
	bare := node("bare", "", "", "v1.35.2", build2022)
	bare.Spec.ProviderID = ""
	nodes = append(nodes, bare)
	w.srv.Faults.ResetCounts()
	rep := w.audit(cluster("v1.35.0", nodes...), nil)

	f := findingOf(rep, CheckInstanceGone)
	if f == nil || f.Severity != SeverityError || strings.Join(f.Nodes, ",") != "ghost,n0005" {
		t.Fatalf("instance-gone finding = %+v", f)
	}
	if f := findingOf(rep, CheckNoInstance); f == nil || f.Severity != SeverityWarning || strings.Join(f.Nodes, ",") != "bare" {
		t.Errorf("no-instance finding = %+v", f)
	}
	if findingOf(rep, CheckMultipleAMIs) != nil {
		t.Errorf("gone instances counted as another AMI: %v", checks(rep))
	}
	// 2,101 ids in batches of 1,000: 3 requests, plus one repeat of the batch whose
	// unknown id made EC2 refuse it.
	if got := w.count("DescribeInstances"); got != 4 {
		t.Errorf("DescribeInstances requests = %d, want 4", got)
	}
	if rep.Requests["ec2:DescribeInstances"] != 4 || rep.Requests["ec2:DescribeImages"] != 1 {
		t.Errorf("reported requests = %v", rep.Requests)
	}
	byName := map[string]Node{}
	for _, n := range rep.Nodes {
		byName[n.Name] = n
	}
	if byName["ghost"].InstanceState != stateNotFound || byName["n0005"].InstanceState != "terminated" || byName["n0006"].InstanceState != "running" {
		t.Errorf("states: ghost %q, n0005 %q, n0006 %q", byName["ghost"].InstanceState, byName["n0005"].InstanceState, byName["n0006"].InstanceState)
	}
}

func TestNotFoundWithoutIDsFallsBackToFilters(t *testing.T) {
	w := newWorld(t)
	ami := w.ami("us-west-2", "2019", catalog.Full, "1.33", "2026.11.12")
	ids := w.launch("us-west-2", ami, 450)
	var nodes []*corev1.Node
	for i, id := range ids {
		nodes = append(nodes, node(fmt.Sprintf("n%03d", i), "us-west-2b", id, "v1.33.1", build2019))
	}
	w.srv.Faults.ResetCounts()
	w.srv.Faults.FailNext("ec2", "DescribeInstances", awsemu.FaultError{Code: "InvalidInstanceID.NotFound", Message: "some instances do not exist"})
	rep := w.audit(cluster("v1.33.4", nodes...), nil)
	if len(rep.Findings) != 0 {
		t.Fatalf("findings: %+v", rep.Findings)
	}
	// The refused request, then 450 ids in filters of 200 values: 3 requests.
	if got := w.count("DescribeInstances"); got != 4 {
		t.Errorf("DescribeInstances requests = %d, want 4", got)
	}
	for _, n := range rep.Nodes {
		if n.ImageID != ami || n.Region != "us-west-2" {
			t.Fatalf("node %+v not mapped to %s", n, ami)
		}
	}
}

func TestExpectedImage(t *testing.T) {
	w := newWorld(t)
	east := w.ami("us-east-1", "2022", catalog.Core, "1.35", "2026.11.12")
	eastOld := w.ami("us-east-1", "2022", catalog.Core, "1.35", "2026.10.15")
	west := w.ami("us-west-2", "2022", catalog.Core, "1.35", "2026.11.12")
	a := w.launch("us-east-1", east, 1)
	b := w.launch("us-east-1", eastOld, 1)
	c := w.launch("us-west-2", west, 1)
	d := w.launch("eu-west-1", w.ami("eu-west-1", "2022", catalog.Core, "1.35", "2026.11.12"), 1)
	const param = "/winami/prod-win2022/image_id"
	for region, id := range map[string]string{"us-east-1": east, "us-west-2": west} {
		_, err := w.aws.SSM(region).PutParameter(context.Background(), &ssm.PutParameterInput{
			Name: aws.String(param), Value: aws.String(id), Type: ssmtypes.ParameterTypeString, DataType: aws.String("aws:ec2:image"),
		})
		if err != nil {
			t.Fatalf("PutParameter in %s: %v", region, err)
		}
	}
	cs := cluster("v1.35.0",
		node("east-new", "us-east-1a", a[0], "v1.35.2", build2022),
		node("east-old", "us-east-1a", b[0], "v1.35.2", build2022),
		node("west", "us-west-2a", c[0], "v1.35.2", build2022),
		node("eu", "eu-west-1a", d[0], "v1.35.2", build2022),
	)
	rep := w.audit(cs, func(o *Options) {
		o.Expect = Expectation{Image: "ssm:" + param, Source: "winami.yaml distribution.publishParameter"}
	})
	if f := findingOf(rep, CheckUnexpectedAMI); f == nil || strings.Join(f.Nodes, ",") != "east-old" || !strings.Contains(f.Message, "winami.yaml") {
		t.Errorf("unexpected-ami finding = %+v", f)
	}
	if f := findingOf(rep, CheckExpectedUnresolved); f == nil || strings.Join(f.Nodes, ",") != "eu" || !strings.Contains(f.Message, "eu-west-1") {
		t.Errorf("expected-ami-unresolved finding = %+v", f)
	}
	// Copies of one AMI in several regions share its name: not "multiple AMIs" by
	// themselves; the October AMI is the second one.
	if f := findingOf(rep, CheckMultipleAMIs); f == nil || !strings.Contains(f.Message, "2 AMIs") || strings.Join(f.Nodes, ",") != "east-old" {
		t.Errorf("multiple-amis finding = %+v", f)
	}
	if len(rep.Expected) != 3 || rep.Expected[0].Region != "eu-west-1" || rep.Expected[0].Error == "" || rep.Expected[1].ImageID != east || rep.Expected[2].ImageID != west {
		t.Errorf("expected = %+v", rep.Expected)
	}
	if got := rep.Requests["ssm:GetParameter"]; got != 3 {
		t.Errorf("GetParameter requests = %d, want one per region (3)", got)
	}
}

func TestOSBuildAndSpecExpectations(t *testing.T) {
	w := newWorld(t)
	ami := w.ami("us-east-1", "2022", catalog.Core, "1.35", "2026.11.12")
	ids := w.launch("us-east-1", ami, 2)
	cs := cluster("v1.36.1",
		node("right", "us-east-1a", ids[0], "v1.35.2", build2022),
		node("wrong-build", "us-east-1a", ids[1], "v1.35.2", build2019),
	)
	rep := w.audit(cs, func(o *Options) { o.Expect = Expectation{Kubernetes: "1.34", Windows: "2022"} })
	if f := findingOf(rep, CheckOSBuildMismatch); f == nil || strings.Join(f.Nodes, ",") != "wrong-build" || !strings.Contains(f.Message, build2019) {
		t.Errorf("os-build-mismatch finding = %+v", f)
	}
	if f := findingOf(rep, CheckUnexpectedKubelet); f == nil || len(f.Nodes) != 2 || !strings.Contains(f.Message, "1.34") {
		t.Errorf("unexpected-kubelet-version finding = %+v", f)
	}
}

func TestAMIUnavailable(t *testing.T) {
	w := newWorld(t)
	parent := w.launch("us-east-1", w.ami("us-east-1", "2022", catalog.Core, "1.35", "2026.11.12"), 1)
	ctx := context.Background()
	img, err := w.ec2("us-east-1").CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(parent[0]), Name: aws.String("prod-win2022-2026-11-20")})
	if err != nil {
		t.Fatalf("CreateImage: %v", err)
	}
	custom := aws.ToString(img.ImageId)
	ids := w.launch("us-east-1", custom, 2)
	cs := cluster("v1.35.0", node("n1", "us-east-1a", ids[0], "v1.35.2", build2022), node("n2", "us-east-1a", ids[1], "v1.35.2", build2022))
	rep := w.audit(cs, func(o *Options) { o.CheckLatest = true })
	if len(rep.Findings) != 0 || rep.Nodes[0].ImageName != "prod-win2022-2026-11-20" || rep.Nodes[0].Windows != "" {
		t.Fatalf("own AMI: findings %+v, node %+v", rep.Findings, rep.Nodes[0])
	}
	if _, err := w.ec2("us-east-1").DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(custom)}); err != nil {
		t.Fatalf("DeregisterImage: %v", err)
	}
	rep = w.audit(cs, nil)
	f := findingOf(rep, CheckAMIUnavailable)
	if f == nil || f.Severity != SeverityWarning || len(f.Nodes) != 2 || !strings.Contains(f.Message, custom+" in us-east-1") {
		t.Errorf("ami-unavailable finding = %+v", f)
	}
	if rep.Errors != 0 {
		t.Errorf("errors: %v", checks(rep))
	}
}

// providerlessNodes returns n Windows Server 2022 nodes named by format (with their
// index) and without a provider ID.
func providerlessNodes(n int, format string) []*corev1.Node {
	var nodes []*corev1.Node
	for i := range n {
		nd := node(fmt.Sprintf(format, i), "", "", "v1.35.2", build2022)
		nd.Spec.ProviderID = ""
		nodes = append(nodes, nd)
	}
	return nodes
}

// nodePage serves the page of nodes opts asks for as the API server would (the fake
// clientset ignores Limit and Continue): Continue is the offset of the next page.
func nodePage(nodes []*corev1.Node, opts metav1.ListOptions) *corev1.NodeList {
	start, _ := strconv.Atoi(opts.Continue) // "" (the first page) is 0
	end := min(start+int(opts.Limit), len(nodes))
	list := &corev1.NodeList{}
	for _, n := range nodes[start:end] {
		list.Items = append(list.Items, *n)
	}
	if end < len(nodes) {
		list.Continue = fmt.Sprint(end)
	}
	return list
}

func TestPagination(t *testing.T) {
	nodes := providerlessNodes(1234, "n%04d")
	cs := cluster("v1.35.0", nodes...)
	var calls []metav1.ListOptions
	cs.PrependReactor("list", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		la := a.(k8stesting.ListActionImpl)
		calls = append(calls, la.ListOptions)
		return true, nodePage(nodes, la.ListOptions), nil
	})
	rep, err := Run(context.Background(), Options{Kube: cs, PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 3 || rep.WindowsNodes != 1234 || rep.Requests["kubernetes:listNodes"] != 3 {
		t.Fatalf("%d list calls, %d nodes", len(calls), rep.WindowsNodes)
	}
	for _, c := range calls {
		if c.Limit != 500 || c.LabelSelector != "kubernetes.io/os=windows" {
			t.Errorf("list options %+v", c)
		}
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"v1.31.4-eks-1234abc": "1.31.4", "v1.35.0": "1.35.0", "1.29": "1.29.0", "v1.30.2+k3s1": "1.30.2",
	} {
		v, err := ParseVersion(in)
		if err != nil || v.String() != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %s", in, v, err, want)
		}
	}
	for _, bad := range []string{"", "latest", "v1"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted", bad)
		}
	}
	if v, err := ParseServerVersion("weird", "1", "31+"); err != nil || v.MinorString() != "1.31" {
		t.Errorf("ParseServerVersion minor 31+ = %v, %v", v, err)
	}
	for in, want := range map[string][3]string{
		"aws:///us-east-1a/i-0123456789abcdef0":       {"us-east-1a", "us-east-1", "i-0123456789abcdef0"},
		"aws:///us-west-2-lax-1a/i-0123456789abcdef0": {"us-west-2-lax-1a", "us-west-2", "i-0123456789abcdef0"},
		"aws:///us-gov-west-1b/i-01234567":            {"us-gov-west-1b", "us-gov-west-1", "i-01234567"},
		"aws://eu-central-1c/i-0123456789abcdef0":     {"eu-central-1c", "eu-central-1", "i-0123456789abcdef0"},
		"aws:////i-0123456789abcdef0":                 {"", "", "i-0123456789abcdef0"},
	} {
		z, r, i, ok := ParseProviderID(in)
		if !ok || [3]string{z, r, i} != want {
			t.Errorf("ParseProviderID(%q) = %q %q %q %v", in, z, r, i, ok)
		}
	}
	for _, bad := range []string{"", "gce://p/z/n", "aws:///us-east-1a/", "kind://docker/kind/node"} {
		if _, _, _, ok := ParseProviderID(bad); ok {
			t.Errorf("ParseProviderID(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{"ssm:/a/b": "/a/b", "/a/b": "/a/b"} {
		if got, ok := ParameterName(in); !ok || got != want {
			t.Errorf("ParameterName(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := ParameterName("ami-0123456789abcdef0"); ok {
		t.Error("an AMI id taken for a parameter")
	}
}

func TestListRestartsWhenContinueExpires(t *testing.T) {
	nodes := providerlessNodes(30, "n%02d")
	cs := cluster("v1.35.0", nodes...)
	calls, expired := 0, false
	cs.PrependReactor("list", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		calls++
		opts := a.(k8stesting.ListActionImpl).ListOptions
		start, _ := strconv.Atoi(opts.Continue) // "" (the first page) is 0
		if start > 0 && !expired {
			// etcd compacted past the list's revision: 410 Gone, once.
			expired = true
			return true, nil, apierrors.NewResourceExpired("too old resource version")
		}
		return true, nodePage(nodes, opts), nil
	})
	rep, err := Run(context.Background(), Options{Kube: cs, PageSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	// page 1, expired page 2, then pages 1 and 2 again; no node twice.
	if calls != 4 || rep.WindowsNodes != 30 || rep.Nodes[0].Name != "n00" || rep.Nodes[29].Name != "n29" {
		t.Errorf("%d list calls, %d nodes", calls, rep.WindowsNodes)
	}
}
