package preflight

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	ibtypes "github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/check"
	"github.com/winami/winami/spec"
)

// eksComponent checks, for the windows-base route, that Amazon's managed component
// eks-optimized-ami-windows has a version for the spec's Kubernetes minor in the build
// region: the recipe names it as <k8s>.x, and Amazon publishes it some time after a
// Kubernetes release, so a new version can exist in EKS before it exists here. The
// check lists Amazon's versions (ListComponents with owner Amazon and a name filter,
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ListComponents.html).
func (d *Doctor) eksComponent(ctx context.Context, img *spec.WindowsImage) (check.Check, error) {
	region := img.Metadata.Region
	k8s := img.Spec.KubernetesVersion
	in := &imagebuilder.ListComponentsInput{Owner: ibtypes.OwnershipAmazon,
		Filters: []ibtypes.Filter{{Name: aws.String("name"), Values: []string{catalog.ComponentEKS}}}}
	var versions []string
	p := imagebuilder.NewListComponentsPaginator(d.Clients.ImageBuilder(region), in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			if awsapi.IsAccessDenied(err) {
				return check.Check{Name: CheckEKSComponent, Status: check.Warn, Message: fmt.Sprintf("%s not checked in %s: %v", catalog.ComponentEKS, region, err),
					Fix: "allow imagebuilder:ListComponents"}, nil
			}
			return check.Check{}, fmt.Errorf("listing Amazon's %s versions in %s: %w", catalog.ComponentEKS, region, err)
		}
		for _, c := range out.ComponentVersionList {
			if aws.ToString(c.Name) == catalog.ComponentEKS {
				versions = append(versions, aws.ToString(c.Version))
			}
		}
	}
	var match []string
	for _, v := range versions {
		if strings.HasPrefix(v, k8s+".") {
			match = append(match, v)
		}
	}
	if len(match) > 0 {
		sortVersions(match)
		return check.Check{Name: CheckEKSComponent, Status: check.Pass,
			Message: fmt.Sprintf("Amazon's %s has %s for Kubernetes %s in %s", catalog.ComponentEKS, match[len(match)-1], k8s, region)}, nil
	}
	newest := "none"
	if len(versions) > 0 {
		sortVersions(versions)
		newest = versions[len(versions)-1]
	}
	return check.Check{Name: CheckEKSComponent, Status: check.Fail,
		Message: fmt.Sprintf("Amazon's %s component has no version %s in %s (newest: %s): the recipe's %s cannot resolve, and it lags new Kubernetes releases",
			catalog.ComponentEKS, catalog.EKSComponentVersion(k8s), region, newest, catalog.ManagedComponentARN(region, catalog.ComponentEKS, catalog.EKSComponentVersion(k8s))),
		Fix: fmt.Sprintf("use spec.parent.source: %s (the EKS-optimized AMI already has Kubernetes %s when `winami resolve` lists it), or a Kubernetes version the component has, or wait for Amazon to publish it "+
			"(`aws imagebuilder list-components --owner Amazon --filters name=name,values=%s --region %s`)", spec.SourceEKSOptimized, k8s, catalog.ComponentEKS, region)}, nil
}

// sortVersions sorts dotted numeric versions in ascending order.
func sortVersions(vs []string) {
	key := func(v string) []int {
		var out []int
		for _, f := range strings.Split(v, ".") {
			n, _ := strconv.Atoi(f)
			out = append(out, n)
		}
		return out
	}
	sort.Slice(vs, func(i, j int) bool {
		a, b := key(vs[i]), key(vs[j])
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
}
