package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/internal/awsfixture"
	"github.com/winami/winami/kube"
)

// auditWorld is awsemu plus a fake cluster that `winami audit` is pointed at.
type auditWorld struct {
	t      *testing.T
	ec2    *awsfixture.AWS
	ssm    *awsfixture.AWS
	nodes  []runtime.Object
	server string
	got    kube.Options
}

func newAuditWorld(t *testing.T) *auditWorld {
	t.Helper()
	srv := useEmulator(t)
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	w := &auditWorld{t: t, ec2: awsfixture.New(cfg), ssm: awsfixture.New(cfg), server: "v1.35.3-eks-5e0fdde"}
	useKube(t, w.kube)
	return w
}

// kube is the world's Kubernetes client: a fake clientset of its nodes and API server
// version, recording the kubeconfig and context it was asked for.
func (w *auditWorld) kube(o kube.Options) (kubernetes.Interface, error) {
	w.got = o
	cs := fake.NewSimpleClientset(w.nodes...)
	cs.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: w.server, Major: "1", Minor: "35+"}
	return cs, nil
}

// windowsNodes launches n instances of the named seeded AMI and adds a node for each.
func (w *auditWorld) windowsNodes(prefix, date, kubelet string, n int) string {
	w.t.Helper()
	ctx := context.Background()
	name := catalog.EKSOptimizedAMIName("2022", catalog.Core, "1.35", date)
	imgs, err := w.ec2.DescribeImagesOwnedBy(ctx, name)
	if err != nil || len(imgs.Images) != 1 {
		w.t.Fatalf("finding %s: %v", name, err)
	}
	ami := aws.ToString(imgs.Images[0].ImageId)
	out, err := w.ec2.RunInstances(ctx, ami, n, "")
	if err != nil {
		w.t.Fatalf("RunInstances: %v", err)
	}
	for i, in := range out.Instances {
		w.nodes = append(w.nodes, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: prefix + string(rune('a'+i)), Labels: map[string]string{
				"kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": "10.0.20348", "karpenter.sh/nodepool": "windows",
			}},
			Spec: corev1.NodeSpec{ProviderID: "aws:///us-east-1a/" + aws.ToString(in.InstanceId)},
			Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion: kubelet, OSImage: "Windows Server 2022 Datacenter", KernelVersion: "10.0.20348.2700",
			}, Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
		})
	}
	return ami
}

func TestAuditCleanTable(t *testing.T) {
	t.Parallel()
	w := newAuditWorld(t)
	ami := w.windowsNodes("win-", "2026.11.12", "v1.35.2-eks-ba74326", 3)
	kc := filepath.Join(t.TempDir(), "kc") // only its path is passed on: the clientset is faked
	if err := os.WriteFile(kc, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := run(t, "audit", "--kubeconfig", kc, "--context", "prod", "--expect-image", ami)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if w.got.Kubeconfig != kc || w.got.Context != "prod" {
		t.Errorf("kube options %+v", w.got)
	}
	for _, want := range []string{"3 Windows nodes; API server v1.35.3-eks-5e0fdde", ami, "windows", "No findings"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "listed 3 Windows nodes") {
		t.Errorf("no progress on stderr: %q", stderr)
	}
}

func TestAuditJSONContractAndExit1(t *testing.T) {
	t.Parallel()
	w := newAuditWorld(t)
	w.windowsNodes("new-", "2026.11.12", "v1.35.2-eks-ba74326", 2)
	old := w.windowsNodes("old-", "2026.10.15", "v1.31.2-eks-ba74326", 1)
	out, stderr, code := run(t, "audit", "-o", "json")
	if code != 1 || !strings.Contains(stderr, "error: audit: 3 errors") {
		t.Fatalf("exit %d, stderr %q; want 1 and the count of errors", code, stderr)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"serverVersion", "windowsNodes", "regions", "summary", "findings", "errors", "warnings", "requests", "nodes"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	var rep struct {
		Findings []struct {
			Check, Severity, Message, Action string
			Nodes                            []string
		}
		Nodes []struct {
			Name, ImageID, KubeletVersion, OSBuild, NodePool string
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		got[f.Check] = f.Severity + " " + strings.Join(f.Nodes, ",")
		if f.Message == "" || f.Action == "" {
			t.Errorf("finding without message or action: %+v", f)
		}
	}
	want := map[string]string{
		"multiple-amis":             "error old-a",
		"multiple-kubelet-versions": "error old-a",
		"kubelet-too-old":           "error old-a",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("finding %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if len(rep.Nodes) != 3 || rep.Nodes[2].Name != "old-a" || rep.Nodes[2].ImageID != old || rep.Nodes[2].NodePool != "windows" {
		t.Errorf("nodes = %+v", rep.Nodes)
	}
}

func TestAuditSpecFile(t *testing.T) {
	t.Parallel()
	w := newAuditWorld(t)
	ami := w.windowsNodes("win-", "2026.11.12", "v1.35.2", 2)
	const param = "/winami/prod-win2022/image_id"
	other := w.windowsNodes("x-", "2026.09.11", "v1.35.2", 1)
	if _, err := w.ssm.PutImageParameter(context.Background(), param, ami); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "winami.yaml")
	doc := `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata: {name: prod-win2022, region: us-east-1}
spec:
  kubernetesVersion: "1.35"
  windows: {version: "2022", edition: Core}
  distribution:
    publishParameter: ` + param + "\n"
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := run(t, "audit", "-f", file, "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	var rep struct {
		Expected []struct{ Region, ImageID, Source string }
		Findings []struct {
			Check   string
			Message string
			Nodes   []string
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Expected) != 1 || rep.Expected[0].ImageID != ami {
		t.Errorf("expected = %+v", rep.Expected)
	}
	found := false
	for _, f := range rep.Findings {
		if f.Check == "unexpected-ami" {
			found = true
			if strings.Join(f.Nodes, ",") != "x-a" || !strings.Contains(f.Message, "publishParameter") {
				t.Errorf("unexpected-ami = %+v (the node on %s)", f, other)
			}
		}
	}
	if !found {
		t.Errorf("no unexpected-ami finding: %+v", rep.Findings)
	}
}

func TestAuditBadInput(t *testing.T) {
	t.Parallel()
	newAuditWorld(t)
	spec := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(spec, []byte("apiVersion: winami.io/v1alpha1\nkind: WindowsImage\nspec:\n  kubernetesVersion: 1.31.2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "-f", "x.yaml", "--expect-image", "ami-0123456789abcdef0"}, "give one of them"},
		{[]string{"audit", "--expect-image", "ami-xyz"}, "ami- and 8 or 17 hex digits"},
		{[]string{"audit", "--expect-image", "latest"}, "ssm:/name"},
		{[]string{"audit", "--page-size", "0"}, "--page-size"},
		{[]string{"audit", "--kubeconfig", filepath.Join(t.TempDir(), "no-kubeconfig")}, "flag --kubeconfig"},
		{[]string{"audit", "-f", filepath.Join(t.TempDir(), "missing.yaml")}, "missing.yaml"},
		{[]string{"audit", "-f", spec}, "kubernetesVersion"},
	} {
		_, stderr, code := run(t, tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("winami %v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestAuditTableCounts: the table's header line counts nodes in good English, and a
// cluster without Windows nodes says so instead of claiming they all agree.
func TestAuditTableCounts(t *testing.T) {
	t.Parallel()
	w := newAuditWorld(t)
	out, stderr, code := run(t, "audit")
	if code != 0 || !strings.Contains(out, "0 Windows nodes;") || !strings.Contains(out, "the cluster has no Windows nodes") || strings.Contains(out, "every Windows node") {
		t.Errorf("no Windows nodes: exit %d:\n%s%s", code, out, stderr)
	}
	w.windowsNodes("win-", "2026.11.12", "v1.35.2-eks-ba74326", 1)
	out, stderr, code = run(t, "audit")
	if code != 0 || !strings.Contains(out, "1 Windows node; API server") || !strings.Contains(out, "every Windows node runs the same AMI") {
		t.Errorf("one Windows node: exit %d:\n%s%s", code, out, stderr)
	}
}
