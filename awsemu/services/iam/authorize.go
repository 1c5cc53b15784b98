package iam

import (
	"strings"

	"github.com/winami/winami/awsemu"
)

// The awsemu.IAMStore checks other services make: what a principal's identity-based
// policies allow (the evaluator SimulatePrincipalPolicy uses), and whether a role trusts
// a service.

// Authorize implements awsemu.IAMStore: it evaluates action on resource for the user or
// role principalARN (its attached and inline policies) with the request context ctx (keys
// are case-insensitive), as IAM does: an explicit Deny wins, then an Allow, else the
// implicit deny. A principal that does not exist is denied. reason is "" when allowed,
// else the refusal in the wording of IAM's AccessDenied messages:
// "User: <principal> is not authorized to perform: <action> on resource: <resource>
// because no identity-based policy allows the <action> action" (or "with an explicit deny
// in an identity-based policy").
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
func (s *Service) Authorize(principalARN, action, resource string, ctx map[string][]string) (bool, string) {
	ec := evalContext{values: contextValues{}, account: s.srv.Account}
	for k, v := range ctx {
		key := strings.ToLower(k)
		ec.values[key] = append(ec.values[key], v...)
	}
	// A session of a role has the role's identity-based policies.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use.html
	who := principalARN
	if role := sessionRole(principalARN); role != "" {
		who = "arn:aws:iam::" + principalAccount(principalARN) + ":role/" + role
	}
	s.mu.RLock()
	sources, e := s.principal(who)
	s.mu.RUnlock()
	head := "User: " + principalARN + " is not authorized to perform: " + action + " on resource: " + resource
	if e != nil {
		return false, head + " because the principal does not exist (" + e.message + ")"
	}
	switch decision, _, _ := decide(sources, action, resource, ec); decision {
	case "allowed":
		return true, ""
	case "explicitDeny":
		return false, head + " with an explicit deny in an identity-based policy"
	}
	return false, head + " because no identity-based policy allows the " + action + " action"
}

// roleByNameOrARN finds a role by name or ARN (arn:aws:iam::<account>:role/<path><name>).
// Callers hold s.mu.
func (s *Service) roleByNameOrARN(nameOrARN string) *role {
	name := nameOrARN
	if strings.HasPrefix(nameOrARN, "arn:") {
		parts := strings.SplitN(nameOrARN, ":", 6)
		if len(parts) != 6 || parts[2] != "iam" || parts[4] != s.srv.Account || !strings.HasPrefix(parts[5], "role/") {
			return nil
		}
		res := strings.TrimPrefix(parts[5], "role")
		i := strings.LastIndexByte(res, '/')
		r := s.roles[res[i+1:]]
		if r == nil || r.path+r.name != res {
			return nil
		}
		return r
	}
	return s.roles[name]
}

// RoleARN implements awsemu.IAMStore: the ARN of a role given by name or ARN, with its path.
func (s *Service) RoleARN(nameOrARN string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.roleByNameOrARN(nameOrARN)
	if r == nil {
		return "", false
	}
	return s.arn("role", r.path, r.name), true
}

// RoleTrusts implements awsemu.IAMStore: whether the role (name or ARN) exists, and whether
// its trust policy lets the service principal (imagebuilder.amazonaws.com) assume it: an
// Allow statement for sts:AssumeRole naming the service (or "*"), not overridden by a
// Deny. Conditions on aws:SourceAccount are checked against the account; conditions on
// other keys (aws:SourceArn, …) are taken as holding (DIFFERENCES.md).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-services
func (s *Service) RoleTrusts(nameOrARN, service string) (exists, trusted bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.roleByNameOrARN(nameOrARN)
	if r == nil {
		return false, false
	}
	d, err := parseDocument(r.assume)
	if err != nil {
		return true, false
	}
	ec := evalContext{values: contextValues{"aws:sourceaccount": {s.srv.Account}}, account: s.srv.Account, lenient: true}
	allowed := false
	for _, st := range d.Statements {
		if !st.matchesAction("sts:AssumeRole") || !st.namesService(service) {
			continue
		}
		if ok, _ := st.conditionsHold(ec); !ok {
			continue
		}
		if st.Effect == "Deny" {
			return true, false
		}
		allowed = true
	}
	return true, allowed
}

// namesService reports whether a trust statement's Principal covers a service principal.
func (st statement) namesService(service string) bool {
	for _, p := range st.Principal["*"] {
		if p == "*" {
			return true
		}
	}
	for _, p := range st.Principal["Service"] {
		if p == service {
			return true
		}
	}
	for _, p := range st.Principal["AWS"] {
		if p == "*" {
			return true
		}
	}
	return false
}

var _ awsemu.IAMStore = (*Service)(nil)
