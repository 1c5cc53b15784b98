package catalog

import (
	"fmt"
	"strconv"
	"strings"
)

// PullOrder is how a containerd version orders the entries of an index that its
// Windows platform matcher accepts; the node pulls (and runs) the first after ordering.
type PullOrder string

// The orders containerd's default Windows matcher has had. Every order first drops the
// entries that are not windows/amd64 or whose os.version (when the index gives one)
// the host does not run ([HostRunsContainer]); an entry with no os.version in the index
// is kept whatever its build. Ties keep index order (sort.SliceStable).
const (
	// OrderRevision: containerd 1.6. platforms.Default() is a matchComparer whose Less
	// puts the largest revision (fourth part of os.version) first.
	// Source: github.com/containerd/containerd platforms/defaults_windows.go at v1.6.28.
	OrderRevision PullOrder = "revision"
	// OrderIndex: containerd 1.7, 2.0 and 2.1.0–2.1.5 (github.com/containerd/platforms
	// v0.2.1 and v1.0.0-rc.1). platforms.Default() is Only(DefaultSpec()), an
	// orderedPlatformComparer whose Less ranks only by which platform of the vector
	// matches, so every accepted Windows entry ties: the first in index order wins.
	// Source: github.com/containerd/platforms defaults_windows.go and compare.go at
	// v0.2.1 and v1.0.0-rc.1 (platforms.go NewMatcher notes the Windows Less "ends up
	// getting masked due to wrapping"); containerd images.LimitManifests and
	// images.Manifest (images/handlers.go, images/image.go at v1.7.27) sort with it and
	// keep the first.
	OrderIndex PullOrder = "index"
	// OrderOSVersion: containerd 2.1.6 and later (github.com/containerd/platforms
	// v1.0.0-rc.2, commit 8c0d9f9 "use windowsMatchComparer for OSVersion match order").
	// platforms.Default() is a windowsMatchComparer whose Less puts the greater
	// os.version string first; an entry with no os.version sorts after those with one.
	OrderOSVersion PullOrder = "os.version"
)

// ContainerdOrder returns the pull order of containerd version v ("1.7.30", "v2.1.6").
func ContainerdOrder(v string) (PullOrder, error) {
	parts := strings.Split(strings.TrimPrefix(strings.TrimSpace(v), "v"), ".")
	if len(parts) < 2 {
		return "", fmt.Errorf("containerd version %q: want major.minor[.patch], such as 1.7.30", v)
	}
	var n [3]int
	for i := 0; i < len(parts) && i < 3; i++ {
		p, _, _ := strings.Cut(parts[i], "-")
		x, err := strconv.Atoi(p)
		if err != nil {
			return "", fmt.Errorf("containerd version %q: %q is not a number", v, parts[i])
		}
		n[i] = x
	}
	switch major, minor, patch := n[0], n[1], n[2]; {
	case major < 1 || (major == 1 && minor < 6):
		return "", fmt.Errorf("containerd version %q: EKS Windows AMIs ship 1.6 or later", v)
	case major == 1 && minor == 6:
		return OrderRevision, nil
	case major == 1, major == 2 && minor == 0, major == 2 && minor == 1 && patch < 6:
		return OrderIndex, nil
	default:
		return OrderOSVersion, nil
	}
}

// eksContainerd is the containerd version of the newest EKS-optimized Windows AMI of each
// Kubernetes minor (the same for the 2019, 2022 and 2025 variants that exist).
//
// Source: Amazon EKS User Guide, "Retrieve Windows AMI version information"
// (github.com/awsdocs/amazon-eks-user-guide latest/ug/nodes/eks-ami-versions-windows.adoc
// at commit 178d2ee7948152be77ee3cf2e2c213b669bd6a04: AMIs 1.NN-2026.01.22, 1.28-2025.11.14)
// and its Windows Server 2025 table (docs.amazonaws.cn/eks/latest/userguide/
// eks-ami-versions-windows.md: 1.35-2026.04.18, containerd 2.1.6).
var eksContainerd = map[string]string{
	"1.28": "1.7.28",
	"1.29": "1.7.30",
	"1.30": "1.7.30",
	"1.31": "1.7.30",
	"1.32": "1.7.30",
	"1.33": "1.7.30",
	"1.34": "2.1.6",
	"1.35": "2.1.6",
}

// EKSContainerd returns the containerd version of the newest EKS-optimized Windows AMI
// for Kubernetes minor k ("1.33" → "1.7.30"), and false when the catalog does not know.
func EKSContainerd(k string) (string, bool) {
	v, ok := eksContainerd[k]
	return v, ok
}

// EKSContainerdVersions returns the Kubernetes minors the catalog knows the containerd
// version of, oldest first.
func EKSContainerdVersions() []string {
	var out []string
	for k := range eksContainerd {
		out = append(out, k)
	}
	return sortedVersions(out)
}
