package images

import (
	"fmt"
	"strings"

	"github.com/winami/winami/catalog"
)

// Target resolves the Windows version an image must run on. It accepts a year ("2022"),
// a tag ("ltsc2022") or an OS build ("10.0.20348", "10.0.20348.2700").
func Target(windows string) (catalog.WindowsVersion, error) {
	s := strings.TrimSpace(windows)
	if strings.Count(s, ".") >= 2 {
		if w, ok := catalog.ForBuild(s); ok {
			return w, nil
		}
		var builds []string
		for _, w := range catalog.WindowsVersions() {
			builds = append(builds, w.Build)
		}
		return catalog.WindowsVersion{}, fmt.Errorf("windows build %q is not one with EKS-optimized AMIs: use one of %s", windows, strings.Join(builds, ", "))
	}
	return catalog.Windows(s)
}
