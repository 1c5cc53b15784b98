package preflight

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/winami/winami/check"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/render"
	"github.com/winami/winami/spec"
)

func (d *Doctor) parent(ctx context.Context, img *spec.WindowsImage) (check.Check, error) {
	res, err := render.Render(img, render.Options{})
	if err != nil {
		return check.Check{}, fmt.Errorf("rendering the spec: %w", err)
	}
	p, err := imagebuilder.ResolveParent(ctx, d.Clients, img.Metadata.Region, res.ParentImage)
	var pe *check.PreflightError
	if errors.As(err, &pe) {
		return check.Check{Name: CheckParentImage, Status: check.Fail, Message: strings.Join(pe.Problems(), "; "),
			Fix: "check spec.parent (and spec.kubernetesVersion: `winami resolve` lists what exists)"}, nil
	}
	if err != nil {
		return check.Check{}, err
	}
	msg := fmt.Sprintf("parent %s is %s (%s) in %s", res.ParentImage, p.ImageID, p.Name, img.Metadata.Region)
	if rel := img.Spec.Parent.ReleaseDate; rel != "" && img.Spec.Parent.ImageID == "" {
		return d.pinnedRelease(ctx, img, rel)
	}
	if pin := img.Spec.Parent.OSBuild; pin != "" {
		return check.Check{Name: CheckParentImage, Status: check.Warn, Message: msg + "; the OS build pin " + pin + " is resolved by apply"}, nil
	}
	return check.Check{Name: CheckParentImage, Status: check.Pass, Message: msg}, nil
}

// pinnedRelease finds the Amazon AMI of a pinned release date by its name, with the one
// lookup plan and apply use (imagebuilder.FindReleaseAMI: deprecated AMIs included).
func (d *Doctor) pinnedRelease(ctx context.Context, img *spec.WindowsImage, rel string) (check.Check, error) {
	region := img.Metadata.Region
	name, err := img.ParentReleaseName()
	if err != nil {
		return check.Check{Name: CheckParentImage, Status: check.Fail, Message: err.Error(), Fix: "write spec.parent.releaseDate as 2026.10.15 or 1.31-2026.10.15"}, nil
	}
	id, err := imagebuilder.FindReleaseAMI(ctx, d.Clients.EC2(region), region, name)
	if err != nil {
		return check.Check{}, err
	}
	if id == "" {
		return check.Check{Name: CheckParentImage, Status: check.Fail,
			Message: fmt.Sprintf("the pinned parent release %s (%s) is not available in %s", rel, name, region),
			Fix:     "public EKS Windows AMIs turn private after about 4 months: pin a newer release (`winami resolve --details --history` lists them) or build on an AMI you own (spec.parent.imageId)"}, nil
	}
	return check.Check{Name: CheckParentImage, Status: check.Pass, Message: fmt.Sprintf("pinned parent %s is %s in %s", name, id, region)}, nil
}
