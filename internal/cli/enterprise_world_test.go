package cli

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/check"
	"github.com/winami/winami/preflight"
	"github.com/winami/winami/spec"
)

// enterpriseWorld makes, in the sandbox srv (started with
// emulator.WithPeerAccounts(emulator.SandboxPeerAccount)), what
// examples/enterprise-win2022.yaml needs before its first apply, as the README walkthrough
// does with the AWS CLI: in the target account the role
// EC2ImageBuilderDistributionCrossAccountRole from `winami iam-policy --for
// target-account`'s documents; in the build account a customer managed key with the
// alias winami-ami in us-east-1 and us-west-2 whose key policy also lets that role make
// EBS use it (the statement `winami doctor` prints), the log bucket, and the build
// instance's role's inline policy (`iam-policy --for instance`: it writes the logs).
// apply's and build's preflight (kms-key, log-bucket, instance-role-logs) pass in it.
func enterpriseWorld(t *testing.T, srv *awsemu.Server) {
	t.Helper()
	ctx := context.Background()
	img, err := spec.Load(enterpriseExample)
	if err != nil {
		t.Fatal(err)
	}
	target := emulator.SandboxPeerAccount
	role := preflight.TargetAccountPolicy(preflight.ScopeOf(img), srv.Account)
	peer := iam.NewFromConfig(awstest.SDKConfigAs(srv.URL(), "us-east-1", awsemu.AccessKeyFor(target), "sandbox", ""))
	trust, _ := json.Marshal(role.TrustPolicy)
	inline, _ := json.Marshal(role.InlinePolicy)
	if _, err := peer.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role.RoleName), AssumeRolePolicyDocument: aws.String(string(trust))}); err != nil {
		t.Fatal(err)
	}
	for _, arn := range role.ManagedPolicyARNs {
		if _, err := peer.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role.RoleName), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := peer.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role.RoleName), PolicyName: aws.String(role.InlinePolicyName), PolicyDocument: aws.String(string(inline))}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"us-east-1", "us-west-2"} {
		k := kms.NewFromConfig(awstest.SDKConfig(srv.URL(), r))
		policy := `{"Version":"2012-10-17","Id":"winami-ami","Statement":[
 {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + srv.Account + `:root"},"Action":"kms:*","Resource":"*"},
 {"Sid":"AllowEBSUseForWinami","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + target + `:role/EC2ImageBuilderDistributionCrossAccountRole"},
  "Action":["kms:CreateGrant","kms:Decrypt","kms:DescribeKey","kms:GenerateDataKeyWithoutPlaintext","kms:ReEncrypt*"],"Resource":"*",
  "Condition":{"StringEquals":{"kms:CallerAccount":"` + target + `","kms:ViaService":"ec2.` + r + `.amazonaws.com"}}}]}`
		out, err := k.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("winami AMIs"), Policy: aws.String(policy)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/winami-ami"), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
			t.Fatal(err)
		}
	}
	// The build instance's role writes the logs: the inline policy of
	// `winami iam-policy --for instance -f` (WriteBuildLogs) on the profile's role.
	own := iam.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	prof, err := own.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(img.Spec.Build.InstanceProfile)})
	if err != nil || len(prof.InstanceProfile.Roles) == 0 {
		t.Fatalf("instance profile %s: %v", img.Spec.Build.InstanceProfile, err)
	}
	_, instance := preflight.InstancePolicy(preflight.ScopeOf(img))
	doc, _ := json.Marshal(instance)
	if _, err := own.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: prof.InstanceProfile.Roles[0].RoleName, PolicyName: aws.String("winami"), PolicyDocument: aws.String(string(doc))}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(img.Spec.Build.Logging.S3BucketName)}); err != nil {
		t.Fatal(err)
	}
}

// TestEnterpriseWorldPassesPreflight: in enterpriseWorld, the example's keys and log
// bucket pass apply's preflight (each key usable by the execution role and the target
// account's role; preflight's tests show the keys failing without the statement).
func TestEnterpriseWorldPassesPreflight(t *testing.T) {
	t.Parallel()
	srv := emulatortest.Start(t, emulator.WithPeerAccounts(emulator.SandboxPeerAccount))
	createExecutionRole(t, srv, spec.DefaultExecutionRole("enterprise-win2022"), "/winami/enterprise-win2022/image_id", "us-east-1", "us-west-2")
	enterpriseWorld(t, srv)
	img, err := spec.Load(enterpriseExample)
	if err != nil {
		t.Fatal(err)
	}
	clients := awsapi.FromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	checks, err := preflight.Preflight(context.Background(), clients, img, preflight.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range checks {
		if c.Name == preflight.CheckKMSKey || c.Name == preflight.CheckLogBucket || c.Name == preflight.CheckLogWrite {
			n++
			if c.Status != check.Pass {
				t.Errorf("%s: %s: %s\n%s", c.Name, c.Status, c.Message, c.Fix)
			}
		}
	}
	if n != 5 {
		t.Errorf("%d kms-key, log-bucket and instance-role-logs checks, want 5", n)
	}
}
