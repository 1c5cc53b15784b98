package preflight

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/prune"
	"github.com/winami/winami/render"
	"github.com/winami/winami/spec"
)

// Check is one line of the doctor's report: pass, warn, fail or skip, with the fix.
type Check = fastlaunch.Check

// Check outcomes (the same as fastlaunch's).
const (
	Pass = fastlaunch.CheckPass
	Warn = fastlaunch.CheckWarn
	Fail = fastlaunch.CheckFail
	Skip = fastlaunch.CheckSkip
)

// Names of the doctor's checks.
const (
	CheckCredentials     = "credentials"
	CheckPermissions     = "permissions"
	CheckInstanceProfile = "instance-profile"
	CheckRolePolicy      = "instance-role-policy"
	CheckECRRead         = "instance-role-ecr"
	CheckNetwork         = "network"
	CheckParentImage     = "parent-image"
	CheckCachedImages    = "cached-images"
	CheckFastLaunch      = "fast-launch"
	// CheckInstanceTypes: spec.build.instanceTypes exist and are offered in the build
	// region and the subnet's Availability Zone.
	CheckInstanceTypes = "instance-types"
	// CheckExecutionRole: who writes the published parameter (the service-linked role only
	// under /imagebuilder/, else spec.build.executionRole: exists, trusted, allowed).
	CheckExecutionRole = "execution-role"
	// CheckEKSComponent: for the windows-base route, Amazon's eks-optimized-ami-windows
	// has a version for the Kubernetes minor in the build region.
	CheckEKSComponent = "eks-component"
	// CheckFastLaunchRights: whoever enables Fast Launch at distribution (Image Builder's
	// service-linked role or the execution role) may do it with the launch template.
	CheckFastLaunchRights = "fast-launch-rights"
)

// Doctor checks, before a build, what would make it fail half an hour in.
type Doctor struct {
	// Clients gives each region's clients.
	Clients *awsapi.Clients
	// CheckImages, when set, checks the cached images against the spec's Windows version
	// and Kubernetes minor, which names the AMI's containerd (package images); without it
	// the check is skipped with a pointer to `winami images check`.
	CheckImages func(ctx context.Context, refs []string, windows, kubernetes string) Check
	// Options are what the command is about to create itself.
	Options Options
}

// Options tell the checks what the command is about to create, so that its absence is not
// a problem.
type Options struct {
	// CreatesInstanceProfile: apply creates the build instance profile and its role when
	// missing (--create-instance-profile).
	CreatesInstanceProfile bool
	// CreatesRoles: apply creates the execution role when missing (--create-roles).
	CreatesRoles bool
	// Fast leaves out the checks that read container registries (the cached images):
	// build and apply run Preflight before they change anything, and they measure the
	// images themselves.
	Fast bool
}

// Preflight runs doctor's checks, without the registry reads, as build and apply do
// before their first change: it returns every check, and an error only when checks could
// not run at all.
func Preflight(ctx context.Context, clients *awsapi.Clients, img *spec.WindowsImage, opts Options) ([]Check, error) {
	opts.Fast = true
	return (&Doctor{Clients: clients, Options: opts}).Run(ctx, img)
}

// Problems are the failed checks of a preflight, for a caller that stops on them.
func Problems(checks []Check) []Check {
	var out []Check
	for _, c := range checks {
		if c.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}

// Failed reports whether any check failed.
func Failed(checks []Check) bool {
	for _, c := range checks {
		if c.Status == Fail {
			return true
		}
	}
	return false
}

// Run runs every check for the spec, in order. It stops after the credentials check when
// that fails (nothing else can run). The error is for checks that could not run at all.
func (d *Doctor) Run(ctx context.Context, img *spec.WindowsImage) ([]Check, error) {
	region := img.Metadata.Region
	var checks []Check
	add := func(c Check) { checks = append(checks, c) }

	ident, err := d.Clients.STS(region).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		add(Check{Name: CheckCredentials, Status: Fail, Message: fmt.Sprintf("no usable AWS credentials: %v", err),
			Fix: "refresh the credentials (aws sso login, new keys) or pick the profile with --profile / AWS_PROFILE"})
		return checks, nil
	}
	callerARN := aws.ToString(ident.Arn)
	add(Check{Name: CheckCredentials, Status: Pass, Message: fmt.Sprintf("account %s as %s", aws.ToString(ident.Account), callerARN)})

	perm, err := d.permissions(ctx, img, callerARN)
	if err != nil {
		return checks, err
	}
	add(perm)

	profileChecks, err := d.instanceProfile(ctx, img)
	if err != nil {
		return checks, err
	}
	checks = append(checks, profileChecks...)

	net, err := d.network(ctx, img)
	if err != nil {
		return checks, err
	}
	add(net)

	types, err := d.instanceTypes(ctx, img)
	if err != nil {
		return checks, err
	}
	add(types)

	parent, err := d.parent(ctx, img)
	if err != nil {
		return checks, err
	}
	add(parent)

	if img.Spec.Parent.Source == spec.SourceWindowsBase {
		comp, err := d.eksComponent(ctx, img)
		if err != nil {
			return checks, err
		}
		add(comp)
	}

	checks = append(checks, d.executionRole(ctx, img, accountOf(callerARN))...)

	switch {
	case d.Options.Fast:
	case !img.Spec.Cache.IsEnabled():
		add(Check{Name: CheckCachedImages, Status: Pass, Message: "no images cached"})
	case d.CheckImages != nil:
		add(d.CheckImages(ctx, img.Spec.Cache.Images, img.Spec.Windows.Version, img.Spec.KubernetesVersion))
	default:
		add(Check{Name: CheckCachedImages, Status: Skip, Message: fmt.Sprintf("%d cached images not checked here", len(img.Spec.Cache.Images)),
			Fix: "run `winami images check -f` on the spec"})
	}

	fl, err := d.fastLaunch(ctx, img, accountOf(callerARN))
	if err != nil {
		return checks, err
	}
	return append(checks, fl...), nil
}

// simulate runs one SimulatePrincipalPolicy over actions on resources.
func simulate(ctx context.Context, api awsapi.IAM, principal string, actions, resources []string, entries []iamtypes.ContextEntry) (denied []string, err error) {
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(principal), ActionNames: actions, ResourceArns: resources, ContextEntries: entries}
	p := iam.NewSimulatePrincipalPolicyPaginator(api, in)
	seen := map[string]bool{}
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range out.EvaluationResults {
			name := aws.ToString(r.EvalActionName)
			if r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed && !seen[name] {
				seen[name] = true
				denied = append(denied, name)
			}
		}
	}
	return denied, nil
}

// Simulation is one SimulatePrincipalPolicy question: may the principal call Actions on
// Resources ("*" when none) in Context (the questions of fastlaunch and doctor are one type).
type Simulation = fastlaunch.Question

// OperatorSimulations are the questions doctor asks about the caller: every action apply,
// build, fast-launch and prune call, on the resources of the spec (in account), with the
// context the calls carry, so a policy scoped like OperatorPolicy passes. ARNs are in the
// partition of the spec's region.
func OperatorSimulations(img *spec.WindowsImage, account string) []Simulation {
	name := strings.ToLower(img.Metadata.Name)
	region := img.Metadata.Region
	p := catalog.Partition(region)
	var sims []Simulation
	sims = append(sims, Simulation{Actions: append([]string(nil), readActions...)})
	byType := map[string][]string{}
	var types []string
	for _, a := range applyActions {
		t := applyResourceType[a]
		if byType[t] == nil {
			types = append(types, t)
		}
		byType[t] = append(byType[t], a)
	}
	for _, t := range types {
		// Image Builder resources live in the build region only.
		arns := []string{fmt.Sprintf("arn:%s:imagebuilder:%s:%s:%s/%s", p, region, account, t, name+applyResourceSuffix[t])}
		sims = append(sims, Simulation{Actions: byType[t], Resources: arns})
	}
	if role := img.Spec.Build.InstanceProfile; role != "" {
		sims = append(sims, Simulation{Actions: []string{"iam:PassRole"}, Resources: []string{fmt.Sprintf("arn:%s:iam::%s:role/%s", p, account, role)},
			Context: []iamtypes.ContextEntry{stringEntry("iam:PassedToService", "ec2.amazonaws.com")}})
	}
	if role := executionRoleOf(img); role != "" {
		sims = append(sims, Simulation{Actions: []string{"iam:PassRole"}, Resources: []string{roleARNIn(p, account, role)},
			Context: []iamtypes.ContextEntry{stringEntry("iam:PassedToService", "imagebuilder.amazonaws.com")}})
	}
	if param := img.Spec.Distribution.PublishParameter; param != "" {
		var arns []string
		for _, r := range img.Spec.Distribution.Regions {
			arns = append(arns, fmt.Sprintf("arn:%s:ssm:%s:%s:parameter/%s", p, r, account, strings.TrimPrefix(param, "/")))
		}
		sims = append(sims, Simulation{Actions: []string{"ssm:PutParameter"}, Resources: arns})
	}
	services := []string{"imagebuilder.amazonaws.com"}
	if fl := img.Spec.Distribution.FastLaunch; fl != nil && fl.Enabled {
		services = append(services, fastlaunch.ServiceLinkedRoleService)
	}
	for _, svc := range services {
		sims = append(sims, Simulation{Actions: []string{"iam:CreateServiceLinkedRole"}, Context: []iamtypes.ContextEntry{stringEntry("iam:AWSServiceName", svc)}, Note: svc})
	}
	// fast-launch enable, as the operator (with the spec's launch template, or without one).
	launch := fastlaunch.Launch{Partition: p, Region: region, Account: account, ImageID: "ami-00000000000000000"}
	if fl := img.Spec.Distribution.FastLaunch; fl != nil && fl.LaunchTemplate != nil {
		launch.TemplateID = "lt-00000000000000000"
	}
	sims = append(sims, Simulation{Actions: []string{"ec2:DisableFastLaunch"}, Resources: []string{fmt.Sprintf("arn:%s:ec2:%s::image/%s", p, region, launch.ImageID)}})
	sims = append(sims, fastlaunch.LaunchQuestions(launch)...)
	// build and prune, on what Image Builder made for this spec: the AMI (tagged by Image
	// Builder and the distribution's amiTags) gets the input tags and is deregistered; its
	// snapshots (CreatedBy: EC2 Image Builder) are marked, then deleted.
	tagKeys := func(keys ...string) iamtypes.ContextEntry {
		return iamtypes.ContextEntry{ContextKeyName: aws.String("aws:TagKeys"), ContextKeyType: iamtypes.ContextKeyTypeEnumStringList, ContextKeyValues: keys}
	}
	madeBy := stringEntry("ec2:ResourceTag/CreatedBy", ImageBuilderCreatedBy)
	sims = append(sims,
		Simulation{Actions: []string{"ec2:DeregisterImage", "ec2:CreateTags"}, Resources: []string{fmt.Sprintf("arn:%s:ec2:%s::image/ami-00000000000000000", p, region)},
			Context: []iamtypes.ContextEntry{madeBy, stringEntry("ec2:ResourceTag/"+prune.ManagedByTag, prune.ManagedByValue),
				stringEntry("ec2:ResourceTag/"+prune.NameTag, img.Metadata.Name),
				tagKeys(imagebuilder.InputsHashTag, imagebuilder.ParentImageTag, imagebuilder.ComponentsTag, imagebuilder.ImagesTag,
					imagebuilder.SpecHashTag, imagebuilder.CachedImagesTag, imagebuilder.CachedImagesTag+":1")}},
		Simulation{Actions: []string{"ec2:CreateTags"}, Resources: []string{fmt.Sprintf("arn:%s:ec2:%s::snapshot/snap-00000000000000000", p, region)},
			Context: []iamtypes.ContextEntry{madeBy, tagKeys(prune.PendingTag), stringEntry("aws:RequestTag/"+prune.PendingTag, img.Metadata.Name)}},
		Simulation{Actions: []string{"ec2:DeleteSnapshot"}, Resources: []string{fmt.Sprintf("arn:%s:ec2:%s::snapshot/snap-00000000000000000", p, region)},
			Context: []iamtypes.ContextEntry{madeBy, stringEntry("ec2:ResourceTag/"+prune.PendingTag, img.Metadata.Name)}},
	)
	return sims
}

// roleARNIn is the ARN of a role given by name or ARN.
func roleARNIn(partition, account, nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN
	}
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, nameOrARN)
}

// partitionOfARN is the partition of an ARN (aws when it is not one).
func partitionOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) == 3 && parts[0] == "arn" && parts[1] != "" {
		return parts[1]
	}
	return "aws"
}

// applyResourceSuffix completes "<type>/<name>" into the shape of the ARN winami's calls
// carry: components are named <name>-image-cache (-2, -3 … when split) and, like recipes
// and images, versioned.
var applyResourceSuffix = map[string]string{
	"component":    "-image-cache/1.0.0/1",
	"image-recipe": "/1.0.0",
	"image":        "/1.0.0/1",
}

var applyResourceType = map[string]string{
	"imagebuilder:CreateComponent":                   "component",
	"imagebuilder:CreateImageRecipe":                 "image-recipe",
	"imagebuilder:CreateInfrastructureConfiguration": "infrastructure-configuration",
	"imagebuilder:UpdateInfrastructureConfiguration": "infrastructure-configuration",
	"imagebuilder:CreateDistributionConfiguration":   "distribution-configuration",
	"imagebuilder:UpdateDistributionConfiguration":   "distribution-configuration",
	"imagebuilder:CreateImagePipeline":               "image-pipeline",
	"imagebuilder:UpdateImagePipeline":               "image-pipeline",
	"imagebuilder:StartImagePipelineExecution":       "image-pipeline",
	"imagebuilder:TagResource":                       "image-pipeline",
	"imagebuilder:CancelImageCreation":               "image",
}

func (d *Doctor) permissions(ctx context.Context, img *spec.WindowsImage, callerARN string) (Check, error) {
	region := img.Metadata.Region
	api := d.Clients.IAM(region)
	principal := fastlaunch.PrincipalARN(callerARN)
	account := accountOf(callerARN)
	sims := OperatorSimulations(img, account)
	// apply passes the role the instance profile holds, whose name may differ from the
	// profile's (OperatorSimulations assumes they match, as when winami creates them).
	if name := img.Spec.Build.InstanceProfile; name != "" {
		prof, err := api.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
		if err == nil && len(prof.InstanceProfile.Roles) > 0 && prof.InstanceProfile.Roles[0].Arn != nil {
			for i := range sims {
				if len(sims[i].Actions) == 1 && sims[i].Actions[0] == "iam:PassRole" && passedTo(sims[i]) == "ec2.amazonaws.com" {
					sims[i].Resources = []string{aws.ToString(prof.InstanceProfile.Roles[0].Arn)}
				}
			}
		}
	}
	// fast-launch enable with the spec's launch template: ask about what its version names
	// in the build region (subnet, security groups, the instance profile's role).
	if fl := img.Spec.Distribution.FastLaunch; fl != nil && fl.Enabled && fl.LaunchTemplate != nil {
		tpl, err := fastlaunch.New(d.Clients, region).Template(ctx, templateRef(fl.LaunchTemplate))
		if err != nil {
			return Check{}, err
		}
		if tpl != nil {
			launch := fastlaunch.Launch{Partition: catalog.Partition(region), Region: region, Account: account, ImageID: "ami-00000000000000000",
				TemplateID: tpl.ID, Subnets: tpl.Subnets, SecurityGroups: tpl.SecurityGroups, TemplateTags: tpl.Tags}
			if tpl.InstanceProfile != "" {
				if launch.RoleARN, err = fastlaunch.ProfileRoleARN(ctx, api, tpl.InstanceProfile); err != nil && !awsapi.IsAccessDenied(err) && awsapi.ErrorCode(err) != "NoSuchEntity" {
					return Check{}, err
				}
			}
			var kept []Simulation
			for _, s := range sims {
				if !strings.HasSuffix(s.Note, "for fast-launch enable") && !(len(s.Actions) == 1 && s.Actions[0] == "ec2:EnableFastLaunch") {
					kept = append(kept, s)
				}
			}
			sims = append(kept, fastlaunch.LaunchQuestions(launch)...)
		}
	}
	denied, err := fastlaunch.Ask(ctx, api, principal, sims)
	if err != nil {
		if awsapi.IsAccessDenied(err) {
			return Check{Name: CheckPermissions, Status: Skip,
				Message: fmt.Sprintf("permissions not checked: %s may not call iam:SimulatePrincipalPolicy", principal),
				Fix:     "grant iam:SimulatePrincipalPolicy on yourself to let doctor check, or compare your policy with `winami iam-policy --for operator`"}, nil
		}
		return Check{Name: CheckPermissions, Status: Warn, Message: fmt.Sprintf("permissions not checked: simulating the policy of %s: %v", principal, err)}, nil
	}
	if len(denied) > 0 {
		fix := "attach the policy `winami iam-policy --for operator -f <spec>` prints"
		for _, a := range denied {
			if strings.HasPrefix(a, "iam:PassRole (the launch template's") {
				fix += " (with --launch-template-role for the launch template's instance profile role)"
				break
			}
		}
		return Check{Name: CheckPermissions, Status: Fail,
			Message: fmt.Sprintf("%s may not call %s", principal, strings.Join(denied, ", ")), Fix: fix}, nil
	}
	return Check{Name: CheckPermissions, Status: Pass, Message: fmt.Sprintf("%s may do what apply, build, fast-launch and prune call", principal)}, nil
}

// templateRef is the fastlaunch reference of the spec's launch template ($Default as "").
func templateRef(lt *spec.LaunchTemplateSpec) fastlaunch.TemplateRef {
	ref := fastlaunch.TemplateRef{ID: lt.ID, Name: lt.Name}
	if lt.Version != "" && lt.Version != "$Default" {
		ref.Version = lt.Version
	}
	return ref
}

// passedTo is the iam:PassedToService of a simulation ("" when none).
func passedTo(s Simulation) string {
	for _, e := range s.Context {
		if aws.ToString(e.ContextKeyName) == "iam:PassedToService" && len(e.ContextKeyValues) > 0 {
			return e.ContextKeyValues[0]
		}
	}
	return ""
}

func stringEntry(key, value string) iamtypes.ContextEntry { return fastlaunch.StringEntry(key, value) }

func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		return parts[4]
	}
	return "*"
}

// roleChecksSkipped are the rows of the checks on the instance profile's role, as skip
// with the reason, when the profile check found no role to check: every check the spec
// calls for is always listed.
func roleChecksSkipped(img *spec.WindowsImage, why string) []Check {
	fix := "fix the instance-profile check first, then run doctor again"
	out := []Check{{Name: CheckRolePolicy, Status: Skip, Fix: fix,
		Message: fmt.Sprintf("%s and %s not checked: %s", ImageBuilderInstancePolicy, SSMInstancePolicy, why)}}
	if repos := ScopeOf(img).ECRRepositories; len(repos) > 0 && img.Spec.Cache.IsEnabled() {
		out = append(out, Check{Name: CheckECRRead, Status: Skip, Fix: fix,
			Message: fmt.Sprintf("ECR read of %s not checked: %s", strings.Join(repos, ", "), why)})
	}
	return out
}

func (d *Doctor) instanceProfile(ctx context.Context, img *spec.WindowsImage) ([]Check, error) {
	name := img.Spec.Build.InstanceProfile
	api := d.Clients.IAM(img.Metadata.Region)
	out, err := api.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if err != nil {
		if awsapi.ErrorCode(err) == "NoSuchEntity" && d.Options.CreatesInstanceProfile {
			return append([]Check{{Name: CheckInstanceProfile, Status: Pass, Message: fmt.Sprintf("instance profile %s does not exist yet: apply creates it and its role", name)}},
				roleChecksSkipped(img, fmt.Sprintf("instance profile %s does not exist yet", name))...), nil
		}
		if awsapi.ErrorCode(err) == "NoSuchEntity" {
			return append([]Check{{Name: CheckInstanceProfile, Status: Fail, Message: fmt.Sprintf("instance profile %s does not exist", name),
				Fix: fmt.Sprintf("create it with a role that has %s and %s (`winami apply --create-roles` or --create-instance-profile does; winami render writes it in cloudformation.yaml; `winami iam-policy --for instance` prints the policies), or set spec.build.instanceProfile", ImageBuilderInstancePolicy, SSMInstancePolicy)}},
				roleChecksSkipped(img, fmt.Sprintf("instance profile %s does not exist", name))...), nil
		}
		if awsapi.IsAccessDenied(err) {
			return append([]Check{{Name: CheckInstanceProfile, Status: Skip, Message: fmt.Sprintf("instance profile %s not checked: %v", name, err), Fix: "allow iam:GetInstanceProfile"}},
				roleChecksSkipped(img, fmt.Sprintf("instance profile %s could not be read", name))...), nil
		}
		return nil, fmt.Errorf("reading instance profile %s: %w", name, err)
	}
	roles := out.InstanceProfile.Roles
	if len(roles) == 0 {
		return append([]Check{{Name: CheckInstanceProfile, Status: Fail, Message: fmt.Sprintf("instance profile %s has no role", name),
			Fix: fmt.Sprintf("aws iam add-role-to-instance-profile --instance-profile-name %s --role-name <role>", name)}},
			roleChecksSkipped(img, fmt.Sprintf("instance profile %s has no role", name))...), nil
	}
	role := aws.ToString(roles[0].RoleName)
	roleARN := aws.ToString(roles[0].Arn)
	checks := []Check{{Name: CheckInstanceProfile, Status: Pass, Message: fmt.Sprintf("instance profile %s exists with role %s", name, role)}}

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
		checks = append(checks, Check{Name: CheckRolePolicy, Status: Fail,
			Message: fmt.Sprintf("role %s lacks %s%s", role, strings.Join(missing, " and "), why), Fix: strings.Join(fixes, "; ")})
	} else {
		checks = append(checks, Check{Name: CheckRolePolicy, Status: Pass, Message: fmt.Sprintf("role %s has %s and %s", role, ImageBuilderInstancePolicy, SSMInstancePolicy)})
	}

	repos := ScopeOf(img).ECRRepositories
	if len(repos) > 0 && img.Spec.Cache.IsEnabled() {
		checks = append(checks, d.ecrRead(ctx, api, role, roleARN, repos))
	}
	return checks, nil
}

func (d *Doctor) ecrRead(ctx context.Context, api awsapi.IAM, role, roleARN string, repos []string) Check {
	denied, err := simulate(ctx, api, roleARN, []string{"ecr:GetAuthorizationToken"}, nil, nil)
	if err == nil {
		var more []string
		more, err = simulate(ctx, api, roleARN, ECRPullActions, repos, nil)
		denied = append(denied, more...)
	}
	switch {
	case err != nil && awsapi.IsAccessDenied(err):
		return Check{Name: CheckECRRead, Status: Skip, Message: fmt.Sprintf("ECR read of role %s not checked: simulation denied", role),
			Fix: "allow iam:SimulatePrincipalPolicy on the role, or compare it with `winami iam-policy --for instance`"}
	case err != nil:
		return Check{Name: CheckECRRead, Status: Warn, Message: fmt.Sprintf("ECR read of role %s not checked: %v", role, err)}
	case len(denied) > 0:
		return Check{Name: CheckECRRead, Status: Fail,
			Message: fmt.Sprintf("role %s may not call %s on %s: the cached images cannot be pulled", role, strings.Join(denied, ", "), strings.Join(repos, ", ")),
			Fix:     fmt.Sprintf("attach %s or the inline policy `winami iam-policy --for instance -f <spec>` prints", ManagedPolicyARN(partitionOfARN(roleARN), ECRReadOnlyPolicy))}
	}
	return Check{Name: CheckECRRead, Status: Pass, Message: fmt.Sprintf("role %s may pull from %s", role, strings.Join(repos, ", "))}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (d *Doctor) network(ctx context.Context, img *spec.WindowsImage) (Check, error) {
	region := img.Metadata.Region
	b := img.Spec.Build
	api := d.Clients.EC2(region)
	if b.SubnetID == "" {
		out, err := api.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
		if err != nil {
			return Check{}, fmt.Errorf("looking for the default VPC in %s: %w", region, err)
		}
		if len(out.Vpcs) == 0 {
			return Check{Name: CheckNetwork, Status: Fail, Message: fmt.Sprintf("no subnet in the spec and %s has no default VPC", region),
				Fix: "set spec.build.subnetId and securityGroupIds (a subnet with a route to SSM, S3 and your registries)"}, nil
		}
		vpc := aws.ToString(out.Vpcs[0].VpcId)
		// Image Builder launches into a default subnet of the default VPC: one must be left.
		subs, err := api.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{vpc}}, {Name: aws.String("default-for-az"), Values: []string{"true"}}}})
		if err != nil {
			return unchecked(region, err)
		}
		if len(subs.Subnets) == 0 {
			return Check{Name: CheckNetwork, Status: Fail, Message: fmt.Sprintf("no subnet in the spec and the default VPC %s of %s has no default subnet", vpc, region),
				Fix: "set spec.build.subnetId and securityGroupIds, or create default subnets (aws ec2 create-default-subnet --availability-zone <zone>)"}, nil
		}
		return Check{Name: CheckNetwork, Status: Pass, Message: fmt.Sprintf("builds run in the default VPC %s of %s", vpc, region)}, nil
	}
	var problems []string
	sub, err := api.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("subnet-id"), Values: []string{b.SubnetID}}}})
	if err != nil {
		return unchecked(region, err)
	}
	vpc := ""
	if len(sub.Subnets) == 0 {
		problems = append(problems, fmt.Sprintf("subnet %s does not exist in %s", b.SubnetID, region))
	} else {
		vpc = aws.ToString(sub.Subnets[0].VpcId)
	}
	if len(b.SecurityGroupIDs) > 0 {
		sg, err := api.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: b.SecurityGroupIDs}}})
		if err != nil {
			return unchecked(region, err)
		}
		found := map[string]string{}
		for _, g := range sg.SecurityGroups {
			found[aws.ToString(g.GroupId)] = aws.ToString(g.VpcId)
		}
		for _, id := range b.SecurityGroupIDs {
			switch v, ok := found[id]; {
			case !ok:
				problems = append(problems, fmt.Sprintf("security group %s does not exist in %s", id, region))
			case vpc != "" && v != vpc:
				problems = append(problems, fmt.Sprintf("security group %s is in %s, not in the subnet's VPC %s", id, v, vpc))
			}
		}
	}
	if len(problems) > 0 {
		return Check{Name: CheckNetwork, Status: Fail, Message: strings.Join(problems, "; "),
			Fix: fmt.Sprintf("set spec.build.subnetId to a subnet of %s and securityGroupIds to groups of its VPC (`aws ec2 describe-subnets --region %s` and `describe-security-groups` list them)", region, region)}, nil
	}
	return Check{Name: CheckNetwork, Status: Pass, Message: fmt.Sprintf("subnet %s and %d security groups exist in %s", b.SubnetID, len(b.SecurityGroupIDs), region)}, nil
}

func unchecked(region string, err error) (Check, error) {
	if awsapi.IsAccessDenied(err) || awsapi.ErrorCode(err) == "InvalidAction" {
		return Check{Name: CheckNetwork, Status: Warn, Message: fmt.Sprintf("subnet and security groups not checked in %s: %v", region, err)}, nil
	}
	return Check{}, fmt.Errorf("describing the build network in %s: %w", region, err)
}

func (d *Doctor) parent(ctx context.Context, img *spec.WindowsImage) (Check, error) {
	res, err := render.Render(img, render.Options{})
	if err != nil {
		return Check{}, fmt.Errorf("rendering the spec: %w", err)
	}
	p, err := imagebuilder.ResolveParent(ctx, d.Clients, img.Metadata.Region, res.ParentImage)
	var pe *imagebuilder.PreflightError
	if errors.As(err, &pe) {
		return Check{Name: CheckParentImage, Status: Fail, Message: strings.Join(pe.Problems, "; "),
			Fix: "check spec.parent (and spec.kubernetesVersion: `winami resolve` lists what exists)"}, nil
	}
	if err != nil {
		return Check{}, err
	}
	msg := fmt.Sprintf("parent %s is %s (%s) in %s", res.ParentImage, p.ImageID, p.Name, img.Metadata.Region)
	if rel := img.Spec.Parent.ReleaseDate; rel != "" && img.Spec.Parent.ImageID == "" {
		return d.pinnedRelease(ctx, img, rel)
	}
	if pin := img.Spec.Parent.OSBuild; pin != "" {
		return Check{Name: CheckParentImage, Status: Warn, Message: msg + "; the OS build pin " + pin + " is resolved by apply"}, nil
	}
	return Check{Name: CheckParentImage, Status: Pass, Message: msg}, nil
}

// pinnedRelease finds the Amazon AMI of a pinned release date by its name.
func (d *Doctor) pinnedRelease(ctx context.Context, img *spec.WindowsImage, rel string) (Check, error) {
	region := img.Metadata.Region
	s := img.Spec
	k8s, date, err := catalog.ParseRelease(rel)
	if err != nil {
		return Check{Name: CheckParentImage, Status: Fail, Message: err.Error(), Fix: "write spec.parent.releaseDate as 2026.10.15 or 1.31-2026.10.15"}, nil
	}
	if k8s == "" {
		k8s = s.KubernetesVersion
	}
	ed := catalog.Edition(s.Windows.Edition)
	name := catalog.EKSOptimizedAMIName(s.Windows.Version, ed, k8s, date.Format("2006.01.02"))
	if s.Parent.Source == spec.SourceWindowsBase {
		name = catalog.BaseAMIName(s.Windows.Version, ed, date.Format("2006.01.02"))
	}
	out, err := d.Clients.EC2(region).DescribeImages(ctx, &ec2.DescribeImagesInput{
		Owners:  []string{catalog.OwnerFor(region)},
		Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{name}}},
	})
	if err != nil {
		return Check{}, fmt.Errorf("looking up the pinned parent %s in %s: %w", name, region, err)
	}
	if len(out.Images) == 0 {
		return Check{Name: CheckParentImage, Status: Fail,
			Message: fmt.Sprintf("the pinned parent release %s (%s) is not available in %s", rel, name, region),
			Fix:     "public EKS Windows AMIs turn private after about 4 months: pin a newer release (`winami resolve --details --history` lists them) or build on an AMI you own (spec.parent.imageId)"}, nil
	}
	return Check{Name: CheckParentImage, Status: Pass, Message: fmt.Sprintf("pinned parent %s is %s in %s", name, aws.ToString(out.Images[0].ImageId), region)}, nil
}

func (d *Doctor) fastLaunch(ctx context.Context, img *spec.WindowsImage, account string) ([]Check, error) {
	fl := img.Spec.Distribution.FastLaunch
	if fl == nil || !fl.Enabled {
		return []Check{{Name: CheckFastLaunch, Status: Pass, Message: "Fast Launch not enabled in the spec"}}, nil
	}
	s := fastlaunch.Settings{TargetSnapshots: int32(fl.TargetSnapshots), MaxParallelLaunches: int32(fl.MaxParallelLaunches)}
	if lt := fl.LaunchTemplate; lt != nil {
		ref := fastlaunch.TemplateRef{ID: lt.ID, Name: lt.Name}
		if lt.Version != "" && lt.Version != "$Default" {
			ref.Version = lt.Version
		}
		s.LaunchTemplate = ref.String()
	}
	regions := append([]string(nil), img.Spec.Distribution.Regions...)
	sort.Strings(regions)
	var out []Check
	for _, r := range regions {
		checks, err := fastlaunch.New(d.Clients, r).CheckSettings(ctx, s)
		if err != nil {
			return nil, err
		}
		var bad, fixes, quota []string
		networkFailed := false
		for _, c := range checks {
			switch {
			case c.Status == Fail && c.Name == fastlaunch.CheckVCPUQuota:
				bad = append(bad, c.Message)
				fixes = append(fixes, "vCPU quota: "+c.Fix+", or lower spec.distribution.fastLaunch.maxParallelLaunches")
			case c.Status == Fail:
				bad = append(bad, c.Message)
				networkFailed = true
			case c.Name == fastlaunch.CheckVCPUQuota && c.Status == Pass:
				quota = append(quota, c.Message)
			case c.Status == Warn || c.Status == Skip:
				// Shown on their own line: not a failure, but the reader should know.
				out = append(out, Check{Name: CheckFastLaunch, Status: c.Status, Message: r + ": " + c.Message, Fix: c.Fix})
			}
		}
		if networkFailed {
			fixes = append([]string{fmt.Sprintf("create the launch template in %s (they are regional) or change spec.distribution.fastLaunch; without a launch template %s needs a default VPC", r, r)}, fixes...)
		}
		if len(bad) > 0 {
			out = append(out, Check{Name: CheckFastLaunch, Status: Fail, Message: r + ": " + strings.Join(bad, "; "), Fix: strings.Join(fixes, "; ")})
		} else {
			msg := fmt.Sprintf("%s: Fast Launch prerequisites met", r)
			if len(quota) > 0 {
				msg += "; " + strings.Join(quota, "; ")
			}
			out = append(out, Check{Name: CheckFastLaunch, Status: Pass, Message: msg})
		}
	}
	for _, r := range regions {
		c, err := d.fastLaunchRights(ctx, img, r, account)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
