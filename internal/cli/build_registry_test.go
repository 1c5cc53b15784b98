package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/images"
	"github.com/winami/winami/images/imagestest"
	"github.com/winami/winami/internal/awsfixture"
)

// osLTSC2022 is the os.version of the Windows Server 2022 images pushed here.
const osLTSC2022 = "10.0.20348.2700"

// TestRootVolumeFromRegistry: rootVolumeSize: auto is sized from the parent AMI's root
// volume and the cached images as read from their registry (a loopback registry here),
// shared layers counted once, and lands in the recipe.
func TestRootVolumeFromRegistry(t *testing.T) {
	t.Parallel()
	host := imageRegistry(t)
	base := imagestest.Layers(t, 2, 3<<20)
	own := imagestest.Layers(t, 1, 1<<20)
	refs := []string{host + "/web:1.0", host + "/app:2.0"}
	imagestest.Push(t, refs[0], imagestest.WindowsImage(t, osLTSC2022, base, 0))
	imagestest.Push(t, refs[1], imagestest.WindowsImage(t, osLTSC2022, append(append([]v1.Layer(nil), base...), own...), 0))

	srv := useBuildWorld(t, buildClock())
	spec := strings.NewReplacer(
		"      - mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022\n      - IMAGE\n",
		fmt.Sprintf("      - %s\n      - %s\n", refs[0], refs[1]),
		"PROFILE", "EC2InstanceProfileForImageBuilder").Replace(buildSpec)
	f := filepath.Join(t.TempDir(), "winami.yaml")
	if err := os.WriteFile(f, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}

	// What the registry says, and the parent's root volume, through their own clients.
	rep, err := images.Check(context.Background(), refs, "2022", images.Options{})
	if err != nil || rep.Totals.Compatible != 2 {
		t.Fatalf("images check: %v %+v", err, rep)
	}
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	amis, err := awsfixture.New(cfg).DescribeImagesOwnedBy(context.Background(), "Windows_Server-2022-English-Core-EKS_Optimized-1.31-*", "801119661308")
	if err != nil || len(amis.Images) == 0 {
		t.Fatalf("describing parent AMIs: %v", err)
	}
	parentGiB := aws.ToInt32(amis.Images[0].BlockDeviceMappings[0].Ebs.VolumeSize)
	want := imagebuilder.AutoRootVolumeGiB(parentGiB, rep.Totals.UncompressedBytes)
	if fallback := imagebuilder.AutoRootVolumeGiB(parentGiB, 2*imagebuilder.EstimatePerImageGiB<<30); want == fallback {
		t.Fatalf("the measured size equals the fallback estimate (%d GiB): the test cannot tell them apart", want)
	}

	_, errOut, code := run(t, "apply", "-f", f, "--yes")
	if code != 0 || !strings.Contains(errOut, fmt.Sprintf("root volume: %d GiB", want)) || strings.Contains(errOut, "warning") {
		t.Fatalf("apply: exit %d, want root volume %d GiB without warnings:\n%s", code, want, errOut)
	}
	list, err := awsfixture.New(cfg).ListImageRecipes(context.Background())
	if err != nil || len(list.ImageRecipeSummaryList) != 1 {
		t.Fatalf("listing recipes: %v", err)
	}
	got, err := awsfixture.New(cfg).GetImageRecipe(context.Background(), list.ImageRecipeSummaryList[0].Arn)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got.ImageRecipe.BlockDeviceMappings {
		if aws.ToString(m.DeviceName) == "/dev/sda1" && aws.ToInt32(m.Ebs.VolumeSize) != want {
			t.Errorf("recipe root volume %d GiB, want %d", aws.ToInt32(m.Ebs.VolumeSize), want)
		}
	}
}

// TestIfChangedFollowsDigests: --if-changed compares what the image tags point to now: a
// tag moved to a new image starts a build, an unmoved tag does not.
func TestIfChangedFollowsDigests(t *testing.T) {
	t.Parallel()
	host := imageRegistry(t)
	image := func() v1.Image { return imagestest.WindowsImage(t, osLTSC2022, imagestest.Layers(t, 1, 1<<20), 0) }
	ref := host + "/app:2.0"
	imagestest.Push(t, ref, image())

	srv := useBuildWorld(t, buildClock())
	spec := strings.NewReplacer(
		"      - mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022\n      - IMAGE\n", "      - "+ref+"\n",
		"PROFILE", "EC2InstanceProfileForImageBuilder").Replace(buildSpec)
	f := filepath.Join(t.TempDir(), "winami.yaml")
	if err := os.WriteFile(f, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(args ...string) (string, int) {
		srv.Faults.ResetCounts()
		_, errOut, code := run(t, append([]string{"build", "-f", f, "--yes", "--poll-interval", "20ms"}, args...)...)
		if code != 0 {
			t.Fatalf("build --if-changed: exit %d:\n%s", code, errOut)
		}
		return errOut, srv.Faults.Count("imagebuilder", "StartImagePipelineExecution", "")
	}
	// A plain build records the digests too, so --if-changed after it has nothing to do.
	if _, started := build(); started != 1 {
		t.Fatalf("first build started %d builds, want 1", started)
	}
	if errOut, started := build("--if-changed"); started != 0 || !strings.Contains(errOut, "nothing changed") {
		t.Errorf("build --if-changed with nothing changed started %d builds:\n%s", started, errOut)
	}
	imagestest.Push(t, ref, image()) // the tag moves
	if errOut, started := build("--if-changed"); started != 1 {
		t.Errorf("build --if-changed after the tag moved started %d builds:\n%s", started, errOut)
	}
}

// TestApplyAndBuildReadEachImageOnce: one command reads each cached image's manifest from
// its registry once, although the component (platform manifest), spec.cache.pinDigests,
// the root volume and the build's recorded inputs all use what the registry said.
func TestApplyAndBuildReadEachImageOnce(t *testing.T) {
	t.Parallel()
	reg := imagestest.Start(t, nil)
	ref := reg.Host + "/app:2.0"
	imagestest.Push(t, ref, imagestest.WindowsImage(t, osLTSC2022, imagestest.Layers(t, 1, 1<<20), 0))

	useBuildWorld(t, buildClock())
	for _, pin := range []bool{false, true} {
		spec := strings.NewReplacer(
			"      - mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022\n      - IMAGE\n", "      - "+ref+"\n",
			"PROFILE", "EC2InstanceProfileForImageBuilder").Replace(buildSpec)
		if pin {
			spec = strings.Replace(spec, "  cache:\n", "  cache:\n    pinDigests: true\n", 1)
		}
		f := filepath.Join(t.TempDir(), "winami.yaml")
		if err := os.WriteFile(f, []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"apply", "-f", f, "--yes"}, {"build", "-f", f, "--poll-interval", "20ms"}} {
			before := reg.Count("GET", "/v2/app/manifests/") + reg.Count("HEAD", "/v2/app/manifests/")
			_, errOut, code := run(t, args...)
			if code != 0 {
				t.Fatalf("pinDigests %v, %s: exit %d:\n%s", pin, args[0], code, errOut)
			}
			if n := reg.Count("GET", "/v2/app/manifests/") + reg.Count("HEAD", "/v2/app/manifests/") - before; n != 1 {
				t.Errorf("pinDigests %v, %s read the manifest of %s %d times, want once", pin, args[0], ref, n)
			}
		}
	}
}
