package render

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
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
	srv := emulator.Start(t)
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
