package preflight

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/check"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/spec"
)

// ImageBuilderCreatedBy is the CreatedBy tag value Image Builder's service-linked role
// requires on a launch template before it may enable Fast Launch with it.
const ImageBuilderCreatedBy = "EC2 Image Builder"

// FastLaunchPolicy is the AWS managed policy the role Image Builder uses needs for Fast
// Launch without a launch template.
const FastLaunchPolicy = "EC2FastLaunchFullAccess"

// fastLaunchRights checks, in one distribution region, that whoever enables Fast Launch
// at distribution may do it:
//
//   - without spec.build.executionRole, Image Builder acts as its service-linked role,
//     whose AWS managed policy AWSServiceRoleForImageBuilder (v25) allows
//     ec2:EnableFastLaunch on images and launch templates only with
//     ec2:ResourceTag/CreatedBy = "EC2 Image Builder"
//     (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSServiceRoleForImageBuilder.html):
//     Image Builder tags its AMIs so, the launch template must carry the tag too; and
//     without a launch template the role Image Builder uses needs EC2FastLaunchFullAccess
//     (Image Builder user guide, "Prerequisites for EC2 Fast Launch",
//     https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html#ami-distribution-prereqs-fast-launch),
//     which cannot be attached to a service-linked role;
//   - with one, the execution role is simulated as the caller of EnableFastLaunch
//     (fastlaunch.LaunchQuestions: EC2 checks that the caller may launch from the AMI and
//     the launch template).
func (d *Doctor) fastLaunchRights(ctx context.Context, img *spec.WindowsImage, region, account string) (check.Check, error) {
	fl := img.Spec.Distribution.FastLaunch
	role := executionRoleOf(img)
	var tpl *fastlaunch.Template
	if fl.LaunchTemplate != nil {
		var err error
		if tpl, err = fastlaunch.New(d.Clients, region).Template(ctx, templateRef(fl.LaunchTemplate)); err != nil {
			if awsapi.IsAccessDenied(err) {
				return check.Check{Name: CheckFastLaunchRights, Status: check.Skip, Message: fmt.Sprintf("%s: launch template not read: %v", region, err), Fix: "allow ec2:DescribeLaunchTemplates"}, nil
			}
			return check.Check{}, err
		}
		if tpl == nil {
			return check.Check{Name: CheckFastLaunchRights, Status: check.Skip, Message: fmt.Sprintf("%s: not checked: the launch template does not exist there (see the fast-launch check)", region)}, nil
		}
	}
	p := catalog.Partition(region)
	if role == "" {
		if tpl == nil {
			return check.Check{Name: CheckFastLaunchRights, Status: check.Fail,
				Message: fmt.Sprintf("%s: Fast Launch without a launch template needs %s on the role Image Builder uses, and without spec.build.executionRole that is its service-linked role, which has no such rights: the image would fail at distribution", region, FastLaunchPolicy),
				Fix: fmt.Sprintf("name a launch template tagged CreatedBy=%q in spec.distribution.fastLaunch.launchTemplate, or set spec.build.executionRole to a role with %s (`winami apply --create-roles` creates %s so)",
					ImageBuilderCreatedBy, ManagedPolicyARN(p, FastLaunchPolicy), spec.DefaultExecutionRole(img.Metadata.Name))}, nil
		}
		if tpl.Tags["CreatedBy"] == ImageBuilderCreatedBy {
			return check.Check{Name: CheckFastLaunchRights, Status: check.Pass,
				Message: fmt.Sprintf("%s: launch template %s (%s) is tagged CreatedBy=%q: Image Builder's service-linked role may enable Fast Launch with it", region, tpl.Name, tpl.ID, ImageBuilderCreatedBy)}, nil
		}
		return check.Check{Name: CheckFastLaunchRights, Status: check.Fail,
			Message: fmt.Sprintf("%s: launch template %s (%s) is not tagged CreatedBy=%q: Image Builder's service-linked role (AWS managed policy AWSServiceRoleForImageBuilder) may enable Fast Launch only with launch templates so tagged, so the image would fail at distribution",
				region, tpl.Name, tpl.ID, ImageBuilderCreatedBy),
			Fix: fmt.Sprintf("aws ec2 create-tags --region %s --resources %s --tags 'Key=CreatedBy,Value=%s', or set spec.build.executionRole to a role allowed ec2:EnableFastLaunch and ec2:RunInstances with it",
				region, tpl.ID, ImageBuilderCreatedBy)}, nil
	}

	name := spec.RoleName(role)
	api := d.Clients.IAM(img.Metadata.Region)
	out, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		if awsapi.ErrorCode(err) == "NoSuchEntity" || awsapi.IsAccessDenied(err) {
			return check.Check{Name: CheckFastLaunchRights, Status: check.Skip, Message: fmt.Sprintf("%s: the execution role %s not simulated: it could not be read (see the execution-role check)", region, name)}, nil
		}
		return check.Check{}, fmt.Errorf("reading execution role %s: %w", name, err)
	}
	roleARN := aws.ToString(out.Role.Arn)
	// Image Builder tags the AMIs it distributes CreatedBy "EC2 Image Builder".
	launch := fastlaunch.Launch{Partition: p, Region: region, Account: accountOfRole(roleARN, account), ImageID: "ami-00000000000000000",
		ImageTags: map[string]string{"CreatedBy": ImageBuilderCreatedBy}}
	what := "without a launch template"
	if tpl != nil {
		what = fmt.Sprintf("with launch template %s (%s)", tpl.Name, tpl.ID)
		launch.TemplateID, launch.Subnets, launch.SecurityGroups, launch.TemplateTags = tpl.ID, tpl.Subnets, tpl.SecurityGroups, tpl.Tags
		if tpl.InstanceProfile != "" {
			if launch.RoleARN, err = fastlaunch.ProfileRoleARN(ctx, api, tpl.InstanceProfile); err != nil && !awsapi.IsAccessDenied(err) && awsapi.ErrorCode(err) != "NoSuchEntity" {
				return check.Check{}, err
			}
		}
	}
	denied, err := fastlaunch.Ask(ctx, api, roleARN, fastlaunch.LaunchQuestions(launch))
	switch {
	case err != nil && awsapi.IsAccessDenied(err):
		return check.Check{Name: CheckFastLaunchRights, Status: check.Skip, Message: fmt.Sprintf("%s: the execution role %s not simulated: simulation denied", region, name),
			Fix: "allow iam:SimulatePrincipalPolicy on the role"}, nil
	case err != nil:
		return check.Check{Name: CheckFastLaunchRights, Status: check.Warn, Message: fmt.Sprintf("%s: the execution role %s not simulated: %v", region, name, err)}, nil
	case len(denied) > 0:
		fix := fmt.Sprintf("attach %s to %s (`winami apply --create-roles` does when Fast Launch has no launch template)", ManagedPolicyARN(p, FastLaunchPolicy), name)
		if tpl != nil && tpl.Tags["CreatedBy"] != ImageBuilderCreatedBy {
			// EC2ImageBuilderExecutionPolicy, like the service-linked role's policy, allows
			// EnableFastLaunch only with templates tagged CreatedBy: EC2 Image Builder.
			fix = fmt.Sprintf("aws ec2 create-tags --region %s --resources %s --tags 'Key=CreatedBy,Value=%s' (EC2ImageBuilderExecutionPolicy allows Fast Launch only with templates so tagged), or %s",
				region, tpl.ID, ImageBuilderCreatedBy, fix)
		}
		return check.Check{Name: CheckFastLaunchRights, Status: check.Fail,
			Message: fmt.Sprintf("%s: the execution role %s may not enable Fast Launch %s: it may not call %s", region, name, what, strings.Join(denied, ", ")),
			Fix:     fix}, nil
	}
	return check.Check{Name: CheckFastLaunchRights, Status: check.Pass, Message: fmt.Sprintf("%s: the execution role %s may enable Fast Launch %s", region, name, what)}, nil
}
