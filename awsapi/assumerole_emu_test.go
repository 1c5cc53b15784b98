package awsapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
)

// TestAssumeRoleReachesTheTargetAccount: against awsemu's second account, Clients from
// AssumeRole act as the target account's role in every region (the parameter lands in
// the target account, not the build account's), and a role that does not trust the
// build account is refused at the call.
func TestAssumeRoleReachesTheTargetAccount(t *testing.T) {
	const target = "210987654321"
	srv := emulatortest.Start(t, emulator.WithPeerAccounts(target))
	ctx := context.Background()
	peer := iam.NewFromConfig(awstest.SDKConfigAs(srv.URL(), "us-east-1", awsemu.AccessKeyFor(target), "secret", ""))
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := peer.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("EC2ImageBuilderDistributionCrossAccountRole"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:PutParameter","ssm:GetParameter"],"Resource":"arn:aws:ssm:*:*:parameter/winami/*"}]}`
	if _, err := peer.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("EC2ImageBuilderDistributionCrossAccountRole"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allow)}); err != nil {
		t.Fatal(err)
	}

	c := awsapi.FromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	tc, err := c.AssumeRole(ctx, awsapi.RoleARN("aws", target, "EC2ImageBuilderDistributionCrossAccountRole"), "winami-publish")
	if err != nil {
		t.Fatal(err)
	}
	who, err := tc.STS("us-west-2").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Account) != target || !strings.HasSuffix(aws.ToString(who.Arn), ":assumed-role/EC2ImageBuilderDistributionCrossAccountRole/winami-publish") {
		t.Fatalf("the assumed clients are %v (%v)", who, err)
	}
	if _, err := tc.SSM("us-west-2").PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/winami/x/image_id"), Value: aws.String("ami-0123456789abcdef0"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	mine := ssm.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-west-2"))
	if _, err := mine.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/winami/x/image_id")}); awsapi.ErrorCode(err) != "ParameterNotFound" {
		t.Errorf("the build account has the parameter the target role wrote: %v", err)
	}
	theirs := ssm.NewFromConfig(awstest.SDKConfigAs(srv.URL(), "us-west-2", awsemu.AccessKeyFor(target), "secret", ""))
	if got, err := theirs.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/winami/x/image_id")}); err != nil || aws.ToString(got.Parameter.Value) != "ami-0123456789abcdef0" {
		t.Errorf("the target account's parameter: %v %v", got, err)
	}

	if _, err := c.AssumeRole(ctx, awsapi.RoleARN("aws", target, "NoSuchRole"), "winami-publish"); err == nil || !awsapi.IsAccessDenied(err) ||
		!strings.Contains(err.Error(), "assuming role arn:aws:iam::210987654321:role/NoSuchRole") {
		t.Errorf("a role that does not exist: %v", err)
	}
	// Shown without the SDK's chain (awsapi.Message): the role, the call and AWS's answer.
	_, err = c.AssumeRole(ctx, awsapi.RoleARN("aws", target, "NoSuchRole"), "winami-publish")
	if msg := awsapi.Message(err); !strings.HasPrefix(msg, "assuming role arn:aws:iam::210987654321:role/NoSuchRole: STS AssumeRole: AccessDenied: ") ||
		strings.Contains(msg, "operation error") || strings.Contains(msg, "cached credentials") {
		t.Errorf("message: %s", msg)
	}
}
