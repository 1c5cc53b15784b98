package imagebuilder_test

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winami/winami/imagebuilder"
)

// withBuildSettings gives d's infrastructure configuration the IMDS options and resource
// tags render writes from spec.build.instanceMetadata and spec.build.resourceTags.
func withBuildSettings(d *imagebuilder.Desired, tokens string, hops int32, tags map[string]string) *imagebuilder.Desired {
	d.Infrastructure.InstanceMetadataOptions = &types.InstanceMetadataOptions{HttpTokens: aws.String(tokens), HttpPutResponseHopLimit: aws.Int32(hops)}
	d.Infrastructure.ResourceTags = tags
	return d
}

// TestBuildInstanceSettingsChange: changing spec.build.instanceMetadata.httpTokens, the
// hop limit or spec.build.resourceTags (a value changed, a key removed) plans an update of
// the infrastructure configuration, naming the field, and apply leaves the service with
// the new values; a second plan finds nothing to do.
func TestBuildInstanceSettingsChange(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	base := map[string]string{"winami:managed-by": "winami", "winami:name": "t-win2022", "team": "a", "cost-center": "42"}
	if _, err := imagebuilder.Apply(ctx, e.clients, withBuildSettings(desired(t, aspnet), "required", 2, base), imagebuilder.Options{}); err != nil {
		t.Fatal(err)
	}
	fewer := maps.Clone(base)
	fewer["team"] = "b"
	delete(fewer, "cost-center")
	for _, step := range []struct {
		name   string
		tokens string
		hops   int32
		tags   map[string]string
		reason string
	}{
		{"httpTokens optional", "optional", 2, base, "instanceMetadataOptions.httpTokens"},
		{"hop limit 3", "optional", 3, base, "instanceMetadataOptions.httpPutResponseHopLimit"},
		{"back to required", "required", 3, base, "instanceMetadataOptions.httpTokens"},
		{"resource tags", "required", 3, fewer, "resourceTags"},
	} {
		d := withBuildSettings(desired(t, aspnet), step.tokens, step.hops, step.tags)
		p, err := imagebuilder.PlanChanges(ctx, e.clients, d, imagebuilder.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var infra imagebuilder.Change
		for _, c := range p.Changes {
			if c.Resource == imagebuilder.ResourceInfrastructure {
				infra = c
			}
		}
		if infra.Action != imagebuilder.ActionUpdate || !strings.Contains(infra.Reason, step.reason) {
			t.Fatalf("%s: infrastructure change %+v, want an update naming %s", step.name, infra, step.reason)
		}
		if _, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{}); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		got, err := e.clients.ImageBuilder(region).GetInfrastructureConfiguration(ctx, &ib.GetInfrastructureConfigurationInput{InfrastructureConfigurationArn: aws.String(infra.ARN)})
		if err != nil {
			t.Fatal(err)
		}
		ic := got.InfrastructureConfiguration
		if m := ic.InstanceMetadataOptions; m == nil || aws.ToString(m.HttpTokens) != step.tokens || aws.ToInt32(m.HttpPutResponseHopLimit) != step.hops {
			t.Errorf("%s: the service holds %+v, want %s/%d", step.name, m, step.tokens, step.hops)
		}
		if !maps.Equal(ic.ResourceTags, step.tags) {
			t.Errorf("%s: the service holds resourceTags %v, want %v", step.name, ic.ResourceTags, step.tags)
		}
		if p, err := imagebuilder.PlanChanges(ctx, e.clients, d, imagebuilder.Options{}); err != nil || p.Changed() {
			t.Errorf("%s: plan after apply: %v %+v", step.name, err, p)
		}
	}
}
