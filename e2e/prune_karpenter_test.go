//go:build e2e && unix

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/kube"
	"github.com/winami/winami/prune"
)

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installEC2NodeClassCRD creates Karpenter's EC2NodeClass CRD (testdata, copied from
// karpenter-provider-aws v1.14.1) and waits until the API server serves it.
func installEC2NodeClassCRD(ctx context.Context, dyn dynamic.Interface) error {
	raw, err := os.ReadFile(filepath.Join("testdata", "karpenter.k8s.aws_ec2nodeclasses.yaml"))
	if err != nil {
		return err
	}
	var obj map[string]any
	if err := yaml.Unmarshal(raw, &obj); err != nil {
		return fmt.Errorf("reading the EC2NodeClass CRD: %w", err)
	}
	crd := &unstructured.Unstructured{Object: obj}
	if _, err := dyn.Resource(crdResource).Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the EC2NodeClass CRD: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		got, err := dyn.Resource(crdResource).Get(ctx, crd.GetName(), metav1.GetOptions{})
		if err == nil {
			conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
			for _, c := range conds {
				m, _ := c.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					// The discovery and the resource handler follow the condition closely.
					if _, err := dyn.Resource(prune.EC2NodeClassResource).List(ctx, metav1.ListOptions{}); err == nil {
						return nil
					}
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the EC2NodeClass CRD was not established within 30 s")
}

// karpenterCluster connects to the e2e API server, lets the audit user list nodes and
// installs Karpenter's EC2NodeClass CRD; it returns the cluster and an admin dynamic client.
func karpenterCluster(ctx context.Context, t *testing.T) (*Cluster, dynamic.Interface) {
	t.Helper()
	c, err := Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.GrantAudit(ctx); err != nil {
		t.Fatal(err)
	}
	dyn, err := kube.NewDynamicClient(kube.Options{Kubeconfig: c.Kubeconfig, Context: AdminContext})
	if err != nil {
		t.Fatal(err)
	}
	if err := installEC2NodeClassCRD(ctx, dyn); err != nil {
		t.Fatal(err)
	}
	return c, dyn
}

// createNodeClass creates an EC2NodeClass valid for the CRD's schema and CEL rules, with
// the given amiSelectorTerms and, when set, status.amis (through the status subresource).
func createNodeClass(ctx context.Context, t *testing.T, dyn dynamic.Interface, name string, terms []any, statusAMIs ...string) {
	t.Helper()
	nc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{
			"role":                       "KarpenterNodeRole-e2e",
			"amiFamily":                  "Windows2022",
			"amiSelectorTerms":           terms,
			"subnetSelectorTerms":        []any{map[string]any{"tags": map[string]any{"karpenter.sh/discovery": "e2e"}}},
			"securityGroupSelectorTerms": []any{map[string]any{"tags": map[string]any{"karpenter.sh/discovery": "e2e"}}},
		},
	}}
	res := dyn.Resource(prune.EC2NodeClassResource)
	_ = res.Delete(ctx, name, metav1.DeleteOptions{})
	created, err := res.Create(ctx, nc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating EC2NodeClass %s: %v", name, err)
	}
	t.Cleanup(func() { _ = res.Delete(context.Background(), name, metav1.DeleteOptions{}) })
	if len(statusAMIs) == 0 {
		return
	}
	var amis []any
	for _, id := range statusAMIs {
		amis = append(amis, map[string]any{"id": id, "name": "resolved-by-karpenter", "requirements": []any{
			map[string]any{"key": "kubernetes.io/arch", "operator": "In", "values": []any{"amd64"}},
		}})
	}
	created.Object["status"] = map[string]any{"amis": amis}
	if _, err := res.UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("writing status.amis of EC2NodeClass %s: %v", name, err)
	}
}

// TestPruneKeepsAMIsSelectedByEC2NodeClasses: against the real API server with Karpenter's
// CRD installed, prune keeps the AMI an EC2NodeClass's amiSelectorTerms name and the AMI in
// another's status.amis; without --kubeconfig it plans to delete them and says Karpenter
// was not checked; as a user who may not list EC2NodeClasses it stops and deletes nothing.
func TestPruneKeepsAMIsSelectedByEC2NodeClasses(t *testing.T) {
	ctx := context.Background()
	c, dyn := karpenterCluster(ctx, t)

	clock := awsemu.NewManualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	ec2c := ec2.NewFromConfig(awstest.SDKConfig(srv.URL(), region))
	public := seed.ImageID(region, catalog.EKSOptimizedAMIName("2022", catalog.Core, "1.35", seed.Releases[len(seed.Releases)-1].Format("2006.01.02")))
	inst, err := ec2c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(public), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: ec2types.InstanceTypeM6iLarge})
	if err != nil {
		t.Fatal(err)
	}
	var amis []string
	for i := range 4 {
		clock.Advance(24 * time.Hour)
		out, err := ec2c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: inst.Instances[0].InstanceId, Name: aws.String(fmt.Sprintf("team-win2022-%d", i)),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeImage, Tags: []ec2types.Tag{
				{Key: aws.String(prune.NameTag), Value: aws.String("team-win2022")},
				{Key: aws.String(prune.ManagedByTag), Value: aws.String("winami")},
				{Key: aws.String(prune.ImageBuilderTag), Value: aws.String(fmt.Sprintf("arn:aws:imagebuilder:us-east-1:123456789012:image/team-win2022/1.0.%d/1", i))},
			}}}})
		if err != nil {
			t.Fatal(err)
		}
		amis = append(amis, aws.ToString(out.ImageId))
	}
	// The instance the AMIs were made from is not what this test is about.
	if _, err := ec2c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(inst.Instances[0].InstanceId)}}); err != nil {
		t.Fatal(err)
	}
	createNodeClass(ctx, t, dyn, "windows-pinned", []any{map[string]any{"id": amis[0]}})
	createNodeClass(ctx, t, dyn, "windows-resolved", []any{map[string]any{"tags": map[string]any{"team": "nobody"}}}, amis[1])

	home := t.TempDir()
	spec := filepath.Join(home, "winami.yaml")
	if err := os.WriteFile(spec, []byte(`apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata: {name: team-win2022, region: us-east-1}
spec:
  kubernetesVersion: "1.35"
  windows: {version: "2022", edition: Core}
  distribution: {regions: [us-east-1]}
  keep: 1
`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := AWSEnv(srv.URL(), region, home)
	prunePlan := func(args ...string) (prune.Plan, Result) {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		res, err := Run(ctx, winamiBin, env, append([]string{"prune", "-f", spec, "-o", "json"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var plan prune.Plan
		if res.ExitCode == 0 {
			if err := json.Unmarshal(res.Stdout, &plan); err != nil {
				t.Fatalf("plan JSON: %v\n%s", err, res.Stdout)
			}
		}
		return plan, res
	}
	action := func(plan prune.Plan, ami string) string {
		for _, im := range plan.Images {
			if im.ImageID == ami {
				return im.Action + ": " + strings.Join(im.Reasons, "; ")
			}
		}
		return "not in the plan"
	}

	// Without --kubeconfig: the EC2NodeClasses' AMIs would go, and prune says it did not look.
	plan, res := prunePlan()
	if res.ExitCode != 0 || !strings.HasPrefix(action(plan, amis[0]), "delete") || !strings.HasPrefix(action(plan, amis[1]), "delete") ||
		!strings.Contains(string(res.Stderr), "Karpenter not checked") {
		t.Fatalf("without --kubeconfig: exit %d, %s / %s\n%s", res.ExitCode, action(plan, amis[0]), action(plan, amis[1]), res.Stderr)
	}

	// With the cluster: both stay, each with its EC2NodeClass as the reason; amis[2] goes.
	plan, res = prunePlan("--kubeconfig", c.Kubeconfig, "--context", AdminContext)
	if res.ExitCode != 0 {
		t.Fatalf("with --kubeconfig: exit %d\n%s", res.ExitCode, res.Stderr)
	}
	if got := action(plan, amis[0]); !strings.HasPrefix(got, "keep") || !strings.Contains(got, "Karpenter EC2NodeClass windows-pinned (amiSelectorTerms[0].id)") {
		t.Errorf("%s (id term): %s", amis[0], got)
	}
	if got := action(plan, amis[1]); !strings.HasPrefix(got, "keep") || !strings.Contains(got, "status.amis of Karpenter EC2NodeClass windows-resolved") {
		t.Errorf("%s (status.amis): %s", amis[1], got)
	}
	if got := action(plan, amis[2]); !strings.HasPrefix(got, "delete") {
		t.Errorf("%s (selected by nothing): %s", amis[2], got)
	}
	if !strings.Contains(string(res.Stderr), "Karpenter: read 2 EC2NodeClasses") {
		t.Errorf("stderr does not say the EC2NodeClasses were read:\n%s", res.Stderr)
	}

	// A user who may list nodes but not EC2NodeClasses: prune stops (exit 1), deleting nothing.
	_, res = prunePlan("--kubeconfig", c.Kubeconfig, "--context", AuditContext, "--yes")
	if res.ExitCode != 1 || !strings.Contains(string(res.Stderr), "EC2NodeClasses") || !strings.Contains(string(res.Stderr), "forbidden") {
		t.Errorf("forbidden EC2NodeClasses: exit %d\n%s", res.ExitCode, res.Stderr)
	}
	imgs, err := ec2c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil || len(imgs.Images) != 4 {
		t.Fatalf("after the refused prune: %d AMIs (%v), want the 4", len(imgs.Images), err)
	}

	// --yes with the cluster: amis[2] goes, the EC2NodeClasses' AMIs and the newest stay.
	if _, res = prunePlan("--kubeconfig", c.Kubeconfig, "--context", AdminContext, "--yes"); res.ExitCode != 0 {
		t.Fatalf("prune --yes: exit %d\n%s", res.ExitCode, res.Stderr)
	}
	imgs, err = ec2c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, im := range imgs.Images {
		left = append(left, aws.ToString(im.ImageId))
	}
	want := []string{amis[0], amis[1], amis[3]}
	if fmt.Sprint(slices.Sorted(slices.Values(left))) != fmt.Sprint(slices.Sorted(slices.Values(want))) {
		t.Errorf("AMIs left %v, want %v", left, want)
	}
}
