package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const enterpriseExample = "../../examples/enterprise-win2022.yaml"

// TestEnterpriseBadInput: a bad value of every field issue 16 added makes render and
// plan exit 2 naming the field and its line, and render writes nothing.
func TestEnterpriseBadInput(t *testing.T) {
	t.Parallel()
	useEmulator(t)
	b, err := os.ReadFile(enterpriseExample)
	if err != nil {
		t.Fatal(err)
	}
	example := string(b)
	for _, c := range []struct {
		old, new string
		want     []string
	}{
		{"      encrypted: true\n", "      encrypted: yes please\n", []string{"spec.build.encryption.encrypted", "boolean"}},
		{"      kmsKeyId: arn:aws:kms:us-east-1:123456789012:alias/winami-ami\n", "      kmsKeyId: alias/winami-ami\n", []string{"spec.build.encryption.kmsKeyId", "alias ARN"}},
		{"      kmsKeyId: arn:aws:kms:us-east-1:123456789012:alias/winami-ami\n", "      kmsKeyId: arn:aws:kms:us-east-1:123456789012:alias/aws/ebs\n", []string{"spec.build.encryption.kmsKeyId", "aws/ebs", "customer managed key"}},
		{"      s3BucketName: winami-build-logs-123456789012\n", "      s3BucketName: Winami_Logs\n", []string{"spec.build.logging.s3BucketName", "S3 bucket name"}},
		{"      s3KeyPrefix: enterprise-win2022\n", "      s3KeyPrefix: logs/*\n", []string{"spec.build.logging.s3KeyPrefix", "wildcards"}},
		{"      snsTopicArn: arn:aws:sns:us-east-1:123456789012:winami-builds\n", "      snsTopicArn: winami-builds\n", []string{"spec.build.notifications.snsTopicArn", "SNS topic ARN"}},
		{"      enabled: true\n  distribution:", "      enabled: on-fridays\n  distribution:", []string{"spec.build.imageScanning.enabled", "boolean"}},
		{`    targetAccountIds: ["210987654321"]` + "\n", `    targetAccountIds: ["21098765432"]` + "\n", []string{"spec.distribution.targetAccountIds[0]", "12 digits"}},
		{`    targetAccountIds: ["210987654321"]` + "\n", "    fastLaunch: {enabled: true}\n" + `    targetAccountIds: ["210987654321"]` + "\n", []string{"spec.distribution.fastLaunch.enabled", "across accounts"}},
		{"      us-west-2: arn:aws:kms:us-west-2:123456789012:alias/winami-ami\n", "      us-west-2: arn:aws:kms:us-east-1:123456789012:alias/winami-ami\n", []string{"spec.distribution.kmsKeyIds.us-west-2", "Regional"}},
		{"      us-west-2: arn:aws:kms:us-west-2:123456789012:alias/winami-ami\n", "", []string{"spec.distribution.kmsKeyIds", "no key for us-west-2"}},
	} {
		i := strings.Index(example, c.old)
		if i < 0 {
			t.Fatalf("test case does not apply: %q", c.old)
		}
		line := strings.Count(example[:i], "\n") + 1
		dir := t.TempDir()
		f := filepath.Join(dir, "winami.yaml")
		if err := os.WriteFile(f, []byte(example[:i]+c.new+example[i+len(c.old):]), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "out")
		for _, cmd := range [][]string{{"render", "-f", f, "-d", out}, {"plan", "-f", f, "--no-registry"}} {
			_, stderr, code := run(t, cmd...)
			if code != ExitUsage {
				t.Errorf("%s with %q: exit %d, want 2\n%s", cmd[0], c.new, code, stderr)
			}
			lineWant := "winami.yaml:" + strconv.Itoa(line) + ": "
			if c.new == "" { // the problem is on the kmsKeyIds line
				lineWant = "winami.yaml:"
			}
			for _, w := range append(c.want, lineWant) {
				if !strings.Contains(stderr, w) {
					t.Errorf("%s with %q: stderr lacks %q\n%s", cmd[0], c.new, w, stderr)
				}
			}
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("render with %q wrote %s (%v)", c.new, out, err)
		}
	}
}

// TestRenderCreateSNSTopic: --create-sns-topic puts the topic into cloudformation.yaml;
// with a spec that names a topic, or without -d, it is bad input and nothing is written.
func TestRenderCreateSNSTopic(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(enterpriseExample)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	named := filepath.Join(dir, "named.yaml")
	if err := os.WriteFile(named, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	_, stderr, code := run(t, "render", "-f", named, "-d", out, "--create-sns-topic")
	if code != ExitUsage || !strings.Contains(stderr, "--create-sns-topic") || !strings.Contains(stderr, "spec.build.notifications.snsTopicArn") {
		t.Errorf("a spec naming a topic: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused render wrote %s", out)
	}
	if _, stderr, code := run(t, "render", "-f", named, "-o", "yaml", "--create-sns-topic"); code != ExitUsage || !strings.Contains(stderr, "-d/--dir") {
		t.Errorf("without -d: exit %d\n%s", code, stderr)
	}

	i := strings.Index(string(b), "    notifications:\n")
	j := strings.Index(string(b), "    imageScanning:")
	unnamed := filepath.Join(dir, "unnamed.yaml")
	if err := os.WriteFile(unnamed, []byte(string(b[:i])+string(b[j:])), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, "render", "-f", unnamed, "-d", out, "--create-sns-topic"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	cfn, err := os.ReadFile(filepath.Join(out, "cloudformation.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Type: AWS::SNS::Topic", "SnsTopicArn:\n        Ref: NotificationTopic", "NotificationTopicArn:"} {
		if !strings.Contains(string(cfn), w) {
			t.Errorf("cloudformation.yaml lacks %q", w)
		}
	}
	infra, _ := os.ReadFile(filepath.Join(out, "create-infrastructure-configuration.json"))
	if strings.Contains(string(infra), "snsTopicArn") {
		t.Errorf("the JSON request names a topic it cannot create:\n%s", infra)
	}
}
