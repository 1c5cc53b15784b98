package images

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/winami/winami/images/imagestest"
)

var winSelector = map[string]string{LabelOS: OSWindows}

func node(name, os string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{LabelOS: os}}}
}

func podSpec(sel map[string]string, images ...string) corev1.PodSpec {
	s := corev1.PodSpec{NodeSelector: sel}
	for i, im := range images {
		if strings.HasPrefix(im, "init:") {
			s.InitContainers = append(s.InitContainers, corev1.Container{Name: "init" + string(rune('a'+i)), Image: strings.TrimPrefix(im, "init:")})
			continue
		}
		s.Containers = append(s.Containers, corev1.Container{Name: "c" + string(rune('a'+i)), Image: im})
	}
	return s
}

func pod(ns, name, nodeName string, phase corev1.PodPhase, spec corev1.PodSpec) *corev1.Pod {
	spec.NodeName = nodeName
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec, Status: corev1.PodStatus{Phase: phase}}
}

func tmpl(spec corev1.PodSpec) corev1.PodTemplateSpec { return corev1.PodTemplateSpec{Spec: spec} }

const (
	aspnet   = "mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022"
	appImg   = "111000111000.dkr.ecr.us-east-1.amazonaws.com/myapp:1.4.2"
	initImg  = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
	linuxImg = "nginx:1.27"
	appDig   = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
)

func cluster() *fake.Clientset {
	running := pod("shop", "web-1", "win-1", corev1.PodRunning, podSpec(nil, "init:"+initImg, appImg))
	running.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "cb", Image: appImg, ImageID: "111000111000.dkr.ecr.us-east-1.amazonaws.com/myapp@" + appDig}}
	running.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "inita", Image: initImg, ImageID: "sha256:2222222222222222222222222222222222222222222222222222222222222222"}}

	affinity := podSpec(nil, aspnet)
	affinity.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: LabelOS, Operator: corev1.NodeSelectorOpIn, Values: []string{OSWindows}}}}},
	}}}
	osField := podSpec(nil, "example.com/osfield:1")
	osField.OS = &corev1.PodOS{Name: corev1.Windows}

	objs := []runtime.Object{
		node("win-1", "windows"), node("win-2", "windows"), node("lin-1", "linux"),
		running,
		pod("shop", "web-2", "win-2", corev1.PodRunning, podSpec(nil, appImg)),
		pod("shop", "pending-win", "", corev1.PodPending, podSpec(winSelector, aspnet)),
		pod("shop", "affinity", "", corev1.PodPending, affinity),
		pod("shop", "osfield", "", corev1.PodPending, osField),
		pod("shop", "on-linux", "lin-1", corev1.PodRunning, podSpec(nil, linuxImg)),
		pod("shop", "pending-any", "", corev1.PodPending, podSpec(nil, "example.com/anywhere:1")),
		pod("shop", "done", "win-1", corev1.PodSucceeded, podSpec(nil, "example.com/finished:1")),
		pod("ops", "agent-x", "win-1", corev1.PodRunning, podSpec(nil, "example.com/agent:3")),
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}, Spec: appsv1.DeploymentSpec{Template: tmpl(podSpec(winSelector, "init:"+initImg, appImg))}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "scaled-to-zero"}, Spec: appsv1.DeploymentSpec{Template: tmpl(podSpec(winSelector, "example.com/batch:7"))}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "proxy"}, Spec: appsv1.DeploymentSpec{Template: tmpl(podSpec(map[string]string{LabelOS: "linux"}, linuxImg))}},
		&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db"}, Spec: appsv1.StatefulSetSpec{Template: tmpl(podSpec(winSelector, "example.com/sql:2022"))}},
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: "agent"}, Spec: appsv1.DaemonSetSpec{Template: tmpl(podSpec(winSelector, "init:example.com/agent-init:3", "example.com/agent:3"))}},
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: "linux-agent"}, Spec: appsv1.DaemonSetSpec{Template: tmpl(podSpec(nil, "example.com/linux-agent:1"))}},
		&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "migrate"}, Spec: batchv1.JobSpec{Template: tmpl(podSpec(winSelector, "example.com/migrate:9"))}},
		&batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "report"}, Spec: batchv1.CronJobSpec{JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl(podSpec(winSelector, "example.com/report:1"))}}}},
	}
	return fake.NewClientset(objs...)
}

func TestDiscoverAllNamespaces(t *testing.T) {
	d, err := Discover(context.Background(), cluster(), DiscoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.WindowsNodes != 2 {
		t.Errorf("windows nodes %d, want 2", d.WindowsNodes)
	}
	// web-1, web-2, pending-win, affinity, osfield, agent-x.
	if d.WindowsPods != 6 {
		t.Errorf("windows pods %d, want 6", d.WindowsPods)
	}
	got := map[string]UsedImage{}
	var names []string
	for _, im := range d.Images {
		got[im.Image] = im
		names = append(names, im.Image)
	}
	want := []string{
		appImg, "example.com/agent-init:3", "example.com/agent:3", "example.com/batch:7",
		"example.com/migrate:9", "example.com/osfield:1", "example.com/report:1", "example.com/sql:2022",
		aspnet, initImg,
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("images\n got %v\nwant %v", names, want)
	}
	check := func(image string, pods int, init bool, workloads ...string) {
		t.Helper()
		u := got[image]
		if u.Pods != pods || u.Init != init || !reflect.DeepEqual(u.Workloads, workloads) {
			t.Errorf("%s: pods %d init %v workloads %v; want %d %v %v", image, u.Pods, u.Init, u.Workloads, pods, init, workloads)
		}
	}
	check(appImg, 2, false, "Deployment/shop/web")
	check(initImg, 1, true, "Deployment/shop/web")
	check(aspnet, 2, false)
	check("example.com/agent:3", 1, false, "DaemonSet/ops/agent")
	check("example.com/agent-init:3", 0, true, "DaemonSet/ops/agent")
	check("example.com/batch:7", 0, false, "Deployment/shop/scaled-to-zero")
	check("example.com/sql:2022", 0, false, "StatefulSet/shop/db")
	check("example.com/migrate:9", 0, false, "Job/shop/migrate")
	check("example.com/report:1", 0, false, "CronJob/shop/report")
	check("example.com/osfield:1", 1, false)

	// The digest a node pulled comes from the pod status; a bare image ID does not count.
	if u := got[appImg]; u.Digest != appDig || u.Pinned != "111000111000.dkr.ecr.us-east-1.amazonaws.com/myapp@"+appDig {
		t.Errorf("app digest %q pinned %q", u.Digest, u.Pinned)
	}
	if u := got[initImg]; u.Digest != "" || u.Pinned != "" {
		t.Errorf("init image pinned from a local image id: %+v", u)
	}
	cache := d.CacheImages()
	if cache[0] != got[appImg].Pinned || cache[len(cache)-1] != initImg {
		t.Errorf("cache images %v", cache)
	}
}

func TestDiscoverNamespace(t *testing.T) {
	d, err := Discover(context.Background(), cluster(), DiscoverOptions{Namespace: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, im := range d.Images {
		names = append(names, im.Image)
	}
	if want := []string{"example.com/agent-init:3", "example.com/agent:3"}; !reflect.DeepEqual(names, want) {
		t.Errorf("ops images %v, want %v", names, want)
	}
	if d.WindowsPods != 1 || d.Namespace != "ops" {
		t.Errorf("%+v", d)
	}
}

func TestSelectsWindows(t *testing.T) {
	req := func(terms ...corev1.NodeSelectorTerm) *corev1.PodSpec {
		return &corev1.PodSpec{Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: terms}}}}
	}
	term := func(op corev1.NodeSelectorOperator, vals ...string) corev1.NodeSelectorTerm {
		return corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: LabelOS, Operator: op, Values: vals}}}
	}
	for _, tc := range []struct {
		name string
		spec *corev1.PodSpec
		want bool
	}{
		{"nothing", &corev1.PodSpec{}, false},
		{"selector", &corev1.PodSpec{NodeSelector: winSelector}, true},
		{"beta selector", &corev1.PodSpec{NodeSelector: map[string]string{"beta.kubernetes.io/os": "windows"}}, true},
		{"linux selector", &corev1.PodSpec{NodeSelector: map[string]string{LabelOS: "linux"}}, false},
		{"os field", &corev1.PodSpec{OS: &corev1.PodOS{Name: corev1.Windows}}, true},
		{"affinity in windows", req(term(corev1.NodeSelectorOpIn, "windows")), true},
		{"affinity in windows or linux", req(term(corev1.NodeSelectorOpIn, "windows", "linux")), false},
		{"affinity not in linux", req(term(corev1.NodeSelectorOpNotIn, "linux")), true},
		{"one of two terms", req(term(corev1.NodeSelectorOpIn, "windows"), term(corev1.NodeSelectorOpIn, "linux")), false},
	} {
		if got := SelectsWindows(tc.spec); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPinResolvesMissingDigests(t *testing.T) {
	noDockerConfig(t)
	reg := imagestest.Start(t, nil)
	idxDigest := imagestest.Push(t, reg.Host+"/app:1", imagestest.Index(t, imagestest.WindowsImage(t, os2022, nil, 1)))
	known := "sha256:3333333333333333333333333333333333333333333333333333333333333333"
	d := &Discovery{Images: []UsedImage{
		{Image: reg.Host + "/app:1"},
		{Image: reg.Host + "/gone:1"},
		{Image: reg.Host + "/pulled:2", Digest: known, Pinned: reg.Host + "/pulled@" + known},
	}}
	errs := d.Pin(context.Background(), fastOpts())
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "gone:1") {
		t.Errorf("errors %v, want one naming gone:1", errs)
	}
	want := []string{reg.Host + "/app@" + idxDigest, reg.Host + "/gone:1", reg.Host + "/pulled@" + known}
	if got := d.CacheImages(); !reflect.DeepEqual(got, want) {
		t.Errorf("cache images\n got %v\nwant %v", got, want)
	}
	// The digest already known from a pod was not looked up again.
	if n := reg.Count("HEAD", "/pulled/"); n != 0 {
		t.Errorf("pulled:2 looked up %d times", n)
	}
}

func TestPin(t *testing.T) {
	for in, want := range map[string]string{
		"repo:1":                  "repo@sha256:x",
		"localhost:5000/repo:1":   "localhost:5000/repo@sha256:x",
		"localhost:5000/repo":     "localhost:5000/repo@sha256:x",
		"a.io/b/c@sha256:old":     "a.io/b/c@sha256:x",
		"a.io/b/c:tag@sha256:old": "a.io/b/c@sha256:x",
	} {
		if got := pin(in, "sha256:x"); got != want {
			t.Errorf("pin(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDiscoverSkipsForbiddenLists(t *testing.T) {
	cs := cluster()
	forbid := func(resource string) {
		cs.PrependReactor("list", resource, func(action k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "", errors.New("RBAC: no"))
		})
	}
	forbid("nodes")
	forbid("cronjobs")
	d, err := Discover(context.Background(), cs, DiscoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Warnings) != 2 || !strings.Contains(d.Warnings[0], "nodes") || !strings.Contains(d.Warnings[1], "cronjobs") {
		t.Errorf("warnings %q", d.Warnings)
	}
	var names []string
	for _, im := range d.Images {
		names = append(names, im.Image)
	}
	all := strings.Join(names, " ")
	// Without nodes, bound pods are judged by their spec: web-1 (no selector, on a
	// Windows node) is no longer seen, but the Deployment that runs it is.
	if strings.Contains(all, "report:1") || !strings.Contains(all, appImg) || strings.Contains(all, linuxImg) {
		t.Errorf("images %v", names)
	}
	if d.WindowsNodes != 0 {
		t.Errorf("windows nodes %d", d.WindowsNodes)
	}
	for _, im := range d.Images {
		if im.Image == appImg && (im.Pods != 0 || len(im.Workloads) != 1) {
			t.Errorf("app image without node information: %+v", im)
		}
	}

	forbid("pods")
	if _, err := Discover(context.Background(), cs, DiscoverOptions{}); err == nil || !strings.Contains(err.Error(), "listing pods") {
		t.Errorf("pods forbidden: %v", err)
	}
}
