package catalog

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// KubernetesRelease is one EKS Kubernetes version in the built-in catalog.
type KubernetesRelease struct {
	// Version is "1.NN".
	Version string
	// Status is STANDARD_SUPPORT or EXTENDED_SUPPORT, as EKS DescribeClusterVersions reports.
	Status string
}

// kubernetesReleases is the fallback when EKS DescribeClusterVersions cannot be asked.
// It reflects EKS on 2026-11-26; the live list always wins.
var kubernetesReleases = []KubernetesRelease{
	{"1.29", "EXTENDED_SUPPORT"},
	{"1.30", "EXTENDED_SUPPORT"},
	{"1.31", "EXTENDED_SUPPORT"},
	{"1.32", "EXTENDED_SUPPORT"},
	{"1.33", "STANDARD_SUPPORT"},
	{"1.34", "STANDARD_SUPPORT"},
	{"1.35", "STANDARD_SUPPORT"},
	{"1.36", "STANDARD_SUPPORT"},
}

// KubernetesReleases returns the built-in catalog of EKS Kubernetes versions, oldest first.
func KubernetesReleases() []KubernetesRelease {
	return append([]KubernetesRelease(nil), kubernetesReleases...)
}

// KubernetesVersions lists the built-in catalog's Kubernetes versions, oldest first.
func KubernetesVersions() []string {
	out := make([]string, len(kubernetesReleases))
	for i, r := range kubernetesReleases {
		out[i] = r.Version
	}
	return out
}

// LatestKubernetes is the newest version of the built-in catalog in standard support.
func LatestKubernetes() string {
	return kubernetesReleases[len(kubernetesReleases)-1].Version
}

var kubernetesRE = regexp.MustCompile(`^1\.(0|[1-9][0-9]?)$`)

// OldestKubernetes is the first Kubernetes version Amazon EKS ever offered: EKS launched
// with 1.10 in June 2018, and 1.10 was the first version it deprecated (AWS Compute Blog,
// "Updates to Amazon EKS Version Lifecycle",
// https://aws.amazon.com/blogs/compute/updates-to-amazon-eks-version-lifecycle/). No EKS
// cluster, and so no EKS-optimized AMI, ever ran an older one.
const OldestKubernetes = "1.10"

// ParseKubernetes checks that v is a Kubernetes minor version written "1.NN" that EKS
// has had (OldestKubernetes or newer); "v1.31", "1.31.2" and "1.x" are refused with the
// form that is accepted. A version newer than the catalog is accepted: EKS releases
// faster than the catalog (NewerThanCatalog tells it).
func ParseKubernetes(v string) (string, error) {
	if kubernetesRE.MatchString(v) {
		if CompareKubernetes(v, OldestKubernetes) < 0 {
			return "", fmt.Errorf("kubernetes version %q is older than any EKS ever had: EKS started with %s; use one of %s (the catalog's) or a newer version EKS offers", v, OldestKubernetes, strings.Join(KubernetesVersions(), ", "))
		}
		return v, nil
	}
	hint := ""
	switch {
	case strings.HasPrefix(v, "v"):
		hint = fmt.Sprintf(" (drop the v: %q)", strings.TrimPrefix(v, "v"))
	case strings.Count(v, ".") == 2:
		hint = fmt.Sprintf(" (give the minor version only: %q)", v[:strings.LastIndex(v, ".")])
	}
	return "", fmt.Errorf("kubernetes version %q is not of the form 1.NN, such as \"1.31\"%s", v, hint)
}

// NewerThanCatalog tells whether the "1.NN" version v is newer than every version of the
// built-in catalog: it may be a version EKS released since, or one it never had, which
// only AWS can tell (plan asks SSM for its EKS-optimized AMI parameter).
func NewerThanCatalog(v string) bool {
	return CompareKubernetes(v, kubernetesReleases[len(kubernetesReleases)-1].Version) > 0
}

// minor returns the minor number of "1.NN" (or -1).
func minor(v string) int {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 || parts[0] != "1" {
		return -1
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		return -1
	}
	return n
}

// CompareKubernetes orders two "1.NN" versions: -1, 0 or +1.
func CompareKubernetes(a, b string) int {
	ma, mb := minor(a), minor(b)
	switch {
	case ma < mb:
		return -1
	case ma > mb:
		return 1
	}
	return 0
}

// Minor returns the minor number of a "1.NN" version, or -1 when it is not one.
func Minor(v string) int { return minor(v) }

// Supported tells whether EKS-optimized AMIs exist for Windows version windows with
// Kubernetes version k8s; the error says why not.
func Supported(windows, k8s string) error {
	w, err := Windows(windows)
	if err != nil {
		return err
	}
	if _, err := ParseKubernetes(k8s); err != nil {
		return err
	}
	if CompareKubernetes(k8s, w.FirstKubernetes) < 0 {
		return fmt.Errorf("windows server %s has EKS-optimized AMIs only for Kubernetes %s and later, not %s", w.Version, w.FirstKubernetes, k8s)
	}
	return nil
}
