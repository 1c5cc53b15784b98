package rollout

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/winami/winami/audit"
)

// The gate runs audit's own checks (audit.Run with the new AMI and the spec's Kubernetes
// version expected) and keeps the error findings that name one of the new nodes. Findings
// about the whole fleet (several AMIs, several kubelet minors: what a rollout in progress
// is) and the not-latest check (a winami AMI is not an EKS-optimized one) do not stop it.
var fleetChecks = map[string]bool{
	audit.CheckMultipleAMIs:     true,
	audit.CheckMultipleKubelets: true,
	audit.CheckNotLatest:        true,
}

// settlingChecks may clear with time (a new node's kubelet becomes Ready); the others
// (wrong AMI, wrong kubelet, Windows build, skew, instance gone) do not, and fail the gate
// at once.
var settlingChecks = map[string]bool{
	audit.CheckNodeNotReady:       true,
	audit.CheckExpectedUnresolved: true,
}

// gate waits, at most GateTimeout, for the new instances (ids) of the move to be healthy:
// with a kubeconfig, their nodes registered, Ready, on the new AMI and the expected kubelet,
// and the pods on them Running and Ready; without, the instances running, InService and
// Healthy in their Auto Scaling groups.
func (r *runner) gate(ctx context.Context, m *move, ids []string, what string) error {
	if len(ids) == 0 {
		r.o.Progress("%s: gate (%s): no new instance to check", label(m.t), what)
		return nil
	}
	deadline := r.now().Add(r.o.GateTimeout)
	last := ""
	for {
		var problem string
		var settling bool
		var err error
		if r.kubeGate() {
			problem, settling, err = r.checkNodes(ctx, m, ids)
		} else {
			problem, settling, err = r.checkInstances(ctx, m, ids)
		}
		if err != nil {
			return fmt.Errorf("gate (%s): %w", what, err)
		}
		if problem == "" {
			kind := "nodes and pods"
			if !r.kubeGate() {
				kind = "EC2 and Auto Scaling health only"
			}
			r.o.Progress("%s: gate (%s) passed: %d new instances (%s)", label(m.t), what, len(ids), kind)
			return nil
		}
		if !settling {
			return r.gateFailed(m, fmt.Sprintf("gate (%s): %s", what, problem))
		}
		if !r.now().Before(deadline) {
			return r.gateFailed(m, fmt.Sprintf("gate (%s): still after %s: %s", what, r.o.GateTimeout, problem))
		}
		if problem != last {
			r.o.Progress("%s: gate (%s): waiting: %s", label(m.t), what, problem)
			last = problem
		}
		if err := r.sleep(ctx); err != nil {
			return err
		}
	}
}

// checkNodes is the Kubernetes gate: problem is "" when every new instance has a node that
// passes audit's checks and whose pods are Running and Ready; settling tells whether the
// problem may clear by waiting.
func (r *runner) checkNodes(ctx context.Context, m *move, ids []string) (problem string, settling bool, err error) {
	rep, err := audit.Run(ctx, audit.Options{
		Kube:          r.o.Kube.Client,
		AWS:           r.o.AWS,
		DefaultRegion: m.t.Region,
		Expect:        audit.Expectation{Image: m.to, Source: "the rollout's target AMI", Kubernetes: r.o.Kubernetes},
	})
	if err != nil {
		return "", false, err
	}
	byInstance := map[string]audit.Node{}
	for _, n := range rep.Nodes {
		if n.InstanceID != "" {
			byInstance[n.InstanceID] = n
		}
	}
	var missing []string
	names := map[string]bool{}
	for _, id := range ids {
		n, ok := byInstance[id]
		if !ok {
			missing = append(missing, id)
			continue
		}
		names[n.Name] = true
	}
	if len(missing) > 0 {
		return fmt.Sprintf("%d of %d new instances have no Windows node yet (%s)", len(missing), len(ids), someOf(missing)), true, nil
	}
	var hard, soft []string
	for _, f := range rep.Findings {
		if f.Severity != audit.SeverityError || fleetChecks[f.Check] {
			continue
		}
		var hit []string
		for _, n := range f.Nodes {
			if names[n] {
				hit = append(hit, n)
			}
		}
		if len(hit) == 0 {
			continue
		}
		msg := fmt.Sprintf("%s on %s: %s", f.Check, someOf(hit), f.Message)
		if settlingChecks[f.Check] {
			soft = append(soft, msg)
		} else {
			hard = append(hard, msg)
		}
	}
	if len(hard) > 0 {
		return strings.Join(append(hard, soft...), "; "), false, nil
	}
	if len(soft) > 0 {
		return strings.Join(soft, "; "), true, nil
	}
	pods, err := r.podsNotReady(ctx, slices.Sorted(mapKeys(names)))
	if err != nil {
		return "", false, err
	}
	if len(pods) > 0 {
		return fmt.Sprintf("%d pods on the new nodes are not Running and Ready: %s", len(pods), someOf(pods)), true, nil
	}
	return "", false, nil
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// podsNotReady lists the pods bound to the nodes that are not Running with Ready=True
// (pods that ran to completion, Succeeded, are left out).
func (r *runner) podsNotReady(ctx context.Context, nodes []string) ([]string, error) {
	var out []string
	for _, node := range nodes {
		list, err := r.o.Kube.Client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{
			FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String()})
		if err != nil {
			return nil, fmt.Errorf("listing the pods on node %s: %w", node, err)
		}
		for _, p := range list.Items {
			if p.Spec.NodeName != node {
				continue // a client that ignores the field selector
			}
			if p.Status.Phase == corev1.PodSucceeded {
				continue
			}
			ready := false
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
					ready = true
				}
			}
			if p.Status.Phase != corev1.PodRunning || !ready {
				out = append(out, fmt.Sprintf("%s/%s (%s, on %s)", p.Namespace, p.Name, p.Status.Phase, node))
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// checkInstances is the gate without Kubernetes: every new instance running in EC2 and
// InService and Healthy in its Auto Scaling group (a Karpenter instance: running).
func (r *runner) checkInstances(ctx context.Context, m *move, ids []string) (problem string, settling bool, err error) {
	if m.t.Kind == KindKarpenter {
		// Karpenter's instances belong to no Auto Scaling group: EC2's state only.
		insts, err := instanceImages(ctx, r.o.AWS.EC2(m.t.Region), ids)
		if err != nil {
			return "", false, err
		}
		var bad []string
		for _, id := range ids {
			if i, ok := insts[id]; !ok || i.State == nil || i.State.Name != ec2types.InstanceStateNameRunning {
				bad = append(bad, id+" is not running")
			}
		}
		if len(bad) > 0 {
			return strings.Join(bad, "; "), true, nil
		}
		return "", false, nil
	}
	groups := m.t.AutoScalingGroups
	if m.t.Kind == KindAutoScalingGroup {
		groups = []string{groupName(m.t)}
	}
	insts, _, err := listGroupInstances(ctx, r.o.AWS.AutoScaling(m.t.Region), r.o.AWS.EC2(m.t.Region), groups)
	if err != nil {
		return "", false, err
	}
	byID := map[string]groupInstance{}
	for _, i := range insts {
		byID[i.ID] = i
	}
	var bad []string
	for _, id := range ids {
		i, ok := byID[id]
		switch {
		case !ok:
			return fmt.Sprintf("new instance %s left its Auto Scaling group", id), false, nil
		case i.State != ec2types.InstanceStateNameRunning:
			bad = append(bad, fmt.Sprintf("%s is %s in EC2", id, i.State))
		case i.Lifecycle != astypes.LifecycleStateInService:
			bad = append(bad, fmt.Sprintf("%s is %s", id, i.Lifecycle))
		case i.Health != "Healthy":
			bad = append(bad, fmt.Sprintf("%s is %s", id, i.Health))
		}
	}
	if len(bad) > 0 {
		return strings.Join(bad, "; "), true, nil
	}
	return "", false, nil
}

// someOf names up to three items: "a, b, c and 7 more".
func someOf(items []string) string {
	if len(items) <= 3 {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:3], ", ") + fmt.Sprintf(" and %d more", len(items)-3)
}
