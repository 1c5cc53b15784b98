package preflight

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/check"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/prune"
	"github.com/winami/winami/spec"
)

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
	sims = append(sims, keysLogsAccountsSimulations(img, account)...)
	return sims
}

// keysLogsAccountsSimulations are the questions for what the spec's keys, log bucket and target
// accounts make the operator call (OperatorPolicy's DoctorReads, FastLaunchKeys and
// PublishInTargetAccounts).
func keysLogsAccountsSimulations(img *spec.WindowsImage, account string) []Simulation {
	sc := ScopeOf(img)
	p := sc.partition()
	var sims []Simulation
	var keys []string
	for _, k := range sc.KMSKeys {
		keys = append(keys, simulatedKeyARN(k, p, img.Metadata.Region, account))
	}
	if len(keys) > 0 {
		sims = append(sims, Simulation{Actions: []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants"}, Resources: keys})
	}
	if sc.LogBucket != "" {
		sims = append(sims, Simulation{Actions: []string{"s3:GetBucketLocation"}, Resources: []string{"arn:" + p + ":s3:::" + sc.LogBucket}})
	}
	if sc.FastLaunch {
		for _, k := range keys {
			sims = append(sims, Simulation{Actions: []string{"kms:CreateGrant"}, Resources: []string{k},
				Context: []iamtypes.ContextEntry{
					{ContextKeyName: aws.String("kms:GrantIsForAWSResource"), ContextKeyType: iamtypes.ContextKeyTypeEnumBoolean, ContextKeyValues: []string{"true"}},
					stringEntry("kms:ViaService", "ec2."+arnRegionOr(k, img.Metadata.Region)+".amazonaws.com")}})
		}
	}
	if sc.PublishAfterScan && sc.PublishParameter != "" {
		for _, a := range sc.TargetAccounts {
			sims = append(sims, Simulation{Actions: []string{"sts:AssumeRole"}, Resources: []string{awsapi.RoleARN(p, a, spec.CrossAccountRoleName)}})
		}
	}
	return sims
}

// simulatedKeyARN is the key ARN a simulation names for a spec key: the key ARN, or for
// an alias ARN a key of the alias's account and region (the key it names is read only
// online).
func simulatedKeyARN(k, partition, region, account string) string {
	parts := strings.SplitN(k, ":", 6)
	if len(parts) == 6 && strings.HasPrefix(parts[5], "key/") {
		return k
	}
	if len(parts) == 6 {
		region, account = parts[3], parts[4]
	}
	return "arn:" + partition + ":kms:" + region + ":" + account + ":key/00000000-0000-0000-0000-000000000000"
}

func arnRegionOr(arn, region string) string {
	if r := arnRegion(arn); r != "" {
		return r
	}
	return region
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

func (d *Doctor) permissions(ctx context.Context, img *spec.WindowsImage, callerARN string) (check.Check, error) {
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
			return check.Check{}, err
		}
		if tpl != nil {
			launch := fastlaunch.Launch{Partition: catalog.Partition(region), Region: region, Account: account, ImageID: "ami-00000000000000000",
				TemplateID: tpl.ID, Subnets: tpl.Subnets, SecurityGroups: tpl.SecurityGroups, TemplateTags: tpl.Tags}
			if tpl.InstanceProfile != "" {
				if launch.RoleARN, err = fastlaunch.ProfileRoleARN(ctx, api, tpl.InstanceProfile); err != nil && !awsapi.IsAccessDenied(err) && awsapi.ErrorCode(err) != "NoSuchEntity" {
					return check.Check{}, err
				}
			}
			var kept []Simulation
			for _, s := range sims {
				if !strings.HasSuffix(s.Note, "for fast-launch enable") && (len(s.Actions) != 1 || s.Actions[0] != "ec2:EnableFastLaunch") {
					kept = append(kept, s)
				}
			}
			sims = append(kept, fastlaunch.LaunchQuestions(launch)...)
		}
	}
	denied, err := fastlaunch.Ask(ctx, api, principal, sims)
	if err != nil {
		if awsapi.IsAccessDenied(err) {
			return check.Check{Name: CheckPermissions, Status: check.Skip,
				Message: fmt.Sprintf("permissions not checked: %s may not call iam:SimulatePrincipalPolicy", principal),
				Fix:     "grant iam:SimulatePrincipalPolicy on yourself to let doctor check, or compare your policy with `winami iam-policy --for operator`"}, nil
		}
		return check.Check{Name: CheckPermissions, Status: check.Warn, Message: fmt.Sprintf("permissions not checked: simulating the policy of %s: %v", principal, err)}, nil
	}
	if len(denied) > 0 {
		fix := "attach the policy `winami iam-policy --for operator -f <spec>` prints"
		for _, a := range denied {
			if strings.HasPrefix(a, "iam:PassRole (the launch template's") {
				fix += " (with --launch-template-role for the launch template's instance profile role)"
				break
			}
		}
		return check.Check{Name: CheckPermissions, Status: check.Fail,
			Message: fmt.Sprintf("%s may not call %s", principal, strings.Join(denied, ", ")), Fix: fix}, nil
	}
	return check.Check{Name: CheckPermissions, Status: check.Pass, Message: fmt.Sprintf("%s may do what apply, build, fast-launch and prune call", principal)}, nil
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
