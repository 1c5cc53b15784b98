package docs

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/winami/winami/internal/readmetest"
)

var update = flag.Bool("update", false, "rewrite README.md's captured outputs with what the commands print")

// TestREADME runs every console block of README.md whose scene needs no Kubernetes API
// server (the scenes tagged k8s run in e2e/, with an API server) as a reader would: in
// bash, with the winami built from this checkout on PATH as `winami`, the README's local
// registry built from docs/registry, against the `winami sandbox` the README's commands
// start. The scenes run in parallel, each in its own bash session with its own sandbox:
// the README's ports (4566, 5000, 47123) are mapped to free ports of the same width (so
// tables keep their columns) per scene, in commands and back in outputs, so the test also
// runs beside another sandbox or a second copy of itself (e2e/run's README scenes in CI).
func TestREADME(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	build(t, root, filepath.Join(bin, "winami"), "./cmd/winami")
	build(t, root, filepath.Join(bin, "docs-registry"), "./docs/registry")
	var mu sync.Mutex
	taken := map[int]bool{4566: true, 5000: true, 47123: true}
	port := func(t *testing.T, digits int) int {
		mu.Lock()
		defer mu.Unlock()
		return freePort(t, digits, taken)
	}
	// Nothing listens on this one: a proxy that refuses every connection.
	noProxy := "http://127.0.0.1:" + strconv.Itoa(port(t, 5))
	readmetest.Run(t, readmetest.Options{
		README: filepath.Join(root, "README.md"),
		Root:   root,
		Bin:    bin,
		Select: func(s *readmetest.Scene) bool { return !s.HasTag("k8s") },
		// Tests talk to 127.0.0.1 only: a command that would reach a registry on the
		// internet (doctor reading the enterprise spec's MCR images, under a … in the
		// README) fails at once instead, and the README does not show it.
		Env: []string{"HTTPS_PROXY=" + noProxy, "HTTP_PROXY=" + noProxy, "NO_PROXY=127.0.0.1,localhost"},
		Replace: []readmetest.Replacement{
			// The first sandbox of the README listens on its default port, 4566.
			{README: "winami sandbox &", Actual: "winami sandbox --listen 127.0.0.1:4566 &", CommandOnly: true},
			// The registry, built once above rather than by every `go run`.
			{README: "go run ./docs/registry", Actual: "docs-registry --listen 127.0.0.1:5000", CommandOnly: true},
		},
		// Each scene its own ports: the scenes run in parallel, each with its sandbox.
		SceneReplace: func(t *testing.T) []readmetest.Replacement {
			return []readmetest.Replacement{
				{README: "127.0.0.1:4566", Actual: "127.0.0.1:" + strconv.Itoa(port(t, 4))},
				{README: "127.0.0.1:5000", Actual: "127.0.0.1:" + strconv.Itoa(port(t, 4))},
				{README: "127.0.0.1:47123", Actual: "127.0.0.1:" + strconv.Itoa(port(t, 5))},
			}
		},
		Parallel: true,
		Update:   *update,
	})
}

func build(t *testing.T, root, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = os.Environ()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// freePort returns a loopback port with digits digits that nothing listens on and that
// is not in taken (which it joins).
func freePort(t *testing.T, digits int, taken map[int]bool) int {
	t.Helper()
	lo, hi := 6000, 9999
	if digits == 5 {
		lo, hi = 20000, 60999
	}
	for range 1000 {
		p := lo + rand.IntN(hi-lo+1)
		if taken[p] {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		_ = ln.Close()
		taken[p] = true
		return p
	}
	t.Fatal("no free port")
	return 0
}
