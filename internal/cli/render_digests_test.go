package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winami/winami/images/imagestest"
)

// TestRenderResolveDigests: offline, render pulls images as given and says so;
// --resolve-digests reads the registry, as apply does: the component pulls the
// windows/amd64 manifest for the spec's Windows build (not the multi-version index),
// names it as pods name it — the tag, and with spec.cache.pinDigests the index digest —
// and pins every name.
func TestRenderResolveDigests(t *testing.T) {
	t.Parallel()
	host := imageRegistry(t)
	useEmulator(t) // AWS settings for the ECR keychain; no ECR image here
	ref := host + "/app:1.4.2"
	base := imagestest.Layers(t, 1, 2048)
	ltsc2019 := imagestest.WindowsImage(t, "10.0.17763.6054", base, 1)
	ltsc2022 := imagestest.WindowsImage(t, "10.0.20348.2700", base, 1)
	index := imagestest.Push(t, ref, imagestest.Index(t, ltsc2019, ltsc2022))
	platform := imagestest.Digest(t, ltsc2022)
	spec := `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata: {name: pinned, region: us-east-1}
spec:
  kubernetesVersion: "1.33"
  windows: {version: "2022", edition: Core}
  cache:
    pinDigests: true
    images: [` + ref + `]
`
	f := filepath.Join(t.TempDir(), "winami.yaml")
	if err := os.WriteFile(f, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	component := func(dir string) string {
		b, err := os.ReadFile(filepath.Join(dir, "pinned-image-cache.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	offline := t.TempDir()
	_, stderr, code := run(t, "render", "-f", f, "-d", offline)
	if code != 0 || !strings.Contains(stderr, "spec.cache.pinDigests: 1 image(s) kept by tag") ||
		!strings.Contains(stderr, "1 cached image(s) are pulled by tag or digest as given") {
		t.Fatalf("offline render: exit %d, stderr %q", code, stderr)
	}
	if doc := component(offline); strings.Contains(doc, index) || strings.Contains(doc, platform) {
		t.Error("offline render wrote a digest it cannot know")
	}

	online := t.TempDir()
	_, stderr, code = run(t, "render", "-f", f, "-d", online, "--resolve-digests")
	if code != 0 || strings.Contains(stderr, "kept by tag") || strings.Contains(stderr, "as given") {
		t.Fatalf("render --resolve-digests: exit %d, stderr %q", code, stderr)
	}
	doc := component(online)
	for _, want := range []string{
		"Invoke-WinamiPull -Ref '" + host + "/app@" + platform + "' -Attempts 5\n",
		"Set-WinamiPinnedNames -Names @('" + host + "/app@" + platform + "', '" + host + "/app@" + index + "', '" + ref + "')\n",
		"-n k8s.io images pull",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("the component lacks %q:\n%s", want, doc)
		}
	}

	// Without pinDigests the manifest is still pulled by digest, named by its tag only.
	nopin := filepath.Join(t.TempDir(), "nopin.yaml")
	if err := os.WriteFile(nopin, []byte(strings.Replace(spec, "pinDigests: true", "pinDigests: false", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, stderr, code = run(t, "render", "-f", nopin, "-d", dir, "--resolve-digests")
	if code != 0 || strings.Contains(stderr, "as given") {
		t.Fatalf("--resolve-digests without pinDigests: exit %d, stderr %q", code, stderr)
	}
	if doc := component(dir); !strings.Contains(doc, "Set-WinamiPinnedNames -Names @('"+host+"/app@"+platform+"', '"+ref+"')\n") || strings.Contains(doc, index) {
		t.Errorf("without pinDigests: not pulled by the platform manifest and named by the tag:\n%s", doc)
	}

	// An image the registry does not have is pulled as given, with a warning.
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	if err := os.WriteFile(missing, []byte(strings.Replace(strings.Replace(spec, "pinDigests: true", "pinDigests: false", 1), ref, host+"/gone:1", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	_, stderr, code = run(t, "render", "-f", missing, "-d", dir, "--resolve-digests")
	if code != 0 || !strings.Contains(stderr, "1 cached image(s) are pulled by tag or digest as given") {
		t.Fatalf("--resolve-digests with a missing image: exit %d, stderr %q", code, stderr)
	}
	if doc := component(dir); !strings.Contains(doc, "Invoke-WinamiPull -Ref '"+host+"/gone:1' -Attempts 5\n") {
		t.Errorf("a missing image is not pulled as given:\n%s", doc)
	}
}
