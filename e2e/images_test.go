//go:build e2e && unix

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// TestImagesDiscover runs `winami images discover` against the real API server: Windows
// and Linux nodes, pods bound to each, pending pods selecting Windows, and Deployments,
// StatefulSets, DaemonSets, Jobs and CronJobs for either OS; -o yaml pins the images
// through a loopback registry.
func TestImagesDiscover(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	run := fmt.Sprintf("images-%d", time.Now().UnixNano())
	ns := "winami-" + run
	core, apps, batch := c.Kube.CoreV1(), c.Kube.AppsV1(), c.Kube.BatchV1()
	if _, err := core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{TestLabel: run}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.DeleteNamespace(context.Background(), ns); err != nil {
			t.Errorf("cleaning up: %v", err)
		}
	})
	// No controller-manager runs: create the namespace's default service account.
	if _, err := core.ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	win, lin := run+"-win", run+"-lin"
	if err := c.CreateNodes(ctx, []*corev1.Node{
		Node(NodeSpec{Name: win, Windows: true, Zone: "us-east-1a", InstanceID: "i-0aaa", Kubelet: "v1.37.2-eks-1", OSBuild: "10.0.20348", Run: run}),
		Node(NodeSpec{Name: lin, Zone: "us-east-1a", InstanceID: "i-0bbb", Kubelet: "v1.37.2-eks-1", Run: run}),
	}, 2); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteNodes(context.Background(), run) })

	// The registry the images live in (loopback; anonymous).
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	digests := map[string]string{}
	for _, repo := range []string{"api:3", "web:2", "sql:2022", "agent:1", "agent-init:1", "migrate:9", "report:1"} {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := name.ParseReference(host + "/" + repo)
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		digests[repo] = d.String()
	}
	im := func(repo string) string { return host + "/" + repo }
	pinned := func(repo string) string { return host + "/" + strings.Split(repo, ":")[0] + "@" + digests[repo] }

	winSel := map[string]string{"kubernetes.io/os": "windows"}
	linSel := map[string]string{"kubernetes.io/os": "linux"}
	labels := map[string]string{TestLabel: run}
	spec := func(sel map[string]string, init string, images ...string) corev1.PodSpec {
		s := corev1.PodSpec{NodeSelector: sel}
		if init != "" {
			s.InitContainers = []corev1.Container{{Name: "init", Image: init}}
		}
		for i, image := range images {
			s.Containers = append(s.Containers, corev1.Container{Name: fmt.Sprintf("c%d", i), Image: image})
		}
		return s
	}
	pod := func(podName, node string, s corev1.PodSpec, imageID string) {
		t.Helper()
		s.NodeName = node
		p, err := core.Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: podName, Labels: labels}, Spec: s}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if node == "" {
			return
		}
		p.Status.Phase = corev1.PodRunning
		if imageID != "" {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c0", Image: s.Containers[0].Image, ImageID: imageID, Ready: true}}
		}
		if _, err := core.Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	nodePulled := "sha256:5555555555555555555555555555555555555555555555555555555555555555"
	pod("api-1", win, spec(nil, im("agent-init:1"), im("api:3")), host+"/api@"+nodePulled)
	pod("api-2", win, spec(nil, "", im("api:3")), "")
	pod("web-pending", "", spec(winSel, "", im("web:2")), "")
	pod("proxy", lin, spec(nil, "", "nginx:1.27"), "")
	pod("anywhere", "", spec(nil, "", "busybox:1"), "")

	tmpl := func(s corev1.PodSpec) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: s}
	}
	sel := &metav1.LabelSelector{MatchLabels: labels}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(apps.Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: appsv1.DeploymentSpec{Selector: sel, Template: tmpl(spec(winSel, "", im("web:2")))}}, metav1.CreateOptions{}))
	must(apps.Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "proxy"}, Spec: appsv1.DeploymentSpec{Selector: sel, Template: tmpl(spec(linSel, "", "nginx:1.27"))}}, metav1.CreateOptions{}))
	must(apps.StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: appsv1.StatefulSetSpec{Selector: sel, Template: tmpl(spec(winSel, "", im("sql:2022")))}}, metav1.CreateOptions{}))
	must(apps.DaemonSets(ns).Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent"}, Spec: appsv1.DaemonSetSpec{Selector: sel, Template: tmpl(spec(winSel, im("agent-init:1"), im("agent:1")))}}, metav1.CreateOptions{}))
	jobTmpl := tmpl(spec(winSel, "", im("migrate:9")))
	jobTmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	must(batch.Jobs(ns).Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "migrate"}, Spec: batchv1.JobSpec{Template: jobTmpl}}, metav1.CreateOptions{}))
	cronTmpl := tmpl(spec(winSel, "", im("report:1")))
	cronTmpl.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	must(batch.CronJobs(ns).Create(ctx, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "report"}, Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *",
		JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: cronTmpl}}}}, metav1.CreateOptions{}))

	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "DOCKER_CONFIG=" + filepath.Join(home, ".docker")}
	res, err := Run(ctx, winamiBin, env, "images", "discover", "--kubeconfig", c.Kubeconfig, "--context", AdminContext, "-n", ns, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", res.ExitCode, res.Stderr)
	}
	var d struct {
		WindowsPods int `json:"windowsPods"`
		Images      []struct {
			Image     string   `json:"image"`
			Pods      int      `json:"pods"`
			Workloads []string `json:"workloads"`
			Init      bool     `json:"init"`
			Digest    string   `json:"digest"`
		} `json:"images"`
	}
	if err := json.Unmarshal(res.Stdout, &d); err != nil {
		t.Fatalf("%v\n%s", err, res.Stdout)
	}
	got := map[string]string{}
	for _, u := range d.Images {
		got[u.Image] = fmt.Sprintf("pods=%d init=%v workloads=%s digest=%s", u.Pods, u.Init, strings.Join(u.Workloads, ","), u.Digest)
	}
	want := map[string]string{
		im("api:3"):        "pods=2 init=false workloads= digest=" + nodePulled,
		im("agent-init:1"): "pods=1 init=true workloads=DaemonSet/" + ns + "/agent digest=",
		im("web:2"):        "pods=1 init=false workloads=Deployment/" + ns + "/web digest=",
		im("sql:2022"):     "pods=0 init=false workloads=StatefulSet/" + ns + "/db digest=",
		im("agent:1"):      "pods=0 init=false workloads=DaemonSet/" + ns + "/agent digest=",
		im("migrate:9"):    "pods=0 init=false workloads=Job/" + ns + "/migrate digest=",
		im("report:1"):     "pods=0 init=false workloads=CronJob/" + ns + "/report digest=",
	}
	if len(got) != len(want) {
		t.Errorf("%d images, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s\n   want %s", k, got[k], v)
		}
	}
	if d.WindowsPods != 3 {
		t.Errorf("windows pods %d, want 3 (api-1, api-2, web-pending)", d.WindowsPods)
	}

	res, err = Run(ctx, winamiBin, env, "images", "discover", "--kubeconfig", c.Kubeconfig, "--context", AdminContext, "-n", ns, "-o", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("yaml: exit %d\n%s", res.ExitCode, res.Stderr)
	}
	var block struct {
		Spec struct {
			Cache struct {
				Images []string `json:"images"`
			} `json:"cache"`
		} `json:"spec"`
	}
	if err := yaml.UnmarshalStrict(res.Stdout, &block); err != nil {
		t.Fatalf("%v\n%s", err, res.Stdout)
	}
	wantBlock := []string{
		pinned("agent-init:1"), pinned("agent:1"), host + "/api@" + nodePulled, pinned("migrate:9"),
		pinned("report:1"), pinned("sql:2022"), pinned("web:2"),
	}
	if strings.Join(block.Spec.Cache.Images, "\n") != strings.Join(wantBlock, "\n") {
		t.Errorf("spec.cache.images:\n%s\nwant:\n%s", res.Stdout, strings.Join(wantBlock, "\n"))
	}
}
