package awsfixture

import (
	"context"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	ibtypes "github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// AWS reaches one region of an endpoint through the SDK.
type AWS struct {
	ec2 *ec2.Client
	ssm *ssm.Client
	iam *iam.Client
	ib  *ib.Client
}

// New returns the fixture builder of cfg's endpoint and region.
func New(cfg aws.Config) *AWS {
	return &AWS{ec2: ec2.NewFromConfig(cfg), ssm: ssm.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg), ib: ib.NewFromConfig(cfg)}
}

// ec2Tags is tags as EC2 takes them, sorted by key.
func ec2Tags(tags map[string]string) []ec2types.Tag {
	var out []ec2types.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// RunInstances launches n instances of ami (of instanceType unless "").
func (a *AWS) RunInstances(ctx context.Context, ami string, n int, instanceType string) (*ec2.RunInstancesOutput, error) {
	in := &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(int32(n)), MaxCount: aws.Int32(int32(n))}
	if instanceType != "" {
		in.InstanceType = ec2types.InstanceType(instanceType)
	}
	return a.ec2.RunInstances(ctx, in)
}

// CreateImage makes an AMI called name from an instance, tagged with tags (none when nil).
func (a *AWS) CreateImage(ctx context.Context, instanceID *string, name string, tags map[string]string) (*ec2.CreateImageOutput, error) {
	in := &ec2.CreateImageInput{InstanceId: instanceID, Name: aws.String(name)}
	if len(tags) > 0 {
		in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeImage, Tags: ec2Tags(tags)}}
	}
	return a.ec2.CreateImage(ctx, in)
}

// CreateTags tags EC2 resources.
func (a *AWS) CreateTags(ctx context.Context, tags map[string]string, ids ...string) (*ec2.CreateTagsOutput, error) {
	return a.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: ec2Tags(tags)})
}

// DescribeImages describes the images of ids.
func (a *AWS) DescribeImages(ctx context.Context, ids ...string) (*ec2.DescribeImagesOutput, error) {
	return a.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: ids})
}

// DescribeImagesOwnedBy describes the images of owners ("self", an account) called name
// (a pattern with *; every name when "").
func (a *AWS) DescribeImagesOwnedBy(ctx context.Context, name string, owners ...string) (*ec2.DescribeImagesOutput, error) {
	in := &ec2.DescribeImagesInput{Owners: owners}
	if name != "" {
		in.Filters = []ec2types.Filter{{Name: aws.String("name"), Values: []string{name}}}
	}
	return a.ec2.DescribeImages(ctx, in)
}

// DeregisterImage deregisters an AMI.
func (a *AWS) DeregisterImage(ctx context.Context, id string) (*ec2.DeregisterImageOutput, error) {
	return a.ec2.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(id)})
}

// DeleteSnapshot deletes a snapshot.
func (a *AWS) DeleteSnapshot(ctx context.Context, id string) (*ec2.DeleteSnapshotOutput, error) {
	return a.ec2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(id)})
}

// DescribeSnapshots describes the snapshots of ids.
func (a *AWS) DescribeSnapshots(ctx context.Context, ids ...string) (*ec2.DescribeSnapshotsOutput, error) {
	return a.ec2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: ids})
}

// ShareImage lets account launch the AMI (a launch permission).
func (a *AWS) ShareImage(ctx context.Context, id, account string) (*ec2.ModifyImageAttributeOutput, error) {
	return a.ec2.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: aws.String(id),
		LaunchPermission: &ec2types.LaunchPermissionModifications{Add: []ec2types.LaunchPermission{{UserId: aws.String(account)}}}})
}

// DescribeFastLaunchImages describes the Fast Launch settings of the images of ids.
func (a *AWS) DescribeFastLaunchImages(ctx context.Context, ids ...string) (*ec2.DescribeFastLaunchImagesOutput, error) {
	return a.ec2.DescribeFastLaunchImages(ctx, &ec2.DescribeFastLaunchImagesInput{ImageIds: ids})
}

// DefaultSubnets describes the default subnets of an Availability Zone.
func (a *AWS) DefaultSubnets(ctx context.Context, zone string) (*ec2.DescribeSubnetsOutput, error) {
	return a.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
		{Name: aws.String("availability-zone"), Values: []string{zone}}, {Name: aws.String("default-for-az"), Values: []string{"true"}}}})
}

// CreateLaunchTemplate makes a launch template called name that launches instanceType,
// tagged with tags (none when nil).
func (a *AWS) CreateLaunchTemplate(ctx context.Context, name, instanceType string, tags map[string]string) (*ec2.CreateLaunchTemplateOutput, error) {
	in := &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{InstanceType: ec2types.InstanceType(instanceType)}}
	if len(tags) > 0 {
		in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeLaunchTemplate, Tags: ec2Tags(tags)}}
	}
	return a.ec2.CreateLaunchTemplate(ctx, in)
}

// PutImageParameter writes an SSM parameter of data type aws:ec2:image holding ami.
func (a *AWS) PutImageParameter(ctx context.Context, name, ami string) (*ssm.PutParameterOutput, error) {
	return a.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(ami),
		Type: ssmtypes.ParameterTypeString, DataType: aws.String("aws:ec2:image")})
}

// GetParameter reads an SSM parameter.
func (a *AWS) GetParameter(ctx context.Context, name string) (*ssm.GetParameterOutput, error) {
	return a.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
}

// ParameterHistory reads every version of an SSM parameter, oldest first, following
// every page.
func (a *AWS) ParameterHistory(ctx context.Context, name string) ([]ssmtypes.ParameterHistory, error) {
	var out []ssmtypes.ParameterHistory
	p := ssm.NewGetParameterHistoryPaginator(a.ssm, &ssm.GetParameterHistoryInput{Name: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Parameters...)
	}
	return out, nil
}

// CreateRole makes an IAM role with a trust policy.
func (a *AWS) CreateRole(ctx context.Context, name, trust string) (*iam.CreateRoleOutput, error) {
	return a.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
}

// AttachRolePolicy attaches a managed policy to a role.
func (a *AWS) AttachRolePolicy(ctx context.Context, role, policyARN string) (*iam.AttachRolePolicyOutput, error) {
	return a.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(policyARN)})
}

// PutRolePolicy writes an inline policy of a role.
func (a *AWS) PutRolePolicy(ctx context.Context, role, name, doc string) (*iam.PutRolePolicyOutput, error) {
	return a.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
}

// PutUserPolicy writes an inline policy of a user.
func (a *AWS) PutUserPolicy(ctx context.Context, user, name, doc string) (*iam.PutUserPolicyOutput, error) {
	return a.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
}

// DetachUserPolicy detaches a managed policy from a user.
func (a *AWS) DetachUserPolicy(ctx context.Context, user, policyARN string) (*iam.DetachUserPolicyOutput, error) {
	return a.iam.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(user), PolicyArn: aws.String(policyARN)})
}

// ListComponents lists Image Builder components (only the account's own when self).
func (a *AWS) ListComponents(ctx context.Context, self bool) (*ib.ListComponentsOutput, error) {
	in := &ib.ListComponentsInput{}
	if self {
		in.Owner = ibtypes.OwnershipSelf
	}
	return a.ib.ListComponents(ctx, in)
}

// ListComponentBuildVersions lists the build versions of a component version.
func (a *AWS) ListComponentBuildVersions(ctx context.Context, arn *string) (*ib.ListComponentBuildVersionsOutput, error) {
	return a.ib.ListComponentBuildVersions(ctx, &ib.ListComponentBuildVersionsInput{ComponentVersionArn: arn})
}

// GetComponent reads a component build version.
func (a *AWS) GetComponent(ctx context.Context, arn *string) (*ib.GetComponentOutput, error) {
	return a.ib.GetComponent(ctx, &ib.GetComponentInput{ComponentBuildVersionArn: arn})
}

// ListImageRecipes lists the image recipes.
func (a *AWS) ListImageRecipes(ctx context.Context) (*ib.ListImageRecipesOutput, error) {
	return a.ib.ListImageRecipes(ctx, &ib.ListImageRecipesInput{})
}

// GetImageRecipe reads an image recipe.
func (a *AWS) GetImageRecipe(ctx context.Context, arn *string) (*ib.GetImageRecipeOutput, error) {
	return a.ib.GetImageRecipe(ctx, &ib.GetImageRecipeInput{ImageRecipeArn: arn})
}

// InfrastructureConfiguration reads the one infrastructure configuration, or nil when
// there is none.
func (a *AWS) InfrastructureConfiguration(ctx context.Context) (*ibtypes.InfrastructureConfiguration, error) {
	list, err := a.ib.ListInfrastructureConfigurations(ctx, &ib.ListInfrastructureConfigurationsInput{})
	if err != nil || len(list.InfrastructureConfigurationSummaryList) == 0 {
		return nil, err
	}
	got, err := a.ib.GetInfrastructureConfiguration(ctx, &ib.GetInfrastructureConfigurationInput{
		InfrastructureConfigurationArn: list.InfrastructureConfigurationSummaryList[0].Arn})
	if err != nil {
		return nil, err
	}
	return got.InfrastructureConfiguration, nil
}

// ListImagePipelines lists the image pipelines.
func (a *AWS) ListImagePipelines(ctx context.Context) (*ib.ListImagePipelinesOutput, error) {
	return a.ib.ListImagePipelines(ctx, &ib.ListImagePipelinesInput{})
}

// StartImagePipelineExecution starts a pipeline, as a schedule or the console would.
func (a *AWS) StartImagePipelineExecution(ctx context.Context, arn *string) (*ib.StartImagePipelineExecutionOutput, error) {
	return a.ib.StartImagePipelineExecution(ctx, &ib.StartImagePipelineExecutionInput{ImagePipelineArn: arn})
}

// TagResource tags an Image Builder resource.
func (a *AWS) TagResource(ctx context.Context, arn *string, tags map[string]string) (*ib.TagResourceOutput, error) {
	return a.ib.TagResource(ctx, &ib.TagResourceInput{ResourceArn: arn, Tags: tags})
}

// GetImage reads an Image Builder image build version.
func (a *AWS) GetImage(ctx context.Context, arn string) (*ib.GetImageOutput, error) {
	return a.ib.GetImage(ctx, &ib.GetImageInput{ImageBuildVersionArn: aws.String(arn)})
}

// States of an Image Builder image, as ImageStatus returns them.
const (
	ImageCancelled = string(ibtypes.ImageStatusCancelled)
	ImageFailed    = string(ibtypes.ImageStatusFailed)
)

// ImageStatus is the state of an Image Builder image build version.
func (a *AWS) ImageStatus(ctx context.Context, arn string) (string, error) {
	out, err := a.GetImage(ctx, arn)
	if err != nil {
		return "", err
	}
	return string(out.Image.State.Status), nil
}
