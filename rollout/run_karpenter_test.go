package rollout_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"

	"github.com/winami/winami/prune"
	"github.com/winami/winami/rollout"
)

// karpenterWorld adds to the world an EC2NodeClass "win" that pins ami1 by id (next to a
// tags term), two instances Karpenter launched from it on ami1, and a stand-in Karpenter
// whose drift replaces the class's instances when its terms no longer select their AMI.
type karpenterWorld struct {
	*world
	dyn *dynamicfake.FakeDynamicClient
}

func newKarpenterWorld(t *testing.T) *karpenterWorld {
	w := &karpenterWorld{world: newWorld(t)}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": map[string]any{"name": "win"},
		"spec": map[string]any{"role": "KarpenterNodeRole", "amiSelectorTerms": []any{
			map[string]any{"tags": map[string]any{"team": "none"}},
			map[string]any{"id": w.ami1},
		}}}}
	w.dyn = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{prune.EC2NodeClassResource: "EC2NodeClassList"}, obj)
	w.karpenterLaunch(w.ami1)
	w.karpenterLaunch(w.ami1)
	w.onStep = w.drift
	return w
}

func (w *karpenterWorld) karpenterLaunch(ami string) {
	w.t.Helper()
	_, err := w.ec2.RunInstances(w.ctx(), &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		InstanceType: ec2types.InstanceTypeM6iLarge, TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
			Tags: []ec2types.Tag{{Key: aws.String(rollout.NodeClassTag), Value: aws.String("win")}}}}})
	if err != nil {
		w.t.Fatal(err)
	}
}

// ids are the terms' id values.
func (w *karpenterWorld) ids() []string {
	w.t.Helper()
	obj, err := w.dyn.Resource(prune.EC2NodeClassResource).Get(w.ctx(), "win", metav1.GetOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	terms, _, _ := unstructured.NestedSlice(obj.Object, "spec", "amiSelectorTerms")
	var out []string
	for _, term := range terms {
		if id, ok := term.(map[string]any)["id"].(string); ok {
			out = append(out, id)
		}
	}
	return out
}

// classInstances counts the class's live instances by AMI.
func (w *karpenterWorld) classInstances() map[string]int {
	out, err := w.ec2.DescribeInstances(w.ctx(), &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + rollout.NodeClassTag), Values: []string{"win"}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}}}})
	if err != nil {
		w.t.Fatal(err)
	}
	n := map[string]int{}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			n[aws.ToString(i.ImageId)]++
		}
	}
	return n
}

// drift is the stand-in Karpenter: one instance whose AMI the class no longer selects is
// replaced per step by one on the AMI it selects.
func (w *karpenterWorld) drift() {
	ids := w.ids()
	if len(ids) != 1 {
		return
	}
	want := ids[0]
	out, err := w.ec2.DescribeInstances(w.ctx(), &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + rollout.NodeClassTag), Values: []string{"win"}},
		{Name: aws.String("instance-state-name"), Values: []string{"running"}}}})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			if aws.ToString(i.ImageId) != want {
				w.terminate(aws.ToString(i.InstanceId))
				w.karpenterLaunch(want)
				return
			}
		}
	}
}

func (w *karpenterWorld) plan() *rollout.Plan {
	return &rollout.Plan{Spec: spec, Parameter: param, To: map[string]string{region: w.ami2}, Previous: map[string]string{region: w.ami1},
		MaxUnavailablePercent: 25, KubernetesGate: true,
		Targets: []rollout.Target{{Kind: rollout.KindKarpenter, Name: "win", Region: region, Capacity: 2, From: w.ami1, Running: []string{w.ami1},
			To: w.ami2, NeedsYes: true, Change: "amiSelectorTerms[1].id " + w.ami1 + " → " + w.ami2}}}
}

// A pinning EC2NodeClass is skipped without --yes (nothing patched, said so); with --yes
// its id term is patched (the tags term kept), the drift is followed until no instance runs
// ami1, and the new nodes pass the gate.
func TestRunKarpenterPinnedNeedsYes(t *testing.T) {
	w := newKarpenterWorld(t)
	kube := w.withKube()
	kube.Dynamic = w.dyn
	var lines []string
	res, err := rollout.Run(w.ctx(), w.plan(), w.options(kube, &lines))
	if err != nil || res.Targets[0].State != rollout.StateSkipped || !hasLine(lines, "applied only with --yes") {
		t.Fatalf("without --yes: %v, %+v, %q", err, res.Targets, lines)
	}
	if ids := w.ids(); len(ids) != 1 || ids[0] != w.ami1 {
		t.Fatalf("patched without --yes: ids %v", ids)
	}

	opts := w.options(kube, &lines)
	opts.Yes = true
	res, err = rollout.Run(w.ctx(), w.plan(), opts)
	if err != nil {
		t.Fatalf("with --yes: %v", err)
	}
	if ids := w.ids(); len(ids) != 1 || ids[0] != w.ami2 {
		t.Errorf("ids = %v, want [%s]", ids, w.ami2)
	}
	obj, _ := w.dyn.Resource(prune.EC2NodeClassResource).Get(w.ctx(), "win", metav1.GetOptions{})
	if terms, _, _ := unstructured.NestedSlice(obj.Object, "spec", "amiSelectorTerms"); len(terms) != 2 {
		t.Errorf("terms = %v, want the tags term kept", terms)
	}
	if got := w.classInstances(); got[w.ami2] != 2 || len(got) != 1 {
		t.Errorf("class instances by AMI = %v", got)
	}
	if tr := res.Targets[0]; tr.State != rollout.StateMoved || tr.Replaced != 2 || tr.Total != 2 {
		t.Errorf("target result = %+v", tr)
	}
}

// When the NodeClass's new nodes fail the gate, the rollback patches its terms back and
// the parameter back.
func TestRunKarpenterRollsBackTerms(t *testing.T) {
	w := newKarpenterWorld(t)
	w.failAMI = w.ami2
	kube := w.withKube()
	kube.Dynamic = w.dyn
	var lines []string
	opts := w.options(kube, &lines)
	opts.Yes = true
	res, err := rollout.Run(w.ctx(), w.plan(), opts)
	if !errors.Is(err, rollout.ErrGate) {
		t.Fatalf("Run error = %v, want ErrGate", err)
	}
	if ids := w.ids(); len(ids) != 1 || ids[0] != w.ami1 {
		t.Errorf("ids after the rollback = %v, want [%s]", ids, w.ami1)
	}
	if w.parameter() != w.ami1 {
		t.Errorf("parameter = %s", w.parameter())
	}
	if !strings.Contains(strings.Join(res.RolledBack, "\n"), "amiSelectorTerms back") {
		t.Errorf("RolledBack = %q", res.RolledBack)
	}
}

// Without a kubeconfig a Karpenter NodeClass's gate is EC2's: its new instances running.
// (The class follows the parameter: the stand-in Karpenter sees its terms select ami2.)
func TestRunKarpenterWithoutKubeGatesOnEC2(t *testing.T) {
	w := newKarpenterWorld(t)
	if _, err := w.dyn.Resource(prune.EC2NodeClassResource).Patch(w.ctx(), "win", "application/merge-patch+json",
		[]byte(`{"spec":{"amiSelectorTerms":[{"id":"`+w.ami2+`"}]}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	var lines []string
	p := w.plan()
	p.Targets[0].NeedsYes, p.Targets[0].Follows, p.KubernetesGate = false, param, false
	res, err := rollout.Run(w.ctx(), p, w.options(rollout.Kube{}, &lines))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if tr := res.Targets[0]; tr.State != rollout.StateMoved || tr.Replaced != 2 || !hasLine(lines, "gate (the NodeClass's nodes) passed: 2 new instances (EC2 and Auto Scaling health only)") {
		t.Errorf("target %+v; lines %q", tr, lines)
	}
}
