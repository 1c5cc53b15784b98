package kms

import (
	"strings"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/services/iam"
)

// Key implements awsemu.KMSStore: a key id, key ARN, alias name or alias ARN in region (an
// ARN of a peer account is resolved in that account's world), as DescribeKey resolves it.
func (s *Service) Key(region, keyID string) (awsemu.KMSKey, bool) {
	owner := s
	if strings.HasPrefix(keyID, "arn:") {
		parts := strings.SplitN(keyID, ":", 6)
		if len(parts) == 6 && parts[4] != s.srv.Account {
			peer, ok := s.srv.Peer(parts[4])
			if !ok {
				return awsemu.KMSKey{}, false
			}
			o, ok := peer.KMS.(*Service)
			if !ok {
				return awsemu.KMSKey{}, false
			}
			owner = o
		}
	}
	k := owner.resolve(region, keyID)
	if k == nil {
		return awsemu.KMSKey{}, false
	}
	owner.mu.Lock()
	defer owner.mu.Unlock()
	return awsemu.KMSKey{ARN: k.arn, ID: k.id, Account: k.account, Region: k.region, State: k.state}, true
}

// Authorize implements awsemu.KMSStore with no request context beyond kms:CallerAccount.
func (s *Service) Authorize(k awsemu.KMSKey, principalARN, action string) (bool, string) {
	return s.AuthorizeContext(k, principalARN, action, nil)
}

// AuthorizeContext implements awsemu.KMSStore: whether principalARN may call action on the
// key with the request context ctx (kms:ViaService, kms:GrantIsForAWSResource,
// kms:EncryptionContextKeys… as the service acting supplies them; kms:CallerAccount is
// added). The key is looked up in its own account's world.
func (s *Service) AuthorizeContext(k awsemu.KMSKey, principalARN, action string, ctx map[string][]string) (bool, string) {
	owner := s
	if k.Account != "" && k.Account != s.srv.Account {
		peer, ok := s.srv.Peer(k.Account)
		if !ok {
			return false, "key " + k.ARN + " does not exist"
		}
		if owner, ok = peer.KMS.(*Service); !ok {
			return false, "key " + k.ARN + " does not exist"
		}
	}
	kk := owner.resolve(k.Region, k.ARN)
	if kk == nil {
		return false, "key " + k.ARN + " does not exist"
	}
	return owner.authorize(kk, principalARN, action, ctx)
}

// evaluatePolicy evaluates a key policy for principal (through IAM's resource-policy
// evaluator).
func evaluatePolicy(policy, action, resource, principal string, ctx map[string][]string) (iam.PolicyDecision, error) {
	return iam.EvaluateResourcePolicy(policy, principal, action, resource, ctx)
}

// accountOf is the account of an IAM or STS ARN; "" for a service principal.
func accountOf(principal string) string {
	parts := strings.SplitN(principal, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		return parts[4]
	}
	return ""
}

// authorize is KMS's decision for principal calling action on k: an explicit deny in the
// key policy refuses; a grant for the principal (or its role) covering the operation
// allows; a key policy statement naming the principal allows within the key's account;
// a statement naming the principal's account (arn:aws:iam::<account>:root), or any
// statement for a principal of another account, allows only when that principal's own
// IAM policies allow the action on the key too. Unlike other resources, IAM policies
// alone never allow: the key policy must.
// https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
func (s *Service) authorize(k *key, principal, action string, ctx map[string][]string) (bool, string) {
	caller := accountOf(principal)
	full := map[string][]string{}
	if caller != "" {
		full["kms:CallerAccount"] = []string{caller}
	}
	for n, v := range ctx {
		full[n] = v
	}
	s.mu.Lock()
	policy, arn := k.policy, k.arn
	granted := false
	op := strings.TrimPrefix(action, "kms:")
	for _, g := range k.grants {
		if !granteeMatches(g.grantee, principal) {
			continue
		}
		for _, o := range g.operations {
			if o == op {
				granted = true
			}
		}
	}
	s.mu.Unlock()
	head := principal + " may not " + action + " on " + arn
	d, err := evaluatePolicy(policy, action, arn, principal, full)
	if err != nil {
		return false, head + ": the key policy does not parse"
	}
	if d.Denied {
		return false, head + ": the key policy denies it explicitly"
	}
	if granted {
		return true, ""
	}
	cross := caller != "" && caller != k.account
	if d.Allowed && !cross {
		return true, ""
	}
	if !d.Allowed && !d.AccountAllowed {
		if cross {
			return false, head + ": the key policy allows neither account " + caller + " nor the principal, and no grant does (add them to the key policy, or create a grant)"
		}
		return false, head + ": no key policy statement (nor the account's root, which enables IAM policies) and no grant allows it"
	}
	world, ok := s.srv.Peer(caller)
	if !ok || world.IAM == nil {
		return false, head + ": account " + caller + " is not served by the endpoint"
	}
	if allowed, reason := world.IAM.Authorize(principal, action, arn, full); !allowed {
		return false, head + ": the key policy delegates to IAM, and " + reason
	}
	return true, ""
}

// granteeMatches reports whether a grant's grantee covers principal: the same ARN, the
// role of an assumed-role session, or the same service principal.
// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html#terms-grantee-principal
func granteeMatches(grantee, principal string) bool {
	if grantee == principal {
		return true
	}
	parts := strings.SplitN(principal, ":", 6)
	if len(parts) != 6 || parts[2] != "sts" || !strings.HasPrefix(parts[5], "assumed-role/") {
		return false
	}
	role, _, _ := strings.Cut(strings.TrimPrefix(parts[5], "assumed-role/"), "/")
	return accountOf(grantee) == parts[4] && strings.Contains(grantee, ":role/") && grantee[strings.LastIndexByte(grantee, '/')+1:] == role
}

var _ awsemu.KMSStore = (*Service)(nil)
