//go:build conformance

package conformance_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/services/imagebuilder"
)

// The rules of issue 12, one scenario each, driven with the AWS CLI: what Image Builder's
// service-linked role may do at distribution (SSM parameter names, the Fast Launch
// launch template's tag), the execution role, the build instance's launch, and the
// caller's rights for EnableFastLaunch. Each asserts the refusal as AWS would answer it.

// createExecutionRole creates, with aws iam, a role Image Builder can assume with
// EC2ImageBuilderExecutionPolicy and an inline policy writing param in regions; it answers
// the role's ARN.
func createExecutionRole(t *testing.T, ep, name, param string, regions ...string) string {
	t.Helper()
	var role struct{ Role struct{ Arn string } }
	awstest.CLIJSON(t, ep, "us-east-1", &role, "iam", "create-role", "--role-name", name, "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"imagebuilder.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	awstest.CLIJSON(t, ep, "us-east-1", nil, "iam", "attach-role-policy", "--role-name", name,
		"--policy-arn", "arn:aws:iam::aws:policy/EC2ImageBuilderExecutionPolicy")
	if param != "" {
		var arns []string
		for _, r := range regions {
			arns = append(arns, "arn:aws:ssm:"+r+":"+awsemu.DefaultAccount+":parameter/"+strings.TrimPrefix(param, "/"))
		}
		doc := js(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{
			{"Effect": "Allow", "Action": []string{"ssm:PutParameter"}, "Resource": arns},
			{"Effect": "Allow", "Action": "ec2:DescribeImages", "Resource": "*"},
		}})
		awstest.CLIJSON(t, ep, "us-east-1", nil, "iam", "put-role-policy", "--role-name", name,
			"--policy-name", "winami-publish-parameter", "--policy-document", doc)
	}
	return role.Role.Arn
}

// ibWorld is a recipe and an instance profile to build pipelines from with the AWS CLI.
type ibWorld struct {
	t      *testing.T
	ep     string
	clock  *awsemu.ManualClock
	recipe string
	n      int
	sdk    *ib.Client
}

func newIBWorld(t *testing.T) *ibWorld {
	t.Helper()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	w := &ibWorld{t: t, ep: srv.URL(), clock: clock, sdk: ib.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))}
	var imgs struct{ Images []struct{ ImageId string } }
	awstest.CLIJSON(t, w.ep, "us-east-1", &imgs, "ec2", "describe-images", "--owners", "amazon",
		"--filters", "Name=name,Values=Windows_Server-2022-English-Core-EKS_Optimized-*")
	if len(imgs.Images) == 0 {
		t.Fatal("no seeded Windows image")
	}
	var comp struct {
		Arn string `json:"componentBuildVersionArn"`
	}
	w.cli(&comp, "create-component", "--name", "image-cache", "--semantic-version", "1.0.0", "--platform", "Windows", "--data", cacheDocument)
	var rec struct {
		Arn string `json:"imageRecipeArn"`
	}
	w.cli(&rec, "create-image-recipe", "--name", "rules", "--semantic-version", "1.0.0", "--parent-image", imgs.Images[0].ImageId,
		"--components", js([]map[string]string{{"componentArn": comp.Arn}}))
	w.recipe = rec.Arn
	return w
}

func (w *ibWorld) cli(out any, args ...string) {
	w.t.Helper()
	awstest.CLIJSON(w.t, w.ep, "us-east-1", out, append([]string{"imagebuilder"}, args...)...)
}

// pipeline creates an infrastructure configuration (extra create-infrastructure-configuration
// arguments), a distribution configuration (when distributions is not nil) and a pipeline
// (extra create-image-pipeline arguments, such as --execution-role).
func (w *ibWorld) pipeline(infraArgs []string, distributions []map[string]any, pipeArgs ...string) string {
	w.t.Helper()
	w.n++
	name := fmt.Sprintf("rules-%d", w.n)
	var infra struct {
		Arn string `json:"infrastructureConfigurationArn"`
	}
	w.cli(&infra, append([]string{"create-infrastructure-configuration", "--name", name,
		"--instance-profile-name", "EC2InstanceProfileForImageBuilder"}, infraArgs...)...)
	args := []string{"create-image-pipeline", "--name", name, "--image-recipe-arn", w.recipe,
		"--infrastructure-configuration-arn", infra.Arn, "--image-tests-configuration", "imageTestsEnabled=false"}
	if distributions != nil {
		var dist struct {
			Arn string `json:"distributionConfigurationArn"`
		}
		w.cli(&dist, "create-distribution-configuration", "--name", name, "--distributions", js(distributions))
		args = append(args, "--distribution-configuration-arn", dist.Arn)
	}
	var pipe struct {
		Arn string `json:"imagePipelineArn"`
	}
	w.cli(&pipe, append(args, pipeArgs...)...)
	return pipe.Arn
}

// build runs the pipeline to its end with aws imagebuilder get-image and answers the final
// state, its reason and the last state before it.
func (w *ibWorld) build(pipeline string) (status, reason, before string) {
	w.t.Helper()
	var run struct {
		Arn string `json:"imageBuildVersionArn"`
	}
	w.cli(&run, "start-image-pipeline-execution", "--image-pipeline-arn", pipeline)
	// The states on the way are read with the SDK (each AWS CLI call costs a Python start);
	// the final answer with aws imagebuilder get-image.
	for _, sd := range imagebuilder.StateDurations {
		if sd.State == "TESTING" {
			continue
		}
		out, err := w.sdk.GetImage(context.Background(), &ib.GetImageInput{ImageBuildVersionArn: aws.String(run.Arn)})
		if err != nil {
			w.t.Fatal(err)
		}
		if st := string(out.Image.State.Status); st == "FAILED" || st == "AVAILABLE" {
			break
		}
		before = string(out.Image.State.Status)
		w.clock.Advance(sd.Duration)
	}
	var img struct {
		Image struct {
			State struct{ Status, Reason string }
		}
	}
	w.cli(&img, "get-image", "--image-build-version-arn", run.Arn)
	return img.Image.State.Status, img.Image.State.Reason, before
}

func distribution(region, param string, template map[string]string) map[string]any {
	d := map[string]any{"region": region, "amiDistributionConfiguration": map[string]any{"name": "rules-{{ imagebuilder:buildDate }}"}}
	if param != "" {
		d["ssmParameterConfigurations"] = []map[string]any{{"parameterName": param, "dataType": "aws:ec2:image"}}
	}
	if template != nil {
		d["fastLaunchConfigurations"] = []map[string]any{{"enabled": true, "maxParallelLaunches": 6,
			"snapshotConfiguration": map[string]any{"targetResourceCount": 5}, "launchTemplate": template}}
	}
	return d
}

// TestRuleSSMParameterNeedsExecutionRoleWithAWSCLI: Image Builder's service-linked role may
// write SSM parameters only under /imagebuilder/ (AWSServiceRoleForImageBuilder v25); any
// other name fails the build at distribution, and nothing is written.
func TestRuleSSMParameterNeedsExecutionRoleWithAWSCLI(t *testing.T) {
	t.Parallel()
	w := newIBWorld(t)
	status, reason, before := w.build(w.pipeline([]string{"--instance-types", "m6i.2xlarge"},
		[]map[string]any{distribution("us-east-1", "/winami/prod/image_id", nil)}))
	slr := awsemu.ImageBuilderServiceRoleARN(awsemu.DefaultAccount)
	if status != "FAILED" || before != "DISTRIBUTING" || !strings.Contains(reason, "User: "+slr+" is not authorized to perform: ssm:PutParameter on resource: arn:aws:ssm:us-east-1:"+awsemu.DefaultAccount+":parameter/winami/prod/image_id") {
		t.Fatalf("service-linked role writing /winami/prod/image_id: %s after %s (%s)", status, before, reason)
	}
	_, stderr, code := awstest.AWSCLI(t, w.ep, "us-east-1", "ssm", "get-parameter", "--name", "/winami/prod/image_id")
	if code == 0 || !strings.Contains(string(stderr), "ParameterNotFound") {
		t.Fatalf("the refused parameter exists: %s", stderr)
	}
	status, reason, _ = w.build(w.pipeline([]string{"--instance-types", "m6i.2xlarge"},
		[]map[string]any{distribution("us-east-1", "/imagebuilder/prod/image_id", nil)}))
	if status != "AVAILABLE" {
		t.Fatalf("service-linked role writing /imagebuilder/prod/image_id: %s (%s)", status, reason)
	}
	createExecutionRole(t, w.ep, "prod-execution", "/winami/prod/image_id", "us-east-1")
	status, reason, _ = w.build(w.pipeline([]string{"--instance-types", "m6i.2xlarge"},
		[]map[string]any{distribution("us-east-1", "/winami/prod/image_id", nil)}, "--execution-role", "prod-execution"))
	if status != "AVAILABLE" {
		t.Fatalf("execution role writing /winami/prod/image_id: %s (%s)", status, reason)
	}
}

// TestRuleExecutionRoleWithAWSCLI: the execution role must exist and trust Image Builder;
// passing it needs iam:PassRole to imagebuilder.amazonaws.com.
func TestRuleExecutionRoleWithAWSCLI(t *testing.T) {
	t.Parallel()
	w := newIBWorld(t)
	status, reason, before := w.build(w.pipeline(nil, nil, "--execution-role", "no-such-role"))
	if status != "FAILED" || before != "CREATING" || !strings.Contains(reason, "no-such-role: the role does not exist") {
		t.Fatalf("missing execution role: %s after %s (%s)", status, before, reason)
	}
	awstest.CLIJSON(t, w.ep, "us-east-1", nil, "iam", "create-role", "--role-name", "ec2-only", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	status, reason, _ = w.build(w.pipeline(nil, nil, "--execution-role", "ec2-only"))
	if status != "FAILED" || !strings.Contains(reason, "does not allow imagebuilder.amazonaws.com") {
		t.Fatalf("execution role not trusting Image Builder: %s (%s)", status, reason)
	}
	// A caller that may pass roles only to EC2.
	awstest.CLIJSON(t, w.ep, "us-east-1", nil, "iam", "put-user-policy", "--user-name", awsemu.CallerUserName, "--policy-name", "narrow",
		"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["imagebuilder:*","iam:CreateRole"],"Resource":"*"},`+
			`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}]}`)
	awstest.CLIJSON(t, w.ep, "us-east-1", nil, "iam", "detach-user-policy", "--user-name", awsemu.CallerUserName,
		"--policy-arn", "arn:aws:iam::aws:policy/AdministratorAccess")
	code, msg := awstest.CLIError(t, w.ep, "us-east-1", "imagebuilder", "create-image-pipeline", "--name", "passrole",
		"--image-recipe-arn", w.recipe, "--infrastructure-configuration-arn",
		"arn:aws:imagebuilder:us-east-1:"+awsemu.DefaultAccount+":infrastructure-configuration/rules-1", "--execution-role", "ec2-only")
	if code != "AccessDeniedException" || !strings.Contains(msg, "iam:PassRole on resource: arn:aws:iam::"+awsemu.DefaultAccount+":role/ec2-only") {
		t.Fatalf("create-image-pipeline without iam:PassRole: %s %s", code, msg)
	}
}

// TestRuleFastLaunchTemplateTagWithAWSCLI: the service-linked role may enable Fast Launch
// only with launch templates tagged CreatedBy: EC2 Image Builder.
func TestRuleFastLaunchTemplateTagWithAWSCLI(t *testing.T) {
	t.Parallel()
	w := newIBWorld(t)
	var lt struct {
		LaunchTemplate struct{ LaunchTemplateId string }
	}
	awstest.CLIJSON(t, w.ep, "us-east-1", &lt, "ec2", "create-launch-template", "--launch-template-name", "fast-untagged",
		"--launch-template-data", `{"InstanceType":"t3.xlarge"}`)
	awstest.CLIJSON(t, w.ep, "us-east-1", nil, "ec2", "create-launch-template", "--launch-template-name", "fast-tagged",
		"--launch-template-data", `{"InstanceType":"t3.xlarge"}`,
		"--tag-specifications", "ResourceType=launch-template,Tags=[{Key=CreatedBy,Value=EC2 Image Builder}]")
	status, reason, before := w.build(w.pipeline(nil, []map[string]any{distribution("us-east-1", "",
		map[string]string{"launchTemplateName": "fast-untagged", "launchTemplateVersion": "1"})}))
	if status != "FAILED" || before != "DISTRIBUTING" || !strings.Contains(reason, "UnauthorizedOperation") ||
		!strings.Contains(reason, "ec2:EnableFastLaunch on resource: arn:aws:ec2:us-east-1:"+awsemu.DefaultAccount+":launch-template/"+lt.LaunchTemplate.LaunchTemplateId) {
		t.Fatalf("untagged launch template: %s after %s (%s)", status, before, reason)
	}
	status, reason, _ = w.build(w.pipeline(nil, []map[string]any{distribution("us-east-1", "",
		map[string]string{"launchTemplateName": "fast-tagged", "launchTemplateVersion": "1"})}))
	if status != "AVAILABLE" {
		t.Fatalf("tagged launch template: %s (%s)", status, reason)
	}
}

// TestRuleBuildLaunchWithAWSCLI: the build instance's launch checks the instance types
// against the offerings (DescribeInstanceTypeOfferings), and the subnet, groups and key
// pair against what exists.
func TestRuleBuildLaunchWithAWSCLI(t *testing.T) {
	t.Parallel()
	w := newIBWorld(t)
	var subnets struct{ Subnets []struct{ SubnetId string } }
	awstest.CLIJSON(t, w.ep, "us-east-1", &subnets, "ec2", "describe-subnets", "--filters", "Name=availability-zone,Values=us-east-1e")
	for _, tc := range []struct {
		name   string
		args   []string
		reason string
	}{
		{"misspelled type", []string{"--instance-types", "m6i.2xlargee"}, "Unsupported: none of the instance types [m6i.2xlargee]"},
		{"zone without the type", []string{"--instance-types", "m6i.2xlarge", "--subnet-id", subnets.Subnets[0].SubnetId}, "offered in Availability Zone us-east-1e"},
		{"subnet missing", []string{"--subnet-id", "subnet-0123456789abcdef0"}, "InvalidSubnetID.NotFound"},
		{"group missing", []string{"--security-group-ids", "sg-0123456789abcdef0"}, "InvalidGroup.NotFound"},
		{"key pair missing", []string{"--key-pair", "nope"}, "InvalidKeyPair.NotFound"},
		{"all good", []string{"--instance-types", "m6i.2xlargee", "m6i.2xlarge"}, ""},
	} {
		status, reason, before := w.build(w.pipeline(tc.args, nil))
		if tc.reason == "" {
			if status != "AVAILABLE" {
				t.Errorf("%s: %s (%s)", tc.name, status, reason)
			}
			continue
		}
		if status != "FAILED" || before != "CREATING" || !strings.Contains(reason, tc.reason) {
			t.Errorf("%s: %s after %s (%s), want FAILED entering BUILDING with %q", tc.name, status, before, reason, tc.reason)
		}
	}
}

// TestRuleEnableFastLaunchCallerWithAWSCLI: aws ec2 enable-fast-launch as a caller who may
// not launch from the AMI and the template is refused with UnauthorizedOperation (also with
// --dry-run); with EC2FastLaunchFullAccess it is allowed.
func TestRuleEnableFastLaunchCallerWithAWSCLI(t *testing.T) {
	t.Parallel()
	srv := emulatortest.Start(t)
	ep := srv.URL()
	img := srv.EC2.PutImage(awsemu.Image{Region: "us-east-1", Name: "built", OwnerID: awsemu.DefaultAccount, Platform: "windows",
		PlatformDetails: "Windows", State: "available", BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", VolumeSize: 50}}})
	awstest.CLIJSON(t, ep, "us-east-1", nil, "ec2", "create-launch-template", "--launch-template-name", "fast",
		"--launch-template-data", `{"InstanceType":"t3.xlarge"}`)
	enable := []string{"ec2", "enable-fast-launch", "--image-id", img.ID, "--max-parallel-launches", "6",
		"--launch-template", "LaunchTemplateName=fast,Version=1"}
	awstest.CLIJSON(t, ep, "us-east-1", nil, "iam", "put-user-policy", "--user-name", awsemu.CallerUserName, "--policy-name", "enable-only",
		"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:EnableFastLaunch","ec2:Describe*"],"Resource":"*"}]}`)
	awstest.CLIJSON(t, ep, "us-east-1", nil, "iam", "detach-user-policy", "--user-name", awsemu.CallerUserName,
		"--policy-arn", "arn:aws:iam::aws:policy/AdministratorAccess")
	for _, extra := range [][]string{{"--dry-run"}, nil} {
		code, msg := awstest.CLIError(t, ep, "us-east-1", append(enable, extra...)...)
		if code != "UnauthorizedOperation" || !strings.Contains(msg, "User: "+srv.CallerARN()+" is not authorized to perform: ec2:RunInstances") {
			t.Fatalf("enable-fast-launch %v without launch rights: %s %s", extra, code, msg)
		}
	}
	awstest.CLIJSON(t, ep, "us-east-1", nil, "iam", "attach-user-policy", "--user-name", awsemu.CallerUserName,
		"--policy-arn", "arn:aws:iam::aws:policy/EC2FastLaunchFullAccess")
	if code, _ := awstest.CLIError(t, ep, "us-east-1", append(enable, "--dry-run")...); code != "DryRunOperation" {
		t.Fatalf("enable-fast-launch --dry-run with EC2FastLaunchFullAccess: %s", code)
	}
	var out struct{ ImageId, State string }
	awstest.CLIJSON(t, ep, "us-east-1", &out, enable...)
	if out.State != "enabling" {
		t.Fatalf("enable-fast-launch with EC2FastLaunchFullAccess: %+v", out)
	}
}

// TestRuleServiceLinkedRoleWithAWSCLI: the service-linked role exists with its managed
// policy, and only AWS modifies it.
func TestRuleServiceLinkedRoleWithAWSCLI(t *testing.T) {
	t.Parallel()
	srv := emulatortest.Start(t)
	ep := srv.URL()
	var role struct{ Role struct{ Arn, Path string } }
	awstest.CLIJSON(t, ep, "us-east-1", &role, "iam", "get-role", "--role-name", "AWSServiceRoleForImageBuilder")
	if role.Role.Arn != awsemu.ImageBuilderServiceRoleARN(awsemu.DefaultAccount) || role.Role.Path != "/aws-service-role/imagebuilder.amazonaws.com/" {
		t.Fatalf("get-role: %+v", role)
	}
	var sim struct {
		EvaluationResults []struct{ EvalActionName, EvalResourceName, EvalDecision string }
	}
	awstest.CLIJSON(t, ep, "us-east-1", &sim, "iam", "simulate-principal-policy", "--policy-source-arn", role.Role.Arn,
		"--action-names", "ssm:PutParameter", "--resource-arns",
		"arn:aws:ssm:us-east-1:"+awsemu.DefaultAccount+":parameter/imagebuilder/x", "arn:aws:ssm:us-east-1:"+awsemu.DefaultAccount+":parameter/winami/x")
	if len(sim.EvaluationResults) != 2 || sim.EvaluationResults[0].EvalDecision != "allowed" || sim.EvaluationResults[1].EvalDecision != "implicitDeny" {
		t.Fatalf("simulate-principal-policy: %+v", sim)
	}
	if code, _ := awstest.CLIError(t, ep, "us-east-1", "iam", "attach-role-policy", "--role-name", "AWSServiceRoleForImageBuilder",
		"--policy-arn", "arn:aws:iam::aws:policy/AdministratorAccess"); code != "UnmodifiableEntity" {
		t.Fatalf("attach-role-policy to the service-linked role: %s", code)
	}
}
