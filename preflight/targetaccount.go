package preflight

import (
	"fmt"
	"strings"

	"github.com/winami/winami/check"

	"github.com/winami/winami/spec"
)

// CrossAccountDistributionPolicy is the AWS managed policy Image Builder's cross-account
// role needs in every target account: ec2:CreateTags on images, ec2:DescribeImages,
// ec2:CopyImage and ec2:ModifyImageAttribute (EC2 Image Builder User Guide, "Set up
// cross-account AMI distribution with Image Builder", Prerequisites,
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cross-account-dist.html;
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/Ec2ImageBuilderCrossAccountDistributionAccess.html).
const CrossAccountDistributionPolicy = "Ec2ImageBuilderCrossAccountDistributionAccess"

// TrustDocument is an IAM role trust policy.
type TrustDocument struct {
	Version   string           `json:"Version"`
	Statement []TrustStatement `json:"Statement"`
}

// TrustStatement is one statement of a TrustDocument: Principal {"AWS": <ARN>}.
type TrustStatement struct {
	Sid       string            `json:"Sid"`
	Effect    string            `json:"Effect"`
	Principal map[string]string `json:"Principal"`
	Action    string            `json:"Action"`
}

// TargetAccountRole is the role each target account creates for the spec: its name,
// trust policy, managed policies and inline policy. Its JSON form is printed by `winami
// iam-policy --for target-account` and is a contract (fields only added).
type TargetAccountRole struct {
	// RoleName is spec.CrossAccountRoleName, the name Image Builder assumes.
	RoleName string `json:"roleName"`
	// TrustPolicy trusts the build account (aws iam create-role --assume-role-policy-document).
	TrustPolicy TrustDocument `json:"trustPolicy"`
	// ManagedPolicyARNs are attached (aws iam attach-role-policy).
	ManagedPolicyARNs []string `json:"managedPolicyArns"`
	// InlinePolicyName and InlinePolicy are absent when the spec needs no inline policy
	// (it publishes no parameter and names no key).
	InlinePolicyName string    `json:"inlinePolicyName,omitempty"`
	InlinePolicy     *Document `json:"inlinePolicy,omitempty"`
}

// TargetAccountPolicy is spec.CrossAccountRoleName as a target account must make it for
// the scope, trusting buildAccount:
//
//   - trust: the build account (Principal arn:<partition>:iam::<build>:root), as the
//     Image Builder user guide shows it: Image Builder assumes the role from the build
//     account to copy the AMI there, and `winami build` assumes it (session
//     winami-publish) to publish the parameter after a scan's verdict; in the build account
//     each needs sts:AssumeRole on the role (AWSServiceRoleForImageBuilder has it; the
//     operator policy's PublishInTargetAccounts). Holder, in the target account: whoever
//     the build account's IAM lets assume it.
//   - CrossAccountDistributionPolicy, attached.
//   - inline: ssm:PutParameter, ssm:GetParameter and ssm:GetParameterHistory on the
//     published parameter in every distribution region (Image Builder writes it there with
//     ssmParameterConfigurations' amiAccountId; winami build reads its history and writes
//     it forward-only), and use of the copy keys: the AMI's copy is decrypted with the
//     build key and encrypted with the region's distribution key, both in the build
//     account (the Image Builder user guide's cross-account prerequisites for encrypted
//     AMIs list the KMS actions; EBS's are EBSKeyActions). Cryptographic use only through
//     EC2 (kms:ViaService); DescribeKey and ListGrants are reads. Holder, in the target
//     account: writes that one parameter, and makes EC2 use those keys for its own volumes
//     and snapshots; it cannot decrypt with them directly.
//
// Without a spec (the zero Scope): parameters under /winami/ and every key of the build
// account. ec2:DescribeImages (the parameter's aws:ec2:image check) comes with the
// managed policy.
func TargetAccountPolicy(sc Scope, buildAccount string) TargetAccountRole {
	p := sc.partition()
	role := TargetAccountRole{
		RoleName: spec.CrossAccountRoleName,
		TrustPolicy: TrustDocument{Version: "2012-10-17", Statement: []TrustStatement{{Sid: "TrustTheBuildAccount", Effect: "Allow",
			Principal: map[string]string{"AWS": "arn:" + p + ":iam::" + buildAccount + ":root"}, Action: "sts:AssumeRole"}}},
		ManagedPolicyARNs: []string{ManagedPolicyARN(sc.Partition, CrossAccountDistributionPolicy)},
	}
	inline := Document{Version: "2012-10-17"}
	var params []string
	switch {
	case !sc.fromSpec:
		params = []string{"arn:" + p + ":ssm:*:*:parameter/winami/*"}
	case sc.PublishParameter != "":
		for _, r := range sc.Regions {
			params = append(params, "arn:"+p+":ssm:"+r+":*:parameter/"+strings.TrimPrefix(sc.PublishParameter, "/"))
		}
	}
	if len(params) > 0 {
		inline.Statement = append(inline.Statement, Statement{Sid: "PublishParameter", Effect: "Allow",
			Action: []string{"ssm:GetParameter", "ssm:GetParameterHistory", "ssm:PutParameter"}, Resource: params})
	}
	keys := sc.keyResources()
	if !sc.fromSpec {
		keys = []string{"arn:" + p + ":kms:*:" + buildAccount + ":key/*"}
	}
	if len(keys) > 0 {
		inline.Statement = append(inline.Statement,
			Statement{Sid: "ReadCopyKeys", Effect: "Allow", Action: []string{"kms:DescribeKey", "kms:ListGrants"}, Resource: keys},
			Statement{Sid: "UseCopyKeysThroughEC2", Effect: "Allow",
				Action:    []string{"kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncrypt*"},
				Resource:  keys,
				Condition: map[string]map[string]any{"StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"}}})
	}
	if len(inline.Statement) > 0 {
		role.InlinePolicyName, role.InlinePolicy = "winami-distribution", &inline
		if sc.Name != "" {
			role.InlinePolicyName = "winami-" + sc.Name
		}
	}
	return role
}

// targetAccounts checks that no spec.distribution.targetAccountIds entry is the build
// account, the caller's (GetCallerIdentity): only the credentials know it, so the spec
// cannot refuse it offline. Target accounts are the other accounts the AMI is copied into:
// Image Builder's distribution "Create[s] a copy of the output AMI for each of the specified
// target accounts … The target accounts … own their AMI copies", while the owner's account
// gets the AMI in the build Region and its copies in the other Regions without being listed
// ("Copy the AMI to the owner's account in other AWS Regions") (EC2 Image Builder User
// Guide, "Manage Image Builder distribution settings",
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/manage-distribution-settings.html;
// cross-account distribution "deliver[s] an Image Builder AMI to other accounts",
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cross-account-dist.html). The
// API reference documents no refusal of the owner's own account in targetAccountIds
// (AmiDistributionConfiguration: 1–1536 ids of ^[0-9]{12}$,
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_AmiDistributionConfiguration.html),
// and what a build does with it is not documented either (a copy "on behalf of the target
// account" through EC2ImageBuilderDistributionCrossAccountRole, which the build account
// would then need, and with publishParameter a second ssmParameterConfigurations entry,
// amiAccountId the build account, for the parameter the owner's entry already writes).
// The listing is never needed, so winami refuses it before any change. It returns no
// check when the spec names no target account.
func targetAccounts(img *spec.WindowsImage, buildAccount string) []check.Check {
	ids := img.Spec.Distribution.TargetAccountIDs
	if len(ids) == 0 {
		return nil
	}
	for i, a := range ids {
		if a == buildAccount {
			return []check.Check{{Name: CheckTargetAccounts, Status: check.Fail,
				Message: fmt.Sprintf("spec.distribution.targetAccountIds[%d] %s is the build account (the credentials' account): target accounts are the other accounts Image Builder copies the AMI into", i, a),
				Fix:     fmt.Sprintf("remove %s from spec.distribution.targetAccountIds: the build account gets its AMI (and the parameter) in every distribution region without being listed", a)}}
		}
	}
	return []check.Check{{Name: CheckTargetAccounts, Status: check.Pass,
		Message: fmt.Sprintf("%d target account(s) (%s), none of them the build account %s", len(ids), strings.Join(ids, ", "), buildAccount)}}
}
