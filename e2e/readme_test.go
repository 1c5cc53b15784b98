//go:build e2e && unix

package e2e

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	"github.com/winami/winami/internal/readmetest"
	"github.com/winami/winami/kube"
	"github.com/winami/winami/prune"
)

var update = flag.Bool("update", false, "rewrite README.md's captured outputs of the Kubernetes scenes with what this run printed")

// The README's values that a test run maps to its own (readmetest.Replacement).
const (
	readmeSandbox    = "127.0.0.1:4566"
	readmeRegistry   = "127.0.0.1:5000"
	readmeKubeconfig = "/tmp/winami-e2e/kubeconfig"
	// readmeSetupUp starts the API server in the README; e2e/run has started it already,
	// and running it again would restart the one every e2e test shares.
	readmeSetupUp = "e2e/setup.sh up"
)

// TestREADME runs README.md's console blocks that need a Kubernetes API server (the
// scenes tagged k8s: walkthrough step 9 and `winami rollout`, `winami audit`, `images
// discover` with audit's cache coverage, `prune --kubeconfig`) with internal/readmetest
// against the API server of e2e/run and the winami built from this checkout, and fails,
// naming the block, on any output that differs from the README's. -update rewrites those
// outputs instead.
//
// Each scene starts on a cluster without nodes, as the README's reader does: its commands
// list every node of the cluster. So the test refuses a scene when the cluster has nodes
// (another test's leftovers, named), and after each scene, failed or not, deletes what
// the scene created: nodes, the node agent's pods and DaemonSet, EC2NodeClasses, and
// namespaces with what they hold. The scenes' processes (sandboxes, node agents, the
// registry) run in the scene's bash session's process group, which the harness kills at
// the end of the scene.
func TestREADME(t *testing.T) {
	ctx := context.Background()
	c, err := Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(file))
	readme := filepath.Join(root, "README.md")
	src, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := readmetest.Parse("README.md", src)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Dir(winamiBin) // winami, built by TestMain from this checkout
	// The README's local registry, for the hidden setup of the discover scene.
	if out, err := exec.Command("go", "build", "-C", root, "-o", filepath.Join(bin, "docs-registry"), "./docs/registry").CombinedOutput(); err != nil {
		t.Fatalf("building docs/registry: %v\n%s", err, out)
	}
	// The harness kills each scene's processes when the scene ends; a test that runs into
	// go test's -timeout panics without running cleanups, so kill them shortly before.
	if deadline, ok := t.Deadline(); ok {
		watchdog := time.AfterFunc(time.Until(deadline)-30*time.Second, func() {
			t.Errorf("-timeout is 30 s away: killing the scenes' processes (%d)", killDescendants())
		})
		defer watchdog.Stop()
	}
	sandbox, registry := freePort(t), freePort(t)
	opts := readmetest.Options{
		README: readme,
		Root:   root,
		Bin:    bin,
		Replace: []readmetest.Replacement{
			{README: readmeSetupUp, Actual: "true", CommandOnly: true},
			// The audit's sandbox listens on its default port, 4566: mapped like the others.
			{README: "winami sandbox &", Actual: "winami sandbox --listen " + readmeSandbox + " &", CommandOnly: true},
			{README: readmeSandbox, Actual: "127.0.0.1:" + sandbox},
			{README: readmeRegistry, Actual: "127.0.0.1:" + registry},
			{README: readmeKubeconfig, Actual: c.Kubeconfig},
		},
		Timeout: 4 * time.Minute,
		Update:  *update,
	}
	ran := 0
	for _, sc := range doc.Scenes() {
		if !sc.HasTag("k8s") {
			continue
		}
		ran++
		// The node agent's stand-in DaemonSet is shared scaffolding the node agent tests
		// leave (any agent creates it when it starts); the README's reader has none until
		// step 9 starts an agent, and images discover and audit would list its image.
		if err := c.Kube.AppsV1().DaemonSets(AgentNamespace).Delete(ctx, AgentDaemonSet, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		before, err := snapshotCluster(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if len(before.nodes) > 0 || len(before.workloads) > 0 {
			t.Fatalf("scene %s: the API server has nodes or workloads already (%s): the README's scenes list every node and "+
				"workload of the cluster; delete them or restart it (e2e/setup.sh down && e2e/setup.sh up)",
				sc.Name, strings.Join(append(before.nodes, before.workloads...), ", "))
		}
		name := sc.Name
		opts.Select = func(s *readmetest.Scene) bool { return s.Name == name }
		func() {
			defer func() { // also when Run stops the test (t.Fatal runs deferred calls)
				if err := before.restore(ctx, c); err != nil {
					t.Fatalf("cleaning the cluster after scene %s: %v", name, err)
				}
			}()
			readmetest.Run(t, opts) // one scene: -update rewrites its outputs before the next scene reads the file
		}()
	}
	if ran == 0 {
		t.Fatal("README.md has no scene tagged k8s")
	}
}

// freePort returns a free 4-digit TCP port on 127.0.0.1 (the width of the README's 4566
// and 5000, so that tables keep their columns) other than those two.
func freePort(t *testing.T) string {
	t.Helper()
	for p := 4100; p < 9999; p += 7 {
		if p == 4566 || p == 5000 {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		_ = l.Close()
		if used[p] {
			continue
		}
		used[p] = true
		return fmt.Sprint(p)
	}
	t.Fatal("no free 4-digit port on 127.0.0.1")
	return ""
}

// used keeps the ports freePort handed out, so two calls never return the same one.
var used = map[int]bool{}

// clusterState is what existed before the README's scenes ran.
type clusterState struct {
	nodes, namespaces, nodeClasses []string
	// workloads are the pods and pod-template workloads of every namespace (kind/ns/name).
	workloads []string
	daemonSet bool
	dyn       dynamic.Interface
}

func snapshotCluster(ctx context.Context, c *Cluster) (*clusterState, error) {
	var s clusterState
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	for _, n := range nodes.Items {
		s.nodes = append(s.nodes, n.Name)
	}
	nss, err := c.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	all := metav1.ListOptions{}
	if l, err := c.Kube.CoreV1().Pods("").List(ctx, all); err == nil {
		for _, o := range l.Items {
			s.workloads = append(s.workloads, "pod/"+o.Namespace+"/"+o.Name)
		}
	}
	if l, err := c.Kube.AppsV1().Deployments("").List(ctx, all); err == nil {
		for _, o := range l.Items {
			s.workloads = append(s.workloads, "deployment/"+o.Namespace+"/"+o.Name)
		}
	}
	if l, err := c.Kube.AppsV1().StatefulSets("").List(ctx, all); err == nil {
		for _, o := range l.Items {
			s.workloads = append(s.workloads, "statefulset/"+o.Namespace+"/"+o.Name)
		}
	}
	if l, err := c.Kube.AppsV1().DaemonSets("").List(ctx, all); err == nil {
		for _, o := range l.Items {
			s.workloads = append(s.workloads, "daemonset/"+o.Namespace+"/"+o.Name)
		}
	}
	if l, err := c.Kube.BatchV1().Jobs("").List(ctx, all); err == nil {
		for _, o := range l.Items {
			s.workloads = append(s.workloads, "job/"+o.Namespace+"/"+o.Name)
		}
	}
	if l, err := c.Kube.BatchV1().CronJobs("").List(ctx, all); err == nil {
		for _, o := range l.Items {
			s.workloads = append(s.workloads, "cronjob/"+o.Namespace+"/"+o.Name)
		}
	}
	for _, n := range nss.Items {
		s.namespaces = append(s.namespaces, n.Name)
	}
	if _, err := c.Kube.AppsV1().DaemonSets(AgentNamespace).Get(ctx, AgentDaemonSet, metav1.GetOptions{}); err == nil {
		s.daemonSet = true
	}
	s.dyn, err = kube.NewDynamicClient(kube.Options{Kubeconfig: c.Kubeconfig, Context: AdminContext})
	if err != nil {
		return nil, err
	}
	if l, err := s.dyn.Resource(prune.EC2NodeClassResource).List(ctx, metav1.ListOptions{}); err == nil {
		for _, nc := range l.Items {
			s.nodeClasses = append(s.nodeClasses, nc.GetName())
		}
	}
	return &s, nil
}

// restore deletes what the scenes created: nodes, namespaces and EC2NodeClasses that
// were not there before, the node agent's pods, and its DaemonSet when it is new.
func (s *clusterState) restore(ctx context.Context, c *Cluster) error {
	var errs []string
	keep := func(list []string, name string) bool { return slices.Contains(list, name) }
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	var deleted []string
	for _, n := range nodes.Items {
		if keep(s.nodes, n.Name) {
			continue
		}
		if err := c.Kube.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{}); err != nil {
			errs = append(errs, err.Error())
		}
		deleted = append(deleted, n.Name)
	}
	pods, err := c.Kube.CoreV1().Pods(AgentNamespace).List(ctx, metav1.ListOptions{LabelSelector: AgentLabel})
	if err == nil {
		zero := int64(0)
		for _, p := range pods.Items {
			if err := c.Kube.CoreV1().Pods(AgentNamespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	if !s.daemonSet {
		_ = c.Kube.AppsV1().DaemonSets(AgentNamespace).Delete(ctx, AgentDaemonSet, metav1.DeleteOptions{})
	}
	nss, err := c.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err == nil {
		for _, n := range nss.Items {
			if !keep(s.namespaces, n.Name) {
				if err := c.DeleteNamespace(ctx, n.Name); err != nil {
					errs = append(errs, err.Error())
				}
			}
		}
	}
	if l, err := s.dyn.Resource(prune.EC2NodeClassResource).List(ctx, metav1.ListOptions{}); err == nil {
		for _, nc := range l.Items {
			if !keep(s.nodeClasses, nc.GetName()) {
				if err := s.dyn.Resource(prune.EC2NodeClassResource).Delete(ctx, nc.GetName(), metav1.DeleteOptions{}); err != nil {
					errs = append(errs, err.Error())
				}
			}
		}
	}
	sort.Strings(deleted)
	if len(errs) > 0 {
		return fmt.Errorf("deleted nodes %v; %s", deleted, strings.Join(errs, "; "))
	}
	return nil
}

// killDescendants sends SIGKILL to every process descended from this one (the scenes'
// bash sessions and what they started, which run in process groups of their own) and
// returns how many it signalled. It reads /proc: elsewhere it does nothing.
func killDescendants() int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces and parentheses.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
		fields := strings.Fields(rest)
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		children[ppid] = append(children[ppid], pid)
	}
	n := 0
	queue := children[os.Getpid()]
	for len(queue) > 0 {
		pid := queue[0]
		queue = append(queue[1:], children[pid]...)
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			n++
		}
	}
	return n
}
