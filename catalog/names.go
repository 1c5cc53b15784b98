package catalog

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// AMI owner accounts of the EKS-optimized and base Windows AMIs.
const (
	AmazonOwner            = "801119661308"
	GovCloudOwner          = "077303321853"
	ParameterRoot          = "/aws/service/ami-windows-latest/"
	ComponentEKS           = "eks-optimized-ami-windows"
	ComponentUpdateWindows = "update-windows"
)

// OwnerFor returns the account that owns the Windows AMIs in region.
func OwnerFor(region string) string {
	if strings.HasPrefix(region, "us-gov-") {
		return GovCloudOwner
	}
	return AmazonOwner
}

// Partition returns the ARN partition of region.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	}
	return "aws"
}

func stem(windows string, ed Edition) string {
	return fmt.Sprintf("Windows_Server-%s-English-%s", windows, ed)
}

// EKSOptimizedParameter is the SSM public parameter whose value is the newest
// EKS-optimized AMI: /aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id.
func EKSOptimizedParameter(windows string, ed Edition, k8s string) string {
	return ParameterRoot + stem(windows, ed) + "-EKS_Optimized-" + k8s + "/image_id"
}

// BaseParameter is the SSM public parameter of the plain Windows Server base AMI:
// /aws/service/ami-windows-latest/Windows_Server-2022-English-Core-Base.
func BaseParameter(windows string, ed Edition) string {
	return ParameterRoot + stem(windows, ed) + "-Base"
}

// EKSOptimizedAMIName is the name of an EKS-optimized AMI released on date
// (time or "2026.10.15" / "2026-10-15"): Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15.
func EKSOptimizedAMIName(windows string, ed Edition, k8s, date string) string {
	return stem(windows, ed) + "-EKS_Optimized-" + k8s + "-" + strings.ReplaceAll(date, "-", ".")
}

// EKSOptimizedNamePattern is the DescribeImages name filter matching every release:
// Windows_Server-2022-English-Core-EKS_Optimized-1.31-*.
func EKSOptimizedNamePattern(windows string, ed Edition, k8s string) string {
	return stem(windows, ed) + "-EKS_Optimized-" + k8s + "-*"
}

// BaseAMIName is the name of a Windows Server base AMI released on date:
// Windows_Server-2022-English-Core-Base-2026.10.15.
func BaseAMIName(windows string, ed Edition, date string) string {
	return stem(windows, ed) + "-Base-" + strings.ReplaceAll(date, "-", ".")
}

// BaseNamePattern is the DescribeImages name filter matching every base AMI release.
func BaseNamePattern(windows string, ed Edition) string {
	return stem(windows, ed) + "-Base-*"
}

var amiNameRE = regexp.MustCompile(`^Windows_Server-(\d{4})-English-(Core|Full)-EKS_Optimized-(1\.\d+)-(\d{4})[.-](\d{2})[.-](\d{2})$`)

// AMIName is a parsed EKS-optimized Windows AMI name.
type AMIName struct {
	Windows    string
	Edition    Edition
	Kubernetes string
	Released   time.Time
}

// Version is the release version string "1.31-2026.10.15".
func (n AMIName) Version() string { return n.Kubernetes + "-" + n.Released.Format("2006.01.02") }

// ParseAMIName parses an EKS-optimized Windows AMI name.
func ParseAMIName(name string) (AMIName, bool) {
	m := amiNameRE.FindStringSubmatch(name)
	if m == nil {
		return AMIName{}, false
	}
	t, err := time.Parse("2006-01-02", m[4]+"-"+m[5]+"-"+m[6])
	if err != nil {
		return AMIName{}, false
	}
	return AMIName{Windows: m[1], Edition: Edition(m[2]), Kubernetes: m[3], Released: t}, true
}

var releaseRE = regexp.MustCompile(`^(?:(1\.\d+)-)?(\d{4})[.-](\d{2})[.-](\d{2})$`)

// ParseRelease parses a release version "1.35-2026.04.18" or a date "2026.04.18" /
// "2026-04-18" (dots and dashes both accepted) into its Kubernetes version (may be "")
// and date.
func ParseRelease(s string) (k8s string, released time.Time, err error) {
	m := releaseRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", time.Time{}, fmt.Errorf("release %q is not a date (2026.04.18 or 2026-04-18) or a release version (1.35-2026.04.18)", s)
	}
	t, err := time.Parse("2006-01-02", m[2]+"-"+m[3]+"-"+m[4])
	if err != nil {
		return "", time.Time{}, fmt.Errorf("release %q: %w", s, err)
	}
	return m[1], t, nil
}

// ManagedComponentARN is the ARN of an Amazon-managed Image Builder component, with a
// version such as "1.31.x" or "x.x.x": arn:aws:imagebuilder:us-east-1:aws:component/update-windows/x.x.x.
func ManagedComponentARN(region, name, version string) string {
	return fmt.Sprintf("arn:%s:imagebuilder:%s:aws:component/%s/%s", Partition(region), region, name, version)
}

// EKSComponentVersion is the eks-optimized-ami-windows component version wildcard for a
// Kubernetes minor: "1.31" → "1.31.x".
func EKSComponentVersion(k8s string) string { return k8s + ".x" }

var ecrHostRE = regexp.MustCompile(`^([0-9]{12})\.dkr(?:-fips)?\.ecr(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|on\.aws|c2s\.ic\.gov|sc2s\.sgov\.gov)$`)

// ParseECRHost recognises an Amazon ECR private registry host
// (111000111000.dkr.ecr.us-east-1.amazonaws.com, FIPS and partition variants included)
// and returns its account and region.
func ParseECRHost(host string) (account, region string, ok bool) {
	m := ecrHostRE.FindStringSubmatch(strings.ToLower(host))
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}
