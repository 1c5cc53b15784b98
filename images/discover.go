package images

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Labels and values that mark Windows nodes and pods.
const (
	LabelOS     = "kubernetes.io/os"
	labelOSBeta = "beta.kubernetes.io/os"
	OSWindows   = "windows"
)

// DiscoverOptions tune [Discover].
type DiscoverOptions struct {
	// Namespace limits discovery to one namespace ("" for all).
	Namespace string
}

// Discovery is what [Discover] found.
type Discovery struct {
	// Namespace is the namespace searched ("" for all).
	Namespace string `json:"namespace"`
	// WindowsNodes is the number of Windows nodes in the cluster.
	WindowsNodes int `json:"windowsNodes"`
	// WindowsPods is the number of live (not Succeeded or Failed) Windows pods.
	WindowsPods int `json:"windowsPods"`
	// Images used by Windows pods and workload templates, sorted by name.
	Images []UsedImage `json:"images"`
	// Warnings name what could not be listed (forbidden by RBAC) and was skipped.
	Warnings []string `json:"warnings,omitempty"`
	// Coverage is, per AMI the Windows nodes run, what the AMI caches of Images and what a
	// new node must pull (see [CacheCoverage]); filled by the caller (winami images
	// discover reads the AMIs through package audit).
	Coverage []Coverage `json:"coverage,omitempty"`
}

// UsedImage is one image used by the cluster's Windows workloads.
type UsedImage struct {
	// Image is the reference as written in the pod spec.
	Image string `json:"image"`
	// Pods is how many live Windows pods run it (in any container, init included).
	Pods int `json:"pods"`
	// Workloads are the Deployments, StatefulSets, DaemonSets, Jobs and CronJobs whose
	// Windows pod template uses it ("Deployment/ns/name").
	Workloads []string `json:"workloads,omitempty"`
	// Init is true when it runs as an init container somewhere.
	Init bool `json:"init,omitempty"`
	// Digest is what the image resolved to: from a pod's status (the digest the node
	// pulled) or, after [Discovery.Pin], from the registry.
	Digest string `json:"digest,omitempty"`
	// Pinned is Image's repository at Digest.
	Pinned string `json:"pinned,omitempty"`
}

// CacheImages returns the references for spec.cache.images: pinned to digests where
// known, as written otherwise.
func (d *Discovery) CacheImages() []string {
	out := make([]string, 0, len(d.Images))
	for _, im := range d.Images {
		if im.Pinned != "" {
			out = append(out, im.Pinned)
		} else {
			out = append(out, im.Image)
		}
	}
	return out
}

// Pin resolves through the registries the digests of the images no pod status gave,
// and returns one error per image that could not be resolved.
func (d *Discovery) Pin(ctx context.Context, opts Options) []error {
	var refs []string
	for _, im := range d.Images {
		if im.Digest == "" {
			refs = append(refs, im.Image)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	var errs []error
	var valid []string
	for _, r := range refs {
		if _, err := ParseRefs([]string{r}); err != nil {
			errs = append(errs, err)
			continue
		}
		valid = append(valid, r)
	}
	digests, err := Resolve(ctx, valid, opts)
	if err != nil {
		errs = append(errs, unjoin(err)...)
	}
	for i := range d.Images {
		im := &d.Images[i]
		if dg, ok := digests[im.Image]; ok && im.Digest == "" {
			im.Digest, im.Pinned = dg, pin(im.Image, dg)
		}
	}
	return errs
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// pin returns image's repository (as written) at digest.
func pin(image, digest string) string {
	repo := image
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	return repo + "@" + digest
}

// Discover lists the images used by the cluster's Windows workloads: pods scheduled on
// Windows nodes, unscheduled pods that select Windows (nodeSelector or required node
// affinity on kubernetes.io/os, or spec.os.name), init containers included, and the pod
// templates of Deployments, StatefulSets, DaemonSets, Jobs and CronJobs that would run
// on Windows.
func Discover(ctx context.Context, cs kubernetes.Interface, opts DiscoverOptions) (*Discovery, error) {
	ns := opts.Namespace
	d := &Discovery{Namespace: ns}
	// skip turns a forbidden list into a warning: discovery goes on with what it may read.
	skip := func(what string, err error) error {
		if apierrors.IsForbidden(err) {
			d.Warnings = append(d.Warnings, fmt.Sprintf("listing %s is forbidden (%v): skipped", what, err))
			return nil
		}
		return fmt.Errorf("listing %s: %w", what, err)
	}
	nodeOS := map[string]bool{} // node name → is Windows
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		if err := skip("nodes (pods are then judged by their nodeSelector, affinity and spec.os only)", err); err != nil {
			return nil, err
		}
		nodes = &corev1.NodeList{}
	}
	for _, n := range nodes.Items {
		win := n.Labels[LabelOS] == OSWindows || n.Labels[labelOSBeta] == OSWindows || n.Status.NodeInfo.OperatingSystem == OSWindows
		nodeOS[n.Name] = win
		if win {
			d.WindowsNodes++
		}
	}

	used := map[string]*UsedImage{}
	get := func(image string) *UsedImage {
		u := used[image]
		if u == nil {
			u = &UsedImage{Image: image}
			used[image] = u
		}
		return u
	}

	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		win, known := nodeOS[p.Spec.NodeName]
		if p.Spec.NodeName == "" || !known {
			win = SelectsWindows(&p.Spec)
		}
		if !win {
			continue
		}
		d.WindowsPods++
		digests := statusDigests(p)
		seen := map[string]bool{}
		for _, c := range allContainers(&p.Spec) {
			u := get(c.image)
			u.Init = u.Init || c.init
			if u.Digest == "" && digests[c.name] != "" {
				u.Digest = digests[c.name]
				u.Pinned = pin(u.Image, u.Digest)
			}
			if !seen[c.image] {
				seen[c.image] = true
				u.Pods++
			}
		}
	}

	addTemplate := func(kind, namespace, name string, spec *corev1.PodSpec) {
		if !SelectsWindows(spec) {
			return
		}
		w := kind + "/" + namespace + "/" + name
		for _, c := range allContainers(spec) {
			u := get(c.image)
			u.Init = u.Init || c.init
			if n := len(u.Workloads); n == 0 || u.Workloads[n-1] != w {
				u.Workloads = append(u.Workloads, w)
			}
		}
	}
	apps, batch := cs.AppsV1(), cs.BatchV1()
	deps, err := apps.Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		if err := skip("deployments", err); err != nil {
			return nil, err
		}
		deps = &appsv1.DeploymentList{}
	}
	for _, o := range deps.Items {
		addTemplate("Deployment", o.Namespace, o.Name, &o.Spec.Template.Spec)
	}
	sts, err := apps.StatefulSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		if err := skip("statefulsets", err); err != nil {
			return nil, err
		}
		sts = &appsv1.StatefulSetList{}
	}
	for _, o := range sts.Items {
		addTemplate("StatefulSet", o.Namespace, o.Name, &o.Spec.Template.Spec)
	}
	dss, err := apps.DaemonSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		if err := skip("daemonsets", err); err != nil {
			return nil, err
		}
		dss = &appsv1.DaemonSetList{}
	}
	for _, o := range dss.Items {
		addTemplate("DaemonSet", o.Namespace, o.Name, &o.Spec.Template.Spec)
	}
	jobs, err := batch.Jobs(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		if err := skip("jobs", err); err != nil {
			return nil, err
		}
		jobs = &batchv1.JobList{}
	}
	for _, o := range jobs.Items {
		addTemplate("Job", o.Namespace, o.Name, &o.Spec.Template.Spec)
	}
	cjs, err := batch.CronJobs(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		if err := skip("cronjobs", err); err != nil {
			return nil, err
		}
		cjs = &batchv1.CronJobList{}
	}
	for _, o := range cjs.Items {
		addTemplate("CronJob", o.Namespace, o.Name, &o.Spec.JobTemplate.Spec.Template.Spec)
	}

	for _, u := range used {
		sort.Strings(u.Workloads)
		d.Images = append(d.Images, *u)
	}
	sort.Slice(d.Images, func(i, j int) bool { return d.Images[i].Image < d.Images[j].Image })
	if d.Images == nil {
		d.Images = []UsedImage{}
	}
	return d, nil
}

// SelectsWindows reports whether a pod spec can only run on Windows nodes: spec.os.name
// is windows, its nodeSelector asks for kubernetes.io/os=windows, or every required
// node-affinity term restricts kubernetes.io/os to windows.
func SelectsWindows(spec *corev1.PodSpec) bool {
	if spec.OS != nil && spec.OS.Name == corev1.Windows {
		return true
	}
	if spec.NodeSelector[LabelOS] == OSWindows || spec.NodeSelector[labelOSBeta] == OSWindows {
		return true
	}
	a := spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return false
	}
	terms := a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	if len(terms) == 0 {
		return false
	}
	for _, t := range terms {
		if !termSelectsWindows(t) {
			return false
		}
	}
	return true
}

func termSelectsWindows(t corev1.NodeSelectorTerm) bool {
	for _, e := range t.MatchExpressions {
		if e.Key != LabelOS && e.Key != labelOSBeta {
			continue
		}
		switch e.Operator {
		case corev1.NodeSelectorOpIn:
			if len(e.Values) > 0 && all(e.Values, OSWindows) {
				return true
			}
		case corev1.NodeSelectorOpNotIn:
			// NotIn [linux] leaves Windows as the only OS Kubernetes schedules.
			if len(e.Values) > 0 && all(e.Values, "linux") {
				return true
			}
		}
	}
	return false
}

func all(vs []string, want string) bool {
	for _, v := range vs {
		if v != want {
			return false
		}
	}
	return true
}

type container struct {
	name, image string
	init        bool
}

func allContainers(spec *corev1.PodSpec) []container {
	var out []container
	for _, c := range spec.InitContainers {
		out = append(out, container{c.Name, c.Image, true})
	}
	for _, c := range spec.Containers {
		out = append(out, container{c.Name, c.Image, false})
	}
	return out
}

// statusDigests maps container names to the digest their image resolved to, from
// imageID values like "repo@sha256:…" (an ID without a repository is a local image
// ID, not a registry digest, and is ignored).
func statusDigests(p *corev1.Pod) map[string]string {
	out := map[string]string{}
	for _, ss := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, s := range ss {
			id := strings.TrimPrefix(s.ImageID, "docker-pullable://")
			if i := strings.Index(id, "@sha256:"); i > 0 {
				out[s.Name] = id[i+1:]
			}
		}
	}
	return out
}
