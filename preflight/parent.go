package preflight

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/catalog"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/render"
	"github.com/winami/winami/spec"
)

func (d *Doctor) parent(ctx context.Context, img *spec.WindowsImage) (Check, error) {
	res, err := render.Render(img, render.Options{})
	if err != nil {
		return Check{}, fmt.Errorf("rendering the spec: %w", err)
	}
	p, err := imagebuilder.ResolveParent(ctx, d.Clients, img.Metadata.Region, res.ParentImage)
	var pe *imagebuilder.PreflightError
	if errors.As(err, &pe) {
		return Check{Name: CheckParentImage, Status: Fail, Message: strings.Join(pe.Problems, "; "),
			Fix: "check spec.parent (and spec.kubernetesVersion: `winami resolve` lists what exists)"}, nil
	}
	if err != nil {
		return Check{}, err
	}
	msg := fmt.Sprintf("parent %s is %s (%s) in %s", res.ParentImage, p.ImageID, p.Name, img.Metadata.Region)
	if rel := img.Spec.Parent.ReleaseDate; rel != "" && img.Spec.Parent.ImageID == "" {
		return d.pinnedRelease(ctx, img, rel)
	}
	if pin := img.Spec.Parent.OSBuild; pin != "" {
		return Check{Name: CheckParentImage, Status: Warn, Message: msg + "; the OS build pin " + pin + " is resolved by apply"}, nil
	}
	return Check{Name: CheckParentImage, Status: Pass, Message: msg}, nil
}

// pinnedRelease finds the Amazon AMI of a pinned release date by its name.
func (d *Doctor) pinnedRelease(ctx context.Context, img *spec.WindowsImage, rel string) (Check, error) {
	region := img.Metadata.Region
	s := img.Spec
	k8s, date, err := catalog.ParseRelease(rel)
	if err != nil {
		return Check{Name: CheckParentImage, Status: Fail, Message: err.Error(), Fix: "write spec.parent.releaseDate as 2026.10.15 or 1.31-2026.10.15"}, nil
	}
	if k8s == "" {
		k8s = s.KubernetesVersion
	}
	ed := catalog.Edition(s.Windows.Edition)
	name := catalog.EKSOptimizedAMIName(s.Windows.Version, ed, k8s, date.Format("2006.01.02"))
	if s.Parent.Source == spec.SourceWindowsBase {
		name = catalog.BaseAMIName(s.Windows.Version, ed, date.Format("2006.01.02"))
	}
	out, err := d.Clients.EC2(region).DescribeImages(ctx, &ec2.DescribeImagesInput{
		Owners:  []string{catalog.OwnerFor(region)},
		Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{name}}},
	})
	if err != nil {
		return Check{}, fmt.Errorf("looking up the pinned parent %s in %s: %w", name, region, err)
	}
	if len(out.Images) == 0 {
		return Check{Name: CheckParentImage, Status: Fail,
			Message: fmt.Sprintf("the pinned parent release %s (%s) is not available in %s", rel, name, region),
			Fix:     "public EKS Windows AMIs turn private after about 4 months: pin a newer release (`winami resolve --details --history` lists them) or build on an AMI you own (spec.parent.imageId)"}, nil
	}
	return Check{Name: CheckParentImage, Status: Pass, Message: fmt.Sprintf("pinned parent %s is %s in %s", name, aws.ToString(out.Images[0].ImageId), region)}, nil
}
