package iam_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	iamemu "github.com/winami/winami/awsemu/services/iam"
)

var ctx = context.Background()

func client(t *testing.T) (*iam.Client, *awsemu.Server) {
	srv := emulatortest.Start(t)
	return iam.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")), srv
}

func TestSeededInstanceProfile(t *testing.T) {
	c, srv := client(t)
	out, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(iamemu.DefaultInstanceProfile)})
	if err != nil {
		t.Fatal(err)
	}
	p := out.InstanceProfile
	if *p.Arn != "arn:aws:iam::"+awsemu.DefaultAccount+":instance-profile/"+iamemu.DefaultInstanceProfile || !strings.HasPrefix(*p.InstanceProfileId, "AIPA") {
		t.Errorf("profile %s %s", *p.Arn, *p.InstanceProfileId)
	}
	if len(p.Roles) != 1 || *p.Roles[0].RoleName != iamemu.DefaultRole {
		t.Fatalf("roles %+v", p.Roles)
	}
	doc, err := url.QueryUnescape(*p.Roles[0].AssumeRolePolicyDocument)
	if err != nil || !strings.Contains(doc, `"ec2.amazonaws.com"`) {
		t.Errorf("trust policy %q (%v)", doc, err)
	}
	if !srv.IAM.InstanceProfileExists(iamemu.DefaultInstanceProfile) || srv.IAM.InstanceProfileExists("nope") {
		t.Error("IAMStore.InstanceProfileExists disagrees with GetInstanceProfile")
	}

	att, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(iamemu.DefaultRole)})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, a := range att.AttachedPolicies {
		arns = append(arns, *a.PolicyArn)
	}
	if strings.Join(arns, ",") != strings.Join(iamemu.DefaultRolePolicies, ",") {
		t.Errorf("attached %v, want %v", arns, iamemu.DefaultRolePolicies)
	}
	// Pagination with MaxItems and Marker.
	var paged []string
	pg := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(iamemu.DefaultRole), MaxItems: aws.Int32(2)})
	pages := 0
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range out.AttachedPolicies {
			paged = append(paged, *a.PolicyArn)
		}
	}
	if pages != 2 || strings.Join(paged, ",") != strings.Join(arns, ",") {
		t.Errorf("paged %d pages %v", pages, paged)
	}
}

func TestNoSuchEntity(t *testing.T) {
	c, _ := client(t)
	var nse *types.NoSuchEntityException
	_, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("missing")})
	if !errors.As(err, &nse) || *nse.Message != "Instance Profile missing cannot be found." {
		t.Errorf("GetInstanceProfile: %v", err)
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("missing")})
	if !errors.As(err, &nse) || *nse.Message != "The role with name missing cannot be found." {
		t.Errorf("GetRole: %v", err)
	}
	_, err = c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("missing")})
	if !errors.As(err, &nse) {
		t.Errorf("ListAttachedRolePolicies: %v", err)
	}
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(iamemu.DefaultRole), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	if !errors.As(err, &nse) {
		t.Errorf("AttachRolePolicy of an unknown policy: %v", err)
	}
}

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func TestBuildWorldOverHTTP(t *testing.T) {
	c, _ := client(t)
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("builder"), AssumeRolePolicyDocument: aws.String(trust), Path: aws.String("/winami/")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("builder"), AssumeRolePolicyDocument: aws.String(trust)})
	var exists *types.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("second CreateRole: %v", err)
	}
	if _, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("builder")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("builder"), RoleName: aws.String("builder")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("builder"), RoleName: aws.String(iamemu.DefaultRole)})
	var limit *types.LimitExceededException
	if !errors.As(err, &limit) {
		t.Errorf("second role in a profile: %v", err)
	}
	for _, p := range []string{"EC2InstanceProfileForImageBuilder", "AmazonSSMManagedInstanceCore"} {
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("builder"), PolicyArn: aws.String("arn:aws:iam::aws:policy/" + p)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("builder")})
	if err != nil || len(got.InstanceProfile.Roles) != 1 || *got.InstanceProfile.Roles[0].Arn != "arn:aws:iam::"+awsemu.DefaultAccount+":role/winami/builder" {
		t.Fatalf("profile %+v %v", got, err)
	}
	pol, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ecr-pull"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("builder"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	gp, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: pol.Policy.Arn})
	if err != nil || *gp.Policy.AttachmentCount != 1 {
		t.Errorf("GetPolicy: %v %+v", err, gp)
	}
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("builder"), PolicyName: aws.String("bad"), PolicyDocument: aws.String("{not json")})
	var mal *types.MalformedPolicyDocumentException
	if !errors.As(err, &mal) {
		t.Errorf("malformed inline policy: %v", err)
	}
	mv, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"), VersionId: aws.String("v3")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.QueryUnescape(*mv.PolicyVersion.Document); !strings.Contains(doc, "ecr:GetAuthorizationToken") {
		t.Errorf("managed policy document %s", doc)
	}
}

func simulate(t *testing.T, c *iam.Client, principal string, actions []string, opts ...func(*iam.SimulatePrincipalPolicyInput)) map[string]types.EvaluationResult {
	t.Helper()
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(principal), ActionNames: actions}
	for _, o := range opts {
		o(in)
	}
	out, err := c.SimulatePrincipalPolicy(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	res := map[string]types.EvaluationResult{}
	for _, r := range out.EvaluationResults {
		res[*r.EvalActionName] = r
	}
	return res
}

func TestSimulatePrincipalPolicy(t *testing.T) {
	c, srv := client(t)
	roleARN := "arn:aws:iam::" + awsemu.DefaultAccount + ":role/" + iamemu.DefaultRole
	res := simulate(t, c, roleARN, []string{"imagebuilder:GetComponent", "ssm:UpdateInstanceInformation", "ecr:BatchGetImage", "ec2:TerminateInstances", "kms:Decrypt"})
	for a, want := range map[string]types.PolicyEvaluationDecisionType{
		"imagebuilder:GetComponent":     types.PolicyEvaluationDecisionTypeAllowed,
		"ssm:UpdateInstanceInformation": types.PolicyEvaluationDecisionTypeAllowed,
		"ecr:BatchGetImage":             types.PolicyEvaluationDecisionTypeAllowed,
		"ec2:TerminateInstances":        types.PolicyEvaluationDecisionTypeImplicitDeny,
		"kms:Decrypt":                   types.PolicyEvaluationDecisionTypeImplicitDeny, // its condition keys are missing
	} {
		if got := res[a].EvalDecision; got != want {
			t.Errorf("%s: %s, want %s", a, got, want)
		}
	}
	if m := res["imagebuilder:GetComponent"].MatchedStatements; len(m) != 1 || *m[0].SourcePolicyId != "EC2InstanceProfileForImageBuilder" || m[0].SourcePolicyType != types.PolicySourceTypeAwsManaged {
		t.Errorf("matched statements %+v", m)
	}
	if miss := res["kms:Decrypt"].MissingContextValues; len(miss) == 0 {
		t.Error("kms:Decrypt: no missing context values reported")
	}

	// With the context the condition needs, kms:Decrypt is allowed.
	res = simulate(t, c, roleARN, []string{"kms:Decrypt"}, func(in *iam.SimulatePrincipalPolicyInput) {
		in.ContextEntries = []types.ContextEntry{
			{ContextKeyName: aws.String("aws:CalledVia"), ContextKeyType: types.ContextKeyTypeEnumStringList, ContextKeyValues: []string{"imagebuilder.amazonaws.com"}},
			{ContextKeyName: aws.String("kms:EncryptionContextKeys"), ContextKeyType: types.ContextKeyTypeEnumStringList, ContextKeyValues: []string{"aws:imagebuilder:arn"}},
		}
	})
	if got := res["kms:Decrypt"].EvalDecision; got != types.PolicyEvaluationDecisionTypeAllowed {
		t.Errorf("kms:Decrypt with context: %s", got)
	}

	// An inline Deny beats the managed Allow.
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(iamemu.DefaultRole), PolicyName: aws.String("no-ecr"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"ecr:*","Resource":"*"}}`)}); err != nil {
		t.Fatal(err)
	}
	res = simulate(t, c, roleARN, []string{"ecr:BatchGetImage", "ssm:GetParameter"})
	if got := res["ecr:BatchGetImage"]; got.EvalDecision != types.PolicyEvaluationDecisionTypeExplicitDeny || *got.MatchedStatements[0].SourcePolicyId != iamemu.DefaultRole+"_no-ecr" {
		t.Errorf("ecr with inline deny: %s %+v", got.EvalDecision, got.MatchedStatements)
	}
	if got := res["ssm:GetParameter"].EvalDecision; got != types.PolicyEvaluationDecisionTypeAllowed {
		t.Errorf("ssm:GetParameter: %s", got)
	}

	// The caller (STS GetCallerIdentity's ARN) starts with AdministratorAccess.
	res = simulate(t, c, srv.CallerARN(), []string{"ec2:EnableFastLaunch", "iam:CreateServiceLinkedRole"})
	for a, r := range res {
		if r.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed {
			t.Errorf("caller %s: %s", a, r.EvalDecision)
		}
	}
	if _, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(awsemu.CallerUserName), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	res = simulate(t, c, srv.CallerARN(), []string{"ec2:EnableFastLaunch"})
	if got := res["ec2:EnableFastLaunch"].EvalDecision; got != types.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Errorf("caller without policies: %s", got)
	}

	// Resources: a statement scoped to an ARN pattern; PolicyInputList adds policies.
	res = simulate(t, c, roleARN, []string{"s3:GetObject"}, func(in *iam.SimulatePrincipalPolicyInput) {
		in.ResourceArns = []string{"arn:aws:s3:::ec2imagebuilder-logs/x"}
	})
	if got := res["s3:GetObject"]; got.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || *got.EvalResourceName != "arn:aws:s3:::ec2imagebuilder-logs/x" {
		t.Errorf("s3 in ec2imagebuilder bucket: %s", got.EvalDecision)
	}
	res = simulate(t, c, roleARN, []string{"s3:GetObject"}, func(in *iam.SimulatePrincipalPolicyInput) {
		in.ResourceArns = []string{"arn:aws:s3:::other/x"}
		in.PolicyInputList = []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::other/*"}]}`}
	})
	if got := res["s3:GetObject"]; got.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || *got.MatchedStatements[0].SourcePolicyId != "PolicyInputList.1" {
		t.Errorf("s3 via PolicyInputList: %s %+v", got.EvalDecision, got.MatchedStatements)
	}

	_, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + awsemu.DefaultAccount + ":role/ghost"), ActionNames: []string{"ec2:X"}})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("unknown principal: %v", err)
	}
}

// TestInstanceProfileRole: the store tells an instance profile's role (Image Builder writes
// build logs as it); a profile without a role, or no profile, is false.
func TestInstanceProfileRole(t *testing.T) {
	srv := awsemu.NewServer()
	svc := iamemu.New(srv)
	arn, ok := svc.InstanceProfileRole(iamemu.DefaultInstanceProfile)
	if !ok || arn != "arn:aws:iam::123456789012:role/"+iamemu.DefaultInstanceProfile {
		t.Fatalf("default profile's role: %q %v", arn, ok)
	}
	if _, ok := svc.InstanceProfileRole("nope"); ok {
		t.Fatal("a missing profile has a role")
	}
	var _ awsemu.InstanceProfileRoles = svc
}
