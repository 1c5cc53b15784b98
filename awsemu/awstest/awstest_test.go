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
	if c, _ := awstest.CLIError(t, endpoint, "us-east-1", "ssm", "get-parameter", "--name", "/no/such/parameter"); c != "ParameterNotFound" {
		t.Fatalf("CLIError code %q, want ParameterNotFound", c)
	}
	awstest.CLIJSON(t, endpoint, "us-east-1", nil, "ssm", "put-parameter", "--name", "/p", "--value", "v", "--type", "String")
	var out struct{ Parameter struct{ Value string } }
	awstest.CLIJSON(t, endpoint, "us-east-1", &out, "ssm", "get-parameter", "--name", "/p")
	if out.Parameter.Value != "v" {
		t.Fatalf("CLIJSON decoded %+v", out)
	}
	text, _, _ := awstest.AWSCLI(t, endpoint, "us-east-1", "ssm", "get-parameter", "--name", "/p", "--query", "Parameter.Value", "--output", "text")
	if string(text) != "v\n" {
		t.Fatalf("--output text in args: %q, want \"v\\n\"", text)
	}
}
