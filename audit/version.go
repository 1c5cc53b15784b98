package audit

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Version is a parsed Kubernetes version: v1.31.4-eks-1234abc → {1, 31, 4}.
type Version struct {
	Major, Minor, Patch int
}

// String is "1.31.4".
func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// MinorString is "1.31".
func (v Version) MinorString() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

var versionRE = regexp.MustCompile(`^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$`)

// ParseVersion parses a kubelet or API server git version: "v1.31.4",
// "v1.31.4-eks-1234abc", "1.31", "v1.30.0+k3s1".
func ParseVersion(s string) (Version, error) {
	m := versionRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Version{}, fmt.Errorf("parsing Kubernetes version %q: want v1.NN.P", s)
	}
	var v Version
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		v.Patch, _ = strconv.Atoi(m[3])
	}
	return v, nil
}

// ParseServerVersion reads the API server's version from the discovery fields: the git
// version first ("v1.31.4-eks-1234abc"), else major and minor, where EKS and GKE report
// minors such as "31+".
func ParseServerVersion(gitVersion, major, minor string) (Version, error) {
	if v, err := ParseVersion(gitVersion); err == nil {
		return v, nil
	}
	ma, err1 := strconv.Atoi(strings.TrimRight(major, "+"))
	mi, err2 := strconv.Atoi(strings.TrimRight(minor, "+"))
	if err1 != nil || err2 != nil {
		return Version{}, fmt.Errorf("parsing the API server version %q (major %q, minor %q)", gitVersion, major, minor)
	}
	return Version{Major: ma, Minor: mi}, nil
}

// providerIDRE matches the AWS cloud provider's node IDs: aws:///us-east-1a/i-0123… (and
// the older aws://us-east-1a/i-… form). The zone may be empty.
var providerIDRE = regexp.MustCompile(`^aws://(?:/)?([^/]*)/(i-[0-9a-zA-Z]+)$`)

// instanceIDRE is what EC2 accepts as an instance id (anything else fails the whole
// DescribeInstances call with InvalidInstanceID.Malformed).
var instanceIDRE = regexp.MustCompile(`^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$`)

// regionRE cuts a zone down to its region: us-east-1a → us-east-1,
// us-west-2-lax-1a → us-west-2, us-gov-west-1b → us-gov-west-1.
var regionRE = regexp.MustCompile(`^([a-z]{2}(?:-[a-z]+)+-\d+)`)

// ParseProviderID returns the zone, region and instance id of an AWS node's
// spec.providerID. ok is false for any other provider.
func ParseProviderID(id string) (zone, region, instance string, ok bool) {
	m := providerIDRE.FindStringSubmatch(strings.TrimSpace(id))
	if m == nil {
		return "", "", "", false
	}
	zone, instance = m[1], m[2]
	if r := regionRE.FindStringSubmatch(zone); r != nil {
		region = r[1]
	}
	return zone, region, instance, true
}
