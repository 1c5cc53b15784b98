package rollout

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/winami/winami/audit"
	"github.com/winami/winami/awsapi"
)

// resolveSSMPrefix marks a launch template ImageId that names an SSM parameter.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/using-systems-manager-parameters.html
const resolveSSMPrefix = "resolve:ssm:"

// versionDescriptionPrefix marks the launch template versions rollout creates (so a re-run
// reuses the one it made instead of making another).
const versionDescriptionPrefix = "winami rollout"

// templateVersion is one launch template version as rollout reads it.
type templateVersion struct {
	Number int64
	// ImageRef is the version's ImageId as written: "ami-…" or "resolve:ssm:…".
	ImageRef string
	// Description is the version's description.
	Description string
}

// createdFrom tells which version a version rollout created was copied from (its
// description says so), false for a version rollout did not create.
func (v templateVersion) createdFrom() (int64, bool) {
	if !strings.HasPrefix(v.Description, versionDescriptionPrefix) {
		return 0, false
	}
	i := strings.LastIndex(v.Description, "(from version ")
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(v.Description[i+len("(from version "):], ")"), 10, 64)
	return n, err == nil
}

// readVersion reads the version spec ("$Default", "$Latest", "", a number) of a template.
func readVersion(ctx context.Context, c awsapi.EC2, templateID, version string) (templateVersion, error) {
	if version == "" {
		version = "$Default"
	}
	out, err := c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: aws.String(templateID), Versions: []string{version}})
	if err != nil {
		return templateVersion{}, fmt.Errorf("describing launch template %s version %s: %w", templateID, version, err)
	}
	if len(out.LaunchTemplateVersions) != 1 {
		return templateVersion{}, fmt.Errorf("describing launch template %s version %s: %d versions answered", templateID, version, len(out.LaunchTemplateVersions))
	}
	v := out.LaunchTemplateVersions[0]
	tv := templateVersion{Number: aws.ToInt64(v.VersionNumber), Description: aws.ToString(v.VersionDescription)}
	if v.LaunchTemplateData != nil {
		tv.ImageRef = aws.ToString(v.LaunchTemplateData.ImageId)
	}
	return tv, nil
}

// defaultVersion reads a template's default version number.
func defaultVersion(ctx context.Context, c awsapi.EC2, templateID string) (int64, error) {
	out, err := c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{templateID}})
	if err != nil {
		return 0, fmt.Errorf("describing launch template %s: %w", templateID, err)
	}
	if len(out.LaunchTemplates) != 1 {
		return 0, fmt.Errorf("describing launch template %s: not found", templateID)
	}
	return aws.ToInt64(out.LaunchTemplates[0].DefaultVersionNumber), nil
}

// newVersion returns a version of the template that is source with ImageId imageRef: one
// rollout created before (after source, marked by its description; the latest version when
// latest is set) or a new one, CreateLaunchTemplateVersion with SourceVersion so every other
// setting is kept. created tells whether it made one.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplateVersion.html
func newVersion(ctx context.Context, c awsapi.EC2, templateID string, source int64, imageRef, spec string, latest bool) (n int64, created bool, err error) {
	in := &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(templateID), MinVersion: aws.String(strconv.FormatInt(source+1, 10))}
	var newest int64
	var found int64
	for {
		out, err := c.DescribeLaunchTemplateVersions(ctx, in)
		if err != nil {
			return 0, false, fmt.Errorf("describing launch template %s versions: %w", templateID, err)
		}
		for _, v := range out.LaunchTemplateVersions {
			num := aws.ToInt64(v.VersionNumber)
			newest = max(newest, num)
			if v.LaunchTemplateData == nil || aws.ToString(v.LaunchTemplateData.ImageId) != imageRef ||
				!strings.HasPrefix(aws.ToString(v.VersionDescription), versionDescriptionPrefix) {
				continue
			}
			found = max(found, num)
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	if found != 0 && (!latest || found == newest) {
		return found, false, nil
	}
	desc := fmt.Sprintf("%s %s: %s (from version %d)", versionDescriptionPrefix, spec, imageRef, source)
	if len(desc) > 255 {
		desc = desc[:255]
	}
	out, err := c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId:   aws.String(templateID),
		SourceVersion:      aws.String(strconv.FormatInt(source, 10)),
		VersionDescription: aws.String(desc),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(imageRef)},
	})
	if err != nil {
		return 0, false, fmt.Errorf("creating a version of launch template %s with ImageId %s: %w", templateID, imageRef, err)
	}
	if out.LaunchTemplateVersion == nil {
		return 0, false, fmt.Errorf("creating a version of launch template %s: no version answered", templateID)
	}
	return aws.ToInt64(out.LaunchTemplateVersion.VersionNumber), true, nil
}

// setDefault makes version n the template's default version.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyLaunchTemplate.html
func setDefault(ctx context.Context, c awsapi.EC2, templateID string, n int64) error {
	_, err := c.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{LaunchTemplateId: aws.String(templateID), DefaultVersion: aws.String(strconv.FormatInt(n, 10))})
	if err != nil {
		return fmt.Errorf("setting launch template %s's default version to %d: %w", templateID, n, err)
	}
	return nil
}

// parameterValue reads an SSM parameter's value.
func parameterValue(ctx context.Context, c awsapi.SSM, name string) (string, error) {
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("reading parameter %s: %w", name, err)
	}
	if out.Parameter == nil {
		return "", fmt.Errorf("reading parameter %s: no value", name)
	}
	return aws.ToString(out.Parameter.Value), nil
}

// putImageParameter writes an AMI id to a parameter (a new version, DataType aws:ec2:image
// as winami build publishes it).
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
func putImageParameter(ctx context.Context, c awsapi.SSM, name, ami string) error {
	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(ami),
		Type: ssmtypes.ParameterTypeString, DataType: aws.String("aws:ec2:image"), Overwrite: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("writing %s to parameter %s: %w", ami, name, err)
	}
	return nil
}

// instanceImages returns the AMI and EC2 state of each instance. It describes them through
// instance-id filters (audit.MaxFilterValues a request), which leave out an id EC2 does not
// know yet instead of failing the call with InvalidInstanceID.NotFound, as a list of ids
// would: an instance Auto Scaling just launched may not be described yet (EC2's eventual
// consistency, https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html).
func instanceImages(ctx context.Context, c awsapi.EC2, ids []string) (map[string]ec2types.Instance, error) {
	out := map[string]ec2types.Instance{}
	for start := 0; start < len(ids); start += audit.MaxFilterValues {
		batch := ids[start:min(len(ids), start+audit.MaxFilterValues)]
		in := &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: batch}}}
		for {
			page, err := c.DescribeInstances(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("describing %d instances: %w", len(batch), err)
			}
			for _, res := range page.Reservations {
				for _, i := range res.Instances {
					out[aws.ToString(i.InstanceId)] = i
				}
			}
			if aws.ToString(page.NextToken) == "" {
				break
			}
			in.NextToken = page.NextToken
		}
	}
	return out, nil
}

// ssmName returns the parameter of a resolve:ssm: image reference (without a :version or
// :label suffix).
func ssmName(imageRef string) string {
	name := strings.TrimPrefix(imageRef, resolveSSMPrefix)
	if i := strings.LastIndex(name, ":"); i > 0 && !strings.HasPrefix(name, "arn:") {
		name = name[:i]
	}
	return name
}
