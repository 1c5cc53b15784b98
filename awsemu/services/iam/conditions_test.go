package iam_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// TestConditionsOnTags: SimulatePrincipalPolicy evaluates the condition keys and
// operators the operator policy scopes tagging with as IAM does (IAM User Guide,
// "Condition operators",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html;
// "Single-valued vs. multivalued context keys" and "Multivalued context key examples",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html;
// "Policy evaluation logic",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
//   - StringEquals on a single-valued key (aws:RequestTag/…, ec2:ResourceTag/…,
//     ec2:CreateAction) is false when the request context lacks the key; values compare
//     case-sensitively, key names case-insensitively; several values are ORed, several
//     keys and operators ANDed;
//   - ForAllValues:StringLike / StringEquals on aws:TagKeys holds when every key of the
//     request matches one pattern, and also when the request has no tag keys at all;
//     ForAnyValue needs one match and is false without the key;
//   - a negated operator (StringNotLike) holds when the key is missing;
//     ForAllValues:StringNotLike holds when no key matches;
//   - Null "false" holds only when the key is present.
func TestConditionsOnTags(t *testing.T) {
	c, _ := client(t)
	const doc = `{"Version":"2012-10-17","Statement":[
	 {"Sid":"TagImages","Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*::image/*","Condition":{
	   "StringEquals":{"ec2:ResourceTag/CreatedBy":"EC2 Image Builder","ec2:ResourceTag/winami:managed-by":"winami"},
	   "ForAllValues:StringLike":{"aws:TagKeys":["winami:inputs-hash","winami:cached-images*"]}}},
	 {"Sid":"Mark","Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*::snapshot/*","Condition":{
	   "StringEquals":{"aws:RequestTag/winami:prune-pending":["a","b"]},
	   "ForAllValues:StringEquals":{"aws:TagKeys":"winami:prune-pending"}}},
	 {"Sid":"OnLaunch","Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{
	   "StringEquals":{"ec2:CreateAction":"RunInstances"}}},
	 {"Sid":"Delete","Effect":"Allow","Action":"ec2:DeleteSnapshot","Resource":"arn:aws:ec2:*::snapshot/*","Condition":{
	   "Null":{"ec2:ResourceTag/winami:prune-pending":"false"}}},
	 {"Sid":"AnyKey","Effect":"Allow","Action":"ec2:DeleteTags","Resource":"arn:aws:ec2:*::image/*","Condition":{
	   "ForAnyValue:StringEquals":{"aws:TagKeys":"scratch"}}},
	 {"Sid":"NotLike","Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:volume/*","Condition":{
	   "StringNotLike":{"aws:RequestTag/owner":"team-*"},
	   "ForAllValues:StringNotLike":{"aws:TagKeys":"winami:*"}}}]}`
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("cond"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("cond"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	str := func(k string, v ...string) types.ContextEntry {
		return types.ContextEntry{ContextKeyName: aws.String(k), ContextKeyType: types.ContextKeyTypeEnumString, ContextKeyValues: v}
	}
	keys := func(v ...string) types.ContextEntry {
		return types.ContextEntry{ContextKeyName: aws.String("aws:TagKeys"), ContextKeyType: types.ContextKeyTypeEnumStringList, ContextKeyValues: v}
	}
	const (
		image    = "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0"
		snapshot = "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0"
		instance = "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"
		volume   = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0"
	)
	ours := []types.ContextEntry{str("ec2:ResourceTag/CreatedBy", "EC2 Image Builder"), str("ec2:ResourceTag/winami:managed-by", "winami")}
	for _, tc := range []struct {
		what, action, resource string
		ctx                    []types.ContextEntry
		want                   types.PolicyEvaluationDecisionType
	}{
		{"every key matches a pattern", "ec2:CreateTags", image, append(ours, keys("winami:inputs-hash", "winami:cached-images:2")), types.PolicyEvaluationDecisionTypeAllowed},
		{"one key matches no pattern", "ec2:CreateTags", image, append(ours, keys("winami:inputs-hash", "winami:managed-by")), types.PolicyEvaluationDecisionTypeImplicitDeny},
		{"no tag keys: ForAllValues holds", "ec2:CreateTags", image, ours, types.PolicyEvaluationDecisionTypeAllowed},
		{"the resource lacks a tag StringEquals needs", "ec2:CreateTags", image, append(ours[:1:1], keys("winami:inputs-hash")), types.PolicyEvaluationDecisionTypeImplicitDeny},
		{"resource tag value differs in case", "ec2:CreateTags", image, []types.ContextEntry{str("ec2:ResourceTag/CreatedBy", "ec2 image builder"), ours[1], keys("winami:inputs-hash")}, types.PolicyEvaluationDecisionTypeImplicitDeny},
		{"key names are case-insensitive", "ec2:CreateTags", image, []types.ContextEntry{str("EC2:ResourceTag/CreatedBy", "EC2 Image Builder"), str("ec2:resourcetag/winami:managed-by", "winami"), keys("winami:inputs-hash")}, types.PolicyEvaluationDecisionTypeAllowed},
		{"request tag among the values", "ec2:CreateTags", snapshot, []types.ContextEntry{str("aws:RequestTag/winami:prune-pending", "b"), keys("winami:prune-pending")}, types.PolicyEvaluationDecisionTypeAllowed},
		{"request tag not among the values", "ec2:CreateTags", snapshot, []types.ContextEntry{str("aws:RequestTag/winami:prune-pending", "c"), keys("winami:prune-pending")}, types.PolicyEvaluationDecisionTypeImplicitDeny},
		{"a second key besides the allowed one", "ec2:CreateTags", snapshot, []types.ContextEntry{str("aws:RequestTag/winami:prune-pending", "a"), keys("winami:prune-pending", "x")}, types.PolicyEvaluationDecisionTypeImplicitDeny},
		{"no request tag", "ec2:CreateTags", snapshot, []types.ContextEntry{keys("winami:prune-pending")}, types.PolicyEvaluationDecisionTypeImplicitDeny},
		{"tagging as part of RunInstances", "ec2:CreateTags", instance, []types.ContextEntry{str("ec2:CreateAction", "RunInstances")}, types.PolicyEvaluationDecisionTypeAllowed},
		{"tagging an existing instance (no ec2:CreateAction)", "ec2:CreateTags", instance, nil, types.PolicyEvaluationDecisionTypeImplicitDeny},
		{"tagging as part of another create", "ec2:CreateTags", instance, []types.ContextEntry{str("ec2:CreateAction", "CreateVolume")}, types.PolicyEvaluationDecisionTypeImplicitDeny},
		{"Null false: the tag is there", "ec2:DeleteSnapshot", snapshot, []types.ContextEntry{str("ec2:ResourceTag/winami:prune-pending", "a")}, types.PolicyEvaluationDecisionTypeAllowed},
		{"Null false: the tag is missing", "ec2:DeleteSnapshot", snapshot, nil, types.PolicyEvaluationDecisionTypeImplicitDeny},
		{"ForAnyValue: one key matches", "ec2:DeleteTags", image, []types.ContextEntry{keys("a", "scratch")}, types.PolicyEvaluationDecisionTypeAllowed},
		{"ForAnyValue: no keys", "ec2:DeleteTags", image, nil, types.PolicyEvaluationDecisionTypeImplicitDeny},
		{"negated operators hold on missing keys", "ec2:CreateTags", volume, nil, types.PolicyEvaluationDecisionTypeAllowed},
		{"StringNotLike: value matches", "ec2:CreateTags", volume, []types.ContextEntry{str("aws:RequestTag/owner", "team-a"), keys("owner")}, types.PolicyEvaluationDecisionTypeImplicitDeny},
		{"ForAllValues:StringNotLike: one key matches", "ec2:CreateTags", volume, []types.ContextEntry{str("aws:RequestTag/owner", "me"), keys("owner", "winami:name")}, types.PolicyEvaluationDecisionTypeImplicitDeny},
		{"ForAllValues:StringNotLike: none matches", "ec2:CreateTags", volume, []types.ContextEntry{str("aws:RequestTag/owner", "me"), keys("owner", "cost")}, types.PolicyEvaluationDecisionTypeAllowed},
	} {
		out, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/cond"),
			ActionNames: []string{tc.action}, ResourceArns: []string{tc.resource}, ContextEntries: tc.ctx})
		if err != nil || len(out.EvaluationResults) != 1 {
			t.Fatalf("%s: %v %+v", tc.what, err, out)
		}
		if got := out.EvaluationResults[0].EvalDecision; got != tc.want {
			t.Errorf("%s: %s, want %s", tc.what, got, tc.want)
		}
	}
}
