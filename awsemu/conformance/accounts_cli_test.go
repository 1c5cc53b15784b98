//go:build conformance

package conformance_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
)

// TestSecondAccountWithAWSCLI replays the enterprise walkthrough's AWS CLI commands in the
// sandbox's second account (reached with its access key): create-key, create-alias,
// put-key-policy, s3 mb/ls/cp, s3api list-objects-v2, iam create-role, then sts assume-role
// from the build account and get-caller-identity with the session's credentials.
func TestSecondAccountWithAWSCLI(t *testing.T) {
	t.Parallel()
	srv := emulatortest.Start(t, emulator.WithPeerAccounts(emulator.SandboxPeerAccount))
	ep, region, peer := srv.URL(), "us-west-2", emulator.SandboxPeerAccount
	asPeer := []string{"AWS_ACCESS_KEY_ID=" + awsemu.AccessKeyFor(peer), "AWS_SECRET_ACCESS_KEY=sandbox"}
	run := func(env []string, out any, args ...string) []byte {
		t.Helper()
		stdout, stderr, code := awstest.AWSCLIEnv(t, env, ep, region, args...)
		if code != 0 {
			t.Fatalf("aws %s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
		if out != nil {
			decode(t, stdout, out)
		}
		return stdout
	}

	var id struct{ Account, Arn string }
	run(asPeer, &id, "sts", "get-caller-identity")
	if id.Account != peer {
		t.Fatalf("the second account's key reaches %+v", id)
	}
	var key struct {
		KeyMetadata struct{ KeyId, Arn, KeyState string }
	}
	run(asPeer, &key, "kms", "create-key", "--description", "winami AMI copies")
	if !strings.HasPrefix(key.KeyMetadata.Arn, "arn:aws:kms:us-west-2:"+peer+":key/") || key.KeyMetadata.KeyState != "Enabled" {
		t.Errorf("create-key = %+v", key.KeyMetadata)
	}
	run(asPeer, nil, "kms", "create-alias", "--alias-name", "alias/winami-ami", "--target-key-id", key.KeyMetadata.KeyId)
	policy := filepath.Join(t.TempDir(), "policy.json")
	doc := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + peer + `:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"Build account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + awsemu.DefaultAccount + `:root"},"Action":["kms:DescribeKey","kms:CreateGrant","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*"],"Resource":"*"}]}`
	if err := os.WriteFile(policy, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	run(asPeer, nil, "kms", "put-key-policy", "--key-id", key.KeyMetadata.KeyId, "--policy-name", "default", "--policy", "file://"+policy)
	var desc struct{ KeyMetadata struct{ Arn string } }
	run(nil, &desc, "kms", "describe-key", "--key-id", "arn:aws:kms:us-west-2:"+peer+":alias/winami-ami")
	if desc.KeyMetadata.Arn != key.KeyMetadata.Arn {
		t.Errorf("the build account describes the second account's alias ARN as %+v", desc.KeyMetadata)
	}

	run(asPeer, nil, "s3", "mb", "s3://winami-logs-"+peer)
	file := filepath.Join(t.TempDir(), "hello.txt")
	if err := os.WriteFile(file, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(asPeer, nil, "s3", "cp", file, "s3://winami-logs-"+peer+"/logs/hello.txt")
	if ls := string(run(asPeer, nil, "s3", "ls")); !strings.Contains(ls, "winami-logs-"+peer) {
		t.Errorf("s3 ls = %q", ls)
	}
	if ls := string(run(asPeer, nil, "s3", "ls", "s3://winami-logs-"+peer+"/logs/")); !strings.Contains(ls, "hello.txt") {
		t.Errorf("s3 ls of the prefix = %q", ls)
	}
	var objs struct {
		Contents []struct {
			Key  string
			Size int
		}
	}
	run(asPeer, &objs, "s3api", "list-objects-v2", "--bucket", "winami-logs-"+peer, "--prefix", "logs/")
	if len(objs.Contents) != 1 || objs.Contents[0].Key != "logs/hello.txt" || objs.Contents[0].Size != 5 {
		t.Errorf("list-objects-v2 = %+v", objs)
	}

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + awsemu.DefaultAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	var role struct{ Role struct{ Arn string } }
	run(asPeer, &role, "iam", "create-role", "--role-name", "EC2ImageBuilderDistributionCrossAccountRole", "--assume-role-policy-document", trust)
	run(asPeer, nil, "iam", "attach-role-policy", "--role-name", "EC2ImageBuilderDistributionCrossAccountRole",
		"--policy-arn", "arn:aws:iam::aws:policy/Ec2ImageBuilderCrossAccountDistributionAccess")
	var creds struct {
		Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		AssumedRoleUser struct{ Arn string }
	}
	run(nil, &creds, "sts", "assume-role", "--role-arn", role.Role.Arn, "--role-session-name", "winami-publish")
	session := "arn:aws:sts::" + peer + ":assumed-role/EC2ImageBuilderDistributionCrossAccountRole/winami-publish"
	if creds.AssumedRoleUser.Arn != session {
		t.Errorf("assume-role = %+v", creds.AssumedRoleUser)
	}
	asSession := []string{"AWS_ACCESS_KEY_ID=" + creds.Credentials.AccessKeyId, "AWS_SECRET_ACCESS_KEY=" + creds.Credentials.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + creds.Credentials.SessionToken}
	run(asSession, &id, "sts", "get-caller-identity")
	if id.Account != peer || id.Arn != session {
		t.Errorf("the session's get-caller-identity = %+v", id)
	}
	code, msg := cliError(t, asPeer, ep, region, "sts", "assume-role", "--role-arn", "arn:aws:iam::"+awsemu.DefaultAccount+":role/EC2InstanceProfileForImageBuilder", "--role-session-name", "x1")
	if code != "AccessDenied" || msg != "User: arn:aws:iam::"+peer+":user/awsemu is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::"+awsemu.DefaultAccount+":role/EC2InstanceProfileForImageBuilder" {
		t.Errorf("assume-role of a role that does not trust the caller: %s %s", code, msg)
	}
}

// decode reads the AWS CLI's JSON output into out.
func decode(t *testing.T, stdout []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("decoding %q: %v", stdout, err)
	}
}

var cliErrRE = regexp.MustCompile(`An error occurred \(([^)]+)\)(?: when calling the \w+ operation)?(?: \(reached max retries: \d+\))?: ?(.*)`)

// cliError runs the AWS CLI with env, expects a service error and returns its code and message.
func cliError(t *testing.T, env []string, ep, region string, args ...string) (code, message string) {
	t.Helper()
	_, stderr, exit := awstest.AWSCLIEnv(t, env, ep, region, args...)
	m := cliErrRE.FindSubmatch(stderr)
	if exit == 0 || m == nil {
		t.Fatalf("aws %s: exit %d, want a service error: %s", strings.Join(args, " "), exit, stderr)
	}
	return string(m[1]), strings.TrimSpace(string(m[2]))
}
