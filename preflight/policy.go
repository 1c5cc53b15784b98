package preflight

import (
	"fmt"
	"sort"
	"strings"

	"github.com/winami/winami/catalog"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/imagebuilder"
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
// that fit any spec (wildcards where a spec would name the resource), whose build
// instance profile's role is named *ImageBuilder* or *imagebuilder* (the default's is).
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
	// FastLaunch tells whether the spec enables Fast Launch.
	FastLaunch bool
	// KMSKeys are the spec's KMS keys (key ARNs or alias ARNs: spec.build.encryption.kmsKeyId
	// and spec.distribution.kmsKeyIds), sorted.
	KMSKeys []string
	// LogBucket and LogPrefix are where the build instance writes its logs
	// (spec.build.logging); "" for none.
	LogBucket, LogPrefix string
	// TargetAccounts are the accounts the AMI is copied into (spec.distribution.targetAccountIds).
	TargetAccounts []string
	// Regions are the distribution regions.
	Regions []string
	// PublishAfterScan: winami build publishes the parameter itself after the scan's
	// verdict, in the target accounts through their cross-account role.
	PublishAfterScan bool

	fromSpec bool
}

// ScopeOf is the Scope of a loaded spec.
func ScopeOf(img *spec.WindowsImage) Scope {
	s := Scope{Name: img.Metadata.Name, Partition: catalog.Partition(img.Metadata.Region), InstanceProfile: img.Spec.Build.InstanceProfile,
		ExecutionRole: executionRoleOf(img), PublishParameter: img.Spec.Distribution.PublishParameter, fromSpec: true}
	if fl := img.Spec.Distribution.FastLaunch; fl != nil && fl.Enabled {
		s.FastLaunch = true
		s.LaunchTemplate = fl.LaunchTemplate != nil
	}
	if enc := img.Spec.Build.Encryption; enc.IsEncrypted() && enc.KMSKeyID != "" {
		s.KMSKeys = append(s.KMSKeys, enc.KMSKeyID)
	}
	for _, k := range img.Spec.Distribution.KMSKeyIDs {
		if !contains(s.KMSKeys, k) {
			s.KMSKeys = append(s.KMSKeys, k)
		}
	}
	sort.Strings(s.KMSKeys)
	if lg := img.Spec.Build.Logging; lg != nil {
		s.LogBucket, s.LogPrefix = lg.S3BucketName, strings.Trim(lg.S3KeyPrefix, "/")
	}
	s.TargetAccounts = append([]string(nil), img.Spec.Distribution.TargetAccountIDs...)
	sort.Strings(s.TargetAccounts)
	s.Regions = append([]string(nil), img.Spec.Distribution.Regions...)
	s.PublishAfterScan = img.Spec.Build.ImageScanning != nil && img.Spec.Build.ImageScanning.Enabled
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
		"ec2:DescribeAccountAttributes", "ec2:DescribeTags",
		"ec2:DescribeImageAttribute", "ec2:DescribeSpotFleetRequests", "ec2:DescribeFleets", "ec2:DescribeSpotInstanceRequests", "servicequotas:GetServiceQuota", "servicequotas:GetAWSDefaultServiceQuota",
		"autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeLaunchConfigurations",
		"eks:DescribeCluster", "eks:DescribeClusterVersions",
		"ecr:GetAuthorizationToken", "ecr:DescribeImages", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
		"iam:GetInstanceProfile", "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:SimulatePrincipalPolicy",
		"imagebuilder:GetComponent", "imagebuilder:ListComponents", "imagebuilder:ListComponentBuildVersions",
		"imagebuilder:GetImageRecipe", "imagebuilder:ListImageRecipes",
		"imagebuilder:GetInfrastructureConfiguration", "imagebuilder:ListInfrastructureConfigurations",
		"imagebuilder:GetDistributionConfiguration", "imagebuilder:ListDistributionConfigurations",
		"imagebuilder:GetImagePipeline", "imagebuilder:ListImagePipelines",
		"imagebuilder:GetImage", "imagebuilder:ListImagePipelineImages", "imagebuilder:ListImageScanFindings",
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
	// Image Builder resources named after the spec: <name> (recipe, infrastructure and
	// distribution configurations, pipeline), <name>/… (versions, images) and
	// <name>-image-cache… (the cache components). Not <name>*: the policy of spec "team"
	// would then cover spec "team-b"'s pipeline.
	ibRes := []string{"arn:" + p + ":imagebuilder:*:*:*/*"}
	if sc.Name != "" {
		n := "arn:" + p + ":imagebuilder:*:*:*/" + strings.ToLower(sc.Name)
		ibRes = []string{n, n + "/*", n + "-image-cache*"}
	}
	param := "arn:" + p + ":ssm:*:*:parameter/winami/*"
	if sc.PublishParameter != "" {
		param = "arn:" + p + ":ssm:*:*:parameter/" + strings.TrimPrefix(sc.PublishParameter, "/")
	}
	// Some reads are written as wildcards that cover only reads (every Image Builder
	// Get/List action, EC2's DescribeSpot…, DescribeInstanceType…, DescribeLaunchTemplate…
	// actions, SSM's GetParameter… (GetParameter, GetParameters, GetParametersByPath,
	// GetParameterHistory), every Auto Scaling Describe…, Service Quotas Get… and EKS
	// DescribeCluster… action read: Service Authorization Reference, access level Read or
	// List, https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
	// so that the policy fits IAM's 6,144 characters; any other read stays by name. doctor
	// simulates each read by name.
	readPatterns := []string{"imagebuilder:Get*", "imagebuilder:List*", "ec2:DescribeSpot*", "ec2:DescribeInstanceType*", "ec2:DescribeLaunchTemplate*",
		"ssm:GetParameter*", "autoscaling:Describe*", "servicequotas:Get*", "eks:DescribeCluster*"}
	var read []string
	used := map[string]bool{}
	for _, a := range readActions {
		covered := false
		for _, pat := range readPatterns {
			if strings.HasPrefix(a, strings.TrimSuffix(pat, "*")) {
				covered = true
				if !used[pat] {
					used[pat] = true
					read = append(read, pat)
				}
			}
		}
		if !covered {
			read = append(read, a)
		}
	}
	ec2 := func(kind string) string { return "arn:" + p + ":ec2:*:*:" + kind + "/*" }
	image := "arn:" + p + ":ec2:*::image/*"
	snapshot := "arn:" + p + ":ec2:*::snapshot/*"
	eq := func(k string, v any) map[string]map[string]any {
		return map[string]map[string]any{"StringEquals": {k: v}}
	}
	// winamiImage holds for the AMIs winami built: Image Builder made them (it tags every
	// output AMI CreatedBy "EC2 Image Builder" and Ec2ImageBuilderArn, EC2 Image Builder
	// User Guide, "Tag Image Builder output resources",
	// https://docs.aws.amazon.com/imagebuilder/latest/userguide/tag-resources.html) and put
	// the distribution's amiTags winami:managed-by = winami (and winami:name = the spec's
	// name) on them as it made them. No statement lets the holder set any of these keys on
	// an existing AMI (TagImages allows only the input keys), so the condition cannot be
	// forged with this policy. ec2:ResourceTag/<key> is the tag an existing resource
	// carries (Service Authorization Reference, Amazon EC2, condition keys,
	// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html);
	// a resource without the key fails StringEquals (IAM User Guide, condition operators,
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
	winamiImage := map[string]any{"ec2:ResourceTag/CreatedBy": ImageBuilderCreatedBy, "ec2:ResourceTag/" + prune.ManagedByTag: prune.ManagedByValue}
	if sc.Name != "" {
		winamiImage["ec2:ResourceTag/"+prune.NameTag] = sc.Name
	}
	// Snapshots Image Builder made carry CreatedBy "EC2 Image Builder": its service-linked
	// role tags them CreatedBy "EC2 Image Builder" as it creates the AMI (the
	// AWSServiceRoleForImageBuilder policy allows ec2:CreateTags with that request tag and
	// ec2:CreateAction CreateImage, and ec2:ModifySnapshotAttribute only on snapshots so
	// tagged), and EC2ImageBuilderLifecycleExecutionPolicy deletes AMI snapshots on the same
	// tag (EC2 Image Builder User Guide, "AWS managed policies",
	// https://docs.aws.amazon.com/imagebuilder/latest/userguide/security-iam-awsmanpol.html).

	// Roles passed to EC2: the build instance profile's (Image Builder's infrastructure
	// configuration names it) and, for Fast Launch, the one of the launch template's
	// instance profile. Without a spec, not every role: roles whose name holds
	// ImageBuilder or imagebuilder (the default EC2InstanceProfileForImageBuilder's, and
	// the pattern AWSImageBuilderFullAccess passes to EC2), since a holder that may pass
	// any role to EC2 and launch instances (FastLaunchInstances) may run code as any role
	// that has an instance profile.
	instanceRoles := []string{sc.roleARN("*ImageBuilder*"), sc.roleARN("*imagebuilder*")}
	if sc.InstanceProfile != "" {
		instanceRoles = []string{sc.roleARN(sc.InstanceProfile)}
	}
	for _, r := range sc.PassRoles {
		instanceRoles = append(instanceRoles, sc.roleARN(r))
	}

	if !sc.fromSpec {
		// doctor's reads of keys and the log bucket (DoctorReads with a spec).
		read = append(read, "kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants", "s3:GetBucketLocation")
	}
	st := []Statement{
		// Every read winami makes (resolve, plan, doctor, status, audit, prune): the
		// Describe/Get/List actions take no resource-level permissions worth scoping.
		// Holder, on what is not winami's: reads the account's EC2, Auto Scaling, EKS and
		// Image Builder inventory, SSM parameters (GetParameter* decrypts nothing: no
		// kms:Decrypt) and the ECR images it may pull; iam:SimulatePrincipalPolicy tells
		// it what any principal may do. It changes nothing.
		{Sid: "Read", Effect: "Allow", Action: read, Resource: []string{"*"}},
		// apply and build: changes only to the Image Builder resources named after the
		// spec, and recipes may name Amazon's managed components.
		// Holder, on what is not winami's: with -f, nothing (another spec's resources
		// are named after it, not covered by these ARNs); without -f the ARNs are
		// wildcards and it may update, run and cancel any pipeline of the account (an
		// unscoped policy is for one team's account). On Amazon's components (account
		// "aws") the create/update actions do not apply; only reads and naming them.
		{Sid: "ImageBuilderApply", Effect: "Allow", Action: applyActions, Resource: append(ibRes, "arn:"+p+":imagebuilder:*:aws:component/*")},
		// apply: the infrastructure configuration names the build instance profile, whose
		// role the caller must be allowed to pass to EC2.
		// Holder, on what is not winami's: may give the build role (with -f; without,
		// a role named *ImageBuilder*/*imagebuilder*) to an instance it launches
		// (FastLaunchInstances: tagged CreatedBy "EC2 Fast Launch"), and the build role
		// holds only the instance policy (component downloads, logs, SSM, ECR pulls).
		// Only to ec2.amazonaws.com (iam:PassedToService).
		{Sid: "PassInstanceRole", Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: instanceRoles,
			Condition: eq("iam:PassedToService", "ec2.amazonaws.com")},
	}
	// apply: a pipeline with an executionRole makes Image Builder assume that role; the
	// caller passes it to imagebuilder.amazonaws.com only
	// (https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html,
	// "Prerequisites for SSM output parameters": the execution role).
	// Holder, on what is not winami's: Image Builder acts as that role for the holder's
	// pipelines; the role's own policy (render writes it) limits it to the spec's
	// parameter and the distribution.
	if role := sc.ExecutionRole; role != "" || !sc.fromSpec {
		if role == "" {
			role = "*" + ExecutionRoleSuffix
		}
		st = append(st, Statement{Sid: "PassExecutionRole", Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: []string{sc.roleARN(role)},
			Condition: eq("iam:PassedToService", "imagebuilder.amazonaws.com")})
	}
	st = append(st,
		// First use of Image Builder and Fast Launch creates their service-linked roles.
		// Holder, on what is not winami's: creates those two roles only
		// (iam:AWSServiceName); their policies are AWS's.
		Statement{Sid: "ServiceLinkedRoles", Effect: "Allow", Action: []string{"iam:CreateServiceLinkedRole"}, Resource: []string{"*"},
			Condition: eq("iam:AWSServiceName", ServiceLinkedRoles)},
		// build: writes the published parameter when Image Builder did not.
		// Holder, on what is not winami's: with -f, only the spec's parameter; without,
		// parameters under /winami/ (another spec's published AMI id among them).
		Statement{Sid: "PublishParameter", Effect: "Allow", Action: []string{"ssm:PutParameter"}, Resource: []string{param}},
		// fast-launch enable/disable: as the AWS managed policy EC2FastLaunchFullAccess
		// (v4, statement EC2FastLaunch) grants them, on any resource
		// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/EC2FastLaunchFullAccess.html).
		// Holder, on what is not winami's: `winami fast-launch enable|disable --image`
		// takes any AMI of the account, so it may enable Fast Launch on any AMI (cost:
		// pre-provisioned snapshots and the launches that make them) or disable it (slower
		// launches of that AMI's nodes). Neither deletes the AMI or its own snapshots.
		Statement{Sid: "FastLaunch", Effect: "Allow", Action: fastLaunchActions, Resource: []string{"*"}},
		// fast-launch enable: EC2 checks that the caller may launch instances from the AMI
		// with the launch template it names (EC2 user guide, "EC2 Fast Launch prerequisites",
		// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/win-start-fast-launch-prereqs.html).
		// The resource types are those of EC2FastLaunchFullAccess's statement
		// EC2LaunchInstance, without license configurations (winami's AMIs carry none).
		// Holder, on what is not winami's: names any AMI, template, subnet, group and key
		// in a launch, but a launch also needs FastLaunchInstances, so every instance and
		// volume it starts is tagged CreatedBy "EC2 Fast Launch". It may launch such
		// instances itself (not only through Fast Launch), with the build role passed
		// (PassInstanceRole): EC2FastLaunchFullAccess grants the same. The build role adds
		// little to the operator's own reads (s3:GetObject on ec2imagebuilder* buckets and
		// .iso objects of the account, logs under /aws/imagebuilder/, snapshots of volumes
		// tagged CreatedBy "EC2 Image Builder"); it deletes and untags nothing.
		Statement{Sid: "FastLaunchRunInstances", Effect: "Allow", Action: []string{"ec2:RunInstances"},
			Resource: []string{image, ec2("launch-template"), ec2("subnet"), ec2("security-group"), ec2("network-interface"), ec2("key-pair")}},
		// ... and the instances and volumes those launches create, only when tagged as
		// Fast Launch's (statement EC2LaunchInstanceWithVolAndInstance).
		Statement{Sid: "FastLaunchInstances", Effect: "Allow", Action: []string{"ec2:RunInstances"},
			Resource:  []string{ec2("instance"), ec2("volume")},
			Condition: eq("aws:RequestTag/CreatedBy", FastLaunchCreatedBy)},
		// ... and the tags those launches apply, only as part of RunInstances
		// (statement EC2Tags: ec2:CreateAction = RunInstances).
		// Holder, on what is not winami's: nothing: ec2:CreateAction is in the request
		// context only when the tags come with the resource-creating call, so no existing
		// instance, volume or snapshot can be tagged through it (EC2 User Guide, "Grant
		// permission to tag Amazon EC2 resources during creation",
		// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html).
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
		// Holder, on what is not winami's: nothing directly: each action needs
		// aws:CalledVia ec2fastlaunch.amazonaws.com (the holder's own calls carry none),
		// and changes or deletes only network resources tagged CreatedBy "EC2 Fast Launch".
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
				// cloudformation:DescribeStack* is DescribeStacks, DescribeStackEvents,
				// DescribeStackResource(s) (and DescribeStackSet* on no stack set: the
				// resource is stack/EC2FastLaunch*).
				Action: []string{"cloudformation:DescribeStack*", "cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:RollbackStack",
					"cloudformation:DeleteStack", "cloudformation:UpdateTerminationProtection"},
				Resource:  []string{"arn:" + p + ":cloudformation:*:*:stack/EC2FastLaunch*/*"},
				Condition: map[string]map[string]any{"ForAnyValue:StringLike": calledVia}},
		)
	}
	// The tag-scoped pair prune relies on: DeregisterImage and DeleteSnapshot are allowed
	// on what carries winami's tags, so every CreateTags of this policy is scoped so that
	// it cannot put those tags on what is not winami's (issue 14: an unconditioned
	// ec2:CreateTags on images let the holder tag any AMI winami:managed-by = winami and
	// then deregister it through PruneImages).
	// ForAllValues on aws:TagKeys limits a CreateTags request to the listed keys (every
	// key of the request must match one). It is also true when the request has no
	// aws:TagKeys at all (IAM User Guide, "Multivalued context key examples",
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html),
	// which widens nothing here: a CreateTags without tags tags nothing (EC2 refuses it,
	// MissingParameter tagSet), so no Null check is spent on it (the policy must fit
	// IAM's 6,144 characters).
	markEq := map[string]any{"ec2:ResourceTag/CreatedBy": ImageBuilderCreatedBy}
	delEq := map[string]any{"ec2:ResourceTag/CreatedBy": ImageBuilderCreatedBy}
	if sc.Name != "" {
		markEq["aws:RequestTag/"+prune.PendingTag] = sc.Name
		delEq["ec2:ResourceTag/"+prune.PendingTag] = sc.Name
	}
	markCond := map[string]map[string]any{"StringEquals": markEq, "ForAllValues:StringEquals": {"aws:TagKeys": []string{prune.PendingTag}}}
	deletable := map[string]map[string]any{"StringEquals": delEq}
	if sc.Name == "" {
		deletable["Null"] = map[string]any{"ec2:ResourceTag/" + prune.PendingTag: "false"}
	}
	tagCond := map[string]map[string]any{"StringEquals": winamiImage, "ForAllValues:StringLike": {"aws:TagKeys": imagebuilder.InputTagKeys()}}
	st = append(st,
		// prune: deregisters only the AMIs winami built (see winamiImage).
		// Holder, on what is not winami's: nothing. An AMI another tool made lacks
		// CreatedBy / winami:managed-by (or, with -f, winami:name), and no statement here
		// may add them. It may deregister any AMI of its spec (or, without -f, of any
		// spec), which is what prune does.
		Statement{Sid: "PruneImages", Effect: "Allow", Action: []string{"ec2:DeregisterImage"}, Resource: []string{image},
			Condition: map[string]map[string]any{"StringEquals": winamiImage}},
		// prune: marks the snapshots of an AMI it is about to deregister with
		// winami:prune-pending (so that a re-run after a crash deletes them): only that key
		// (with -f, only the spec's name as value) and only on snapshots Image Builder made.
		// Holder, on what is not winami's: may mark a snapshot Image Builder made for
		// another tool's AMI; PruneSnapshots then lets it delete that snapshot once no AMI
		// uses it (EC2 refuses DeleteSnapshot of a snapshot a registered AMI uses:
		// InvalidSnapshot.InUse). Snapshots of volumes, backups and other tools' copies
		// (no CreatedBy "EC2 Image Builder") cannot be marked.
		Statement{Sid: "MarkSnapshots", Effect: "Allow", Action: []string{"ec2:CreateTags"}, Resource: []string{snapshot}, Condition: markCond},
		// build: tags the AMIs Image Builder made for winami with the build's inputs, after
		// the build: only the input keys (imagebuilder.InputTagKeys: never
		// winami:managed-by, winami:name, winami:prune-pending, CreatedBy,
		// Ec2ImageBuilderArn), and only on AMIs that already are winami's (winamiImage).
		// Holder, on what is not winami's: nothing; on winami's AMIs it may rewrite the
		// input tags (what --if-changed and audit read), not what prune selects on.
		Statement{Sid: "TagImages", Effect: "Allow", Action: []string{"ec2:CreateTags"}, Resource: []string{image}, Condition: tagCond},
		// prune: deletes only the snapshots it marked, Image Builder's (with -f: marked
		// with the spec's name).
		// Holder, on what is not winami's: as MarkSnapshots says.
		Statement{Sid: "PruneSnapshots", Effect: "Allow", Action: []string{"ec2:DeleteSnapshot"}, Resource: []string{snapshot}, Condition: deletable},
	)
	st = append(st, sc.keysLogsAccountsStatements()...)
	return Document{Version: "2012-10-17", Statement: st}
}

// keyResources are the IAM resources of the scope's KMS keys: a key ARN as it is, an
// alias ARN as every key of its account and region, since IAM authorizes a key
// operation on the key's ARN, never on an alias's (AWS KMS Developer Guide, "Specifying
// KMS keys in IAM policy statements",
// https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html).
// Without keys (no spec), every key of the partition.
func (sc Scope) keyResources() []string {
	if !sc.fromSpec {
		return []string{"arn:" + sc.partition() + ":kms:*:*:key/*"}
	}
	var out []string
	for _, k := range sc.KMSKeys {
		r := k
		if parts := strings.SplitN(k, ":", 6); len(parts) == 6 && strings.HasPrefix(parts[5], "alias/") {
			r = strings.Join(parts[:5], ":") + ":key/*"
		}
		if !contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// keysLogsAccountsStatements are what the operator needs for encryption, build logs and target
// accounts (each only when the spec uses it; without a spec, all of them, on any key,
// bucket and target account).
func (sc Scope) keysLogsAccountsStatements() []Statement {
	p := sc.partition()
	var st []Statement
	// doctor reads the spec's keys (DescribeKey, GetKeyPolicy, ListGrants) and the log
	// bucket's region (GetBucketLocation).
	// Holder, on what is not winami's: reads the key policies and grants of the keys in
	// scope (with -f: the spec's keys; an alias ARN widens to its account and region's
	// keys) and the bucket's region. It changes nothing.
	if sc.fromSpec && (len(sc.KMSKeys) > 0 || sc.LogBucket != "") {
		var actions, res []string
		if len(sc.KMSKeys) > 0 {
			actions = append(actions, "kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants")
			res = append(res, sc.keyResources()...)
		}
		if sc.LogBucket != "" {
			actions = append(actions, "s3:GetBucketLocation")
			res = append(res, "arn:"+p+":s3:::"+sc.LogBucket)
		}
		st = append(st, Statement{Sid: "DoctorReads", Effect: "Allow", Action: actions, Resource: res})
	}
	// fast-launch enable of an AMI encrypted with a customer managed key: EC2 grants the
	// Fast Launch service-linked role use of the key with the caller's kms:CreateGrant (EC2
	// User Guide, "Service-linked role for EC2 Fast Launch", Access to customer managed
	// keys, https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/slr-windows-fast-launch.html).
	// Holder, on what is not winami's: creates grants on the keys in scope only for AWS
	// resources and only through EC2 (kms:GrantIsForAWSResource, kms:ViaService), as EBS
	// does for a volume it attaches; no grant to a principal of its choosing.
	if !sc.fromSpec || (sc.FastLaunch && len(sc.KMSKeys) > 0) {
		st = append(st, Statement{Sid: "FastLaunchKeys", Effect: "Allow", Action: []string{"kms:CreateGrant"}, Resource: sc.keyResources(),
			Condition: map[string]map[string]any{"Bool": {"kms:GrantIsForAWSResource": "true"}, "StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"}}})
	}
	// build, when the image is scanned: publishes the parameter in each target account as
	// that account's cross-account role (sts:AssumeRole, session winami-publish).
	// Holder, on what is not winami's: acts as that role in the target accounts that trust
	// the build account (`winami iam-policy --for target-account`): copy, tag and share
	// AMIs, and write the spec's parameter there.
	if !sc.fromSpec || (sc.PublishAfterScan && sc.PublishParameter != "" && len(sc.TargetAccounts) > 0) {
		accounts := sc.TargetAccounts
		if !sc.fromSpec {
			accounts = []string{"*"}
		}
		var roles []string
		for _, a := range accounts {
			roles = append(roles, "arn:"+p+":iam::"+a+":role/"+spec.CrossAccountRoleName)
		}
		st = append(st, Statement{Sid: "PublishInTargetAccounts", Effect: "Allow", Action: []string{"sts:AssumeRole"}, Resource: roles})
	}
	return st
}

// InstancePolicy is what the build instance's role needs: the managed policies to attach
// and, when cached images come from ECR, an inline policy to read those repositories.
func InstancePolicy(sc Scope) (managed []string, inline Document) {
	managed = []string{ManagedPolicyARN(sc.Partition, ImageBuilderInstancePolicy), ManagedPolicyARN(sc.Partition, SSMInstancePolicy)}
	repos := sc.ECRRepositories
	if len(repos) == 0 {
		repos = []string{"arn:" + sc.partition() + ":ecr:*:*:repository/*"}
	}
	// What the build instance's role (and whoever runs code on the instance: the
	// components) can do to what is not winami's:
	//   - EC2InstanceProfileForImageBuilder: read component documents and ec2imagebuilder*
	//     S3 objects, write logs under /aws/imagebuilder/, snapshot volumes tagged CreatedBy
	//     "EC2 Image Builder" (new snapshots only); nothing is deleted or re-tagged.
	//   - AmazonSSMManagedInstanceCore: the SSM agent's channel, and ssm:GetParameter(s) on
	//     every parameter of the account (SecureString ones decrypted where their key lets
	//     it). Image Builder needs this managed policy (its prerequisites name it); what it
	//     reads is the weak point of the build role, so keep secrets out of parameters the
	//     instance role's key policy can decrypt, or add a permissions boundary.
	inline = Document{Version: "2012-10-17", Statement: []Statement{
		// ecr:GetAuthorizationToken takes no resource (Resource "*"): a token alone pulls
		// nothing; ECRPull decides which repositories.
		{Sid: "ECRToken", Effect: "Allow", Action: []string{"ecr:GetAuthorizationToken"}, Resource: []string{"*"}},
		// Holder, on what is not winami's: reads (pulls) only; with -f only the spec's
		// cached repositories, without -f every repository its account's (and, where a
		// repository policy allows, another account's) ECR holds.
		{Sid: "ECRPull", Effect: "Allow", Action: ECRPullActions, Resource: repos},
	}}
	if sc.LogBucket != "" {
		// spec.build.logging: the build instance (AWSTOE, as the instance profile's role)
		// writes its logs under s3://<bucket>/<prefix>/ (the infrastructure configuration's
		// s3Logs; EC2InstanceProfileForImageBuilder grants no write to the user's buckets).
		// No KMS action: a bucket's default encryption (SSE-S3) needs none; a bucket whose
		// default encryption is SSE-KMS with a customer managed key needs kms:GenerateDataKey
		// on that key as well (Amazon S3 User Guide, "Using server-side encryption with AWS
		// KMS keys (SSE-KMS)", Permissions,
		// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html),
		// a key the spec does not name.
		// Holder, on what is not winami's: writes (and overwrites) objects under that
		// prefix of that bucket only; reads and deletes nothing.
		obj := "arn:" + sc.partition() + ":s3:::" + sc.LogBucket + "/*"
		if sc.LogPrefix != "" {
			obj = "arn:" + sc.partition() + ":s3:::" + sc.LogBucket + "/" + sc.LogPrefix + "/*"
		}
		inline.Statement = append(inline.Statement, Statement{Sid: "WriteBuildLogs", Effect: "Allow", Action: []string{"s3:PutObject"}, Resource: []string{obj}})
	}
	return managed, inline
}

// ECRPullActions are what pulling from an ECR repository needs.
var ECRPullActions = []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}
