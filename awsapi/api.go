package awsapi

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// SSM is the part of the SSM API winami calls.
type SSM interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	GetParameters(ctx context.Context, in *ssm.GetParametersInput, opts ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
	GetParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput, opts ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
	GetParameterHistory(ctx context.Context, in *ssm.GetParameterHistoryInput, opts ...func(*ssm.Options)) (*ssm.GetParameterHistoryOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	DeleteParameter(ctx context.Context, in *ssm.DeleteParameterInput, opts ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error)
}

// EC2 is the part of the EC2 API winami calls.
type EC2 interface {
	DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, opts ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
	// DescribeImageAttribute (launchPermission), DescribeSpotFleetRequests, DescribeFleets
	// and DescribeSpotInstanceRequests tell prune who else uses an AMI.
	DescribeImageAttribute(ctx context.Context, in *ec2.DescribeImageAttributeInput, opts ...func(*ec2.Options)) (*ec2.DescribeImageAttributeOutput, error)
	DescribeSpotFleetRequests(ctx context.Context, in *ec2.DescribeSpotFleetRequestsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSpotFleetRequestsOutput, error)
	DescribeFleets(ctx context.Context, in *ec2.DescribeFleetsInput, opts ...func(*ec2.Options)) (*ec2.DescribeFleetsOutput, error)
	DescribeSpotInstanceRequests(ctx context.Context, in *ec2.DescribeSpotInstanceRequestsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSpotInstanceRequestsOutput, error)
	DescribeRegions(ctx context.Context, in *ec2.DescribeRegionsInput, opts ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error)
	DeregisterImage(ctx context.Context, in *ec2.DeregisterImageInput, opts ...func(*ec2.Options)) (*ec2.DeregisterImageOutput, error)
	DeleteSnapshot(ctx context.Context, in *ec2.DeleteSnapshotInput, opts ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error)
	DescribeSnapshots(ctx context.Context, in *ec2.DescribeSnapshotsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error)
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeLaunchTemplates(ctx context.Context, in *ec2.DescribeLaunchTemplatesInput, opts ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplatesOutput, error)
	DescribeLaunchTemplateVersions(ctx context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, opts ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error)
	// CreateLaunchTemplateVersion and ModifyLaunchTemplate (its default version) point a
	// rollout target's template at the new AMI, and back on rollback.
	CreateLaunchTemplateVersion(ctx context.Context, in *ec2.CreateLaunchTemplateVersionInput, opts ...func(*ec2.Options)) (*ec2.CreateLaunchTemplateVersionOutput, error)
	ModifyLaunchTemplate(ctx context.Context, in *ec2.ModifyLaunchTemplateInput, opts ...func(*ec2.Options)) (*ec2.ModifyLaunchTemplateOutput, error)
	DescribeVpcs(ctx context.Context, in *ec2.DescribeVpcsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	CreateTags(ctx context.Context, in *ec2.CreateTagsInput, opts ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	EnableFastLaunch(ctx context.Context, in *ec2.EnableFastLaunchInput, opts ...func(*ec2.Options)) (*ec2.EnableFastLaunchOutput, error)
	DisableFastLaunch(ctx context.Context, in *ec2.DisableFastLaunchInput, opts ...func(*ec2.Options)) (*ec2.DisableFastLaunchOutput, error)
	DescribeFastLaunchImages(ctx context.Context, in *ec2.DescribeFastLaunchImagesInput, opts ...func(*ec2.Options)) (*ec2.DescribeFastLaunchImagesOutput, error)
	// DescribeInstanceTypes gives the vCPUs of the instance type Fast Launch launches.
	DescribeInstanceTypes(ctx context.Context, in *ec2.DescribeInstanceTypesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstanceTypesOutput, error)
	// DescribeInstanceTypeOfferings tells which instance types a region, or one of its
	// Availability Zones, offers (the build preflight checks spec.build.instanceTypes):
	// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypeOfferings.html
	DescribeInstanceTypeOfferings(ctx context.Context, in *ec2.DescribeInstanceTypeOfferingsInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error)
}

// ImageBuilder is the part of the EC2 Image Builder API winami calls.
type ImageBuilder interface {
	CreateComponent(ctx context.Context, in *imagebuilder.CreateComponentInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.CreateComponentOutput, error)
	GetComponent(ctx context.Context, in *imagebuilder.GetComponentInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.GetComponentOutput, error)
	ListComponents(ctx context.Context, in *imagebuilder.ListComponentsInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.ListComponentsOutput, error)
	ListComponentBuildVersions(ctx context.Context, in *imagebuilder.ListComponentBuildVersionsInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.ListComponentBuildVersionsOutput, error)
	CreateImageRecipe(ctx context.Context, in *imagebuilder.CreateImageRecipeInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.CreateImageRecipeOutput, error)
	GetImageRecipe(ctx context.Context, in *imagebuilder.GetImageRecipeInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.GetImageRecipeOutput, error)
	ListImageRecipes(ctx context.Context, in *imagebuilder.ListImageRecipesInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.ListImageRecipesOutput, error)
	CreateInfrastructureConfiguration(ctx context.Context, in *imagebuilder.CreateInfrastructureConfigurationInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.CreateInfrastructureConfigurationOutput, error)
	GetInfrastructureConfiguration(ctx context.Context, in *imagebuilder.GetInfrastructureConfigurationInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.GetInfrastructureConfigurationOutput, error)
	UpdateInfrastructureConfiguration(ctx context.Context, in *imagebuilder.UpdateInfrastructureConfigurationInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.UpdateInfrastructureConfigurationOutput, error)
	ListInfrastructureConfigurations(ctx context.Context, in *imagebuilder.ListInfrastructureConfigurationsInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.ListInfrastructureConfigurationsOutput, error)
	CreateDistributionConfiguration(ctx context.Context, in *imagebuilder.CreateDistributionConfigurationInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.CreateDistributionConfigurationOutput, error)
	GetDistributionConfiguration(ctx context.Context, in *imagebuilder.GetDistributionConfigurationInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.GetDistributionConfigurationOutput, error)
	UpdateDistributionConfiguration(ctx context.Context, in *imagebuilder.UpdateDistributionConfigurationInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.UpdateDistributionConfigurationOutput, error)
	ListDistributionConfigurations(ctx context.Context, in *imagebuilder.ListDistributionConfigurationsInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.ListDistributionConfigurationsOutput, error)
	CreateImagePipeline(ctx context.Context, in *imagebuilder.CreateImagePipelineInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.CreateImagePipelineOutput, error)
	GetImagePipeline(ctx context.Context, in *imagebuilder.GetImagePipelineInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.GetImagePipelineOutput, error)
	UpdateImagePipeline(ctx context.Context, in *imagebuilder.UpdateImagePipelineInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.UpdateImagePipelineOutput, error)
	ListImagePipelines(ctx context.Context, in *imagebuilder.ListImagePipelinesInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.ListImagePipelinesOutput, error)
	StartImagePipelineExecution(ctx context.Context, in *imagebuilder.StartImagePipelineExecutionInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.StartImagePipelineExecutionOutput, error)
	GetImage(ctx context.Context, in *imagebuilder.GetImageInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.GetImageOutput, error)
	ListImagePipelineImages(ctx context.Context, in *imagebuilder.ListImagePipelineImagesInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.ListImagePipelineImagesOutput, error)
	CancelImageCreation(ctx context.Context, in *imagebuilder.CancelImageCreationInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.CancelImageCreationOutput, error)
	// ListImageScanFindings lists an image's vulnerability scan findings (winami build's
	// counts and --fail-on gate).
	ListImageScanFindings(ctx context.Context, in *imagebuilder.ListImageScanFindingsInput, opts ...func(*imagebuilder.Options)) (*imagebuilder.ListImageScanFindingsOutput, error)
}

// STS is the part of the STS API winami calls.
type STS interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	// AssumeRole gives the credentials of a role in a target account (Clients.AssumeRole):
	// build publishes the parameter there after the scan's verdict.
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// KMS is the part of the AWS KMS API winami calls (doctor reads the keys that encrypt
// the AMIs: state and spec, key policy, grants).
type KMS interface {
	// DescribeKey resolves a key id, key ARN, alias name or alias ARN to the key.
	DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, opts ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	// GetKeyPolicy reads the key policy (its only name is "default"); not cross-account.
	GetKeyPolicy(ctx context.Context, in *kms.GetKeyPolicyInput, opts ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
	// ListGrants lists the key's grants.
	ListGrants(ctx context.Context, in *kms.ListGrantsInput, opts ...func(*kms.Options)) (*kms.ListGrantsOutput, error)
}

// S3 is the part of the Amazon S3 API winami calls (doctor checks the build log bucket).
type S3 interface {
	// GetBucketLocation tells a bucket's region (LocationConstraint "" is us-east-1).
	GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, opts ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
}

// IAM is the part of the IAM API winami calls.
type IAM interface {
	GetInstanceProfile(ctx context.Context, in *iam.GetInstanceProfileInput, opts ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error)
	GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, opts ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	SimulatePrincipalPolicy(ctx context.Context, in *iam.SimulatePrincipalPolicyInput, opts ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
	// The build instance's role and profile, created by apply when asked.
	CreateRole(ctx context.Context, in *iam.CreateRoleInput, opts ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	AttachRolePolicy(ctx context.Context, in *iam.AttachRolePolicyInput, opts ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	CreateInstanceProfile(ctx context.Context, in *iam.CreateInstanceProfileInput, opts ...func(*iam.Options)) (*iam.CreateInstanceProfileOutput, error)
	AddRoleToInstanceProfile(ctx context.Context, in *iam.AddRoleToInstanceProfileInput, opts ...func(*iam.Options)) (*iam.AddRoleToInstanceProfileOutput, error)
	// The pipeline's execution role's inline policy, written by apply when asked.
	GetRolePolicy(ctx context.Context, in *iam.GetRolePolicyInput, opts ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	PutRolePolicy(ctx context.Context, in *iam.PutRolePolicyInput, opts ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
	// Removes that inline policy once the distribution writes no parameter.
	DeleteRolePolicy(ctx context.Context, in *iam.DeleteRolePolicyInput, opts ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
}

// ECR is the part of the ECR API winami calls.
type ECR interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, opts ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
	DescribeImages(ctx context.Context, in *ecr.DescribeImagesInput, opts ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
}

// EKS is the part of the EKS API winami calls.
type EKS interface {
	DescribeCluster(ctx context.Context, in *eks.DescribeClusterInput, opts ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
	DescribeClusterVersions(ctx context.Context, in *eks.DescribeClusterVersionsInput, opts ...func(*eks.Options)) (*eks.DescribeClusterVersionsOutput, error)
	// ListNodegroups, DescribeNodegroup, UpdateNodegroupConfig, UpdateNodegroupVersion and
	// DescribeUpdate move a managed node group to a new launch template version (rollout).
	ListNodegroups(ctx context.Context, in *eks.ListNodegroupsInput, opts ...func(*eks.Options)) (*eks.ListNodegroupsOutput, error)
	DescribeNodegroup(ctx context.Context, in *eks.DescribeNodegroupInput, opts ...func(*eks.Options)) (*eks.DescribeNodegroupOutput, error)
	UpdateNodegroupConfig(ctx context.Context, in *eks.UpdateNodegroupConfigInput, opts ...func(*eks.Options)) (*eks.UpdateNodegroupConfigOutput, error)
	UpdateNodegroupVersion(ctx context.Context, in *eks.UpdateNodegroupVersionInput, opts ...func(*eks.Options)) (*eks.UpdateNodegroupVersionOutput, error)
	DescribeUpdate(ctx context.Context, in *eks.DescribeUpdateInput, opts ...func(*eks.Options)) (*eks.DescribeUpdateOutput, error)
	ListUpdates(ctx context.Context, in *eks.ListUpdatesInput, opts ...func(*eks.Options)) (*eks.ListUpdatesOutput, error)
}

// AutoScaling is the part of the EC2 Auto Scaling API winami calls (prune: what groups
// use; rollout: moving a group to a new launch template version with an instance refresh).
type AutoScaling interface {
	DescribeAutoScalingGroups(ctx context.Context, in *autoscaling.DescribeAutoScalingGroupsInput, opts ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
	DescribeLaunchConfigurations(ctx context.Context, in *autoscaling.DescribeLaunchConfigurationsInput, opts ...func(*autoscaling.Options)) (*autoscaling.DescribeLaunchConfigurationsOutput, error)
	UpdateAutoScalingGroup(ctx context.Context, in *autoscaling.UpdateAutoScalingGroupInput, opts ...func(*autoscaling.Options)) (*autoscaling.UpdateAutoScalingGroupOutput, error)
	StartInstanceRefresh(ctx context.Context, in *autoscaling.StartInstanceRefreshInput, opts ...func(*autoscaling.Options)) (*autoscaling.StartInstanceRefreshOutput, error)
	DescribeInstanceRefreshes(ctx context.Context, in *autoscaling.DescribeInstanceRefreshesInput, opts ...func(*autoscaling.Options)) (*autoscaling.DescribeInstanceRefreshesOutput, error)
	CancelInstanceRefresh(ctx context.Context, in *autoscaling.CancelInstanceRefreshInput, opts ...func(*autoscaling.Options)) (*autoscaling.CancelInstanceRefreshOutput, error)
	RollbackInstanceRefresh(ctx context.Context, in *autoscaling.RollbackInstanceRefreshInput, opts ...func(*autoscaling.Options)) (*autoscaling.RollbackInstanceRefreshOutput, error)
}

// ServiceQuotas is the part of the Service Quotas API winami calls (the Fast Launch
// preflight reads the region's On-Demand vCPU quota).
type ServiceQuotas interface {
	// GetServiceQuota reads the quota applied to the account.
	GetServiceQuota(ctx context.Context, in *servicequotas.GetServiceQuotaInput, opts ...func(*servicequotas.Options)) (*servicequotas.GetServiceQuotaOutput, error)
	// GetAWSDefaultServiceQuota reads AWS's default, for a quota the account has no applied value of.
	GetAWSDefaultServiceQuota(ctx context.Context, in *servicequotas.GetAWSDefaultServiceQuotaInput, opts ...func(*servicequotas.Options)) (*servicequotas.GetAWSDefaultServiceQuotaOutput, error)
}
