package resolve

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
)

// regionRE matches AWS region names (us-east-1, us-gov-west-1, eu-central-2).
var regionRE = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$`)

// Axis is one dimension of the matrix as the user gave it: named values, or all.
type Axis struct {
	// Values are the values named (empty with All).
	Values []string
	// All is true for "all".
	All bool
}

// Explicit reports whether the user named the values.
func (a Axis) Explicit() bool { return !a.All && len(a.Values) > 0 }

// ParseAxis splits a comma-separated flag value ("2019,2022", "all", "") into an Axis.
func ParseAxis(values []string) Axis {
	var out Axis
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			switch {
			case p == "":
			case strings.EqualFold(p, "all"):
				out.All = true
			default:
				out.Values = append(out.Values, p)
			}
		}
	}
	if out.All {
		out.Values = nil
	}
	return out
}

// Selection is the matrix to resolve.
type Selection struct {
	Windows    Axis
	Editions   Axis
	Kubernetes Axis
	Regions    Axis
}

// FieldError is bad input in one flag.
type FieldError struct {
	Field string
	Err   error
}

// Error implements error.
func (e *FieldError) Error() string { return fmt.Sprintf("flag --%s: %v", e.Field, e.Err) }

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// Validate checks every named value against the catalog without calling AWS.
func (s Selection) Validate() error {
	for _, w := range s.Windows.Values {
		if _, err := catalog.Windows(w); err != nil {
			return &FieldError{"windows", err}
		}
	}
	for _, e := range s.Editions.Values {
		if _, err := catalog.ParseEdition(e); err != nil {
			return &FieldError{"edition", err}
		}
	}
	for _, k := range s.Kubernetes.Values {
		if _, err := catalog.ParseKubernetes(k); err != nil {
			return &FieldError{"kubernetes", err}
		}
	}
	for _, r := range s.Regions.Values {
		if !regionRE.MatchString(r) {
			return &FieldError{"region", fmt.Errorf("%q is not a region name such as us-east-1", r)}
		}
	}
	if s.Windows.Explicit() && s.Kubernetes.Explicit() {
		for _, w := range s.Windows.Values {
			for _, k := range s.Kubernetes.Values {
				if err := catalog.Supported(w, k); err != nil {
					return &FieldError{"kubernetes", err}
				}
			}
		}
	}
	return nil
}

// Lookups answers the "all" and default values from AWS.
type Lookups interface {
	EKS(region string) awsapi.EKS
	EC2(region string) awsapi.EC2
}

// Expanded is a selection turned into targets, with the warnings met on the way.
type Expanded struct {
	Targets  []Target
	Warnings []string
}

// Expand turns the selection into targets. defaultRegion is the configured region.
// Kubernetes "all" (and the default, the newest in standard support) come from EKS
// DescribeClusterVersions, falling back to the catalog with a warning when that call is
// denied or fails; region "all" comes from EC2 DescribeRegions.
func Expand(ctx context.Context, l Lookups, s Selection, defaultRegion string) (*Expanded, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	out := &Expanded{}
	windows := s.Windows.Values
	if len(windows) == 0 {
		windows = catalog.WindowsVersionNames()
	}
	for i, w := range windows {
		v, _ := catalog.Windows(w)
		windows[i] = v.Version
	}
	editions := catalog.Editions
	if len(s.Editions.Values) > 0 {
		editions = nil
		for _, e := range s.Editions.Values {
			ed, _ := catalog.ParseEdition(e)
			editions = append(editions, ed)
		}
	}
	regions := s.Regions.Values
	switch {
	case s.Regions.All:
		if defaultRegion == "" {
			return nil, &FieldError{"region", fmt.Errorf("%w (needed to ask EC2 for every region)", awsapi.ErrNoRegion)}
		}
		rs, err := AllRegions(ctx, l.EC2(defaultRegion))
		if err != nil {
			return nil, err
		}
		regions = rs
	case len(regions) == 0:
		if defaultRegion == "" {
			return nil, &FieldError{"region", awsapi.ErrNoRegion}
		}
		regions = []string{defaultRegion}
	}
	k8s := s.Kubernetes.Values
	if len(k8s) == 0 {
		// Ask EKS in the configured region (the first named one without it), not in
		// whichever region sorts first.
		eksRegion := defaultRegion
		if eksRegion == "" {
			eksRegion = regions[0]
		}
		vs, warn, err := liveKubernetes(ctx, l.EKS(eksRegion), s.Kubernetes.All)
		if err != nil {
			return nil, err
		}
		if warn != "" {
			out.Warnings = append(out.Warnings, warn)
		}
		k8s = vs
	}
	for _, region := range dedupe(regions) {
		for _, w := range dedupe(windows) {
			for _, ed := range editions {
				for _, k := range dedupe(k8s) {
					if catalog.Supported(w, k) != nil {
						continue // left out of "all" and of defaults; explicit pairs were refused by Validate
					}
					out.Targets = append(out.Targets, Target{Region: region, Windows: w, Edition: ed, Kubernetes: k})
				}
			}
		}
	}
	if len(out.Targets) == 0 {
		return nil, &FieldError{"kubernetes", fmt.Errorf("no EKS-optimized Windows AMI exists for Windows %s with Kubernetes %s", strings.Join(windows, ","), strings.Join(k8s, ","))}
	}
	return out, nil
}

func dedupe(vs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// liveKubernetes asks EKS for the supported Kubernetes versions: every one (all) or the
// newest in standard support. When EKS cannot be asked it falls back to the catalog and
// says so in the warning.
func liveKubernetes(ctx context.Context, client awsapi.EKS, all bool) ([]string, string, error) {
	var versions []string
	var newestStandard string
	p := eks.NewDescribeClusterVersionsPaginator(client, &eks.DescribeClusterVersionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if awsapi.IsCredentialError(err) || credentialsUnavailable(err) {
				return nil, "", fmt.Errorf("listing Kubernetes versions: %w", err)
			}
			why := awsapi.ErrorCode(err)
			if f := awsapi.Diagnose(err); why == "" && f != nil {
				why = strings.TrimPrefix(f.Short, f.Service+" "+f.Operation+": ") // the SDK's chain said nothing more
			} else if why == "" {
				why = err.Error()
			}
			cat := catalog.KubernetesVersions()
			if !all {
				cat = []string{catalog.LatestKubernetes()}
			}
			return cat, fmt.Sprintf("EKS DescribeClusterVersions failed (%s); using winami's built-in catalog of Kubernetes versions (%s)", why, strings.Join(cat, ", ")), nil
		}
		for _, v := range page.ClusterVersions {
			ver := aws.ToString(v.ClusterVersion)
			if _, err := catalog.ParseKubernetes(ver); err != nil {
				continue
			}
			if v.VersionStatus == ekstypes.VersionStatusUnsupported {
				continue
			}
			versions = append(versions, ver)
			if v.VersionStatus == ekstypes.VersionStatusStandardSupport && catalog.CompareKubernetes(ver, newestStandard) > 0 {
				newestStandard = ver
			}
		}
	}
	sort.Slice(versions, func(i, j int) bool { return catalog.CompareKubernetes(versions[i], versions[j]) < 0 })
	if all {
		return dedupe(versions), "", nil
	}
	if newestStandard == "" {
		return []string{catalog.LatestKubernetes()}, "EKS reported no version in standard support; using winami's built-in catalog (" + catalog.LatestKubernetes() + ")", nil
	}
	return []string{newestStandard}, "", nil
}

// credentialsUnavailable reports whether the SDK could not get credentials at all (no
// profile, keys or role): the call never reached AWS, and every other call would fail the
// same way, so it is an error, not a reason to fall back to the catalog.
func credentialsUnavailable(err error) bool {
	var ce *awsapi.CredentialsError
	if errors.As(err, &ce) {
		return true
	}
	m := err.Error()
	return strings.Contains(m, "failed to retrieve credentials") || strings.Contains(m, "failed to refresh cached credentials")
}

// AllRegions lists the regions enabled for the account (DescribeRegions).
func AllRegions(ctx context.Context, client awsapi.EC2) ([]string, error) {
	out, err := client.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil {
		return nil, fmt.Errorf("listing regions: %w", err)
	}
	var rs []string
	for _, r := range out.Regions {
		rs = append(rs, aws.ToString(r.RegionName))
	}
	sort.Strings(rs)
	return rs, nil
}
