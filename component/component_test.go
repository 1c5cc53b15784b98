package component

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test ./component -update to create it): %v", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./component -update rewrites it):\n--- got ---\n%s", path, got)
	}
}

var pullLine = regexp.MustCompile(`(?m)^.*images pull.*$`)
var dockerCommand = regexp.MustCompile(`(?im)(^|[\s&;|(])docker(\.exe)?(\s|$)`)

// checkDoc asserts what every rendered document must satisfy.
func checkDoc(t *testing.T, d Document) {
	t.Helper()
	if err := Validate(d.Data); err != nil {
		t.Errorf("%s: Validate: %v", d.Name, err)
	}
	pulls := pullLine.FindAllString(d.Data, -1)
	if len(pulls) == 0 {
		t.Errorf("%s: no ctr pull", d.Name)
	}
	for _, l := range pulls {
		if !strings.Contains(l, "ctr -n k8s.io images pull") {
			t.Errorf("%s: pull without -n k8s.io: %q", d.Name, l)
		}
	}
	if dockerCommand.MatchString(d.Data) || strings.Contains(d.Data, "docker login") {
		t.Errorf("%s: uses docker", d.Name)
	}
	if regexp.MustCompile(`AWS:[A-Za-z0-9+/=]{20,}`).MatchString(d.Data) {
		t.Errorf("%s: a registry token is written into the document", d.Name)
	}
	for _, ph := range []string{"- name: build", "- name: validate", "- name: test"} {
		if !strings.Contains(d.Data, ph) {
			t.Errorf("%s: no %q phase", d.Name, ph)
		}
	}
}

func TestRenderGolden(t *testing.T) {
	digest := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	cases := map[string][]Image{
		"mcr-and-ecr": {
			{Ref: "mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022"},
			{Ref: "111000111000.dkr.ecr.us-east-1.amazonaws.com/myapp:1.4.2"},
			{Ref: "222000222000.dkr.ecr.eu-west-1.amazonaws.com/team/tool:2.0"},
		},
		"pinned": {
			{Ref: "mcr.microsoft.com/windows/servercore:ltsc2022", Digest: digest},
			{Ref: "nginx:1.27-windowsservercore"},
		},
		// As apply renders it when the registries were readable: each image pulled by
		// its windows/amd64 manifest for the AMI's build, with a timeout from its size.
		"platform-digests": {
			{Ref: "mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022",
				PlatformDigest: "sha256:" + strings.Repeat("1", 64), CompressedBytes: 2_400_000_000},
			{Ref: "111000111000.dkr.ecr.us-east-1.amazonaws.com/myapp:1.4.2", Digest: digest,
				PlatformDigest: "sha256:" + strings.Repeat("2", 64), CompressedBytes: 180_000_000},
			{Ref: "mcr.microsoft.com/windows/nanoserver:ltsc2022@" + digest,
				PlatformDigest: "sha256:" + strings.Repeat("3", 64), CompressedBytes: 120_000_000},
		},
	}
	for name, imgs := range cases {
		docs, err := Render(Options{Name: "prod-image-cache", Images: imgs})
		if err != nil {
			t.Fatal(err)
		}
		if len(docs) != 1 {
			t.Fatalf("%s: %d documents, want 1", name, len(docs))
		}
		checkDoc(t, docs[0])
		golden(t, name+".yaml", docs[0].Data)
	}
}

func TestECRTokenFetchedOnInstance(t *testing.T) {
	docs, err := Render(Options{Name: "c", Images: []Image{
		{Ref: "111000111000.dkr.ecr.us-east-1.amazonaws.com/a:1"},
		{Ref: "333000333000.dkr.ecr.ap-south-1.amazonaws.com/b:2"},
		{Ref: "mcr.microsoft.com/windows/nanoserver:ltsc2022"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0].Data
	for _, want := range []string{
		"(Get-ECRLoginCommand -Region $Region -ErrorAction Stop).Password",
		"aws ecr get-login-password --region $Region",
		`--user "AWS:$password"`,
		"-Ref '111000111000.dkr.ecr.us-east-1.amazonaws.com/a:1' -EcrRegion 'us-east-1' -Attempts 5",
		"-Ref '333000333000.dkr.ecr.ap-south-1.amazonaws.com/b:2' -EcrRegion 'ap-south-1' -Attempts 5",
		"Invoke-WinamiPull -Ref 'mcr.microsoft.com/windows/nanoserver:ltsc2022' -Attempts 5\n",
		"Start-Sleep -Seconds $delay",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("document lacks %q", want)
		}
	}
}

func TestPinnedDigestIsPulledAndTagged(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	docs, err := Render(Options{Name: "c", Images: []Image{{Ref: "mcr.microsoft.com/windows/servercore:ltsc2022", Digest: digest}}})
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0].Data
	byDigest := "mcr.microsoft.com/windows/servercore@" + digest
	if !strings.Contains(d, "Invoke-WinamiPull -Ref '"+byDigest+"' -Attempts 5\n") ||
		!strings.Contains(d, "Set-WinamiPinnedNames -Names @('"+byDigest+"', 'mcr.microsoft.com/windows/servercore:ltsc2022')") {
		t.Errorf("not pulled by digest and tagged:\n%s", d)
	}
	// The checked list holds both names.
	if got := cachedNames(t, d); strings.Join(got, " ") != byDigest+" mcr.microsoft.com/windows/servercore:ltsc2022" {
		t.Errorf("checked names = %q", got)
	}
	if _, err := Render(Options{Name: "c", Images: []Image{{Ref: "a/b:1", Digest: "sha256:short"}}}); err == nil {
		t.Error("a malformed digest was accepted")
	}
	if _, err := Render(Options{Name: "c", Images: []Image{{Ref: "a/b:1", PlatformDigest: "sha256:short"}}}); err == nil {
		t.Error("a malformed platform digest was accepted")
	}
}

// cachedNames returns the $WinamiCachedImages list of a document.
func cachedNames(t *testing.T, doc string) []string {
	t.Helper()
	i := strings.Index(doc, "$WinamiCachedImages = @(\n")
	if i < 0 {
		t.Fatalf("no $WinamiCachedImages list:\n%s", doc)
	}
	var names []string
	for _, l := range strings.Split(doc[i:], "\n")[1:] {
		l = strings.TrimSpace(l)
		if l == ")" {
			break
		}
		names = append(names, strings.Trim(l, "'"))
	}
	return names
}

// TestPlatformDigestPulledAndNamedAsPodsName: with the platform manifest known, the build
// pulls that manifest (so containerd downloads one Windows variant), then gives it every
// name under which containerd's CRI finds a pod's image, and pins each.
func TestPlatformDigestPulledAndNamedAsPodsName(t *testing.T) {
	index := "sha256:" + strings.Repeat("a", 64)
	platform := "sha256:" + strings.Repeat("b", 64)
	for _, tt := range []struct {
		img   Image
		names []string
	}{
		{Image{Ref: "mcr.microsoft.com/windows/servercore:ltsc2022", PlatformDigest: platform},
			[]string{"mcr.microsoft.com/windows/servercore@" + platform, "mcr.microsoft.com/windows/servercore:ltsc2022"}},
		// pinDigests: the index digest pods may name, and the tag.
		{Image{Ref: "mcr.microsoft.com/windows/servercore:ltsc2022", Digest: index, PlatformDigest: platform},
			[]string{"mcr.microsoft.com/windows/servercore@" + platform, "mcr.microsoft.com/windows/servercore@" + index, "mcr.microsoft.com/windows/servercore:ltsc2022"}},
		// tag@digest in the spec: containerd looks the pod's image up as repo@digest
		// (ParseDockerRef drops the tag), never as repo:tag@digest.
		{Image{Ref: "nginx:1.27@" + index, PlatformDigest: platform},
			[]string{"docker.io/library/nginx@" + platform, "docker.io/library/nginx@" + index, "docker.io/library/nginx:1.27"}},
		// A single-manifest image: its digest is the platform digest; one name for it.
		{Image{Ref: "team/app@" + platform, PlatformDigest: platform},
			[]string{"docker.io/team/app@" + platform}},
	} {
		docs, err := Render(Options{Name: "c", Images: []Image{tt.img}})
		if err != nil {
			t.Fatal(err)
		}
		d := docs[0].Data
		if !strings.Contains(d, "Invoke-WinamiPull -Ref '"+tt.names[0]+"' -Attempts 5\n") {
			t.Errorf("%s: not pulled by its platform manifest %s:\n%s", tt.img.Ref, tt.names[0], d)
		}
		if want := "Set-WinamiPinnedNames -Names " + psList(tt.names) + "\n"; !strings.Contains(d, want) {
			t.Errorf("%s: lacks %q", tt.img.Ref, want)
		}
		if got := cachedNames(t, d); strings.Join(got, " ") != strings.Join(tt.names, " ") {
			t.Errorf("%s: checked names %q, want %q", tt.img.Ref, got, tt.names)
		}
		if strings.Contains(d, ":1.27@") {
			t.Errorf("%s: a tag@digest name, which containerd never looks up", tt.img.Ref)
		}
	}
}

func TestPodNames(t *testing.T) {
	d := "sha256:" + strings.Repeat("c", 64)
	for _, tt := range []struct {
		ref, digest string
		want        []string
	}{
		{"nginx:1.27", "", []string{"docker.io/library/nginx:1.27"}},
		{"nginx:1.27", d, []string{"docker.io/library/nginx@" + d, "docker.io/library/nginx:1.27"}},
		{"nginx:1.27@" + d, "", []string{"docker.io/library/nginx@" + d, "docker.io/library/nginx:1.27"}},
		{"registry.example.com:5000/a/b@" + d, "", []string{"registry.example.com:5000/a/b@" + d}},
	} {
		got, err := PodNames(tt.ref, tt.digest)
		if err != nil || strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("PodNames(%q, %q) = %q, %v; want %q", tt.ref, tt.digest, got, err, tt.want)
		}
	}
}

// TestPinnedLabelAndChecks: every name is labelled with containerd CRI's pinned label, and
// the validate and test phases check completeness, unpacking and the label.
func TestPinnedLabelAndChecks(t *testing.T) {
	docs, err := Render(Options{Name: "c", Images: []Image{{Ref: "a.example/b:1"}}})
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0].Data
	for _, want := range []string{
		"images label $name 'io.cri-containerd.pinned=pinned'",
		"images tag @local --force $Ref $name",
		"images pull @local $Ref",
		"$checked = @(& $ctr -n k8s.io images check)",
		"if ($fields[3] -cne 'complete')",
		"if ($fields[-1] -cne 'true')",
		`io\.cri-containerd\.pinned=pinned`,
		"Start-Service -Name 'containerd'",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("document lacks %q", want)
		}
	}
	for _, ph := range []string{"validate", "test"} {
		i := strings.Index(d, "- name: "+ph+"\n")
		if i < 0 {
			t.Fatalf("no %s phase", ph)
		}
		body := d[i:]
		if j := strings.Index(body[1:], "\n  - name: "); j >= 0 {
			body = body[:j+1]
		}
		for _, want := range []string{"Wait-WinamiContainerd -Seconds 300", "Test-WinamiCachedImages -Names $WinamiCachedImages"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s phase lacks %q", ph, want)
			}
		}
	}
	// The helpers are written by a single-quoted here-string: no line of theirs may end it.
	for _, fn := range []string{prelude, fnWaitContainerd, fnEcrPassword, fnLocal, fnPull, fnPin, fnVerify} {
		for _, l := range strings.Split(fn, "\n") {
			if strings.HasPrefix(l, "'@") {
				t.Errorf("a helper line ends the here-string: %q", l)
			}
		}
	}
}

// TestOneStepPerImageWithTimeout: each image has its own build step, whose timeout follows
// the image's compressed size (StepTimeoutSeconds).
func TestOneStepPerImageWithTimeout(t *testing.T) {
	for _, tt := range []struct {
		bytes int64
		want  int
	}{
		{0, UnknownSizeTimeout},
		{1, StepTimeoutFloor + 3},
		{10 << 20, StepTimeoutFloor + 3},
		{3 << 30, StepTimeoutFloor + 3*308},
		{20 << 30, StepTimeoutFloor + 3*2048},
	} {
		if got := StepTimeoutSeconds(tt.bytes); got != tt.want {
			t.Errorf("StepTimeoutSeconds(%d) = %d, want %d", tt.bytes, got, tt.want)
		}
	}
	p := "sha256:" + strings.Repeat("d", 64)
	docs, err := Render(Options{Name: "c", Images: []Image{
		{Ref: "a.example/small:1", PlatformDigest: p, CompressedBytes: 100 << 20},
		{Ref: "a.example/big:1", PlatformDigest: p, CompressedBytes: 6 << 30},
		{Ref: "a.example/unknown:1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Phases []struct {
			Name  string
			Steps []struct {
				Name           string
				TimeoutSeconds int `yaml:"timeoutSeconds"`
			}
		}
	}
	if err := yaml.Unmarshal([]byte(docs[0].Data), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, s := range doc.Phases[0].Steps {
		got[s.Name] = s.TimeoutSeconds
	}
	want := map[string]int{"WriteHelpers": 60, "StartContainerd": StartTimeout + 60,
		"CacheImage1": StepTimeoutSeconds(100 << 20), "CacheImage2": StepTimeoutSeconds(6 << 30), "CacheImage3": UnknownSizeTimeout}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("build steps and timeouts = %v, want %v", got, want)
	}
}

// TestRefsThatWouldReachPowerShellAreRefused: go-containerregistry's weak validation lets
// quotes and $( ) through in a registry host; the OCI distribution grammar does not.
func TestRefsThatWouldReachPowerShellAreRefused(t *testing.T) {
	for _, ref := range []string{"a'b.example/r:1", "ev\u2019il.example/r:1", "x$(calc).example/r:1"} {
		_, err := Render(Options{Name: "c", Images: []Image{{Ref: ref}}})
		if err == nil || !strings.Contains(err.Error(), "OCI distribution grammar") {
			t.Errorf("Render(%q) = %v, want a refusal", ref, err)
		}
	}
	for _, ref := range []string{"localhost:5000/a:1", "[::1]:5000/a:1", "111000111000.dkr.ecr.us-east-1.amazonaws.com/a/b:1", "nginx:1.27"} {
		if _, err := Render(Options{Name: "c", Images: []Image{{Ref: ref}}}); err != nil {
			t.Errorf("Render(%q): %v", ref, err)
		}
	}
}

func TestSplitOverLimit(t *testing.T) {
	var imgs []Image
	for i := 0; i < 150; i++ {
		imgs = append(imgs, Image{Ref: fmt.Sprintf("111000111000.dkr.ecr.us-west-2.amazonaws.com/team-%03d/service-with-a-long-name:1.%d.0-windowsservercore-ltsc2022", i, i)})
	}
	docs, err := Render(Options{Name: "big-image-cache", Images: imgs})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) < 2 {
		t.Fatalf("%d documents for 150 images, want a split", len(docs))
	}
	var all []string
	for i, d := range docs {
		if len(d.Data) > MaxDataSize {
			t.Errorf("document %d is %d characters", i, len(d.Data))
		}
		wantName := "big-image-cache"
		if i > 0 {
			wantName = fmt.Sprintf("big-image-cache-%d", i+1)
		}
		if d.Name != wantName || !strings.Contains(d.Data, "name: "+wantName+"\n") {
			t.Errorf("document %d is named %q", i, d.Name)
		}
		checkDoc(t, d)
		// Every image of this document is pulled, pinned and checked in it.
		for _, ref := range d.Images {
			if strings.Count(d.Data, "'"+ref+"'") != 3 {
				t.Errorf("%s: %s not pulled, pinned and checked once each", d.Name, ref)
			}
		}
		all = append(all, d.Images...)
	}
	if len(all) != len(imgs) {
		t.Fatalf("documents cover %d images, want %d", len(all), len(imgs))
	}
	for i := range imgs {
		if all[i] != imgs[i].Ref {
			t.Errorf("image %d is %s, want %s (order kept)", i, all[i], imgs[i].Ref)
		}
	}
}

func TestNoImagesNoDocument(t *testing.T) {
	docs, err := Render(Options{Name: "c"})
	if err != nil || docs != nil {
		t.Errorf("Render(no images) = %v, %v", docs, err)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"nginx:1.27": "docker.io/library/nginx:1.27",
		"team/app:1": "docker.io/team/app:1",
		"mcr.microsoft.com/windows/servercore:ltsc2022": "mcr.microsoft.com/windows/servercore:ltsc2022",
		"registry.example.com:5000/a/b:2":               "registry.example.com:5000/a/b:2",
		"a/b:1@sha256:" + strings.Repeat("ab", 32):      "docker.io/a/b:1@sha256:" + strings.Repeat("ab", 32),
	} {
		if got, err := Normalize(in); err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestParseECR(t *testing.T) {
	for host, want := range map[string]string{
		"111000111000.dkr.ecr.us-east-1.amazonaws.com":          "111000111000 us-east-1",
		"111000111000.dkr.ecr-fips.us-gov-west-1.amazonaws.com": "111000111000 us-gov-west-1",
		"111000111000.dkr.ecr.cn-north-1.amazonaws.com.cn":      "111000111000 cn-north-1",
		"public.ecr.aws":    "",
		"mcr.microsoft.com": "",
		"11100011100.dkr.ecr.us-east-1.amazonaws.com": "",
	} {
		a, r, ok := ParseECR(host)
		got := ""
		if ok {
			got = a + " " + r
		}
		if got != want {
			t.Errorf("ParseECR(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	ok, err := Render(Options{Name: "c", Images: []Image{{Ref: "a/b:1"}}})
	if err != nil {
		t.Fatal(err)
	}
	good := ok[0].Data
	for name, tt := range map[string]struct{ doc, want string }{
		"too big":        {good + "#" + strings.Repeat("x", MaxDataSize), "more than the 16000"},
		"not yaml":       {"name: [", "parsing"},
		"no name":        {strings.Replace(good, "name: c\n", "", 1), "no name"},
		"schema 2":       {strings.Replace(good, "schemaVersion: 1", "schemaVersion: 2", 1), "schemaVersion"},
		"bad phase":      {strings.Replace(good, "- name: validate", "- name: deploy", 1), "phase \"deploy\""},
		"unknown action": {strings.Replace(good, "action: ExecutePowerShell", "action: RunDocker", 1), "unknown action"},
		"no phases":      {"name: c\nschemaVersion: 1.0\n", "no phases"},
	} {
		if err := Validate(tt.doc); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want %q", name, err, tt.want)
		}
	}
}
