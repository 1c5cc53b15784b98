package prune_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/winami/winami/prune"
)

func TestParseProviderID(t *testing.T) {
	for in, want := range map[string][2]string{
		"aws:///us-east-1a/i-0123456789abcdef0":         {"us-east-1", "i-0123456789abcdef0"},
		"aws:///eu-west-1c/i-0abc":                      {"eu-west-1", "i-0abc"},
		"aws:///us-west-2-lax-1a/i-0abc":                {"us-west-2", "i-0abc"},
		"aws://123456789012/us-gov-west-1b/i-0abcdef01": {"us-gov-west-1", "i-0abcdef01"},
	} {
		r, id, ok := prune.ParseProviderID(in)
		if !ok || r != want[0] || id != want[1] {
			t.Errorf("ParseProviderID(%q) = %q %q %v", in, r, id, ok)
		}
	}
	for _, bad := range []string{"", "gce://p/z/n", "aws:///us-east-1a/", "aws:///i-0abc"} {
		if _, _, ok := prune.ParseProviderID(bad); ok {
			t.Errorf("ParseProviderID(%q) accepted", bad)
		}
	}
}

func TestNodeImagesKeepsWhatNodesRun(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	a, b, c := w.build(), w.build(), w.build()
	node := w.run(a)
	kube := fake.NewClientset(
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "win-1"}, Spec: corev1.NodeSpec{ProviderID: "aws:///us-east-1a/" + node}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "gone"}, Spec: corev1.NodeSpec{ProviderID: "aws:///us-east-1b/i-0000000000000dead"}},
	)
	imgs, err := prune.NodeImages(ctx, kube, w.pruner.Clients)
	if err != nil {
		t.Fatal(err)
	}
	if !imgs[a] || len(imgs) != 1 {
		t.Fatalf("node images: %v, want only %s", imgs, a)
	}
	// Terminate the instance: only the node (say, in another account's view) keeps it now.
	w.terminate(node)
	plan, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 1, NodeImages: imgs})
	if err != nil {
		t.Fatal(err)
	}
	wantKept(t, plan, a, "run by a node of the cluster")
	wantDeleted(t, plan, b)
	wantKept(t, plan, c, "newest")
}
