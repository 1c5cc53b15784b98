package component

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
	for _, ph := range []string{"- name: build", "- name: validate"} {
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
		"-Ref '111000111000.dkr.ecr.us-east-1.amazonaws.com/a:1' -EcrRegion 'us-east-1'",
		"-Ref '333000333000.dkr.ecr.ap-south-1.amazonaws.com/b:2' -EcrRegion 'ap-south-1'",
		"Invoke-WinamiPull -Ref 'mcr.microsoft.com/windows/nanoserver:ltsc2022'\n",
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
	if !strings.Contains(d, "Invoke-WinamiPull -Ref '"+byDigest+"' -Tags @('mcr.microsoft.com/windows/servercore:ltsc2022')") {
		t.Errorf("not pulled by digest and tagged:\n%s", d)
	}
	// The validate phase wants both names.
	v := d[strings.Index(d, "- name: validate"):]
	if !strings.Contains(v, "'"+byDigest+"'") || !strings.Contains(v, "'mcr.microsoft.com/windows/servercore:ltsc2022'") {
		t.Errorf("validate phase does not check both names:\n%s", v)
	}
	if _, err := Render(Options{Name: "c", Images: []Image{{Ref: "a/b:1", Digest: "sha256:short"}}}); err == nil {
		t.Error("a malformed digest was accepted")
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
		// Every image of this document is pulled and validated in it.
		for _, ref := range d.Images {
			if strings.Count(d.Data, "'"+ref+"'") != 2 {
				t.Errorf("%s: %s not pulled and validated once each", d.Name, ref)
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
