package preflight_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/winami/winami/preflight"
	"github.com/winami/winami/spec"
)

// enterpriseSpec encrypts with KMS alias ARNs in both regions, copies into a target
// account, writes build logs to S3 and scans the image (the shape of the enterprise
// example: issue 16).
const enterpriseSpec = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: ent-win2022
  region: us-east-1
spec:
  kubernetesVersion: "1.33"
  windows: {version: "2022", edition: Core}
  parent: {source: eks-optimized}
  build:
    instanceProfile: EC2InstanceProfileForImageBuilder
    encryption: {kmsKeyId: BUILDKEY}
    logging: {s3BucketName: winami-build-logs-123456789012, s3KeyPrefix: builds}
    imageScanning: {enabled: true}
  distribution:
    regions: [us-east-1, us-west-2]
    publishParameter: /winami/ent-win2022/image_id
    targetAccountIds: ["210987654321"]
    kmsKeyIds:
      us-east-1: arn:aws:kms:us-east-1:123456789012:alias/winami-ami
      us-west-2: arn:aws:kms:us-west-2:123456789012:alias/winami-ami
`

func loadEnterprise(t *testing.T, repl ...string) *spec.WindowsImage {
	t.Helper()
	text := strings.Replace(enterpriseSpec, "BUILDKEY", "arn:aws:kms:us-east-1:123456789012:alias/winami-ami", 1)
	for i := 0; i+1 < len(repl); i += 2 {
		if !strings.Contains(text, repl[i]) {
			t.Fatalf("the enterprise spec has no %q", repl[i])
		}
		text = strings.ReplaceAll(text, repl[i], repl[i+1])
	}
	img, err := spec.LoadBytes([]byte(text), "winami.yaml")
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	return img
}

// putOperator creates role name with the operator policy of img as its inline policy.
func putOperator(t *testing.T, w *docWorld, name string, img *spec.WindowsImage) {
	t.Helper()
	ctx := context.Background()
	doc, err := json.Marshal(preflight.OperatorPolicy(preflight.ScopeOf(img)))
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := w.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("winami"), PolicyDocument: aws.String(string(doc))}); err != nil {
		t.Fatalf("IAM refused the operator policy: %v", err)
	}
}

// The enterprise spec's operator policy allows what doctor reads of its keys and log
// bucket, build's AssumeRole into the target account, and (with Fast Launch) the grant
// EC2 makes for Fast Launch; and nothing of other keys, buckets or accounts.
func TestOperatorPolicyCoversKeysLogsAndTargetAccounts(t *testing.T) {
	w := newDocWorld(t)
	img := loadEnterprise(t)
	putOperator(t, w, "ent-operator", img)
	sims := preflight.OperatorSimulations(img, "123456789012")
	asked := map[string]bool{}
	for _, sim := range sims {
		for a, d := range simulateRole(t, w.iam, "ent-operator", sim.Actions, sim.Resources, sim.Context...) {
			asked[a] = true
			if d != "allowed" {
				t.Errorf("%s on %v: %s", a, sim.Resources, d)
			}
		}
	}
	for _, a := range []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants", "s3:GetBucketLocation", "sts:AssumeRole"} {
		if !asked[a] {
			t.Errorf("doctor does not ask about %s", a)
		}
	}
	for _, c := range []struct{ action, resource string }{
		{"kms:GetKeyPolicy", "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"},
		{"kms:DescribeKey", "arn:aws:kms:us-east-1:999999999999:key/00000000-0000-0000-0000-000000000000"},
		{"s3:GetBucketLocation", "arn:aws:s3:::someone-elses-bucket"},
		{"sts:AssumeRole", "arn:aws:iam::999999999999:role/EC2ImageBuilderDistributionCrossAccountRole"},
		{"sts:AssumeRole", "arn:aws:iam::210987654321:role/OrganizationAccountAccessRole"},
		{"kms:CreateGrant", "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"},
	} {
		if d := simulateRole(t, w.iam, "ent-operator", []string{c.action}, []string{c.resource}); d[c.action] == "allowed" {
			t.Errorf("the enterprise operator may %s on %s", c.action, c.resource)
		}
	}

	// With Fast Launch (and so no target accounts), CreateGrant for AWS resources through
	// EC2 only.
	fl := loadEnterprise(t, `    targetAccountIds: ["210987654321"]`+"\n", "    fastLaunch: {enabled: true, targetSnapshots: 5}\n")
	putOperator(t, w, "fl-operator", fl)
	key := "arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
	granted := false
	for _, sim := range preflight.OperatorSimulations(fl, "123456789012") {
		for a, d := range simulateRole(t, w.iam, "fl-operator", sim.Actions, sim.Resources, sim.Context...) {
			granted = granted || a == "kms:CreateGrant"
			if d != "allowed" {
				t.Errorf("Fast Launch spec: %s on %v: %s", a, sim.Resources, d)
			}
			if a == "sts:AssumeRole" {
				t.Errorf("a spec without target accounts asks for sts:AssumeRole")
			}
		}
	}
	if !granted {
		t.Error("doctor does not ask about kms:CreateGrant for Fast Launch")
	}
	bare := simulateRole(t, w.iam, "fl-operator", []string{"kms:CreateGrant"}, []string{key})
	if bare["kms:CreateGrant"] == "allowed" {
		t.Error("kms:CreateGrant allowed outside EC2 (no kms:ViaService, kms:GrantIsForAWSResource)")
	}
}
