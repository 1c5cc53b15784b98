package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/winami/winami/audit"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/images"
	"github.com/winami/winami/images/imagestest"
)

// TestCacheCoverageCommands: winami audit and winami images discover report the cache
// coverage of the nodes' AMI (recorded in its winami:cached-images tags, read from awsemu)
// against the images the Windows pods run (read from a loopback registry), in JSON and
// as a table with the spec change that closes it.
func TestCacheCoverageCommands(t *testing.T) {
	t.Parallel()
	host := imageRegistry(t)
	base := imagestest.Layers(t, 2, 32<<10)
	web, app := host+"/web:1.0", host+"/app:2.0"
	webDigest := imagestest.Push(t, web, imagestest.WindowsImage(t, osLTSC2022, append(append([]v1.Layer(nil), base...), imagestest.Layers(t, 1, 4<<10)...), 0))
	appOwn := imagestest.Layers(t, 1, 8<<10)
	imagestest.Push(t, app, imagestest.WindowsImage(t, osLTSC2022, append(append([]v1.Layer(nil), base...), appOwn...), 0))
	appOwnBytes, _ := appOwn[0].Size()

	w := newAuditWorld(t)
	ctx := context.Background()
	eks := w.windowsNodes("tmp-", "2026.11.12", "v1.35.2-eks-ba74326", 1)
	w.nodes = nil
	src, err := w.ec2.RunInstances(ctx, eks, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	created, err := w.ec2.CreateImage(ctx, src.Instances[0].InstanceId, "cli-win2022-cache", nil)
	if err != nil {
		t.Fatal(err)
	}
	own := aws.ToString(created.ImageId)
	tags := (imagebuilder.Inputs{ParentImage: eks, Images: []string{web + "@" + webDigest}}).Tags("cli-win2022")
	if _, err := w.ec2.CreateTags(ctx, tags, own); err != nil {
		t.Fatal(err)
	}
	out, err := w.ec2.RunInstances(ctx, own, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	w.nodes = append(w.nodes,
		&corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: "win-a", Labels: map[string]string{"kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": "10.0.20348"}},
			Spec:       corev1.NodeSpec{ProviderID: "aws:///us-east-1a/" + aws.ToString(out.Instances[0].InstanceId)},
			Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.35.2-eks-ba74326", KernelVersion: "10.0.20348.2700"},
				Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
		},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1"}, Spec: corev1.PodSpec{NodeName: "win-a", Containers: []corev1.Container{{Name: "web", Image: web}}}, Status: corev1.PodStatus{Phase: corev1.PodRunning}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "app-1"}, Spec: corev1.PodSpec{NodeName: "win-a", Containers: []corev1.Container{{Name: "app", Image: app}}}, Status: corev1.PodStatus{Phase: corev1.PodRunning}},
	)
	kc := filepath.Join(t.TempDir(), "kc")
	if err := os.WriteFile(kc, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	check := func(what string, covs []images.Coverage) {
		t.Helper()
		if len(covs) != 1 || covs[0].ImageID != own || !covs[0].CacheKnown || covs[0].PullBytes != appOwnBytes || covs[0].Covered != 1 ||
			len(covs[0].Add) != 1 || covs[0].Add[0] != app {
			t.Errorf("%s coverage: %+v", what, covs)
		}
	}
	jsonOut, stderr, code := run(t, "audit", "--kubeconfig", kc, "-o", "json")
	if code != ExitOK {
		t.Fatalf("audit: exit %d\n%s", code, stderr)
	}
	var rep audit.Report
	if err := json.Unmarshal([]byte(jsonOut), &rep); err != nil {
		t.Fatal(err)
	}
	check("audit", rep.Coverage)
	table, stderr, code := run(t, "audit", "--kubeconfig", kc)
	for _, want := range []string{"Cache coverage of " + own + " (us-east-1, 1 node, Windows 10.0.20348): a new node pulls 9.5 KiB before every pod can start", "(1/2 images cached)",
		"partly-cached", "2/3", "to close it, add to spec.cache.images and rebuild:", "    - " + app} {
		if code != ExitOK || !strings.Contains(table, want) {
			t.Errorf("audit table lacks %q (exit %d):\n%s%s", want, code, table, stderr)
		}
	}
	t.Logf("audit table:\n%s", table)
	if table, _, _ := run(t, "audit", "--kubeconfig", kc, "--no-coverage"); strings.Contains(table, "Cache coverage") {
		t.Errorf("--no-coverage printed coverage:\n%s", table)
	}

	// images discover: the same coverage next to the images.
	jsonOut, stderr, code = run(t, "images", "discover", "--kubeconfig", kc, "-o", "json")
	if code != ExitOK {
		t.Fatalf("images discover: exit %d\n%s", code, stderr)
	}
	var d images.Discovery
	if err := json.Unmarshal([]byte(jsonOut), &d); err != nil {
		t.Fatal(err)
	}
	check("images discover", d.Coverage)
	table, _, _ = run(t, "images", "discover", "--kubeconfig", kc)
	if !strings.Contains(table, "IMAGE") || !strings.Contains(table, "Cache coverage of "+own) || !strings.Contains(table, "    - "+app) {
		t.Errorf("images discover table:\n%s", table)
	}
}
