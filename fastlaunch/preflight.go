package fastlaunch

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/check"
)

// Names of the preflight checks, in the order they run.
const (
	CheckImage          = "image-exists"
	CheckWindows        = "image-windows"
	CheckOwner          = "image-owned"
	CheckParallel       = "max-parallel-launches"
	CheckTargetCount    = "target-snapshots"
	CheckLaunchTemplate = "launch-template"
	CheckDefaultVPC     = "default-vpc"
	CheckVCPUQuota      = "vcpu-quota"
	CheckPermissions    = "iam-permissions"
)

// NotOwnedMessage is the refusal for an AMI the caller's account does not own.
const NotOwnedMessage = "Fast Launch needs an AMI you own: build one with `winami build`"

// Actions are the IAM actions enabling Fast Launch needs of the caller (LaunchQuestions
// says on which resources and with which context): the call, the reads of the preflight,
// the first use's service-linked role, and the launch EC2 checks the caller may make.
var Actions = []string{
	"ec2:EnableFastLaunch",
	"ec2:DescribeFastLaunchImages",
	"ec2:DescribeImages",
	"iam:CreateServiceLinkedRole",
	"ec2:RunInstances",
	"ec2:CreateTags",
}

// ServiceLinkedRoleService is the service principal of Fast Launch's service-linked role.
const ServiceLinkedRoleService = "ec2fastlaunch.amazonaws.com"

// Preflight checks, before EnableFastLaunch, everything EC2 would refuse or fail
// later with a terse reason. It returns every check; an error only when the checks
// themselves could not run (no credentials, the region unreachable).
func (c *Client) Preflight(ctx context.Context, imageID string, s Settings) ([]check.Check, error) {
	s = s.withDefaults()
	var checks []check.Check
	add := func(name, status, msg, fix string) {
		checks = append(checks, check.Check{Name: name, Status: status, Message: msg, Fix: fix})
	}

	ident, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("reading the caller identity (STS GetCallerIdentity): %w", err)
	}
	account, callerARN := aws.ToString(ident.Account), aws.ToString(ident.Arn)

	// The image: exists, Windows, owned.
	img, err := c.image(ctx, imageID)
	switch {
	case err != nil && isImageNotFound(err) || err == nil && img == nil:
		add(CheckImage, check.Fail, fmt.Sprintf("AMI %s does not exist in %s", imageID, c.Region),
			"check the ID and --region (AMIs are regional: copy it with `aws ec2 copy-image` or distribute it to the region)")
	case err != nil && awsapi.ErrorCode(err) == "InvalidAMIID.Malformed":
		add(CheckImage, check.Fail, fmt.Sprintf("%q is not an AMI ID", imageID), "pass --image ami-… or ssm:/parameter/name")
	case err != nil:
		return nil, fmt.Errorf("describing image %s in %s: %w", imageID, c.Region, err)
	default:
		add(CheckImage, check.Pass, fmt.Sprintf("AMI %s (%s) exists in %s", imageID, aws.ToString(img.Name), c.Region), "")
		if img.Platform == types.PlatformValuesWindows || strings.HasPrefix(aws.ToString(img.PlatformDetails), "Windows") {
			add(CheckWindows, check.Pass, fmt.Sprintf("AMI %s is Windows", imageID), "")
		} else {
			add(CheckWindows, check.Fail, fmt.Sprintf("AMI %s is not Windows (platform %q)", imageID, aws.ToString(img.PlatformDetails)),
				"Fast Launch exists only for Windows AMIs")
		}
		if owner := aws.ToString(img.OwnerId); owner == account {
			add(CheckOwner, check.Pass, fmt.Sprintf("AMI %s is owned by your account %s", imageID, account), "")
		} else {
			msg := fmt.Sprintf("AMI %s is owned by %s, not by your account %s", imageID, ownerName(owner, aws.ToString(img.ImageOwnerAlias)), account)
			add(CheckOwner, check.Fail, msg, NotOwnedMessage)
		}
	}

	env, err := c.CheckSettings(ctx, s)
	if err != nil {
		return nil, err
	}
	checks = append(checks, env...)
	perm, err := c.checkPermissions(ctx, callerARN, account, imageID, img, s)
	if err != nil {
		return nil, err
	}
	checks = append(checks, perm)
	return checks, nil
}

// CheckSettings checks what Fast Launch needs of the region and the settings, whatever
// the image: max parallel launches ≥ 6, at least one target snapshot, the launch
// template (when given) or else a default VPC, and that max parallel launches instances
// of the type Fast Launch launches fit in the region's On-Demand vCPU quota. Doctor runs
// it for every distribution region.
func (c *Client) CheckSettings(ctx context.Context, s Settings) ([]check.Check, error) {
	s = s.withDefaults()
	var checks []check.Check
	add := func(name, status, msg, fix string) {
		checks = append(checks, check.Check{Name: name, Status: status, Message: msg, Fix: fix})
	}
	// Settings.
	if s.MaxParallelLaunches < MinParallelLaunches {
		add(CheckParallel, check.Fail, fmt.Sprintf("max parallel launches %d is below EC2's minimum of %d", s.MaxParallelLaunches, MinParallelLaunches),
			fmt.Sprintf("pass --max-parallel %d or more", MinParallelLaunches))
	} else if s.MaxParallelLaunches > DefaultParallelLaunchQuota {
		add(CheckParallel, check.Warn, fmt.Sprintf("max parallel launches %d is above EC2 Fast Launch's default quota of %d parallel launches per region, shared by all your AMIs", s.MaxParallelLaunches, DefaultParallelLaunchQuota),
			fmt.Sprintf("unless that quota was raised for %s (Service Quotas console: EC2 Fast Launch, Parallel instance launches), pass --max-parallel %d or less", c.Region, DefaultParallelLaunchQuota))
	} else {
		add(CheckParallel, check.Pass, fmt.Sprintf("max parallel launches %d (≥ %d)", s.MaxParallelLaunches, MinParallelLaunches), "")
	}
	if s.TargetSnapshots < 1 {
		add(CheckTargetCount, check.Fail, fmt.Sprintf("target snapshots %d is below 1", s.TargetSnapshots), "pass --snapshots 1 or more")
	}

	// Where EC2 launches the instances that make the snapshots.
	if s.LaunchTemplate != "" {
		ref, err := ParseTemplate(s.LaunchTemplate)
		if err != nil {
			add(CheckLaunchTemplate, check.Fail, err.Error(), "pass --launch-template lt-… or name[:version]")
		} else {
			ck, err := c.checkTemplate(ctx, ref)
			if err != nil {
				return nil, err
			}
			checks = append(checks, ck)
			if ck.Status == check.Pass {
				typ, err := c.templateInstanceType(ctx, ref)
				if err != nil {
					return nil, err
				}
				checks = append(checks, c.checkVCPUQuota(ctx, s.MaxParallelLaunches, typ, true))
			} else {
				add(CheckVCPUQuota, check.Skip, "vCPU quota not checked: the launch template that names the instance type is missing", "")
			}
		}
	} else {
		out, err := c.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
		if err != nil {
			return nil, fmt.Errorf("looking for the default VPC in %s: %w", c.Region, err)
		}
		found := ""
		for _, v := range out.Vpcs {
			if aws.ToBool(v.IsDefault) {
				found = aws.ToString(v.VpcId)
				break
			}
		}
		if found == "" {
			add(CheckDefaultVPC, check.Fail, fmt.Sprintf("no launch template given and %s has no default VPC", c.Region),
				"pass --launch-template with a subnet and security group for the snapshot instances (or create a default VPC)")
		} else {
			add(CheckDefaultVPC, check.Pass, fmt.Sprintf("default VPC %s in %s will host the snapshot instances", found, c.Region), "")
		}
		checks = append(checks, c.checkVCPUQuota(ctx, s.MaxParallelLaunches, "", false))
	}

	return checks, nil
}

func ownerName(owner, alias string) string {
	if alias != "" {
		return fmt.Sprintf("%s (%s)", owner, alias)
	}
	switch owner {
	case "801119661308", "077303321853":
		return owner + " (amazon)"
	}
	return owner
}

func (c *Client) image(ctx context.Context, imageID string) (*types.Image, error) {
	out, err := c.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{imageID}})
	if err != nil {
		return nil, err
	}
	for i := range out.Images {
		if aws.ToString(out.Images[i].ImageId) == imageID {
			return &out.Images[i], nil
		}
	}
	return nil, nil
}

func (c *Client) checkTemplate(ctx context.Context, ref TemplateRef) (check.Check, error) {
	in := &ec2.DescribeLaunchTemplatesInput{}
	if ref.ID != "" {
		in.LaunchTemplateIds = []string{ref.ID}
	} else {
		in.LaunchTemplateNames = []string{ref.Name}
	}
	missing := check.Check{Name: CheckLaunchTemplate, Status: check.Fail,
		Message: fmt.Sprintf("launch template %s does not exist in %s", ref, c.Region),
		Fix:     "create it in this region (launch templates are regional) or pass another with --launch-template"}
	out, err := c.EC2.DescribeLaunchTemplates(ctx, in)
	if err != nil {
		switch awsapi.ErrorCode(err) {
		case "InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateName.NotFoundException",
			"InvalidLaunchTemplateId.Malformed", "InvalidLaunchTemplateName.NotFound":
			return missing, nil
		}
		return check.Check{}, fmt.Errorf("describing launch template %s in %s: %w", ref, c.Region, err)
	}
	if len(out.LaunchTemplates) == 0 {
		return missing, nil
	}
	lt := out.LaunchTemplates[0]
	if ref.Version != "" && ref.Version != "$Default" && ref.Version != "$Latest" {
		vin := &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: lt.LaunchTemplateId, Versions: []string{ref.Version}}
		vout, err := c.EC2.DescribeLaunchTemplateVersions(ctx, vin)
		if err != nil && awsapi.ErrorCode(err) != "InvalidLaunchTemplateId.VersionNotFound" {
			return check.Check{}, fmt.Errorf("describing version %s of launch template %s in %s: %w", ref.Version, ref, c.Region, err)
		}
		if err != nil || len(vout.LaunchTemplateVersions) == 0 {
			return check.Check{Name: CheckLaunchTemplate, Status: check.Fail,
				Message: fmt.Sprintf("launch template %s (%s) has no version %s (latest is %d)", aws.ToString(lt.LaunchTemplateName), aws.ToString(lt.LaunchTemplateId), ref.Version, aws.ToInt64(lt.LatestVersionNumber)),
				Fix:     "pass an existing version, $Default or $Latest"}, nil
		}
	}
	return check.Check{Name: CheckLaunchTemplate, Status: check.Pass,
		Message: fmt.Sprintf("launch template %s (%s) exists in %s", aws.ToString(lt.LaunchTemplateName), aws.ToString(lt.LaunchTemplateId), c.Region)}, nil
}

// PrincipalARN turns the ARN GetCallerIdentity returns into one SimulatePrincipalPolicy
// takes: an assumed-role session becomes its role (the role's path is not in the session
// ARN, so a role under a path is simulated at the root path).
func PrincipalARN(callerARN string) string {
	// arn:aws:sts::123456789012:assumed-role/RoleName/session
	parts := strings.SplitN(callerARN, ":", 6)
	if len(parts) != 6 || parts[2] != "sts" || !strings.HasPrefix(parts[5], "assumed-role/") {
		return callerARN
	}
	role := strings.SplitN(strings.TrimPrefix(parts[5], "assumed-role/"), "/", 2)[0]
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", parts[1], parts[4], role)
}

// checkPermissions asks IAM whether the caller may enable Fast Launch for the image with
// the settings: what EC2 itself checks (LaunchQuestions: EnableFastLaunch, and the launch
// from the AMI with the launch template, its subnet, security groups and instance
// profile's role), the reads the command makes, and the service-linked role's creation.
func (c *Client) checkPermissions(ctx context.Context, callerARN, account, imageID string, img *types.Image, s Settings) (check.Check, error) {
	launch := Launch{Partition: catalog.Partition(c.Region), Region: c.Region, Account: account, ImageID: imageID}
	if img != nil {
		launch.ImageTags = map[string]string{}
		for _, t := range img.Tags {
			launch.ImageTags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	if s.LaunchTemplate != "" {
		if ref, err := ParseTemplate(s.LaunchTemplate); err == nil {
			tpl, err := c.Template(ctx, ref)
			if err != nil {
				return check.Check{}, err
			}
			if tpl != nil {
				launch.TemplateID, launch.Subnets, launch.SecurityGroups, launch.TemplateTags = tpl.ID, tpl.Subnets, tpl.SecurityGroups, tpl.Tags
				if tpl.InstanceProfile != "" {
					if launch.RoleARN, err = ProfileRoleARN(ctx, c.IAM, tpl.InstanceProfile); err != nil && !awsapi.IsAccessDenied(err) && awsapi.ErrorCode(err) != "NoSuchEntity" {
						return check.Check{}, err
					}
				}
			} else {
				launch.TemplateID = "lt-00000000000000000" // missing: its own check fails; ask about any template
			}
		}
	}
	qs := append([]Question{
		{Actions: []string{"ec2:DescribeFastLaunchImages", "ec2:DescribeImages"}},
		{Actions: []string{"iam:CreateServiceLinkedRole"}, Context: []iamtypes.ContextEntry{StringEntry("iam:AWSServiceName", ServiceLinkedRoleService)}},
	}, LaunchQuestions(launch)...)
	denied, err := Ask(ctx, c.IAM, callerARN, qs)
	switch {
	case err != nil && awsapi.IsAccessDenied(err):
		return check.Check{Name: CheckPermissions, Status: check.Skip,
			Message: fmt.Sprintf("permissions not checked: %s may not call iam:SimulatePrincipalPolicy", callerARN),
			Fix:     "grant iam:SimulatePrincipalPolicy on yourself to let winami check, or compare with `winami iam-policy --for operator`"}, nil
	case err != nil:
		return check.Check{Name: CheckPermissions, Status: check.Warn,
			Message: fmt.Sprintf("permissions not checked: simulating the policy of %s: %v", callerARN, err)}, nil
	}
	if len(denied) > 0 {
		return check.Check{Name: CheckPermissions, Status: check.Fail,
			Message: fmt.Sprintf("%s may not call %s", PrincipalARN(callerARN), strings.Join(denied, ", ")),
			Fix: "allow those actions (see `winami iam-policy --for operator`: EC2 checks that whoever enables Fast Launch may launch from the AMI and the launch template); " +
				"iam:CreateServiceLinkedRole is needed once per account for " + ServiceLinkedRoleService}, nil
	}
	return check.Check{Name: CheckPermissions, Status: check.Pass,
		Message: fmt.Sprintf("%s may enable Fast Launch for %s and launch what it launches", PrincipalARN(callerARN), imageID)}, nil
}

// ResolveImage turns an image reference into an AMI ID in region: "ami-…" is returned as
// is; "ssm:/name" reads the SSM parameter in region.
func ResolveImage(ctx context.Context, api awsapi.SSM, region, ref string) (string, error) {
	switch {
	case strings.HasPrefix(ref, "ami-"):
		return ref, nil
	case strings.HasPrefix(ref, "ssm:"):
		name := strings.TrimPrefix(ref, "ssm:")
		if name == "" {
			return "", fmt.Errorf("image %q: %w", ref, ErrBadImageRef)
		}
		out, err := api.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		if err != nil {
			if awsapi.ErrorCode(err) == "ParameterNotFound" {
				return "", fmt.Errorf("resolving %s in %s: parameter %s does not exist there (publish it with `winami build`, or check --region)", ref, region, name)
			}
			return "", fmt.Errorf("resolving %s in %s: %w", ref, region, err)
		}
		v := aws.ToString(out.Parameter.Value)
		if !strings.HasPrefix(v, "ami-") {
			return "", fmt.Errorf("resolving %s in %s: the parameter holds %q, not an AMI ID", ref, region, v)
		}
		return v, nil
	}
	return "", fmt.Errorf("image %q: %w", ref, ErrBadImageRef)
}
