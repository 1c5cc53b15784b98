package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winami/winami/images/imagestest"
)

// TestRenderResolveDigests: with spec.cache.pinDigests: true, plain render keeps tags and
// says so; --resolve-digests reads the digest from the registry and the component pulls
// by it (and tags it back, so pods naming the tag find it).
func TestRenderResolveDigests(t *testing.T) {
	host := imageRegistry(t)
	useEmulator(t) // AWS settings for the ECR keychain; no ECR image here
	ref := host + "/app:1.4.2"
	digest := imagestest.PushWindows(t, ref, imagestest.Layers(t, 1, 2048), "10.0.20348.2700")
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
	if code != 0 || !strings.Contains(stderr, "spec.cache.pinDigests: 1 image(s) kept by tag") {
		t.Fatalf("offline render: exit %d, stderr %q", code, stderr)
	}
	if strings.Contains(component(offline), digest) {
		t.Error("offline render wrote a digest it cannot know")
	}

	online := t.TempDir()
	_, stderr, code = run(t, "render", "-f", f, "-d", online, "--resolve-digests")
	if code != 0 || strings.Contains(stderr, "kept by tag") {
		t.Fatalf("render --resolve-digests: exit %d, stderr %q", code, stderr)
	}
	doc := component(online)
	if !strings.Contains(doc, host+"/app@"+digest) || !strings.Contains(doc, "-n k8s.io images pull") {
		t.Errorf("the component does not pull %s by digest %s:\n%s", ref, digest, doc)
	}

	// Without pinDigests the flag is refused: render would not use the digests.
	nopin := filepath.Join(t.TempDir(), "nopin.yaml")
	if err := os.WriteFile(nopin, []byte(strings.Replace(spec, "pinDigests: true", "pinDigests: false", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = run(t, "render", "-f", nopin, "-d", t.TempDir(), "--resolve-digests")
	if code != 2 || !strings.Contains(stderr, "--resolve-digests") {
		t.Errorf("--resolve-digests without pinDigests: exit %d, stderr %q", code, stderr)
	}
}
