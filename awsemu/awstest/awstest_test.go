package awstest_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/winami/winami/awsemu/awstest"
)

// TestMotoWithCLIAndSDK starts moto_server and reaches it with both the AWS CLI and the SDK.
func TestMotoWithCLIAndSDK(t *testing.T) {
	endpoint := awstest.StartMoto(t)

	stdout, stderr, code := awstest.AWSCLI(t, endpoint, "eu-west-1", "sts", "get-caller-identity")
	if code != 0 {
		t.Fatalf("aws sts get-caller-identity: exit %d: %s", code, stderr)
	}
	var id struct{ Account, Arn string }
	if err := json.Unmarshal(stdout, &id); err != nil {
		t.Fatalf("decoding CLI output %q: %v", stdout, err)
	}
	if id.Account == "" || id.Arn == "" {
		t.Fatalf("CLI identity = %+v, want account and ARN", id)
	}

	out, err := sts.NewFromConfig(awstest.SDKConfig(endpoint, "eu-west-1")).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("SDK GetCallerIdentity: %v", err)
	}
	if *out.Account != id.Account {
		t.Errorf("SDK account %s, CLI account %s", *out.Account, id.Account)
	}
}

// TestAWSCLIExitCode checks that a failing CLI call reports its non-zero exit code and stderr.
func TestAWSCLIExitCode(t *testing.T) {
	endpoint := awstest.StartMoto(t)
	_, stderr, code := awstest.AWSCLI(t, endpoint, "us-east-1", "ssm", "get-parameter", "--name", "/no/such/parameter")
	if code == 0 {
		t.Fatal("get-parameter of a missing parameter exited 0")
	}
	if len(stderr) == 0 {
		t.Fatal("no stderr from a failing CLI call")
	}
}
