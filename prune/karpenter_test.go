package prune_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/prune"
)

// nodeClass is an EC2NodeClass as the API server returns it.
func nodeClass(name string, terms []map[string]any, statusAMIs ...string) *unstructured.Unstructured {
	ts := make([]any, len(terms))
	for i, t := range terms {
		ts[i] = t
	}
	obj := map[string]any{
		"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass",
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"role": "KarpenterNodeRole", "amiSelectorTerms": ts},
	}
	if len(statusAMIs) > 0 {
		var amis []any
		for _, id := range statusAMIs {
			amis = append(amis, map[string]any{"id": id, "name": "x", "requirements": []any{}})
		}
		obj["status"] = map[string]any{"amis": amis}
	}
	return &unstructured.Unstructured{Object: obj}
}

func fakeCluster(objs ...runtime.Object) (*dynamicfake.FakeDynamicClient, *fakediscovery.FakeDiscovery) {
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{prune.EC2NodeClassResource: "EC2NodeClassList"}, objs...)
	disc := &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{}, FakedServerVersion: &version.Info{Major: "1", Minor: "35+", GitVersion: "v1.35.3-eks-5e0fdde"}}
	disc.Resources = []*metav1.APIResourceList{{GroupVersion: "karpenter.k8s.aws/v1", APIResources: []metav1.APIResource{{Name: "ec2nodeclasses", Kind: "EC2NodeClass"}}}}
	return dyn, disc
}

func (w *world) tag(ami, key, value string) {
	w.t.Helper()
	if _, err := w.ec2.CreateTags(context.Background(), &ec2.CreateTagsInput{Resources: []string{ami}, Tags: []types.Tag{{Key: aws.String(key), Value: aws.String(value)}}}); err != nil {
		w.t.Fatal(err)
	}
}

// TestKarpenterGuardKeepsWhatEC2NodeClassesSelect: every kind of amiSelectorTerm and
// status.amis keep their AMIs; of the AMIs a name, tags or owner term matches, the one
// Karpenter launches (the newest) is kept and the older ones go.
func TestKarpenterGuardKeepsWhatEC2NodeClassesSelect(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var amis []string
	for range 8 {
		amis = append(amis, w.build())
	}
	w.tag(amis[2], "team", "windows")
	w.tag(amis[1], "pinned", "yes")
	w.tag(amis[5], "pinned", "2026")
	if _, err := w.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/karpenter/windows"), Value: aws.String(amis[3]),
		Type: ssmtypes.ParameterTypeString, DataType: aws.String("aws:ec2:image")}); err != nil {
		t.Fatal(err)
	}
	public := seed.ImageID(region, catalog.EKSOptimizedAMIName("2022", catalog.Core, "1.35", seed.Releases[len(seed.Releases)-1].Format("2006.01.02")))
	dyn, disc := fakeCluster(
		nodeClass("by-id", []map[string]any{{"id": amis[0]}}),
		nodeClass("by-tags", []map[string]any{{"tags": map[string]any{"team": "windows"}}}),
		nodeClass("by-ssm", []map[string]any{{"ssmParameter": "/karpenter/windows"}, {"ssmParameter": "/karpenter/missing"}}),
		nodeClass("by-status", []map[string]any{{"alias": "al2023@latest"}}, amis[4]),
		nodeClass("by-owner-and-tag-key", []map[string]any{{"owner": "self", "tags": map[string]any{"pinned": "*"}}}),
		nodeClass("by-name", []map[string]any{{"name": name + "-*"}}),
		nodeClass("by-alias", []map[string]any{{"alias": "windows2022@latest"}}),
	)
	guard, installed, err := prune.NewKarpenterGuard(ctx, dyn, disc, w.pruner.Clients)
	if err != nil || !installed || len(guard.NodeClasses) != 7 || guard.Kubernetes != "1.35" {
		t.Fatalf("guard %+v, installed %v, err %v", guard, installed, err)
	}
	before := w.state()
	plan, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 0, Guards: []prune.Guard{guard}})
	if err != nil {
		t.Fatal(err)
	}
	wantKept(t, plan, amis[0], "named by Karpenter EC2NodeClass by-id (amiSelectorTerms[0].id)")
	wantKept(t, plan, amis[2], "launched by Karpenter EC2NodeClass by-tags")
	wantKept(t, plan, amis[3], "named by Karpenter EC2NodeClass by-ssm (amiSelectorTerms[0].ssmParameter /karpenter/windows)")
	wantKept(t, plan, amis[4], "in status.amis of Karpenter EC2NodeClass by-status")
	wantKept(t, plan, amis[5], "launched by Karpenter EC2NodeClass by-owner-and-tag-key (amiSelectorTerms[0] owner self, tags pinned=*)")
	wantKept(t, plan, amis[7], "launched by Karpenter EC2NodeClass by-name (amiSelectorTerms[0] name "+name+"-*): the amd64 AMI it selects")
	// Matched by a term but not what Karpenter launches: the newer AMI of the same
	// architecture wins (pkg/providers/amifamily/ami.go compareAMI).
	wantDeleted(t, plan, amis[1])
	wantDeleted(t, plan, amis[6])
	if w.state() != before {
		t.Errorf("planning changed AWS")
	}

	// The Windows alias resolves Amazon's SSM parameter for the cluster's Kubernetes minor
	// (never one of the account's AMIs, so it is reported to the guard's caller only).
	got, err := guard.InUse(ctx, region, nil)
	if err != nil {
		t.Fatal(err)
	}
	if why := strings.Join(got[public], "; "); !strings.Contains(why, "alias windows2022@latest") ||
		!strings.Contains(why, "Windows_Server-2022-English-Core-EKS_Optimized-1.35/image_id") {
		t.Errorf("alias windows2022@latest: %s -> %q", public, why)
	}
}

// TestKarpenterGuardUnreadableStopsThePlan: an EC2NodeClass list that fails (RBAC), or a
// term that cannot be resolved, stops prune; a cluster without Karpenter has none.
func TestKarpenterGuardUnreadableStopsThePlan(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.build()

	dyn, disc := fakeCluster()
	dyn.PrependReactor("list", "ec2nodeclasses", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "karpenter.k8s.aws", Resource: "ec2nodeclasses"}, "", errors.New("RBAC: access denied"))
	})
	if _, _, err := prune.NewKarpenterGuard(ctx, dyn, disc, w.pruner.Clients); err == nil || !strings.Contains(err.Error(), "listing EC2NodeClasses") || !apierrors.IsForbidden(err) {
		t.Errorf("forbidden list: err = %v", err)
	}

	notFound := func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewNotFound(schema.GroupResource{Group: "karpenter.k8s.aws", Resource: "ec2nodeclasses"}, "")
	}
	dyn, disc = fakeCluster()
	dyn.PrependReactor("list", "ec2nodeclasses", notFound)
	disc.Resources = nil
	g, installed, err := prune.NewKarpenterGuard(ctx, dyn, disc, w.pruner.Clients)
	if err != nil || installed || len(g.NodeClasses) != 0 {
		t.Errorf("no Karpenter: guard %+v, installed %v, err %v", g, installed, err)
	}
	dyn, disc = fakeCluster()
	dyn.PrependReactor("list", "ec2nodeclasses", notFound)
	disc.Resources = []*metav1.APIResourceList{{GroupVersion: "karpenter.k8s.aws/v1beta1"}}
	if _, _, err := prune.NewKarpenterGuard(ctx, dyn, disc, w.pruner.Clients); !errors.Is(err, prune.ErrKarpenterNotV1) || !strings.Contains(err.Error(), "v1beta1") {
		t.Errorf("only v1beta1 served: err = %v", err)
	}

	// A term whose SSM parameter cannot be read (access denied) stops the plan.
	w.srv.Faults.FailNext("ssm", "GetParameter", awsemu.FaultError{Status: 400, Code: "AccessDeniedException", Message: "not authorized to perform ssm:GetParameter"})
	guard := &prune.KarpenterGuard{AWS: w.pruner.Clients, NodeClasses: []prune.EC2NodeClass{{Name: "bad", Terms: []prune.AMISelectorTerm{{SSMParameter: "/karpenter/windows"}}}}}
	if _, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Guards: []prune.Guard{guard}}); err == nil || !strings.Contains(err.Error(), "EC2NodeClass bad") {
		t.Errorf("unreadable parameter: plan err = %v", err)
	}
}
