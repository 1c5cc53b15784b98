package iam_test

import (
	"testing"

	"github.com/winami/winami/awsemu/services/iam"
)

func TestEvaluateResourcePolicy(t *testing.T) {
	const doc = `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
	 {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:role/path/Named"]},"Action":"kms:Decrypt","Resource":"*"},
	 {"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"kms:CreateGrant","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}},
	 {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:PutKeyPolicy","Resource":"*"}]}`
	for _, tc := range []struct {
		principal, action string
		ctx               map[string][]string
		want              iam.PolicyDecision
	}{
		{"arn:aws:iam::111122223333:user/u", "kms:Encrypt", nil, iam.PolicyDecision{AccountAllowed: true}},
		{"arn:aws:iam::444455556666:role/path/Named", "kms:Decrypt", nil, iam.PolicyDecision{Allowed: true}},
		{"arn:aws:sts::444455556666:assumed-role/Named/s", "kms:Decrypt", nil, iam.PolicyDecision{Allowed: true}},
		{"arn:aws:iam::444455556666:role/Other", "kms:Decrypt", nil, iam.PolicyDecision{}},
		{"ec2.amazonaws.com", "kms:CreateGrant", map[string][]string{"kms:CallerAccount": {"111122223333"}}, iam.PolicyDecision{Allowed: true}},
		{"ec2.amazonaws.com", "kms:CreateGrant", nil, iam.PolicyDecision{}}, // condition key absent: does not hold
		{"arn:aws:iam::444455556666:role/path/Named", "kms:PutKeyPolicy", nil, iam.PolicyDecision{Denied: true}},
		{"arn:aws:iam::111122223333:user/u", "kms:PutKeyPolicy", nil, iam.PolicyDecision{AccountAllowed: true}},
	} {
		got, err := iam.EvaluateResourcePolicy(doc, tc.principal, tc.action, "arn:aws:kms:us-east-1:111122223333:key/k", tc.ctx)
		if err != nil || got != tc.want {
			t.Errorf("%s %s: %+v %v, want %+v", tc.principal, tc.action, got, err, tc.want)
		}
	}
	if _, err := iam.EvaluateResourcePolicy(`{"Statement":[]}`, "x", "kms:Decrypt", "*", nil); err == nil {
		t.Error("an empty policy parsed")
	}
}
