package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/check"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/images/imagestest"
	"github.com/winami/winami/pipeline"
	"github.com/winami/winami/preflight"
	"github.com/winami/winami/spec"
)

const region = "us-east-1"

// specText is a 2022 Core spec for Kubernetes 1.33 built in us-east-1; PARENT and IMAGE
// are replaced.
const specText = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: lib-win2022
  region: us-east-1
spec:
  kubernetesVersion: "1.33"
  windows: {version: "2022", edition: Core}
  PARENT
  cache:
    images:
      - IMAGE
  build:
    instanceTypes: [m6i.2xlarge]
    instanceProfile: lib-win2022-instance
  distribution:
    regions: [us-east-1]
    publishParameter: /winami/lib-win2022/image_id
`

func loadSpec(t *testing.T, parent, image string) *spec.WindowsImage {
	t.Helper()
	img, err := spec.LoadBytes([]byte(strings.NewReplacer("PARENT", parent, "IMAGE", image).Replace(specText)), "winami.yaml")
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	return img
}

func start(t *testing.T, opts ...emulator.Option) *awsapi.Clients {
	t.Helper()
	srv := emulatortest.Start(t, opts...)
	return awsapi.FromConfig(awstest.SDKConfig(srv.URL(), region))
}

// releaseAMI is the seeded EKS-optimized 2022 Core AMI of Kubernetes 1.33 released on day.
func releaseAMI(day time.Time) (name, id string) {
	name = catalog.EKSOptimizedAMIName("2022", catalog.Core, "1.33", day.Format("2006.01.02"))
	return name, seed.ImageID(region, name)
}

// TestLoadPinnedDeprecatedRelease: a parent pinned to a release whose AMI is deprecated
// (Amazon's public AMIs are, two years after their creation) is found, and doctor agrees:
// one lookup, one answer.
func TestLoadPinnedDeprecatedRelease(t *testing.T) {
	ctx := context.Background()
	rel := seed.Releases[0]
	// Past the oldest release's deprecation time, before the next one's.
	clients := start(t, emulator.WithClock(awsemu.NewManualClock(rel.AddDate(2, 0, 7))))
	img := loadSpec(t, `parent: {releaseDate: "`+rel.Format("2006.01.02")+`"}`, "mcr.microsoft.com/windows/servercore:ltsc2022")
	name, want := releaseAMI(rel)

	p, err := pipeline.Load(ctx, clients, img, pipeline.Options{NoRegistry: true, CreateInstanceProfile: true})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if got := aws.ToString(p.Desired.Recipe.ParentImage); got != want {
		t.Errorf("recipe parent %s, want %s (%s)", got, want, name)
	}
	plan, err := p.Plan(ctx)
	if err != nil || plan.Parent.ImageID != want || plan.Parent.Name != name {
		t.Fatalf("plan: %v, parent %+v, want %s", err, plan, want)
	}
	checks, err := (&preflight.Doctor{Clients: clients}).Run(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.Name == preflight.CheckParentImage && (c.Status != check.Pass || !strings.Contains(c.Message, want)) {
			t.Errorf("doctor on the pin plan accepts: %+v", c)
		}
	}
}

// TestLoadMissingRelease: a pinned release with no AMI is a preflight problem that names
// the AMI, not bad input.
func TestLoadMissingRelease(t *testing.T) {
	clients := start(t)
	img := loadSpec(t, `parent: {releaseDate: "2025.01.15"}`, "mcr.microsoft.com/windows/servercore:ltsc2022")
	_, err := pipeline.Load(context.Background(), clients, img, pipeline.Options{NoRegistry: true})
	var pe *check.PreflightError
	var ie *pipeline.InputError
	if !errors.As(err, &pe) || errors.As(err, &ie) || !strings.Contains(err.Error(), "Windows_Server-2022-English-Core-EKS_Optimized-1.33-2025.01.15") {
		t.Fatalf("load: %v, want a PreflightError naming the AMI", err)
	}
}

// TestPlanApplyBuild: what the commands do, through the library: the preflight passes
// with the roles Apply creates, Plan shows the creations, Apply makes them, a second Plan
// has nothing to change, and Build makes the AMI and publishes it.
func TestPlanApplyBuild(t *testing.T) {
	ctx := context.Background()
	clients := start(t, emulator.WithClock(awsemu.RealClock{Scale: 6000, Start: time.Now()}))
	img := loadSpec(t, "parent: {source: eks-optimized}", "mcr.microsoft.com/windows/servercore:ltsc2022")
	var logs []string
	p, err := pipeline.Load(ctx, clients, img, pipeline.Options{NoRegistry: true, CreateRoles: true,
		Logf: func(f string, a ...any) { logs = append(logs, f) }})
	if err != nil {
		t.Fatal(err)
	}
	checks, err := p.Preflight(ctx, true)
	if err != nil || check.Failed(checks) {
		t.Fatalf("preflight: %v %+v", err, check.Problems(checks))
	}
	plan, err := p.Plan(ctx)
	if err != nil || !plan.Changed() || len(logs) != 0 {
		t.Fatalf("plan: %v, changed %v, %d progress lines (want none)", err, plan != nil && plan.Changed(), len(logs))
	}
	applied, err := p.Apply(ctx)
	if err != nil || applied.Mutations == 0 || len(logs) == 0 {
		t.Fatalf("apply: %v, %d mutations, %d progress lines", err, applied.Mutations, len(logs))
	}
	if again, err := p.Plan(ctx); err != nil || again.Changed() {
		t.Fatalf("plan after apply: %v %+v", err, again)
	}
	res, err := p.Build(ctx, applied, imagebuilder.BuildOptions{PollInterval: time.Millisecond})
	if err != nil || len(res.AMIs) != 1 || res.AMIs[0].Region != region {
		t.Fatalf("build: %v %+v", err, res)
	}
	got, err := clients.SSM(region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/winami/lib-win2022/image_id")})
	if err != nil || aws.ToString(got.Parameter.Value) != res.AMIs[0].ImageID {
		t.Fatalf("published parameter: %v, want %s", err, res.AMIs[0].ImageID)
	}
}

// TestRegistryReadOnce: Load reads the cached images from their registry once; the
// component pulls the windows/amd64 manifest read, and PinCacheDigests records the tag's
// digest from the same report, without a second read.
func TestRegistryReadOnce(t *testing.T) {
	ctx := context.Background()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := imagestest.Start(t, nil)
	ref := reg.Host + "/app:1.0"
	index := imagestest.PushWindows(t, ref, imagestest.Layers(t, 1, 4096), "10.0.20348.2700")
	clients := start(t)
	img := loadSpec(t, "parent: {source: eks-optimized}", ref)

	p, err := pipeline.Load(ctx, clients, img, pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reads := reg.Count("GET", "/manifests/")
	if reads == 0 {
		t.Fatal("Load read no manifest")
	}
	if got := p.Desired.CacheImages; len(got) != 1 || got[0] != ref {
		t.Errorf("inputs before pinning: %v, want [%s]", got, ref)
	}
	if doc := aws.ToString(p.Desired.Components[0].Data); !strings.Contains(doc, "sha256:") {
		t.Errorf("the component pulls by tag, want the windows/amd64 manifest:\n%s", doc)
	}
	if err := p.PinCacheDigests(ctx); err != nil {
		t.Fatal(err)
	}
	if got := p.Desired.CacheImages; len(got) != 1 || got[0] != ref+"@"+index {
		t.Errorf("inputs after pinning: %v, want [%s@%s]", got, ref, index)
	}
	if n := reg.Count("GET", "/manifests/"); n != reads {
		t.Errorf("PinCacheDigests read the registry again: %d manifest reads, then %d", reads, n)
	}

	// render --resolve-digests: with pinDigests the digest the tag names now.
	img.Spec.Cache.PinDigests = true
	read, err := pipeline.ReadCache(ctx, clients, img, pipeline.Options{})
	if err != nil || read.Digests[ref] != index || read.Platforms[ref].Digest == "" || read.Refs[0] != ref+"@"+index {
		t.Fatalf("read: %v %+v", err, read)
	}
}
