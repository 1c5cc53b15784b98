package render

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	winib "github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/spec"
)

// desiredOf is the state winami plan and apply converge to for rendered resources (as
// internal/cli builds it, images taken by reference).
func desiredOf(r *Resources) *winib.Desired {
	img := r.Spec
	d := &winib.Desired{
		Name:             img.Metadata.Name,
		Region:           img.Metadata.Region,
		Recipe:           r.ImageRecipe,
		Infrastructure:   r.InfrastructureConfiguration,
		Distribution:     r.DistributionConfiguration,
		Pipeline:         r.ImagePipeline,
		PublishParameter: img.Spec.Distribution.PublishParameter,
		PublishAccounts:  img.PublishAccounts(),
		PublishAfterScan: img.PublishAfterScan(),
		RootVolumeAuto:   img.Spec.Build.RootVolumeSize.Auto(),
		CacheImages:      img.Images(),
		SpecHash:         img.Hash(),
	}
	for _, c := range r.Components {
		d.Components = append(d.Components, c.Input)
	}
	return d
}

// sandboxExamples are the example specs, whose parents and regions the sandbox seeds.
func sandboxExamples(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(paths) < 3 {
		t.Fatalf("examples: %v, %v", paths, err)
	}
	return paths
}

// TestRenderedRootVolumeIsPlans: rootVolumeSize: auto is rendered offline as the size
// winami plan --no-registry wants for the same spec (the parent AMI read from the
// sandbox, the cache estimated), for an EKS-optimized parent and a Windows Server base one.
func TestRenderedRootVolumeIsPlans(t *testing.T) {
	srv := emulatortest.Start(t)
	for _, path := range sandboxExamples(t) {
		img, err := spec.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		img.Spec.Build.RootVolumeSize = spec.RootVolumeSize{} // auto, whatever the example says
		r, err := Render(img, Options{})
		if err != nil {
			t.Fatal(err)
		}
		clients := awsapi.FromConfig(awstest.SDKConfig(srv.URL(), img.Metadata.Region))
		p, err := winib.PlanChanges(context.Background(), clients, desiredOf(r), winib.Options{ManageInstanceProfile: true})
		if err != nil {
			t.Fatalf("%s: plan: %v", path, err)
		}
		if p.RootVolumeGiB != int32(r.RootVolumeGiB) || p.RootVolumeGiB == 0 {
			t.Errorf("%s (%s parent, %d images): render wrote a %d GiB root volume, plan wants %d GiB (parent %s of %d GiB)",
				path, img.Spec.Parent.Source, len(img.Images()), r.RootVolumeGiB, p.RootVolumeGiB, p.Parent.ImageID, p.Parent.RootVolumeGiB)
		}
	}
}

// decodeFile reads a rendered --cli-input-json file into the SDK request it stands for
// (encoding/json matches the service model's member names to the Go fields).
func decodeFile(t *testing.T, files []File, name string, into any) {
	t.Helper()
	for _, f := range files {
		if f.Name == name {
			if err := json.Unmarshal(f.Data, into); err != nil {
				t.Fatalf("decoding %s: %v", name, err)
			}
			return
		}
	}
	t.Fatalf("no rendered file %s", name)
}

// TestRenderedResourcesPlanUnchanged creates each example's resources from the rendered
// request files, as `aws imagebuilder create-… --cli-input-json` (and `aws iam …` for the
// execution role) would (through the SDK, with the sandbox's account id), then plans the
// same spec, execution role included (--create-roles): the components and the recipe are
// recognised by their content hash tag, the role has what apply would give it, and
// nothing is to change.
func TestRenderedResourcesPlanUnchanged(t *testing.T) {
	srv := emulatortest.Start(t)
	ctx := context.Background()
	for _, path := range sandboxExamples(t) {
		img, err := spec.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Render(img, Options{AccountID: srv.Account})
		if err != nil {
			t.Fatal(err)
		}
		files, err := r.Files()
		if err != nil {
			t.Fatal(err)
		}
		cfg := awstest.SDKConfig(srv.URL(), img.Metadata.Region)
		api := imagebuilder.NewFromConfig(cfg)
		if e := r.ExecutionRole; e != nil {
			iamAPI := iam.NewFromConfig(cfg)
			var role iam.CreateRoleInput
			decodeFile(t, files, "iam-create-role.json", &role)
			if _, err := iamAPI.CreateRole(ctx, &role); err != nil {
				t.Fatalf("%s: iam create-role: %v", path, err)
			}
			for _, pol := range e.ManagedPolicies {
				var in iam.AttachRolePolicyInput
				decodeFile(t, files, "iam-attach-role-policy-"+pol+".json", &in)
				if _, err := iamAPI.AttachRolePolicy(ctx, &in); err != nil {
					t.Fatalf("%s: iam attach-role-policy: %v", path, err)
				}
			}
			var in iam.PutRolePolicyInput
			decodeFile(t, files, "iam-put-role-policy.json", &in)
			if _, err := iamAPI.PutRolePolicy(ctx, &in); err != nil {
				t.Fatalf("%s: iam put-role-policy: %v", path, err)
			}
		}
		for _, c := range r.Components {
			var in imagebuilder.CreateComponentInput
			decodeFile(t, files, "create-component-"+fileName(c.Document.Name)+".json", &in)
			if _, err := api.CreateComponent(ctx, &in); err != nil {
				t.Fatalf("%s: create-component: %v", path, err)
			}
		}
		var recipe imagebuilder.CreateImageRecipeInput
		decodeFile(t, files, "create-image-recipe.json", &recipe)
		if _, err := api.CreateImageRecipe(ctx, &recipe); err != nil {
			t.Fatalf("%s: create-image-recipe: %v", path, err)
		}
		var infra imagebuilder.CreateInfrastructureConfigurationInput
		decodeFile(t, files, "create-infrastructure-configuration.json", &infra)
		if _, err := api.CreateInfrastructureConfiguration(ctx, &infra); err != nil {
			t.Fatalf("%s: create-infrastructure-configuration: %v", path, err)
		}
		var dist imagebuilder.CreateDistributionConfigurationInput
		decodeFile(t, files, "create-distribution-configuration.json", &dist)
		if _, err := api.CreateDistributionConfiguration(ctx, &dist); err != nil {
			t.Fatalf("%s: create-distribution-configuration: %v", path, err)
		}
		var pipe imagebuilder.CreateImagePipelineInput
		decodeFile(t, files, "create-image-pipeline.json", &pipe)
		if _, err := api.CreateImagePipeline(ctx, &pipe); err != nil {
			t.Fatalf("%s: create-image-pipeline: %v", path, err)
		}

		p, err := winib.PlanChanges(ctx, awsapi.FromConfig(cfg), desiredOf(r), winib.Options{ManageExecutionRole: true})
		if err != nil {
			t.Fatalf("%s: plan: %v", path, err)
		}
		kinds := map[string]int{}
		for _, ch := range p.Changes {
			kinds[ch.Resource]++
			if ch.Action != winib.ActionUnchanged {
				t.Errorf("%s: plan wants to %s %s %s: %s", path, ch.Action, ch.Resource, ch.Name, ch.Reason)
			}
		}
		if kinds[winib.ResourceComponent] != len(r.Components) || kinds[winib.ResourceRecipe] != 1 {
			t.Errorf("%s: planned %v, want %d component(s) and a recipe", path, kinds, len(r.Components))
		}
		if roles := kinds[winib.ResourceExecutionRole]; (r.ExecutionRole != nil) != (roles == 1) {
			t.Errorf("%s: planned %d execution role(s), rendered %v", path, roles, r.ExecutionRole)
		}
	}
}
