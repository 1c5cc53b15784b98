package imagebuilder

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/component"
)

// ResourceInstanceProfile is the plan's name for the build instance's profile and role,
// managed only when Options.ManageInstanceProfile is set.
const ResourceInstanceProfile = "instance-profile"

// ec2AssumeRole lets EC2 instances assume the build role.
const ec2AssumeRole = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// InstancePolicies are the AWS-managed policies the build instance's role needs: Image
// Builder's, SSM's (without it builds time out after 30 minutes) and, when any cached
// image is in ECR, read access to ECR.
func InstancePolicies(d *Desired) []string {
	part := catalog.Partition(d.Region)
	out := []string{
		"arn:" + part + ":iam::aws:policy/EC2InstanceProfileForImageBuilder",
		"arn:" + part + ":iam::aws:policy/AmazonSSMManagedInstanceCore",
	}
	for _, ref := range d.CacheImages {
		if host, _, ok := strings.Cut(ref, "/"); ok {
			if _, _, ecr := component.ParseECR(host); ecr {
				out = append(out, "arn:"+part+":iam::aws:policy/AmazonEC2ContainerRegistryReadOnly")
				break
			}
		}
	}
	return out
}

// instanceProfile plans or applies the build instance's profile and its role (of the
// same name): created when missing, missing policies attached. Every step checks first,
// so an apply cut short anywhere finishes the job when run again.
func (r *run) instanceProfile(ctx context.Context) error {
	api := r.c.IAM(r.d.Region)
	name := aws.ToString(r.d.Infrastructure.InstanceProfileName)
	policies := InstancePolicies(r.d)
	ch := Change{Resource: ResourceInstanceProfile, Name: name}

	var steps []func() error
	role := name
	prof, err := api.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	profileExists := err == nil
	switch {
	case err == nil:
		if len(prof.InstanceProfile.Roles) > 0 {
			role = aws.ToString(prof.InstanceProfile.Roles[0].RoleName)
		}
	case awsapi.ErrorCode(err) != "NoSuchEntity":
		return fmt.Errorf("reading instance profile %s: %w", name, err)
	}
	var reasons []string
	_, err = api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
	roleExists := err == nil
	if err != nil && awsapi.ErrorCode(err) != "NoSuchEntity" {
		return fmt.Errorf("reading role %s: %w", role, err)
	}
	attached := map[string]bool{}
	if roleExists {
		p := iam.NewListAttachedRolePoliciesPaginator(api, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("listing the policies of role %s: %w", role, err)
			}
			for _, ap := range page.AttachedPolicies {
				attached[aws.ToString(ap.PolicyArn)] = true
			}
		}
	} else {
		reasons = append(reasons, "no role "+role)
		steps = append(steps, func() error {
			_, err := api.CreateRole(ctx, &iam.CreateRoleInput{
				RoleName:                 aws.String(role),
				AssumeRolePolicyDocument: aws.String(ec2AssumeRole),
				Description:              aws.String("EC2 Image Builder build instances of " + r.d.Name + " (created by winami)"),
			})
			if awsapi.ErrorCode(err) == "EntityAlreadyExists" {
				return nil
			}
			return err
		})
	}
	for _, pol := range policies {
		if !attached[pol] {
			pol := pol
			reasons = append(reasons, "attach "+pol[strings.LastIndex(pol, "/")+1:])
			steps = append(steps, func() error {
				_, err := api.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(pol)})
				return err
			})
		}
	}
	if !profileExists {
		reasons = append(reasons, "no instance profile "+name)
		steps = append(steps, func() error {
			_, err := api.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name)})
			if awsapi.ErrorCode(err) == "EntityAlreadyExists" {
				return nil
			}
			return err
		})
	}
	if !profileExists || len(prof.InstanceProfile.Roles) == 0 {
		if profileExists {
			reasons = append(reasons, "the instance profile has no role")
		}
		steps = append(steps, func() error {
			_, err := api.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: aws.String(role)})
			if awsapi.ErrorCode(err) == "LimitExceeded" || awsapi.ErrorCode(err) == "EntityAlreadyExists" {
				return nil // the profile holds a role already (one is the limit)
			}
			return err
		})
	}
	switch {
	case len(steps) == 0:
		ch.Action, ch.Reason = ActionUnchanged, "role "+role+" has the policies the build needs"
	case !profileExists:
		ch.Action = ActionCreate
	default:
		ch.Action = ActionUpdate
	}
	if len(reasons) > 0 {
		ch.Reason = strings.Join(reasons, "; ")
	}
	if r.apply {
		for _, step := range steps {
			err := step()
			r.plan.Mutations++
			if err != nil {
				return fmt.Errorf("creating instance profile %s (role %s): %w", name, role, err)
			}
		}
		if len(steps) > 0 {
			r.opts.logf("instance-profile %s: %s", name, ch.Reason)
		}
	}
	r.add(ch)
	return nil
}
