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
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/spec"
)

// ExecutionRoleSuffix ends the name of the execution role winami creates for a spec:
// <metadata.name>-imagebuilder-execution.
const ExecutionRoleSuffix = spec.ExecutionRoleSuffix

// ImageBuilderService is the service principal an Image Builder execution role trusts.
const ImageBuilderService = imagebuilder.ImageBuilderPrincipal

// executionRoleOf is the spec's effective spec.build.executionRole ("" for none).
func executionRoleOf(img *spec.WindowsImage) string { return img.Spec.Build.ExecutionRole }

// createRolesFix says how winami makes the execution role.
const createRolesFix = "`winami apply --create-roles` creates it, as do the cloudformation.yaml and iam-*.json files `winami render` writes"

// executionRole checks who writes the published parameter. Without spec.build.executionRole
// Image Builder distributes as its service-linked role, whose AWS managed policy
// AWSServiceRoleForImageBuilder allows ssm:PutParameter only on parameter/imagebuilder/*
// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSServiceRoleForImageBuilder.html).
// With one, the role must exist, trust imagebuilder.amazonaws.com and be allowed
// ssm:PutParameter on the parameter in every distribution region, plus ec2:DescribeImages
// for the aws:ec2:image data type ("Prerequisites for SSM output parameters",
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html#ami-distribution-prereqs-ssm-param).
// The parameter is the one the distribution writes (spec.WindowsImage.DistributedParameter):
// none when the image is scanned, since winami build then publishes it as the caller (the
// operator's ssm:PutParameter is the permissions check's), so an execution role the spec
// names is then only checked to exist and trust Image Builder.
// It returns no check when the distribution publishes nothing and the spec names no role.
func (d *Doctor) executionRole(ctx context.Context, img *spec.WindowsImage, account string) []check.Check {
	role := executionRoleOf(img)
	param := img.DistributedParameter()
	switch {
	case role == "" && param == "":
		return nil
	case role == "" && img.NeedsExecutionRole():
		return []check.Check{{Name: CheckExecutionRole, Status: check.Fail,
			Message: fmt.Sprintf("spec.distribution.publishParameter %s is outside %s and the pipeline has no execution role: Image Builder's service-linked role "+
				"(AWS managed policy AWSServiceRoleForImageBuilder) may write only %s* parameters, so the image would fail at distribution", param, spec.ServiceLinkedParameterPrefix, spec.ServiceLinkedParameterPrefix),
			Fix: fmt.Sprintf("set spec.build.executionRole to %s (%s), or publish under %s", spec.DefaultExecutionRole(img.Metadata.Name), createRolesFix, spec.ServiceLinkedParameterPrefix)}}
	case role == "":
		return []check.Check{{Name: CheckExecutionRole, Status: check.Pass,
			Message: fmt.Sprintf("no execution role: Image Builder's service-linked role may write %s (it may write %s*)", param, spec.ServiceLinkedParameterPrefix)}}
	}
	name := spec.RoleName(role)
	api := d.Clients.IAM(img.Metadata.Region)
	out, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	switch {
	case err != nil && awsapi.ErrorCode(err) == "NoSuchEntity":
		if d.Options.CreatesRoles {
			return []check.Check{{Name: CheckExecutionRole, Status: check.Pass, Message: fmt.Sprintf("execution role %s does not exist yet: apply creates it (--create-roles)", name)}}
		}
		return []check.Check{{Name: CheckExecutionRole, Status: check.Fail,
			Message: fmt.Sprintf("execution role %s (spec.build.executionRole) does not exist: Image Builder cannot run the pipeline", name),
			Fix:     createRolesFix + "; or set spec.build.executionRole to an existing role"}}
	case err != nil && awsapi.IsAccessDenied(err):
		return []check.Check{{Name: CheckExecutionRole, Status: check.Skip, Message: fmt.Sprintf("execution role %s not checked: %v", name, err), Fix: "allow iam:GetRole"}}
	case err != nil:
		return []check.Check{{Name: CheckExecutionRole, Status: check.Warn, Message: fmt.Sprintf("execution role %s not checked: %v", name, err)}}
	}
	roleARN := aws.ToString(out.Role.Arn)
	if !imagebuilder.TrustsImageBuilder(aws.ToString(out.Role.AssumeRolePolicyDocument)) {
		return []check.Check{{Name: CheckExecutionRole, Status: check.Fail,
			Message: fmt.Sprintf("execution role %s is not trusted by Image Builder: its trust policy does not allow %s to call sts:AssumeRole", name, ImageBuilderService),
			Fix:     fmt.Sprintf("aws iam update-assume-role-policy --role-name %s --policy-document '%s'", name, imagebuilder.ExecutionTrustPolicy)}}
	}
	if param == "" {
		return []check.Check{{Name: CheckExecutionRole, Status: check.Pass, Message: fmt.Sprintf("execution role %s exists and trusts %s", name, ImageBuilderService)}}
	}
	p := catalog.Partition(img.Metadata.Region)
	var arns []string
	for _, r := range img.Spec.Distribution.Regions {
		arns = append(arns, imagebuilder.ParameterARN(p, r, accountOfRole(roleARN, account), param))
	}
	denied, err := simulate(ctx, api, roleARN, []string{"ssm:PutParameter"}, arns, nil)
	if err == nil {
		var more []string
		more, err = simulate(ctx, api, roleARN, []string{"ec2:DescribeImages"}, nil, nil)
		denied = append(denied, more...)
	}
	switch {
	case err != nil && awsapi.IsAccessDenied(err):
		return []check.Check{{Name: CheckExecutionRole, Status: check.Skip, Message: fmt.Sprintf("execution role %s exists and trusts %s; its rights not checked: simulation denied", name, ImageBuilderService),
			Fix: "allow iam:SimulatePrincipalPolicy on the role"}}
	case err != nil:
		return []check.Check{{Name: CheckExecutionRole, Status: check.Warn, Message: fmt.Sprintf("execution role %s: rights not checked: %v", name, err)}}
	case len(denied) > 0:
		return []check.Check{{Name: CheckExecutionRole, Status: check.Fail,
			Message: fmt.Sprintf("execution role %s may not call %s (publishing %s in %s): the image would fail at distribution", name, strings.Join(denied, ", "), param, strings.Join(img.Spec.Distribution.Regions, ", ")),
			Fix:     fmt.Sprintf("allow ssm:PutParameter on %s and ec2:DescribeImages (`winami apply --create-roles` puts that inline policy on the role)", strings.Join(arns, ", "))}}
	}
	return []check.Check{{Name: CheckExecutionRole, Status: check.Pass,
		Message: fmt.Sprintf("execution role %s trusts %s and may write %s in %s", name, ImageBuilderService, param, strings.Join(img.Spec.Distribution.Regions, ", "))}}
}

// accountOfRole is the account of a role ARN (fallback when it has none).
func accountOfRole(roleARN, fallback string) string {
	if a := accountOf(roleARN); a != "*" && a != "" {
		return a
	}
	return fallback
}
