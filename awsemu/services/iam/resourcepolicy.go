package iam

import (
	"strings"

	"github.com/winami/winami/awsemu"
)

// PolicyDecision is what a resource-based policy (a role's trust policy, a KMS key
// policy) says about one principal calling one action.
type PolicyDecision struct {
	// Denied: a Deny statement applies to the principal.
	Denied bool
	// Allowed: an Allow statement names the principal itself (its ARN, the role of an
	// assumed-role session, a service principal, or "*").
	Allowed bool
	// AccountAllowed: an Allow statement names the principal's account (the account id or
	// arn:aws:iam::<account>:root), which delegates the decision to that account's IAM
	// policies.
	AccountAllowed bool
}

// EvaluateResourcePolicy evaluates the resource-based policy document for principal (an IAM
// user or role ARN, an assumed-role session ARN, or a service principal such as
// imagebuilder.amazonaws.com) calling action on resource with the request context ctx
// (condition keys, case-insensitive). Conditions on keys ctx lacks do not hold, except
// …IfExists operators, as IAM evaluates them. An account principal ("111122223333" or
// "arn:aws:iam::111122223333:root") covers every principal of that account; a role ARN covers
// its sessions. The error is a malformed document.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
func EvaluateResourcePolicy(doc, principal, action, resource string, ctx map[string][]string) (PolicyDecision, error) {
	d, err := parseDocument(doc)
	if err != nil {
		return PolicyDecision{}, err
	}
	account := principalAccount(principal)
	ec := evalContext{values: contextValues{}, account: account}
	for k, v := range ctx {
		key := strings.ToLower(k)
		ec.values[key] = append(ec.values[key], v...)
	}
	var out PolicyDecision
	for _, st := range d.Statements {
		if !st.matchesAction(action) || !st.matchesResource(resource, ec) {
			continue
		}
		direct, byAccount := st.namesPrincipal(principal, account)
		if !direct && !byAccount {
			continue
		}
		if ok, _ := st.conditionsHold(ec); !ok {
			continue
		}
		switch {
		case st.Effect == "Deny":
			out.Denied = true
		case direct:
			out.Allowed = true
		default:
			out.AccountAllowed = true
		}
	}
	return out, nil
}

// principalAccount is the account of an IAM or STS principal ARN; "" for a service.
func principalAccount(principal string) string {
	parts := strings.SplitN(principal, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		return parts[4]
	}
	return ""
}

// namesPrincipal reports whether a statement's Principal names principal directly, or
// names its account (delegating to the account's IAM policies).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
func (st statement) namesPrincipal(principal, account string) (direct, byAccount bool) {
	if len(st.NotPrincipal) > 0 {
		// NotPrincipal: every principal but the ones listed (a listed account covers its
		// principals, a listed role its sessions).
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
		d, a := statement{Principal: st.NotPrincipal}.namesPrincipal(principal, account)
		return !d && !a, false
	}
	for _, p := range st.Principal["*"] {
		if p == "*" {
			return true, false
		}
	}
	for _, p := range st.Principal["Service"] {
		if p == principal {
			return true, false
		}
	}
	role := sessionRole(principal)
	for _, p := range st.Principal["AWS"] {
		switch {
		case p == "*", p == principal:
			return true, false
		case account != "" && (p == account || p == "arn:aws:iam::"+account+":root" || p == "arn:aws-us-gov:iam::"+account+":root" || p == "arn:aws-cn:iam::"+account+":root"):
			byAccount = true
		case role != "" && principalAccount(p) == account && strings.Contains(p, ":role/") && p[strings.LastIndexByte(p, '/')+1:] == role:
			// A role ARN covers the role's sessions.
			return true, false
		}
	}
	return false, byAccount
}

// sessionRole is the role name of an assumed-role session ARN
// (arn:aws:sts::<account>:assumed-role/<role>/<session>), "" for any other principal.
func sessionRole(principal string) string {
	parts := strings.SplitN(principal, ":", 6)
	if len(parts) != 6 || parts[2] != "sts" || !strings.HasPrefix(parts[5], "assumed-role/") {
		return ""
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(parts[5], "assumed-role/"), "/")
	return name
}

// AssumeRoleTrust implements awsemu.IAMStore: the role (name or ARN) of this account, and
// whether its trust policy lets principal call sts:AssumeRole with the request context ctx
// (sts:ExternalId, sts:RoleSessionName, aws:PrincipalAccount…).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy
func (s *Service) AssumeRoleTrust(roleNameOrARN, principal string, ctx map[string][]string) (awsemu.AssumableRole, bool) {
	s.mu.RLock()
	r := s.roleByNameOrARN(roleNameOrARN)
	var out awsemu.AssumableRole
	var doc string
	if r != nil {
		out = awsemu.AssumableRole{ARN: s.arn("role", r.path, r.name), ID: r.id, MaxSessionDuration: r.maxSession}
		doc = r.assume
	}
	s.mu.RUnlock()
	if r == nil {
		return out, false
	}
	full := map[string][]string{"aws:PrincipalArn": {principal}, "aws:PrincipalAccount": {principalAccount(principal)}}
	for k, v := range ctx {
		full[k] = v
	}
	d, err := EvaluateResourcePolicy(doc, principal, "sts:AssumeRole", out.ARN, full)
	if err == nil && !d.Denied {
		out.Trusted, out.ByAccount = d.Allowed || d.AccountAllowed, !d.Allowed && d.AccountAllowed
	}
	return out, true
}

// PolicyPrincipals lists the AWS principals (account ids, root, user, role and session ARNs)
// a resource-based policy's Principal and NotPrincipal elements name.
func PolicyPrincipals(doc string) ([]string, error) {
	d, err := parseDocument(doc)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, st := range d.Statements {
		out = append(out, st.Principal["AWS"]...)
		out = append(out, st.NotPrincipal["AWS"]...)
	}
	return out, nil
}

// PrincipalExists implements the check KMS (and other resource policies) make on the
// principals a policy names: a user or role ARN of this account must exist. Other ARNs
// (root, sessions, other accounts) are not checked here.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
func (s *Service) PrincipalExists(arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" || parts[4] != s.srv.Account {
		return true
	}
	kind, rest, _ := strings.Cut(parts[5], "/")
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch kind {
	case "role":
		return s.roleByNameOrARN(arn) != nil
	case "user":
		u := s.users[name]
		return u != nil && "user"+u.path+u.name == parts[5]
	}
	return true
}
