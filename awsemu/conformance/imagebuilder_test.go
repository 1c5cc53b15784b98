//go:build conformance

package conformance_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/services/imagebuilder"
	"github.com/winami/winami/awsemu/world"
)

const cacheDocument = `name: image-cache
description: Caches container images in the k8s.io namespace.
schemaVersion: 1.0
phases:
  - name: build
    steps:
      - name: PullImages
        action: ExecutePowerShell
        inputs:
          commands:
            - ctr -n k8s.io images pull mcr.microsoft.com/windows/nanoserver:ltsc2022
`

// js renders v as a JSON command-line argument.
func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestImageBuilderWithAWSCLI drives every Image Builder operation awsemu implements with
// the AWS CLI (botocore parses each response with the imagebuilder model), builds an
// image on a manual clock and finds its AMI with aws ec2 and its parameter with aws ssm.
func TestImageBuilderWithAWSCLI(t *testing.T) {
	t.Parallel()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	ep, region := srv.URL(), "us-east-1"
	account := srv.Account
	cli := func(out any, args ...string) {
		t.Helper()
		awstest.CLIJSON(t, ep, region, out, append([]string{"imagebuilder"}, args...)...)
	}
	wantError := func(code string, args ...string) {
		t.Helper()
		got, msg := awstest.CLIError(t, ep, region, append([]string{"imagebuilder"}, args...)...)
		if got != code {
			t.Fatalf("aws imagebuilder %s: error %s (%s), want %s", strings.Join(args, " "), got, msg, code)
		}
	}

	// Components.
	var created struct {
		Arn    string `json:"componentBuildVersionArn"`
		Token  string `json:"clientToken"`
		Latest struct {
			LatestVersionArn string `json:"latestVersionArn"`
		} `json:"latestVersionReferences"`
	}
	cli(&created, "create-component", "--name", "image-cache", "--semantic-version", "1.0.0", "--platform", "Windows",
		"--data", cacheDocument, "--tags", "team=win", "--client-token", "comp-1")
	compARN := fmt.Sprintf("arn:aws:imagebuilder:%s:%s:component/image-cache/1.0.0/1", region, account)
	if created.Arn != compARN || created.Token != "comp-1" || created.Latest.LatestVersionArn != strings.TrimSuffix(compARN, "1.0.0/1")+"x.x.x" {
		t.Fatalf("create-component: %+v", created)
	}
	var again struct {
		Arn string `json:"componentBuildVersionArn"`
	}
	cli(&again, "create-component", "--name", "image-cache", "--semantic-version", "1.0.0", "--platform", "Windows",
		"--data", cacheDocument, "--tags", "team=win", "--client-token", "comp-1")
	if again.Arn != compARN {
		t.Fatalf("idempotent retry gave %s", again.Arn)
	}
	wantError("IdempotentParameterMismatchException", "create-component", "--name", "image-cache", "--semantic-version", "1.0.1",
		"--platform", "Windows", "--data", cacheDocument, "--client-token", "comp-1")
	wantError("ResourceAlreadyExistsException", "create-component", "--name", "image-cache", "--semantic-version", "1.0.0",
		"--platform", "Windows", "--data", cacheDocument)
	wantError("InvalidVersionNumberException", "create-component", "--name", "image-cache", "--semantic-version", "1.0",
		"--platform", "Windows", "--data", cacheDocument)
	wantError("InvalidParameterValueException", "create-component", "--name", "image-cache", "--semantic-version", "2.0.0",
		"--platform", "Windows", "--data", "phases: []")
	wantError("DryRunOperationException", "create-component", "--name", "dry", "--semantic-version", "1.0.0",
		"--platform", "Windows", "--data", cacheDocument, "--dry-run")

	var comp struct {
		Component struct {
			Arn, Name, Version, Type, Platform, Owner, Data, DateCreated string
			Tags                                                         map[string]string
			State                                                        struct{ Status string }
		}
	}
	cli(&comp, "get-component", "--component-build-version-arn", compARN)
	if c := comp.Component; c.Arn != compARN || c.Name != "image-cache" || c.Version != "1.0.0" || c.Type != "BUILD" ||
		c.Platform != "Windows" || c.Owner != account || c.Data != cacheDocument || c.Tags["team"] != "win" || c.State.Status != "ACTIVE" ||
		c.DateCreated != "2026-11-26T12:00:00.000Z" {
		t.Fatalf("get-component: %+v", c)
	}
	wantError("ResourceNotFoundException", "get-component", "--component-build-version-arn",
		fmt.Sprintf("arn:aws:imagebuilder:%s:%s:component/nope/1.0.0/1", region, account))

	type versionList struct {
		ComponentVersionList []struct{ Arn, Name, Version, Owner, Platform string }
	}
	var amazon versionList
	// --page-size 2 makes the CLI follow nextToken across pages.
	cli(&amazon, "list-components", "--owner", "Amazon", "--page-size", "2")
	wantManaged := len(world.KubernetesVersions()) + 3
	if len(amazon.ComponentVersionList) != wantManaged {
		t.Fatalf("list-components --owner Amazon: %d components, want %d", len(amazon.ComponentVersionList), wantManaged)
	}
	k8s := world.LatestKubernetes()
	eksARN := fmt.Sprintf("arn:aws:imagebuilder:%s:aws:component/%s/%s.0", region, world.ComponentEKS(), k8s)
	found := false
	for _, c := range amazon.ComponentVersionList {
		if c.Arn == eksARN && c.Owner == "Amazon" && c.Platform == "Windows" {
			found = true
		}
	}
	if !found {
		t.Fatalf("%s not listed: %+v", eksARN, amazon.ComponentVersionList)
	}
	var own versionList
	cli(&own, "list-components", "--filters", "name=name,values=image-cache")
	if len(own.ComponentVersionList) != 1 || own.ComponentVersionList[0].Arn != strings.TrimSuffix(compARN, "/1") {
		t.Fatalf("list-components: %+v", own)
	}
	var builds struct {
		ComponentSummaryList []struct{ Arn, Name string }
	}
	cli(&builds, "list-component-build-versions", "--component-version-arn", strings.TrimSuffix(compARN, "/1"))
	if len(builds.ComponentSummaryList) != 1 || builds.ComponentSummaryList[0].Arn != compARN {
		t.Fatalf("list-component-build-versions: %+v", builds)
	}

	// Recipe, infrastructure, distribution, pipeline.
	parent := "ssm:" + world.EKSOptimizedParameter("2022", world.Core, k8s)
	var rec struct {
		Arn string `json:"imageRecipeArn"`
	}
	cli(&rec, "create-image-recipe", "--name", "prod-win2022", "--semantic-version", "1.0.0", "--parent-image", parent,
		"--components", js([]map[string]string{{"componentArn": fmt.Sprintf("arn:aws:imagebuilder:%s:aws:component/%s/%s.x", region, world.ComponentEKS(), k8s)},
			{"componentArn": compARN}}),
		"--block-device-mappings", js([]map[string]any{{"deviceName": "/dev/sda1", "ebs": map[string]any{"volumeSize": 100, "volumeType": "gp3"}}}))
	recipeARN := fmt.Sprintf("arn:aws:imagebuilder:%s:%s:image-recipe/prod-win2022/1.0.0", region, account)
	if rec.Arn != recipeARN {
		t.Fatalf("create-image-recipe: %s", rec.Arn)
	}
	var gotRecipe struct {
		ImageRecipe struct {
			Arn, Name, Version, Platform, ParentImage, Owner string
			Components                                       []struct{ ComponentArn string }
		}
	}
	cli(&gotRecipe, "get-image-recipe", "--image-recipe-arn", recipeARN)
	if r := gotRecipe.ImageRecipe; r.Platform != "Windows" || r.ParentImage != parent || len(r.Components) != 2 || r.Owner != account {
		t.Fatalf("get-image-recipe: %+v", r)
	}
	var recipes struct {
		ImageRecipeSummaryList []struct{ Arn string }
	}
	cli(&recipes, "list-image-recipes")
	if len(recipes.ImageRecipeSummaryList) != 1 || recipes.ImageRecipeSummaryList[0].Arn != recipeARN {
		t.Fatalf("list-image-recipes: %+v", recipes)
	}
	wantError("ResourceAlreadyExistsException", "create-image-recipe", "--name", "prod-win2022", "--semantic-version", "1.0.0",
		"--parent-image", parent, "--components", js([]map[string]string{{"componentArn": compARN}}))

	var infra struct {
		Arn string `json:"infrastructureConfigurationArn"`
	}
	cli(&infra, "create-infrastructure-configuration", "--name", "prod-win2022", "--instance-profile-name", "EC2InstanceProfileForImageBuilder",
		"--instance-types", "m6i.2xlarge")
	cli(nil, "update-infrastructure-configuration", "--infrastructure-configuration-arn", infra.Arn,
		"--instance-profile-name", "EC2InstanceProfileForImageBuilder", "--instance-types", "m6i.4xlarge")
	var gotInfra struct {
		InfrastructureConfiguration struct {
			Arn, Name, InstanceProfileName, DateCreated, DateUpdated string
			InstanceTypes                                            []string
		}
	}
	cli(&gotInfra, "get-infrastructure-configuration", "--infrastructure-configuration-arn", infra.Arn)
	if i := gotInfra.InfrastructureConfiguration; i.InstanceTypes[0] != "m6i.4xlarge" || i.DateUpdated == "" ||
		i.Arn != fmt.Sprintf("arn:aws:imagebuilder:%s:%s:infrastructure-configuration/prod-win2022", region, account) {
		t.Fatalf("get-infrastructure-configuration: %+v", i)
	}
	var infras struct {
		InfrastructureConfigurationSummaryList []struct{ Arn, InstanceProfileName string }
	}
	cli(&infras, "list-infrastructure-configurations")
	if len(infras.InfrastructureConfigurationSummaryList) != 1 {
		t.Fatalf("list-infrastructure-configurations: %+v", infras)
	}

	distributions := func(regions ...string) string {
		var ds []map[string]any
		for _, r := range regions {
			ds = append(ds, map[string]any{
				"region": r,
				"amiDistributionConfiguration": map[string]any{"name": "prod-win2022-{{ imagebuilder:buildDate }}",
					"amiTags": map[string]string{"winami": "prod-win2022"}},
				"fastLaunchConfigurations": []map[string]any{{"enabled": true, "maxParallelLaunches": 6,
					"snapshotConfiguration": map[string]any{"targetResourceCount": 10}}},
				"ssmParameterConfigurations": []map[string]any{{"parameterName": "/winami/prod-win2022/image_id", "dataType": "aws:ec2:image"}},
			})
		}
		return js(ds)
	}
	var dist struct {
		Arn string `json:"distributionConfigurationArn"`
	}
	cli(&dist, "create-distribution-configuration", "--name", "prod-win2022", "--distributions", distributions("us-east-1"))
	cli(nil, "update-distribution-configuration", "--distribution-configuration-arn", dist.Arn, "--distributions", distributions("us-east-1", "us-west-2"))
	var gotDist struct {
		DistributionConfiguration struct {
			Arn            string
			TimeoutMinutes int
			Distributions  []struct{ Region string }
		}
	}
	cli(&gotDist, "get-distribution-configuration", "--distribution-configuration-arn", dist.Arn)
	if d := gotDist.DistributionConfiguration; len(d.Distributions) != 2 || d.TimeoutMinutes < 30 {
		t.Fatalf("get-distribution-configuration: %+v", d)
	}
	var dists struct {
		DistributionConfigurationSummaryList []struct {
			Arn     string
			Regions []string
		}
	}
	cli(&dists, "list-distribution-configurations")
	if len(dists.DistributionConfigurationSummaryList) != 1 || len(dists.DistributionConfigurationSummaryList[0].Regions) != 2 {
		t.Fatalf("list-distribution-configurations: %+v", dists)
	}

	// Publishing outside /imagebuilder/ needs an execution role that may write the
	// parameter (Image Builder's service-linked role may not): see rules_test.go.
	role := createExecutionRole(t, ep, "prod-win2022-imagebuilder-execution", "/winami/prod-win2022/image_id", "us-east-1", "us-west-2")
	// Fast Launch without a launch template needs EC2FastLaunchFullAccess on that role.
	awstest.CLIJSON(t, ep, region, nil, "iam", "attach-role-policy", "--role-name", "prod-win2022-imagebuilder-execution",
		"--policy-arn", "arn:aws:iam::aws:policy/EC2FastLaunchFullAccess")
	var pipe struct {
		Arn string `json:"imagePipelineArn"`
	}
	cli(&pipe, "create-image-pipeline", "--name", "prod-win2022", "--image-recipe-arn", recipeARN,
		"--infrastructure-configuration-arn", infra.Arn, "--distribution-configuration-arn", dist.Arn, "--status", "DISABLED",
		"--execution-role", "prod-win2022-imagebuilder-execution")
	cli(nil, "update-image-pipeline", "--image-pipeline-arn", pipe.Arn, "--image-recipe-arn", recipeARN,
		"--infrastructure-configuration-arn", infra.Arn, "--distribution-configuration-arn", dist.Arn, "--status", "ENABLED",
		"--execution-role", role)
	var gotPipe struct {
		ImagePipeline struct{ Arn, Name, Status, Platform, ImageRecipeArn string }
	}
	cli(&gotPipe, "get-image-pipeline", "--image-pipeline-arn", pipe.Arn)
	if p := gotPipe.ImagePipeline; p.Status != "ENABLED" || p.Platform != "Windows" || p.ImageRecipeArn != recipeARN {
		t.Fatalf("get-image-pipeline: %+v", p)
	}
	var pipes struct {
		ImagePipelineList []struct{ Arn string }
	}
	cli(&pipes, "list-image-pipelines")
	if len(pipes.ImagePipelineList) != 1 || pipes.ImagePipelineList[0].Arn != pipe.Arn {
		t.Fatalf("list-image-pipelines: %+v", pipes)
	}

	// A build, stepped on the manual clock.
	var run struct {
		Arn string `json:"imageBuildVersionArn"`
	}
	cli(&run, "start-image-pipeline-execution", "--image-pipeline-arn", pipe.Arn)
	type amiOut struct{ Region, Image, Name, AccountId string }
	var img struct {
		Image struct {
			Arn, Name, Version, Platform, OsVersion string
			State                                   struct{ Status, Reason string }
			OutputResources                         struct{ Amis []amiOut }
		}
	}
	for _, sd := range imagebuilder.StateDurations {
		cli(&img, "get-image", "--image-build-version-arn", run.Arn)
		if img.Image.State.Status != sd.State {
			t.Fatalf("get-image: %s, want %s", img.Image.State.Status, sd.State)
		}
		clock.Advance(sd.Duration)
	}
	cli(&img, "get-image", "--image-build-version-arn", run.Arn)
	if img.Image.State.Status != "AVAILABLE" || len(img.Image.OutputResources.Amis) != 2 || img.Image.OsVersion != "Microsoft Windows Server 2022" {
		t.Fatalf("get-image after the build: %+v", img.Image)
	}
	var summaries struct {
		ImageSummaryList []struct {
			Arn   string
			State struct{ Status string }
		}
	}
	cli(&summaries, "list-image-pipeline-images", "--image-pipeline-arn", pipe.Arn)
	if len(summaries.ImageSummaryList) != 1 || summaries.ImageSummaryList[0].State.Status != "AVAILABLE" {
		t.Fatalf("list-image-pipeline-images: %+v", summaries)
	}
	for _, a := range img.Image.OutputResources.Amis {
		var images struct {
			Images []struct {
				ImageId, Name, OwnerId, Platform string
				Tags                             []struct{ Key, Value string }
				BlockDeviceMappings              []struct {
					DeviceName string
					Ebs        struct {
						SnapshotId string
						VolumeSize int
					}
				}
			}
		}
		awstest.CLIJSON(t, ep, a.Region, &images, "ec2", "describe-images", "--image-ids", a.Image)
		if len(images.Images) != 1 {
			t.Fatalf("describe-images %s in %s: %+v", a.Image, a.Region, images)
		}
		ami := images.Images[0]
		tags := map[string]string{}
		for _, tg := range ami.Tags {
			tags[tg.Key] = tg.Value
		}
		if ami.OwnerId != account || ami.Platform != "windows" || ami.Name != a.Name || !strings.HasPrefix(ami.Name, "prod-win2022-2026-11-26T12-") ||
			tags["Ec2ImageBuilderArn"] != run.Arn || tags["CreatedBy"] != "EC2 Image Builder" || tags["winami"] != "prod-win2022" ||
			len(ami.BlockDeviceMappings) == 0 || ami.BlockDeviceMappings[0].Ebs.VolumeSize != 100 || ami.BlockDeviceMappings[0].Ebs.SnapshotId == "" {
			t.Fatalf("AMI in %s: %+v", a.Region, ami)
		}
		value, stderr, code := awstest.AWSCLI(t, ep, a.Region, "ssm", "get-parameter", "--name", "/winami/prod-win2022/image_id",
			"--query", "Parameter.Value", "--output", "text")
		if code != 0 || strings.TrimSpace(string(value)) != a.Image {
			t.Fatalf("published parameter in %s: %q %s", a.Region, value, stderr)
		}
		var fl struct {
			FastLaunchImages []struct{ ImageId, State string }
		}
		awstest.CLIJSON(t, ep, a.Region, &fl, "ec2", "describe-fast-launch-images", "--image-ids", a.Image)
		if len(fl.FastLaunchImages) != 1 {
			t.Fatalf("Fast Launch in %s: %+v", a.Region, fl)
		}
	}

	// A second build, cancelled; a build that fails by injection.
	cli(&run, "start-image-pipeline-execution", "--image-pipeline-arn", pipe.Arn)
	cli(nil, "cancel-image-creation", "--image-build-version-arn", run.Arn)
	cli(&img, "get-image", "--image-build-version-arn", run.Arn)
	if img.Image.State.Status != "CANCELLED" {
		t.Fatalf("after cancel-image-creation: %+v", img.Image.State)
	}
	wantError("ResourceInUseException", "cancel-image-creation", "--image-build-version-arn", run.Arn)
	cli(&run, "start-image-pipeline-execution", "--image-pipeline-arn", pipe.Arn, "--tags", imagebuilder.FailAtTag+"=BUILDING")
	clock.Advance(time.Hour)
	cli(&img, "get-image", "--image-build-version-arn", run.Arn)
	if img.Image.State.Status != "FAILED" || !strings.Contains(img.Image.State.Reason, "BUILDING") {
		t.Fatalf("injected failure: %+v", img.Image.State)
	}

	// Tags.
	cli(nil, "tag-resource", "--resource-arn", pipe.Arn, "--tags", "a=1,b=2")
	cli(nil, "untag-resource", "--resource-arn", pipe.Arn, "--tag-keys", "a")
	var tags struct{ Tags map[string]string }
	cli(&tags, "list-tags-for-resource", "--resource-arn", pipe.Arn)
	if len(tags.Tags) != 1 || tags.Tags["b"] != "2" {
		t.Fatalf("list-tags-for-resource: %+v", tags)
	}

	// Deletes: dependencies first refuse, then everything goes in order.
	wantError("ResourceDependencyException", "delete-component", "--component-build-version-arn", compARN)
	wantError("ResourceDependencyException", "delete-image-recipe", "--image-recipe-arn", recipeARN)
	wantError("ResourceDependencyException", "delete-infrastructure-configuration", "--infrastructure-configuration-arn", infra.Arn)
	wantError("ResourceDependencyException", "delete-distribution-configuration", "--distribution-configuration-arn", dist.Arn)
	cli(nil, "delete-image-pipeline", "--image-pipeline-arn", pipe.Arn)
	cli(nil, "delete-image-recipe", "--image-recipe-arn", recipeARN)
	cli(nil, "delete-infrastructure-configuration", "--infrastructure-configuration-arn", infra.Arn)
	cli(nil, "delete-distribution-configuration", "--distribution-configuration-arn", dist.Arn)
	cli(nil, "delete-component", "--component-build-version-arn", compARN)
	wantError("ResourceNotFoundException", "get-image-pipeline", "--image-pipeline-arn", pipe.Arn)
}
