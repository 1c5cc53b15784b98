package spec_test

import (
	"strings"
	"testing"

	"github.com/winami/winami/spec"
)

// TestParentReleaseName: the AMI a releaseDate pins, by source; nothing without a pin or
// with an imageId; a release of another Kubernetes version is refused.
func TestParentReleaseName(t *testing.T) {
	base := func(parent, k8s string) *spec.WindowsImage {
		img := &spec.WindowsImage{}
		img.Spec.KubernetesVersion = k8s
		img.Spec.Windows.Version, img.Spec.Windows.Edition = "2022", "Core"
		img.Spec.Parent.Source = spec.SourceEKSOptimized
		switch parent {
		case "base":
			img.Spec.Parent.Source = spec.SourceWindowsBase
			img.Spec.Parent.ReleaseDate = "2026.10.14"
		case "ami":
			img.Spec.Parent.ReleaseDate, img.Spec.Parent.ImageID = "2026.10.15", "ami-0123456789abcdef0"
		case "":
		default:
			img.Spec.Parent.ReleaseDate = parent
		}
		return img
	}
	for _, tt := range []struct {
		parent, k8s, want, err string
	}{
		{"2026.10.15", "1.33", "Windows_Server-2022-English-Core-EKS_Optimized-1.33-2026.10.15", ""},
		{"1.33-2026-10-15", "1.33", "Windows_Server-2022-English-Core-EKS_Optimized-1.33-2026.10.15", ""},
		{"base", "1.33", "Windows_Server-2022-English-Core-Base-2026.10.14", ""},
		{"", "1.33", "", ""},
		{"ami", "1.33", "", ""},
		{"1.32-2026.10.15", "1.33", "", "names Kubernetes 1.32 but spec.kubernetesVersion is 1.33"},
		{"October", "1.33", "", "spec.parent.releaseDate"},
	} {
		got, err := base(tt.parent, tt.k8s).ParentReleaseName()
		if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: %q, %v; want %q, error with %q", tt.parent, got, err, tt.want, tt.err)
		}
	}
}
