package preflight

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/check"
)

// oneKey is a KMS that describes one key (awsemu makes only symmetric keys).
type oneKey struct {
	awsapi.KMS
	md kmstypes.KeyMetadata
}

func (o oneKey) DescribeKey(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	return &kms.DescribeKeyOutput{KeyMetadata: &o.md}, nil
}

// kmsOnly gives only the KMS client.
type kmsOnly struct {
	Clients
	k awsapi.KMS
}

func (c kmsOnly) KMS(string) awsapi.KMS { return c.k }

func TestKMSKeyAsymmetricOrElsewhere(t *testing.T) {
	arn := "arn:aws:kms:us-west-2:123456789012:key/11111111-2222-3333-4444-555555555555"
	d := &Doctor{Clients: kmsOnly{k: oneKey{md: kmstypes.KeyMetadata{Arn: aws.String(arn), KeyState: kmstypes.KeyStateEnabled,
		KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeSignVerify, KeyManager: kmstypes.KeyManagerTypeCustomer}}}}
	c := d.kmsKey(context.Background(), specKey{Field: "spec.distribution.kmsKeyIds.us-west-2", ID: arn, Region: "us-west-2"}, "123456789012", map[string]awsapi.KMS{})
	if c.Status != check.Fail || !strings.Contains(c.Message, "is RSA_2048 SIGN_VERIFY: Amazon EBS supports only symmetric encryption keys") ||
		!strings.Contains(c.Fix, "--key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT") {
		t.Errorf("%+v", c)
	}
	// A key ARN of another region (spec validation refuses it too) fails before any call.
	c = (&Doctor{}).kmsKey(context.Background(), specKey{Field: "spec.distribution.kmsKeyIds.us-west-2", ID: "arn:aws:kms:us-east-1:123456789012:alias/x", Region: "us-west-2"}, "123456789012", map[string]awsapi.KMS{})
	if c.Status != check.Fail || !strings.Contains(c.Message, "is in us-east-1, not us-west-2: a key encrypts only in its own region") {
		t.Errorf("%+v", c)
	}
}

// countingKMS counts the reads that reach it.
type countingKMS struct {
	oneKey
	calls map[string]int
}

func (c countingKMS) DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, opts ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	c.calls["DescribeKey "+aws.ToString(in.KeyId)]++
	return c.oneKey.DescribeKey(ctx, in, opts...)
}

func (c countingKMS) GetKeyPolicy(_ context.Context, in *kms.GetKeyPolicyInput, _ ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
	c.calls["GetKeyPolicy "+aws.ToString(in.KeyId)]++
	return &kms.GetKeyPolicyOutput{Policy: aws.String(`{"Statement":[]}`)}, nil
}

func (c countingKMS) ListGrants(_ context.Context, in *kms.ListGrantsInput, _ ...func(*kms.Options)) (*kms.ListGrantsOutput, error) {
	c.calls["ListGrants "+aws.ToString(in.KeyId)]++
	return &kms.ListGrantsOutput{}, nil
}

// The build region's key named in two fields is read once: both checks still run, each
// with its own users, from one DescribeKey, one GetKeyPolicy and one ListGrants.
func TestKMSKeyNamedTwiceReadOnce(t *testing.T) {
	arn := "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
	api := countingKMS{oneKey: oneKey{md: kmstypes.KeyMetadata{Arn: aws.String(arn), KeyState: kmstypes.KeyStateEnabled,
		KeySpec: kmstypes.KeySpecSymmetricDefault, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt, KeyManager: kmstypes.KeyManagerTypeCustomer}},
		calls: map[string]int{}}
	d := &Doctor{Clients: kmsOnly{k: api}}
	apis := map[string]awsapi.KMS{}
	users := []keyUser{target}
	var got []check.Check
	for _, field := range []string{"spec.build.encryption.kmsKeyId", "spec.distribution.kmsKeyIds.us-east-1"} {
		got = append(got, d.kmsKey(context.Background(), specKey{Field: field, ID: arn, Region: "us-east-1", Users: users}, "123456789012", apis))
	}
	for i, c := range got {
		if c.Status != check.Fail || !strings.Contains(c.Message, "may not call") {
			t.Errorf("check %d: %+v", i, c)
		}
	}
	for op, n := range api.calls {
		if n != 1 {
			t.Errorf("%s called %d times, want 1 (calls: %v)", op, n, api.calls)
		}
	}
	if len(api.calls) != 3 {
		t.Errorf("reads: %v, want DescribeKey, GetKeyPolicy and ListGrants once each", api.calls)
	}
}
