package imagebuilder_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winami/winami/imagebuilder"
)

const (
	key1   = "arn:aws:kms:us-east-1:123456789012:alias/winami-ami"
	key2   = "arn:aws:kms:us-west-2:123456789012:alias/winami-ami"
	target = "210987654321"
	topic  = "arn:aws:sns:us-east-1:123456789012:winami-builds"
	bucket = "winami-build-logs-123456789012"
)

// enterpriseDesired is desired() with the settings of issue 16 applied by set (Fast
// Launch off: the spec refuses it with target accounts).
func enterpriseDesired(t *testing.T, set func(d *imagebuilder.Desired)) *imagebuilder.Desired {
	d := desired(t, aspnet)
	for i := range d.Distribution.Distributions {
		d.Distribution.Distributions[i].FastLaunchConfigurations = nil
	}
	d.PublishParameter = "/imagebuilder/t-win2022/image_id" // the service-linked role writes it
	if set != nil {
		set(d)
	}
	return d
}

// TestEnterpriseSettingsPlanAndApply: adding, changing and removing the infrastructure's
// logs and topic, the distribution's copy keys, target accounts and target-account
// parameters, and the pipeline's scanning each plans an update naming the field; apply
// makes the service hold the new value (read back), and a second plan is clean. The
// recipe's encryption gives a new recipe version.
func TestEnterpriseSettingsPlanAndApply(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	api := e.clients.ImageBuilder(region)
	if _, err := imagebuilder.Apply(ctx, e.clients, enterpriseDesired(t, nil), imagebuilder.Options{}); err != nil {
		t.Fatal(err)
	}
	logs := func(prefix string) func(d *imagebuilder.Desired) {
		return func(d *imagebuilder.Desired) {
			d.Infrastructure.Logging = &types.Logging{S3Logs: &types.S3Logs{S3BucketName: aws.String(bucket), S3KeyPrefix: aws.String(prefix)}}
		}
	}
	copies := func(keys bool, accounts ...string) func(d *imagebuilder.Desired) {
		return func(d *imagebuilder.Desired) {
			for i := range d.Distribution.Distributions {
				a := d.Distribution.Distributions[i].AmiDistributionConfiguration
				if keys {
					a.KmsKeyId = aws.String([]string{key1, key2}[i])
				}
				a.TargetAccountIds = accounts
			}
			d.PublishAccounts = accounts
		}
	}
	all := func(fs ...func(d *imagebuilder.Desired)) func(d *imagebuilder.Desired) {
		return func(d *imagebuilder.Desired) {
			for _, f := range fs {
				f(d)
			}
		}
	}
	topicOn := func(d *imagebuilder.Desired) { d.Infrastructure.SnsTopicArn = aws.String(topic) }
	scan := func(d *imagebuilder.Desired) {
		d.Pipeline.ImageScanningConfiguration = &types.ImageScanningConfiguration{ImageScanningEnabled: aws.Bool(true)}
		d.PublishAfterScan = true
	}
	for _, step := range []struct {
		name     string
		set      func(d *imagebuilder.Desired)
		resource string
		reason   []string
		check    func(t *testing.T, arn string)
	}{
		{"logs and topic", all(logs("a"), topicOn), imagebuilder.ResourceInfrastructure, []string{"logging", "snsTopicArn: (none) → " + topic}, func(t *testing.T, arn string) {
			got, err := api.GetInfrastructureConfiguration(ctx, &ib.GetInfrastructureConfigurationInput{InfrastructureConfigurationArn: aws.String(arn)})
			if err != nil {
				t.Fatal(err)
			}
			ic := got.InfrastructureConfiguration
			if ic.Logging == nil || aws.ToString(ic.Logging.S3Logs.S3BucketName) != bucket || aws.ToString(ic.SnsTopicArn) != topic {
				t.Errorf("the service holds logging %+v, topic %v", ic.Logging, aws.ToString(ic.SnsTopicArn))
			}
		}},
		{"prefix changed, topic removed", logs("b"), imagebuilder.ResourceInfrastructure, []string{"logging.s3Logs.s3KeyPrefix: a → b", "snsTopicArn"}, func(t *testing.T, arn string) {
			got, err := api.GetInfrastructureConfiguration(ctx, &ib.GetInfrastructureConfigurationInput{InfrastructureConfigurationArn: aws.String(arn)})
			if err != nil {
				t.Fatal(err)
			}
			if ic := got.InfrastructureConfiguration; ic.SnsTopicArn != nil || aws.ToString(ic.Logging.S3Logs.S3KeyPrefix) != "b" {
				t.Errorf("the service holds topic %v, prefix %v", aws.ToString(ic.SnsTopicArn), aws.ToString(ic.Logging.S3Logs.S3KeyPrefix))
			}
		}},
		{"copy keys and a target account", all(logs("b"), copies(true, target)), imagebuilder.ResourceDistribution,
			[]string{"distributions[0].amiDistributionConfiguration.kmsKeyId: (none) → " + key1, "distributions[1].amiDistributionConfiguration.targetAccountIds", "distributions[0].ssmParameterConfigurations"},
			func(t *testing.T, arn string) {
				got, err := api.GetDistributionConfiguration(ctx, &ib.GetDistributionConfigurationInput{DistributionConfigurationArn: aws.String(arn)})
				if err != nil {
					t.Fatal(err)
				}
				for i, d := range got.DistributionConfiguration.Distributions {
					a := d.AmiDistributionConfiguration
					var accounts []string
					for _, p := range d.SsmParameterConfigurations {
						accounts = append(accounts, aws.ToString(p.AmiAccountId))
					}
					if aws.ToString(a.KmsKeyId) != []string{key1, key2}[i] || strings.Join(a.TargetAccountIds, ",") != target || strings.Join(accounts, ",") != ","+target {
						t.Errorf("region %s: key %v, targets %v, parameter accounts %q", aws.ToString(d.Region), aws.ToString(a.KmsKeyId), a.TargetAccountIds, accounts)
					}
				}
			}},
		{"copy keys removed", all(logs("b"), copies(false, target)), imagebuilder.ResourceDistribution, []string{"distributions[0].amiDistributionConfiguration.kmsKeyId", "distributions[1].amiDistributionConfiguration.kmsKeyId"}, func(t *testing.T, arn string) {
			got, err := api.GetDistributionConfiguration(ctx, &ib.GetDistributionConfigurationInput{DistributionConfigurationArn: aws.String(arn)})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range got.DistributionConfiguration.Distributions {
				if d.AmiDistributionConfiguration.KmsKeyId != nil {
					t.Errorf("region %s keeps key %s", aws.ToString(d.Region), aws.ToString(d.AmiDistributionConfiguration.KmsKeyId))
				}
			}
		}},
		{"scanning on", all(logs("b"), copies(false, target), scan), imagebuilder.ResourcePipeline, []string{"imageScanningConfiguration.imageScanningEnabled"}, func(t *testing.T, arn string) {
			got, err := api.GetImagePipeline(ctx, &ib.GetImagePipelineInput{ImagePipelineArn: aws.String(arn)})
			if err != nil {
				t.Fatal(err)
			}
			if sc := got.ImagePipeline.ImageScanningConfiguration; sc == nil || !aws.ToBool(sc.ImageScanningEnabled) {
				t.Errorf("the pipeline holds %+v", sc)
			}
			dist, err := api.GetDistributionConfiguration(ctx, &ib.GetDistributionConfigurationInput{DistributionConfigurationArn: got.ImagePipeline.DistributionConfigurationArn})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range dist.DistributionConfiguration.Distributions {
				if len(d.SsmParameterConfigurations) != 0 {
					t.Errorf("region %s: the distribution still publishes %+v while the image is scanned", aws.ToString(d.Region), d.SsmParameterConfigurations)
				}
			}
		}},
		{"scanning off", all(logs("b"), copies(false, target)), imagebuilder.ResourcePipeline, []string{"imageScanningConfiguration.imageScanningEnabled"}, func(t *testing.T, arn string) {
			got, err := api.GetImagePipeline(ctx, &ib.GetImagePipelineInput{ImagePipelineArn: aws.String(arn)})
			if err != nil {
				t.Fatal(err)
			}
			if sc := got.ImagePipeline.ImageScanningConfiguration; sc != nil && aws.ToBool(sc.ImageScanningEnabled) {
				t.Errorf("the pipeline still scans: %+v", sc)
			}
		}},
	} {
		d := enterpriseDesired(t, step.set)
		p, err := imagebuilder.PlanChanges(ctx, e.clients, d, imagebuilder.Options{})
		if err != nil {
			t.Fatal(err)
		}
		c := change(p, step.resource)
		for _, r := range step.reason {
			if c.Action != imagebuilder.ActionUpdate || !strings.Contains(c.Reason, r) {
				t.Errorf("%s: %s change %+v, want an update naming %q", step.name, step.resource, c, r)
			}
		}
		if _, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{}); err != nil {
			t.Fatalf("%s: apply: %v", step.name, err)
		}
		step.check(t, c.ARN)
		if p, err := imagebuilder.PlanChanges(ctx, e.clients, d, imagebuilder.Options{}); err != nil || p.Changed() {
			t.Errorf("%s: plan after apply: %v %+v", step.name, err, p)
		}
	}

	// The root volume's encryption is recipe content: a new recipe version.
	d := enterpriseDesired(t, all(logs("b"), copies(false, target)))
	ebs := d.Recipe.BlockDeviceMappings
	ebs = append(ebs, types.InstanceBlockDeviceMapping{DeviceName: aws.String("/dev/sda1"), Ebs: &types.EbsInstanceBlockDeviceSpecification{Encrypted: aws.Bool(true), KmsKeyId: aws.String(key1)}})
	d.Recipe.BlockDeviceMappings = ebs
	p, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := change(p, imagebuilder.ResourceRecipe); c.Action != imagebuilder.ActionNewVersion || !strings.Contains(c.Reason, "ebs.kmsKeyId") {
		t.Errorf("encrypting the root volume: recipe %+v, want a new version", c)
	}
	got, err := api.GetImageRecipe(ctx, &ib.GetImageRecipeInput{ImageRecipeArn: aws.String(p.RecipeARN)})
	if err != nil {
		t.Fatal(err)
	}
	var encrypted bool
	for _, m := range got.ImageRecipe.BlockDeviceMappings {
		if m.Ebs != nil && aws.ToBool(m.Ebs.Encrypted) && aws.ToString(m.Ebs.KmsKeyId) == key1 {
			encrypted = true
		}
	}
	if !encrypted {
		t.Errorf("the new recipe %s is not encrypted with %s: %+v", p.RecipeARN, key1, got.ImageRecipe.BlockDeviceMappings)
	}
}
