package preflight

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// EBSKeyActions are the AWS KMS actions whoever makes Amazon EBS use a KMS key (launches
// an instance with an encrypted volume, creates or copies an encrypted AMI) must be
// allowed on it: kms:CreateGrant, kms:Decrypt, kms:DescribeKey,
// kms:GenerateDataKeyWithoutPlainText and kms:ReEncrypt* (Amazon EBS User Guide,
// "Requirements for Amazon EBS encryption", Permissions for users,
// https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html).
// kms:ReEncrypt* is ReEncryptFrom and ReEncryptTo.
var EBSKeyActions = []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"}

// verdict is what a key policy and the key's grants say of one principal and action.
type verdict int

const (
	// notAllowed: no statement or grant allows it (KMS denies by default), or one denies it.
	notAllowed verdict = iota
	// unknown: a statement would allow it under conditions doctor cannot decide.
	unknown
	// allowed: a statement or a grant allows it.
	allowed
)

// keyUser is a principal that makes EBS use a key, and why.
type keyUser struct {
	// ARN is the principal's role ARN; Account its account.
	ARN, Account string
	// Who names it for a message ("Image Builder's service-linked role").
	Who string
	// Why says what it does with the key ("launches the build instance …").
	Why string
	// IAMNote says which IAM policy allows the actions when the key policy delegates to
	// the principal's account.
	IAMNote string
	// Simulate: when the key policy delegates to the principal's account (the build
	// account), doctor asks IAM (SimulatePrincipalPolicy) whether the principal's own
	// policies allow the actions. Not for service-linked roles (their AWS managed policy
	// is known) nor for other accounts' roles (IAM simulates only the caller's account).
	Simulate bool
}

// keyPolicy is the part of a KMS key policy doctor reads.
type keyPolicy struct {
	Statement []keyStatement `json:"Statement"`
}

// oneOrMany is a policy element that is a string or a list of strings.
type oneOrMany []string

// UnmarshalJSON reads a string or a list of strings.
func (o *oneOrMany) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*o = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("reading a policy element: %w", err)
	}
	*o = many
	return nil
}

// keyStatement is one statement of a key policy.
type keyStatement struct {
	Sid          string                    `json:"Sid"`
	Effect       string                    `json:"Effect"`
	Principal    json.RawMessage           `json:"Principal"`
	NotPrincipal json.RawMessage           `json:"NotPrincipal"`
	Action       oneOrMany                 `json:"Action"`
	NotAction    oneOrMany                 `json:"NotAction"`
	Condition    map[string]map[string]any `json:"Condition"`
	Resource     oneOrMany                 `json:"Resource"`
}

// parseKeyPolicy reads a key policy document.
func parseKeyPolicy(doc string) (keyPolicy, error) {
	var p keyPolicy
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return p, fmt.Errorf("reading the key policy: %w", err)
	}
	return p, nil
}

// principalMatch is how a statement's Principal covers a keyUser.
type principalMatch int

const (
	noPrincipal principalMatch = iota
	// byAccount: the account ("arn:aws:iam::111122223333:root" or "111122223333"): the
	// key policy delegates to the account's IAM policies (AWS KMS Developer Guide, "Default
	// key policy", Allows access to the AWS account and enables IAM policies,
	// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
	byAccount
	// byARN: the principal itself, or "*" (then the conditions decide).
	byARN
)

// principalOf tells whether a Principal element covers u. A Principal is "*", or an
// object whose "AWS" member is a string or a list of strings (IAM User Guide, "AWS JSON
// policy elements: Principal",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
func principalOf(raw json.RawMessage, u keyUser) principalMatch {
	if len(raw) == 0 {
		return noPrincipal
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star == "*" {
			return byARN
		}
		return noPrincipal
	}
	var obj map[string]oneOrMany
	if json.Unmarshal(raw, &obj) != nil {
		return noPrincipal
	}
	best := noPrincipal
	for _, p := range obj["AWS"] {
		switch {
		case p == "*" || p == u.ARN:
			return byARN
		case p == u.Account || (strings.HasPrefix(p, "arn:") && strings.HasSuffix(p, ":iam::"+u.Account+":root")):
			best = byAccount
		}
	}
	return best
}

// actionMatches reports whether one of the statement's actions (wildcards allowed,
// case-insensitive like IAM's) covers action.
func actionMatches(actions []string, action string) bool {
	for _, a := range actions {
		if globMatch(strings.ToLower(a), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

// requestContext is the request context of an EBS use of a key by u: the values of the
// condition keys doctor knows (absent keys are not in it).
func requestContext(u keyUser, keyRegion, action string) map[string][]string {
	ctx := map[string][]string{
		// AWS KMS condition keys
		// (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html):
		// EBS calls AWS KMS on the principal's behalf through EC2 in the key's region.
		"kms:calleraccount":    {u.Account},
		"kms:viaservice":       {"ec2." + keyRegion + ".amazonaws.com"},
		"aws:principalarn":     {u.ARN},
		"aws:principalaccount": {u.Account},
	}
	if action != "kms:DescribeKey" {
		// EBS's encryption context is aws:ebs:id (the volume or snapshot id) on every
		// cryptographic operation and grant (EBS User Guide, "How Amazon EBS uses AWS
		// KMS": Encryption context).
		ctx["kms:encryptioncontextkeys"] = []string{"aws:ebs:id"}
	}
	if action == "kms:CreateGrant" {
		// EBS's grants are for an AWS resource (the volume).
		ctx["kms:grantisforawsresource"] = []string{"true"}
	}
	return ctx
}

// conditionHolds evaluates a Condition block in ctx: true, false, or unknown when it
// names a key doctor does not know. Operators follow the IAM User Guide, "IAM JSON policy
// elements: Condition operators" and "Multivalued context keys" (a key absent from the
// request makes a condition false, except with ForAllValues and …IfExists, which are
// then true).
func conditionHolds(cond map[string]map[string]any, ctx map[string][]string, known func(string) bool) verdict {
	result := allowed
	for op, kv := range cond {
		for key, raw := range kv {
			k := strings.ToLower(key)
			if !known(k) {
				result = unknown
				continue
			}
			want := values(raw)
			got, present := ctx[k]
			if !evalOperator(op, want, got, present) {
				return notAllowed
			}
		}
	}
	return result
}

// knownKeys are the condition keys conditionHolds decides.
var knownKeys = map[string]bool{"kms:calleraccount": true, "kms:viaservice": true, "aws:principalarn": true, "aws:principalaccount": true,
	"kms:encryptioncontextkeys": true, "kms:grantisforawsresource": true}

func values(raw any) []string {
	switch v := raw.(type) {
	case string:
		return []string{v}
	case bool:
		return []string{fmt.Sprint(v)}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return []string{fmt.Sprint(raw)}
}

// evalOperator applies one condition operator. A condition lists values that any one
// of may match; a multivalued key with ForAnyValue needs one of its values to match,
// with ForAllValues every one.
func evalOperator(op string, want, got []string, present bool) bool {
	set, base := "", op
	if s, b, ok := strings.Cut(op, ":"); ok {
		set, base = s, b
	}
	ifExists := strings.HasSuffix(base, "IfExists")
	base = strings.TrimSuffix(base, "IfExists")
	if !present {
		return set == "ForAllValues" || ifExists || (base == "Null" && slices.Contains(want, "true"))
	}
	if base == "Null" {
		return slices.Contains(want, "false")
	}
	// StringNotEquals, StringNotLike, ArnNotEquals, …: true when the value matches none.
	neg := strings.Contains(base, "Not")
	pos := strings.Replace(base, "Not", "", 1)
	one := func(g string) bool {
		m := false
		for _, w := range want {
			switch pos {
			case "StringEquals", "ArnEquals", "Bool":
				m = m || g == w
			case "StringEqualsIgnoreCase":
				m = m || strings.EqualFold(g, w)
			case "StringLike", "ArnLike":
				m = m || globMatch(w, g)
			}
		}
		return m != neg
	}
	switch set {
	case "ForAllValues":
		for _, g := range got {
			if !one(g) {
				return false
			}
		}
		return true
	default: // ForAnyValue, or a single-valued key
		for _, g := range got {
			if one(g) {
				return true
			}
		}
		return false
	}
}

// grant is the part of a KMS grant doctor reads.
type grant struct {
	Grantee    string
	Operations []string
}

// mayUse tells whether u may call action on the key (in keyAccount and keyRegion) under
// the key policy and grants, the way AWS KMS authorizes a request: an explicit Deny in
// the key policy wins; else an Allow of the key policy (for a statement naming the
// principal's account, only with the principal's IAM policies allowing it too) or a grant
// to the principal (AWS KMS Developer Guide, "Determining access to AWS KMS keys",
// https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html).
// via says which statement or grant decided.
//
// delegated is set when the allowing statement names the principal's account: the
// principal's IAM policies must allow the action too.
func mayUse(p keyPolicy, grants []grant, u keyUser, keyRegion, action string) (v verdict, via string, delegated bool) {
	ctx := requestContext(u, keyRegion, action)
	known := func(k string) bool { return knownKeys[k] }
	v = notAllowed
	for _, st := range p.Statement {
		if len(st.NotPrincipal) > 0 || len(st.NotAction) > 0 {
			if strings.EqualFold(st.Effect, "Allow") && v == notAllowed {
				v, via = unknown, "statement "+sidOf(st)+" (NotPrincipal/NotAction)"
			}
			continue
		}
		m := principalOf(st.Principal, u)
		if m == noPrincipal || !actionMatches(st.Action, action) {
			continue
		}
		c := conditionHolds(st.Condition, ctx, known)
		if strings.EqualFold(st.Effect, "Deny") {
			if c == allowed {
				return notAllowed, "statement " + sidOf(st) + " denies it", false
			}
			continue
		}
		switch {
		case c == allowed && m == byARN:
			v, via, delegated = allowed, "key policy statement "+sidOf(st), false
		case c == allowed && m == byAccount && v != allowed:
			v, via, delegated = allowed, "key policy statement "+sidOf(st)+" (account "+u.Account+"'s IAM policies: "+u.IAMNote+")", true
		case c == unknown && v == notAllowed:
			v, via = unknown, "key policy statement "+sidOf(st)+" (conditions doctor cannot evaluate)"
		}
	}
	if v == allowed {
		return v, via, delegated
	}
	op := strings.TrimPrefix(action, "kms:")
	for _, g := range grants {
		if g.Grantee == u.ARN && slices.Contains(g.Operations, op) {
			return allowed, "a grant", false
		}
	}
	return v, via, false
}

func sidOf(st keyStatement) string {
	if st.Sid != "" {
		return fmt.Sprintf("%q", st.Sid)
	}
	return "(no Sid)"
}

// keyPolicyStatement is the key policy statement that lets users make EBS use the key:
// the EBS actions, only through EC2 and only from the users' accounts (the shape of the
// AWS examples for service roles and EBS, e.g. Amazon ECS Developer Guide, "KMS key policy
// for EBS volumes"; kms:ViaService and kms:CallerAccount,
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html). EC2 of any
// region (StringLike ec2.*.amazonaws.com, as AWS's own AWSServiceRoleForImageBuilder policy
// writes it): a cross-region copy into a target account reads the source region's snapshot
// while EC2 of the destination region makes the copy, and AWS documents no single
// kms:ViaService value for that (Image Builder User Guide, cross-account-dist: "the image in
// the source account is decrypted and pushed to the target Region, where it is re-encrypted").
func keyPolicyStatement(users []keyUser) string {
	var arns, accounts []string
	for _, u := range users {
		if !slices.Contains(arns, u.ARN) {
			arns = append(arns, u.ARN)
		}
		if !slices.Contains(accounts, u.Account) {
			accounts = append(accounts, u.Account)
		}
	}
	sort.Strings(arns)
	sort.Strings(accounts)
	var principal, account any = arns, accounts
	if len(arns) == 1 {
		principal = arns[0]
	}
	if len(accounts) == 1 {
		account = accounts[0]
	}
	st := map[string]any{
		"Sid":       "AllowEBSUseForWinami",
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": principal},
		"Action":    []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncrypt*"},
		"Resource":  "*",
		"Condition": map[string]any{
			"StringEquals": map[string]any{"kms:CallerAccount": account},
			"StringLike":   map[string]any{"kms:ViaService": "ec2.*.amazonaws.com"},
		},
	}
	b, _ := json.Marshal(st)
	return string(b)
}

// globMatch matches s against an IAM wildcard pattern: * is any run of characters (a
// slash included), ? any one character.
func globMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globMatch(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && globMatch(pattern[1:], s[1:])
}
