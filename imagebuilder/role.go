package imagebuilder

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/check"
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
	return r.settle(ch, steps, profileExists, "role "+role+" has the policies the build needs", reasons,
		fmt.Sprintf("creating instance profile %s (role %s)", name, role))
}

// ResourceExecutionRole is the plan's name for the image pipeline's execution role,
// managed only when Options.ManageExecutionRole is set.
const ResourceExecutionRole = "execution-role"

// ExecutionRolePolicyName is the inline policy winami puts on the execution role: the
// right to write the published parameter (PublishParameterPolicy).
const ExecutionRolePolicyName = "winami-publish-parameter"

// ImageBuilderPrincipal is the service principal that assumes a pipeline's execution role.
const ImageBuilderPrincipal = "imagebuilder.amazonaws.com"

// ExecutionTrustPolicy lets Image Builder assume the execution role ("The role must trust
// the Image Builder service principal", "Specify the IAM service role that Image Builder
// uses to run workflow actions",
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/pipeline-workflows.html).
// It has no aws:SourceAccount condition: Image Builder does not document that it sets that
// key when it assumes an execution role, and a condition it does not meet would fail every
// build at its first step.
const ExecutionTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + ImageBuilderPrincipal + `"},"Action":"sts:AssumeRole"}]}`

// ExecutionPolicy is the AWS managed policy every execution role gets. Image Builder's
// user guide recommends a custom role with it over passing the service-linked role: "This
// policy grants the same permissions that Image Builder needs to call AWS services on your
// behalf" (https://docs.aws.amazon.com/imagebuilder/latest/userguide/pipeline-workflows.html;
// the policy: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/EC2ImageBuilderExecutionPolicy.html).
// Like the service-linked role's policy it lets Image Builder write SSM parameters only
// under /imagebuilder/, hence PublishParameterPolicy.
const ExecutionPolicy = "EC2ImageBuilderExecutionPolicy"

// FastLaunchPolicy is the AWS managed policy that the role Image Builder uses needs for EC2
// Fast Launch without a launch template ("Prerequisites for EC2 Fast Launch": "If you don't
// use a custom launch template ... you must attach the EC2FastLaunchFullAccess policy to the
// IAM role that Image Builder uses to create your image",
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html#ami-distribution-prereqs-fast-launch).
// With a launch template, EC2ImageBuilderExecutionPolicy grants ec2:EnableFastLaunch as the
// service-linked role's policy does: on launch templates tagged CreatedBy: EC2 Image Builder.
const FastLaunchPolicy = "EC2FastLaunchFullAccess"

// ExecutionRolePolicies are the ARNs of the AWS managed policies the execution role needs
// for distributions dists, in partition: ExecutionPolicy, and FastLaunchPolicy when a
// region enables Fast Launch without a launch template.
func ExecutionRolePolicies(partition string, dists []types.Distribution) []string {
	out := []string{"arn:" + partition + ":iam::aws:policy/" + ExecutionPolicy}
	for _, d := range dists {
		for _, fl := range d.FastLaunchConfigurations {
			if fl.Enabled && fl.LaunchTemplate == nil {
				return append(out, "arn:"+partition+":iam::aws:policy/"+FastLaunchPolicy)
			}
		}
	}
	return out
}

// PolicyDocument is an IAM policy document as winami writes it.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one Allow statement of a PolicyDocument.
type PolicyStatement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

// JSON is the document as compact JSON.
func (p PolicyDocument) JSON() string {
	b, err := json.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("encoding a policy document: %v", err)) // plain strings
	}
	return string(b)
}

// ParameterARN is the ARN of the SSM parameter name (a path starting with /) in region:
// arn:<partition>:ssm:<region>:<account>:parameter/<name without its leading slash>
// (resource type "parameter", https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html).
func ParameterARN(partition, region, account, name string) string {
	return "arn:" + partition + ":ssm:" + region + ":" + account + ":parameter/" + strings.TrimPrefix(name, "/")
}

// PublishParameterPolicy is the execution role's inline policy (ExecutionRolePolicyName)
// for publishing the AMI id to parameter in regions: exactly ssm:PutParameter on the
// parameter's ARN in each region, and ec2:DescribeImages, which Systems Manager calls to
// validate an aws:ec2:image value ("Prerequisites for SSM output parameters": "you must
// specify the ssm:PutParameter action in your Image Builder execution role, with the
// parameter listed as a resource" and, for the AWS EC2 Image data type, "you must also add
// the ec2:DescribeImages action",
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html#ami-distribution-prereqs-ssm-param).
// The page asks for no ssm:GetParameter, so there is none. ec2:DescribeImages supports no
// resource-level permissions, hence "*". partition and account may be CloudFormation
// substitutions (${AWS::Partition}, ${AWS::AccountId}).
func PublishParameterPolicy(partition, account, parameter string, regions []string) PolicyDocument {
	var arns []string
	for _, r := range regions {
		arns = append(arns, ParameterARN(partition, r, account, parameter))
	}
	return PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{
		{Sid: "PublishParameter", Effect: "Allow", Action: []string{"ssm:PutParameter"}, Resource: arns},
		{Sid: "ValidateImageParameter", Effect: "Allow", Action: []string{"ec2:DescribeImages"}, Resource: []string{"*"}},
	}}
}

// RoleNameAndPath splits an IAM role name or role ARN into the role's name and path
// ("/" for a plain name).
func RoleNameAndPath(nameOrARN string) (name, path string) {
	if _, rest, ok := strings.Cut(nameOrARN, ":role/"); ok && strings.HasPrefix(nameOrARN, "arn:") {
		i := strings.LastIndex(rest, "/")
		return rest[i+1:], "/" + rest[:i+1]
	}
	return nameOrARN, "/"
}

// TrustsImageBuilder tells whether a role's trust policy (as IAM returns it, URL-encoded,
// or plain JSON) lets Image Builder's service principal assume the role.
func TrustsImageBuilder(doc string) bool {
	if u, err := url.PathUnescape(doc); err == nil {
		doc = u
	}
	var p struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &p) != nil {
		return false
	}
	var stmts []struct {
		Effect    string
		Action    json.RawMessage
		Principal json.RawMessage
	}
	if json.Unmarshal(p.Statement, &stmts) != nil {
		var one struct {
			Effect    string
			Action    json.RawMessage
			Principal json.RawMessage
		}
		if json.Unmarshal(p.Statement, &one) != nil {
			return false
		}
		stmts = append(stmts, one)
	}
	for _, s := range stmts {
		if s.Effect != "Allow" {
			continue
		}
		actionOK := false
		for _, a := range stringOrList(s.Action) {
			if a == "sts:AssumeRole" || a == "sts:*" || a == "*" {
				actionOK = true
			}
		}
		var pr struct{ Service json.RawMessage }
		if !actionOK || json.Unmarshal(s.Principal, &pr) != nil {
			continue
		}
		if slices.Contains(stringOrList(pr.Service), ImageBuilderPrincipal) {
			return true
		}
	}
	return false
}

// stringOrList reads a policy value that is a string or a list of strings.
func stringOrList(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

// samePolicy tells whether two policy documents (IAM's URL-encoded form or plain JSON)
// say the same.
func samePolicy(a, b string) bool {
	parse := func(s string) any {
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return s
		}
		return v
	}
	return reflect.DeepEqual(parse(a), parse(b))
}

// accountOf is the account in an ARN ("" when there is none).
func accountOf(arn string) string {
	if f := strings.SplitN(arn, ":", 6); len(f) == 6 {
		return f[4]
	}
	return ""
}

// executionRole plans or applies the pipeline's execution role: created when missing,
// trusted by Image Builder, with ExecutionRolePolicies attached and, when the distribution
// publishes the AMI id (Desired.DistributedParameter; not when the image is scanned and
// winami build publishes), the inline policy PublishParameterPolicy; otherwise that
// inline policy, if an earlier apply wrote it, is removed. A role that exists but does not
// trust Image Builder is a PreflightError (winami does not rewrite a trust policy it did
// not write). Every step checks first, so an apply cut short finishes the job when run
// again.
func (r *run) executionRole(ctx context.Context) error {
	ref := r.d.ExecutionRole()
	if ref == "" {
		return nil
	}
	api := r.c.IAM(r.d.Region)
	name, path := RoleNameAndPath(ref)
	part := catalog.Partition(r.d.Region)
	policies := ExecutionRolePolicies(part, r.d.Distribution.Distributions)
	ch := Change{Resource: ResourceExecutionRole, Name: name}
	account := accountOf(ref)

	var steps []func() error
	var reasons []string
	got, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	exists := err == nil
	switch {
	case err == nil:
		if account == "" && got.Role != nil {
			account = accountOf(aws.ToString(got.Role.Arn))
		}
		if got.Role != nil && !TrustsImageBuilder(aws.ToString(got.Role.AssumeRolePolicyDocument)) {
			return check.Errorf(preflightWhat, checkExecutionRole, fmt.Sprintf("role %s (spec.build.executionRole) exists but its trust policy does not let %s assume it: "+
				"add a statement allowing sts:AssumeRole to the service principal %s, or set spec.build.executionRole to another role", name, ImageBuilderPrincipal, ImageBuilderPrincipal))
		}
	case awsapi.ErrorCode(err) != "NoSuchEntity":
		return fmt.Errorf("reading role %s: %w", name, err)
	default:
		reasons = append(reasons, "no role "+name)
		steps = append(steps, func() error {
			out, err := api.CreateRole(ctx, &iam.CreateRoleInput{
				RoleName:                 aws.String(name),
				Path:                     aws.String(path),
				AssumeRolePolicyDocument: aws.String(ExecutionTrustPolicy),
				Description:              aws.String("EC2 Image Builder execution role of " + r.d.Name + " (created by winami)"),
				Tags:                     []iamtypes.Tag{{Key: aws.String(ManagedByTag), Value: aws.String("winami")}, {Key: aws.String(NameTag), Value: aws.String(r.d.Name)}},
			})
			switch {
			case err == nil:
				if account == "" && out.Role != nil {
					account = accountOf(aws.ToString(out.Role.Arn))
				}
				return nil
			case awsapi.ErrorCode(err) != "EntityAlreadyExists":
				return err
			}
			// Created since it was read (a concurrent apply): take its account.
			got, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
			if err != nil {
				return err
			}
			if account == "" && got.Role != nil {
				account = accountOf(aws.ToString(got.Role.Arn))
			}
			return nil
		})
	}

	attached := map[string]bool{}
	if exists {
		p := iam.NewListAttachedRolePoliciesPaginator(api, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("listing the policies of role %s: %w", name, err)
			}
			for _, ap := range page.AttachedPolicies {
				attached[aws.ToString(ap.PolicyArn)] = true
			}
		}
	}
	for _, pol := range policies {
		if !attached[pol] {
			pol := pol
			reasons = append(reasons, "attach "+pol[strings.LastIndex(pol, "/")+1:])
			steps = append(steps, func() error {
				_, err := api.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(pol)})
				return err
			})
		}
	}

	current := ""
	if exists {
		got, err := api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(ExecutionRolePolicyName)})
		switch {
		case err == nil:
			current = aws.ToString(got.PolicyDocument)
		case awsapi.ErrorCode(err) != "NoSuchEntity":
			return fmt.Errorf("reading the inline policy %s of role %s: %w", ExecutionRolePolicyName, name, err)
		}
	}
	param := r.d.DistributedParameter()
	if param == "" && current != "" {
		// winami wrote it (the name is winami's) for a distribution that published; now
		// that it writes no parameter (the image is scanned and winami build publishes, or
		// there is no parameter), the grant is removed rather than left unused.
		reasons = append(reasons, "remove the inline policy "+ExecutionRolePolicyName+" (the distribution writes no parameter)")
		steps = append(steps, func() error {
			_, err := api.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(ExecutionRolePolicyName)})
			if awsapi.ErrorCode(err) == "NoSuchEntity" {
				return nil
			}
			return err
		})
	}
	if param != "" {
		want := func() string { return PublishParameterPolicy(part, account, param, r.d.Regions()).JSON() }
		switch {
		case current == "":
			reasons = append(reasons, "add the inline policy "+ExecutionRolePolicyName+" (ssm:PutParameter on "+param+")")
		case !samePolicy(current, want()):
			reasons = append(reasons, "the inline policy "+ExecutionRolePolicyName+" differs")
		}
		if current == "" || !samePolicy(current, want()) {
			steps = append(steps, func() error {
				if account == "" {
					return fmt.Errorf("the account of role %s is not known: IAM returned no role ARN", name)
				}
				_, err := api.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(ExecutionRolePolicyName), PolicyDocument: aws.String(want())})
				return err
			})
		}
	}

	return r.settle(ch, steps, exists, "trusted by "+ImageBuilderPrincipal+", has the policies the pipeline needs", reasons,
		"creating execution role "+name)
}

// settle finishes a plan row for an IAM resource that apply manages: no step left is
// unchanged (with unchanged as the reason), a resource that does not exist yet is
// created, anything else updated; reasons, when any, are the row's reason. Under apply the
// steps run in order, each counted as a mutation; the first error stops them, wrapped
// with doing ("creating execution role x").
func (r *run) settle(ch Change, steps []func() error, exists bool, unchanged string, reasons []string, doing string) error {
	switch {
	case len(steps) == 0:
		ch.Action, ch.Reason = ActionUnchanged, unchanged
	case !exists:
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
				return fmt.Errorf("%s: %w", doing, err)
			}
		}
		if len(steps) > 0 {
			r.opts.logf("%s %s: %s", ch.Resource, ch.Name, ch.Reason)
		}
	}
	r.add(ch)
	return nil
}
