package preflight

import (
	"fmt"
	"sort"
	"strings"

	"github.com/winami/winami/catalog"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/prune"
	"github.com/winami/winami/spec"
)

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Document.
type Statement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// Managed policies the build instance's role needs.
const (
	ImageBuilderInstancePolicy = "EC2InstanceProfileForImageBuilder"
	SSMInstancePolicy          = "AmazonSSMManagedInstanceCore"
	ECRReadOnlyPolicy          = "AmazonEC2ContainerRegistryReadOnly"
)

// ManagedPolicyARN is the ARN of an AWS-managed policy in an ARN partition (aws,
// aws-cn, aws-us-gov: catalog.Partition of a region); "" means aws. AWS managed policies
// live in the account "aws" of each partition: arn:aws-us-gov:iam::aws:policy/… in
// GovCloud, arn:aws-cn:iam::aws:policy/… in China
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
func ManagedPolicyARN(partition, name string) string {
	return "arn:" + orDefault(partition, "aws") + ":iam::aws:policy/" + name
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Scope narrows the policies to one spec's resources; the zero Scope gives policies
// that fit any spec (wildcards where a spec would name the resource).
type Scope struct {
	// Name is the spec's metadata.name (Image Builder resources are prefixed with it).
	Name string
	// Partition is the ARN partition of the spec's region (aws, aws-cn, aws-us-gov);
	// "" means aws.
	Partition string
	// InstanceProfile is the build instance profile (its role is passed to Image Builder).
	InstanceProfile string
	// PassRoles are more roles (names or ARNs) the operator passes to EC2: the role of the
	// instance profile a Fast Launch launch template names, when it is not the build's.
	PassRoles []string
	// ExecutionRole is the Image Builder execution role (name or ARN) the pipeline names;
	// "" with a spec means none. The zero Scope allows the default name
	// (<name>-imagebuilder-execution) of any spec.
	ExecutionRole string
	// PublishParameter is the SSM parameter the build publishes.
	PublishParameter string
	// ECRRepositories are ARNs of the ECR repositories cached images come from.
	ECRRepositories []string
	// LaunchTemplate tells whether the spec's Fast Launch names a launch template.
	LaunchTemplate bool

	fromSpec bool
}

// ScopeOf is the Scope of a loaded spec.
func ScopeOf(img *spec.WindowsImage) Scope {
	s := Scope{Name: img.Metadata.Name, Partition: catalog.Partition(img.Metadata.Region), InstanceProfile: img.Spec.Build.InstanceProfile,
		ExecutionRole: executionRoleOf(img), PublishParameter: img.Spec.Distribution.PublishParameter, fromSpec: true}
	if fl := img.Spec.Distribution.FastLaunch; fl != nil && fl.Enabled && fl.LaunchTemplate != nil {
		s.LaunchTemplate = true
	}
	for _, ref := range img.Spec.Cache.Images {
		if arn, ok := ECRRepositoryARN(ref); ok {
			s.ECRRepositories = append(s.ECRRepositories, arn)
		}
	}
	sort.Strings(s.ECRRepositories)
	return s
}

func (sc Scope) partition() string { return orDefault(sc.Partition, "aws") }

// roleARN is the ARN of a role given by name or ARN, in any account of the partition.
func (sc Scope) roleARN(nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN
	}
	return "arn:" + sc.partition() + ":iam::*:role/" + nameOrARN
}

// ECRRepositoryARN returns the repository ARN of an ECR image reference
// (111122223333.dkr.ecr.us-east-1.amazonaws.com/team/app:1.0).
func ECRRepositoryARN(ref string) (string, bool) {
	host, path, ok := strings.Cut(ref, "/")
	if !ok {
		return "", false
	}
	parts := strings.Split(host, ".")
	// <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]
	if len(parts) < 6 || parts[1] != "dkr" || !strings.HasPrefix(parts[2], "ecr") || parts[4] != "amazonaws" {
		return "", false
	}
	repo := path
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i >= 0 {
		repo = repo[:i]
	}
	partition := "aws"
	if parts[len(parts)-1] == "cn" {
		partition = "aws-cn"
	} else if strings.HasPrefix(parts[3], "us-gov-") {
		partition = "aws-us-gov"
	}
	return fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", partition, parts[3], parts[0], repo), true
}

// Action groups of the operator: what each winami command calls.
var (
	readActions = []string{
		"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory",
		"ec2:DescribeImages", "ec2:DescribeRegions", "ec2:DescribeSnapshots", "ec2:DescribeInstances",
		"ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions", "ec2:DescribeVpcs",
		"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeFastLaunchImages",
		"ec2:DescribeInstanceTypes", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeVolumes", "ec2:DescribeAvailabilityZones",
		"ec2:DescribeAccountAttributes", "ec2:DescribeTags", "servicequotas:GetServiceQuota", "servicequotas:GetAWSDefaultServiceQuota",
		"autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeLaunchConfigurations",
		"eks:DescribeCluster", "eks:DescribeClusterVersions",
		"ecr:GetAuthorizationToken", "ecr:DescribeImages", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
		"iam:GetInstanceProfile", "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:SimulatePrincipalPolicy",
		"imagebuilder:GetComponent", "imagebuilder:ListComponents", "imagebuilder:ListComponentBuildVersions",
		"imagebuilder:GetImageRecipe", "imagebuilder:ListImageRecipes",
		"imagebuilder:GetInfrastructureConfiguration", "imagebuilder:ListInfrastructureConfigurations",
		"imagebuilder:GetDistributionConfiguration", "imagebuilder:ListDistributionConfigurations",
		"imagebuilder:GetImagePipeline", "imagebuilder:ListImagePipelines",
		"imagebuilder:GetImage", "imagebuilder:ListImagePipelineImages",
	}
	applyActions = []string{
		"imagebuilder:CreateComponent", "imagebuilder:CreateImageRecipe",
		"imagebuilder:CreateInfrastructureConfiguration", "imagebuilder:UpdateInfrastructureConfiguration",
		"imagebuilder:CreateDistributionConfiguration", "imagebuilder:UpdateDistributionConfiguration",
		"imagebuilder:CreateImagePipeline", "imagebuilder:UpdateImagePipeline",
		"imagebuilder:StartImagePipelineExecution", "imagebuilder:CancelImageCreation", "imagebuilder:TagResource",
	}
	fastLaunchActions = []string{"ec2:EnableFastLaunch", "ec2:DisableFastLaunch"}
	pruneActions      = []string{"ec2:DeregisterImage", "ec2:DeleteSnapshot", "ec2:CreateTags"}
)

// OperatorActions lists every action the operator's role needs for apply, build,
// fast-launch, prune and doctor, apart from iam:PassRole, ssm:PutParameter and
// iam:CreateServiceLinkedRole (which OperatorPolicy scopes to their resources).
func OperatorActions() []string {
	var out []string
	for _, g := range [][]string{readActions, applyActions, fastLaunchActions, pruneActions} {
		out = append(out, g...)
	}
	sort.Strings(out)
	return out
}

// ServiceLinkedRoles are the services whose service-linked roles winami's calls create
// on first use.
var ServiceLinkedRoles = []string{"imagebuilder.amazonaws.com", fastlaunch.ServiceLinkedRoleService}

func orStar(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

// FastLaunchCreatedBy is the tag value EC2 Fast Launch puts (aws:RequestTag/CreatedBy) on
// the instances and volumes it launches to make the pre-provisioned snapshots.
const FastLaunchCreatedBy = fastlaunch.CreatedBy

// OperatorPolicy is the least-privilege policy of whoever runs winami. Each statement
// says, in the comment next to it, which winami call needs it and where the rule is
// written; every ARN is in the scope's partition.
func OperatorPolicy(sc Scope) Document {
	p := sc.partition()
	ib := "arn:" + p + ":imagebuilder:*:*:*/" + strings.ToLower(orStar(sc.Name))
	if sc.Name != "" {
		ib += "*"
	}
	param := "arn:" + p + ":ssm:*:*:parameter/winami/*"
	if sc.PublishParameter != "" {
		param = "arn:" + p + ":ssm:*:*:parameter/" + strings.TrimPrefix(sc.PublishParameter, "/")
	}
	var readNoIB, ibRead []string
	for _, a := range readActions {
		if strings.HasPrefix(a, "imagebuilder:") {
			ibRead = append(ibRead, a)
		} else {
			readNoIB = append(readNoIB, a)
		}
	}
	ec2 := func(kind string) string { return "arn:" + p + ":ec2:*:*:" + kind + "/*" }
	image := "arn:" + p + ":ec2:*::image/*"
	snapshot := "arn:" + p + ":ec2:*::snapshot/*"
	eq := func(k string, v any) map[string]map[string]any {
		return map[string]map[string]any{"StringEquals": {k: v}}
	}

	// Roles passed to EC2: the build instance profile's (Image Builder's infrastructure
	// configuration names it) and, for Fast Launch, the one of the launch template's
	// instance profile.
	instanceRoles := []string{sc.roleARN(orStar(sc.InstanceProfile))}
	for _, r := range sc.PassRoles {
		instanceRoles = append(instanceRoles, sc.roleARN(r))
	}

	st := []Statement{
		// Every read winami makes (resolve, plan, doctor, status, audit, prune): the
		// Describe/Get/List actions take no resource-level permissions worth scoping.
		{Sid: "Read", Effect: "Allow", Action: readNoIB, Resource: []string{"*"}},
		{Sid: "ImageBuilderRead", Effect: "Allow", Action: ibRead, Resource: []string{"*"}},
		// apply and build: changes only to the Image Builder resources named after the
		// spec, and recipes may name Amazon's managed components.
		{Sid: "ImageBuilderApply", Effect: "Allow", Action: applyActions, Resource: []string{ib, "arn:" + p + ":imagebuilder:*:aws:component/*"}},
		// apply: the infrastructure configuration names the build instance profile, whose
		// role the caller must be allowed to pass to EC2.
		{Sid: "PassInstanceRole", Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: instanceRoles,
			Condition: eq("iam:PassedToService", "ec2.amazonaws.com")},
	}
	// apply: a pipeline with an executionRole makes Image Builder assume that role; the
	// caller passes it to imagebuilder.amazonaws.com only
	// (https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html,
	// "Prerequisites for SSM output parameters": the execution role).
	if role := sc.ExecutionRole; role != "" || !sc.fromSpec {
		if role == "" {
			role = "*" + ExecutionRoleSuffix
		}
		st = append(st, Statement{Sid: "PassExecutionRole", Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: []string{sc.roleARN(role)},
			Condition: eq("iam:PassedToService", "imagebuilder.amazonaws.com")})
	}
	st = append(st,
		// First use of Image Builder and Fast Launch creates their service-linked roles.
		Statement{Sid: "ServiceLinkedRoles", Effect: "Allow", Action: []string{"iam:CreateServiceLinkedRole"}, Resource: []string{"*"},
			Condition: eq("iam:AWSServiceName", ServiceLinkedRoles)},
		// build: writes the published parameter when Image Builder did not.
		Statement{Sid: "PublishParameter", Effect: "Allow", Action: []string{"ssm:PutParameter"}, Resource: []string{param}},
		// fast-launch enable/disable: as the AWS managed policy EC2FastLaunchFullAccess
		// (v4, statement EC2FastLaunch) grants them, on any resource
		// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/EC2FastLaunchFullAccess.html).
		Statement{Sid: "FastLaunch", Effect: "Allow", Action: fastLaunchActions, Resource: []string{"*"}},
		// fast-launch enable: EC2 checks that the caller may launch instances from the AMI
		// with the launch template it names (EC2 user guide, "EC2 Fast Launch prerequisites",
		// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/win-start-fast-launch-prereqs.html).
		// The resource types are those of EC2FastLaunchFullAccess's statement
		// EC2LaunchInstance, without license configurations (winami's AMIs carry none).
		Statement{Sid: "FastLaunchRunInstances", Effect: "Allow", Action: []string{"ec2:RunInstances"},
			Resource: []string{image, ec2("launch-template"), ec2("subnet"), ec2("security-group"), ec2("network-interface"), ec2("key-pair")}},
		// ... and the instances and volumes those launches create, only when tagged as
		// Fast Launch's (statement EC2LaunchInstanceWithVolAndInstance).
		Statement{Sid: "FastLaunchInstances", Effect: "Allow", Action: []string{"ec2:RunInstances"},
			Resource:  []string{ec2("instance"), ec2("volume")},
			Condition: eq("aws:RequestTag/CreatedBy", FastLaunchCreatedBy)},
		// ... and the tags those launches apply, only as part of RunInstances
		// (statement EC2Tags: ec2:CreateAction = RunInstances).
		Statement{Sid: "FastLaunchTagOnLaunch", Effect: "Allow", Action: []string{"ec2:CreateTags"},
			Resource:  []string{ec2("instance"), ec2("volume"), ec2("snapshot")},
			Condition: eq("ec2:CreateAction", "RunInstances")},
	)
	if !sc.LaunchTemplate {
		// fast-launch enable without a launch template: EC2 Fast Launch creates, through
		// CloudFormation, a VPC, subnets, a security group and a launch template, and the
		// caller must hold EC2FastLaunchFullAccess's rights for it (EC2 user guide, "EC2 Fast
		// Launch prerequisites"). These are its statements, each only through
		// ec2fastlaunch.amazonaws.com (aws:CalledVia) and on what Fast Launch tags.
		calledVia := map[string]any{"aws:CalledVia": fastlaunch.ServiceLinkedRoleService}
		created := func(key string) map[string]map[string]any {
			return map[string]map[string]any{"StringEquals": {key: FastLaunchCreatedBy}, "ForAnyValue:StringLike": calledVia}
		}
		st = append(st,
			Statement{Sid: "FastLaunchCreateNetwork", Effect: "Allow",
				Action:   []string{"ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateSecurityGroup", "ec2:CreateLaunchTemplate", "ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate", "ec2:CreateTags"},
				Resource: []string{ec2("vpc"), ec2("subnet"), ec2("security-group"), ec2("launch-template")}, Condition: created("aws:RequestTag/CreatedBy")},
			Statement{Sid: "FastLaunchManageNetwork", Effect: "Allow",
				Action:   []string{"ec2:CreateSubnet", "ec2:CreateSecurityGroup", "ec2:ModifyVpcAttribute", "ec2:DeleteVpc", "ec2:DeleteSubnet", "ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress"},
				Resource: []string{ec2("vpc"), ec2("subnet"), ec2("security-group")}, Condition: created("ec2:ResourceTag/CreatedBy")},
			Statement{Sid: "FastLaunchStack", Effect: "Allow",
				Action: []string{"cloudformation:DescribeStacks", "cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:RollbackStack",
					"cloudformation:DeleteStack", "cloudformation:UpdateTerminationProtection", "cloudformation:DescribeStackEvents",
					"cloudformation:DescribeStackResource", "cloudformation:DescribeStackResources"},
				Resource:  []string{"arn:" + p + ":cloudformation:*:*:stack/EC2FastLaunch*/*"},
				Condition: map[string]map[string]any{"ForAnyValue:StringLike": calledVia}},
		)
	}
	st = append(st,
		// prune: deregisters only the AMIs winami built (tagged by the build).
		Statement{Sid: "PruneImages", Effect: "Allow", Action: []string{"ec2:DeregisterImage"}, Resource: []string{image},
			Condition: eq("ec2:ResourceTag/"+prune.ManagedByTag, prune.ManagedByValue)},
		// prune: marks the snapshots of a deregistered AMI (only with its own tag key).
		Statement{Sid: "MarkSnapshots", Effect: "Allow", Action: []string{"ec2:CreateTags"}, Resource: []string{snapshot},
			Condition: map[string]map[string]any{"ForAllValues:StringEquals": {"aws:TagKeys": []string{prune.PendingTag}}}},
		// build: tags the AMIs with the build's inputs.
		Statement{Sid: "TagImages", Effect: "Allow", Action: []string{"ec2:CreateTags"}, Resource: []string{image}},
		// prune: deletes only the snapshots it marked.
		Statement{Sid: "PruneSnapshots", Effect: "Allow", Action: []string{"ec2:DeleteSnapshot"}, Resource: []string{snapshot},
			Condition: map[string]map[string]any{"Null": {"ec2:ResourceTag/" + prune.PendingTag: "false"}}},
	)
	return Document{Version: "2012-10-17", Statement: st}
}

// InstancePolicy is what the build instance's role needs: the managed policies to attach
// and, when cached images come from ECR, an inline policy to read those repositories.
func InstancePolicy(sc Scope) (managed []string, inline Document) {
	managed = []string{ManagedPolicyARN(sc.Partition, ImageBuilderInstancePolicy), ManagedPolicyARN(sc.Partition, SSMInstancePolicy)}
	repos := sc.ECRRepositories
	if len(repos) == 0 {
		repos = []string{"arn:" + sc.partition() + ":ecr:*:*:repository/*"}
	}
	inline = Document{Version: "2012-10-17", Statement: []Statement{
		{Sid: "ECRToken", Effect: "Allow", Action: []string{"ecr:GetAuthorizationToken"}, Resource: []string{"*"}},
		{Sid: "ECRPull", Effect: "Allow", Action: ECRPullActions, Resource: repos},
	}}
	return managed, inline
}

// ECRPullActions are what pulling from an ECR repository needs.
var ECRPullActions = []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}
