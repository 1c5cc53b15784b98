package cli

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/internal/awsfixture"
)

// withBuild writes the build spec with extra lines under spec.build.
func withBuild(t *testing.T, dir, build string) string {
	t.Helper()
	s := strings.NewReplacer("IMAGE", appV1, "PROFILE", "EC2InstanceProfileForImageBuilder",
		"    rootVolumeSize: auto\n", "    rootVolumeSize: auto\n"+build).Replace(buildSpec)
	p := filepath.Join(dir, "winami.yaml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBuildInstanceSettings: spec.build.instanceMetadata and spec.build.resourceTags reach
// the infrastructure configuration through apply (IMDSv2 required with hop limit 2 when
// absent; the resource tags with winami's managed-by and name), and a change of
// httpTokens or of a resource tag in the spec plans an update of the infrastructure
// configuration that apply makes.
func TestBuildInstanceSettings(t *testing.T) {
	t.Parallel()
	srv := useBuildWorld(t)
	dir := t.TempDir()
	api := awsfixture.New(awstest.SDKConfig(srv.URL(), "us-east-1"))
	check := func(step, tokens string, hops int32, tags map[string]string) {
		t.Helper()
		ic, err := api.InfrastructureConfiguration(context.Background())
		if err != nil || ic == nil {
			t.Fatalf("%s: reading the infrastructure configuration: %v", step, err)
		}
		if m := ic.InstanceMetadataOptions; m == nil || aws.ToString(m.HttpTokens) != tokens || aws.ToInt32(m.HttpPutResponseHopLimit) != hops {
			t.Errorf("%s: instanceMetadataOptions %+v, want %s/%d", step, m, tokens, hops)
		}
		if !maps.Equal(ic.ResourceTags, tags) {
			t.Errorf("%s: resourceTags %v, want %v", step, ic.ResourceTags, tags)
		}
	}
	own := map[string]string{"winami:managed-by": "winami", "winami:name": "cli-win2022"}

	f := withBuild(t, dir, "")
	if _, errOut, code := run(t, "apply", "-f", f, "--no-registry", "--yes"); code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	check("defaults", "required", 2, own)

	tagged := maps.Clone(own)
	tagged["team"] = "platform"
	f = withBuild(t, dir, "    instanceMetadata: {httpTokens: optional, httpPutResponseHopLimit: 3}\n    resourceTags: {team: platform}\n")
	out, errOut, code := run(t, "plan", "-f", f, "--no-registry", "-o", "json")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	c := planActions(t, out)[imagebuilder.ResourceInfrastructure]
	for _, field := range []string{"instanceMetadataOptions.httpTokens", "instanceMetadataOptions.httpPutResponseHopLimit", "resourceTags"} {
		if c.Action != imagebuilder.ActionUpdate || !strings.Contains(c.Reason, field) {
			t.Errorf("plan after changing the spec: infrastructure %+v, want an update naming %s", c, field)
		}
	}
	if _, errOut, code := run(t, "apply", "-f", f, "--no-registry", "--yes"); code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	check("changed", "optional", 3, tagged)
	out, _, _ = run(t, "plan", "-f", f, "--no-registry", "-o", "json")
	if c := planActions(t, out)[imagebuilder.ResourceInfrastructure]; c.Action != imagebuilder.ActionUnchanged {
		t.Errorf("plan after apply: infrastructure %+v", c)
	}
}

// TestBuildInstanceSettingsBadInput: a bad spec.build.instanceMetadata or resourceTags is
// bad input for render and plan (exit 2), naming the field and what it accepts.
func TestBuildInstanceSettingsBadInput(t *testing.T) {
	t.Parallel()
	useEmulator(t)
	for build, want := range map[string][]string{
		"    instanceMetadata: {httpTokens: v1}\n":              {"spec.build.instanceMetadata.httpTokens", "want required", "optional"},
		"    instanceMetadata: {httpPutResponseHopLimit: 65}\n": {"spec.build.instanceMetadata.httpPutResponseHopLimit", "1..64"},
		"    resourceTags: {\"winami:name\": team-a}\n":         {"spec.build.resourceTags.winami:name", "winami's own"},
		"    resourceTags: {\"aws:cloudformation:stack\": x}\n": {"spec.build.resourceTags.aws:cloudformation:stack", "reserved by AWS"},
	} {
		f := withBuild(t, t.TempDir(), build)
		for _, cmd := range [][]string{{"render", "-f", f, "-d", t.TempDir()}, {"plan", "-f", f, "--no-registry"}} {
			_, stderr, code := run(t, cmd...)
			if code != 2 {
				t.Errorf("%s with %s: exit %d, want 2\n%s", cmd[0], build, code, stderr)
			}
			for _, w := range want {
				if !strings.Contains(stderr, w) {
					t.Errorf("%s with %s: stderr lacks %q\n%s", cmd[0], build, w, stderr)
				}
			}
		}
	}
}
