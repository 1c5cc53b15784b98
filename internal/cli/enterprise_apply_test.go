package cli

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/spec"
)

// TestEnterpriseExampleApplies: examples/enterprise-win2022.yaml plans and applies in the
// sandbox, the resources hold its encryption, copies, logs, topic and scanning, and a
// second plan has nothing to do. The example is scanned, so its distribution writes no
// parameter and its pipeline has no execution role: preflight passes without one, and
// apply --create-roles creates none.
func TestEnterpriseExampleApplies(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t, emulator.WithPeerAccounts(emulator.SandboxPeerAccount))
	// The keys, the log bucket and the target account's role the example's comments ask
	// for: apply's preflight checks them (kms-key, log-bucket).
	enterpriseWorld(t, srv)
	out, stderr, code := run(t, "plan", "-f", enterpriseExample, "--no-registry", "-o", "json")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	for r, c := range planActions(t, out) {
		if c.Action != imagebuilder.ActionCreate {
			t.Errorf("plan on an empty account: %s %+v", r, c)
		}
	}
	if _, stderr, code := run(t, "apply", "-f", enterpriseExample, "--no-registry", "--yes", "--create-roles"); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}
	out, stderr, code = run(t, "plan", "-f", enterpriseExample, "--no-registry", "-o", "json", "--create-roles")
	if code != 0 {
		t.Fatalf("plan after apply: exit %d\n%s", code, stderr)
	}
	actions := planActions(t, out)
	for r, c := range actions {
		if c.Action != imagebuilder.ActionUnchanged {
			t.Errorf("plan after apply: %s %+v", r, c)
		}
	}
	if c, ok := actions[imagebuilder.ResourceExecutionRole]; ok {
		t.Errorf("plan --create-roles has an execution role: %+v", c)
	}

	ctx := context.Background()
	if _, err := iam.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(spec.DefaultExecutionRole("enterprise-win2022"))}); awsapi.ErrorCode(err) != "NoSuchEntity" {
		t.Errorf("apply --create-roles made the execution role: %v", err)
	}
	api := ib.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	pipes, err := api.ListImagePipelines(ctx, &ib.ListImagePipelinesInput{})
	if err != nil || len(pipes.ImagePipelineList) != 1 {
		t.Fatalf("pipelines: %v %v", pipes, err)
	}
	p := pipes.ImagePipelineList[0]
	if p.ExecutionRole != nil {
		t.Errorf("the pipeline names an execution role: %s", aws.ToString(p.ExecutionRole))
	}
	if sc := p.ImageScanningConfiguration; sc == nil || !aws.ToBool(sc.ImageScanningEnabled) {
		t.Errorf("the pipeline does not scan: %+v", sc)
	}
	rec, err := api.GetImageRecipe(ctx, &ib.GetImageRecipeInput{ImageRecipeArn: p.ImageRecipeArn})
	if err != nil {
		t.Fatal(err)
	}
	if e := rec.ImageRecipe.BlockDeviceMappings[0].Ebs; !aws.ToBool(e.Encrypted) || aws.ToString(e.KmsKeyId) != "arn:aws:kms:us-east-1:123456789012:alias/winami-ami" {
		t.Errorf("recipe root volume: %+v", e)
	}
	inf, err := api.GetInfrastructureConfiguration(ctx, &ib.GetInfrastructureConfigurationInput{InfrastructureConfigurationArn: p.InfrastructureConfigurationArn})
	if err != nil {
		t.Fatal(err)
	}
	if ic := inf.InfrastructureConfiguration; aws.ToString(ic.SnsTopicArn) != "arn:aws:sns:us-east-1:123456789012:winami-builds" ||
		ic.Logging == nil || aws.ToString(ic.Logging.S3Logs.S3BucketName) != "winami-build-logs-123456789012" {
		t.Errorf("infrastructure: topic %v logging %+v", aws.ToString(ic.SnsTopicArn), ic.Logging)
	}
	dist, err := api.GetDistributionConfiguration(ctx, &ib.GetDistributionConfigurationInput{DistributionConfigurationArn: p.DistributionConfigurationArn})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dist.DistributionConfiguration.Distributions {
		a := d.AmiDistributionConfiguration
		if aws.ToString(a.KmsKeyId) != "arn:aws:kms:"+aws.ToString(d.Region)+":123456789012:alias/winami-ami" || len(a.TargetAccountIds) != 1 || a.TargetAccountIds[0] != "210987654321" || len(d.SsmParameterConfigurations) != 0 {
			t.Errorf("%s: key %v, targets %v, parameters %+v", aws.ToString(d.Region), aws.ToString(a.KmsKeyId), a.TargetAccountIds, d.SsmParameterConfigurations)
		}
	}
}
