package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/component"
	"github.com/winami/winami/images/imagestest"
	"github.com/winami/winami/internal/awsfixture"
)

// TestApplyPullsPlatformManifests: apply reads the cached images from their registry and
// the component it creates pulls, for each image, the windows/amd64 manifest of the AMI's
// Windows build (2022 here) out of a multi-version index, not the index, names it by the
// spec's tag, pins it, and gives its step a timeout from the manifest's compressed size.
func TestApplyPullsPlatformManifests(t *testing.T) {
	t.Parallel()
	host := imageRegistry(t)
	base := imagestest.Layers(t, 1, 3<<20)
	ltsc2019 := imagestest.WindowsImage(t, "10.0.17763.6054", base, 1)
	ltsc2022 := imagestest.WindowsImage(t, osLTSC2022, base, 1)
	refs := []string{host + "/web:1.0", host + "/app:2.0"}
	index := imagestest.Push(t, refs[0], imagestest.Index(t, ltsc2019, ltsc2022))
	single := imagestest.Push(t, refs[1], ltsc2022)
	platform := imagestest.Digest(t, ltsc2022)

	srv := useBuildWorld(t, buildClock())
	spec := strings.NewReplacer(
		"      - mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022\n      - IMAGE\n",
		fmt.Sprintf("      - %s\n      - %s\n", refs[0], refs[1]),
		"PROFILE", "EC2InstanceProfileForImageBuilder").Replace(buildSpec)
	f := filepath.Join(t.TempDir(), "winami.yaml")
	if err := os.WriteFile(f, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "apply", "-f", f, "--yes"); code != 0 || strings.Contains(errOut, "as given") {
		t.Fatalf("apply: exit %d\n%s", code, errOut)
	}

	api := awsfixture.New(awstest.SDKConfig(srv.URL(), "us-east-1"))
	list, err := api.ListComponents(context.Background(), false)
	if err != nil || len(list.ComponentVersionList) != 1 {
		t.Fatalf("listing components: %v, %+v", err, list)
	}
	builds, err := api.ListComponentBuildVersions(context.Background(), list.ComponentVersionList[0].Arn)
	if err != nil || len(builds.ComponentSummaryList) != 1 {
		t.Fatalf("listing component builds: %v", err)
	}
	got, err := api.GetComponent(context.Background(), builds.ComponentSummaryList[0].Arn)
	if err != nil {
		t.Fatal(err)
	}
	doc := aws.ToString(got.Component.Data)
	size := int64(0)
	layers, _ := ltsc2022.Layers()
	for _, l := range layers {
		n, _ := l.Size()
		size += n
	}
	for _, want := range []string{
		// The index's ltsc2022 entry, named by the tag the pods use.
		"Invoke-WinamiPull -Ref '" + host + "/web@" + platform + "' -Attempts 5\n",
		"Set-WinamiPinnedNames -Names @('" + host + "/web@" + platform + "', '" + refs[0] + "')\n",
		// A single manifest is its own platform manifest.
		"Set-WinamiPinnedNames -Names @('" + host + "/app@" + single + "', '" + refs[1] + "')\n",
		fmt.Sprintf("timeoutSeconds: %d\n", component.StepTimeoutSeconds(size)),
		"- name: test\n",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("the applied component lacks %q:\n%s", want, doc)
		}
	}
	if strings.Contains(doc, index) {
		t.Errorf("the component pulls the index %s:\n%s", index, doc)
	}
}
