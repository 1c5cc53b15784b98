package fastlaunch

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/winami/winami/awsapi"
)

// CreatedBy is the tag value EC2 Fast Launch puts (aws:RequestTag/CreatedBy) on the
// instances and volumes it launches to make the pre-provisioned snapshots.
const CreatedBy = "EC2 Fast Launch"

// Question is one SimulatePrincipalPolicy question: may the principal call Actions on
// Resources ("*" when none) in Context. Note says, in a denial, what it was about.
type Question struct {
	Actions   []string
	Resources []string
	Context   []iamtypes.ContextEntry
	Note      string
}

// StringEntry is a single-valued string context entry of a Question.
func StringEntry(key, value string) iamtypes.ContextEntry {
	return iamtypes.ContextEntry{ContextKeyName: aws.String(key), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{value}}
}

// Launch describes what EnableFastLaunch will launch with, for LaunchQuestions: the
// AMI and, when a launch template is named, its id and what its version names.
type Launch struct {
	Partition, Region, Account string
	// ImageID is the AMI (ami-00000000000000000 stands for any).
	ImageID string
	// TemplateID is the launch template's id ("" without a launch template).
	TemplateID string
	// Subnets and SecurityGroups are those the template's version names (placeholders
	// stand for any when it names none).
	Subnets, SecurityGroups []string
	// RoleARN is the role of the template's instance profile ("" when it names none).
	RoleARN string
	// ImageTags and TemplateTags are the tags of the AMI and of the launch template, which
	// policies may condition EnableFastLaunch on (ec2:ResourceTag/<key>); nil when unknown.
	ImageTags, TemplateTags map[string]string
}

// resourceTags is the ec2:ResourceTag context of a resource with tags.
func resourceTags(tags map[string]string) []iamtypes.ContextEntry {
	var out []iamtypes.ContextEntry
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, StringEntry("ec2:ResourceTag/"+k, tags[k]))
	}
	return out
}

// LaunchQuestions are what EC2 checks of whoever calls EnableFastLaunch: the call itself,
// and that the caller may launch instances from the AMI with the launch template
// (ec2:RunInstances on the image, template, subnet, security group and network
// interface, and on the instances and volumes tagged CreatedBy "EC2 Fast Launch";
// ec2:CreateTags as part of that RunInstances; iam:PassRole of the template's instance
// profile role to EC2). Without a launch template Fast Launch creates its own network
// through CloudFormation, which the caller must be allowed (through
// ec2fastlaunch.amazonaws.com). Sources: the EC2 user guide's Fast Launch prerequisites
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/win-start-fast-launch-prereqs.html)
// and the AWS managed policy EC2FastLaunchFullAccess v4, whose statements EC2LaunchInstance,
// EC2LaunchInstanceWithVolAndInstance, EC2Tags, EC2CreateVPC and CloudFormation grant
// exactly these (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/EC2FastLaunchFullAccess.html).
func LaunchQuestions(l Launch) []Question {
	arn := func(kind, id string) string {
		return fmt.Sprintf("arn:%s:ec2:%s:%s:%s/%s", l.Partition, l.Region, l.Account, kind, id)
	}
	orZero := func(ids []string, zero string) []string {
		if len(ids) == 0 {
			return []string{zero}
		}
		return ids
	}
	img := fmt.Sprintf("arn:%s:ec2:%s::image/%s", l.Partition, l.Region, l.ImageID)
	const note = "for fast-launch enable"
	run := []string{img}
	// EnableFastLaunch on the image and on the template, each with its own tags.
	qs := []Question{{Actions: []string{"ec2:EnableFastLaunch"}, Resources: []string{img}, Context: resourceTags(l.ImageTags)}}
	if l.TemplateID != "" {
		run = append(run, arn("launch-template", l.TemplateID))
		qs = append(qs, Question{Actions: []string{"ec2:EnableFastLaunch"}, Resources: []string{arn("launch-template", l.TemplateID)},
			Context: resourceTags(l.TemplateTags), Note: "with launch template " + l.TemplateID})
	}
	for _, s := range orZero(l.Subnets, "subnet-00000000000000000") {
		run = append(run, arn("subnet", s))
	}
	for _, g := range orZero(l.SecurityGroups, "sg-00000000000000000") {
		run = append(run, arn("security-group", g))
	}
	run = append(run, arn("network-interface", "eni-00000000000000000"))
	created := []string{arn("instance", "i-00000000000000000"), arn("volume", "vol-00000000000000000")}
	qs = append(qs,
		Question{Actions: []string{"ec2:RunInstances"}, Resources: run, Note: note},
		Question{Actions: []string{"ec2:RunInstances"}, Resources: created, Context: []iamtypes.ContextEntry{StringEntry("aws:RequestTag/CreatedBy", CreatedBy)}, Note: note},
		// The launch tags them CreatedBy "EC2 Fast Launch", as part of RunInstances.
		Question{Actions: []string{"ec2:CreateTags"}, Resources: created, Context: []iamtypes.ContextEntry{
			StringEntry("ec2:CreateAction", "RunInstances"), StringEntry("aws:RequestTag/CreatedBy", CreatedBy)}, Note: "on launch, " + note},
	)
	if l.RoleARN != "" {
		qs = append(qs, Question{Actions: []string{"iam:PassRole"}, Resources: []string{l.RoleARN},
			Context: []iamtypes.ContextEntry{StringEntry("iam:PassedToService", "ec2.amazonaws.com")}, Note: "the launch template's instance profile, " + note})
	}
	if l.TemplateID == "" {
		via := StringEntry("aws:CalledVia", ServiceLinkedRoleService)
		via.ContextKeyType = iamtypes.ContextKeyTypeEnumStringList
		qs = append(qs,
			Question{Actions: []string{"ec2:CreateVpc"}, Resources: []string{arn("vpc", "vpc-00000000000000000")},
				Context: []iamtypes.ContextEntry{StringEntry("aws:RequestTag/CreatedBy", CreatedBy), via}, Note: "Fast Launch's own network, without a launch template"},
			Question{Actions: []string{"cloudformation:CreateStack"}, Resources: []string{fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/EC2FastLaunch/0", l.Partition, l.Region, l.Account)},
				Context: []iamtypes.ContextEntry{via}, Note: "Fast Launch's own network, without a launch template"})
	}
	return qs
}

// Ask puts the questions to SimulatePrincipalPolicy about principalARN (an STS caller ARN
// is turned into its role), following every page, and returns each denied action once,
// with its question's note in parentheses. The error is IAM's, so callers can tell
// "simulation denied" (awsapi.IsAccessDenied) from the rest.
func Ask(ctx context.Context, api awsapi.IAM, principalARN string, qs []Question) (denied []string, err error) {
	seen := map[string]bool{}
	for _, q := range qs {
		in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(PrincipalARN(principalARN)), ActionNames: q.Actions,
			ResourceArns: q.Resources, ContextEntries: q.Context}
		p := iam.NewSimulatePrincipalPolicyPaginator(api, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, r := range out.EvaluationResults {
				if r.EvalDecision == iamtypes.PolicyEvaluationDecisionTypeAllowed {
					continue
				}
				a := aws.ToString(r.EvalActionName)
				if q.Note != "" {
					a += " (" + q.Note + ")"
				}
				if !seen[a] {
					seen[a] = true
					denied = append(denied, a)
				}
			}
		}
	}
	return denied, nil
}

// Template is a launch template as LaunchQuestions and the preflights need it.
type Template struct {
	ID, Name string
	// Tags are the template's own tags.
	Tags map[string]string
	// Subnets and SecurityGroups are those the version names (network interfaces
	// included).
	Subnets, SecurityGroups []string
	// InstanceProfile is the ARN or name of the instance profile the version names.
	InstanceProfile string
	// InstanceType is the version's instance type ("" when it names none).
	InstanceType string
}

// Template reads a launch template and the version Fast Launch will use; nil when the
// template does not exist in the region.
func (c *Client) Template(ctx context.Context, ref TemplateRef) (*Template, error) {
	in := &ec2.DescribeLaunchTemplatesInput{}
	if ref.ID != "" {
		in.LaunchTemplateIds = []string{ref.ID}
	} else {
		in.LaunchTemplateNames = []string{ref.Name}
	}
	out, err := c.EC2.DescribeLaunchTemplates(ctx, in)
	if err != nil {
		if isTemplateNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("describing launch template %s in %s: %w", ref, c.Region, err)
	}
	if len(out.LaunchTemplates) == 0 {
		return nil, nil
	}
	lt := out.LaunchTemplates[0]
	t := &Template{ID: aws.ToString(lt.LaunchTemplateId), Name: aws.ToString(lt.LaunchTemplateName), Tags: map[string]string{}}
	for _, tag := range lt.Tags {
		t.Tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	version := ref.Version
	if version == "" {
		version = "$Default"
	}
	vout, err := c.EC2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: lt.LaunchTemplateId, Versions: []string{version}})
	if err != nil {
		if awsapi.ErrorCode(err) == "InvalidLaunchTemplateId.VersionNotFound" {
			return t, nil
		}
		return nil, fmt.Errorf("describing version %s of launch template %s in %s: %w", version, ref, c.Region, err)
	}
	for _, v := range vout.LaunchTemplateVersions {
		data := v.LaunchTemplateData
		if data == nil {
			continue
		}
		t.InstanceType = string(data.InstanceType)
		t.SecurityGroups = append(t.SecurityGroups, data.SecurityGroupIds...)
		for _, ni := range data.NetworkInterfaces {
			if s := aws.ToString(ni.SubnetId); s != "" {
				t.Subnets = append(t.Subnets, s)
			}
			t.SecurityGroups = append(t.SecurityGroups, ni.Groups...)
		}
		if p := data.IamInstanceProfile; p != nil {
			t.InstanceProfile = aws.ToString(p.Arn)
			if t.InstanceProfile == "" {
				t.InstanceProfile = aws.ToString(p.Name)
			}
		}
		break
	}
	return t, nil
}

// ProfileRoleARN returns the role ARN of an instance profile given by ARN or name ("" when
// it has none).
func ProfileRoleARN(ctx context.Context, api awsapi.IAM, profile string) (string, error) {
	name := profile[strings.LastIndex(profile, "/")+1:]
	out, err := api.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("reading instance profile %s: %w", name, err)
	}
	if len(out.InstanceProfile.Roles) == 0 {
		return "", nil
	}
	return aws.ToString(out.InstanceProfile.Roles[0].Arn), nil
}

func isTemplateNotFound(err error) bool {
	switch awsapi.ErrorCode(err) {
	case "InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateName.NotFoundException",
		"InvalidLaunchTemplateId.Malformed", "InvalidLaunchTemplateName.NotFound":
		return true
	}
	return false
}
