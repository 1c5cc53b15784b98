//go:build conformance

package conformance_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/services/imagebuilder"
)

// TestImageBuilderEnterpriseWithAWSCLI sends issue 16's fields through the AWS CLI (botocore
// builds the requests from the imagebuilder model and parses every answer with it): an
// encrypted recipe, logging and an SNS topic, target accounts with their keys and
// parameters, a scanning pipeline; the refusals; a build whose snapshot aws ec2 shows
// encrypted, its scanState and its seeded findings listed by list-image-scan-findings.
func TestImageBuilderEnterpriseWithAWSCLI(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clock := awsemu.NewManualClock(start)
	srv := emulatortest.Start(t, emulator.WithClock(clock), emulator.WithPeerAccounts(emulator.SandboxPeerAccount))
	ep, region, account, target := srv.URL(), "us-east-1", srv.Account, emulator.SandboxPeerAccount
	cli := func(out any, args ...string) {
		t.Helper()
		awstest.CLIJSON(t, ep, region, out, append([]string{"imagebuilder"}, args...)...)
	}
	wantError := func(code, field string, args ...string) {
		t.Helper()
		got, msg := awstest.CLIError(t, ep, region, append([]string{"imagebuilder"}, args...)...)
		if got != code || !strings.Contains(msg, field) {
			t.Fatalf("aws imagebuilder %s: %s (%s), want %s naming %s", args[0], got, msg, code, field)
		}
	}
	var parent struct{ Images []struct{ ImageId string } }
	awstest.CLIJSON(t, ep, region, &parent, "ec2", "describe-images", "--owners", "amazon",
		"--filters", "Name=name,Values=Windows_Server-2022-English-Core-EKS_Optimized-*")
	if len(parent.Images) == 0 {
		t.Fatal("no seeded parent image")
	}
	var comp struct {
		Arn string `json:"componentBuildVersionArn"`
	}
	cli(&comp, "create-component", "--name", "image-cache", "--semantic-version", "1.0.0", "--platform", "Windows", "--data", cacheDocument)

	// The recipe's root volume encrypted with the AWS managed key (no KMS store needed).
	ebsKey := "arn:aws:kms:us-east-1:" + account + ":alias/aws/ebs"
	var recipe struct {
		Arn string `json:"imageRecipeArn"`
	}
	cli(&recipe, "create-image-recipe", "--name", "enc", "--semantic-version", "1.0.0", "--parent-image", parent.Images[0].ImageId,
		"--components", js([]map[string]string{{"componentArn": comp.Arn}}),
		"--block-device-mappings", js([]map[string]any{{"deviceName": "/dev/sda1", "ebs": map[string]any{"encrypted": true, "kmsKeyId": ebsKey, "volumeSize": 60}}}))
	var gotRecipe struct {
		ImageRecipe struct {
			BlockDeviceMappings []struct {
				Ebs struct {
					Encrypted bool
					KmsKeyId  string
				}
			}
		}
	}
	cli(&gotRecipe, "get-image-recipe", "--image-recipe-arn", recipe.Arn)
	if e := gotRecipe.ImageRecipe.BlockDeviceMappings[0].Ebs; !e.Encrypted || e.KmsKeyId != ebsKey {
		t.Fatalf("get-image-recipe ebs: %+v", e)
	}

	// Infrastructure: logging and the SNS topic round-trip; a bad topic is refused.
	var logged struct {
		Arn string `json:"infrastructureConfigurationArn"`
	}
	cli(&logged, "create-infrastructure-configuration", "--name", "logged", "--instance-profile-name", "EC2InstanceProfileForImageBuilder",
		"--logging", js(map[string]any{"s3Logs": map[string]string{"s3BucketName": "winami-build-logs-" + account, "s3KeyPrefix": "winami"}}),
		"--sns-topic-arn", "arn:aws:sns:us-east-1:"+account+":winami-builds")
	var gotInfra struct {
		InfrastructureConfiguration struct {
			Logging struct {
				S3Logs struct{ S3BucketName, S3KeyPrefix string }
			}
			SnsTopicArn string
		}
	}
	cli(&gotInfra, "get-infrastructure-configuration", "--infrastructure-configuration-arn", logged.Arn)
	if i := gotInfra.InfrastructureConfiguration; i.Logging.S3Logs.S3BucketName != "winami-build-logs-"+account || i.Logging.S3Logs.S3KeyPrefix != "winami" ||
		i.SnsTopicArn != "arn:aws:sns:us-east-1:"+account+":winami-builds" {
		t.Fatalf("get-infrastructure-configuration: %+v", i)
	}
	wantError("InvalidParameterValueException", "snsTopicArn", "create-infrastructure-configuration", "--name", "bad",
		"--instance-profile-name", "EC2InstanceProfileForImageBuilder", "--sns-topic-arn", "winami-builds")

	// Distribution: target account, per-Region key, the target's parameter.
	dist := func(amiAccount string) string {
		return js([]map[string]any{{"region": "us-west-2",
			"amiDistributionConfiguration": map[string]any{"targetAccountIds": []string{target}, "kmsKeyId": "arn:aws:kms:us-west-2:" + account + ":alias/winami-ami"},
			"ssmParameterConfigurations": []map[string]string{{"parameterName": "/winami/enc/image_id"},
				{"parameterName": "/winami/enc/image_id", "amiAccountId": amiAccount}}}})
	}
	var d struct {
		Arn string `json:"distributionConfigurationArn"`
	}
	cli(&d, "create-distribution-configuration", "--name", "enc", "--distributions", dist(target))
	var gotDist struct {
		DistributionConfiguration struct {
			Distributions []struct {
				AmiDistributionConfiguration struct {
					TargetAccountIds []string
					KmsKeyId         string
				}
				SsmParameterConfigurations []struct{ ParameterName, AmiAccountId string }
			}
		}
	}
	cli(&gotDist, "get-distribution-configuration", "--distribution-configuration-arn", d.Arn)
	if g := gotDist.DistributionConfiguration.Distributions[0]; len(g.AmiDistributionConfiguration.TargetAccountIds) != 1 ||
		g.AmiDistributionConfiguration.KmsKeyId != "arn:aws:kms:us-west-2:"+account+":alias/winami-ami" || g.SsmParameterConfigurations[1].AmiAccountId != target {
		t.Fatalf("get-distribution-configuration: %+v", g)
	}
	wantError("InvalidParameterValueException", "amiAccountId", "create-distribution-configuration", "--name", "bad", "--distributions", dist("111122223333"))

	// A scanning pipeline (no distribution: the build Region's AMI only), seeded findings.
	var plain struct {
		Arn string `json:"infrastructureConfigurationArn"`
	}
	cli(&plain, "create-infrastructure-configuration", "--name", "plain", "--instance-profile-name", "EC2InstanceProfileForImageBuilder")
	var pipe struct {
		Arn string `json:"imagePipelineArn"`
	}
	cli(&pipe, "create-image-pipeline", "--name", "enc", "--image-recipe-arn", recipe.Arn, "--infrastructure-configuration-arn", plain.Arn,
		"--image-scanning-configuration", "imageScanningEnabled=true")
	seed := js(imagebuilder.ScanFindingsSeed{ImagePipelineArn: pipe.Arn, Findings: []map[string]any{
		{"severity": "CRITICAL", "title": "CVE-2026-0001 - openssl", "inspectorScore": 9.8, "packageVulnerabilityDetails": map[string]any{"vulnerabilityId": "CVE-2026-0001"}},
		{"severity": "LOW", "title": "CVE-2026-0002 - zlib", "packageVulnerabilityDetails": map[string]any{"vulnerabilityId": "CVE-2026-0002"}},
	}})
	resp, err := http.Post(ep+awsemu.ControlPrefix+imagebuilder.ScanFindingsControl, "application/json", bytes.NewReader([]byte(seed)))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("seeding findings: %v %v", err, resp)
	}
	_ = resp.Body.Close()
	var run struct {
		Arn string `json:"imageBuildVersionArn"`
	}
	cli(&run, "start-image-pipeline-execution", "--image-pipeline-arn", pipe.Arn)
	clock.Advance(time.Hour)
	var img struct {
		Image struct {
			State                      struct{ Status, Reason string }
			ScanState                  struct{ Status string }
			ImageScanningConfiguration struct{ ImageScanningEnabled bool }
			OutputResources            struct{ Amis []struct{ Image string } }
		}
	}
	cli(&img, "get-image", "--image-build-version-arn", run.Arn)
	if i := img.Image; i.State.Status != "AVAILABLE" || i.ScanState.Status != "COMPLETED" || !i.ImageScanningConfiguration.ImageScanningEnabled || len(i.OutputResources.Amis) != 1 {
		t.Fatalf("get-image: %+v", i)
	}
	var snaps struct{ Snapshots []struct{ Encrypted bool } }
	var ami struct {
		Images []struct {
			BlockDeviceMappings []struct{ Ebs struct{ SnapshotId string } }
		}
	}
	awstest.CLIJSON(t, ep, region, &ami, "ec2", "describe-images", "--image-ids", img.Image.OutputResources.Amis[0].Image)
	awstest.CLIJSON(t, ep, region, &snaps, "ec2", "describe-snapshots", "--snapshot-ids", ami.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId)
	if len(snaps.Snapshots) != 1 || !snaps.Snapshots[0].Encrypted {
		t.Fatalf("the built AMI's snapshot: %+v", snaps)
	}
	var findings struct {
		Findings []struct {
			Severity, ImageBuildVersionArn string
			// The CLI v1 prints timestamps as the epoch seconds it received.
			FirstObservedAt             float64
			InspectorScore              float64
			PackageVulnerabilityDetails struct{ VulnerabilityId string }
		}
	}
	cli(&findings, "list-image-scan-findings", "--filters", "name=severity,values=CRITICAL")
	if f := findings.Findings; len(f) != 1 || f[0].ImageBuildVersionArn != run.Arn || f[0].PackageVulnerabilityDetails.VulnerabilityId != "CVE-2026-0001" ||
		f[0].InspectorScore != 9.8 || f[0].FirstObservedAt < float64(start.Unix()) || f[0].FirstObservedAt > float64(start.Add(time.Hour).Unix()) {
		t.Fatalf("list-image-scan-findings: %+v", findings)
	}
	var agg struct {
		AggregationType string
		Responses       []struct {
			ImagePipelineAggregation struct {
				ImagePipelineArn string
				SeverityCounts   struct{ All, Critical, High, Medium int64 }
			}
		}
	}
	cli(&agg, "list-image-scan-finding-aggregations", "--filter", "name=imagePipelineArn,values="+pipe.Arn)
	if len(agg.Responses) != 1 || agg.AggregationType != "imagePipelineArn" || agg.Responses[0].ImagePipelineAggregation.SeverityCounts.All != 2 ||
		agg.Responses[0].ImagePipelineAggregation.SeverityCounts.Critical != 1 {
		t.Fatalf("list-image-scan-finding-aggregations: %+v", agg)
	}
	code, msg := awstest.CLIError(t, ep, region, "imagebuilder", "list-image-scan-findings", "--filters", "name=title,values=x")
	if code != "InvalidRequestException" || !strings.Contains(msg, "title") {
		t.Fatalf("list-image-scan-findings with an unknown filter: %s %s", code, msg)
	}
}
