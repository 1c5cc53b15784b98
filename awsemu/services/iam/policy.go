package iam

import (
	"encoding/json"
	"fmt"
	"strings"
)

// document is a parsed IAM policy document.
type document struct {
	Statements []statement
}

type statement struct {
	Sid       string
	Effect    string
	Principal principalSpec
	// NotPrincipal: the statement applies to every principal except these (resource-based
	// policies only).
	NotPrincipal principalSpec
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	Condition    map[string]map[string][]string
}

// stringOrList decodes a JSON string or array of strings.
type stringOrList []string

// UnmarshalJSON accepts "x" or ["x", "y"]; booleans and numbers (condition values such as
// AWSServiceRoleForImageBuilder's "kms:GrantIsForAWSResource": true) become their text.
func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var many []json.RawMessage
	if err := json.Unmarshal(b, &many); err != nil {
		many = []json.RawMessage{b}
	}
	out := make([]string, 0, len(many))
	for _, raw := range many {
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			out = append(out, one)
			continue
		}
		var scalar any
		if err := json.Unmarshal(raw, &scalar); err != nil {
			return fmt.Errorf("decoding %s: want a string or a list of strings", b)
		}
		switch v := scalar.(type) {
		case bool, float64:
			out = append(out, fmt.Sprint(v))
		default:
			return fmt.Errorf("decoding %s: want a string or a list of strings", b)
		}
	}
	*s = out
	return nil
}

// principalSpec is a statement's Principal: "*" or {"Service": …, "AWS": …, "Federated": …}.
type principalSpec map[string][]string

// UnmarshalJSON accepts "*" (every principal, kept under "*") or an object of lists.
func (p *principalSpec) UnmarshalJSON(b []byte) error {
	var star string
	if err := json.Unmarshal(b, &star); err == nil {
		*p = principalSpec{"*": {star}}
		return nil
	}
	var m map[string]stringOrList
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("decoding principal %s: %w", b, err)
	}
	*p = principalSpec{}
	for k, v := range m {
		(*p)[k] = v
	}
	return nil
}

type rawStatement struct {
	Sid          string                             `json:"Sid"`
	Effect       string                             `json:"Effect"`
	Principal    principalSpec                      `json:"Principal"`
	NotPrincipal principalSpec                      `json:"NotPrincipal"`
	Action       stringOrList                       `json:"Action"`
	NotAction    stringOrList                       `json:"NotAction"`
	Resource     stringOrList                       `json:"Resource"`
	NotResource  stringOrList                       `json:"NotResource"`
	Condition    map[string]map[string]stringOrList `json:"Condition"`
}

// malformed is a MalformedPolicyDocument message, worded as IAM words it.
type malformed string

// Error returns the message.
func (m malformed) Error() string { return string(m) }

// parseDocument parses a policy document; the error is IAM's MalformedPolicyDocument
// message.
func parseDocument(text string) (document, error) {
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return document{}, malformed("Syntax errors in policy.")
	}
	var stmts []rawStatement
	if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
		var one rawStatement
		if err2 := json.Unmarshal(raw.Statement, &one); err2 != nil {
			return document{}, malformed("Syntax errors in policy.")
		}
		stmts = []rawStatement{one}
	}
	if len(stmts) == 0 {
		return document{}, malformed("Policy statement must contain actions.")
	}
	var d document
	for _, r := range stmts {
		if r.Effect != "Allow" && r.Effect != "Deny" {
			return document{}, malformed("Policy statement must contain a valid Effect.")
		}
		if len(r.Action) == 0 && len(r.NotAction) == 0 {
			return document{}, malformed("Policy statement must contain actions.")
		}
		st := statement{Sid: r.Sid, Effect: r.Effect, Principal: r.Principal, NotPrincipal: r.NotPrincipal, Action: r.Action, NotAction: r.NotAction,
			Resource: r.Resource, NotResource: r.NotResource, Condition: map[string]map[string][]string{}}
		for op, m := range r.Condition {
			st.Condition[op] = map[string][]string{}
			for k, v := range m {
				st.Condition[op][k] = v
			}
		}
		d.Statements = append(d.Statements, st)
	}
	return d, nil
}

// glob matches IAM wildcards: * any run of characters, ? one character.
func glob(pattern, s string, foldCase bool) bool {
	if foldCase {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	// Not path.Match: IAM wildcards cross '/' and know no character classes.
	return wildcard(pattern, s)
}

func wildcard(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if wildcard(p, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			p, s = p[1:], s[1:]
		default:
			if s == "" || p[0] != s[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return s == ""
}

// contextValues is the request context of a simulation: key (lower case) → values.
type contextValues map[string][]string

// evalContext carries what policy variables and conditions need.
type evalContext struct {
	values  contextValues
	account string
	// lenient treats conditions on keys the context lacks as holding (trust policies,
	// whose aws:SourceArn and similar keys awsemu does not model).
	lenient bool
}

// matchesAction reports whether a statement covers action.
func (st statement) matchesAction(action string) bool {
	if len(st.NotAction) > 0 {
		for _, a := range st.NotAction {
			if glob(a, action, true) {
				return false
			}
		}
		return true
	}
	for _, a := range st.Action {
		if glob(a, action, true) {
			return true
		}
	}
	return false
}

// matchesResource reports whether a statement covers resource.
func (st statement) matchesResource(resource string, ec evalContext) bool {
	if len(st.NotResource) > 0 {
		for _, r := range st.NotResource {
			if glob(ec.substitute(r), resource, false) {
				return false
			}
		}
		return true
	}
	if len(st.Resource) == 0 {
		return true
	}
	for _, r := range st.Resource {
		if glob(ec.substitute(r), resource, false) {
			return true
		}
	}
	return false
}

// substitute replaces the policy variables the endpoint knows.
func (ec evalContext) substitute(s string) string {
	return strings.ReplaceAll(s, "${aws:PrincipalAccount}", ec.account)
}

// conditionsHold evaluates a statement's conditions; missing lists the context keys the
// evaluation needed and did not have.
func (st statement) conditionsHold(ec evalContext) (ok bool, missing []string) {
	ok = true
	for op, keys := range st.Condition {
		for key, want := range keys {
			holds, miss := evalCondition(op, key, want, ec)
			if miss {
				missing = append(missing, key)
			}
			if !holds {
				ok = false
			}
		}
	}
	return ok, missing
}

func evalCondition(op, key string, want []string, ec evalContext) (holds, missing bool) {
	base := op
	allValues := false
	switch {
	case strings.HasPrefix(base, "ForAnyValue:"):
		base = strings.TrimPrefix(base, "ForAnyValue:")
	case strings.HasPrefix(base, "ForAllValues:"):
		allValues, base = true, strings.TrimPrefix(base, "ForAllValues:")
	}
	ifExists := strings.HasSuffix(base, "IfExists")
	base = strings.TrimSuffix(base, "IfExists")
	got, present := ec.values[strings.ToLower(key)]
	if !present {
		if ifExists || allValues {
			return true, false
		}
		if base == "Null" {
			return len(want) > 0 && strings.EqualFold(want[0], "true"), false
		}
		if ec.lenient {
			return true, true
		}
		// A key missing from the request context matches nothing: the condition is false,
		// except for the negated operators (StringNotEquals, ArnNotLike, …), which hold.
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
		return strings.Contains(base, "Not") && !strings.HasPrefix(op, "ForAnyValue:"), true
	}
	if base == "Null" {
		return len(want) > 0 && strings.EqualFold(want[0], "false"), false
	}
	match := func(g string) bool {
		for _, w := range want {
			w = ec.substitute(w)
			switch base {
			case "StringEquals", "ArnEquals", "StringNotEquals", "ArnNotEquals":
				if g == w {
					return true
				}
			case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
				if strings.EqualFold(g, w) {
					return true
				}
			case "StringLike", "ArnLike", "StringNotLike", "ArnNotLike":
				if glob(w, g, false) {
					return true
				}
			case "Bool":
				if strings.EqualFold(g, w) {
					return true
				}
			default:
				return false
			}
		}
		return false
	}
	negated := strings.Contains(base, "Not")
	switch {
	case allValues:
		for _, g := range got {
			if match(g) == negated {
				return false, false
			}
		}
		return true, false
	default: // ForAnyValue and single-valued keys: any value matching is enough.
		for _, g := range got {
			if match(g) != negated {
				return true, false
			}
		}
		return false, false
	}
}

// source is one policy taking part in a simulation.
type source struct {
	id   string // SourcePolicyId
	typ  string // SourcePolicyType
	doc  document
	text string
}

// matched is a statement that decided a result.
type matched struct {
	SourcePolicyID   string `xml:"SourcePolicyId"`
	SourcePolicyType string `xml:"SourcePolicyType"`
}

// decide evaluates action on resource over the sources: an explicit Deny wins over an
// Allow, and nothing matching is the implicit deny.
func decide(sources []source, action, resource string, ec evalContext) (decision string, stmts []matched, missing []string) {
	var allows, denies []matched
	for _, src := range sources {
		for _, st := range src.doc.Statements {
			if !st.matchesAction(action) || !st.matchesResource(resource, ec) {
				continue
			}
			ok, miss := st.conditionsHold(ec)
			missing = append(missing, miss...)
			if !ok {
				continue
			}
			m := matched{SourcePolicyID: src.id, SourcePolicyType: src.typ}
			if st.Effect == "Deny" {
				denies = append(denies, m)
			} else {
				allows = append(allows, m)
			}
		}
	}
	switch {
	case len(denies) > 0:
		return "explicitDeny", denies, missing
	case len(allows) > 0:
		return "allowed", allows, missing
	}
	return "implicitDeny", nil, missing
}
