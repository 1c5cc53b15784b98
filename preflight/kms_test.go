package preflight_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/check"
	ibuilder "github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/preflight"
)

const targetAccount = "210987654321"

func checksNamed(checks []check.Check, name string) []check.Check {
	var out []check.Check
	for _, c := range checks {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// kmsWorld is the doc world with a second account and the enterprise spec's keys: a
// symmetric key with the default key policy and the alias winami-ami in each region.
type kmsWorld struct {
	*docWorld
	keys map[string]string // region → key ARN
}

func newKMSWorld(t *testing.T) *kmsWorld {
	t.Helper()
	w := &kmsWorld{docWorld: newDocWorld(t, emulator.WithPeerAccounts(targetAccount)), keys: map[string]string{}}
	ctx := context.Background()
	// The enterprise spec is scanned, so its distribution publishes nothing and its
	// pipeline has no execution role: Image Builder acts as its service-linked role.
	for _, r := range []string{"us-east-1", "us-west-2"} {
		k := w.kms(r)
		out, err := k.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("winami AMIs")})
		if err != nil {
			t.Fatal(err)
		}
		w.keys[r] = aws.ToString(out.KeyMetadata.Arn)
		if _, err := k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/winami-ami"), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *kmsWorld) kms(region string) *kms.Client {
	return kms.NewFromConfig(awstest.SDKConfig(w.srv.URL(), region))
}

// statementOf is the JSON statement a kms-key check's fix tells to add.
func statementOf(t *testing.T, c check.Check) map[string]any {
	t.Helper()
	i := strings.Index(c.Fix, "the statement ")
	if i < 0 {
		t.Fatalf("the fix names no statement: %s", c.Fix)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(c.Fix[i+len("the statement "):]), &st); err != nil {
		t.Fatalf("the fix's statement is not JSON: %v\n%s", err, c.Fix)
	}
	return st
}

// addStatement adds st to the key policy of keyARN, as a user following the fix does.
func (w *kmsWorld) addStatement(t *testing.T, region, keyARN string, st map[string]any) {
	t.Helper()
	ctx := context.Background()
	k := w.kms(region)
	got, err := k.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	var pol map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(got.Policy)), &pol); err != nil {
		t.Fatal(err)
	}
	pol["Statement"] = append(pol["Statement"].([]any), st)
	b, _ := json.Marshal(pol)
	if _, err := k.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String("default"), Policy: aws.String(string(b))}); err != nil {
		t.Fatalf("KMS refused the key policy with the fix's statement: %v\n%s", err, b)
	}
}

// createTargetRole makes the target account's role from `iam-policy --for
// target-account`'s documents, with the target account's credentials.
func (w *kmsWorld) createTargetRole(t *testing.T, role preflight.TargetAccountRole) {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(awstest.SDKConfigAs(w.srv.URL(), "us-east-1", awsemu.AccessKeyFor(targetAccount), "secret", ""))
	trust, _ := json.Marshal(role.TrustPolicy)
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role.RoleName), AssumeRolePolicyDocument: aws.String(string(trust))}); err != nil {
		t.Fatal(err)
	}
	for _, arn := range role.ManagedPolicyARNs {
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role.RoleName), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatalf("attaching %s: %v", arn, err)
		}
	}
	inline, _ := json.Marshal(role.InlinePolicy)
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role.RoleName), PolicyName: aws.String(role.InlinePolicyName), PolicyDocument: aws.String(string(inline))}); err != nil {
		t.Fatalf("IAM refused the inline policy: %v\n%s", err, inline)
	}
}

// TestDoctorKMSKeys: against awsemu over the SDK, the enterprise spec's three keys (the
// recipe's, and each region's copy key) under their default key policies let Image
// Builder's service-linked role use them (the account's IAM, AWSServiceRoleForImageBuilder)
// but not the target account's cross-account role: each check fails and names the
// statement to add; once the role exists (made from iam-policy's documents) and the
// statements are added, every key passes and the role can be assumed from the build
// account. A grant works as well as a statement.
func TestDoctorKMSKeys(t *testing.T) {
	w := newKMSWorld(t)
	ctx := context.Background()
	img := loadEnterprise(t)
	ks := checksNamed(w.run(t, img), preflight.CheckKMSKey)
	if len(ks) != 3 {
		t.Fatalf("%d kms-key checks, want 3: %+v", len(ks), ks)
	}
	fields := []string{"spec.build.encryption.kmsKeyId", "spec.distribution.kmsKeyIds.us-east-1", "spec.distribution.kmsKeyIds.us-west-2"}
	regions := []string{"us-east-1", "us-east-1", "us-west-2"}
	for i, c := range ks {
		if c.Status != check.Fail || !strings.HasPrefix(c.Message, fields[i]+" arn:aws:kms:"+regions[i]+":123456789012:alias/winami-ami") ||
			!strings.Contains(c.Message, "key "+w.keys[regions[i]]+" is enabled, symmetric") ||
			!strings.Contains(c.Message, "target account 210987654321's EC2ImageBuilderDistributionCrossAccountRole") ||
			!strings.Contains(c.Message, "may not call kms:CreateGrant, kms:Decrypt, kms:DescribeKey, kms:GenerateDataKeyWithoutPlaintext, kms:ReEncryptFrom, kms:ReEncryptTo") {
			t.Errorf("check %d: %s: %s", i, c.Status, c.Message)
		}
		// The build account's own use is fine: the default policy delegates to IAM, and
		// AWSServiceRoleForImageBuilder allows EBS use through EC2.
		if i != 1 && !strings.Contains(c.Message, "Image Builder's service-linked role may use it (key policy statement \"Enable IAM User Permissions\" (account 123456789012's IAM policies: AWSServiceRoleForImageBuilder allows it through EC2))") {
			t.Errorf("check %d does not clear the service-linked role: %s", i, c.Message)
		}
		st := statementOf(t, c)
		cond, _ := json.Marshal(st["Condition"])
		if p, _ := json.Marshal(st["Principal"]); string(p) != `{"AWS":"arn:aws:iam::210987654321:role/EC2ImageBuilderDistributionCrossAccountRole"}` ||
			string(cond) != `{"StringEquals":{"kms:CallerAccount":"210987654321"},"StringLike":{"kms:ViaService":"ec2.*.amazonaws.com"}}` {
			t.Errorf("check %d's statement %v", i, st)
		}
	}

	// A grant to the role for EBS's operations is enough for the us-west-2 key.
	if _, err := w.kms("us-west-2").CreateGrant(ctx, &kms.CreateGrantInput{KeyId: aws.String(w.keys["us-west-2"]),
		GranteePrincipal: aws.String("arn:aws:iam::210987654321:role/EC2ImageBuilderDistributionCrossAccountRole"),
		Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationCreateGrant, kmstypes.GrantOperationDecrypt, kmstypes.GrantOperationDescribeKey,
			kmstypes.GrantOperationGenerateDataKeyWithoutPlaintext, kmstypes.GrantOperationReEncryptFrom, kmstypes.GrantOperationReEncryptTo}}); err != nil {
		t.Fatal(err)
	}
	if c := checksNamed(w.run(t, img), preflight.CheckKMSKey)[2]; c.Status != check.Pass || !strings.Contains(c.Message, "may use it (a grant)") {
		t.Errorf("with a grant: %s: %s", c.Status, c.Message)
	}

	// awsemu's own KMS authorization (an evaluator independent of doctor's) agrees: the
	// role may not use the us-east-1 key for EBS before the fix, and may after.
	role := "arn:aws:iam::210987654321:role/EC2ImageBuilderDistributionCrossAccountRole"
	ebsUse := func(region string) (bool, string) {
		key, ok := w.srv.KMS.Key(region, w.keys[region])
		if !ok {
			t.Fatalf("awsemu has no key %s", w.keys[region])
		}
		for _, a := range preflight.EBSKeyActions {
			ctx := map[string][]string{"kms:ViaService": {"ec2." + region + ".amazonaws.com"}, "kms:CallerAccount": {targetAccount}}
			if a != "kms:DescribeKey" {
				ctx["kms:EncryptionContextKeys"] = []string{"aws:ebs:id"}
			}
			if a == "kms:CreateGrant" {
				ctx["kms:GrantIsForAWSResource"] = []string{"true"}
			}
			if ok, why := w.srv.KMS.AuthorizeContext(key, role, a, ctx); !ok {
				return false, a + ": " + why
			}
		}
		return true, ""
	}
	if ok, _ := ebsUse("us-east-1"); ok {
		t.Error("awsemu lets the target role use the key before the fix")
	}

	// The fixes: the role from iam-policy's documents, then each statement.
	w.createTargetRole(t, preflight.TargetAccountPolicy(preflight.ScopeOf(img), "123456789012"))
	for i, c := range ks {
		w.addStatement(t, regions[i], w.keys[regions[i]], statementOf(t, c))
	}
	for _, r := range []string{"us-east-1", "us-west-2"} {
		if ok, why := ebsUse(r); !ok {
			t.Errorf("awsemu refuses the target role EBS use of the %s key after the fix: %s", r, why)
		}
	}
	for _, c := range checksNamed(w.run(t, img), preflight.CheckKMSKey) {
		if c.Status != check.Pass || !strings.Contains(c.Message, "target account 210987654321's EC2ImageBuilderDistributionCrossAccountRole may use it (key policy statement \"AllowEBSUseForWinami\")") {
			t.Errorf("after the fixes: %s: %s", c.Status, c.Message)
		}
	}
	// The trust policy lets the build account assume the role (build publishes so).
	out, err := sts.NewFromConfig(awstest.SDKConfig(w.srv.URL(), "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::210987654321:role/EC2ImageBuilderDistributionCrossAccountRole"), RoleSessionName: aws.String("winami-publish")})
	if err != nil || !strings.HasPrefix(aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::210987654321:assumed-role/EC2ImageBuilderDistributionCrossAccountRole/winami-publish") {
		t.Errorf("assuming the target role from the build account: %v %v", out, err)
	}
}

// TestDoctorKMSKeyProblems: a missing key, a disabled key and the AWS managed aws/ebs key
// (by its key ARN, which the spec cannot tell offline) each fail with what to do (an
// asymmetric key: awsemu makes none, and a key of another region: the spec refuses it,
// TestKMSKeyAsymmetricOrElsewhere).
func TestDoctorKMSKeyProblems(t *testing.T) {
	w := newKMSWorld(t)
	ctx := context.Background()
	west := "      us-west-2: arn:aws:kms:us-west-2:123456789012:alias/winami-ami\n"
	westCheck := func(t *testing.T, key string) check.Check {
		t.Helper()
		ks := checksNamed(w.run(t, loadEnterprise(t, west, "      us-west-2: "+key+"\n")), preflight.CheckKMSKey)
		if len(ks) != 3 {
			t.Fatalf("%d kms-key checks", len(ks))
		}
		return ks[2]
	}

	c := westCheck(t, "arn:aws:kms:us-west-2:123456789012:alias/nope")
	if c.Status != check.Fail || !strings.Contains(c.Message, "spec.distribution.kmsKeyIds.us-west-2 arn:aws:kms:us-west-2:123456789012:alias/nope: does not exist in us-west-2") ||
		!strings.Contains(c.Fix, "aws kms create-key --region us-west-2") {
		t.Errorf("missing key: %+v", c)
	}

	ebs, err := w.kms("us-west-2").DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/ebs")})
	if err != nil {
		t.Fatal(err)
	}
	c = westCheck(t, aws.ToString(ebs.KeyMetadata.Arn))
	if c.Status != check.Fail || !strings.Contains(c.Message, "is an AWS managed key, whose policy cannot let accounts 210987654321 use it") {
		t.Errorf("aws/ebs: %+v", c)
	}

	if _, err := w.kms("us-west-2").DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(w.keys["us-west-2"])}); err != nil {
		t.Fatal(err)
	}
	c = westCheck(t, "arn:aws:kms:us-west-2:123456789012:alias/winami-ami")
	if c.Status != check.Fail || !strings.Contains(c.Message, "is Disabled: EBS cannot use it") || c.Fix != "aws kms enable-key --region us-west-2 --key-id "+w.keys["us-west-2"] {
		t.Errorf("disabled key: %+v", c)
	}
}

// TestDoctorLogBucket: the log bucket missing fails with the create-bucket command; in
// another region it warns; in the build region it passes.
func TestDoctorLogBucket(t *testing.T) {
	w := newKMSWorld(t)
	ctx := context.Background()
	img := loadEnterprise(t)
	lb := checksNamed(w.run(t, img), preflight.CheckLogBucket)
	if len(lb) != 1 || lb[0].Status != check.Fail || !strings.Contains(lb[0].Message, "winami-build-logs-123456789012 does not exist") ||
		lb[0].Fix != "aws s3api create-bucket --bucket winami-build-logs-123456789012 --region us-east-1, or correct spec.build.logging.s3BucketName" {
		t.Fatalf("no bucket: %+v", lb)
	}
	east := s3.NewFromConfig(awstest.SDKConfig(w.srv.URL(), "us-east-1"), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := east.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("winami-build-logs-123456789012")}); err != nil {
		t.Fatal(err)
	}
	lb = checksNamed(w.run(t, img), preflight.CheckLogBucket)
	if len(lb) != 1 || lb[0].Status != check.Pass || !strings.Contains(lb[0].Message, "s3://winami-build-logs-123456789012/builds/ (bucket in us-east-1") {
		t.Errorf("bucket in the build region: %+v", lb)
	}
	west := s3.NewFromConfig(awstest.SDKConfig(w.srv.URL(), "us-west-2"), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("winami-logs-west-123456789012"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintUsWest2}}); err != nil {
		t.Fatal(err)
	}
	lb = checksNamed(w.run(t, loadEnterprise(t, "s3BucketName: winami-build-logs-123456789012", "s3BucketName: winami-logs-west-123456789012")), preflight.CheckLogBucket)
	if len(lb) != 1 || lb[0].Status != check.Warn || !strings.Contains(lb[0].Message, "is in us-west-2, not the build region us-east-1") {
		t.Errorf("bucket in another region: %+v", lb)
	}
	// A spec without logging has no such check.
	if lb := checksNamed(w.run(t, loadSpec(t)), preflight.CheckLogBucket); len(lb) != 0 {
		t.Errorf("base spec: %+v", lb)
	}
}

// TestDoctorKMSExecutionRoleWithoutKMS: under the default key policy the execution role
// needs KMS in its own IAM policies; one with none may not use the key (IAM simulated),
// and the fix names the role.
func TestDoctorKMSExecutionRoleWithoutKMS(t *testing.T) {
	w := newKMSWorld(t)
	w.executionRole(t, "bare-exec", ibuilder.ExecutionTrustPolicy, nil)
	img := loadEnterprise(t, "    instanceProfile: EC2InstanceProfileForImageBuilder\n", "    instanceProfile: EC2InstanceProfileForImageBuilder\n    executionRole: bare-exec\n")
	c := checksNamed(w.run(t, img), preflight.CheckKMSKey)[0]
	if c.Status != check.Fail || !strings.Contains(c.Message, "the pipeline's execution role bare-exec (arn:aws:iam::123456789012:role/bare-exec, which launches the build instance") ||
		!strings.Contains(c.Message, "may not call kms:CreateGrant, kms:Decrypt") || !strings.Contains(c.Fix, `"arn:aws:iam::123456789012:role/bare-exec"`) {
		t.Errorf("%s: %s\n%s", c.Status, c.Message, c.Fix)
	}
}

// TestDoctorKMSFastLaunch: with Fast Launch (and so no target accounts), the keys of the
// AMIs Fast Launch runs on say that EC2 grants its service-linked role use of them with
// the enabler's kms:CreateGrant; the build region's distribution key is unused.
func TestDoctorKMSFastLaunch(t *testing.T) {
	w := newKMSWorld(t)
	w.executionRole(t, "fl-exec", ibuilder.ExecutionTrustPolicy, nil, ibuilder.ExecutionPolicy, ibuilder.FastLaunchPolicy)
	img := loadEnterprise(t, `    targetAccountIds: ["210987654321"]`+"\n", "    fastLaunch: {enabled: true, targetSnapshots: 5}\n",
		"    instanceProfile: EC2InstanceProfileForImageBuilder\n", "    instanceProfile: EC2InstanceProfileForImageBuilder\n    executionRole: fl-exec\n")
	ks := checksNamed(w.run(t, img), preflight.CheckKMSKey)
	if len(ks) != 3 {
		t.Fatalf("%+v", ks)
	}
	for _, i := range []int{0, 2} {
		if ks[i].Status != check.Pass || !strings.Contains(ks[i].Message, "Fast Launch: EC2 grants AWSServiceRoleForEC2FastLaunch use of the key with the kms:CreateGrant of whoever enables it (the pipeline's execution role fl-exec at distribution") {
			t.Errorf("%d: %s: %s", i, ks[i].Status, ks[i].Message)
		}
	}
	if ks[1].Status != check.Pass || !strings.Contains(ks[1].Message, "unused: in the build region") {
		t.Errorf("build region's distribution key: %s: %s", ks[1].Status, ks[1].Message)
	}
}

// TestDoctorLogWrite: the build instance's role may not write the logs until it has the
// inline policy `iam-policy --for instance` prints (statement WriteBuildLogs): IAM
// simulated, on an object under the prefix.
func TestDoctorLogWrite(t *testing.T) {
	w := newKMSWorld(t)
	ctx := context.Background()
	img := loadEnterprise(t)
	c := checkNamed(t, w.run(t, img), preflight.CheckLogWrite)
	if c.Status != check.Fail || !strings.Contains(c.Message, "may not call s3:PutObject on arn:aws:s3:::winami-build-logs-123456789012/builds/winami-doctor/log.txt") {
		t.Fatalf("%s: %s", c.Status, c.Message)
	}
	prof, err := w.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("EC2InstanceProfileForImageBuilder")})
	if err != nil || len(prof.InstanceProfile.Roles) == 0 {
		t.Fatalf("%v %v", prof, err)
	}
	_, inline := preflight.InstancePolicy(preflight.ScopeOf(img))
	doc, _ := json.Marshal(inline)
	if _, err := w.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: prof.InstanceProfile.Roles[0].RoleName, PolicyName: aws.String("winami"), PolicyDocument: aws.String(string(doc))}); err != nil {
		t.Fatal(err)
	}
	if c := checkNamed(t, w.run(t, img), preflight.CheckLogWrite); c.Status != check.Pass {
		t.Errorf("with the instance policy: %s: %s", c.Status, c.Message)
	}
	// Another prefix of the same bucket stays closed.
	other := loadEnterprise(t, "s3KeyPrefix: builds", "s3KeyPrefix: other")
	if c := checkNamed(t, w.run(t, other), preflight.CheckLogWrite); c.Status != check.Fail {
		t.Errorf("another prefix: %s: %s", c.Status, c.Message)
	}
}

// TestDoctorKMSExecutionRoleMissing: a missing execution role leaves its use of the keys
// unknown (a warning, once, pointing at the execution-role check); when apply creates it
// (--create-roles), EC2ImageBuilderExecutionPolicy will allow it.
func TestDoctorKMSExecutionRoleMissing(t *testing.T) {
	w := newKMSWorld(t)
	img := loadEnterprise(t, "    instanceProfile: EC2InstanceProfileForImageBuilder\n", "    instanceProfile: EC2InstanceProfileForImageBuilder\n    executionRole: not-yet\n")
	// Without the target account, so that only the execution role is in question.
	img.Spec.Distribution.TargetAccountIDs = nil
	c := checksNamed(w.run(t, img), preflight.CheckKMSKey)[0]
	if c.Status != check.Warn || strings.Count(c.Message, "the role does not exist: see the execution-role check") != 1 {
		t.Errorf("%s: %s", c.Status, c.Message)
	}
	w.d.Options.CreatesRoles = true
	c = checksNamed(w.run(t, img), preflight.CheckKMSKey)[0]
	if c.Status != check.Pass || !strings.Contains(c.Message, "apply creates the role with EC2ImageBuilderExecutionPolicy") {
		t.Errorf("--create-roles: %s: %s", c.Status, c.Message)
	}
}

// TestDoctorScannedExecutionRole: the enterprise spec is scanned, so its distribution
// writes no parameter (winami build publishes it as the caller): it has no default
// execution role and doctor has no execution-role check to fail. A role the spec names
// is checked to exist and trust Image Builder, not for ssm:PutParameter: a role with
// EC2ImageBuilderExecutionPolicy alone passes.
func TestDoctorScannedExecutionRole(t *testing.T) {
	w := newKMSWorld(t)
	img := loadEnterprise(t)
	if !img.PublishAfterScan() || img.Spec.Distribution.PublishParameter == "" || img.Spec.Build.ExecutionRole != "" {
		t.Fatalf("enterprise spec: scanned %v, parameter %q, executionRole %q", img.PublishAfterScan(), img.Spec.Distribution.PublishParameter, img.Spec.Build.ExecutionRole)
	}
	if er := checksNamed(w.run(t, img), preflight.CheckExecutionRole); len(er) != 0 {
		t.Errorf("execution-role checks: %+v", er)
	}
	w.executionRole(t, "scan-exec", ibuilder.ExecutionTrustPolicy, nil, ibuilder.ExecutionPolicy)
	img = loadEnterprise(t, "    instanceProfile: EC2InstanceProfileForImageBuilder\n", "    instanceProfile: EC2InstanceProfileForImageBuilder\n    executionRole: scan-exec\n")
	er := checksNamed(w.run(t, img), preflight.CheckExecutionRole)
	if len(er) != 1 || er[0].Status != check.Pass || er[0].Message != "execution role scan-exec exists and trusts imagebuilder.amazonaws.com" {
		t.Errorf("a named role without ssm:PutParameter: %+v", er)
	}
}
