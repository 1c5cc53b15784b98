package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
)

// BuildWinami builds cmd/winami of this module into dir, with the go command and flags of
// the caller's run (GOFLAGS included, the same as CI's, so the build cache is shared), and
// returns the binary's path.
func BuildWinami(dir string) (string, error) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(file))
	bin := filepath.Join(dir, "winami")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/winami")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building winami: %w\n%s", err, out)
	}
	return bin, nil
}
