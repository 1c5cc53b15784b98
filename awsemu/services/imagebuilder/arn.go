package imagebuilder

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/winami/winami/awsemu/world"
)

// semver is a major.minor.patch version.
type semver [3]int

func (v semver) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

func (v semver) less(w semver) bool {
	for i := range v {
		if v[i] != w[i] {
			return v[i] < w[i]
		}
	}
	return false
}

// maxNode is the largest value of a version node (2^30-1).
const maxNode = 1<<30 - 1

var versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
var wildcardRE = regexp.MustCompile(`^(?:[0-9]+|x)\.(?:[0-9]+|x)\.(?:[0-9]+|x)$`)

// parseVersion parses a numeric semantic version; ok is false when it does not match
// ^[0-9]+\.[0-9]+\.[0-9]+$ or a node is above 2^30-1.
func parseVersion(s string) (semver, bool) {
	if !versionRE.MatchString(s) {
		return semver{}, false
	}
	var v semver
	for i, p := range strings.Split(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil || n > maxNode {
			return semver{}, false
		}
		v[i] = n
	}
	return v, true
}

// pattern is a version with wildcards: -1 stands for x.
type pattern [3]int

func parsePattern(s string) (pattern, bool) {
	if !wildcardRE.MatchString(s) {
		return pattern{}, false
	}
	var p pattern
	for i, n := range strings.Split(s, ".") {
		if n == "x" {
			p[i] = -1
			continue
		}
		v, err := strconv.Atoi(n)
		if err != nil || v > maxNode {
			return pattern{}, false
		}
		p[i] = v
	}
	return p, true
}

func (p pattern) matches(v semver) bool {
	for i := range p {
		if p[i] >= 0 && p[i] != v[i] {
			return false
		}
	}
	return true
}

// arnName is the form of a resource name inside an ARN: lower case, spaces as hyphens.
func arnName(name string) string { return strings.ToLower(strings.ReplaceAll(name, " ", "-")) }

// resourceARN builds an Image Builder ARN.
func resourceARN(region, account, kind, name string, rest ...string) string {
	parts := append([]string{kind, arnName(name)}, rest...)
	return fmt.Sprintf("arn:%s:imagebuilder:%s:%s:%s", world.Partition(region), region, account, strings.Join(parts, "/"))
}

// parsedARN is an Image Builder ARN taken apart.
type parsedARN struct {
	region, account, kind, name string
	version                     string // "" for versionless ARNs
	build                       string // "" when absent
}

var arnRE = regexp.MustCompile(`^arn:aws[^:]*:imagebuilder:([^:]+):([0-9]{12}|aws(?:-[a-z-]+)?):(image-recipe|container-recipe|infrastructure-configuration|distribution-configuration|component|image|image-pipeline|lifecycle-policy|workflow/(?:build|test|distribution))/([a-z0-9-_]+)(?:/((?:x|[0-9]+)\.(?:x|[0-9]+)\.(?:x|[0-9]+))(?:/([0-9]+))?)?$`)

func parseARN(s string) (parsedARN, bool) {
	m := arnRE.FindStringSubmatch(s)
	if m == nil {
		return parsedARN{}, false
	}
	return parsedARN{region: m[1], account: m[2], kind: m[3], name: m[4], version: m[5], build: m[6]}, true
}

// latestReferences are the wildcard ARNs of a versioned resource's version lines.
func latestReferences(region, account, kind, name string, v semver) map[string]any {
	return map[string]any{
		"latestVersionArn":      resourceARN(region, account, kind, name, "x.x.x"),
		"latestMajorVersionArn": resourceARN(region, account, kind, name, fmt.Sprintf("%d.x.x", v[0])),
		"latestMinorVersionArn": resourceARN(region, account, kind, name, fmt.Sprintf("%d.%d.x", v[0], v[1])),
		"latestPatchVersionArn": resourceARN(region, account, kind, name, v.String()),
	}
}
