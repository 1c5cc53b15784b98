package spec

import (
	"fmt"

	"github.com/winami/winami/catalog"
)

// ParentReleaseName is the name of the Amazon AMI that spec.parent.releaseDate pins: the
// EKS-optimized AMI of spec.kubernetesVersion released that day, or (windows-base) the
// Windows Server base AMI. It is "" when no release is pinned (no releaseDate, or an
// imageId). The error names the field; Load's validation already rejects what it rejects.
func (img *WindowsImage) ParentReleaseName() (string, error) {
	s := img.Spec
	if s.Parent.ReleaseDate == "" || s.Parent.ImageID != "" {
		return "", nil
	}
	k8s, released, err := catalog.ParseRelease(s.Parent.ReleaseDate)
	if err != nil {
		return "", fmt.Errorf("spec.parent.releaseDate %q: %w", s.Parent.ReleaseDate, err)
	}
	if k8s != "" && k8s != s.KubernetesVersion {
		return "", fmt.Errorf("spec.parent.releaseDate %q names Kubernetes %s but spec.kubernetesVersion is %s", s.Parent.ReleaseDate, k8s, s.KubernetesVersion)
	}
	date := released.Format("2006.01.02")
	ed := catalog.Edition(s.Windows.Edition)
	if s.Parent.Source == SourceWindowsBase {
		return catalog.BaseAMIName(s.Windows.Version, ed, date), nil
	}
	return catalog.EKSOptimizedAMIName(s.Windows.Version, ed, s.KubernetesVersion, date), nil
}
