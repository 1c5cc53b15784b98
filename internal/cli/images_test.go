package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"

	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/images"
	"github.com/winami/winami/images/imagestest"
	"github.com/winami/winami/internal/awsfixture"
	"github.com/winami/winami/kube"
	"github.com/winami/winami/rootvolume"
)

// imageRegistry starts go-containerregistry's in-memory registry on loopback and
// returns its host.
func imageRegistry(t *testing.T) string {
	t.Helper()
	return imagestest.Start(t, nil).Host
}

func TestImagesCheckCompatible(t *testing.T) {
	t.Parallel()
	host := imageRegistry(t)
	base := imagestest.Layers(t, 1, 4096)
	d := imagestest.PushWindows(t, host+"/aspnet:4.8", base, "10.0.17763.6054", "10.0.20348.2700")
	imagestest.PushWindows(t, host+"/app:1", base, "10.0.20348.2700")

	// -o wide: each note on one line (the table wraps the TOTAL's at 120 columns).
	out, errOut, code := run(t, "images", "check", "--windows", "2022", host+"/aspnet:4.8", host+"/app:1", "-o", "wide")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"IMAGE", "compatible", "10.0.20348.2700", d[:19], "runs on ltsc2019, ltsc2022", "TOTAL (3 unique layers)", "2/2 compatible", "root volume 50 GiB parent + ceil(", "+ 20 GiB free = 71 GiB", "~"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}

	out, _, code = run(t, "images", "check", "--windows", "2022", "-o", "json", host+"/aspnet:4.8", host+"/app:1")
	if code != ExitOK {
		t.Fatalf("json: exit %d", code)
	}
	var rep images.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Build != "10.0.20348" || len(rep.Images) != 2 || rep.Images[0].Digest != d || rep.Totals.UniqueLayers != 3 || rep.Totals.RootVolumeGiB != 71 {
		t.Errorf("report %+v", rep)
	}
	for _, k := range []string{`"osVersion"`, `"compatibleWith"`, `"compressedBytes"`, `"uncompressedEstimated"`, `"rootVolumeGiB"`, `"formula"`} {
		if !strings.Contains(out, k) {
			t.Errorf("JSON lacks %s", k)
		}
	}
}

func TestImagesCheckIncompatibleExits1(t *testing.T) {
	t.Parallel()
	host := imageRegistry(t)
	base := imagestest.Layers(t, 1, 4096)
	imagestest.PushWindows(t, host+"/app:1.4-ltsc2019", base, "10.0.17763.6054")
	imagestest.PushWindows(t, host+"/app:1.4-ltsc2022", base, "10.0.20348.2700")

	out, errOut, code := run(t, "images", "check", "--windows", "2022", "-o", "json", host+"/app:1.4-ltsc2019", host+"/missing:1")
	if code != ExitProblem {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	var rep images.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("data still printed as JSON: %v\n%s", err, out)
	}
	if im := rep.Images[0]; im.Status != images.StatusIncompatible || im.Suggestion != host+"/app:1.4-ltsc2022" {
		t.Errorf("incompatible image: %+v", im)
	}
	if rep.Images[1].Status != images.StatusMissing {
		t.Errorf("missing image: %+v", rep.Images[1])
	}
	for _, want := range []string{"2 of 2 image(s) cannot be cached", "1 incompatible with Windows Server 2022", "1 missing", "use " + host + "/app:1.4-ltsc2022"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}

	out, _, code = run(t, "images", "check", "--windows", "2022", host+"/app:1.4-ltsc2019")
	if code != ExitProblem || !strings.Contains(out, "runs on ltsc2019; use "+host+"/app:1.4-ltsc2022") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
}

func TestImagesCheckSpecFile(t *testing.T) {
	t.Parallel()
	host := imageRegistry(t)
	base := imagestest.Layers(t, 1, 4096)
	imagestest.PushWindows(t, host+"/a:1", base, "10.0.17763.6054")
	imagestest.PushWindows(t, host+"/b:1", base, "10.0.17763.6054", "10.0.20348.2700")
	spec := strings.NewReplacer("IMAGE_A", host+"/a:1", "IMAGE_B", host+"/b:1").Replace(`apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: images-2019
  region: us-east-1
spec:
  kubernetesVersion: "1.31"
  windows: {version: "2019", edition: Core}
  parent: {source: eks-optimized}
  cache:
    images:
      - IMAGE_A
      - IMAGE_B
  build:
    instanceTypes: [m6i.2xlarge]
    instanceProfile: EC2InstanceProfileForImageBuilder
    rootVolumeSize: auto
  distribution:
    regions: [us-east-1]
`)
	p := filepath.Join(t.TempDir(), "winami.yaml")
	if err := os.WriteFile(p, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "images", "check", "-f", p, "-o", "json", "--parent-volume", "30", "--headroom", "2", "--free", "0")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var rep images.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Windows != "2019" || rep.Totals.Compatible != 2 || rep.Totals.ParentVolumeGiB != 30 || rep.Totals.Headroom != 2 || rep.Totals.FreeGiB != 0 || rep.Totals.RootVolumeGiB != rootvolume.MinimumGiB || rep.Totals.RootVolume.MinimumGiB != 50 {
		t.Errorf("report %+v", rep.Totals)
	}
	if rep.Images[1].OSVersion != "10.0.17763.6054" {
		t.Errorf("b picked %s", rep.Images[1].OSVersion)
	}
}

func TestImagesCheckBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"images", "check"}, "give -f winami.yaml, or --windows VERSION"},
		{[]string{"images", "check", "example.com/a:1"}, "flag --windows is required"},
		{[]string{"images", "check", "--windows", "2016", "example.com/a:1"}, "flag --windows: windows version \"2016\""},
		{[]string{"images", "check", "--windows", "2022", "Bad/Ref:1"}, `image reference "Bad/Ref:1"`},
		{[]string{"images", "check", "-f", "x.yaml", "example.com/a:1"}, "not both"},
		{[]string{"images", "check", "--windows", "2022", "--headroom", "0.5", "example.com/a:1"}, "flag --headroom 0.5"},
		{[]string{"images", "check", "-f", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		{[]string{"images", "discover", "extra"}, "unknown command"},
		{[]string{"images", "discover", "--kubeconfig", filepath.Join(dir, "no-kubeconfig")}, "flag --kubeconfig " + filepath.Join(dir, "no-kubeconfig")},
		{[]string{"images", "discover", "--kubeconfig", dir}, "is a directory"},
		{[]string{"images"}, "name a subcommand: check or discover"},
		{[]string{"images", "bogus"}, "unknown command"},
	} {
		_, errOut, code := run(t, tc.args...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

func TestImagesDiscover(t *testing.T) {
	t.Parallel()
	host := imageRegistry(t)
	d := imagestest.PushWindows(t, host+"/web:2", imagestest.Layers(t, 1, 4096), "10.0.20348.2700")
	pulled := "sha256:4444444444444444444444444444444444444444444444444444444444444444"

	running := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api-1"},
		Spec: corev1.PodSpec{NodeName: "win-1",
			InitContainers: []corev1.Container{{Name: "init", Image: host + "/init:1"}},
			Containers:     []corev1.Container{{Name: "api", Image: host + "/api:3"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "api", ImageID: host + "/api@" + pulled}}},
	}
	pending := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1"},
		Spec:       corev1.PodSpec{NodeSelector: map[string]string{"kubernetes.io/os": "windows"}, Containers: []corev1.Container{{Name: "web", Image: host + "/web:2"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	linux := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "proxy"},
		Spec:       corev1.PodSpec{NodeName: "lin-1", Containers: []corev1.Container{{Name: "p", Image: "nginx:1.27"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	cs := fake.NewClientset(
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "win-1", Labels: map[string]string{"kubernetes.io/os": "windows"}}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "lin-1", Labels: map[string]string{"kubernetes.io/os": "linux"}}},
		running, pending, linux,
	)
	var got kube.Options
	useKube(t, func(o kube.Options) (kubernetes.Interface, error) { got = o; return cs, nil })

	kc := filepath.Join(t.TempDir(), "config") // only its path is passed on: the clientset is faked
	if err := os.WriteFile(kc, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "images", "discover", "--kubeconfig", kc, "--context", "prod")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if got.Kubeconfig != kc || got.Context != "prod" {
		t.Errorf("kube options %+v", got)
	}
	if strings.Contains(out, "nginx") || !strings.Contains(out, host+"/api:3") || !strings.Contains(out, host+"/init:1") {
		t.Errorf("table:\n%s", out)
	}

	out, errOut, code = run(t, "images", "discover", "-o", "yaml")
	if code != ExitOK {
		t.Fatalf("yaml: exit %d\n%s%s", code, out, errOut)
	}
	var block struct {
		Spec struct {
			Cache struct {
				Images []string `json:"images"`
			} `json:"cache"`
		} `json:"spec"`
	}
	if err := yaml.UnmarshalStrict([]byte(out), &block); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := []string{host + "/api@" + pulled, host + "/init:1", host + "/web@" + d}
	if strings.Join(block.Spec.Cache.Images, " ") != strings.Join(want, " ") {
		t.Errorf("spec.cache.images\n got %v\nwant %v", block.Spec.Cache.Images, want)
	}
	// init:1 is in no registry: left as written, with a warning.
	if !strings.Contains(errOut, "left unpinned") || !strings.Contains(errOut, "init:1") {
		t.Errorf("stderr: %s", errOut)
	}

	out, _, code = run(t, "images", "discover", "-o", "json", "-n", "other")
	if code != ExitOK || !strings.Contains(out, `"images": []`) {
		t.Errorf("empty namespace: exit %d\n%s", code, out)
	}
}

// TestApplyPinDigests: with spec.cache.pinDigests: true, apply writes each image's digest
// (as its registry resolves the tag) into the image-cache component it creates, keeping the
// tag as a name; a tag that moves gives the component a new version with the new digest.
func TestApplyPinDigests(t *testing.T) {
	t.Parallel()
	host := imageRegistry(t)
	ref := host + "/app:2.0"
	image := func() v1.Image { return imagestest.WindowsImage(t, osLTSC2022, imagestest.Layers(t, 1, 1<<20), 0) }
	imagestest.Push(t, ref, image())

	srv := useBuildWorld(t, buildClock())
	spec := strings.NewReplacer(
		"    images:\n      - mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022\n      - IMAGE\n",
		"    pinDigests: true\n    images:\n      - "+ref+"\n",
		"PROFILE", "EC2InstanceProfileForImageBuilder").Replace(buildSpec)
	if !strings.Contains(spec, "pinDigests: true") {
		t.Fatal("the spec does not set pinDigests")
	}
	f := filepath.Join(t.TempDir(), "winami.yaml")
	if err := os.WriteFile(f, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	api := awsfixture.New(awstest.SDKConfig(srv.URL(), "us-east-1"))
	// components returns the data of every version of the account's components, by ARN.
	components := func() map[string]string {
		t.Helper()
		data := map[string]string{}
		list, err := api.ListComponents(ctx, true)
		if err != nil {
			t.Fatalf("listing components: %v", err)
		}
		for _, c := range list.ComponentVersionList {
			builds, err := api.ListComponentBuildVersions(ctx, c.Arn)
			if err != nil {
				t.Fatalf("listing build versions of %s: %v", aws.ToString(c.Arn), err)
			}
			for _, b := range builds.ComponentSummaryList {
				got, err := api.GetComponent(ctx, b.Arn)
				if err != nil {
					t.Fatalf("getting %s: %v", aws.ToString(b.Arn), err)
				}
				data[aws.ToString(b.Arn)] = aws.ToString(got.Component.Data)
			}
		}
		return data
	}
	digest := func() string {
		t.Helper()
		d, err := images.Resolve(ctx, []string{ref}, images.Options{})
		if err != nil || d[ref] == "" {
			t.Fatalf("resolving %s: %v %v", ref, d, err)
		}
		return d[ref]
	}
	pulls := func(data, d string) bool { return strings.Contains(data, "-Ref '"+host+"/app@"+d+"'") }

	if _, errOut, code := run(t, "apply", "-f", f, "--yes"); code != 0 {
		t.Fatalf("apply: exit %d:\n%s", code, errOut)
	}
	d1 := digest()
	first := components()
	if len(first) != 1 {
		t.Fatalf("apply created %d component versions, want 1", len(first))
	}
	for arn, data := range first {
		if !pulls(data, d1) || strings.Contains(data, "-Ref '"+ref+"'") {
			t.Fatalf("%s does not pull %s by its digest %s:\n%s", arn, ref, d1, data)
		}
	}

	imagestest.Push(t, ref, image()) // the tag moves
	d2 := digest()
	if d2 == d1 {
		t.Fatal("pushing a new image did not move the tag")
	}
	if _, errOut, code := run(t, "apply", "-f", f, "--yes"); code != 0 {
		t.Fatalf("apply after the tag moved: exit %d:\n%s", code, errOut)
	}
	second := components()
	var fresh []string
	for arn, data := range second {
		if _, old := first[arn]; !old && pulls(data, d2) {
			fresh = append(fresh, arn)
		}
	}
	if len(second) != 2 || len(fresh) != 1 {
		t.Errorf("after the tag moved: %d component versions, %d new one(s) pulling %s, want 2 and 1", len(second), len(fresh), d2)
	}

	// --no-registry cannot read digests: the plan says the images go by tag.
	_, errOut, code := run(t, "plan", "-f", f, "--no-registry")
	if code != 0 || !strings.Contains(errOut, "spec.cache.pinDigests: --no-registry reads no digest, so the 1 cached image(s) are pulled by tag") {
		t.Errorf("plan --no-registry with pinDigests: exit %d, stderr:\n%s", code, errOut)
	}
}

// TestImagesCheckWindows2025Demo runs `images check --windows 2025` against the
// synthetic registry of the README (imagestest.SeedDemo, KiB layers): ltsc2022 images
// are accepted on 2025 (hcsshim's rule), a ltsc2019 tag gets its unlabelled ltsc2022
// sibling as the suggestion, an unlabelled index whose first entry is ltsc2019 is
// refused (containerd would pull that entry) with the digest of the entry that runs, and
// the foreign layer is counted from its descriptor.
func TestImagesCheckWindows2025Demo(t *testing.T) {
	t.Parallel()
	host := imageRegistry(t)
	if err := imagestest.SeedDemo(host, 1024, "https://foreign-layers.invalid/layers"); err != nil {
		t.Fatal(err)
	}
	r := func(s string) string { return host + "/" + s }
	refs := []string{r("dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022"), r("myapp:1.4.2"), r("multi:1.0"),
		r("web:3.0-ltsc2019"), r("tools:1.0")}
	out, errOut, code := run(t, append([]string{"images", "check", "--windows", "2025", "-o", "json"}, refs...)...)
	if code != ExitProblem {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	var rep images.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for i, want := range []images.Status{images.StatusCompatible, images.StatusCompatible, images.StatusCompatible, images.StatusIncompatible, images.StatusIncompatible} {
		if im := rep.Images[i]; im.Status != want {
			t.Errorf("%s: %s (%s), want %s", im.Ref, im.Status, im.Message, want)
		}
	}
	aspnet, multi, web, tools := rep.Images[0], rep.Images[2], rep.Images[3], rep.Images[4]
	if aspnet.OSVersion != imagestest.DemoLTSC2022 || strings.Join(aspnet.CompatibleWith, ",") != "ltsc2022,ltsc2025" {
		t.Errorf("ltsc2022 on 2025: %+v", aspnet)
	}
	if multi.OSVersion != imagestest.DemoLTSC2025 || len(multi.Pulls) != 1 || multi.Pulls[0].Containerd != "2.1.6" || multi.Pulls[0].Index != 1 {
		t.Errorf("multi: %+v", multi)
	}
	if web.Suggestion != r("web:3.0-ltsc2022") {
		t.Errorf("web: suggestion %q: %s", web.Suggestion, web.Message)
	}
	if !strings.HasPrefix(tools.Suggestion, r("tools@sha256:")) || tools.Pulls[0].Index != 0 || tools.Pulls[0].Runs {
		t.Errorf("tools: %+v", tools)
	}
	for _, k := range []string{`"pulls"`, `"entries"`, `"osVersionFromConfig"`, `"order"`, `"runs"`, `"reason"`} {
		if !strings.Contains(out, k) {
			t.Errorf("JSON lacks %s", k)
		}
	}
	if !strings.Contains(errOut, "2 incompatible with Windows Server 2025") {
		t.Errorf("stderr: %s", errOut)
	}

	// The table, and containerd 1.7.30 on the same host: multi:1.0 pulls the ltsc2022
	// entry (first in index order), which runs, with a warning.
	out, errOut, code = run(t, "images", "check", "--windows", "2025", "--containerd", "1.7.30", r("multi:1.0"), r("servercore-legacy:ltsc2019"))
	if code != ExitProblem {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"PULLED", "entry 0", "runs on ltsc2022, ltsc2025", "runs on ltsc2019"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "the host's own build, is not the one pulled") {
		t.Errorf("no warning for multi:1.0 with containerd 1.7.30:\n%s", errOut)
	}
	// On 2019 the foreign-based image is compatible; its foreign layer is sized from the
	// descriptor and never fetched.
	out, _, code = run(t, "images", "check", "--windows", "2019", "-o", "json", r("servercore-legacy:ltsc2019"))
	if code != ExitOK {
		t.Fatalf("2019: exit %d\n%s", code, out)
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Images[0].Layers) != 2 || !rep.Images[0].Layers[0].Foreign {
		t.Errorf("foreign: %v %+v", err, rep.Images)
	}

	for _, bad := range [][]string{
		{"--windows", "2025", "--kubernetes", "v1.35", r("multi:1.0")},
		{"--windows", "2025", "--containerd", "1.5.0", r("multi:1.0")},
	} {
		_, errOut, code := run(t, append([]string{"images", "check"}, bad...)...)
		if code != ExitUsage || !strings.Contains(errOut, "flag --") {
			t.Errorf("%v: exit %d %s", bad, code, errOut)
		}
	}
}
