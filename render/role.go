package render

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winami/winami/catalog"
	winib "github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/spec"
)

// ExecutionRole is the image pipeline's execution role as IAM requests, in the order
// they are made: the role trusted by Image Builder, the AWS managed policies
// (winib.ExecutionRolePolicies), and the inline policy that lets it publish the AMI id
// (winib.PublishParameterPolicy; nil when the distribution writes no parameter: without
// spec.distribution.publishParameter, or when the image is scanned and winami build
// publishes, spec.WindowsImage.DistributedParameter).
// winami plan/apply --create-roles make the same calls.
type ExecutionRole struct {
	// Name and Path are the role's (Path "/" unless spec.build.executionRole is an ARN with one).
	Name, Path string
	// CreateRole creates the role.
	CreateRole *iam.CreateRoleInput
	// AttachRolePolicies attach the AWS managed policies, one request each.
	AttachRolePolicies []*iam.AttachRolePolicyInput
	// PutRolePolicy writes the inline policy winib.ExecutionRolePolicyName.
	PutRolePolicy *iam.PutRolePolicyInput
	// ManagedPolicies are the names of the attached AWS managed policies.
	ManagedPolicies []string
}

// executionRole renders the execution role of img, whose distributions are dists; account
// is the account (or AccountPlaceholder) in the published parameter's ARNs.
func executionRole(img *spec.WindowsImage, account string, dists []types.Distribution) *ExecutionRole {
	name, path := winib.RoleNameAndPath(img.Spec.Build.ExecutionRole)
	part := catalog.Partition(img.Metadata.Region)
	e := &ExecutionRole{Name: name, Path: path}
	var iamTags []iamtypes.Tag
	for _, t := range cfnTags(tags(img)) {
		iamTags = append(iamTags, iamtypes.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	e.CreateRole = &iam.CreateRoleInput{
		RoleName:                 aws.String(name),
		Path:                     aws.String(path),
		AssumeRolePolicyDocument: aws.String(winib.ExecutionTrustPolicy),
		Description:              aws.String(executionRoleDescription(img)),
		Tags:                     iamTags,
	}
	for _, arn := range winib.ExecutionRolePolicies(part, dists) {
		e.AttachRolePolicies = append(e.AttachRolePolicies, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)})
		e.ManagedPolicies = append(e.ManagedPolicies, arn[len("arn:"+part+":iam::aws:policy/"):])
	}
	if p := img.DistributedParameter(); p != "" {
		doc := winib.PublishParameterPolicy(part, account, p, img.Spec.Distribution.Regions)
		e.PutRolePolicy = &iam.PutRolePolicyInput{
			RoleName:       aws.String(name),
			PolicyName:     aws.String(winib.ExecutionRolePolicyName),
			PolicyDocument: aws.String(doc.JSON()),
		}
	}
	return e
}

func executionRoleDescription(img *spec.WindowsImage) string {
	return "EC2 Image Builder execution role of " + img.Metadata.Name + " (rendered by winami)"
}
