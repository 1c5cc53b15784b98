//go:build e2e && unix

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/prune"
	"github.com/winami/winami/rollout"
)

// TestRolloutDiscoversEC2NodeClasses: against the real API server with Karpenter's CRD,
// `winami rollout --dry-run --kubeconfig` plans the EC2NodeClass that follows the spec's
// parameter (no write; its node on the old AMI is what Karpenter's drift replaces) and
// the one that pins the old AMI by id (patched only with --yes), leaves out one on
// Amazon's AMI, and gates on the cluster; a user who may not list EC2NodeClasses stops
// it (exit 1), and without --kubeconfig it says Karpenter was not checked.
func TestRolloutDiscoversEC2NodeClasses(t *testing.T) {
	ctx := context.Background()
	c, dyn := karpenterCluster(ctx, t)

	clock := awsemu.NewManualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	cfg := awstest.SDKConfig(srv.URL(), region)
	ec2c, ssmc := ec2.NewFromConfig(cfg), ssm.NewFromConfig(cfg)
	public := seed.ImageID(region, catalog.EKSOptimizedAMIName("2022", catalog.Core, "1.35", seed.Releases[len(seed.Releases)-1].Format("2006.01.02")))
	runInstance := func(ami string) string {
		t.Helper()
		out, err := ec2c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: ec2types.InstanceTypeM6iLarge})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Instances[0].InstanceId)
	}
	builder := runInstance(public)
	const param = "/winami/rollout-win2022/image_id"
	var amis []string
	for i := range 2 {
		clock.Advance(24 * time.Hour)
		out, err := ec2c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(builder), Name: aws.String(fmt.Sprintf("rollout-win2022-%d", i)),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeImage, Tags: []ec2types.Tag{{Key: aws.String(prune.NameTag), Value: aws.String("rollout-win2022")}}}}})
		if err != nil {
			t.Fatal(err)
		}
		amis = append(amis, aws.ToString(out.ImageId))
		if _, err := ssmc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(param), Value: out.ImageId, Type: ssmtypes.ParameterTypeString,
			DataType: aws.String("aws:ec2:image"), Overwrite: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}
	createNodeClass(ctx, t, dyn, "rollout-follows", []any{map[string]any{"ssmParameter": param}})
	createNodeClass(ctx, t, dyn, "rollout-pinned", []any{map[string]any{"id": amis[0]}})
	createNodeClass(ctx, t, dyn, "rollout-amazon", []any{map[string]any{"id": public}})
	// A node of rollout-follows still on the first AMI.
	old := runInstance(amis[0])
	node := Node(NodeSpec{Name: "rollout-karpenter-1", Windows: true, Zone: region + "a", InstanceID: old, Kubelet: "v1.35.2-eks-ba74326", OSBuild: "10.0.20348", NodePool: "windows", Run: "rollout-discover"})
	node.Labels[rollout.NodeClassLabel] = "rollout-follows"
	if err := c.CreateNodes(ctx, []*corev1.Node{node}, 1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteNodes(context.Background(), "rollout-discover") })

	home := t.TempDir()
	spec := filepath.Join(home, "winami.yaml")
	if err := os.WriteFile(spec, []byte(`apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata: {name: rollout-win2022, region: us-east-1}
spec:
  kubernetesVersion: "1.35"
  windows: {version: "2022", edition: Core}
  distribution: {regions: [us-east-1], publishParameter: `+param+`}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := AWSEnv(srv.URL(), region, home)
	plan := func(args ...string) (rollout.Plan, Result) {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		res, err := Run(ctx, winamiBin, env, append([]string{"rollout", "-f", spec, "--dry-run", "-o", "json"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Plan rollout.Plan }
		if res.ExitCode == 0 {
			if err := json.Unmarshal(res.Stdout, &out); err != nil {
				t.Fatalf("plan JSON: %v\n%s", err, res.Stdout)
			}
		}
		return out.Plan, res
	}

	p, res := plan("--kubeconfig", c.Kubeconfig, "--context", AdminContext)
	if res.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", res.ExitCode, res.Stderr)
	}
	byName := map[string]rollout.Target{}
	for _, tg := range p.Targets {
		byName[tg.Name] = tg
	}
	if len(p.Targets) != 2 || !p.KubernetesGate {
		t.Fatalf("targets %+v (kubernetes gate %v), want rollout-follows and rollout-pinned", p.Targets, p.KubernetesGate)
	}
	if f := byName["rollout-follows"]; f.Kind != rollout.KindKarpenter || f.Follows != param || f.From != amis[1] || f.To != amis[1] ||
		f.Capacity != 1 || fmt.Sprint(f.Running) != fmt.Sprint([]string{amis[0]}) || f.UpToDate || f.NeedsYes || !strings.Contains(f.Change, "nothing to write") {
		t.Errorf("rollout-follows: %+v", f)
	}
	if pt := byName["rollout-pinned"]; pt.Kind != rollout.KindKarpenter || pt.From != amis[0] || !pt.NeedsYes ||
		pt.Change != fmt.Sprintf("amiSelectorTerms[0].id %s → %s (only with --yes)", amis[0], amis[1]) {
		t.Errorf("rollout-pinned: %+v", pt)
	}
	if strings.Contains(string(res.Stderr), "Karpenter not checked") || strings.Contains(string(res.Stderr), "health only") {
		t.Errorf("with --kubeconfig, stderr says the cluster was not checked:\n%s", res.Stderr)
	}

	// A user who may list nodes but not EC2NodeClasses: rollout stops before planning.
	if _, res = plan("--kubeconfig", c.Kubeconfig, "--context", AuditContext); res.ExitCode != 1 ||
		!strings.Contains(string(res.Stderr), "EC2NodeClasses") || !strings.Contains(string(res.Stderr), "forbidden") {
		t.Errorf("forbidden EC2NodeClasses: exit %d\n%s", res.ExitCode, res.Stderr)
	}

	// Without --kubeconfig: no Karpenter target, and it says so.
	if p, res = plan(); res.ExitCode != 0 || len(p.Targets) != 0 || !strings.Contains(string(res.Stderr), "Karpenter not checked") ||
		!strings.Contains(string(res.Stderr), "gate: EC2 and Auto Scaling health only") {
		t.Errorf("without --kubeconfig: exit %d, %d targets\n%s", res.ExitCode, len(p.Targets), res.Stderr)
	}

	// --dry-run changed nothing in the cluster.
	got, err := dyn.Resource(prune.EC2NodeClassResource).Get(ctx, "rollout-pinned", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	terms, _, _ := unstructuredTerms(got.Object)
	if terms != amis[0] {
		t.Errorf("rollout-pinned's amiSelectorTerms[0].id is %q after --dry-run, want %s", terms, amis[0])
	}
}

// unstructuredTerms reads amiSelectorTerms[0].id of an EC2NodeClass object.
func unstructuredTerms(obj map[string]any) (string, bool, error) {
	spec, _ := obj["spec"].(map[string]any)
	terms, _ := spec["amiSelectorTerms"].([]any)
	if len(terms) == 0 {
		return "", false, nil
	}
	t, _ := terms[0].(map[string]any)
	id, ok := t["id"].(string)
	return id, ok, nil
}
