package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/winami/winami/preflight"
)

// enterpriseSpec encrypts with KMS alias ARNs, copies into a target account, writes
// build logs to S3 and scans (issue 16's enterprise shape).
const enterpriseSpec = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: ent-win2022
  region: us-east-1
spec:
  kubernetesVersion: "1.33"
  windows: {version: "2022", edition: Core}
  build:
    instanceProfile: EC2InstanceProfileForImageBuilder
    encryption: {kmsKeyId: arn:aws:kms:us-east-1:123456789012:alias/winami-ami}
    logging: {s3BucketName: winami-build-logs-123456789012, s3KeyPrefix: builds}
    imageScanning: {enabled: true}
  distribution:
    regions: [us-east-1, us-west-2]
    publishParameter: /winami/ent-win2022/image_id
    targetAccountIds: ["210987654321"]
    kmsKeyIds:
      us-east-1: arn:aws:kms:us-east-1:123456789012:alias/winami-ami
      us-west-2: arn:aws:kms:us-west-2:123456789012:alias/winami-ami
`

func TestIAMPolicyTargetAccount(t *testing.T) {
	t.Parallel()
	f := writePruneSpec(t, enterpriseSpec)
	out, stderr, code := run(t, "iam-policy", "--for", "target-account", "-f", f, "--build-account", "123456789012")
	var role preflight.TargetAccountRole
	if code != 0 || json.Unmarshal([]byte(out), &role) != nil {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if role.RoleName != "EC2ImageBuilderDistributionCrossAccountRole" || role.TrustPolicy.Statement[0].Principal["AWS"] != "arn:aws:iam::123456789012:root" ||
		len(role.ManagedPolicyARNs) != 1 || role.ManagedPolicyARNs[0] != "arn:aws:iam::aws:policy/Ec2ImageBuilderCrossAccountDistributionAccess" ||
		role.InlinePolicy == nil || role.InlinePolicyName != "winami-ent-win2022" {
		t.Errorf("role %+v", role)
	}
	if !strings.Contains(out, `"arn:aws:ssm:us-west-2:*:parameter/winami/ent-win2022/image_id"`) || !strings.Contains(out, `"arn:aws:kms:us-west-2:123456789012:key/*"`) {
		t.Errorf("the inline policy misses the parameter or a copy key:\n%s", out)
	}

	// Each document alone, as aws iam create-role / put-role-policy take it.
	out, _, code = run(t, "iam-policy", "--for", "target-account", "-f", f, "--build-account", "123456789012", "--document", "trust")
	var trust preflight.TrustDocument
	if code != 0 || json.Unmarshal([]byte(out), &trust) != nil || trust.Version != "2012-10-17" || trust.Statement[0].Action != "sts:AssumeRole" || strings.Contains(out, "roleName") {
		t.Errorf("--document trust: exit %d\n%s", code, out)
	}
	out, _, code = run(t, "iam-policy", "--for", "target-account", "-f", f, "--build-account", "123456789012", "--document", "inline")
	var inline preflight.Document
	if code != 0 || json.Unmarshal([]byte(out), &inline) != nil || len(inline.Statement) != 3 || strings.Contains(out, "roleName") {
		t.Errorf("--document inline: exit %d\n%s", code, out)
	}

	// The instance role writes the build logs under the prefix.
	out, _, code = run(t, "iam-policy", "--for", "instance", "-f", f)
	if code != 0 || !strings.Contains(out, `"arn:aws:s3:::winami-build-logs-123456789012/builds/*"`) || !strings.Contains(out, `"s3:PutObject"`) {
		t.Errorf("--for instance: exit %d\n%s", code, out)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--for", "target-account", "-f", f}, "flag --build-account"},
		{[]string{"--for", "target-account", "-f", f, "--build-account", "12345"}, `flag --build-account "12345"`},
		{[]string{"--for", "target-account", "-f", f, "--build-account", "123456789012", "--document", "trustpolicy"}, "use trust or inline"},
		{[]string{"--for", "operator", "--document", "trust"}, "only with --for target-account"},
		{[]string{"--for", "target"}, "use operator, instance or target-account"},
	} {
		out, stderr, code := run(t, append([]string{"iam-policy"}, c.args...)...)
		if code != ExitUsage || out != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 naming %q", c.args, code, out, stderr, c.want)
		}
	}
	// A spec that publishes nothing and names no key needs no inline policy there.
	plain := writePruneSpec(t, strings.NewReplacer("    publishParameter: /winami/ent-win2022/image_id\n", "",
		"    kmsKeyIds:\n      us-east-1: arn:aws:kms:us-east-1:123456789012:alias/winami-ami\n      us-west-2: arn:aws:kms:us-west-2:123456789012:alias/winami-ami\n", "",
		"    encryption: {kmsKeyId: arn:aws:kms:us-east-1:123456789012:alias/winami-ami}\n", "").Replace(enterpriseSpec))
	out, stderr, code = run(t, "iam-policy", "--for", "target-account", "-f", plain, "--build-account", "123456789012", "--document", "inline")
	if code != ExitUsage || !strings.Contains(stderr, "needs no inline policy") {
		t.Errorf("--document inline without parameter and keys: exit %d\n%s\n%s", code, out, stderr)
	}
	out, _, code = run(t, "iam-policy", "--for", "target-account", "-f", plain, "--build-account", "123456789012")
	if code != 0 || strings.Contains(out, "inlinePolicy") {
		t.Errorf("without parameter and keys: exit %d\n%s", code, out)
	}
}
