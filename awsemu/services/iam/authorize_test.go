package iam_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	iamemu "github.com/winami/winami/awsemu/services/iam"
)

func wantIAMCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("error %v, want %s", err, code)
	}
}

// TestImageBuilderServiceLinkedRole checks the seeded service-linked role and the three
// managed policies issue 12 relies on.
func TestImageBuilderServiceLinkedRole(t *testing.T) {
	c, srv := client(t)
	out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(iamemu.ImageBuilderServiceRole)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Role.Arn) != awsemu.ImageBuilderServiceRoleARN(awsemu.DefaultAccount) ||
		aws.ToString(out.Role.Path) != "/aws-service-role/imagebuilder.amazonaws.com/" {
		t.Errorf("role %s path %s", aws.ToString(out.Role.Arn), aws.ToString(out.Role.Path))
	}
	trust, _ := url.QueryUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if !strings.Contains(trust, `"imagebuilder.amazonaws.com"`) {
		t.Errorf("trust %s", trust)
	}
	att, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(iamemu.ImageBuilderServiceRole)})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != iamemu.ImageBuilderServiceRolePolicy {
		t.Fatalf("attached %+v %v", att, err)
	}
	for arn, version := range map[string]string{
		iamemu.ImageBuilderServiceRolePolicy:                     "v25",
		"arn:aws:iam::aws:policy/EC2FastLaunchFullAccess":        "v4",
		"arn:aws:iam::aws:policy/EC2ImageBuilderExecutionPolicy": "v1",
	} {
		p, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
		if err != nil || aws.ToString(p.Policy.DefaultVersionId) != version {
			t.Errorf("GetPolicy %s: %+v %v", arn, p, err)
		}
	}
	// AWS alone modifies a service-linked role; its policy attaches to nothing else.
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(iamemu.ImageBuilderServiceRole),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	wantIAMCode(t, err, "UnmodifiableEntity")
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(iamemu.ImageBuilderServiceRole),
		PolicyName: aws.String("more"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:*","Resource":"*"}]}`)})
	wantIAMCode(t, err, "UnmodifiableEntity")
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(iamemu.ImageBuilderServiceRole)})
	wantIAMCode(t, err, "UnmodifiableEntity")
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(iamemu.DefaultRole),
		PolicyArn: aws.String(iamemu.ImageBuilderServiceRolePolicy)})
	wantIAMCode(t, err, "PolicyNotAttachable")

	if exists, trusted := srv.IAM.RoleTrusts(iamemu.ImageBuilderServiceRole, "imagebuilder.amazonaws.com"); !exists || !trusted {
		t.Errorf("RoleTrusts(service-linked role) = %v %v", exists, trusted)
	}
}

// TestAuthorizeServiceLinkedRole evaluates the statements of AWSServiceRoleForImageBuilder
// the Image Builder rules depend on.
func TestAuthorizeServiceLinkedRole(t *testing.T) {
	_, srv := client(t)
	slr := awsemu.ImageBuilderServiceRoleARN(awsemu.DefaultAccount)
	param := func(name string) string {
		return "arn:aws:ssm:us-east-1:" + awsemu.DefaultAccount + ":parameter/" + strings.TrimPrefix(name, "/")
	}
	image := awsemu.ImageARN("us-west-2", "ami-0123456789abcdef0")
	lt := "arn:aws:ec2:us-west-2:" + awsemu.DefaultAccount + ":launch-template/lt-0123456789abcdef0"
	tagged := awsemu.ResourceTagContext(map[string]string{"CreatedBy": "EC2 Image Builder"})
	for _, tc := range []struct {
		name, action, resource string
		ctx                    map[string][]string
		want                   bool
	}{
		{"parameter under /imagebuilder/", "ssm:PutParameter", param("/imagebuilder/prod/image_id"), nil, true},
		{"parameter elsewhere", "ssm:PutParameter", param("/winami/prod-win2022/image_id"), nil, false},
		{"describe images", "ec2:DescribeImages", "*", nil, true},
		{"fast launch, tagged image", "ec2:EnableFastLaunch", image, tagged, true},
		{"fast launch, untagged image", "ec2:EnableFastLaunch", image, nil, false},
		{"fast launch, tagged template", "ec2:EnableFastLaunch", lt, tagged, true},
		{"fast launch, template tagged otherwise", "ec2:EnableFastLaunch", lt,
			awsemu.ResourceTagContext(map[string]string{"CreatedBy": "me"}), false},
		{"register image with the request tag", "ec2:RegisterImage", image, map[string][]string{"aws:RequestTag/CreatedBy": {"EC2 Image Builder"}}, true},
		{"pass role to EC2", "iam:PassRole", "arn:aws:iam::" + awsemu.DefaultAccount + ":role/x", map[string][]string{"iam:PassedToService": {"ec2.amazonaws.com"}}, true},
		{"pass role to Lambda", "iam:PassRole", "arn:aws:iam::" + awsemu.DefaultAccount + ":role/x", map[string][]string{"iam:PassedToService": {"lambda.amazonaws.com"}}, false},
		{"tags on launch", "ec2:CreateTags", "arn:aws:ec2:us-west-2:" + awsemu.DefaultAccount + ":instance/i-1",
			map[string][]string{"ec2:CreateAction": {"RunInstances"}, "aws:RequestTag/CreatedBy": {"EC2 Image Builder"}}, true},
		{"tags outside a launch", "ec2:CreateTags", "arn:aws:ec2:us-west-2:" + awsemu.DefaultAccount + ":instance/i-1",
			map[string][]string{"aws:RequestTag/CreatedBy": {"EC2 Image Builder"}}, false},
		// Bool with a JSON true in the document, ForAllValues over a multi-valued key.
		{"grant for an AWS resource", "kms:CreateGrant", "*",
			map[string][]string{"kms:GrantIsForAWSResource": {"true"}, "kms:ViaService": {"ec2.us-west-2.amazonaws.com"}}, true},
		{"grant not for an AWS resource", "kms:CreateGrant", "*",
			map[string][]string{"kms:GrantIsForAWSResource": {"false"}, "kms:ViaService": {"ec2.us-west-2.amazonaws.com"}}, false},
		{"decrypt with EBS context", "kms:Decrypt", "*",
			map[string][]string{"kms:EncryptionContextKeys": {"aws:ebs:id"}, "kms:ViaService": {"ec2.us-west-2.amazonaws.com"}}, true},
		{"decrypt with another context key", "kms:Decrypt", "*",
			map[string][]string{"kms:EncryptionContextKeys": {"aws:ebs:id", "other"}, "kms:ViaService": {"ec2.us-west-2.amazonaws.com"}}, false},
	} {
		got, reason := srv.IAM.Authorize(slr, tc.action, tc.resource, tc.ctx)
		if got != tc.want {
			t.Errorf("%s: Authorize = %v (%s), want %v", tc.name, got, reason, tc.want)
		}
		if !got && !strings.Contains(reason, "User: "+slr+" is not authorized to perform: "+tc.action+" on resource: "+tc.resource+" because no identity-based policy allows the "+tc.action+" action") {
			t.Errorf("%s: reason %q", tc.name, reason)
		}
	}
}

// TestAuthorizeRolesAndUsers builds an execution role and a narrowed caller over HTTP and
// checks Authorize, RoleTrusts and RoleARN against them.
func TestAuthorizeRolesAndUsers(t *testing.T) {
	c, srv := client(t)
	trustIB := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"imagebuilder.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"` + awsemu.DefaultAccount + `"}}}]}`
	trustOther := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"imagebuilder.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"}}}]}`
	for name, doc := range map[string]string{"exec": trustIB, "other-account": trustOther} {
		if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String("/ib/"), AssumeRolePolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("exec"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/EC2ImageBuilderExecutionPolicy")}); err != nil {
		t.Fatal(err)
	}
	paramARN := "arn:aws:ssm:us-east-1:" + awsemu.DefaultAccount + ":parameter/winami/prod/image_id"
	execARN := "arn:aws:iam::" + awsemu.DefaultAccount + ":role/ib/exec"
	if ok, _ := srv.IAM.Authorize(execARN, "ssm:PutParameter", paramARN, nil); ok {
		t.Error("the execution policy alone writes /winami/prod/image_id")
	}
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("exec"), PolicyName: aws.String("winami-publish-parameter"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:PutParameter"],"Resource":"` + paramARN + `"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if ok, reason := srv.IAM.Authorize(execARN, "ssm:PutParameter", paramARN, nil); !ok {
		t.Errorf("execution role with the inline policy: %s", reason)
	}
	if arn, ok := srv.IAM.RoleARN("exec"); !ok || arn != execARN {
		t.Errorf("RoleARN(exec) = %s %v", arn, ok)
	}
	for _, tc := range []struct {
		role            string
		exists, trusted bool
	}{
		{"exec", true, true}, {execARN, true, true}, {"arn:aws:iam::" + awsemu.DefaultAccount + ":role/exec", false, false},
		{"other-account", true, false}, {iamemu.DefaultRole, true, false}, {"nope", false, false},
	} {
		if e, tr := srv.IAM.RoleTrusts(tc.role, "imagebuilder.amazonaws.com"); e != tc.exists || tr != tc.trusted {
			t.Errorf("RoleTrusts(%s) = %v %v, want %v %v", tc.role, e, tr, tc.exists, tc.trusted)
		}
	}

	// The caller holds AdministratorAccess; an explicit deny wins over it.
	caller := srv.CallerARN()
	if ok, reason := srv.IAM.Authorize(caller, "ec2:EnableFastLaunch", "*", nil); !ok {
		t.Fatalf("caller with AdministratorAccess: %s", reason)
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(awsemu.CallerUserName), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:EnableFastLaunch","Resource":"*","Condition":{"StringNotEquals":{"ec2:ResourceTag/team":"win"}}}]}`)}); err != nil {
		t.Fatal(err)
	}
	// StringNotEquals on a key the request lacks holds: the deny applies.
	ok, reason := srv.IAM.Authorize(caller, "ec2:EnableFastLaunch", "*", nil)
	if ok || !strings.HasSuffix(reason, "with an explicit deny in an identity-based policy") {
		t.Errorf("explicit deny: %v %q", ok, reason)
	}
	if ok, reason := srv.IAM.Authorize(caller, "ec2:EnableFastLaunch", "*", map[string][]string{"ec2:ResourceTag/team": {"win"}}); !ok {
		t.Errorf("deny not applying: %s", reason)
	}
	if ok, reason := srv.IAM.Authorize("arn:aws:iam::"+awsemu.DefaultAccount+":user/ghost", "ec2:DescribeImages", "*", nil); ok || !strings.Contains(reason, "does not exist") {
		t.Errorf("unknown principal: %v %q", ok, reason)
	}
}

// TestSimulateServiceLinkedRole: the service-linked role's document parses (its Bool
// condition value is a JSON true), so SimulatePrincipalPolicy evaluates it.
func TestSimulateServiceLinkedRole(t *testing.T) {
	c, _ := client(t)
	res := simulate(t, c, awsemu.ImageBuilderServiceRoleARN(awsemu.DefaultAccount), []string{"ssm:PutParameter"}, func(in *iam.SimulatePrincipalPolicyInput) {
		in.ResourceArns = []string{"arn:aws:ssm:us-east-1:" + awsemu.DefaultAccount + ":parameter/imagebuilder/x"}
	})
	if r := res["ssm:PutParameter"]; r.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed {
		t.Errorf("simulate SLR ssm:PutParameter /imagebuilder/x: %s", r.EvalDecision)
	}
}
