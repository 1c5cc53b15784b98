package imagebuilder_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/services/imagebuilder"
)

// fakeEC2 is the cross-service edge: the AMIs Image Builder reads and writes.
type fakeEC2 struct {
	mu     sync.Mutex
	images map[string]awsemu.Image // region/id
	n      int
	fast   []string
}

func (f *fakeEC2) GetImage(region, id string) (awsemu.Image, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.images[region+"/"+id]
	return img, ok
}

func (f *fakeEC2) PutImage(img awsemu.Image) awsemu.Image {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	img.ID = fmt.Sprintf("ami-%017x", 0xb000+f.n)
	for i := range img.BlockDevices {
		if img.BlockDevices[i].SnapshotID == "" {
			img.BlockDevices[i].SnapshotID = fmt.Sprintf("snap-%017x", 0xc000+f.n*10+i)
		}
	}
	f.images[img.Region+"/"+img.ID] = img
	return img
}

func (f *fakeEC2) EnableFastLaunch(region, id, account string, s awsemu.FastLaunchSettings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s.MaxParallelLaunches < 6 {
		return errors.New("InvalidParameterValue: MaxParallelLaunches must be at least 6")
	}
	f.fast = append(f.fast, fmt.Sprintf("%s/%s/%d/%d", region, id, s.TargetResourceCount, s.MaxParallelLaunches))
	return nil
}

type fakeSSM struct {
	mu     sync.Mutex
	params map[string]awsemu.Parameter
}

func (f *fakeSSM) PutParameter(region, name, value, dataType, user string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.params[region+"/"+name]
	p.Name, p.Region, p.Type = name, region, "String"
	p.History = append(p.History, awsemu.ParameterVersion{Value: value, DataType: dataType, LastModifiedUser: user})
	f.params[region+"/"+name] = p
	return nil
}

func (f *fakeSSM) GetParameter(region, name string) (awsemu.Parameter, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.params[region+"/"+name]
	return p, ok
}

// The network lookups answer a world with every type offered, a default subnet in us-east-1a
// and nothing else (the rules that use them are tested against the real EC2 service).
func (f *fakeEC2) InstanceTypeOffered(region, az, instanceType string) bool { return true }

func (f *fakeEC2) Subnet(region, id string) (awsemu.Subnet, bool) { return awsemu.Subnet{}, false }

func (f *fakeEC2) SecurityGroup(region, id string) (awsemu.SecurityGroup, bool) {
	return awsemu.SecurityGroup{}, false
}

func (f *fakeEC2) DefaultSubnet(region, az string) (awsemu.Subnet, bool) {
	return awsemu.Subnet{ID: "subnet-0default", VpcID: "vpc-0default", AvailabilityZone: region + "a"}, true
}

func (f *fakeEC2) KeyPairExists(region, name string) bool { return false }

func (f *fakeEC2) LaunchTemplate(region, idOrName string) (awsemu.LaunchTemplate, bool) {
	return awsemu.LaunchTemplate{}, false
}

type fakeIAM map[string]bool

func (f fakeIAM) InstanceProfileExists(name string) bool { return f[name] }

// The fake allows everything and trusts every role it holds (the rules that use them are
// tested against the real IAM service).
func (f fakeIAM) Authorize(principal, action, resource string, ctx map[string][]string) (bool, string) {
	return true, ""
}

func (f fakeIAM) RoleTrusts(role, service string) (bool, bool) { return f[role], f[role] }

// AssumeRoleTrust: every role the fake holds trusts every principal.
func (f fakeIAM) AssumeRoleTrust(role, principal string, ctx map[string][]string) (awsemu.AssumableRole, bool) {
	arn, ok := f.RoleARN(role)
	return awsemu.AssumableRole{ARN: arn, Trusted: ok}, ok
}

func (f fakeIAM) RoleARN(role string) (string, bool) {
	return "arn:aws:iam::123456789012:role/" + role, f[role]
}

const parentAMI = "ami-0123456789abcdef0"

type env struct {
	srv    *awsemu.Server
	clock  *awsemu.ManualClock
	ec2    *fakeEC2
	ssm    *fakeSSM
	client *ib.Client
}

func start(t *testing.T) *env {
	t.Helper()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	e := startWith(t, clock)
	e.clock = clock
	return e
}

func startWith(t *testing.T, clock awsemu.Clock) *env {
	t.Helper()
	srv := awsemu.NewServer()
	srv.Clock = clock
	e := &env{srv: srv, ec2: &fakeEC2{images: map[string]awsemu.Image{}}, ssm: &fakeSSM{params: map[string]awsemu.Parameter{}}}
	e.ec2.images["us-east-1/"+parentAMI] = awsemu.Image{
		ID: parentAMI, Region: "us-east-1", Name: "Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15",
		OwnerID: "801119661308", State: "available", Platform: "windows", RootDeviceName: "/dev/sda1",
		BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", SnapshotID: "snap-0aaa", VolumeSize: 50, VolumeType: "gp3"}},
	}
	e.ssm.params["us-east-1//aws/service/parent"] = awsemu.Parameter{Name: "/aws/service/parent", History: []awsemu.ParameterVersion{{Value: parentAMI}}}
	srv.EC2, srv.SSM, srv.IAM = e.ec2, e.ssm, fakeIAM{"EC2InstanceProfileForImageBuilder": true}
	imagebuilder.New(srv)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	e.client = ib.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	return e
}

// apiError asserts err is an AWS API error with code (and HTTP status when status > 0).
func apiError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not a smithy.APIError; want %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	if status > 0 {
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != status {
			t.Fatalf("%s: HTTP status %v, want %d", code, err, status)
		}
	}
}

const doc = `name: cache
schemaVersion: 1.0
parameters:
  - Images:
      type: string
      default: mcr.microsoft.com/windows/nanoserver:ltsc2022
phases:
  - name: build
    steps:
      - name: Pull
        action: ExecutePowerShell
        inputs:
          commands: ["ctr -n k8s.io images pull {{ Images }}"]
`

var ctx = context.Background()

func createComponent(t *testing.T, c *ib.Client, name, version, token string) string {
	t.Helper()
	out, err := c.CreateComponent(ctx, &ib.CreateComponentInput{
		Name: aws.String(name), SemanticVersion: aws.String(version), Platform: types.PlatformWindows,
		Data: aws.String(doc), ClientToken: aws.String(token), Tags: map[string]string{"team": "win"},
	})
	if err != nil {
		t.Fatalf("CreateComponent %s/%s: %v", name, version, err)
	}
	return aws.ToString(out.ComponentBuildVersionArn)
}

func TestComponents(t *testing.T) {
	e := start(t)
	c := e.client
	arn := createComponent(t, c, "Image Cache", "1.0.0", "tok-1")
	if want := "arn:aws:imagebuilder:us-east-1:123456789012:component/image-cache/1.0.0/1"; arn != want {
		t.Fatalf("ARN %s, want %s", arn, want)
	}
	// Idempotent retry: same token and input give the same ARN and no second build.
	if again := createComponent(t, c, "Image Cache", "1.0.0", "tok-1"); again != arn {
		t.Fatalf("retry gave %s, want %s", again, arn)
	}
	_, err := c.CreateComponent(ctx, &ib.CreateComponentInput{Name: aws.String("Image Cache"), SemanticVersion: aws.String("1.0.1"),
		Platform: types.PlatformWindows, Data: aws.String(doc), ClientToken: aws.String("tok-1")})
	apiError(t, err, "IdempotentParameterMismatchException", 400)
	_, err = c.CreateComponent(ctx, &ib.CreateComponentInput{Name: aws.String("Image Cache"), SemanticVersion: aws.String("1.0.0"),
		Platform: types.PlatformWindows, Data: aws.String(doc), ClientToken: aws.String("tok-2")})
	apiError(t, err, "ResourceAlreadyExistsException", 400)
	for _, v := range []string{"1.0", "1.0.0.1", "v1.0.0", "1.0.x", "1073741824.0.0"} {
		_, err = c.CreateComponent(ctx, &ib.CreateComponentInput{Name: aws.String("other"), SemanticVersion: aws.String(v),
			Platform: types.PlatformWindows, Data: aws.String(doc), ClientToken: aws.String("v-" + v)})
		apiError(t, err, "InvalidVersionNumberException", 400)
	}
	for name, data := range map[string]string{
		"bad name!": doc, "x": doc,
	} {
		_, err = c.CreateComponent(ctx, &ib.CreateComponentInput{Name: aws.String(name), SemanticVersion: aws.String("1.0.0"),
			Platform: types.PlatformWindows, Data: aws.String(data), ClientToken: aws.String("n-" + name)})
		apiError(t, err, "InvalidParameterValueException", 400)
	}
	for i, data := range []string{"not: [yaml", "phases: []", "phases:\n  - name: deploy\n    steps: [{name: a, action: b}]",
		"phases:\n  - name: build\n    steps: [{name: a}]", strings.Repeat("#", 16001)} {
		_, err = c.CreateComponent(ctx, &ib.CreateComponentInput{Name: aws.String("bad-doc"), SemanticVersion: aws.String("1.0.0"),
			Platform: types.PlatformWindows, Data: aws.String(data), ClientToken: aws.String(fmt.Sprint("d-", i))})
		apiError(t, err, "InvalidParameterValueException", 400)
	}
	_, err = c.CreateComponent(ctx, &ib.CreateComponentInput{Name: aws.String("dry"), SemanticVersion: aws.String("1.0.0"),
		Platform: types.PlatformWindows, Data: aws.String(doc), ClientToken: aws.String("dry"), DryRun: true})
	apiError(t, err, "DryRunOperationException", 412)

	for _, ref := range []string{arn, "arn:aws:imagebuilder:us-east-1:123456789012:component/image-cache/1.0.0",
		"arn:aws:imagebuilder:us-east-1:123456789012:component/image-cache/x.x.x"} {
		got, err := c.GetComponent(ctx, &ib.GetComponentInput{ComponentBuildVersionArn: aws.String(ref)})
		if err != nil {
			t.Fatalf("GetComponent %s: %v", ref, err)
		}
		comp := got.Component
		if aws.ToString(comp.Arn) != arn || aws.ToString(comp.Name) != "Image Cache" || comp.Platform != types.PlatformWindows ||
			comp.Type != types.ComponentTypeBuild || aws.ToString(comp.Data) != doc || comp.Tags["team"] != "win" ||
			len(comp.Parameters) != 1 || aws.ToString(comp.Parameters[0].Name) != "Images" || aws.ToString(comp.Owner) != "123456789012" {
			t.Fatalf("GetComponent %s: %+v", ref, comp)
		}
	}
	_, err = c.GetComponent(ctx, &ib.GetComponentInput{ComponentBuildVersionArn: aws.String("arn:aws:imagebuilder:us-east-1:123456789012:component/nope/1.0.0/1")})
	apiError(t, err, "ResourceNotFoundException", 404)

	// Pagination over our own components.
	for i := 1; i <= 4; i++ {
		createComponent(t, c, "Image Cache", fmt.Sprintf("1.0.%d", i), fmt.Sprint("p-", i))
	}
	var versions []string
	p := ib.NewListComponentsPaginator(c, &ib.ListComponentsInput{MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, v := range out.ComponentVersionList {
			versions = append(versions, aws.ToString(v.Version))
		}
	}
	if pages != 3 || strings.Join(versions, ",") != "1.0.0,1.0.1,1.0.2,1.0.3,1.0.4" {
		t.Fatalf("%d pages, versions %v", pages, versions)
	}
	_, err = c.ListComponents(ctx, &ib.ListComponentsInput{NextToken: aws.String("garbage")})
	apiError(t, err, "InvalidPaginationTokenException", 400)

	// Amazon-managed components.
	out, err := c.ListComponents(ctx, &ib.ListComponentsInput{Owner: types.OwnershipAmazon,
		Filters: []types.Filter{{Name: aws.String("name"), Values: []string{"eks-optimized-ami-windows"}}}, MaxResults: aws.Int32(25)})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range out.ComponentVersionList {
		if aws.ToString(v.Arn) == "arn:aws:imagebuilder:us-east-1:aws:component/eks-optimized-ami-windows/1.31.0" && aws.ToString(v.Owner) == "Amazon" {
			found = true
		}
	}
	if !found {
		t.Fatalf("eks-optimized-ami-windows 1.31.0 not listed for owner Amazon: %+v", out.ComponentVersionList)
	}
	got, err := c.GetComponent(ctx, &ib.GetComponentInput{ComponentBuildVersionArn: aws.String("arn:aws:imagebuilder:us-east-1:aws:component/update-windows/1.0.x")})
	if err != nil || aws.ToString(got.Component.Arn) != "arn:aws:imagebuilder:us-east-1:aws:component/update-windows/1.0.2/1" {
		t.Fatalf("update-windows 1.0.x: %v %+v", err, got)
	}
	bv, err := c.ListComponentBuildVersions(ctx, &ib.ListComponentBuildVersionsInput{ComponentVersionArn: aws.String("arn:aws:imagebuilder:us-east-1:123456789012:component/image-cache/1.0.0")})
	if err != nil || len(bv.ComponentSummaryList) != 1 || aws.ToString(bv.ComponentSummaryList[0].Arn) != arn {
		t.Fatalf("ListComponentBuildVersions: %v %+v", err, bv)
	}

	// Delete.
	if _, err := c.DeleteComponent(ctx, &ib.DeleteComponentInput{ComponentBuildVersionArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteComponent(ctx, &ib.DeleteComponentInput{ComponentBuildVersionArn: aws.String(arn)})
	apiError(t, err, "ResourceNotFoundException", 404)
}

// world creates a component, recipe, infrastructure, distribution and pipeline.
type world struct {
	component, recipe, infra, dist, pipeline string
}

func makeWorld(t *testing.T, e *env, parent string, recipeTags map[string]string, profile string) world {
	t.Helper()
	c := e.client
	var w world
	w.component = createComponent(t, c, "cache", "1.0.0", "w-comp-"+t.Name())
	r, err := c.CreateImageRecipe(ctx, &ib.CreateImageRecipeInput{
		Name: aws.String("prod-win2022"), SemanticVersion: aws.String("1.0.0"), ParentImage: aws.String(parent),
		Components: []types.ComponentConfiguration{
			{ComponentArn: aws.String("arn:aws:imagebuilder:us-east-1:aws:component/eks-optimized-ami-windows/1.31.x")},
			{ComponentArn: aws.String(w.component)},
		},
		BlockDeviceMappings: []types.InstanceBlockDeviceMapping{{DeviceName: aws.String("/dev/sda1"),
			Ebs: &types.EbsInstanceBlockDeviceSpecification{VolumeSize: aws.Int32(120), VolumeType: types.EbsVolumeTypeGp3}}},
		Tags: recipeTags, ClientToken: aws.String("w-recipe"),
	})
	if err != nil {
		t.Fatalf("CreateImageRecipe: %v", err)
	}
	w.recipe = aws.ToString(r.ImageRecipeArn)
	in, err := c.CreateInfrastructureConfiguration(ctx, &ib.CreateInfrastructureConfigurationInput{
		Name: aws.String("prod-win2022"), InstanceProfileName: aws.String(profile), InstanceTypes: []string{"m6i.2xlarge"},
		ClientToken: aws.String("w-infra"),
	})
	if err != nil {
		t.Fatalf("CreateInfrastructureConfiguration: %v", err)
	}
	w.infra = aws.ToString(in.InfrastructureConfigurationArn)
	dist := func(region string) types.Distribution {
		return types.Distribution{Region: aws.String(region),
			AmiDistributionConfiguration: &types.AmiDistributionConfiguration{Name: aws.String("prod-win2022-{{imagebuilder:buildDate}}"),
				AmiTags: map[string]string{"winami": "prod-win2022"}},
			FastLaunchConfigurations: []types.FastLaunchConfiguration{{Enabled: true, MaxParallelLaunches: aws.Int32(6),
				SnapshotConfiguration: &types.FastLaunchSnapshotConfiguration{TargetResourceCount: aws.Int32(10)}}},
			SsmParameterConfigurations: []types.SsmParameterConfiguration{{ParameterName: aws.String("/winami/prod/image_id")}},
		}
	}
	d, err := c.CreateDistributionConfiguration(ctx, &ib.CreateDistributionConfigurationInput{
		Name: aws.String("prod-win2022"), Distributions: []types.Distribution{dist("us-east-1"), dist("us-west-2")}, ClientToken: aws.String("w-dist"),
	})
	if err != nil {
		t.Fatalf("CreateDistributionConfiguration: %v", err)
	}
	w.dist = aws.ToString(d.DistributionConfigurationArn)
	p, err := c.CreateImagePipeline(ctx, &ib.CreateImagePipelineInput{
		Name: aws.String("prod-win2022"), ImageRecipeArn: aws.String(w.recipe), InfrastructureConfigurationArn: aws.String(w.infra),
		DistributionConfigurationArn: aws.String(w.dist), ClientToken: aws.String("w-pipe"),
		ImageTestsConfiguration: &types.ImageTestsConfiguration{ImageTestsEnabled: aws.Bool(true)},
	})
	if err != nil {
		t.Fatalf("CreateImagePipeline: %v", err)
	}
	w.pipeline = aws.ToString(p.ImagePipelineArn)
	return w
}

func TestResources(t *testing.T) {
	e := start(t)
	c := e.client
	w := makeWorld(t, e, parentAMI, nil, "EC2InstanceProfileForImageBuilder")
	if w.recipe != "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/prod-win2022/1.0.0" ||
		w.pipeline != "arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/prod-win2022" {
		t.Fatalf("ARNs %+v", w)
	}
	rec, err := c.GetImageRecipe(ctx, &ib.GetImageRecipeInput{ImageRecipeArn: aws.String(w.recipe)})
	if err != nil || rec.ImageRecipe.Platform != types.PlatformWindows || aws.ToString(rec.ImageRecipe.ParentImage) != parentAMI ||
		len(rec.ImageRecipe.Components) != 2 || aws.ToInt32(rec.ImageRecipe.BlockDeviceMappings[0].Ebs.VolumeSize) != 120 {
		t.Fatalf("GetImageRecipe: %v %+v", err, rec)
	}
	_, err = c.CreateImageRecipe(ctx, &ib.CreateImageRecipeInput{Name: aws.String("prod-win2022"), SemanticVersion: aws.String("1.0.0"),
		ParentImage: aws.String(parentAMI), Components: []types.ComponentConfiguration{{ComponentArn: aws.String(w.component)}}, ClientToken: aws.String("dup")})
	apiError(t, err, "ResourceAlreadyExistsException", 400)
	_, err = c.CreateImageRecipe(ctx, &ib.CreateImageRecipeInput{Name: aws.String("other"), SemanticVersion: aws.String("1.0.0"),
		ParentImage: aws.String(parentAMI), Components: []types.ComponentConfiguration{{ComponentArn: aws.String("arn:aws:imagebuilder:us-east-1:aws:component/nope/1.0.x")}}, ClientToken: aws.String("nf")})
	apiError(t, err, "ResourceNotFoundException", 404)
	// At most 20 components: the same component 21 times is refused, 20 times accepted.
	many := make([]types.ComponentConfiguration, 21)
	for i := range many {
		many[i] = types.ComponentConfiguration{ComponentArn: aws.String(w.component)}
	}
	_, err = c.CreateImageRecipe(ctx, &ib.CreateImageRecipeInput{Name: aws.String("many"), SemanticVersion: aws.String("1.0.0"),
		ParentImage: aws.String(parentAMI), Components: many, ClientToken: aws.String("many-21")})
	apiError(t, err, "InvalidParameterValueException", 400)
	m20, err := c.CreateImageRecipe(ctx, &ib.CreateImageRecipeInput{Name: aws.String("many"), SemanticVersion: aws.String("1.0.0"),
		ParentImage: aws.String(parentAMI), Components: many[:20], ClientToken: aws.String("many-20")})
	if err != nil {
		t.Fatalf("a recipe of 20 components: %v", err)
	}
	if _, err := c.DeleteImageRecipe(ctx, &ib.DeleteImageRecipeInput{ImageRecipeArn: m20.ImageRecipeArn}); err != nil {
		t.Fatal(err)
	}

	// Updates in place.
	if _, err := c.UpdateInfrastructureConfiguration(ctx, &ib.UpdateInfrastructureConfigurationInput{
		InfrastructureConfigurationArn: aws.String(w.infra), InstanceProfileName: aws.String("EC2InstanceProfileForImageBuilder"),
		InstanceTypes: []string{"m6i.4xlarge"}, ClientToken: aws.String("u-infra")}); err != nil {
		t.Fatal(err)
	}
	inf, err := c.GetInfrastructureConfiguration(ctx, &ib.GetInfrastructureConfigurationInput{InfrastructureConfigurationArn: aws.String(w.infra)})
	if err != nil || inf.InfrastructureConfiguration.InstanceTypes[0] != "m6i.4xlarge" || inf.InfrastructureConfiguration.DateUpdated == nil {
		t.Fatalf("after update: %v %+v", err, inf)
	}
	if _, err := c.UpdateDistributionConfiguration(ctx, &ib.UpdateDistributionConfigurationInput{
		DistributionConfigurationArn: aws.String(w.dist), Distributions: []types.Distribution{{Region: aws.String("eu-west-1")}},
		ClientToken: aws.String("u-dist")}); err != nil {
		t.Fatal(err)
	}
	dl, err := c.ListDistributionConfigurations(ctx, &ib.ListDistributionConfigurationsInput{})
	if err != nil || len(dl.DistributionConfigurationSummaryList) != 1 || dl.DistributionConfigurationSummaryList[0].Regions[0] != "eu-west-1" {
		t.Fatalf("ListDistributionConfigurations: %v %+v", err, dl)
	}
	if _, err := c.UpdateImagePipeline(ctx, &ib.UpdateImagePipelineInput{ImagePipelineArn: aws.String(w.pipeline),
		ImageRecipeArn: aws.String(w.recipe), InfrastructureConfigurationArn: aws.String(w.infra), Status: types.PipelineStatusDisabled,
		ClientToken: aws.String("u-pipe")}); err != nil {
		t.Fatal(err)
	}
	pl, err := c.GetImagePipeline(ctx, &ib.GetImagePipelineInput{ImagePipelineArn: aws.String(w.pipeline)})
	if err != nil || pl.ImagePipeline.Status != types.PipelineStatusDisabled || pl.ImagePipeline.DistributionConfigurationArn != nil {
		t.Fatalf("GetImagePipeline: %v %+v", err, pl)
	}
	for _, f := range []func() error{
		func() error { _, err := c.ListImageRecipes(ctx, &ib.ListImageRecipesInput{}); return err },
		func() error {
			_, err := c.ListInfrastructureConfigurations(ctx, &ib.ListInfrastructureConfigurationsInput{})
			return err
		},
		func() error { _, err := c.ListImagePipelines(ctx, &ib.ListImagePipelinesInput{}); return err },
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}

	// Dependencies block deletes.
	_, err = c.DeleteComponent(ctx, &ib.DeleteComponentInput{ComponentBuildVersionArn: aws.String(w.component)})
	apiError(t, err, "ResourceDependencyException", 400)
	_, err = c.DeleteImageRecipe(ctx, &ib.DeleteImageRecipeInput{ImageRecipeArn: aws.String(w.recipe)})
	apiError(t, err, "ResourceDependencyException", 400)
	_, err = c.DeleteInfrastructureConfiguration(ctx, &ib.DeleteInfrastructureConfigurationInput{InfrastructureConfigurationArn: aws.String(w.infra)})
	apiError(t, err, "ResourceDependencyException", 400)

	// Tags.
	if _, err := c.TagResource(ctx, &ib.TagResourceInput{ResourceArn: aws.String(w.pipeline), Tags: map[string]string{"a": "1", "b": "2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &ib.UntagResourceInput{ResourceArn: aws.String(w.pipeline), TagKeys: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &ib.ListTagsForResourceInput{ResourceArn: aws.String(w.pipeline)})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["b"] != "2" {
		t.Fatalf("tags: %v %+v", err, tags)
	}
	_, err = c.ListTagsForResource(ctx, &ib.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/nope")})
	apiError(t, err, "ResourceNotFoundException", 404)

	// Delete in dependency order.
	for _, f := range []func() error{
		func() error {
			_, err := c.DeleteImagePipeline(ctx, &ib.DeleteImagePipelineInput{ImagePipelineArn: aws.String(w.pipeline)})
			return err
		},
		func() error {
			_, err := c.DeleteImageRecipe(ctx, &ib.DeleteImageRecipeInput{ImageRecipeArn: aws.String(w.recipe)})
			return err
		},
		func() error {
			_, err := c.DeleteInfrastructureConfiguration(ctx, &ib.DeleteInfrastructureConfigurationInput{InfrastructureConfigurationArn: aws.String(w.infra)})
			return err
		},
		func() error {
			_, err := c.DeleteDistributionConfiguration(ctx, &ib.DeleteDistributionConfigurationInput{DistributionConfigurationArn: aws.String(w.dist)})
			return err
		},
		func() error {
			_, err := c.DeleteComponent(ctx, &ib.DeleteComponentInput{ComponentBuildVersionArn: aws.String(w.component)})
			return err
		},
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.GetImagePipeline(ctx, &ib.GetImagePipelineInput{ImagePipelineArn: aws.String(w.pipeline)})
	apiError(t, err, "ResourceNotFoundException", 404)
}

func imageStatus(t *testing.T, c *ib.Client, arn string) *types.Image {
	t.Helper()
	out, err := c.GetImage(ctx, &ib.GetImageInput{ImageBuildVersionArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetImage: %v", err)
	}
	return out.Image
}

func TestBuild(t *testing.T) {
	e := start(t)
	c := e.client
	w := makeWorld(t, e, "ssm:/aws/service/parent", nil, "EC2InstanceProfileForImageBuilder")
	st, err := c.StartImagePipelineExecution(ctx, &ib.StartImagePipelineExecutionInput{ImagePipelineArn: aws.String(w.pipeline), ClientToken: aws.String("run-1")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(st.ImageBuildVersionArn)
	if arn != "arn:aws:imagebuilder:us-east-1:123456789012:image/prod-win2022/1.0.0/1" {
		t.Fatalf("image ARN %s", arn)
	}
	again, err := c.StartImagePipelineExecution(ctx, &ib.StartImagePipelineExecutionInput{ImagePipelineArn: aws.String(w.pipeline), ClientToken: aws.String("run-1")})
	if err != nil || aws.ToString(again.ImageBuildVersionArn) != arn {
		t.Fatalf("idempotent start: %v %v", err, again)
	}
	for _, sd := range imagebuilder.StateDurations {
		img := imageStatus(t, c, arn)
		if img.State.Status != types.ImageStatus(sd.State) {
			t.Fatalf("status %s, want %s", img.State.Status, sd.State)
		}
		if len(img.OutputResources.Amis) != 0 {
			t.Fatalf("AMIs before AVAILABLE: %+v", img.OutputResources.Amis)
		}
		e.clock.Advance(sd.Duration)
	}
	img := imageStatus(t, c, arn)
	if img.State.Status != types.ImageStatusAvailable || aws.ToString(img.OsVersion) != "Microsoft Windows Server 2022" {
		t.Fatalf("final image: %+v %+v", img.State, img.OsVersion)
	}
	if len(img.OutputResources.Amis) != 2 {
		t.Fatalf("AMIs %+v", img.OutputResources.Amis)
	}
	for _, a := range img.OutputResources.Amis {
		ami, ok := e.ec2.GetImage(aws.ToString(a.Region), aws.ToString(a.Image))
		if !ok {
			t.Fatalf("AMI %s not stored in %s", aws.ToString(a.Image), aws.ToString(a.Region))
		}
		if ami.OwnerID != "123456789012" || ami.Platform != "windows" || aws.ToString(a.AccountId) != "123456789012" ||
			ami.Name != "prod-win2022-2026-11-26T12-50-00.000Z" || aws.ToString(a.Name) != ami.Name ||
			ami.Tags["Ec2ImageBuilderArn"] != arn || ami.Tags["CreatedBy"] != "EC2 Image Builder" || ami.Tags["winami"] != "prod-win2022" ||
			len(ami.BlockDevices) != 1 || ami.BlockDevices[0].VolumeSize != 120 || ami.BlockDevices[0].SnapshotID == "" || ami.BlockDevices[0].SnapshotID == "snap-0aaa" {
			t.Fatalf("AMI %+v", ami)
		}
		p, ok := e.ssm.GetParameter(ami.Region, "/winami/prod/image_id")
		if !ok || p.History[len(p.History)-1].Value != ami.ID || p.History[0].DataType != "aws:ec2:image" {
			t.Fatalf("parameter in %s: %+v", ami.Region, p)
		}
	}
	if len(e.ec2.fast) != 2 || !strings.HasSuffix(e.ec2.fast[0], "/10/6") {
		t.Fatalf("fast launch calls %v", e.ec2.fast)
	}
	list, err := c.ListImagePipelineImages(ctx, &ib.ListImagePipelineImagesInput{ImagePipelineArn: aws.String(w.pipeline)})
	if err != nil || len(list.ImageSummaryList) != 1 || list.ImageSummaryList[0].State.Status != types.ImageStatusAvailable {
		t.Fatalf("ListImagePipelineImages: %v %+v", err, list)
	}
	pl, err := c.GetImagePipeline(ctx, &ib.GetImagePipelineInput{ImagePipelineArn: aws.String(w.pipeline)})
	if err != nil || pl.ImagePipeline.LastRunStatus != types.ImageStatusAvailable {
		t.Fatalf("pipeline last run: %v %+v", err, pl)
	}
	// A second run gets build 2; GetImage with the version ARN finds the newest build.
	st2, err := c.StartImagePipelineExecution(ctx, &ib.StartImagePipelineExecutionInput{ImagePipelineArn: aws.String(w.pipeline), ClientToken: aws.String("run-2")})
	if err != nil || !strings.HasSuffix(aws.ToString(st2.ImageBuildVersionArn), "/1.0.0/2") {
		t.Fatalf("second run: %v %v", err, st2)
	}
	if got := imageStatus(t, c, "arn:aws:imagebuilder:us-east-1:123456789012:image/prod-win2022/1.0.0"); aws.ToString(got.Arn) != aws.ToString(st2.ImageBuildVersionArn) {
		t.Fatalf("version ARN resolved to %s", aws.ToString(got.Arn))
	}
	_, err = c.DeleteImagePipeline(ctx, &ib.DeleteImagePipelineInput{ImagePipelineArn: aws.String(w.pipeline)})
	apiError(t, err, "ResourceDependencyException", 400)
	if _, err := c.CancelImageCreation(ctx, &ib.CancelImageCreationInput{ImageBuildVersionArn: st2.ImageBuildVersionArn, ClientToken: aws.String("c-1")}); err != nil {
		t.Fatal(err)
	}
	if got := imageStatus(t, c, aws.ToString(st2.ImageBuildVersionArn)); got.State.Status != types.ImageStatusCancelled {
		t.Fatalf("after cancel: %s", got.State.Status)
	}
	_, err = c.CancelImageCreation(ctx, &ib.CancelImageCreationInput{ImageBuildVersionArn: aws.String(arn), ClientToken: aws.String("c-2")})
	apiError(t, err, "ResourceInUseException", 400)
}

func TestBuildFails(t *testing.T) {
	cases := []struct {
		name, parent, profile string
		tags                  map[string]string
		// before is the last state seen before FAILED: failures happen on entering the next.
		before, reason string
	}{
		{"parent missing", "ami-0000000000000dead", "EC2InstanceProfileForImageBuilder", nil, "CREATING", "ami-0000000000000dead"},
		{"ssm parent missing", "ssm:/nope", "EC2InstanceProfileForImageBuilder", nil, "CREATING", "/nope"},
		{"instance profile missing", parentAMI, "NoSuchProfile", nil, "CREATING", "NoSuchProfile"},
		{"injected", parentAMI, "EC2InstanceProfileForImageBuilder", map[string]string{"awsemu:fail-at": "TESTING", "awsemu:fail-reason": "tests failed"}, "BUILDING", "tests failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t)
			w := makeWorld(t, e, tc.parent, tc.tags, tc.profile)
			st, err := e.client.StartImagePipelineExecution(ctx, &ib.StartImagePipelineExecutionInput{ImagePipelineArn: aws.String(w.pipeline), ClientToken: aws.String("r")})
			if err != nil {
				t.Fatal(err)
			}
			var seen []string
			for i := 0; i < 8; i++ {
				img := imageStatus(t, e.client, aws.ToString(st.ImageBuildVersionArn))
				seen = append(seen, string(img.State.Status))
				if img.State.Status == types.ImageStatusFailed {
					if !strings.Contains(aws.ToString(img.State.Reason), tc.reason) {
						t.Fatalf("reason %q does not name %q", aws.ToString(img.State.Reason), tc.reason)
					}
					if seen[len(seen)-2] != tc.before || len(img.OutputResources.Amis) != 0 {
						t.Fatalf("failed after %v (want after %s), AMIs %v", seen, tc.before, img.OutputResources.Amis)
					}
					return
				}
				e.clock.Advance(imagebuilder.StateDurations[i].Duration)
			}
			t.Fatalf("never FAILED: %v", seen)
		})
	}
}

func TestThrottlingIsRetried(t *testing.T) {
	e := start(t)
	arn := createComponent(t, e.client, "throttled", "1.0.0", "t-1")
	throttle := awsemu.FaultError{Throttle: true, Message: "Rate exceeded"}
	e.srv.Faults.FailNext("imagebuilder", "GetComponent", throttle)
	_, err := e.client.GetComponent(ctx, &ib.GetComponentInput{ComponentBuildVersionArn: aws.String(arn)})
	apiError(t, err, "TooManyRequestsException", 429)
	cfg := awstest.SDKConfig(e.srv.URL(), "us-east-1")
	cfg.RetryMaxAttempts = 3
	retrying := ib.NewFromConfig(cfg)
	e.srv.Faults.FailNext("imagebuilder", "GetComponent", throttle, throttle)
	if _, err := retrying.GetComponent(ctx, &ib.GetComponentInput{ComponentBuildVersionArn: aws.String(arn)}); err != nil {
		t.Fatalf("GetComponent with retries: %v", err)
	}
	if n := e.srv.Faults.Count("imagebuilder", "GetComponent", "us-east-1"); n != 4 {
		t.Fatalf("%d GetComponent requests, want 4 (1 throttled, then 2 throttled and 1 served)", n)
	}
}

// TestImageParentAndScaledClock builds on a scaled real clock, then builds a second
// recipe whose parent is the first build's Image Builder image ARN.
func TestImageParentAndScaledClock(t *testing.T) {
	// 50 simulated minutes of build pass in about 50 ms.
	e := startWith(t, awsemu.RealClock{Scale: 60000, Start: time.Now().UTC()})
	c := e.client
	w := makeWorld(t, e, parentAMI, nil, "EC2InstanceProfileForImageBuilder")
	st, err := c.StartImagePipelineExecution(ctx, &ib.StartImagePipelineExecutionInput{ImagePipelineArn: aws.String(w.pipeline), ClientToken: aws.String("s-1")})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var img *types.Image
	for {
		img = imageStatus(t, c, aws.ToString(st.ImageBuildVersionArn))
		if img.State.Status == types.ImageStatusAvailable || img.State.Status == types.ImageStatusFailed || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if img.State.Status != types.ImageStatusAvailable {
		t.Fatalf("scaled build ended %s (%s)", img.State.Status, aws.ToString(img.State.Reason))
	}
	for _, tc := range []struct {
		name, parent string
		want         types.ImageStatus
	}{
		{"child", "arn:aws:imagebuilder:us-east-1:123456789012:image/prod-win2022/x.x.x", types.ImageStatusAvailable},
		{"orphan", "arn:aws:imagebuilder:us-east-1:123456789012:image/nothing/1.0.0/1", types.ImageStatusFailed},
	} {
		r, err := c.CreateImageRecipe(ctx, &ib.CreateImageRecipeInput{Name: aws.String(tc.name), SemanticVersion: aws.String("1.0.0"),
			ParentImage: aws.String(tc.parent), Components: []types.ComponentConfiguration{{ComponentArn: aws.String(w.component)}},
			ClientToken: aws.String("r-" + tc.name)})
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.CreateImagePipeline(ctx, &ib.CreateImagePipelineInput{Name: aws.String(tc.name), ImageRecipeArn: r.ImageRecipeArn,
			InfrastructureConfigurationArn: aws.String(w.infra), ClientToken: aws.String("p-" + tc.name)})
		if err != nil {
			t.Fatal(err)
		}
		run, err := c.StartImagePipelineExecution(ctx, &ib.StartImagePipelineExecutionInput{ImagePipelineArn: p.ImagePipelineArn, ClientToken: aws.String("x-" + tc.name)})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			img = imageStatus(t, c, aws.ToString(run.ImageBuildVersionArn))
			if img.State.Status == types.ImageStatusAvailable || img.State.Status == types.ImageStatusFailed || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if img.State.Status != tc.want {
			t.Fatalf("%s: %s (%s), want %s", tc.name, img.State.Status, aws.ToString(img.State.Reason), tc.want)
		}
		if tc.want == types.ImageStatusAvailable {
			// Without a distribution configuration the AMI lands in the build region only.
			if len(img.OutputResources.Amis) != 1 || aws.ToString(img.OutputResources.Amis[0].Region) != "us-east-1" {
				t.Fatalf("%s AMIs: %+v", tc.name, img.OutputResources.Amis)
			}
			ami, _ := e.ec2.GetImage("us-east-1", aws.ToString(img.OutputResources.Amis[0].Image))
			if !strings.HasPrefix(ami.Name, "child ") || ami.BlockDevices[0].VolumeSize != 120 {
				t.Fatalf("%s AMI: %+v", tc.name, ami)
			}
		}
	}
}
