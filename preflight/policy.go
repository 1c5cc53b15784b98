package preflight

import (
	"fmt"
	"sort"
	"strings"

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

// ManagedPolicyARN is the ARN of an AWS-managed policy.
func ManagedPolicyARN(name string) string { return "arn:aws:iam::aws:policy/" + name }

// Scope narrows the policies to one spec's resources; the zero Scope gives policies
// that fit any spec (wildcards where a spec would name the resource).
type Scope struct {
	// Name is the spec's metadata.name (Image Builder resources are prefixed with it).
	Name string
	// InstanceProfile is the build instance profile (its role is passed to Image Builder).
	InstanceProfile string
	// PublishParameter is the SSM parameter the build publishes.
	PublishParameter string
	// ECRRepositories are ARNs of the ECR repositories cached images come from.
	ECRRepositories []string
}

// ScopeOf is the Scope of a loaded spec.
func ScopeOf(img *spec.WindowsImage) Scope {
	s := Scope{Name: img.Metadata.Name, InstanceProfile: img.Spec.Build.InstanceProfile, PublishParameter: img.Spec.Distribution.PublishParameter}
	for _, ref := range img.Spec.Cache.Images {
		if arn, ok := ECRRepositoryARN(ref); ok {
			s.ECRRepositories = append(s.ECRRepositories, arn)
		}
	}
	sort.Strings(s.ECRRepositories)
	return s
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
		"ec2:DescribeInstanceTypes", "servicequotas:GetServiceQuota", "servicequotas:GetAWSDefaultServiceQuota",
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

// OperatorPolicy is the least-privilege policy of whoever runs winami.
func OperatorPolicy(sc Scope) Document {
	ib := "arn:aws:imagebuilder:*:*:*/" + strings.ToLower(orStar(sc.Name))
	if sc.Name != "" {
		ib += "*"
	}
	role := "arn:aws:iam::*:role/" + orStar(sc.InstanceProfile)
	param := "arn:aws:ssm:*:*:parameter/winami/*"
	if sc.PublishParameter != "" {
		param = "arn:aws:ssm:*:*:parameter/" + strings.TrimPrefix(sc.PublishParameter, "/")
	}
	var readNoIB, ibRead []string
	for _, a := range readActions {
		if strings.HasPrefix(a, "imagebuilder:") {
			ibRead = append(ibRead, a)
		} else {
			readNoIB = append(readNoIB, a)
		}
	}
	return Document{Version: "2012-10-17", Statement: []Statement{
		{Sid: "Read", Effect: "Allow", Action: readNoIB, Resource: []string{"*"}},
		{Sid: "ImageBuilderRead", Effect: "Allow", Action: ibRead, Resource: []string{"*"}},
		{Sid: "ImageBuilderApply", Effect: "Allow", Action: applyActions, Resource: []string{ib, "arn:aws:imagebuilder:*:aws:component/*"}},
		{Sid: "PassInstanceRole", Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: []string{role},
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}},
		{Sid: "ServiceLinkedRoles", Effect: "Allow", Action: []string{"iam:CreateServiceLinkedRole"}, Resource: []string{"*"},
			Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": ServiceLinkedRoles}}},
		{Sid: "PublishParameter", Effect: "Allow", Action: []string{"ssm:PutParameter"}, Resource: []string{param}},
		{Sid: "FastLaunch", Effect: "Allow", Action: fastLaunchActions, Resource: []string{"*"}},
		{Sid: "PruneImages", Effect: "Allow", Action: []string{"ec2:DeregisterImage"}, Resource: []string{"arn:aws:ec2:*::image/*"},
			Condition: map[string]map[string]any{"StringEquals": {"ec2:ResourceTag/" + prune.ManagedByTag: prune.ManagedByValue}}},
		{Sid: "MarkSnapshots", Effect: "Allow", Action: []string{"ec2:CreateTags"}, Resource: []string{"arn:aws:ec2:*::snapshot/*"},
			Condition: map[string]map[string]any{"ForAllValues:StringEquals": {"aws:TagKeys": []string{prune.PendingTag}}}},
		{Sid: "TagImages", Effect: "Allow", Action: []string{"ec2:CreateTags"}, Resource: []string{"arn:aws:ec2:*::image/*"}},
		{Sid: "PruneSnapshots", Effect: "Allow", Action: []string{"ec2:DeleteSnapshot"}, Resource: []string{"arn:aws:ec2:*::snapshot/*"},
			Condition: map[string]map[string]any{"Null": {"ec2:ResourceTag/" + prune.PendingTag: "false"}}},
	}}
}

// InstancePolicy is what the build instance's role needs: the managed policies to attach
// and, when cached images come from ECR, an inline policy to read those repositories.
func InstancePolicy(sc Scope) (managed []string, inline Document) {
	managed = []string{ManagedPolicyARN(ImageBuilderInstancePolicy), ManagedPolicyARN(SSMInstancePolicy)}
	repos := sc.ECRRepositories
	if len(repos) == 0 {
		repos = []string{"arn:aws:ecr:*:*:repository/*"}
	}
	inline = Document{Version: "2012-10-17", Statement: []Statement{
		{Sid: "ECRToken", Effect: "Allow", Action: []string{"ecr:GetAuthorizationToken"}, Resource: []string{"*"}},
		{Sid: "ECRPull", Effect: "Allow", Action: ECRPullActions, Resource: repos},
	}}
	return managed, inline
}

// ECRPullActions are what pulling from an ECR repository needs.
var ECRPullActions = []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}
