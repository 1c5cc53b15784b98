package imagebuilder

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/check"
)

// ParentImage is the recipe's parent image, resolved.
type ParentImage struct {
	// Ref is the recipe's parentImage as written (ssm:/…, ami-…, or an Image Builder ARN).
	Ref string `json:"ref"`
	// ImageID is the AMI it resolves to today ("" for an Image Builder image ARN).
	ImageID string `json:"imageId,omitempty"`
	// Name is the AMI's name.
	Name string `json:"name,omitempty"`
	// RootDevice and RootVolumeGiB describe the AMI's root volume.
	RootDevice    string `json:"rootDevice,omitempty"`
	RootVolumeGiB int32  `json:"rootVolumeGiB,omitempty"`
}

// preflightWhat names the checks Plan and Apply run first.
const preflightWhat = "checking before apply"

// Names of the checks Plan and Apply run first (the names of doctor's checks of the
// same things).
const (
	checkParentImage     = "parent-image"
	checkInstanceProfile = "instance-profile"
	checkExecutionRole   = "execution-role"
)

// Preflight checks, with read-only calls, what Image Builder would otherwise only find
// out during a build: the parent image exists in the build region and the infrastructure
// configuration's instance profile exists. It returns the resolved parent image.
func Preflight(ctx context.Context, c Clients, d *Desired) (ParentImage, error) {
	return preflight(ctx, c, d, true)
}

func preflight(ctx context.Context, c Clients, d *Desired, checkProfile bool) (ParentImage, error) {
	var problems []check.Check
	parent, err := ResolveParent(ctx, c, d.Region, aws.ToString(d.Recipe.ParentImage))
	if err != nil {
		var pe *check.PreflightError
		if !errors.As(err, &pe) {
			return parent, err
		}
		problems = append(problems, pe.Checks...)
	}
	if name := aws.ToString(d.Infrastructure.InstanceProfileName); name != "" && checkProfile {
		_, err := c.IAM(d.Region).GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
		switch {
		case err == nil:
		case awsapi.ErrorCode(err) == "NoSuchEntity":
			problems = append(problems, check.Check{Name: checkInstanceProfile, Status: check.Fail, Message: fmt.Sprintf("instance profile %q does not exist: create it (winami render writes it in cloudformation.yaml, "+
				"with EC2InstanceProfileForImageBuilder and AmazonSSMManagedInstanceCore), let winami create it (--create-instance-profile), "+
				"or set spec.build.instanceProfile", name)})
		default:
			return parent, fmt.Errorf("reading instance profile %s: %w", name, err)
		}
	}
	if len(problems) > 0 {
		return parent, &check.PreflightError{What: preflightWhat, Checks: problems}
	}
	return parent, nil
}

// ResolveParent resolves a recipe's parent image in region: an `ssm:` parameter is read,
// and the AMI it names (or an `ami-` id) must exist. A missing parameter or AMI is a
// *PreflightError.
func ResolveParent(ctx context.Context, c Clients, region, ref string) (ParentImage, error) {
	p := ParentImage{Ref: ref}
	switch {
	case ref == "":
		return p, check.Errorf(preflightWhat, checkParentImage, "the image recipe has no parent image")
	case strings.HasPrefix(ref, "arn:"):
		// An Image Builder managed image: Image Builder resolves it itself.
		return p, nil
	case strings.HasPrefix(ref, "ssm:"):
		name := strings.TrimPrefix(ref, "ssm:")
		out, err := c.SSM(region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		if err != nil {
			if awsapi.ErrorCode(err) == "ParameterNotFound" {
				return p, check.Errorf(preflightWhat, checkParentImage, fmt.Sprintf("parent image %s: SSM parameter %s does not exist in %s "+
					"(is this Windows version, edition and Kubernetes version published there?)", ref, name, region))
			}
			return p, fmt.Errorf("resolving parent image %s: %w", ref, err)
		}
		p.ImageID = aws.ToString(out.Parameter.Value)
	default:
		p.ImageID = ref
	}
	out, err := c.EC2(region).DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{p.ImageID}})
	if err != nil && !strings.HasPrefix(awsapi.ErrorCode(err), "InvalidAMIID") {
		return p, fmt.Errorf("describing parent image %s: %w", p.ImageID, err)
	}
	if err != nil || out == nil || len(out.Images) == 0 || out.Images[0].State == ec2types.ImageStateDeregistered {
		msg := fmt.Sprintf("parent image %s does not exist in %s", p.ImageID, region)
		if p.ImageID != ref {
			msg = fmt.Sprintf("parent image %s (from %s) does not exist in %s", p.ImageID, ref, region)
		}
		if strings.HasPrefix(ref, "ami-") {
			msg += ": public EKS-optimized AMIs turn private after about 4 months; pin spec.parent.releaseDate instead of an AMI id"
		}
		return p, check.Errorf(preflightWhat, checkParentImage, msg)
	}
	img := out.Images[0]
	p.Name = aws.ToString(img.Name)
	p.RootDevice = aws.ToString(img.RootDeviceName)
	for _, bd := range img.BlockDeviceMappings {
		if aws.ToString(bd.DeviceName) == p.RootDevice && bd.Ebs != nil {
			p.RootVolumeGiB = aws.ToInt32(bd.Ebs.VolumeSize)
		}
	}
	return p, nil
}

// FindReleaseAMI finds Amazon's AMI called name in region (a pinned parent release, named
// by spec.WindowsImage.ParentReleaseName) and returns its ID, "" when there is none.
// Deprecated AMIs are included: Amazon deprecates its public AMIs (two years after their
// creation at the latest) and DescribeImages leaves another owner's deprecated AMI out of
// a listing unless IncludeDeprecated is set, while an AMI still launches once deprecated
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deprecate.html). plan, apply,
// build and doctor all ask this one question, so they agree on a pin.
func FindReleaseAMI(ctx context.Context, api awsapi.EC2, region, name string) (string, error) {
	out, err := api.DescribeImages(ctx, &ec2.DescribeImagesInput{
		Owners:            []string{catalog.OwnerFor(region)},
		Filters:           []ec2types.Filter{{Name: aws.String("name"), Values: []string{name}}},
		IncludeDeprecated: aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("finding the parent AMI %s in %s: %w", name, region, err)
	}
	if len(out.Images) == 0 {
		return "", nil
	}
	return aws.ToString(out.Images[0].ImageId), nil
}
