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
	"github.com/winami/winami/spec"
)

// roleChecksSkipped are the rows of the checks on the instance profile's role, as skip
// with the reason, when the profile check found no role to check: every check the spec
// calls for is always listed.
func roleChecksSkipped(img *spec.WindowsImage, why string) []check.Check {
	fix := "fix the instance-profile check first, then run doctor again"
	out := []check.Check{{Name: CheckRolePolicy, Status: check.Skip, Fix: fix,
		Message: fmt.Sprintf("%s and %s not checked: %s", ImageBuilderInstancePolicy, SSMInstancePolicy, why)}}
	if repos := ScopeOf(img).ECRRepositories; len(repos) > 0 && img.Spec.Cache.IsEnabled() {
		out = append(out, check.Check{Name: CheckECRRead, Status: check.Skip, Fix: fix,
			Message: fmt.Sprintf("ECR read of %s not checked: %s", strings.Join(repos, ", "), why)})
	}
	if obj := logObjectARN(img); obj != "" {
		out = append(out, check.Check{Name: CheckLogWrite, Status: check.Skip, Fix: fix, Message: fmt.Sprintf("log writes to %s not checked: %s", obj, why)})
	}
	return out
}

func (d *Doctor) instanceProfile(ctx context.Context, img *spec.WindowsImage) ([]check.Check, error) {
	name := img.Spec.Build.InstanceProfile
	api := d.Clients.IAM(img.Metadata.Region)
	out, err := api.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if err != nil {
		if awsapi.ErrorCode(err) == "NoSuchEntity" && d.Options.CreatesInstanceProfile {
			return append([]check.Check{{Name: CheckInstanceProfile, Status: check.Pass, Message: fmt.Sprintf("instance profile %s does not exist yet: apply creates it and its role", name)}},
				roleChecksSkipped(img, fmt.Sprintf("instance profile %s does not exist yet", name))...), nil
		}
		if awsapi.ErrorCode(err) == "NoSuchEntity" {
			return append([]check.Check{{Name: CheckInstanceProfile, Status: check.Fail, Message: fmt.Sprintf("instance profile %s does not exist", name),
				Fix: fmt.Sprintf("create it with a role that has %s and %s (`winami apply --create-roles` or --create-instance-profile does; winami render writes it in cloudformation.yaml; `winami iam-policy --for instance` prints the policies), or set spec.build.instanceProfile", ImageBuilderInstancePolicy, SSMInstancePolicy)}},
				roleChecksSkipped(img, fmt.Sprintf("instance profile %s does not exist", name))...), nil
		}
		if awsapi.IsAccessDenied(err) {
			return append([]check.Check{{Name: CheckInstanceProfile, Status: check.Skip, Message: fmt.Sprintf("instance profile %s not checked: %v", name, err), Fix: "allow iam:GetInstanceProfile"}},
				roleChecksSkipped(img, fmt.Sprintf("instance profile %s could not be read", name))...), nil
		}
		return nil, fmt.Errorf("reading instance profile %s: %w", name, err)
	}
	roles := out.InstanceProfile.Roles
	if len(roles) == 0 {
		return append([]check.Check{{Name: CheckInstanceProfile, Status: check.Fail, Message: fmt.Sprintf("instance profile %s has no role", name),
			Fix: fmt.Sprintf("aws iam add-role-to-instance-profile --instance-profile-name %s --role-name <role>", name)}},
			roleChecksSkipped(img, fmt.Sprintf("instance profile %s has no role", name))...), nil
	}
	role := aws.ToString(roles[0].RoleName)
	roleARN := aws.ToString(roles[0].Arn)
	checks := []check.Check{{Name: CheckInstanceProfile, Status: check.Pass, Message: fmt.Sprintf("instance profile %s exists with role %s", name, role)}}

	attached := map[string]bool{}
	p := iam.NewListAttachedRolePoliciesPaginator(api, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the policies of role %s: %w", role, err)
		}
		for _, ap := range page.AttachedPolicies {
			attached[aws.ToString(ap.PolicyName)] = true
		}
	}
	var missing []string
	for _, pol := range []string{ImageBuilderInstancePolicy, SSMInstancePolicy} {
		if !attached[pol] {
			missing = append(missing, pol)
		}
	}
	if len(missing) > 0 {
		var fixes []string
		for _, m := range missing {
			fixes = append(fixes, fmt.Sprintf("aws iam attach-role-policy --role-name %s --policy-arn %s", role, ManagedPolicyARN(catalog.Partition(img.Metadata.Region), m)))
		}
		why := ""
		if contains(missing, SSMInstancePolicy) {
			why = " (without it the build instance never reaches SSM and the build dies with TimedOut after 30 minutes)"
		}
		checks = append(checks, check.Check{Name: CheckRolePolicy, Status: check.Fail,
			Message: fmt.Sprintf("role %s lacks %s%s", role, strings.Join(missing, " and "), why), Fix: strings.Join(fixes, "; ")})
	} else {
		checks = append(checks, check.Check{Name: CheckRolePolicy, Status: check.Pass, Message: fmt.Sprintf("role %s has %s and %s", role, ImageBuilderInstancePolicy, SSMInstancePolicy)})
	}

	repos := ScopeOf(img).ECRRepositories
	if len(repos) > 0 && img.Spec.Cache.IsEnabled() {
		checks = append(checks, d.ecrRead(ctx, api, role, roleARN, repos))
	}
	if obj := logObjectARN(img); obj != "" {
		checks = append(checks, d.logWrite(ctx, api, role, roleARN, obj))
	}
	return checks, nil
}

// logObjectARN is the ARN of an object the build instance writes its logs to (under
// spec.build.logging's bucket and prefix), "" without logging.
func logObjectARN(img *spec.WindowsImage) string {
	lg := img.Spec.Build.Logging
	if lg == nil || lg.S3BucketName == "" {
		return ""
	}
	key := "winami-doctor/log.txt"
	if pre := strings.Trim(lg.S3KeyPrefix, "/"); pre != "" {
		key = pre + "/" + key
	}
	return "arn:" + catalog.Partition(img.Metadata.Region) + ":s3:::" + lg.S3BucketName + "/" + key
}

// logWrite checks that the build instance's role may write the build logs
// (s3:PutObject under the bucket and prefix): Image Builder writes them as the instance
// profile's role, and EC2InstanceProfileForImageBuilder grants no write to the user's
// buckets (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/EC2InstanceProfileForImageBuilder.html).
func (d *Doctor) logWrite(ctx context.Context, api awsapi.IAM, role, roleARN, obj string) check.Check {
	denied, err := simulate(ctx, api, roleARN, []string{"s3:PutObject"}, []string{obj}, nil)
	switch {
	case err != nil && awsapi.IsAccessDenied(err):
		return check.Check{Name: CheckLogWrite, Status: check.Skip, Message: fmt.Sprintf("log writes of role %s not checked: simulation denied", role),
			Fix: "allow iam:SimulatePrincipalPolicy on the role, or compare it with `winami iam-policy --for instance`"}
	case err != nil:
		return check.Check{Name: CheckLogWrite, Status: check.Warn, Message: fmt.Sprintf("log writes of role %s not checked: %v", role, err)}
	case len(denied) > 0:
		return check.Check{Name: CheckLogWrite, Status: check.Fail,
			Message: fmt.Sprintf("role %s may not call s3:PutObject on %s: the build could not write its logs", role, obj),
			Fix:     fmt.Sprintf("add the inline policy `winami iam-policy --for instance -f <spec>` prints to role %s (statement WriteBuildLogs)", role)}
	}
	return check.Check{Name: CheckLogWrite, Status: check.Pass, Message: fmt.Sprintf("role %s may write the build logs (s3:PutObject on %s)", role, obj)}
}

func (d *Doctor) ecrRead(ctx context.Context, api awsapi.IAM, role, roleARN string, repos []string) check.Check {
	denied, err := simulate(ctx, api, roleARN, []string{"ecr:GetAuthorizationToken"}, nil, nil)
	if err == nil {
		var more []string
		more, err = simulate(ctx, api, roleARN, ECRPullActions, repos, nil)
		denied = append(denied, more...)
	}
	switch {
	case err != nil && awsapi.IsAccessDenied(err):
		return check.Check{Name: CheckECRRead, Status: check.Skip, Message: fmt.Sprintf("ECR read of role %s not checked: simulation denied", role),
			Fix: "allow iam:SimulatePrincipalPolicy on the role, or compare it with `winami iam-policy --for instance`"}
	case err != nil:
		return check.Check{Name: CheckECRRead, Status: check.Warn, Message: fmt.Sprintf("ECR read of role %s not checked: %v", role, err)}
	case len(denied) > 0:
		return check.Check{Name: CheckECRRead, Status: check.Fail,
			Message: fmt.Sprintf("role %s may not call %s on %s: the cached images cannot be pulled", role, strings.Join(denied, ", "), strings.Join(repos, ", ")),
			Fix:     fmt.Sprintf("attach %s or the inline policy `winami iam-policy --for instance -f <spec>` prints", ManagedPolicyARN(partitionOfARN(roleARN), ECRReadOnlyPolicy))}
	}
	return check.Check{Name: CheckECRRead, Status: check.Pass, Message: fmt.Sprintf("role %s may pull from %s", role, strings.Join(repos, ", "))}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
