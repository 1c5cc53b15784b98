package imagebuilder_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/check"
	"github.com/winami/winami/component"
	"github.com/winami/winami/imagebuilder"
)

const (
	region    = "us-east-1"
	region2   = "us-west-2"
	parameter = "/winami/t-win2022/image_id"
	// publishRole is the execution role the tests that build give their pipeline.
	publishRole = "t-win2022-imagebuilder-execution"
)

// env is one emulator and clients that reach it through the SDK.
type env struct {
	srv     *awsemu.Server
	clients imagebuilder.Clients
}

// newEnv starts awsemu on a clock that runs 6000× faster than real time (a 50-minute
// build takes half a second). retries > 1 turns on the SDK's standard retryer.
func newEnv(t *testing.T, retries int, httpClient aws.HTTPClient) *env {
	t.Helper()
	srv := emulatortest.Start(t, emulator.WithClock(awsemu.RealClock{Scale: 6000, Start: time.Now()}))
	cfg := awstest.SDKConfig(srv.URL(), region)
	if retries > 1 {
		cfg.RetryMaxAttempts = retries
		cfg.Retryer = func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = retries
				o.MaxBackoff = 20 * time.Millisecond
				o.RateLimiter = ratelimit.None
			})
		}
	}
	if httpClient != nil {
		cfg.HTTPClient = httpClient
	}
	return &env{srv: srv, clients: wrapClients(awsapi.FromConfig(cfg))}
}

// wrapClients lets a test file substitute clients (none does by default).
var wrapClients = func(c *awsapi.Clients) imagebuilder.Clients { return c }

// desired is the state a spec named t-win2022 renders to: a 2022 Core EKS-optimized parent
// for Kubernetes 1.31, one image-cache component, two distribution regions with Fast
// Launch, and a published parameter.
func desired(t *testing.T, images ...string) *imagebuilder.Desired {
	t.Helper()
	var imgs []component.Image
	for _, ref := range images {
		imgs = append(imgs, component.Image{Ref: ref})
	}
	docs, err := component.Render(component.Options{Name: "t-win2022-image-cache", Images: imgs})
	if err != nil {
		t.Fatal(err)
	}
	d := &imagebuilder.Desired{
		Name:             "t-win2022",
		Region:           region,
		PublishParameter: parameter,
		RootVolumeAuto:   true,
		CacheImages:      images,
		SpecHash:         strings.Join(images, ","),
	}
	recipe := &ib.CreateImageRecipeInput{
		Name:            aws.String("t-win2022"),
		SemanticVersion: aws.String("1.0.0"),
		ParentImage:     aws.String("ssm:" + catalog.EKSOptimizedParameter("2022", catalog.Core, "1.31")),
		Components: []types.ComponentConfiguration{
			{ComponentArn: aws.String(catalog.ManagedComponentARN(region, catalog.ComponentUpdateWindows, "x.x.x"))},
		},
	}
	for _, doc := range docs {
		d.Components = append(d.Components, &ib.CreateComponentInput{
			Name:                aws.String(doc.Name),
			SemanticVersion:     aws.String("1.0.0"),
			Platform:            types.PlatformWindows,
			Data:                aws.String(doc.Data),
			SupportedOsVersions: []string{"Microsoft Windows Server 2022"},
		})
		recipe.Components = append(recipe.Components, types.ComponentConfiguration{
			ComponentArn: aws.String(fmt.Sprintf("arn:aws:imagebuilder:%s:123456789012:component/%s/1.0.0", region, doc.Name)),
		})
	}
	d.Recipe = recipe
	d.Infrastructure = &ib.CreateInfrastructureConfigurationInput{
		Name:                       aws.String("t-win2022"),
		InstanceProfileName:        aws.String("EC2InstanceProfileForImageBuilder"),
		InstanceTypes:              []string{"m6i.2xlarge"},
		TerminateInstanceOnFailure: aws.Bool(true),
	}
	var dists []types.Distribution
	for _, r := range []string{region, region2} {
		dists = append(dists, types.Distribution{
			Region: aws.String(r),
			AmiDistributionConfiguration: &types.AmiDistributionConfiguration{
				Name: aws.String("t-win2022-{{imagebuilder:buildDate}}"),
			},
			FastLaunchConfigurations: []types.FastLaunchConfiguration{{
				Enabled:               true,
				MaxParallelLaunches:   aws.Int32(6),
				SnapshotConfiguration: &types.FastLaunchSnapshotConfiguration{TargetResourceCount: aws.Int32(10)},
			}},
		})
	}
	d.Distribution = &ib.CreateDistributionConfigurationInput{Name: aws.String("t-win2022"), Distributions: dists}
	d.Pipeline = &ib.CreateImagePipelineInput{
		Name:                    aws.String("t-win2022"),
		Status:                  types.PipelineStatusEnabled,
		ImageTestsConfiguration: &types.ImageTestsConfiguration{ImageTestsEnabled: aws.Bool(false)},
	}
	return d
}

// publishing gives d's pipeline the execution role a spec publishing outside /imagebuilder/
// gets by default, and creates that role in e as `winami apply --create-roles` would
// (trusted by Image Builder, EC2ImageBuilderExecutionPolicy and EC2FastLaunchFullAccess,
// and the inline policy that writes the parameter in both regions): without it awsemu's
// Image Builder, acting as its service-linked role, may not write /winami/… and the build
// ends FAILED, as on AWS.
func (e *env) publishing(t *testing.T, d *imagebuilder.Desired) *imagebuilder.Desired {
	t.Helper()
	d.Pipeline.ExecutionRole = aws.String(publishRole)
	ctx := context.Background()
	api := e.clients.IAM(region)
	if _, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(publishRole)}); err == nil {
		return d
	}
	if _, err := api.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(publishRole), AssumeRolePolicyDocument: aws.String(imagebuilder.ExecutionTrustPolicy)}); err != nil {
		t.Fatal(err)
	}
	for _, arn := range imagebuilder.ExecutionRolePolicies("aws", d.Distribution.Distributions) {
		if _, err := api.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(publishRole), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatal(err)
		}
	}
	doc := imagebuilder.PublishParameterPolicy("aws", e.srv.Account, parameter, []string{region, region2}).JSON()
	if _, err := api.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(publishRole),
		PolicyName: aws.String(imagebuilder.ExecutionRolePolicyName), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	return d
}

// applyAfterFault applies d; with failAt set, a first apply meets an injected IAM
// ServiceFailure on that operation and must fail, and the apply after it must converge.
// It returns the converged plan.
func (e *env) applyAfterFault(t *testing.T, d *imagebuilder.Desired, opts imagebuilder.Options, failAt string) *imagebuilder.Plan {
	t.Helper()
	ctx := context.Background()
	if failAt != "" {
		e.srv.Faults.FailNext("iam", failAt, awsemu.FaultError{Status: 500, Code: "ServiceFailure", Message: "injected"})
		if _, err := imagebuilder.Apply(ctx, e.clients, d, opts); err == nil {
			t.Fatalf("apply with %s failing succeeded", failAt)
		}
	}
	applied, err := imagebuilder.Apply(ctx, e.clients, d, opts)
	if err != nil {
		t.Fatal(err)
	}
	return applied
}

var mutatingOps = []string{
	"CreateComponent", "CreateImageRecipe", "CreateInfrastructureConfiguration", "UpdateInfrastructureConfiguration",
	"CreateDistributionConfiguration", "UpdateDistributionConfiguration", "CreateImagePipeline", "UpdateImagePipeline",
	"StartImagePipelineExecution", "CancelImageCreation", "DeleteComponent", "DeleteImageRecipe",
}

func (e *env) mutations() int {
	n := 0
	for _, op := range mutatingOps {
		n += e.srv.Faults.Count("imagebuilder", op, "")
	}
	return n
}

func actions(p *imagebuilder.Plan) map[string]imagebuilder.Action {
	out := map[string]imagebuilder.Action{}
	for _, c := range p.Changes {
		out[c.Resource+"/"+c.Name] = c.Action
	}
	return out
}

func buildOpts() imagebuilder.BuildOptions {
	return imagebuilder.BuildOptions{PollInterval: 20 * time.Millisecond}
}

const (
	aspnet = "mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022"
	myapp  = "111000111000.dkr.ecr.us-east-1.amazonaws.com/myapp:1.4.2"
	myapp2 = "111000111000.dkr.ecr.us-east-1.amazonaws.com/myapp:1.4.3"
)

// TestEndToEnd: apply → plan shows no change → change one image → plan shows a new
// component version and recipe version → apply → build → an AMI in each region, the
// parameter published, Fast Launch on; a second build with IfChanged starts nothing.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	d := e.publishing(t, desired(t, aspnet, myapp))

	plan, err := imagebuilder.PlanChanges(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for k, a := range actions(plan) {
		if a != imagebuilder.ActionCreate {
			t.Errorf("first plan: %s is %s, want create", k, a)
		}
	}
	if len(plan.Changes) != 5 || e.mutations() != 0 {
		t.Fatalf("first plan: %d changes, %d mutating calls; want 5 and 0", len(plan.Changes), e.mutations())
	}
	// auto: the parent's root volume plus 2 images estimated at 8 GiB each ×1.5 plus 20 GiB free.
	if plan.RootVolumeGiB != plan.Parent.RootVolumeGiB+24+20 || !plan.RootVolumeEstimated || plan.Parent.RootVolumeGiB == 0 {
		t.Errorf("root volume %d GiB (estimated %v) from parent %d GiB", plan.RootVolumeGiB, plan.RootVolumeEstimated, plan.Parent.RootVolumeGiB)
	}

	applied, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if applied.Mutations != 5 || e.mutations() != 5 {
		t.Fatalf("first apply: %d mutations reported, %d seen by the endpoint; want 5", applied.Mutations, e.mutations())
	}
	if v := applied.ComponentVersions["t-win2022-image-cache"]; v != "1.0.0" {
		t.Errorf("first component version %q, want 1.0.0", v)
	}

	// A second apply makes no mutating call and reports everything unchanged.
	e.srv.Faults.ResetCounts()
	again, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed() || again.Mutations != 0 || e.mutations() != 0 {
		t.Fatalf("second apply: changed=%v, %d mutations, %d seen: %+v", again.Changed(), again.Mutations, e.mutations(), again.Changes)
	}

	// One image changes: a new component version and a new recipe version, the pipeline
	// is updated to the new recipe; configurations stay.
	d2 := e.publishing(t, desired(t, aspnet, myapp2))
	plan2, err := imagebuilder.PlanChanges(ctx, e.clients, d2, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]imagebuilder.Action{
		"component/t-win2022-image-cache":        imagebuilder.ActionNewVersion,
		"image-recipe/t-win2022":                 imagebuilder.ActionNewVersion,
		"infrastructure-configuration/t-win2022": imagebuilder.ActionUnchanged,
		"distribution-configuration/t-win2022":   imagebuilder.ActionUnchanged,
		"image-pipeline/t-win2022":               imagebuilder.ActionUpdate,
	}
	got := actions(plan2)
	for k, a := range want {
		if got[k] != a {
			t.Errorf("plan after changing an image: %s is %q, want %q", k, got[k], a)
		}
	}
	for _, c := range plan2.Changes {
		switch c.Resource {
		case imagebuilder.ResourceComponent:
			if c.Version != "1.0.1" || !strings.Contains(c.Reason, "data changed (adds "+myapp2+"; removes "+myapp+")") {
				t.Errorf("component change %+v: want version 1.0.1 and a reason naming the images added and removed", c)
			}
		case imagebuilder.ResourceRecipe:
			if c.Version != "1.0.1" || !strings.Contains(c.Reason, "components[1].componentArn: component/t-win2022-image-cache/1.0.0 → component/t-win2022-image-cache/1.0.1") {
				t.Errorf("recipe change %+v: want version 1.0.1 and a reason naming the component", c)
			}
		case imagebuilder.ResourcePipeline:
			if !strings.Contains(c.Reason, "imageRecipeArn") {
				t.Errorf("pipeline change %+v: want a reason naming imageRecipeArn", c)
			}
		}
	}
	if e.mutations() != 0 {
		t.Fatalf("plan made %d mutating calls", e.mutations())
	}
	for _, c := range plan2.Changes {
		t.Logf("plan: %s %s %s (%s) %s", c.Resource, c.Name, c.Action, c.Version, c.Reason)
	}
	applied2, err := imagebuilder.Apply(ctx, e.clients, d2, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if applied2.Mutations != 3 {
		t.Errorf("apply after a change: %d mutations, want 3 (component, recipe, pipeline): %+v", applied2.Mutations, applied2.Changes)
	}

	// Build.
	var states []string
	opts := buildOpts()
	opts.Progress = func(p imagebuilder.Progress) { states = append(states, p.State) }
	res, err := imagebuilder.Build(ctx, e.clients, d2, applied2, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.State != "AVAILABLE" || !strings.Contains(res.Image, ":image/t-win2022/1.0.1/") || res.Parameter != parameter {
		t.Errorf("build result %+v", res)
	}
	if len(states) < 2 || states[len(states)-1] != "AVAILABLE" {
		t.Errorf("progress states %v, want several ending AVAILABLE", states)
	}
	if len(res.AMIs) != 2 || res.AMIs[0].Region != region || res.AMIs[1].Region != region2 {
		t.Fatalf("AMIs %+v, want one in each of %s and %s", res.AMIs, region, region2)
	}
	for _, a := range res.AMIs {
		out, err := e.clients.SSM(a.Region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(parameter)})
		if err != nil || aws.ToString(out.Parameter.Value) != a.ImageID || aws.ToString(out.Parameter.DataType) != "aws:ec2:image" {
			t.Errorf("parameter in %s: %v %+v, want %s with DataType aws:ec2:image", a.Region, err, out, a.ImageID)
		}
		if a.FastLaunch != "enabling" && a.FastLaunch != "enabled" {
			t.Errorf("Fast Launch of %s in %s is %q, want enabling or enabled", a.ImageID, a.Region, a.FastLaunch)
		}
		imgs, err := e.clients.EC2(a.Region).DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{a.ImageID}})
		if err != nil || len(imgs.Images) != 1 {
			t.Fatalf("describing %s in %s: %v", a.ImageID, a.Region, err)
		}
		tags := map[string]string{}
		for _, tg := range imgs.Images[0].Tags {
			tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		if tags[imagebuilder.InputsHashTag] != res.InputsHash || tags[imagebuilder.ParentImageTag] != applied2.Parent.ImageID ||
			!strings.Contains(tags[imagebuilder.ComponentsTag], "t-win2022-image-cache@1.0.1") {
			t.Errorf("AMI %s tags %v: want the build's inputs", a.ImageID, tags)
		}
		for _, bd := range imgs.Images[0].BlockDeviceMappings {
			if aws.ToString(bd.DeviceName) == aws.ToString(imgs.Images[0].RootDeviceName) && aws.ToInt32(bd.Ebs.VolumeSize) != applied2.RootVolumeGiB {
				t.Errorf("AMI %s root volume %d GiB, want the auto size %d", a.ImageID, aws.ToInt32(bd.Ebs.VolumeSize), applied2.RootVolumeGiB)
			}
		}
	}
	for _, p := range res.Published {
		if p.By != "imagebuilder" {
			t.Errorf("parameter in %s written by %s, want the distribution's ssmParameterConfigurations", p.Region, p.By)
		}
	}

	// Nothing changed: --if-changed starts nothing and names the same AMIs.
	e.srv.Faults.ResetCounts()
	opts.IfChanged = true
	same, err := imagebuilder.Build(ctx, e.clients, d2, applied2, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !same.Skipped || e.srv.Faults.Count("imagebuilder", "StartImagePipelineExecution", "") != 0 ||
		len(same.AMIs) != 2 || same.AMIs[0].ImageID != res.AMIs[0].ImageID || same.AMIs[1].ImageID != res.AMIs[1].ImageID {
		t.Errorf("build --if-changed with nothing changed: %+v", same)
	}
	// A changed input (another image) builds again.
	d3 := e.publishing(t, desired(t, aspnet))
	applied3, err := imagebuilder.Apply(ctx, e.clients, d3, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	changed, err := imagebuilder.Build(ctx, e.clients, d3, applied3, opts)
	if err != nil {
		t.Fatal(err)
	}
	if changed.Skipped || changed.AMIs[0].ImageID == res.AMIs[0].ImageID {
		t.Errorf("build --if-changed after a change did not build: %+v", changed)
	}
}

// crashingClient passes every request to the endpoint, but after the n-th mutating Image
// Builder call has been served it loses the response, as a process killed right after
// the call would: the change is made, the caller never hears of it.
type crashingClient struct {
	n    int64
	seen atomic.Int64
}

func (c *crashingClient) Do(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return nil, err
	}
	if r.Method == http.MethodPut && (strings.HasPrefix(r.URL.Path, "/Create") || strings.HasPrefix(r.URL.Path, "/Update")) {
		if c.seen.Add(1) == c.n {
			_ = resp.Body.Close()
			return nil, fmt.Errorf("simulated crash after %s", r.URL.Path)
		}
	}
	return resp, nil
}

// TestCrashSafety injects a crash after each mutating call of a first apply and of an
// apply that changes an image; applying again converges with no duplicate resource and
// no orphaned version.
func TestCrashSafety(t *testing.T) {
	ctx := context.Background()
	for _, scenario := range []struct {
		name  string
		calls int
		first []string // applied without faults before
		then  []string
	}{
		{"create", 5, nil, []string{aspnet, myapp}},
		{"change", 3, []string{aspnet, myapp}, []string{aspnet, myapp2}},
	} {
		for n := 1; n <= scenario.calls; n++ {
			t.Run(fmt.Sprintf("%s/after-call-%d", scenario.name, n), func(t *testing.T) {
				crash := &crashingClient{n: int64(n)}
				e := newEnv(t, 1, crash)
				if scenario.first != nil {
					crash.n = 0
					if _, err := imagebuilder.Apply(ctx, e.clients, desired(t, scenario.first...), imagebuilder.Options{}); err != nil {
						t.Fatal(err)
					}
					crash.seen.Store(0)
					crash.n = int64(n)
				}
				d := desired(t, scenario.then...)
				if _, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{}); err == nil || !strings.Contains(err.Error(), "simulated crash") {
					t.Fatalf("apply with a crash after call %d: %v", n, err)
				}
				if _, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{}); err != nil {
					t.Fatalf("apply after the crash: %v", err)
				}
				e.srv.Faults.ResetCounts()
				p, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if p.Changed() || e.mutations() != 0 {
					t.Errorf("third apply not converged: %+v (%d mutations)", p.Changes, e.mutations())
				}
				e.checkNoDuplicates(t, scenario.first != nil)
			})
		}
	}
}

// checkNoDuplicates checks one resource of each mutable kind, and versions 1.0.0 (and
// 1.0.1 after a change) of the component and recipe, nothing else.
func (e *env) checkNoDuplicates(t *testing.T, changed bool) {
	t.Helper()
	ctx := context.Background()
	api := e.clients.ImageBuilder(region)
	wantVersions := "1.0.0"
	if changed {
		wantVersions = "1.0.0,1.0.1"
	}
	comps, err := api.ListComponents(ctx, &ib.ListComponentsInput{Owner: types.OwnershipSelf})
	if err != nil {
		t.Fatal(err)
	}
	var cv []string
	for _, c := range comps.ComponentVersionList {
		cv = append(cv, aws.ToString(c.Version))
	}
	if strings.Join(cv, ",") != wantVersions {
		t.Errorf("component versions %v, want %s", cv, wantVersions)
	}
	recipes, err := api.ListImageRecipes(ctx, &ib.ListImageRecipesInput{Owner: types.OwnershipSelf})
	if err != nil {
		t.Fatal(err)
	}
	var rv []string
	for _, r := range recipes.ImageRecipeSummaryList {
		rv = append(rv, strings.TrimPrefix(aws.ToString(r.Arn)[strings.LastIndex(aws.ToString(r.Arn), "/"):], "/"))
	}
	if strings.Join(rv, ",") != wantVersions {
		t.Errorf("recipe versions %v, want %s", rv, wantVersions)
	}
	infras, err := api.ListInfrastructureConfigurations(ctx, &ib.ListInfrastructureConfigurationsInput{})
	if err != nil || len(infras.InfrastructureConfigurationSummaryList) != 1 {
		t.Errorf("infrastructure configurations: %v %d, want 1", err, len(infras.InfrastructureConfigurationSummaryList))
	}
	dists, err := api.ListDistributionConfigurations(ctx, &ib.ListDistributionConfigurationsInput{})
	if err != nil || len(dists.DistributionConfigurationSummaryList) != 1 {
		t.Errorf("distribution configurations: %v %d, want 1", err, len(dists.DistributionConfigurationSummaryList))
	}
	pipes, err := api.ListImagePipelines(ctx, &ib.ListImagePipelinesInput{})
	if err != nil || len(pipes.ImagePipelineList) != 1 {
		t.Fatalf("image pipelines: %v %d, want 1", err, len(pipes.ImagePipelineList))
	}
	// The pipeline uses the newest recipe.
	if !strings.HasSuffix(aws.ToString(pipes.ImagePipelineList[0].ImageRecipeArn), "/"+rv[len(rv)-1]) {
		t.Errorf("pipeline recipe %s, want version %s", aws.ToString(pipes.ImagePipelineList[0].ImageRecipeArn), rv[len(rv)-1])
	}
}

// TestThrottling: with 30% of all requests throttled, apply and build complete.
func TestThrottling(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 25, nil)
	e.srv.Faults.SetSeed(7)
	e.srv.Faults.SetThrottle(0.3)
	d := e.publishing(t, desired(t, aspnet, myapp))
	p, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := imagebuilder.Build(ctx, e.clients, d, p, buildOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.AMIs) != 2 || res.State != "AVAILABLE" {
		t.Errorf("throttled build: %+v", res)
	}
	// Throttling really happened: more requests reached the endpoint than succeeded.
	if n := e.srv.Faults.Count("imagebuilder", "", ""); n < 20 {
		t.Errorf("only %d Image Builder requests seen", n)
	}
	p2, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil || p2.Changed() {
		t.Errorf("second throttled apply: %v %+v", err, p2)
	}
}

// TestBuildFailed: a build that fails reports the reason and where the logs are.
func TestBuildFailed(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	d := desired(t, aspnet)
	d.Pipeline.Tags = map[string]string{"awsemu:fail-at": "BUILDING", "awsemu:fail-reason": "Step ExecutePowerShell failed: ctr pull: not found"}
	p, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = imagebuilder.Build(ctx, e.clients, d, p, buildOpts())
	var fe *imagebuilder.FailedError
	if !errors.As(err, &fe) {
		t.Fatalf("build: %v, want a FailedError", err)
	}
	if fe.State != "FAILED" || !strings.Contains(fe.Reason, "ctr pull: not found") || !strings.Contains(fe.Logs, "/aws/imagebuilder/t-win2022") {
		t.Errorf("failed build: %+v", fe)
	}
	// Nothing was published.
	if _, err := e.clients.SSM(region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(parameter)}); awsapi.ErrorCode(err) != "ParameterNotFound" {
		t.Errorf("parameter after a failed build: %v, want ParameterNotFound", err)
	}
}

// TestCancel: a running build is cancelled and ends CANCELLED.
func TestCancel(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	d := desired(t, aspnet)
	p, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	var once sync.Once
	opts := buildOpts()
	opts.Progress = func(imagebuilder.Progress) { once.Do(cancel) }
	_, err = imagebuilder.Build(wctx, e.clients, d, p, opts)
	var we *imagebuilder.WaitError
	if !errors.As(err, &we) || !imagebuilder.IsWaitInterrupted(err) || we.Image == "" {
		t.Fatalf("interrupted build: %v, want a WaitError", err)
	}
	if err := imagebuilder.Cancel(ctx, e.clients.ImageBuilder(region), we.Image); err != nil {
		t.Fatal(err)
	}
	img, err := imagebuilder.Follow(ctx, e.clients.ImageBuilder(region), we.Image, buildOpts())
	if err != nil || img.State.Status != types.ImageStatusCancelled {
		t.Fatalf("after cancel: %v %+v", err, img)
	}
}

// TestPreflight: a missing parent image or instance profile is a clear error before
// anything is created.
func TestPreflight(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		change func(d *imagebuilder.Desired)
		want   string
	}{
		{"parameter missing", func(d *imagebuilder.Desired) {
			d.Recipe.ParentImage = aws.String("ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.19/image_id")
		}, "SSM parameter /aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.19/image_id does not exist in us-east-1"},
		{"ami missing", func(d *imagebuilder.Desired) { d.Recipe.ParentImage = aws.String("ami-0123456789abcdef0") },
			"parent image ami-0123456789abcdef0 does not exist in us-east-1"},
		{"instance profile missing", func(d *imagebuilder.Desired) {
			d.Infrastructure.InstanceProfileName = aws.String("NoSuchProfile")
		}, `instance profile "NoSuchProfile" does not exist`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, 1, nil)
			d := desired(t, aspnet)
			tt.change(d)
			for _, f := range []func(context.Context, imagebuilder.Clients, *imagebuilder.Desired, imagebuilder.Options) (*imagebuilder.Plan, error){
				imagebuilder.PlanChanges, imagebuilder.Apply,
			} {
				_, err := f(ctx, e.clients, d, imagebuilder.Options{})
				var pe *check.PreflightError
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %v, want a PreflightError with %q", err, tt.want)
				}
			}
			if n := e.mutations(); n != 0 {
				t.Errorf("%d mutating calls before the error", n)
			}
		})
	}
}

// TestConcurrentApplies: two applies of the same spec at once send the same content with
// the same ClientTokens; both succeed and nothing is duplicated.
func TestConcurrentApplies(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = imagebuilder.Apply(ctx, e.clients, desired(t, aspnet, myapp), imagebuilder.Options{})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("apply %d: %v", i, err)
		}
	}
	e.checkNoDuplicates(t, false)
}

// TestServerFaults: a mutating call that fails on the server (nothing done), then apply
// again: converges with nothing duplicated.
func TestServerFaults(t *testing.T) {
	ctx := context.Background()
	for _, op := range []string{"CreateComponent", "CreateImageRecipe", "CreateInfrastructureConfiguration",
		"CreateDistributionConfiguration", "CreateImagePipeline"} {
		t.Run(op, func(t *testing.T) {
			e := newEnv(t, 1, nil)
			e.srv.Faults.FailNext("imagebuilder", op, awsemu.FaultError{Status: 500, Code: "ServiceException", Message: "injected"})
			d := desired(t, aspnet, myapp)
			if _, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{}); err == nil || !strings.Contains(err.Error(), "injected") {
				t.Fatalf("apply with %s failing: %v", op, err)
			}
			if _, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{}); err != nil {
				t.Fatal(err)
			}
			e.checkNoDuplicates(t, false)
		})
	}
}

// TestRemovedSettings: a tag or a region's Fast Launch removed from the spec is an update
// that removes it, not "unchanged".
func TestRemovedSettings(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	d := desired(t, aspnet)
	d.Distribution.Distributions[0].AmiDistributionConfiguration.AmiTags = map[string]string{"team": "platform", "cluster": "prod"}
	if _, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{}); err != nil {
		t.Fatal(err)
	}
	d = desired(t, aspnet)
	d.Distribution.Distributions[0].AmiDistributionConfiguration.AmiTags = map[string]string{"team": "platform"}
	d.Distribution.Distributions[1].FastLaunchConfigurations = nil
	p, err := imagebuilder.PlanChanges(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var dist imagebuilder.Change
	for _, c := range p.Changes {
		if c.Resource == imagebuilder.ResourceDistribution {
			dist = c
		}
	}
	if dist.Action != imagebuilder.ActionUpdate || !strings.Contains(dist.Reason, "distributions[0].amiDistributionConfiguration.amiTags") ||
		!strings.Contains(dist.Reason, "distributions[1].fastLaunchConfigurations") {
		t.Fatalf("distribution change %+v", dist)
	}
	if _, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{}); err != nil {
		t.Fatal(err)
	}
	got, err := e.clients.ImageBuilder(region).GetDistributionConfiguration(ctx, &ib.GetDistributionConfigurationInput{DistributionConfigurationArn: aws.String(dist.ARN)})
	if err != nil {
		t.Fatal(err)
	}
	ds := got.DistributionConfiguration.Distributions
	if len(ds[1].FastLaunchConfigurations) != 0 || len(ds[0].AmiDistributionConfiguration.AmiTags) != 1 {
		t.Errorf("after apply: %+v", ds)
	}
	if p, err := imagebuilder.PlanChanges(ctx, e.clients, d, imagebuilder.Options{}); err != nil || p.Changed() {
		t.Errorf("plan after apply: %v %+v", err, p)
	}
}

func (e *env) iamMutations() int {
	n := 0
	for _, op := range []string{"CreateRole", "AttachRolePolicy", "CreateInstanceProfile", "AddRoleToInstanceProfile"} {
		n += e.srv.Faults.Count("iam", op, "")
	}
	return n
}

// TestManagedInstanceProfile: asked to, apply creates the build instance's profile and
// role with the policies the build needs (ECR read for an ECR image), converges after a
// failure at each step, and a build runs with it.
func TestManagedInstanceProfile(t *testing.T) {
	ctx := context.Background()
	opts := imagebuilder.Options{ManageInstanceProfile: true}
	for _, failAt := range []string{"", "CreateRole", "AttachRolePolicy", "CreateInstanceProfile", "AddRoleToInstanceProfile"} {
		t.Run("fail-"+failAt, func(t *testing.T) {
			e := newEnv(t, 1, nil)
			d := e.publishing(t, desired(t, aspnet, myapp))
			d.Infrastructure.InstanceProfileName = aws.String("t-win2022-build")
			p, err := imagebuilder.PlanChanges(ctx, e.clients, d, opts)
			if err != nil {
				t.Fatal(err)
			}
			if c := p.Changes[0]; c.Resource != imagebuilder.ResourceInstanceProfile || c.Action != imagebuilder.ActionCreate ||
				!strings.Contains(c.Reason, "attach AmazonEC2ContainerRegistryReadOnly") {
				t.Fatalf("plan: %+v", c)
			}
			applied := e.applyAfterFault(t, d, opts, failAt)
			prof, err := e.clients.IAM(region).GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("t-win2022-build")})
			if err != nil || len(prof.InstanceProfile.Roles) != 1 {
				t.Fatalf("instance profile: %v %+v", err, prof)
			}
			pols, err := e.clients.IAM(region).ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: prof.InstanceProfile.Roles[0].RoleName})
			if err != nil || len(pols.AttachedPolicies) != 3 {
				t.Fatalf("role policies: %v %+v", err, pols)
			}
			e.srv.Faults.ResetCounts()
			again, err := imagebuilder.Apply(ctx, e.clients, d, opts)
			if err != nil || again.Changed() || e.iamMutations() != 0 || e.mutations() != 0 {
				t.Fatalf("second apply: %v, %d IAM and %d Image Builder mutations: %+v", err, e.iamMutations(), e.mutations(), again)
			}
			if failAt == "" {
				res, err := imagebuilder.Build(ctx, e.clients, d, applied, buildOpts())
				if err != nil || len(res.AMIs) != 2 {
					t.Fatalf("build with the created profile: %v %+v", err, res)
				}
			}
		})
	}
}

// TestIfChangedOutsideTheBuildRegion: when the build region is not a distribution region
// (Image Builder runs in us-east-1, the AMI goes only to us-west-2), --if-changed finds the
// newest AMI in the distribution region and starts nothing when nothing changed.
func TestIfChangedOutsideTheBuildRegion(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	d := e.publishing(t, desired(t, aspnet))
	d.Distribution.Distributions = d.Distribution.Distributions[1:]
	if rs := d.Regions(); len(rs) != 1 || rs[0] != region2 {
		t.Fatalf("distribution regions %v, want only %s", rs, region2)
	}
	p, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, err := imagebuilder.Build(ctx, e.clients, d, p, buildOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(first.AMIs) != 1 || first.AMIs[0].Region != region2 {
		t.Fatalf("first build AMIs %+v, want one in %s", first.AMIs, region2)
	}
	e.srv.Faults.ResetCounts()
	opts := buildOpts()
	opts.IfChanged = true
	same, err := imagebuilder.Build(ctx, e.clients, d, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.srv.Faults.Count("imagebuilder", "StartImagePipelineExecution", ""); !same.Skipped || n != 0 ||
		len(same.AMIs) != 1 || same.AMIs[0].ImageID != first.AMIs[0].ImageID {
		t.Errorf("build --if-changed with nothing changed: skipped=%v, %d builds started, AMIs %+v; want the AMI %s and no build",
			same.Skipped, n, same.AMIs, first.AMIs[0].ImageID)
	}
}

// TestPublishWhereImageBuilderDoesNot: a distribution edited outside winami lost
// ssmParameterConfigurations in one region; the build writes the parameter there itself
// (String, aws:ec2:image) and says so, and leaves Image Builder's write elsewhere.
func TestPublishWhereImageBuilderDoesNot(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	d := e.publishing(t, desired(t, aspnet))
	applied, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api := e.clients.ImageBuilder(region)
	got, err := api.GetDistributionConfiguration(ctx, &ib.GetDistributionConfigurationInput{DistributionConfigurationArn: aws.String(applied.DistributionARN)})
	if err != nil {
		t.Fatal(err)
	}
	dists := got.DistributionConfiguration.Distributions
	stripped := 0
	for i := range dists {
		if aws.ToString(dists[i].Region) == region2 && len(dists[i].SsmParameterConfigurations) > 0 {
			dists[i].SsmParameterConfigurations = nil
			stripped++
		}
	}
	if stripped != 1 {
		t.Fatalf("distribution %+v: want ssmParameterConfigurations in %s to remove", dists, region2)
	}
	if _, err := api.UpdateDistributionConfiguration(ctx, &ib.UpdateDistributionConfigurationInput{
		DistributionConfigurationArn: aws.String(applied.DistributionARN), Distributions: dists, ClientToken: aws.String("edited-outside-winami"),
	}); err != nil {
		t.Fatal(err)
	}
	p, err := imagebuilder.PlanChanges(ctx, e.clients, d, imagebuilder.Options{}) // build --no-apply
	if err != nil {
		t.Fatal(err)
	}
	res, err := imagebuilder.Build(ctx, e.clients, d, p, buildOpts())
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]string{}
	for _, pub := range res.Published {
		by[pub.Region] = pub.By
	}
	if by[region] != "imagebuilder" || by[region2] != "winami" {
		t.Errorf("published by %v, want imagebuilder in %s and winami in %s", by, region, region2)
	}
	for _, a := range res.AMIs {
		out, err := e.clients.SSM(a.Region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(parameter)})
		if err != nil || aws.ToString(out.Parameter.Value) != a.ImageID || aws.ToString(out.Parameter.DataType) != "aws:ec2:image" {
			t.Errorf("parameter in %s: %v %+v, want %s with DataType aws:ec2:image", a.Region, err, out, a.ImageID)
		}
	}
}
