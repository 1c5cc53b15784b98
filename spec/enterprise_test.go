package spec

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// enterprise is examples/enterprise-win2022.yaml without its comments, line numbers kept
// small: every case below changes it in one place.
const enterprise = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata: {name: ent, region: us-east-1}
spec:
  kubernetesVersion: "1.31"
  windows: {version: "2022", edition: Core}
  build:
    encryption:
      kmsKeyId: arn:aws:kms:us-east-1:123456789012:alias/winami-ami
    logging:
      s3BucketName: winami-build-logs-123456789012
      s3KeyPrefix: enterprise/win2022
    notifications:
      snsTopicArn: arn:aws:sns:us-east-1:123456789012:winami-builds
    imageScanning:
      enabled: true
  distribution:
    regions: [us-east-1, us-west-2]
    targetAccountIds: ["210987654321"]
    kmsKeyIds:
      us-east-1: arn:aws:kms:us-east-1:123456789012:alias/winami-ami
      us-west-2: arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    publishParameter: /winami/ent/image_id
`

func edit(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(enterprise, old) {
		t.Fatalf("test case does not apply: %q", old)
	}
	return strings.Replace(enterprise, old, new, 1)
}

func TestEnterpriseSpecLoadsWithDefaults(t *testing.T) {
	img, errs := load(t, enterprise)
	if errs != nil {
		t.Fatal(errs)
	}
	b := img.Spec.Build
	if b.Encryption.Encrypted == nil || !*b.Encryption.Encrypted || !b.Encryption.IsEncrypted() {
		t.Errorf("encryption.encrypted not defaulted to true: %+v", b.Encryption)
	}
	if !img.PublishAfterScan() {
		t.Error("PublishAfterScan is false with imageScanning.enabled")
	}
	if got := img.PublishAccounts(); len(got) != 1 || got[0] != "210987654321" {
		t.Errorf("PublishAccounts = %v", got)
	}
	y, err := img.YAML()
	if err != nil || !strings.Contains(string(y), "    encryption:\n      encrypted: true\n") {
		t.Errorf("the effective spec lacks encryption.encrypted: true:\n%s", y)
	}
	noParam, errs := load(t, edit(t, "    publishParameter: /winami/ent/image_id\n", ""))
	if errs != nil {
		t.Fatal(errs)
	}
	if noParam.PublishAccounts() != nil {
		t.Errorf("PublishAccounts without a parameter = %v", noParam.PublishAccounts())
	}
	// The example itself loads.
	if _, err := Load("../examples/enterprise-win2022.yaml"); err != nil {
		t.Fatal(err)
	}
}

// TestEnterpriseBadInput: a bad value of every new field is refused, naming the field
// and its line, with what is accepted.
func TestEnterpriseBadInput(t *testing.T) {
	const key = "      kmsKeyId: arn:aws:kms:us-east-1:123456789012:alias/winami-ami\n"
	const bucket = "      s3BucketName: winami-build-logs-123456789012\n"
	const prefix = "      s3KeyPrefix: enterprise/win2022\n"
	const topic = "      snsTopicArn: arn:aws:sns:us-east-1:123456789012:winami-builds\n"
	const targets = `    targetAccountIds: ["210987654321"]` + "\n"
	const west = "      us-west-2: arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\n"
	many := make([]string, MaxTargetAccounts+1)
	for i := range many {
		many[i] = fmt.Sprintf("%q", fmt.Sprintf("%012d", 100000000000+i))
	}
	for _, c := range []struct {
		name, old, new, path string
		line                 int
		want                 string
	}{
		// build.encryption
		{"encryption not a mapping", "    encryption:\n" + key, "    encryption: yes\n", "spec.build.encryption", 8, "want a mapping"},
		{"encryption unknown field", key, key + "      kmsKey: x\n", "spec.build.encryption.kmsKey", 10, `did you mean "kmsKeyId"`},
		{"encrypted not a boolean", key, key + "      encrypted: maybe\n", "spec.build.encryption.encrypted", 10, "boolean"},
		{"key id without ARN", key, "      kmsKeyId: 1234abcd-12ab-34cd-56ef-1234567890ab\n", "spec.build.encryption.kmsKeyId", 9, "not a KMS key ARN"},
		{"alias name without ARN", key, "      kmsKeyId: alias/winami-ami\n", "spec.build.encryption.kmsKeyId", 9, "alias ARN"},
		{"key of another region", key, "      kmsKeyId: arn:aws:kms:us-west-2:123456789012:alias/winami-ami\n", "spec.build.encryption.kmsKeyId", 9, "KMS keys are Regional"},
		{"key of another partition", key, "      kmsKeyId: arn:aws-cn:kms:us-east-1:123456789012:alias/winami-ami\n", "spec.build.encryption.kmsKeyId", 9, "partition aws-cn"},
		{"another service's AWS managed key", key, "      kmsKeyId: arn:aws:kms:us-east-1:123456789012:alias/aws/s3\n", "spec.build.encryption.kmsKeyId", 9, "AWS managed key of another service"},
		{"dynamic reference as key", key, "      kmsKeyId: '{{resolve:ssm:/keys/ami}}'\n", "spec.build.encryption.kmsKeyId", 9, "dynamic reference"},
		{"key while not encrypted", key, key + "      encrypted: false\n", "spec.build.encryption.kmsKeyId", 9, "set encrypted: true"},
		{"aws/ebs with target accounts", "    encryption:\n" + key, "    encryption: {encrypted: true}\n", "spec.build.encryption", 8, "AWS managed key aws/ebs"},
		{"aws/ebs alias with target accounts", key, "      kmsKeyId: arn:aws:kms:us-east-1:123456789012:alias/aws/ebs\n", "spec.build.encryption.kmsKeyId", 9, "cannot be shared or copied"},
		// build.logging
		{"logging without bucket", bucket, "", "spec.build.logging.s3BucketName", 10, "missing"},
		{"bucket with capitals", bucket, "      s3BucketName: Winami-Logs\n", "spec.build.logging.s3BucketName", 11, "lowercase"},
		{"bucket too short", bucket, "      s3BucketName: ab\n", "spec.build.logging.s3BucketName", 11, "3 to 63"},
		{"bucket as IP address", bucket, "      s3BucketName: 192.168.5.4\n", "spec.build.logging.s3BucketName", 11, "IP address"},
		{"bucket with adjacent periods", bucket, "      s3BucketName: winami..logs\n", "spec.build.logging.s3BucketName", 11, "adjacent periods"},
		{"bucket with reserved prefix", bucket, "      s3BucketName: xn--winami-logs\n", "spec.build.logging.s3BucketName", 11, "S3 reserves"},
		{"bucket with reserved suffix", bucket, "      s3BucketName: winami-logs-s3alias\n", "spec.build.logging.s3BucketName", 11, "S3 reserves"},
		{"bucket as URL", bucket, "      s3BucketName: s3://winami-logs\n", "spec.build.logging.s3BucketName", 11, "name only"},
		{"prefix with leading slash", prefix, "      s3KeyPrefix: /enterprise\n", "spec.build.logging.s3KeyPrefix", 12, "empty path segment"},
		{"prefix with trailing slash", prefix, "      s3KeyPrefix: enterprise/\n", "spec.build.logging.s3KeyPrefix", 12, "empty path segment"},
		{"prefix with wildcard", prefix, "      s3KeyPrefix: logs/*\n", "spec.build.logging.s3KeyPrefix", 12, "wildcards"},
		{"prefix with dynamic reference", prefix, "      s3KeyPrefix: '{{resolve:secretsmanager:logs}}'\n", "spec.build.logging.s3KeyPrefix", 12, "dynamic reference"},
		{"prefix too long", prefix, "      s3KeyPrefix: " + strings.Repeat("a", 1025) + "\n", "spec.build.logging.s3KeyPrefix", 12, "at most 1024"},
		{"logging unknown field", prefix, prefix + "      bucket: x\n", "spec.build.logging.bucket", 13, "accepted here"},
		// build.notifications
		{"topic missing", topic, "      snsTopicArn: \"\"\n", "spec.build.notifications.snsTopicArn", 14, "missing"},
		{"topic not an ARN", topic, "      snsTopicArn: winami-builds\n", "spec.build.notifications.snsTopicArn", 14, "not an SNS topic ARN"},
		{"FIFO topic", topic, "      snsTopicArn: arn:aws:sns:us-east-1:123456789012:winami-builds.fifo\n", "spec.build.notifications.snsTopicArn", 14, "FIFO"},
		{"topic of another partition", topic, "      snsTopicArn: arn:aws-us-gov:sns:us-gov-west-1:123456789012:winami-builds\n", "spec.build.notifications.snsTopicArn", 14, "partition aws-us-gov"},
		{"topic in an unknown region", topic, "      snsTopicArn: arn:aws:sns:mars-north-1:123456789012:winami-builds\n", "spec.build.notifications.snsTopicArn", 14, "not a known AWS region"},
		{"topic with dynamic reference", topic, "      snsTopicArn: '{{resolve:ssm:/topic}}'\n", "spec.build.notifications.snsTopicArn", 14, "dynamic reference"},
		// build.imageScanning
		{"scanning not a boolean", "      enabled: true\n", "      enabled: sometimes\n", "spec.build.imageScanning.enabled", 16, "boolean"},
		{"scanning unknown field", "      enabled: true\n", "      enabled: true\n      ecrConfiguration: {}\n", "spec.build.imageScanning.ecrConfiguration", 17, "accepted here: enabled"},
		// distribution.targetAccountIds
		{"target account of 11 digits", targets, `    targetAccountIds: ["21098765432"]` + "\n", "spec.distribution.targetAccountIds[0]", 19, "12 digits"},
		{"target account twice", targets, `    targetAccountIds: ["210987654321", "210987654321"]` + "\n", "spec.distribution.targetAccountIds[1]", 19, "listed twice"},
		{"too many target accounts", targets, "    targetAccountIds: [" + strings.Join(many, ", ") + "]\n", "spec.distribution.targetAccountIds", 19, "at most 1536"},
		{"target accounts not a list", targets, "    targetAccountIds: \"210987654321\"\n", "spec.distribution.targetAccountIds", 19, "want a list"},
		{"fast launch with target accounts", targets, targets + "    fastLaunch: {enabled: true}\n", "spec.distribution.fastLaunch.enabled", 20, "--profile"},
		// distribution.kmsKeyIds
		{"key for a region not distributed to", west, west + "      eu-west-1: arn:aws:kms:eu-west-1:123456789012:alias/winami-ami\n", "spec.distribution.kmsKeyIds.eu-west-1", 23, "not a distribution region"},
		{"key of another region", west, "      us-west-2: arn:aws:kms:us-east-1:123456789012:alias/winami-ami\n", "spec.distribution.kmsKeyIds.us-west-2", 22, "KMS keys are Regional"},
		{"key not an ARN", west, "      us-west-2: winami-ami\n", "spec.distribution.kmsKeyIds.us-west-2", 22, "not a KMS key ARN"},
		{"empty key", west, "      us-west-2: \"\"\n", "spec.distribution.kmsKeyIds.us-west-2", 22, "empty"},
		{"AWS managed key for copies", west, "      us-west-2: arn:aws:kms:us-west-2:123456789012:alias/aws/ebs\n", "spec.distribution.kmsKeyIds.us-west-2", 22, "AWS managed key"},
		{"no key for a copy region", west, "", "spec.distribution.kmsKeyIds", 20, "no key for us-west-2"},
		{"kmsKeyIds not a mapping", "    kmsKeyIds:\n      us-east-1: arn:aws:kms:us-east-1:123456789012:alias/winami-ami\n" + west, "    kmsKeyIds: [x]\n", "spec.distribution.kmsKeyIds", 20, "want a mapping"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, errs := load(t, edit(t, c.old, c.new))
			var got *FieldError
			for i := range errs {
				if errs[i].Path == c.path {
					got = &errs[i]
				}
			}
			if got == nil {
				t.Fatalf("no problem at %s; got %v", c.path, errs)
			}
			if got.Line != c.line || !strings.Contains(got.Message, c.want) {
				t.Errorf("got %s, want line %d and %q", got.Error(), c.line, c.want)
			}
		})
	}
}

// TestAWSManagedKeyWithLaunchPermissions: sharing an AMI encrypted with aws/ebs is
// refused as copying it is.
func TestAWSManagedKeyWithLaunchPermissions(t *testing.T) {
	src := strings.NewReplacer(
		"    encryption:\n      kmsKeyId: arn:aws:kms:us-east-1:123456789012:alias/winami-ami\n", "    encryption: {}\n",
		`    targetAccountIds: ["210987654321"]`+"\n", "    launchPermissions: {accounts: [\"222233334444\"]}\n").Replace(enterprise)
	_, errs := load(t, src)
	if len(errs) != 1 || errs[0].Path != "spec.build.encryption" || errs[0].Line != 8 || !strings.Contains(errs[0].Message, "launchPermissions shares it") {
		t.Errorf("got %v", errs)
	}
}

// TestEnterpriseRulesAccept: what the cross-field rules allow.
func TestEnterpriseRulesAccept(t *testing.T) {
	for name, src := range map[string]string{
		// aws/ebs is fine for an AMI that stays in the account.
		"aws/ebs unshared": strings.NewReplacer(
			"    encryption:\n      kmsKeyId: arn:aws:kms:us-east-1:123456789012:alias/winami-ami\n", "    encryption: {}\n",
			`    targetAccountIds: ["210987654321"]`+"\n", "").Replace(enterprise),
		// An unencrypted build copied to another account needs no copy keys.
		"unencrypted copies": strings.NewReplacer(
			"    encryption:\n      kmsKeyId: arn:aws:kms:us-east-1:123456789012:alias/winami-ami\n", "",
			"    kmsKeyIds:\n      us-east-1: arn:aws:kms:us-east-1:123456789012:alias/winami-ami\n      us-west-2: arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\n", "").Replace(enterprise),
		// A multi-Region key's id.
		"mrk": strings.Replace(enterprise, "key/1234abcd-12ab-34cd-56ef-1234567890ab", "key/mrk-1234abcd12ab34cd56ef1234567890ab", 1),
		// Fast Launch without target accounts.
		"fast launch in the own account": strings.Replace(enterprise, `    targetAccountIds: ["210987654321"]`+"\n", "    fastLaunch: {enabled: true}\n", 1),
	} {
		if _, errs := load(t, src); errs != nil {
			t.Errorf("%s: %v", name, errs)
		}
	}
}

// TestEnterpriseExampleIsTheSpecTested keeps the test spec honest: the example holds
// every field the test spec sets.
func TestEnterpriseExampleIsTheSpecTested(t *testing.T) {
	b, err := os.ReadFile("../examples/enterprise-win2022.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"encryption:", "kmsKeyId:", "logging:", "s3BucketName:", "s3KeyPrefix:", "notifications:", "snsTopicArn:", "imageScanning:", "targetAccountIds:", "kmsKeyIds:", "publishParameter:", "instanceMetadata:", "resourceTags:", "amiTags:"} {
		if !strings.Contains(string(b), f) {
			t.Errorf("examples/enterprise-win2022.yaml lacks %s", f)
		}
	}
}
