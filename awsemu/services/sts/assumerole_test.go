package sts_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
)

const peer = emulator.SandboxPeerAccount

func trust(principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":"sts:AssumeRole"}]}`
}

// TestPeerAccountByAccessKey reaches the second account with its access key: its own IAM
// (a role created there is not in the first account) and its own caller.
func TestPeerAccountByAccessKey(t *testing.T) {
	srv := emulatortest.Start(t, emulator.WithPeerAccounts(peer))
	ctx := context.Background()
	peerCfg := awstest.SDKConfigAs(srv.URL(), "us-east-1", awsemu.AccessKeyFor(peer), "any", "")
	id, err := sts.NewFromConfig(peerCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Account != peer || *id.Arn != "arn:aws:iam::"+peer+":user/awsemu" {
		t.Errorf("peer caller = %s %s", *id.Account, *id.Arn)
	}
	if _, err := iam.NewFromConfig(peerCfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("OnlyInPeer"), AssumeRolePolicyDocument: aws.String(trust(awsemu.DefaultAccount))}); err != nil {
		t.Fatal(err)
	}
	if _, err := iam.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("OnlyInPeer")}); err == nil {
		t.Error("a role created in the peer account is in the default account too")
	}
	if p, ok := srv.Peer(peer); !ok || p.Account != peer || p.IAM == nil {
		t.Errorf("Peer(%s) = %v, %v", peer, p, ok)
	}
	if _, ok := srv.Peer("999999999999"); ok {
		t.Error("Peer of an account not served")
	}
	if back, _ := srv.Peer(peer); back != nil {
		if root, ok := back.Peer(awsemu.DefaultAccount); !ok || root != srv {
			t.Error("the peer does not find the default account's world")
		}
	}
}

// TestAssumeRoleIntoPeer assumes a role of the second account from the first, uses the
// session (GetCallerIdentity, SSM's LastModifiedUser) and is refused where the trust policy
// does not allow the caller.
func TestAssumeRoleIntoPeer(t *testing.T) {
	srv := emulatortest.Start(t, emulator.WithPeerAccounts(peer))
	ctx := context.Background()
	peerIAM := iam.NewFromConfig(awstest.SDKConfigAs(srv.URL(), "us-east-1", awsemu.AccessKeyFor(peer), "any", ""))
	for name, doc := range map[string]string{
		"ByAccount": trust("arn:aws:iam::" + awsemu.DefaultAccount + ":root"),
		"Elsewhere": trust("arn:aws:iam::111122223333:root"),
		"Chain":     trust(peer),
	} {
		if _, err := peerIAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String("/x/"), AssumeRolePolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := peerIAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("ByAccount"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	if err != nil {
		t.Fatal(err)
	}
	c := sts.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	roleARN := "arn:aws:iam::" + peer + ":role/x/ByAccount"
	out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("winami-publish")})
	if err != nil {
		t.Fatal(err)
	}
	wantARN := "arn:aws:sts::" + peer + ":assumed-role/ByAccount/winami-publish"
	if *out.AssumedRoleUser.Arn != wantARN || !strings.HasPrefix(*out.AssumedRoleUser.AssumedRoleId, "AROA") ||
		!strings.HasSuffix(*out.AssumedRoleUser.AssumedRoleId, ":winami-publish") || !strings.HasPrefix(*out.Credentials.AccessKeyId, "ASIA") ||
		len(*out.Credentials.AccessKeyId) != 20 || out.Credentials.Expiration.Sub(srv.Clock.Now()).Round(60e9).Seconds() != 3600 {
		t.Errorf("AssumeRole = %+v %+v", *out.AssumedRoleUser, *out.Credentials)
	}
	cr := out.Credentials
	sessCfg := awstest.SDKConfigAs(srv.URL(), "us-west-2", *cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken)
	id, err := sts.NewFromConfig(sessCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != wantARN || *id.Account != peer || *id.UserId != *out.AssumedRoleUser.AssumedRoleId {
		t.Errorf("session GetCallerIdentity = %s %s %s", *id.Account, *id.Arn, *id.UserId)
	}
	sc := ssm.NewFromConfig(sessCfg)
	if _, err := sc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/winami/x"), Value: aws.String("v"), Type: "String"}); err != nil {
		t.Fatal(err)
	}
	h, err := sc.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/winami/x")})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Parameters) != 1 || *h.Parameters[0].LastModifiedUser != wantARN {
		t.Errorf("history %+v, want LastModifiedUser %s", h.Parameters, wantARN)
	}
	if _, err := ssm.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-west-2")).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/winami/x")}); err == nil {
		t.Error("the session's parameter is in the default account")
	}

	// Refusals: a trust policy naming another account, a role that does not exist.
	for _, arn := range []string{"arn:aws:iam::" + peer + ":role/x/Elsewhere", "arn:aws:iam::" + peer + ":role/Missing", "arn:aws:iam::999999999999:role/Any"} {
		_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("s1")})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" ||
			ae.ErrorMessage() != "User: arn:aws:iam::"+awsemu.DefaultAccount+":user/awsemu is not authorized to perform: sts:AssumeRole on resource: "+arn {
			t.Errorf("AssumeRole %s: %v", arn, err)
		}
	}
	// Role chaining is limited to one hour.
	_, err = sts.NewFromConfig(sessCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + peer + ":role/x/Chain"), RoleSessionName: aws.String("again"), DurationSeconds: aws.Int32(7200)})
	if err == nil || !strings.Contains(err.Error(), "1 hour session limit") {
		t.Errorf("chained AssumeRole for 2 hours: %v", err)
	}
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("bad name")})
	if err == nil || !strings.Contains(err.Error(), "ValidationError") {
		t.Errorf("session name with a space: %v", err)
	}
}

// TestSessionIsAuthorizedBySSM: a role session may use only the parameters its role's
// policies allow (the cross-account role's inline policy, as iam-policy prints it).
func TestSessionIsAuthorizedBySSM(t *testing.T) {
	srv := emulatortest.Start(t, emulator.WithPeerAccounts(peer))
	ctx := context.Background()
	peerIAM := iam.NewFromConfig(awstest.SDKConfigAs(srv.URL(), "us-east-1", awsemu.AccessKeyFor(peer), "any", ""))
	if _, err := peerIAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Publisher"), AssumeRolePolicyDocument: aws.String(trust(awsemu.DefaultAccount))}); err != nil {
		t.Fatal(err)
	}
	allowed := "arn:aws:ssm:us-east-1:" + peer + ":parameter/winami/ami"
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:PutParameter","ssm:GetParameter","ssm:GetParameterHistory"],"Resource":"` + allowed + `"}]}`
	if _, err := peerIAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Publisher"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	out, err := sts.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + peer + ":role/Publisher"), RoleSessionName: aws.String("winami-publish")})
	if err != nil {
		t.Fatal(err)
	}
	cr := out.Credentials
	sc := ssm.NewFromConfig(awstest.SDKConfigAs(srv.URL(), "us-east-1", *cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken))
	if _, err := sc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/winami/ami"), Value: aws.String("v"), Type: "String"}); err != nil {
		t.Fatalf("allowed PutParameter: %v", err)
	}
	if _, err := sc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(allowed)}); err != nil {
		t.Errorf("allowed GetParameter by ARN: %v", err)
	}
	_, err = sc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/other"), Value: aws.String("v"), Type: "String"})
	var ae smithy.APIError
	session := "arn:aws:sts::" + peer + ":assumed-role/Publisher/winami-publish"
	want := "User: " + session + " is not authorized to perform: ssm:PutParameter on resource: arn:aws:ssm:us-east-1:" + peer + ":parameter/other because no identity-based policy allows the ssm:PutParameter action"
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || ae.ErrorMessage() != want {
		t.Errorf("PutParameter outside the policy: %v", err)
	}
	if _, err := sc.DescribeParameters(ctx, &ssm.DescribeParametersInput{}); err == nil {
		t.Error("DescribeParameters, which the role's policy does not allow, succeeded")
	}
	_, err = iam.NewFromConfig(awstest.SDKConfigAs(srv.URL(), "us-east-1", *cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken)).GetUser(ctx, &iam.GetUserInput{})
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" || ae.ErrorMessage() != "Must specify userName when calling with non-User credentials" {
		t.Errorf("GetUser as a role session: %v", err)
	}
}
