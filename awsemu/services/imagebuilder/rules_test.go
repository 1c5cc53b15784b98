package imagebuilder_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/services/imagebuilder"
)

// The tests in this file run Image Builder against the whole emulator (EC2, SSM and IAM
// real), for the rules of issue 12: what Image Builder's role may do at distribution, the
// execution role, and the build instance's launch.

type rworld struct {
	srv       *awsemu.Server
	clock     *awsemu.ManualClock
	ib        *ib.Client
	iam       *iam.Client
	cfg       aws.Config
	parent    string
	component string
	n         int
}

func newRWorld(t *testing.T) *rworld {
	t.Helper()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	w := &rworld{srv: srv, clock: clock, ib: ib.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg), cfg: cfg}
	imgs, err := w.ec2("us-east-1").DescribeImages(ctx, &sdkec2.DescribeImagesInput{Owners: []string{"amazon"},
		Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{"Windows_Server-2022-English-Core-EKS_Optimized-*"}}}})
	if err != nil || len(imgs.Images) == 0 {
		t.Fatalf("no seeded parent image: %v", err)
	}
	w.parent = aws.ToString(imgs.Images[0].ImageId)
	w.component = createComponent(t, w.ib, "cache", "1.0.0", "rw-comp")
	return w
}

func (w *rworld) ec2(region string) *sdkec2.Client {
	cfg := w.cfg.Copy()
	cfg.Region = region
	return sdkec2.NewFromConfig(cfg)
}

func (w *rworld) ssm(region string) *ssm.Client {
	cfg := w.cfg.Copy()
	cfg.Region = region
	return ssm.NewFromConfig(cfg)
}

// infra is an infrastructure configuration's launch settings.
type infra struct {
	types     []string
	subnet    string
	groups    []string
	keyPair   string
	noDefault bool
}

// dist is one Region's distribution: an SSM parameter and Fast Launch, optionally with a
// launch template (id or name).
func dist(region, param string, fastLaunch bool, template string) types.Distribution {
	d := types.Distribution{Region: aws.String(region),
		AmiDistributionConfiguration: &types.AmiDistributionConfiguration{Name: aws.String("rules-{{imagebuilder:buildDate}}")}}
	if param != "" {
		d.SsmParameterConfigurations = []types.SsmParameterConfiguration{{ParameterName: aws.String(param), DataType: types.SsmParameterDataTypeAwsEc2Image}}
	}
	if fastLaunch {
		fl := types.FastLaunchConfiguration{Enabled: true, MaxParallelLaunches: aws.Int32(6),
			SnapshotConfiguration: &types.FastLaunchSnapshotConfiguration{TargetResourceCount: aws.Int32(5)}}
		if template != "" {
			fl.LaunchTemplate = &types.FastLaunchLaunchTemplateSpecification{LaunchTemplateVersion: aws.String("$Default")}
			if strings.HasPrefix(template, "lt-") {
				fl.LaunchTemplate.LaunchTemplateId = aws.String(template)
			} else {
				fl.LaunchTemplate.LaunchTemplateName = aws.String(template)
			}
		}
		d.FastLaunchConfigurations = []types.FastLaunchConfiguration{fl}
	}
	return d
}

// pipeline creates a recipe, infrastructure, distribution and pipeline of their own.
func (w *rworld) pipeline(t *testing.T, in infra, dists []types.Distribution, executionRole string) string {
	t.Helper()
	w.n++
	name := fmt.Sprintf("rules-%d", w.n)
	r, err := w.ib.CreateImageRecipe(ctx, &ib.CreateImageRecipeInput{Name: aws.String(name), SemanticVersion: aws.String("1.0.0"),
		ParentImage: aws.String(w.parent), Components: []types.ComponentConfiguration{{ComponentArn: aws.String(w.component)}},
		ClientToken: aws.String(name + "-r")})
	if err != nil {
		t.Fatal(err)
	}
	if in.types == nil {
		in.types = []string{"m6i.2xlarge"}
	}
	inf := &ib.CreateInfrastructureConfigurationInput{Name: aws.String(name), InstanceProfileName: aws.String("EC2InstanceProfileForImageBuilder"),
		InstanceTypes: in.types, SecurityGroupIds: in.groups, ClientToken: aws.String(name + "-i")}
	if in.subnet != "" {
		inf.SubnetId = aws.String(in.subnet)
	}
	if in.keyPair != "" {
		inf.KeyPair = aws.String(in.keyPair)
	}
	i, err := w.ib.CreateInfrastructureConfiguration(ctx, inf)
	if err != nil {
		t.Fatal(err)
	}
	p := &ib.CreateImagePipelineInput{Name: aws.String(name), ImageRecipeArn: r.ImageRecipeArn,
		InfrastructureConfigurationArn: i.InfrastructureConfigurationArn, ClientToken: aws.String(name + "-p"),
		ImageTestsConfiguration: &types.ImageTestsConfiguration{ImageTestsEnabled: aws.Bool(false)}}
	if len(dists) > 0 {
		d, err := w.ib.CreateDistributionConfiguration(ctx, &ib.CreateDistributionConfigurationInput{Name: aws.String(name),
			Distributions: dists, ClientToken: aws.String(name + "-d")})
		if err != nil {
			t.Fatal(err)
		}
		p.DistributionConfigurationArn = d.DistributionConfigurationArn
	}
	if executionRole != "" {
		p.ExecutionRole = aws.String(executionRole)
	}
	out, err := w.ib.CreateImagePipeline(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ImagePipelineArn)
}

// run starts the pipeline and steps the clock through the build; it answers the final
// status and reason, the states seen before, and the image.
func (w *rworld) run(t *testing.T, pipelineArn string) (status types.ImageStatus, reason string, seen []string, img *types.Image) {
	t.Helper()
	w.n++
	st, err := w.ib.StartImagePipelineExecution(ctx, &ib.StartImagePipelineExecutionInput{ImagePipelineArn: aws.String(pipelineArn),
		ClientToken: aws.String(fmt.Sprintf("run-%d", w.n))})
	if err != nil {
		t.Fatal(err)
	}
	// The pipelines run without tests: step through the other states one by one.
	var steps []time.Duration
	for _, sd := range imagebuilder.StateDurations {
		if sd.State != "TESTING" {
			steps = append(steps, sd.Duration)
		}
	}
	for i := 0; i <= len(steps); i++ {
		img = imageStatus(t, w.ib, aws.ToString(st.ImageBuildVersionArn))
		switch img.State.Status {
		case types.ImageStatusAvailable, types.ImageStatusFailed, types.ImageStatusCancelled:
			return img.State.Status, aws.ToString(img.State.Reason), seen, img
		}
		seen = append(seen, string(img.State.Status))
		if i < len(steps) {
			w.clock.Advance(steps[i])
		}
	}
	t.Fatalf("the build never ended: %v", seen)
	return
}

func last(seen []string) string {
	if len(seen) == 0 {
		return ""
	}
	return seen[len(seen)-1]
}

// parameterValue answers the parameter's value, or "" when it does not exist.
func (w *rworld) parameterValue(region, name string) string {
	out, err := w.ssm(region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		return ""
	}
	return aws.ToString(out.Parameter.Value)
}

// lastModifiedUser is the LastModifiedUser of a parameter's newest version (its history).
func (w *rworld) lastModifiedUser(region, name string) string {
	out, err := w.ssm(region).GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String(name)})
	if err != nil || len(out.Parameters) == 0 {
		return ""
	}
	return aws.ToString(out.Parameters[len(out.Parameters)-1].LastModifiedUser)
}

// executionRole creates a role trusted by trustService with EC2ImageBuilderExecutionPolicy
// and, when params is not empty, an inline policy writing those parameter ARNs.
func (w *rworld) executionRole(t *testing.T, name, trustService string, params ...string) string {
	t.Helper()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + trustService + `"},"Action":"sts:AssumeRole"}]}`
	out, err := w.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/EC2ImageBuilderExecutionPolicy")}); err != nil {
		t.Fatal(err)
	}
	if len(params) > 0 {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:PutParameter"],"Resource":["` + strings.Join(params, `","`) + `"]},` +
			`{"Effect":"Allow","Action":"ec2:DescribeImages","Resource":"*"}]}`
		if _, err := w.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("publish"),
			PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	return aws.ToString(out.Role.Arn)
}

func paramARN(region, name string) string {
	return "arn:aws:ssm:" + region + ":" + awsemu.DefaultAccount + ":parameter/" + strings.TrimPrefix(name, "/")
}

// TestDistributionSSMParameterRights: the service-linked role may write parameters only
// under /imagebuilder/; elsewhere the build fails at DISTRIBUTING, naming principal,
// action and resource, and nothing is written; an execution role that may write the
// parameter publishes it.
func TestDistributionSSMParameterRights(t *testing.T) {
	w := newRWorld(t)
	slr := awsemu.ImageBuilderServiceRoleARN(awsemu.DefaultAccount)

	ok := w.pipeline(t, infra{}, []types.Distribution{dist("us-east-1", "/imagebuilder/prod/image_id", false, "")}, "")
	status, reason, _, img := w.run(t, ok)
	if status != types.ImageStatusAvailable {
		t.Fatalf("/imagebuilder/ parameter as the service-linked role: %s (%s)", status, reason)
	}
	if got := w.parameterValue("us-east-1", "/imagebuilder/prod/image_id"); got != aws.ToString(img.OutputResources.Amis[0].Image) {
		t.Errorf("/imagebuilder/prod/image_id = %q, want %s", got, aws.ToString(img.OutputResources.Amis[0].Image))
	}
	// Parameter Store records the session of the role Image Builder acted as, not the caller.
	if got, want := w.lastModifiedUser("us-east-1", "/imagebuilder/prod/image_id"),
		"arn:aws:sts::"+awsemu.DefaultAccount+":assumed-role/AWSServiceRoleForImageBuilder/"+imagebuilder.ImageBuilderSession; got != want {
		t.Errorf("/imagebuilder/prod/image_id LastModifiedUser %q, want %q", got, want)
	}

	refused := w.pipeline(t, infra{}, []types.Distribution{dist("us-east-1", "/imagebuilder/prod/other", false, ""),
		dist("us-west-2", "/winami/prod/image_id", false, "")}, "")
	status, reason, seen, _ := w.run(t, refused)
	want := "User: " + slr + " is not authorized to perform: ssm:PutParameter on resource: " + paramARN("us-west-2", "/winami/prod/image_id")
	if status != types.ImageStatusFailed || last(seen) != "DISTRIBUTING" || !strings.Contains(reason, want) || !strings.Contains(reason, "AccessDenied") {
		t.Fatalf("/winami/ parameter as the service-linked role: %s after %v (%s)", status, seen, reason)
	}
	if got := w.parameterValue("us-west-2", "/winami/prod/image_id"); got != "" {
		t.Errorf("refused parameter written: %s", got)
	}

	role := w.executionRole(t, "prod-imagebuilder-execution", "imagebuilder.amazonaws.com",
		paramARN("us-east-1", "/winami/prod/image_id"), paramARN("us-west-2", "/winami/prod/image_id"))
	both := []types.Distribution{dist("us-east-1", "/winami/prod/image_id", false, ""), dist("us-west-2", "/winami/prod/image_id", false, "")}
	for _, ref := range []string{"prod-imagebuilder-execution", role} {
		status, reason, _, img = w.run(t, w.pipeline(t, infra{}, both, ref))
		if status != types.ImageStatusAvailable {
			t.Fatalf("execution role %s: %s (%s)", ref, status, reason)
		}
		for _, a := range img.OutputResources.Amis {
			if got := w.parameterValue(aws.ToString(a.Region), "/winami/prod/image_id"); got != aws.ToString(a.Image) {
				t.Errorf("%s: parameter in %s = %q, want %s", ref, aws.ToString(a.Region), got, aws.ToString(a.Image))
			}
			if got, want := w.lastModifiedUser(aws.ToString(a.Region), "/winami/prod/image_id"),
				"arn:aws:sts::"+awsemu.DefaultAccount+":assumed-role/prod-imagebuilder-execution/"+imagebuilder.ImageBuilderSession; got != want {
				t.Errorf("%s: LastModifiedUser in %s %q, want %q", ref, aws.ToString(a.Region), got, want)
			}
		}
	}

	// The managed execution policy alone writes under /imagebuilder/ only.
	bare := w.executionRole(t, "bare-execution", "imagebuilder.amazonaws.com")
	status, reason, seen, _ = w.run(t, w.pipeline(t, infra{}, both[:1], "bare-execution"))
	if status != types.ImageStatusFailed || last(seen) != "DISTRIBUTING" || !strings.Contains(reason, "User: "+bare+" is not authorized to perform: ssm:PutParameter") {
		t.Fatalf("execution role without the parameter right: %s after %v (%s)", status, seen, reason)
	}
}

// TestExecutionRoleMustExistAndTrustImageBuilder: the build fails when it starts.
func TestExecutionRoleMustExistAndTrustImageBuilder(t *testing.T) {
	w := newRWorld(t)
	w.executionRole(t, "trusts-ec2", "ec2.amazonaws.com")
	for _, tc := range []struct{ role, reason string }{
		{"missing-role", "the role does not exist"},
		{"trusts-ec2", "its trust policy does not allow imagebuilder.amazonaws.com"},
	} {
		status, reason, seen, _ := w.run(t, w.pipeline(t, infra{}, nil, tc.role))
		if status != types.ImageStatusFailed || last(seen) != "CREATING" || !strings.Contains(reason, tc.reason) || !strings.Contains(reason, tc.role) {
			t.Errorf("execution role %s: %s after %v (%s)", tc.role, status, seen, reason)
		}
	}
	_, err := w.ib.CreateImagePipeline(ctx, &ib.CreateImagePipelineInput{Name: aws.String("bad-role"),
		ImageRecipeArn:                 aws.String("arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/rules-1/1.0.0"),
		InfrastructureConfigurationArn: aws.String("arn:aws:imagebuilder:us-east-1:123456789012:infrastructure-configuration/rules-1"),
		ExecutionRole:                  aws.String("arn:aws:iam::123456789012:user/not-a-role"), ClientToken: aws.String("bad-role")})
	apiError(t, err, "InvalidParameterValueException", 400)
}

// TestCreatePipelinePassRole: passing an execution role to Image Builder needs iam:PassRole
// with iam:PassedToService = imagebuilder.amazonaws.com.
func TestCreatePipelinePassRole(t *testing.T) {
	w := newRWorld(t)
	w.executionRole(t, "exec", "imagebuilder.amazonaws.com")
	first := w.pipeline(t, infra{}, nil, "exec") // as AdministratorAccess
	narrow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["imagebuilder:*","iam:GetRole"],"Resource":"*"},` +
		`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}]}`
	if _, err := w.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(awsemu.CallerUserName), PolicyName: aws.String("narrow"),
		PolicyDocument: aws.String(narrow)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.iam.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(awsemu.CallerUserName),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	got, err := w.ib.GetImagePipeline(ctx, &ib.GetImagePipelineInput{ImagePipelineArn: aws.String(first)})
	if err != nil {
		t.Fatal(err)
	}
	p := got.ImagePipeline
	_, err = w.ib.UpdateImagePipeline(ctx, &ib.UpdateImagePipelineInput{ImagePipelineArn: p.Arn, ImageRecipeArn: p.ImageRecipeArn,
		InfrastructureConfigurationArn: p.InfrastructureConfigurationArn, ExecutionRole: aws.String("exec"), ClientToken: aws.String("upd")})
	apiError(t, err, "AccessDeniedException", 403)
	if !strings.Contains(err.Error(), "iam:PassRole on resource: arn:aws:iam::123456789012:role/exec") {
		t.Errorf("PassRole refusal: %v", err)
	}
	// Without an execution role nothing is passed.
	if _, err := w.ib.UpdateImagePipeline(ctx, &ib.UpdateImagePipelineInput{ImagePipelineArn: p.Arn, ImageRecipeArn: p.ImageRecipeArn,
		InfrastructureConfigurationArn: p.InfrastructureConfigurationArn, ClientToken: aws.String("upd-2")}); err != nil {
		t.Fatal(err)
	}
}

// TestDistributionFastLaunchTemplateTag: the service-linked role may enable Fast Launch
// only with launch templates tagged CreatedBy: EC2 Image Builder; the template must exist
// in the distribution Region.
func TestDistributionFastLaunchTemplateTag(t *testing.T) {
	w := newRWorld(t)
	slr := awsemu.ImageBuilderServiceRoleARN(awsemu.DefaultAccount)
	west := w.ec2("us-west-2")
	mk := func(name string, tags map[string]string) string {
		in := &sdkec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
			LaunchTemplateData: &ec2types.RequestLaunchTemplateData{InstanceType: ec2types.InstanceTypeT3Xlarge}}
		if len(tags) > 0 {
			var ts []ec2types.Tag
			for k, v := range tags {
				ts = append(ts, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
			in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeLaunchTemplate, Tags: ts}}
		}
		out, err := west.CreateLaunchTemplate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.LaunchTemplate.LaunchTemplateId)
	}
	untagged := mk("fast-untagged", nil)
	mk("fast-tagged", map[string]string{"CreatedBy": "EC2 Image Builder"})

	status, reason, seen, _ := w.run(t, w.pipeline(t, infra{}, []types.Distribution{dist("us-west-2", "", true, untagged)}, ""))
	want := "User: " + slr + " is not authorized to perform: ec2:EnableFastLaunch on resource: arn:aws:ec2:us-west-2:" + awsemu.DefaultAccount + ":launch-template/" + untagged
	if status != types.ImageStatusFailed || last(seen) != "DISTRIBUTING" || !strings.Contains(reason, want) || !strings.Contains(reason, "UnauthorizedOperation") {
		t.Fatalf("untagged launch template: %s after %v (%s)", status, seen, reason)
	}
	status, reason, _, img := w.run(t, w.pipeline(t, infra{}, []types.Distribution{dist("us-west-2", "", true, "fast-tagged")}, ""))
	if status != types.ImageStatusAvailable {
		t.Fatalf("tagged launch template: %s (%s)", status, reason)
	}
	fl, err := west.DescribeFastLaunchImages(ctx, &sdkec2.DescribeFastLaunchImagesInput{ImageIds: []string{aws.ToString(img.OutputResources.Amis[0].Image)}})
	if err != nil || len(fl.FastLaunchImages) != 1 || aws.ToString(fl.FastLaunchImages[0].LaunchTemplate.LaunchTemplateName) != "fast-tagged" {
		t.Fatalf("fast launch of the tagged build: %+v %v", fl, err)
	}
	// A template that exists in the build Region only.
	status, reason, seen, _ = w.run(t, w.pipeline(t, infra{}, []types.Distribution{dist("us-east-1", "", true, "fast-tagged")}, ""))
	if status != types.ImageStatusFailed || last(seen) != "DISTRIBUTING" || !strings.Contains(reason, "fast-tagged does not exist in us-east-1") {
		t.Fatalf("template missing in the Region: %s after %v (%s)", status, seen, reason)
	}
}

// TestBuildLaunchChecks: the build instance's launch checks the instance types against the
// offerings of the subnet's zone, the subnet, the security groups and the key pair.
func TestBuildLaunchChecks(t *testing.T) {
	w := newRWorld(t)
	east := w.ec2("us-east-1")
	subnets, err := east.DescribeSubnets(ctx, &sdkec2.DescribeSubnetsInput{})
	if err != nil {
		t.Fatal(err)
	}
	zone := map[string]string{}
	for _, s := range subnets.Subnets {
		zone[aws.ToString(s.AvailabilityZone)] = aws.ToString(s.SubnetId)
	}
	vpc, err := east.CreateVpc(ctx, &sdkec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	otherGroup, err := east.CreateSecurityGroup(ctx, &sdkec2.CreateSecurityGroupInput{GroupName: aws.String("other"),
		Description: aws.String("other VPC"), VpcId: vpc.Vpc.VpcId})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := east.CreateKeyPair(ctx, &sdkec2.CreateKeyPairInput{KeyName: aws.String("builder")}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		in     infra
		reason string // "" → AVAILABLE
	}{
		{"type offered", infra{types: []string{"m6i.2xlarge"}}, ""},
		{"misspelled type", infra{types: []string{"m6i.2xlargee"}}, "Unsupported: none of the instance types [m6i.2xlargee] is offered in Availability Zone us-east-1a"},
		{"zone without the type", infra{types: []string{"m6i.2xlarge"}, subnet: zone["us-east-1e"]}, "[m6i.2xlarge] is offered in Availability Zone us-east-1e"},
		{"first type not offered, second offered", infra{types: []string{"m6i.2xlargee", "m5.2xlarge"}}, ""},
		{"subnet missing", infra{subnet: "subnet-0123456789abcdef0"}, "InvalidSubnetID.NotFound: The subnet ID 'subnet-0123456789abcdef0'"},
		{"group missing", infra{subnet: zone["us-east-1b"], groups: []string{"sg-0123456789abcdef0"}}, "InvalidGroup.NotFound: The security group 'sg-0123456789abcdef0'"},
		{"group of another VPC", infra{subnet: zone["us-east-1b"], groups: []string{aws.ToString(otherGroup.GroupId)}}, "belong to different networks"},
		{"key pair missing", infra{keyPair: "nope"}, "InvalidKeyPair.NotFound: The key pair 'nope'"},
		{"key pair exists", infra{keyPair: "builder"}, ""},
	} {
		status, reason, seen, _ := w.run(t, w.pipeline(t, tc.in, nil, ""))
		switch {
		case tc.reason == "" && status != types.ImageStatusAvailable:
			t.Errorf("%s: %s (%s)", tc.name, status, reason)
		case tc.reason != "" && (status != types.ImageStatusFailed || last(seen) != "CREATING" || !strings.Contains(reason, tc.reason)):
			t.Errorf("%s: %s after %v (%s), want FAILED entering BUILDING with %q", tc.name, status, seen, reason, tc.reason)
		}
	}
}

// TestDistributionFastLaunchWithoutTemplate: without a launch template EC2 Fast Launch
// builds its own resources with the permissions of the role Image Builder uses, which needs
// EC2FastLaunchFullAccess (Image Builder user guide): the service-linked role lacks it, so
// the enabling fails; an execution role with it succeeds.
func TestDistributionFastLaunchWithoutTemplate(t *testing.T) {
	w := newRWorld(t)
	fastState := func(img *types.Image) (ec2types.FastLaunchStateCode, string) {
		t.Helper()
		w.clock.Advance(time.Hour)
		a := img.OutputResources.Amis[0]
		d, err := w.ec2(aws.ToString(a.Region)).DescribeFastLaunchImages(ctx, &sdkec2.DescribeFastLaunchImagesInput{ImageIds: []string{aws.ToString(a.Image)}})
		if err != nil || len(d.FastLaunchImages) != 1 {
			t.Fatalf("DescribeFastLaunchImages: %+v %v", d, err)
		}
		return d.FastLaunchImages[0].State, aws.ToString(d.FastLaunchImages[0].StateTransitionReason)
	}
	status, reason, _, img := w.run(t, w.pipeline(t, infra{}, []types.Distribution{dist("us-east-1", "", true, "")}, ""))
	if status != types.ImageStatusAvailable {
		t.Fatalf("build: %s (%s)", status, reason)
	}
	if st, reason := fastState(img); st != ec2types.FastLaunchStateCodeEnablingFailed ||
		!strings.Contains(reason, awsemu.ImageBuilderServiceRoleARN(awsemu.DefaultAccount)+" is not authorized to perform: cloudformation:CreateStack") {
		t.Errorf("service-linked role without a template: %s (%s)", st, reason)
	}
	w.executionRole(t, "fast-exec", "imagebuilder.amazonaws.com")
	if _, err := w.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("fast-exec"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/EC2FastLaunchFullAccess")}); err != nil {
		t.Fatal(err)
	}
	status, reason, _, img = w.run(t, w.pipeline(t, infra{}, []types.Distribution{dist("us-east-1", "", true, "")}, "fast-exec"))
	if status != types.ImageStatusAvailable {
		t.Fatalf("build as fast-exec: %s (%s)", status, reason)
	}
	if st, reason := fastState(img); st != ec2types.FastLaunchStateCodeEnabled {
		t.Errorf("execution role with EC2FastLaunchFullAccess: %s (%s)", st, reason)
	}
}

// TestInfrastructureMetadataAndResourceTagLimits: instanceMetadataOptions and resourceTags
// are refused outside the API reference's ranges (httpTokens optional|required, hop limit
// 1..64, 0 included; at most 30 resource tags, keys 1..128, values ≤ 256), and accepted
// and returned within them.
func TestInfrastructureMetadataAndResourceTagLimits(t *testing.T) {
	w := newRWorld(t)
	many := map[string]string{}
	for i := 0; i < 31; i++ {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	for i, tc := range []struct {
		tokens string
		hops   *int32
		tags   map[string]string
		ok     bool
	}{
		{"required", aws.Int32(2), map[string]string{"team": "a"}, true},
		{"optional", aws.Int32(64), nil, true},
		{"v2", nil, nil, false},
		{"required", aws.Int32(0), nil, false},
		{"required", aws.Int32(65), nil, false},
		{"required", nil, many, false},
		{"required", nil, map[string]string{strings.Repeat("k", 129): "v"}, false},
		{"required", nil, map[string]string{"k": strings.Repeat("v", 257)}, false},
	} {
		name := fmt.Sprintf("imds-%d", i)
		out, err := w.ib.CreateInfrastructureConfiguration(ctx, &ib.CreateInfrastructureConfigurationInput{
			Name: aws.String(name), InstanceProfileName: aws.String("EC2InstanceProfileForImageBuilder"),
			InstanceMetadataOptions: &types.InstanceMetadataOptions{HttpTokens: aws.String(tc.tokens), HttpPutResponseHopLimit: tc.hops},
			ResourceTags:            tc.tags, ClientToken: aws.String(name)})
		if !tc.ok {
			apiError(t, err, "InvalidParameterValueException", 400)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := w.ib.GetInfrastructureConfiguration(ctx, &ib.GetInfrastructureConfigurationInput{InfrastructureConfigurationArn: out.InfrastructureConfigurationArn})
		if err != nil {
			t.Fatal(err)
		}
		ic := got.InfrastructureConfiguration
		if aws.ToString(ic.InstanceMetadataOptions.HttpTokens) != tc.tokens || aws.ToInt32(ic.InstanceMetadataOptions.HttpPutResponseHopLimit) != *tc.hops || fmt.Sprint(ic.ResourceTags) != fmt.Sprint(tc.tags) {
			t.Errorf("%s: returned %+v, %v", name, ic.InstanceMetadataOptions, ic.ResourceTags)
		}
	}
}
