package prune_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/winami/winami/prune"
)

// TestReadCluster: what `prune --kubeconfig` reads, through the library: the AMI a node
// runs and the AMI an EC2NodeClass names are kept; without Karpenter's API the guard keeps
// nothing and says it is not installed; an unreadable EC2NodeClass list plans nothing.
func TestReadCluster(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	a, b, c, d := w.build(), w.build(), w.build(), w.build()
	node := w.run(a)
	dyn, disc := fakeCluster(nodeClass("by-id", []map[string]any{{"id": b}}))
	kube := fake.NewClientset(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "win-1"}, Spec: corev1.NodeSpec{ProviderID: "aws:///us-east-1a/" + node}})
	kube.Resources = disc.Resources

	cl, err := prune.ReadCluster(ctx, kube, dyn, w.pruner.Clients)
	if err != nil || !cl.KarpenterInstalled || len(cl.Karpenter.NodeClasses) != 1 || !cl.NodeImages[a] || len(cl.NodeImages) != 1 {
		t.Fatalf("cluster %+v, err %v", cl, err)
	}
	opts := prune.Options{Name: name, Regions: []string{region}, Keep: 1}
	cl.Apply(&opts)
	plan, err := w.pruner.Plan(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	wantKept(t, plan, a, "run by a node of the cluster")
	wantKept(t, plan, b, "named by Karpenter EC2NodeClass by-id (amiSelectorTerms[0].id)")
	wantDeleted(t, plan, c)
	wantKept(t, plan, d, "newest")

	// A cluster without Karpenter's API: nothing to guard.
	absent, _ := fakeCluster()
	absent.PrependReactor("list", "ec2nodeclasses", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewNotFound(schema.GroupResource{Group: "karpenter.k8s.aws", Resource: "ec2nodeclasses"}, "")
	})
	cl, err = prune.ReadCluster(ctx, fake.NewClientset(), absent, w.pruner.Clients)
	if err != nil || cl.KarpenterInstalled || len(cl.NodeImages) != 0 {
		t.Fatalf("without Karpenter: %+v, %v", cl, err)
	}

	// EC2NodeClasses that cannot be listed: an error that says nothing was planned.
	broken, _ := fakeCluster()
	broken.PrependReactor("list", "ec2nodeclasses", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "karpenter.k8s.aws", Resource: "ec2nodeclasses"}, "", errors.New("RBAC: access denied"))
	})
	if _, err := prune.ReadCluster(ctx, kube, broken, w.pruner.Clients); err == nil || !strings.Contains(err.Error(), "nothing was planned or deleted") {
		t.Errorf("unreadable EC2NodeClasses: %v", err)
	}
}
