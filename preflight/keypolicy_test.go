package preflight

import (
	"encoding/json"
	"strings"
	"testing"
)

var (
	slr    = keyUser{ARN: "arn:aws:iam::123456789012:role/" + ImageBuilderServiceLinkedRole, Account: "123456789012", Who: "slr", IAMNote: "managed policy"}
	target = keyUser{ARN: "arn:aws:iam::210987654321:role/EC2ImageBuilderDistributionCrossAccountRole", Account: "210987654321", Who: "target", IAMNote: "inline policy"}
)

func mustPolicy(t *testing.T, doc string) keyPolicy {
	t.Helper()
	p, err := parseKeyPolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// verdicts evaluates every EBS action for u.
func verdicts(p keyPolicy, grants []grant, u keyUser, region string) map[string]verdict {
	out := map[string]verdict{}
	for _, a := range EBSKeyActions {
		out[a], _, _ = mayUse(p, grants, u, region, a)
	}
	return out
}

func all(vs map[string]verdict, want verdict) bool {
	for _, v := range vs {
		if v != want {
			return false
		}
	}
	return true
}

const defaultKeyPolicy = `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow",
 "Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`

func TestKeyPolicyDefaultDelegatesToTheAccountOnly(t *testing.T) {
	p := mustPolicy(t, defaultKeyPolicy)
	if vs := verdicts(p, nil, slr, "us-east-1"); !all(vs, allowed) {
		t.Errorf("the default key policy delegates to the account's IAM, whose AWSServiceRoleForImageBuilder allows EBS use: %v", vs)
	}
	if _, via, _ := mayUse(p, nil, slr, "us-east-1", "kms:Decrypt"); !strings.Contains(via, "IAM policies") {
		t.Errorf("via = %q, want the delegation named", via)
	}
	if vs := verdicts(p, nil, target, "us-east-1"); !all(vs, notAllowed) {
		t.Errorf("another account is not in the default key policy: %v", vs)
	}
}

func TestKeyPolicyExplicitPrincipalsConditionsAndGrants(t *testing.T) {
	admin := `{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/KeyAdmin"},"Action":"kms:*","Resource":"*"}`
	only := mustPolicy(t, `{"Statement":[`+admin+`]}`)
	if vs := verdicts(only, nil, slr, "us-east-1"); !all(vs, notAllowed) {
		t.Errorf("a policy naming only the key admin lets the service-linked role nothing: %v", vs)
	}
	// A grant to the role for every EBS operation is enough.
	g := []grant{{Grantee: slr.ARN, Operations: []string{"CreateGrant", "Decrypt", "DescribeKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo"}}}
	if vs := verdicts(only, g, slr, "us-east-1"); !all(vs, allowed) {
		t.Errorf("grants: %v", vs)
	}
	if v, _, _ := mayUse(only, []grant{{Grantee: slr.ARN, Operations: []string{"Decrypt"}}}, slr, "us-east-1", "kms:CreateGrant"); v != notAllowed {
		t.Error("a grant of Decrypt allowed CreateGrant")
	}

	// Principal "*" narrowed by kms:CallerAccount and kms:ViaService (the AWS example
	// shape): the target account through EC2 in the key's region only.
	star := `{"Sid":"EBS","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Decrypt","kms:DescribeKey","kms:GenerateDataKey*","kms:ReEncrypt*","kms:CreateGrant"],"Resource":"*",
	  "Condition":{"StringEquals":{"kms:CallerAccount":"210987654321","kms:ViaService":"ec2.us-east-1.amazonaws.com"}}}`
	p := mustPolicy(t, `{"Statement":[`+admin+`,`+star+`]}`)
	if vs := verdicts(p, nil, target, "us-east-1"); !all(vs, allowed) {
		t.Errorf("CallerAccount + ViaService in the key's region: %v", vs)
	}
	if vs := verdicts(p, nil, target, "us-west-2"); !all(vs, notAllowed) {
		t.Errorf("ViaService of another region must not match: %v", vs)
	}
	if vs := verdicts(p, nil, slr, "us-east-1"); !all(vs, notAllowed) {
		t.Errorf("CallerAccount of another account must not match: %v", vs)
	}

	// kms:GrantIsForAWSResource is in the context of CreateGrant only: a statement
	// conditioned on it allows CreateGrant and nothing else.
	grantOnly := mustPolicy(t, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"`+slr.ARN+`"},"Action":["kms:CreateGrant","kms:Decrypt"],"Resource":"*",
	  "Condition":{"Bool":{"kms:GrantIsForAWSResource":true}}}]}`)
	if v, _, _ := mayUse(grantOnly, nil, slr, "us-east-1", "kms:CreateGrant"); v != allowed {
		t.Error("CreateGrant for an AWS resource not allowed")
	}
	if v, _, _ := mayUse(grantOnly, nil, slr, "us-east-1", "kms:Decrypt"); v != notAllowed {
		t.Error("Decrypt allowed under kms:GrantIsForAWSResource, a key absent from its context")
	}

	// An explicit Deny wins over the delegation.
	deny := mustPolicy(t, `{"Statement":[{"Sid":"root","Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"kms:*","Resource":"*"},
	  {"Sid":"NoGrants","Effect":"Deny","Principal":"*","Action":"kms:CreateGrant","Resource":"*"}]}`)
	if v, via, _ := mayUse(deny, nil, slr, "us-east-1", "kms:CreateGrant"); v != notAllowed || !strings.Contains(via, "NoGrants") {
		t.Errorf("Deny: %v %q", v, via)
	}
	if v, _, _ := mayUse(deny, nil, slr, "us-east-1", "kms:Decrypt"); v != allowed {
		t.Error("the Deny of CreateGrant denied Decrypt")
	}

	// A condition doctor cannot decide makes the answer unknown, not allowed.
	org := mustPolicy(t, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}`)
	if vs := verdicts(org, nil, target, "us-east-1"); !all(vs, unknown) {
		t.Errorf("aws:PrincipalOrgID: %v", vs)
	}
}

// The statement doctor tells the user to add is enough: added to a policy that lets
// the users nothing, it lets them every EBS action through EC2 of any region (a
// cross-region copy into a target account reads the source region's snapshot while EC2
// of the destination region copies it), and lets no other principal do anything.
func TestKeyPolicyStatementFixesWhatIsMissing(t *testing.T) {
	users := []keyUser{slr, target}
	stmt := keyPolicyStatement(users)
	var parsed map[string]any
	if err := json.Unmarshal([]byte(stmt), &parsed); err != nil {
		t.Fatalf("the fix is not JSON: %v\n%s", err, stmt)
	}
	p := mustPolicy(t, `{"Statement":[{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/KeyAdmin"},"Action":"kms:*","Resource":"*"},`+stmt+`]}`)
	for _, u := range users {
		if vs := verdicts(p, nil, u, "us-west-2"); !all(vs, allowed) {
			t.Errorf("%s after the fix: %v\n%s", u.Who, vs, stmt)
		}
		if vs := verdicts(p, nil, u, "us-east-1"); !all(vs, allowed) {
			t.Errorf("%s: the fix does not allow use through EC2 of another region (a cross-region copy): %v", u.Who, vs)
		}
	}
	other := keyUser{ARN: "arn:aws:iam::999988887777:role/EC2ImageBuilderDistributionCrossAccountRole", Account: "999988887777", Who: "other"}
	if vs := verdicts(p, nil, other, "us-west-2"); !all(vs, notAllowed) {
		t.Errorf("the fix lets a principal it does not name use the key: %v\n%s", vs, stmt)
	}
	if !strings.Contains(stmt, `"StringLike":{"kms:ViaService":"ec2.*.amazonaws.com"}`) {
		t.Errorf("the fix does not limit use to EC2: %s", stmt)
	}
	if !strings.Contains(stmt, `"kms:ReEncrypt*"`) || !strings.Contains(stmt, `"kms:GenerateDataKeyWithoutPlaintext"`) {
		t.Errorf("statement %s", stmt)
	}
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		ok   bool
	}{{"kms:*", "kms:decrypt", true}, {"kms:reencrypt*", "kms:reencryptfrom", true}, {"kms:generatedatakey*", "kms:describekey", false},
		{"arn:aws:iam::*:role/*", "arn:aws:iam::1:role/aws-service-role/x/y", true}, {"ec2.*.amazonaws.com", "ec2.us-east-1.amazonaws.com", true}, {"a?c", "abc", true}, {"a?c", "ac", false}} {
		if globMatch(c.p, c.s) != c.ok {
			t.Errorf("globMatch(%q, %q) != %v", c.p, c.s, c.ok)
		}
	}
}

// A key policy that names the target account (its root) delegates to that account's IAM:
// allowed for the key policy, and said to depend on the role's own policies.
func TestKeyPolicyDelegatesToTheTargetAccount(t *testing.T) {
	p := mustPolicy(t, `{"Statement":[{"Sid":"TargetAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},
	  "Action":["kms:Decrypt","kms:DescribeKey","kms:GenerateDataKeyWithoutPlaintext","kms:ReEncrypt*","kms:CreateGrant"],"Resource":"*"}]}`)
	for _, a := range EBSKeyActions {
		v, via, delegated := mayUse(p, nil, target, "us-east-1", a)
		if v != allowed || !delegated || !strings.Contains(via, "account 210987654321's IAM policies: inline policy") {
			t.Errorf("%s: %v %q %v", a, v, via, delegated)
		}
	}
	if vs := verdicts(p, nil, slr, "us-east-1"); !all(vs, notAllowed) {
		t.Errorf("the build account is not named: %v", vs)
	}
}
