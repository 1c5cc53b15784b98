package kms_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	kmsemu "github.com/winami/winami/awsemu/services/kms"
)

const peer = emulator.SandboxPeerAccount

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// TestKeysAliasesPolicies creates a key with the default policy, an alias, resolves it every
// way DescribeKey accepts, and refuses what KMS refuses.
func TestKeysAliasesPolicies(t *testing.T) {
	srv := emulatortest.Start(t)
	ctx := context.Background()
	c := kms.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-west-2"))
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("winami AMIs")})
	if err != nil {
		t.Fatal(err)
	}
	md := out.KeyMetadata
	if !strings.HasPrefix(*md.Arn, "arn:aws:kms:us-west-2:"+awsemu.DefaultAccount+":key/") || *md.AWSAccountId != awsemu.DefaultAccount ||
		md.KeyState != types.KeyStateEnabled || !md.Enabled || md.KeyManager != types.KeyManagerTypeCustomer || md.KeySpec != types.KeySpecSymmetricDefault {
		t.Errorf("CreateKey = %+v", md)
	}
	pol, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: md.KeyId, PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	if *pol.Policy != kmsemu.DefaultKeyPolicy("aws", awsemu.DefaultAccount) {
		t.Errorf("default policy %s", *pol.Policy)
	}
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/winami-ami"), TargetKeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	aliasARN := "arn:aws:kms:us-west-2:" + awsemu.DefaultAccount + ":alias/winami-ami"
	for _, id := range []string{*md.KeyId, *md.Arn, "alias/winami-ami", aliasARN} {
		d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		if err != nil || *d.KeyMetadata.Arn != *md.Arn {
			t.Errorf("DescribeKey %s: %v", id, err)
		}
		k, ok := srv.KMS.Key("us-west-2", id)
		if !ok || k.ARN != *md.Arn || k.State != "Enabled" || k.Account != awsemu.DefaultAccount || k.Region != "us-west-2" {
			t.Errorf("KMSStore.Key(%s) = %+v %v", id, k, ok)
		}
	}
	if _, ok := srv.KMS.Key("us-east-1", "alias/winami-ami"); ok {
		t.Error("an alias of us-west-2 resolves in us-east-1")
	}
	al, err := c.ListAliases(ctx, &kms.ListAliasesInput{KeyId: md.KeyId})
	if err != nil || len(al.Aliases) != 1 || *al.Aliases[0].AliasArn != aliasARN || *al.Aliases[0].TargetKeyId != *md.KeyId {
		t.Errorf("ListAliases = %+v %v", al, err)
	}
	for name, tc := range map[string]struct {
		call func() error
		want string
	}{
		"missing alias": {func() error {
			_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/nope")})
			return err
		}, "NotFoundException: Alias arn:aws:kms:us-west-2:" + awsemu.DefaultAccount + ":alias/nope is not found."},
		"missing key": {func() error {
			_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("11111111-2222-4333-8444-555555555555")})
			return err
		}, "NotFoundException: Key 'arn:aws:kms:us-west-2:" + awsemu.DefaultAccount + ":key/11111111-2222-4333-8444-555555555555' does not exist"},
		"duplicate alias": {func() error {
			_, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/winami-ami"), TargetKeyId: md.KeyId})
			return err
		}, "AlreadyExistsException: An alias with the name " + aliasARN + " already exists"},
		"reserved alias": {func() error {
			_, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/aws/mine"), TargetKeyId: md.KeyId})
			return err
		}, "NotAuthorizedException: UnknownError"}, // no message, as KMS answers (the SDK fills one in)
		"alias to alias": {func() error {
			_, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/two"), TargetKeyId: aws.String("alias/winami-ami")})
			return err
		}, "ValidationException: Aliases must refer to keys. Not aliases"},
		"missing principal": {func() error {
			_, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: md.KeyId, PolicyName: aws.String("default"),
				Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + awsemu.DefaultAccount + `:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + awsemu.DefaultAccount + `:role/NoSuchRole"},"Action":"kms:Decrypt","Resource":"*"}]}`)})
			return err
		}, "MalformedPolicyDocumentException: Policy contains a statement with one or more invalid principals."},
		"not a policy": {func() error {
			_, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: md.KeyId, PolicyName: aws.String("default"), Policy: aws.String(`{"Version":`)})
			return err
		}, "MalformedPolicyDocumentException: Syntax errors in policy."},
		"lockout": {func() error {
			_, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: md.KeyId, PolicyName: aws.String("default"),
				Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`)})
			return err
		}, "MalformedPolicyDocumentException: The new key policy will not allow you to update the key policy in the future."},
	} {
		if got := apiCode(tc.call()); got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
	// The AWS managed key of EBS exists.
	ebs, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/ebs")})
	if err != nil || ebs.KeyMetadata.KeyManager != types.KeyManagerTypeAws {
		t.Errorf("alias/aws/ebs: %+v %v", ebs, err)
	}
	// Disabled keys: the state shows, grants are refused.
	if _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	if k, _ := srv.KMS.Key("us-west-2", "alias/winami-ami"); k.State != "Disabled" {
		t.Errorf("after DisableKey, state %s", k.State)
	}
	_, err = c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.Arn, GranteePrincipal: aws.String("arn:aws:iam::" + awsemu.DefaultAccount + ":role/x"), Operations: []types.GrantOperation{types.GrantOperationDecrypt}})
	if !strings.HasPrefix(apiCode(err), "DisabledException") {
		t.Errorf("grant on a disabled key: %v", err)
	}
	if _, err := c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
}

// TestAuthorizeKeyPolicyGrantsAndIAM checks KMSStore.Authorize: the default policy delegates
// to IAM, a policy naming a role allows it, a grant allows its grantee, another account
// needs both the key policy and its own IAM policies.
func TestAuthorizeKeyPolicyGrantsAndIAM(t *testing.T) {
	srv := emulatortest.Start(t, emulator.WithPeerAccounts(peer))
	ctx := context.Background()
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	c, ic := kms.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	for _, name := range []string{"NoPolicies", "Named"} {
		if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
	}
	acct := awsemu.DefaultAccount
	noPol, named := "arn:aws:iam::"+acct+":role/NoPolicies", "arn:aws:iam::"+acct+":role/Named"
	peerUser := "arn:aws:iam::" + peer + ":user/awsemu"
	policy := map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Sid": "root", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}, "Action": "kms:*", "Resource": "*"},
		map[string]any{"Sid": "named", "Effect": "Allow", "Principal": map[string]any{"AWS": named}, "Action": "kms:Decrypt", "Resource": "*"},
		map[string]any{"Sid": "peer", "Effect": "Allow", "Principal": map[string]any{"AWS": peer}, "Action": []string{"kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"}, "Resource": "*"},
		map[string]any{"Sid": "deny", "Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"},
	}}
	doc, _ := json.Marshal(policy)
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(string(doc))})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := srv.KMS.Key("us-east-1", *out.KeyMetadata.Arn)
	cases := []struct {
		who, action string
		want        bool
	}{
		{srv.CallerARN(), "kms:Decrypt", true},              // root delegation + AdministratorAccess
		{srv.CallerARN(), "kms:ScheduleKeyDeletion", false}, // explicit deny
		{noPol, "kms:Decrypt", false},                       // delegated to IAM, which allows nothing
		{named, "kms:Decrypt", true},                        // named in the key policy
		{named, "kms:Encrypt", false},
		{peerUser, "kms:Decrypt", true},  // the peer account's root is named, its user is admin
		{peerUser, "kms:Encrypt", false}, // not in the key policy
		{"arn:aws:iam::111122223333:user/x", "kms:Decrypt", false},
	}
	for _, tc := range cases {
		if ok, reason := srv.KMS.Authorize(k, tc.who, tc.action); ok != tc.want || ok == (reason != "") {
			t.Errorf("Authorize(%s, %s) = %v %q, want %v", tc.who, tc.action, ok, reason, tc.want)
		}
	}
	// A grant lets its grantee (and the grantee role's sessions) use the key.
	if _, err := c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: out.KeyMetadata.KeyId, GranteePrincipal: aws.String(noPol),
		Operations: []types.GrantOperation{types.GrantOperationEncrypt, types.GrantOperationDecrypt}, Name: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{noPol, awsemu.AssumedRoleARN(noPol, "s")} {
		if ok, reason := srv.KMS.Authorize(k, who, "kms:Encrypt"); !ok {
			t.Errorf("granted %s refused: %s", who, reason)
		}
	}
	if ok, _ := srv.KMS.Authorize(k, noPol, "kms:CreateGrant"); ok {
		t.Error("a grant without CreateGrant allows CreateGrant")
	}
	gr, err := c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: out.KeyMetadata.Arn})
	if err != nil || len(gr.Grants) != 1 || *gr.Grants[0].GranteePrincipal != noPol || *gr.Grants[0].KeyId != *out.KeyMetadata.Arn ||
		*gr.Grants[0].IssuingAccount != "arn:aws:iam::"+acct+":root" || len(gr.Grants[0].Operations) != 2 {
		t.Errorf("ListGrants = %+v %v", gr, err)
	}
	// The peer account describes the key by ARN (cross-account use), and is refused a
	// key whose policy does not name it.
	pc := kms.NewFromConfig(awstest.SDKConfigAs(srv.URL(), "us-east-1", awsemu.AccessKeyFor(peer), "x", ""))
	if _, err := pc.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: out.KeyMetadata.Arn}); err != nil {
		t.Errorf("peer DescribeKey by ARN: %v", err)
	}
	if _, err := pc.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: out.KeyMetadata.KeyId}); !strings.HasPrefix(apiCode(err), "NotFoundException") {
		t.Errorf("peer DescribeKey by id (its own account has no such key): %v", err)
	}
	other, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = pc.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: other.KeyMetadata.Arn})
	if want := "AccessDeniedException: User: " + peerUser + " is not authorized to perform: kms:DescribeKey on resource: " + *other.KeyMetadata.Arn + " because no resource-based policy allows the kms:DescribeKey action"; apiCode(err) != want {
		t.Errorf("peer DescribeKey of a key not shared: %q, want %q", apiCode(err), want)
	}
	// Image Builder's service-linked role through EC2: its managed policy allows
	// CreateGrant for AWS resources via EC2, delegated by the default key policy.
	slr := awsemu.ImageBuilderServiceRoleARN(acct)
	ko, _ := srv.KMS.Key("us-east-1", *other.KeyMetadata.Arn)
	via := map[string][]string{"kms:ViaService": {"ec2.us-east-1.amazonaws.com"}, "kms:GrantIsForAWSResource": {"true"}}
	if ok, reason := srv.KMS.AuthorizeContext(ko, slr, "kms:CreateGrant", via); !ok {
		t.Errorf("Image Builder's role via EC2: %s", reason)
	}
	if ok, _ := srv.KMS.Authorize(ko, slr, "kms:CreateGrant"); ok {
		t.Error("Image Builder's role without kms:ViaService is allowed CreateGrant")
	}
}
