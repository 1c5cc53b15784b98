package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/check"
)

// TestDoctorCommandKMSAndLogBucket: `winami doctor -o json` on the enterprise spec
// carries a kms-key check per key (failing for the target account's role under the
// default key policies, with the key policy statement in "fix"), the log-bucket check and
// the instance role's log writes (failing: the seeded role has no WriteBuildLogs).
func TestDoctorCommandKMSAndLogBucket(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t)
	ctx := context.Background()
	for _, r := range []string{"us-east-1", "us-west-2"} {
		k := kms.NewFromConfig(awstest.SDKConfig(srv.URL(), r))
		out, err := k.CreateKey(ctx, &kms.CreateKeyInput{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/winami-ami"), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s3.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("winami-build-logs-123456789012")}); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := run(t, "doctor", "-f", writePruneSpec(t, enterpriseSpec), "-o", "json")
	var checks []check.Check
	if code != ExitProblem || json.Unmarshal([]byte(out), &checks) != nil {
		t.Fatalf("doctor: exit %d\n%s\n%s", code, out, stderr)
	}
	var keys, buckets []check.Check
	for _, c := range checks {
		switch c.Name {
		case "kms-key":
			keys = append(keys, c)
		case "log-bucket":
			buckets = append(buckets, c)
		}
	}
	if len(keys) != 3 || len(buckets) != 1 || buckets[0].Status != check.Pass {
		t.Fatalf("kms-key %+v\nlog-bucket %+v", keys, buckets)
	}
	for _, c := range keys {
		if c.Status != check.Fail || !strings.Contains(c.Fix, `the statement {"Action":["kms:CreateGrant","kms:Decrypt","kms:DescribeKey","kms:GenerateDataKeyWithoutPlaintext","kms:ReEncrypt*"]`) ||
			!strings.Contains(c.Fix, `"Principal":{"AWS":"arn:aws:iam::210987654321:role/EC2ImageBuilderDistributionCrossAccountRole"}`) {
			t.Errorf("%s: %s\n%s", c.Status, c.Message, c.Fix)
		}
	}
	// The fourth: the build instance's role may not write the logs yet.
	if !strings.Contains(stderr, "doctor: 4 checks failed") {
		t.Errorf("stderr %s", stderr)
	}
	for _, c := range checks {
		if c.Name == "instance-role-logs" && (c.Status != check.Fail || !strings.Contains(c.Fix, "iam-policy --for instance")) {
			t.Errorf("%+v", c)
		}
	}
}
