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

func TestKMSKeyAsymmetric(t *testing.T) {
	arn := "arn:aws:kms:us-west-2:123456789012:key/11111111-2222-3333-4444-555555555555"
	d := &Doctor{Clients: kmsOnly{k: oneKey{md: kmstypes.KeyMetadata{Arn: aws.String(arn), KeyState: kmstypes.KeyStateEnabled,
		KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeSignVerify, KeyManager: kmstypes.KeyManagerTypeCustomer}}}}
	c := d.kmsKey(context.Background(), specKey{Field: "spec.distribution.kmsKeyIds.us-west-2", ID: arn, Region: "us-west-2"}, "123456789012")
	if c.Status != check.Fail || !strings.Contains(c.Message, "is RSA_2048 SIGN_VERIFY: Amazon EBS supports only symmetric encryption keys") ||
		!strings.Contains(c.Fix, "--key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT") {
		t.Errorf("%+v", c)
	}
}
