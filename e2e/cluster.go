//go:build unix

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/winami/winami/kube"
)

// Environment variables and defaults shared with e2e/setup.sh.
const (
	// KubeconfigEnv names the kubeconfig e2e/setup.sh writes (contexts admin and audit).
	KubeconfigEnv = "WINAMI_E2E_KUBECONFIG"
	// AdminContext is the context of a system:masters user; AuditContext that of the
	// winami-audit user, which may only do what GrantAudit grants.
	AdminContext = "admin"
	AuditContext = "audit"
	// AuditUser is the user name behind AuditContext.
	AuditUser = "winami-audit"
	// TestLabel marks every object the tests and benchmarks create.
	TestLabel = "e2e.winami.io/run"
)

// Cluster is a real API server reached through the kubeconfig e2e/setup.sh wrote.
type Cluster struct {
	// Kube is a client with the admin context.
	Kube kubernetes.Interface
	// Kubeconfig is the kubeconfig's path.
	Kubeconfig string
	// ServerVersion is the API server's git version.
	ServerVersion string
}

// Connect reaches the API server of the kubeconfig named by WINAMI_E2E_KUBECONFIG and
// checks that it answers. Its errors name what is missing and how to start it.
func Connect(ctx context.Context) (*Cluster, error) {
	path := os.Getenv(KubeconfigEnv)
	if path == "" {
		return nil, fmt.Errorf("%s is not set: these tests need a real kube-apiserver and etcd; "+
			"run `e2e/setup.sh test`, or `e2e/setup.sh up && source /tmp/winami-e2e/env` first", KubeconfigEnv)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%s=%s: %w; start kube-apiserver and etcd with `e2e/setup.sh up`", KubeconfigEnv, path, err)
	}
	cfg, _, err := kube.RESTConfig(kube.Options{Kubeconfig: path, Context: AdminContext, QPS: 500, Burst: 1000, UserAgent: "winami-e2e"})
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the Kubernetes client: %w", err)
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("kube-apiserver at %s does not answer (%w): start it with `e2e/setup.sh up`", cfg.Host, err)
	}
	return &Cluster{Kube: cs, Kubeconfig: path, ServerVersion: v.GitVersion}, nil
}

// GrantAudit lets the winami-audit user list nodes, and nothing else: what `winami audit`
// documents it needs.
func (c *Cluster) GrantAudit(ctx context.Context) error {
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: AuditUser},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list"}}},
	}
	if _, err := c.Kube.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating ClusterRole %s: %w", AuditUser, err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: AuditUser},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: AuditUser},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: AuditUser}},
	}
	if _, err := c.Kube.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating ClusterRoleBinding %s: %w", AuditUser, err)
	}
	return nil
}

// NodeSpec describes a node as an EKS (managed node group or Karpenter) node reports itself.
type NodeSpec struct {
	Name string
	// Windows selects Windows (else Linux) labels and node info.
	Windows bool
	// Zone and InstanceID make the providerID aws:///ZONE/ID.
	Zone, InstanceID string
	// Kubelet is the kubelet version ("v1.36.2-eks-1a2b3c4").
	Kubelet string
	// OSBuild is the Windows build ("10.0.20348"); the kernel version adds a revision.
	OSBuild string
	// NodeGroup or NodePool label the node as a managed node group's or Karpenter's.
	NodeGroup, NodePool string
	// Run is the value of TestLabel.
	Run string
}

// Node builds the Node object, status included.
func Node(s NodeSpec) *corev1.Node {
	labels := map[string]string{
		TestLabel:                     "" + s.Run,
		"kubernetes.io/hostname":      s.Name,
		"kubernetes.io/arch":          "amd64",
		"topology.kubernetes.io/zone": s.Zone,
	}
	info := corev1.NodeSystemInfo{KubeletVersion: s.Kubelet, Architecture: "amd64",
		ContainerRuntimeVersion: "containerd://1.7.27", MachineID: s.Name, SystemUUID: s.Name, BootID: s.Name}
	if s.Windows {
		labels["kubernetes.io/os"] = "windows"
		labels["node.kubernetes.io/windows-build"] = s.OSBuild
		info.OperatingSystem = "windows"
		info.OSImage = "Windows Server 2022 Datacenter"
		info.KernelVersion = s.OSBuild + ".2700"
	} else {
		labels["kubernetes.io/os"] = "linux"
		info.OperatingSystem = "linux"
		info.OSImage = "Amazon Linux 2023.6.20260101"
		info.KernelVersion = "6.1.119-129.201.amzn2023.x86_64"
	}
	if s.NodeGroup != "" {
		labels["eks.amazonaws.com/nodegroup"] = s.NodeGroup
	}
	if s.NodePool != "" {
		labels["karpenter.sh/nodepool"] = s.NodePool
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Labels: labels},
		Spec:       corev1.NodeSpec{ProviderID: "aws:///" + s.Zone + "/" + s.InstanceID},
		Status: corev1.NodeStatus{
			NodeInfo:   info,
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: s.Name}},
		},
	}
}

// CreateNodes creates the nodes with up to concurrency requests in flight, then writes
// their status when the create dropped it.
func (c *Cluster) CreateNodes(ctx context.Context, nodes []*corev1.Node, concurrency int) error {
	return each(ctx, len(nodes), concurrency, func(i int) error {
		n := nodes[i]
		got, err := c.Kube.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("creating node %s: %w", n.Name, err)
		}
		if got.Status.NodeInfo.KubeletVersion == n.Status.NodeInfo.KubeletVersion {
			return nil
		}
		got.Status = n.Status
		if _, err := c.Kube.CoreV1().Nodes().UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("writing the status of node %s: %w", n.Name, err)
		}
		return nil
	})
}

// DeleteNodes deletes the nodes labelled TestLabel=run.
func (c *Cluster) DeleteNodes(ctx context.Context, run string) error {
	err := c.Kube.CoreV1().Nodes().DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: TestLabel + "=" + run})
	if err != nil {
		return fmt.Errorf("deleting the nodes of run %s: %w", run, err)
	}
	return nil
}

func each(ctx context.Context, n, concurrency int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	idx := make(chan int)
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		idx <- i
	}
	close(idx)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// Result is one run of the winami binary.
type Result struct {
	Stdout, Stderr []byte
	ExitCode       int
	Wall           time.Duration
	// MaxRSS is the peak resident set size of the process, in bytes.
	MaxRSS int64
}

// AWSEnv is the environment that points the AWS SDK at an awsemu endpoint with dummy
// credentials and nothing from the user's own AWS configuration.
func AWSEnv(endpoint, region, home string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_REGION=" + region,
		"AWS_ACCESS_KEY_ID=AKIDWINAMIE2E",
		"AWS_SECRET_ACCESS_KEY=secret",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "aws-credentials"),
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
	}
}

// Run runs the winami binary with env (nothing inherited) and args.
func Run(ctx context.Context, bin string, env []string, args ...string) (Result, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := Result{Stdout: out.Bytes(), Stderr: errb.Bytes(), Wall: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.ExitCode = ee.ExitCode()
	default:
		return r, fmt.Errorf("running %s: %w", bin, err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSS = ru.Maxrss * 1024 // Linux reports KiB
	}
	return r, nil
}

// DeleteNamespace deletes what tests create in a namespace (pods, workloads, service
// accounts, config maps), then the namespace, and finalizes it as the namespace controller
// would. No controller-manager runs: a namespace only deleted stays Terminating for ever,
// its objects still listed by every later test that lists all namespaces, and its name
// cannot be created again.
func (c *Cluster) DeleteNamespace(ctx context.Context, ns string) error {
	zero, bg := int64(0), metav1.DeletePropagationBackground
	all := metav1.ListOptions{}
	core, apps, batch := c.Kube.CoreV1(), c.Kube.AppsV1(), c.Kube.BatchV1()
	for what, err := range map[string]error{
		"pods":            core.Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, all),
		"deployments":     apps.Deployments(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, all),
		"statefulsets":    apps.StatefulSets(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, all),
		"daemonsets":      apps.DaemonSets(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, all),
		"jobs":            batch.Jobs(ns).DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &bg}, all),
		"cronjobs":        batch.CronJobs(ns).DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &bg}, all),
		"serviceaccounts": core.ServiceAccounts(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, all),
		"configmaps":      core.ConfigMaps(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, all),
	} {
		if err != nil {
			return fmt.Errorf("deleting the %s of namespace %s: %w", what, ns, err)
		}
	}
	if err := core.Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting namespace %s: %w", ns, err)
	}
	got, err := core.Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		return nil // gone already
	}
	got.Spec.Finalizers = nil
	if _, err := core.Namespaces().Finalize(ctx, got, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("finalizing namespace %s: %w", ns, err)
	}
	return nil
}
