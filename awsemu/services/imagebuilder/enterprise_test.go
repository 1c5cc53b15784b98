package imagebuilder_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/services/imagebuilder"
)

const (
	keyEast = "arn:aws:kms:us-east-1:123456789012:alias/winami-ami"
	keyWest = "arn:aws:kms:us-west-2:123456789012:alias/winami-ami"
	target  = "210987654321"
)

// TestEnterpriseFieldsRoundTrip: the issue-16 fields are accepted and returned as sent.
func TestEnterpriseFieldsRoundTrip(t *testing.T) {
	e := start(t)
	c := e.client
	comp := createComponent(t, c, "cache", "1.0.0", "rt-comp")
	r, err := c.CreateImageRecipe(ctx, &ib.CreateImageRecipeInput{
		Name: aws.String("enc"), SemanticVersion: aws.String("1.0.0"), ParentImage: aws.String(parentAMI),
		Components: []types.ComponentConfiguration{{ComponentArn: aws.String(comp)}},
		BlockDeviceMappings: []types.InstanceBlockDeviceMapping{{DeviceName: aws.String("/dev/sda1"),
			Ebs: &types.EbsInstanceBlockDeviceSpecification{VolumeSize: aws.Int32(120), VolumeType: types.EbsVolumeTypeGp3,
				Encrypted: aws.Bool(true), KmsKeyId: aws.String(keyEast), DeleteOnTermination: aws.Bool(true), Throughput: aws.Int32(250)}}},
		ClientToken: aws.String("rt-recipe"),
	})
	if err != nil {
		t.Fatal(err)
	}
	gr, err := c.GetImageRecipe(ctx, &ib.GetImageRecipeInput{ImageRecipeArn: r.ImageRecipeArn})
	if err != nil {
		t.Fatal(err)
	}
	ebs := gr.ImageRecipe.BlockDeviceMappings[0].Ebs
	if !aws.ToBool(ebs.Encrypted) || aws.ToString(ebs.KmsKeyId) != keyEast || !aws.ToBool(ebs.DeleteOnTermination) || aws.ToInt32(ebs.Throughput) != 250 {
		t.Fatalf("recipe ebs %+v", ebs)
	}

	in, err := c.CreateInfrastructureConfiguration(ctx, &ib.CreateInfrastructureConfigurationInput{
		Name: aws.String("enc"), InstanceProfileName: aws.String("EC2InstanceProfileForImageBuilder"),
		Logging:     &types.Logging{S3Logs: &types.S3Logs{S3BucketName: aws.String("winami-build-logs-123456789012"), S3KeyPrefix: aws.String("winami/prod")}},
		SnsTopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:winami-builds"),
		ClientToken: aws.String("rt-infra"),
	})
	if err != nil {
		t.Fatal(err)
	}
	gi, err := c.GetInfrastructureConfiguration(ctx, &ib.GetInfrastructureConfigurationInput{InfrastructureConfigurationArn: in.InfrastructureConfigurationArn})
	if err != nil {
		t.Fatal(err)
	}
	if l := gi.InfrastructureConfiguration.Logging; l == nil || aws.ToString(l.S3Logs.S3BucketName) != "winami-build-logs-123456789012" ||
		aws.ToString(l.S3Logs.S3KeyPrefix) != "winami/prod" || aws.ToString(gi.InfrastructureConfiguration.SnsTopicArn) != "arn:aws:sns:us-east-1:123456789012:winami-builds" {
		t.Fatalf("infrastructure %+v", gi.InfrastructureConfiguration)
	}

	dist := func(region, key string) types.Distribution {
		return types.Distribution{Region: aws.String(region),
			AmiDistributionConfiguration: &types.AmiDistributionConfiguration{Name: aws.String("enc-{{imagebuilder:buildDate}}"),
				KmsKeyId: aws.String(key), TargetAccountIds: []string{target}, AmiTags: map[string]string{"team": "win"}},
			SsmParameterConfigurations: []types.SsmParameterConfiguration{
				{ParameterName: aws.String("/winami/prod/image_id")},
				{ParameterName: aws.String("/winami/prod/image_id"), AmiAccountId: aws.String(target)},
			},
		}
	}
	d, err := c.CreateDistributionConfiguration(ctx, &ib.CreateDistributionConfigurationInput{
		Name: aws.String("enc"), Distributions: []types.Distribution{dist("us-east-1", keyEast), dist("us-west-2", keyWest)}, ClientToken: aws.String("rt-dist"),
	})
	if err != nil {
		t.Fatal(err)
	}
	gd, err := c.GetDistributionConfiguration(ctx, &ib.GetDistributionConfigurationInput{DistributionConfigurationArn: d.DistributionConfigurationArn})
	if err != nil {
		t.Fatal(err)
	}
	west := gd.DistributionConfiguration.Distributions[1]
	if aws.ToString(west.AmiDistributionConfiguration.KmsKeyId) != keyWest || len(west.AmiDistributionConfiguration.TargetAccountIds) != 1 ||
		west.AmiDistributionConfiguration.TargetAccountIds[0] != target || aws.ToString(west.SsmParameterConfigurations[1].AmiAccountId) != target ||
		west.SsmParameterConfigurations[0].AmiAccountId != nil {
		t.Fatalf("distribution %+v", west)
	}

	p, err := c.CreateImagePipeline(ctx, &ib.CreateImagePipelineInput{
		Name: aws.String("enc"), ImageRecipeArn: r.ImageRecipeArn, InfrastructureConfigurationArn: in.InfrastructureConfigurationArn,
		DistributionConfigurationArn: d.DistributionConfigurationArn, ClientToken: aws.String("rt-pipe"),
		ImageScanningConfiguration: &types.ImageScanningConfiguration{ImageScanningEnabled: aws.Bool(true),
			EcrConfiguration: &types.EcrConfiguration{RepositoryName: aws.String("scans"), ContainerTags: []string{"a"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	gp, err := c.GetImagePipeline(ctx, &ib.GetImagePipelineInput{ImagePipelineArn: p.ImagePipelineArn})
	if err != nil {
		t.Fatal(err)
	}
	if sc := gp.ImagePipeline.ImageScanningConfiguration; sc == nil || !aws.ToBool(sc.ImageScanningEnabled) || aws.ToString(sc.EcrConfiguration.RepositoryName) != "scans" {
		t.Fatalf("pipeline scanning %+v", gp.ImagePipeline.ImageScanningConfiguration)
	}
}

// TestEnterpriseFieldValidation: each new field refuses what the API reference refuses, with
// InvalidParameterValueException naming the field.
func TestEnterpriseFieldValidation(t *testing.T) {
	e := start(t)
	c := e.client
	comp := createComponent(t, c, "cache", "1.0.0", "v-comp")
	recipe := func(ebs *types.EbsInstanceBlockDeviceSpecification) error {
		_, err := c.CreateImageRecipe(ctx, &ib.CreateImageRecipeInput{
			Name: aws.String("bad"), SemanticVersion: aws.String("1.0.0"), ParentImage: aws.String(parentAMI),
			Components:          []types.ComponentConfiguration{{ComponentArn: aws.String(comp)}},
			BlockDeviceMappings: []types.InstanceBlockDeviceMapping{{DeviceName: aws.String("/dev/sda1"), Ebs: ebs}},
			ClientToken:         aws.String(fmt.Sprintf("v-%p", ebs)),
		})
		return err
	}
	infra := func(l *types.Logging, sns *string) error {
		_, err := c.CreateInfrastructureConfiguration(ctx, &ib.CreateInfrastructureConfigurationInput{
			Name: aws.String("bad"), InstanceProfileName: aws.String("p"), Logging: l, SnsTopicArn: sns,
			ClientToken: aws.String(fmt.Sprintf("v-%p-%p", l, sns)),
		})
		return err
	}
	dist := func(a *types.AmiDistributionConfiguration, ssm ...types.SsmParameterConfiguration) error {
		_, err := c.CreateDistributionConfiguration(ctx, &ib.CreateDistributionConfigurationInput{
			Name: aws.String("bad"), ClientToken: aws.String(fmt.Sprintf("v-%p", a)),
			Distributions: []types.Distribution{{Region: aws.String("us-east-1"), AmiDistributionConfiguration: a, SsmParameterConfigurations: ssm}},
		})
		return err
	}
	long := strings.Repeat("k", 1025)
	cases := []struct {
		name, field string
		err         error
	}{
		{"recipe kmsKeyId too long", "blockDeviceMappings[0].ebs.kmsKeyId", recipe(&types.EbsInstanceBlockDeviceSpecification{Encrypted: aws.Bool(true), KmsKeyId: aws.String(long)})},
		{"recipe kmsKeyId empty", "blockDeviceMappings[0].ebs.kmsKeyId", recipe(&types.EbsInstanceBlockDeviceSpecification{Encrypted: aws.Bool(true), KmsKeyId: aws.String("")})},
		{"recipe iops", "blockDeviceMappings[0].ebs.iops", recipe(&types.EbsInstanceBlockDeviceSpecification{Iops: aws.Int32(99)})},
		{"recipe throughput", "blockDeviceMappings[0].ebs.throughput", recipe(&types.EbsInstanceBlockDeviceSpecification{Throughput: aws.Int32(1001)})},
		{"s3BucketName empty", "logging.s3Logs.s3BucketName", infra(&types.Logging{S3Logs: &types.S3Logs{S3BucketName: aws.String("")}}, nil)},
		{"s3KeyPrefix too long", "logging.s3Logs.s3KeyPrefix", infra(&types.Logging{S3Logs: &types.S3Logs{S3BucketName: aws.String("b"), S3KeyPrefix: aws.String(long)}}, nil)},
		{"sns not an ARN", "snsTopicArn", infra(nil, aws.String("winami-builds"))},
		{"sns topic name", "snsTopicArn", infra(nil, aws.String("arn:aws:sns:us-east-1:123456789012:winami.builds"))},
		{"sns account", "snsTopicArn", infra(nil, aws.String("arn:aws:sns:us-east-1:12345:winami-builds"))},
		{"targetAccountIds", "amiDistributionConfiguration.targetAccountIds", dist(&types.AmiDistributionConfiguration{TargetAccountIds: []string{"21098765432"}})},
		{"targetAccountIds empty", "amiDistributionConfiguration.targetAccountIds", dist(&types.AmiDistributionConfiguration{TargetAccountIds: []string{}})},
		{"distribution kmsKeyId", "amiDistributionConfiguration.kmsKeyId", dist(&types.AmiDistributionConfiguration{KmsKeyId: aws.String(long)})},
		{"amiAccountId pattern", "ssmParameterConfigurations[0].amiAccountId", dist(&types.AmiDistributionConfiguration{TargetAccountIds: []string{target}},
			types.SsmParameterConfiguration{ParameterName: aws.String("/p"), AmiAccountId: aws.String("2109876543210")})},
		{"amiAccountId not a target", "ssmParameterConfigurations[0].amiAccountId", dist(&types.AmiDistributionConfiguration{TargetAccountIds: []string{target}},
			types.SsmParameterConfiguration{ParameterName: aws.String("/p"), AmiAccountId: aws.String("111122223333")})},
		{"amiAccountId without targets", "ssmParameterConfigurations[0].amiAccountId", dist(nil,
			types.SsmParameterConfiguration{ParameterName: aws.String("/p"), AmiAccountId: aws.String(target)})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			apiError(t, tc.err, "InvalidParameterValueException", 400)
			var ae smithy.APIError
			_ = errors.As(tc.err, &ae)
			if !strings.Contains(ae.ErrorMessage(), tc.field) {
				t.Fatalf("message %q does not name %s", ae.ErrorMessage(), tc.field)
			}
		})
	}
	// Nothing was created.
	if l, err := c.ListDistributionConfigurations(ctx, &ib.ListDistributionConfigurationsInput{}); err != nil || len(l.DistributionConfigurationSummaryList) != 0 {
		t.Fatalf("distributions after refusals: %v %+v", err, l)
	}
}

// seedFindings posts findings to the scan-findings control path.
func seedFindings(t *testing.T, url string, seed imagebuilder.ScanFindingsSeed) int {
	t.Helper()
	b, _ := json.Marshal(seed)
	resp, err := http.Post(url+awsemu.ControlPrefix+imagebuilder.ScanFindingsControl, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func finding(sev, cve string) map[string]any {
	return map[string]any{"severity": sev, "title": cve + " - openssl", "description": "a test finding", "inspectorScore": 9.8,
		"packageVulnerabilityDetails": map[string]any{"vulnerabilityId": cve, "source": "NVD"},
		"remediation":                 map[string]any{"recommendation": map[string]any{"text": "Update openssl"}}}
}

// scanPipeline makes a pipeline with scanning on or off (recipe, infrastructure and
// distribution from makeWorld).
func scanPipeline(t *testing.T, e *env, w world, name string, enabled bool) string {
	t.Helper()
	p, err := e.client.CreateImagePipeline(ctx, &ib.CreateImagePipelineInput{
		Name: aws.String(name), ImageRecipeArn: aws.String(w.recipe), InfrastructureConfigurationArn: aws.String(w.infra),
		DistributionConfigurationArn: aws.String(w.dist), ClientToken: aws.String("sp-" + name),
		ImageScanningConfiguration: &types.ImageScanningConfiguration{ImageScanningEnabled: aws.Bool(enabled)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(p.ImagePipelineArn)
}

func TestScanFindings(t *testing.T) {
	e := start(t)
	c := e.client
	w := makeWorld(t, e, parentAMI, nil, "EC2InstanceProfileForImageBuilder")
	scanned := scanPipeline(t, e, w, "scanned", true)
	plain := scanPipeline(t, e, w, "plain", false)

	// Bad seeds.
	if code := seedFindings(t, e.srv.URL(), imagebuilder.ScanFindingsSeed{ImagePipelineArn: scanned, Findings: []map[string]any{{"severity": "SEVERE"}}}); code != 400 {
		t.Fatalf("bad severity: %d", code)
	}
	if code := seedFindings(t, e.srv.URL(), imagebuilder.ScanFindingsSeed{ImagePipelineArn: scanned + "-none"}); code != 404 {
		t.Fatalf("unknown pipeline: %d", code)
	}
	findings := []map[string]any{finding("CRITICAL", "CVE-2026-0001"), finding("HIGH", "CVE-2026-0002"), finding("HIGH", "CVE-2026-0003"), finding("LOW", "CVE-2026-0004")}
	for _, p := range []string{scanned, plain} {
		if code := seedFindings(t, e.srv.URL(), imagebuilder.ScanFindingsSeed{ImagePipelineArn: p, Findings: findings}); code != 200 {
			t.Fatalf("seed: %d", code)
		}
	}
	run := func(p, token string) string {
		st, err := c.StartImagePipelineExecution(ctx, &ib.StartImagePipelineExecutionInput{ImagePipelineArn: aws.String(p), ClientToken: aws.String(token)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(st.ImageBuildVersionArn)
	}
	a := run(scanned, "s-1")
	img := imageStatus(t, c, a)
	if img.ScanState == nil || img.ScanState.Status != types.ImageScanStatusPending || !aws.ToBool(img.ImageScanningConfiguration.ImageScanningEnabled) {
		t.Fatalf("scan state at start %+v %+v", img.ScanState, img.ImageScanningConfiguration)
	}
	// While building, nothing is listed yet.
	e.clock.Advance(imagebuilder.StateDurations[0].Duration + imagebuilder.StateDurations[1].Duration)
	if img := imageStatus(t, c, a); img.ScanState.Status != types.ImageScanStatusScanning {
		t.Fatalf("scan state while building %+v", img.ScanState)
	}
	l, err := c.ListImageScanFindings(ctx, &ib.ListImageScanFindingsInput{})
	if err != nil || len(l.Findings) != 0 {
		t.Fatalf("findings while building: %v %+v", err, l)
	}
	e.clock.Advance(time.Hour)
	img = imageStatus(t, c, a)
	if img.State.Status != types.ImageStatusAvailable || img.ScanState.Status != types.ImageScanStatusCompleted {
		t.Fatalf("final %+v %+v", img.State, img.ScanState)
	}
	// The plain pipeline's build keeps no findings, whatever was seeded.
	b := run(plain, "p-1")
	e.clock.Advance(time.Hour)
	if img := imageStatus(t, c, b); img.ScanState != nil {
		t.Fatalf("scan state of an image built without scanning: %+v", img.ScanState)
	}
	if code := seedFindings(t, e.srv.URL(), imagebuilder.ScanFindingsSeed{ImageBuildVersionArn: b, Findings: findings}); code != http.StatusConflict {
		t.Fatalf("seeding an unscanned image: %d", code)
	}

	l, err = c.ListImageScanFindings(ctx, &ib.ListImageScanFindingsInput{})
	if err != nil || len(l.Findings) != 4 {
		t.Fatalf("all findings: %v %+v", err, l)
	}
	f := l.Findings[0]
	if aws.ToString(f.ImageBuildVersionArn) != a || aws.ToString(f.ImagePipelineArn) != scanned || aws.ToString(f.AwsAccountId) != "123456789012" ||
		aws.ToString(f.Severity) != "CRITICAL" || aws.ToString(f.Type) != "PACKAGE_VULNERABILITY" || f.FirstObservedAt == nil ||
		aws.ToString(f.PackageVulnerabilityDetails.VulnerabilityId) != "CVE-2026-0001" || aws.ToFloat64(f.InspectorScore) != 9.8 ||
		aws.ToString(f.Remediation.Recommendation.Text) != "Update openssl" {
		t.Fatalf("finding %+v", f)
	}
	filtered := func(name, value string) int {
		t.Helper()
		out, err := c.ListImageScanFindings(ctx, &ib.ListImageScanFindingsInput{Filters: []types.ImageScanFindingsFilter{{Name: aws.String(name), Values: []string{value}}}})
		if err != nil {
			t.Fatalf("filter %s=%s: %v", name, value, err)
		}
		return len(out.Findings)
	}
	if filtered("severity", "HIGH") != 2 || filtered("severity", "high") != 0 || filtered("imageBuildVersionArn", a) != 4 ||
		filtered("imageBuildVersionArn", b) != 0 || filtered("imagePipelineArn", scanned) != 4 || filtered("vulnerabilityId", "CVE-2026-0004") != 1 {
		t.Fatal("filters do not select as the API defines them")
	}
	// Pages of 3: 3 then 1.
	p1, err := c.ListImageScanFindings(ctx, &ib.ListImageScanFindingsInput{MaxResults: aws.Int32(3)})
	if err != nil || len(p1.Findings) != 3 || p1.NextToken == nil {
		t.Fatalf("page 1: %v %+v", err, p1)
	}
	p2, err := c.ListImageScanFindings(ctx, &ib.ListImageScanFindingsInput{MaxResults: aws.Int32(3), NextToken: p1.NextToken})
	if err != nil || len(p2.Findings) != 1 || p2.NextToken != nil {
		t.Fatalf("page 2: %v %+v", err, p2)
	}
	// Errors: two filters, two values, an unknown name, a foreign token.
	_, err = c.ListImageScanFindings(ctx, &ib.ListImageScanFindingsInput{Filters: []types.ImageScanFindingsFilter{
		{Name: aws.String("severity"), Values: []string{"HIGH"}}, {Name: aws.String("imagePipelineArn"), Values: []string{scanned}}}})
	apiError(t, err, "InvalidRequestException", 400)
	_, err = c.ListImageScanFindings(ctx, &ib.ListImageScanFindingsInput{Filters: []types.ImageScanFindingsFilter{{Name: aws.String("severity"), Values: []string{"HIGH", "LOW"}}}})
	apiError(t, err, "InvalidRequestException", 400)
	_, err = c.ListImageScanFindings(ctx, &ib.ListImageScanFindingsInput{Filters: []types.ImageScanFindingsFilter{{Name: aws.String("Severity"), Values: []string{"HIGH"}}}})
	apiError(t, err, "InvalidRequestException", 400)
	_, err = c.ListImageScanFindings(ctx, &ib.ListImageScanFindingsInput{NextToken: aws.String("not-ours")})
	apiError(t, err, "InvalidPaginationTokenException", 400)

	// Aggregations: the account by default; one per filter value, counts of medium and up.
	agg, err := c.ListImageScanFindingAggregations(ctx, &ib.ListImageScanFindingAggregationsInput{})
	if err != nil || aws.ToString(agg.AggregationType) != "accountId" || len(agg.Responses) != 1 {
		t.Fatalf("account aggregation: %v %+v", err, agg)
	}
	if sc := agg.Responses[0].AccountAggregation.SeverityCounts; aws.ToString(agg.Responses[0].AccountAggregation.AccountId) != "123456789012" ||
		aws.ToInt64(sc.All) != 4 || aws.ToInt64(sc.Critical) != 1 || aws.ToInt64(sc.High) != 2 || aws.ToInt64(sc.Medium) != 0 {
		t.Fatalf("account counts %+v", sc)
	}
	agg, err = c.ListImageScanFindingAggregations(ctx, &ib.ListImageScanFindingAggregationsInput{
		Filter: &types.Filter{Name: aws.String("imagePipelineArn"), Values: []string{scanned, plain}}})
	if err != nil || aws.ToString(agg.AggregationType) != "imagePipelineArn" || len(agg.Responses) != 2 {
		t.Fatalf("pipeline aggregation: %v %+v", err, agg)
	}
	for _, r := range agg.Responses {
		want := int64(0)
		if aws.ToString(r.ImagePipelineAggregation.ImagePipelineArn) == scanned {
			want = 4
		}
		if aws.ToInt64(r.ImagePipelineAggregation.SeverityCounts.All) != want {
			t.Fatalf("pipeline %s counts %+v", aws.ToString(r.ImagePipelineAggregation.ImagePipelineArn), r.ImagePipelineAggregation.SeverityCounts)
		}
	}
	agg, err = c.ListImageScanFindingAggregations(ctx, &ib.ListImageScanFindingAggregationsInput{
		Filter: &types.Filter{Name: aws.String("vulnerabilityId"), Values: []string{"CVE-2026-0002"}}})
	if err != nil || len(agg.Responses) != 1 || aws.ToInt64(agg.Responses[0].VulnerabilityIdAggregation.SeverityCounts.High) != 1 {
		t.Fatalf("vulnerability aggregation: %v %+v", err, agg)
	}
	_, err = c.ListImageScanFindingAggregations(ctx, &ib.ListImageScanFindingAggregationsInput{Filter: &types.Filter{Name: aws.String("severity"), Values: []string{"HIGH"}}})
	apiError(t, err, "InvalidRequestException", 400)

	// A seed on the image replaces its findings; the pipeline's seed applies to later builds only.
	if code := seedFindings(t, e.srv.URL(), imagebuilder.ScanFindingsSeed{ImageBuildVersionArn: a, Findings: []map[string]any{finding("MEDIUM", "CVE-2026-0005")}}); code != 200 {
		t.Fatalf("seed image: %d", code)
	}
	if filtered("imageBuildVersionArn", a) != 1 || filtered("severity", "CRITICAL") != 0 {
		t.Fatal("image seed did not replace the findings")
	}
	if code := seedFindings(t, e.srv.URL(), imagebuilder.ScanFindingsSeed{ImagePipelineArn: scanned, Findings: []map[string]any{}}); code != 200 {
		t.Fatalf("clear: %d", code)
	}
	a2 := run(scanned, "s-2")
	e.clock.Advance(time.Hour)
	if filtered("imageBuildVersionArn", a2) != 0 || filtered("imageBuildVersionArn", a) != 1 {
		t.Fatal("clearing the pipeline seed changed an earlier image or did not apply to the next build")
	}
}
