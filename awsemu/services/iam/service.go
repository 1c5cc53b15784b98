package iam

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/query"
)

// Service is the IAM service of the endpoint. It is safe for concurrent use.
type Service struct {
	// Protocol answers Operation, WriteError and Throttle (awsQuery).
	query.Protocol

	srv      *awsemu.Server
	mu       sync.RWMutex
	policies map[string]*policy // by ARN
	roles    map[string]*role
	users    map[string]*user
	profiles map[string]*profile
	handlers map[string]handler
}

type handler func(v query.Values) (any, *apiError)

// New returns the IAM service with its starting world, registers it on srv and sets srv.IAM.
func New(srv *awsemu.Server) *Service {
	s := &Service{srv: srv, policies: map[string]*policy{}, roles: map[string]*role{},
		users: map[string]*user{}, profiles: map[string]*profile{}}
	s.load()
	s.handlers = map[string]handler{
		"GetInstanceProfile":            s.getInstanceProfile,
		"CreateInstanceProfile":         s.createInstanceProfile,
		"DeleteInstanceProfile":         s.deleteInstanceProfile,
		"AddRoleToInstanceProfile":      s.addRoleToInstanceProfile,
		"RemoveRoleFromInstanceProfile": s.removeRoleFromInstanceProfile,
		"GetRole":                       s.getRole,
		"CreateRole":                    s.createRole,
		"DeleteRole":                    s.deleteRole,
		"ListAttachedRolePolicies":      s.listAttachedRolePolicies,
		"AttachRolePolicy":              s.attachPolicy("role"),
		"DetachRolePolicy":              s.detachPolicy("role"),
		"PutRolePolicy":                 s.putPolicy("role"),
		"GetRolePolicy":                 s.getRolePolicy,
		"ListRolePolicies":              s.listRolePolicies,
		"DeleteRolePolicy":              s.deleteRolePolicy,
		"GetUser":                       s.getUser,
		"CreateUser":                    s.createUser,
		"AttachUserPolicy":              s.attachPolicy("user"),
		"DetachUserPolicy":              s.detachPolicy("user"),
		"ListAttachedUserPolicies":      s.listAttachedUserPolicies,
		"PutUserPolicy":                 s.putPolicy("user"),
		"CreatePolicy":                  s.createPolicy,
		"GetPolicy":                     s.getPolicy,
		"GetPolicyVersion":              s.getPolicyVersion,
		"SimulatePrincipalPolicy":       s.simulatePrincipalPolicy,
	}
	srv.Register(s)
	srv.IAM = s
	return s
}

// Name is the SigV4 signing name, "iam".
func (s *Service) Name() string { return "iam" }

// Serve answers one request.
func (s *Service) Serve(w http.ResponseWriter, r *awsemu.Request, op string) {
	v, err := query.Parse(r.Body)
	if err != nil {
		query.WriteQueryError(w, http.StatusBadRequest, "MalformedQueryString", err.Error(), r.ID)
		return
	}
	if len(v) == 0 {
		v, _ = query.Parse([]byte(r.HTTP.URL.RawQuery))
	}
	h := s.handlers[op]
	if h == nil {
		query.WriteQueryError(w, http.StatusBadRequest, "InvalidAction", "Could not find operation "+op+" for version 2010-05-08", r.ID)
		return
	}
	// GetUser without a UserName answers the calling user; a role session is no user.
	// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUser.html
	if op == "GetUser" && v.Get("UserName") == "" && strings.Contains(r.Principal, ":assumed-role/") {
		query.WriteQueryError(w, http.StatusBadRequest, "ValidationError", "Must specify userName when calling with non-User credentials", r.ID)
		return
	}
	out, e := h(v)
	if e != nil {
		query.WriteQueryError(w, e.status, e.code, e.message, r.ID)
		return
	}
	query.WriteQuery(w, op, query.IAMNamespace, r.ID, out)
}

// apiError is an IAM error answer.
type apiError struct {
	status        int
	code, message string
}

func noSuchEntity(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, "NoSuchEntity", fmt.Sprintf(format, args...)}
}

func alreadyExists(format string, args ...any) *apiError {
	return &apiError{http.StatusConflict, "EntityAlreadyExists", fmt.Sprintf(format, args...)}
}

func invalidInput(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidInput", fmt.Sprintf(format, args...)}
}

func validationError(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, args...)}
}

func required(v query.Values, key string) *apiError {
	if v.Get(key) == "" {
		lower := strings.ToLower(key[:1]) + key[1:]
		return validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lower)
	}
	return nil
}

// encodeDocument percent-encodes a policy document as IAM returns it (RFC 3986: only
// unreserved characters stay), which both url.QueryUnescape and Python's unquote undo.
func encodeDocument(doc string) string {
	var b strings.Builder
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// nameAndPath reads a create call's required name (parameter key) and its Path.
func nameAndPath(v query.Values, key string) (name, path string, e *apiError) {
	if e := required(v, key); e != nil {
		return "", "", e
	}
	if path, e = normPath(v.Get("Path")); e != nil {
		return "", "", e
	}
	return v.Get(key), path, nil
}

func normPath(p string) (string, *apiError) {
	if p == "" {
		return "/", nil
	}
	if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") {
		return "", validationError("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	return p, nil
}

// Wire shapes.

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type roleXML struct {
	Path                     string                 `xml:"Path"`
	RoleName                 string                 `xml:"RoleName"`
	RoleID                   string                 `xml:"RoleId"`
	Arn                      string                 `xml:"Arn"`
	CreateDate               string                 `xml:"CreateDate"`
	AssumeRolePolicyDocument string                 `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string                 `xml:"Description,omitempty"`
	MaxSessionDuration       int                    `xml:"MaxSessionDuration,omitempty"`
	Tags                     *query.Members[tagXML] `xml:"Tags,omitempty"`
}

func (s *Service) roleOut(r *role) roleXML {
	out := roleXML{Path: r.path, RoleName: r.name, RoleID: r.id, Arn: s.arn("role", r.path, r.name),
		CreateDate: query.Time(r.created), AssumeRolePolicyDocument: encodeDocument(r.assume),
		Description: r.description, MaxSessionDuration: r.maxSession}
	if len(r.tags) > 0 {
		out.Tags = &query.Members[tagXML]{}
		for _, t := range r.tags {
			out.Tags.Members = append(out.Tags.Members, tagXML{t[0], t[1]})
		}
	}
	return out
}

type profileXML struct {
	Path                string                 `xml:"Path"`
	InstanceProfileName string                 `xml:"InstanceProfileName"`
	InstanceProfileID   string                 `xml:"InstanceProfileId"`
	Arn                 string                 `xml:"Arn"`
	CreateDate          string                 `xml:"CreateDate"`
	Roles               query.Members[roleXML] `xml:"Roles"`
}

func (s *Service) profileOut(p *profile) profileXML {
	out := profileXML{Path: p.path, InstanceProfileName: p.name, InstanceProfileID: p.id,
		Arn: s.arn("instance-profile", p.path, p.name), CreateDate: query.Time(p.created)}
	for _, rn := range p.roles {
		if r := s.roles[rn]; r != nil {
			out.Roles.Members = append(out.Roles.Members, s.roleOut(r))
		}
	}
	return out
}

type userXML struct {
	Path       string `xml:"Path"`
	UserName   string `xml:"UserName"`
	UserID     string `xml:"UserId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

func (s *Service) userOut(u *user) userXML {
	return userXML{Path: u.path, UserName: u.name, UserID: s.userID(u), Arn: s.arn("user", u.path, u.name), CreateDate: query.Time(u.created)}
}

type policyXML struct {
	PolicyName       string `xml:"PolicyName"`
	PolicyID         string `xml:"PolicyId"`
	Arn              string `xml:"Arn"`
	Path             string `xml:"Path"`
	DefaultVersionID string `xml:"DefaultVersionId"`
	AttachmentCount  int    `xml:"AttachmentCount"`
	IsAttachable     bool   `xml:"IsAttachable"`
	Description      string `xml:"Description,omitempty"`
	CreateDate       string `xml:"CreateDate"`
	UpdateDate       string `xml:"UpdateDate"`
}

func policyOut(p *policy) policyXML {
	return policyXML{PolicyName: p.name, PolicyID: p.id, Arn: p.arn, Path: p.path, DefaultVersionID: p.versionID,
		AttachmentCount: p.attachments, IsAttachable: true, Description: p.description,
		CreateDate: query.Time(p.created), UpdateDate: query.Time(p.updated)}
}

type attachedXML struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

// page cuts a list by Marker (an offset) and MaxItems (default 100).
func page[T any](v query.Values, items []T) ([]T, bool, string, *apiError) {
	off := 0
	if m := v.Get("Marker"); m != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(m, "awsemu-"))
		if err != nil || n < 0 || !strings.HasPrefix(m, "awsemu-") {
			return nil, false, "", invalidInput("Invalid Marker.")
		}
		off = n
	}
	max := 100
	if n, ok, err := v.Int("MaxItems"); err != nil {
		return nil, false, "", validationError("1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must be a number")
	} else if ok {
		if n < 1 || n > 1000 {
			return nil, false, "", validationError("1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", n)
		}
		max = int(n)
	}
	if off > len(items) {
		off = len(items)
	}
	end := off + max
	if end >= len(items) {
		return items[off:], false, "", nil
	}
	return items[off:end], true, "awsemu-" + strconv.Itoa(end), nil
}

type attachedList struct {
	AttachedPolicies query.Members[attachedXML] `xml:"AttachedPolicies"`
	IsTruncated      bool                       `xml:"IsTruncated"`
	Marker           string                     `xml:"Marker,omitempty"`
}

func (s *Service) attachedOut(v query.Values, arns []string) (any, *apiError) {
	prefix := v.Get("PathPrefix")
	var all []attachedXML
	for _, a := range arns {
		p := s.policies[a]
		if prefix != "" && !strings.HasPrefix(p.path, prefix) {
			continue
		}
		all = append(all, attachedXML{PolicyName: p.name, PolicyArn: p.arn})
	}
	items, trunc, marker, e := page(v, all)
	if e != nil {
		return nil, e
	}
	return attachedList{AttachedPolicies: query.Members[attachedXML]{Members: items}, IsTruncated: trunc, Marker: marker}, nil
}

// Handlers.

func (s *Service) getInstanceProfile(v query.Values) (any, *apiError) {
	if e := required(v, "InstanceProfileName"); e != nil {
		return nil, e
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, e := s.profile(v.Get("InstanceProfileName"))
	if e != nil {
		return nil, e
	}
	return struct {
		InstanceProfile profileXML `xml:"InstanceProfile"`
	}{s.profileOut(p)}, nil
}

func (s *Service) createInstanceProfile(v query.Values) (any, *apiError) {
	name, path, e := nameAndPath(v, "InstanceProfileName")
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.profiles[name] != nil {
		return nil, alreadyExists("Instance Profile %s already exists.", name)
	}
	p := &profile{name: name, path: path, id: awsemu.UniqueID("AIPA", s.srv.Account+"/instance-profile/"+name), created: s.srv.Clock.Now().UTC()}
	s.profiles[name] = p
	return struct {
		InstanceProfile profileXML `xml:"InstanceProfile"`
	}{s.profileOut(p)}, nil
}

func (s *Service) deleteInstanceProfile(v query.Values) (any, *apiError) {
	name := v.Get("InstanceProfileName")
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.profile(name)
	if e != nil {
		return nil, e
	}
	if len(p.roles) > 0 {
		return nil, &apiError{http.StatusConflict, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first."}
	}
	delete(s.profiles, name)
	return nil, nil
}

func (s *Service) addRoleToInstanceProfile(v query.Values) (any, *apiError) {
	pn, rn := v.Get("InstanceProfileName"), v.Get("RoleName")
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.profile(pn)
	if e != nil {
		return nil, e
	}
	if _, e := s.role(rn); e != nil {
		return nil, e
	}
	if len(p.roles) > 0 {
		return nil, &apiError{http.StatusConflict, "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"}
	}
	p.roles = append(p.roles, rn)
	return nil, nil
}

func (s *Service) removeRoleFromInstanceProfile(v query.Values) (any, *apiError) {
	pn, rn := v.Get("InstanceProfileName"), v.Get("RoleName")
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.profile(pn)
	if e != nil {
		return nil, e
	}
	for i, r := range p.roles {
		if r == rn {
			p.roles = append(p.roles[:i], p.roles[i+1:]...)
			return nil, nil
		}
	}
	return nil, noSuchEntity("The role with name %s cannot be found.", rn)
}

func (s *Service) getRole(v query.Values) (any, *apiError) {
	if e := required(v, "RoleName"); e != nil {
		return nil, e
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, e := s.role(v.Get("RoleName"))
	if e != nil {
		return nil, e
	}
	return struct {
		Role roleXML `xml:"Role"`
	}{s.roleOut(r)}, nil
}

func (s *Service) createRole(v query.Values) (any, *apiError) {
	for _, k := range []string{"RoleName", "AssumeRolePolicyDocument"} {
		if e := required(v, k); e != nil {
			return nil, e
		}
	}
	path, e := normPath(v.Get("Path"))
	if e != nil {
		return nil, e
	}
	if _, err := parseDocument(v.Get("AssumeRolePolicyDocument")); err != nil {
		return nil, &apiError{http.StatusBadRequest, "MalformedPolicyDocument", err.Error()}
	}
	max := 3600
	if n, ok, _ := v.Int("MaxSessionDuration"); ok {
		max = int(n)
	}
	name := v.Get("RoleName")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.roles[name] != nil {
		return nil, alreadyExists("Role with name %s already exists.", name)
	}
	r := &role{name: name, path: path, id: awsemu.UniqueID("AROA", s.srv.Account+"/role/"+name),
		assume: v.Get("AssumeRolePolicyDocument"), description: v.Get("Description"), maxSession: max,
		created: s.srv.Clock.Now().UTC(), holder: holder{inline: map[string]string{}}}
	for _, t := range v.Structs("Tags.member") {
		r.tags = append(r.tags, [2]string{t.Get("Key"), t.Get("Value")})
	}
	s.roles[name] = r
	return struct {
		Role roleXML `xml:"Role"`
	}{s.roleOut(r)}, nil
}

func (s *Service) deleteRole(v query.Values) (any, *apiError) {
	name := v.Get("RoleName")
	s.mu.Lock()
	defer s.mu.Unlock()
	r, e := s.role(name)
	if e != nil {
		return nil, e
	}
	if e := s.protected("role", name); e != nil {
		return nil, e
	}
	for _, p := range s.profiles {
		for _, rn := range p.roles {
			if rn == name {
				return nil, &apiError{http.StatusConflict, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first."}
			}
		}
	}
	if len(r.attached) > 0 {
		return nil, &apiError{http.StatusConflict, "DeleteConflict", "Cannot delete entity, must detach all policies first."}
	}
	if len(r.inline) > 0 {
		return nil, &apiError{http.StatusConflict, "DeleteConflict", "Cannot delete entity, must delete policies first."}
	}
	delete(s.roles, name)
	return nil, nil
}

func (s *Service) listAttachedRolePolicies(v query.Values) (any, *apiError) {
	if e := required(v, "RoleName"); e != nil {
		return nil, e
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, e := s.holderOf("role", v.Get("RoleName"))
	if e != nil {
		return nil, e
	}
	return s.attachedOut(v, r.attached)
}

// attach adds a policy ARN to a list once. Callers hold s.mu.
func (s *Service) attach(list *[]string, arn string) *apiError {
	p := s.policies[arn]
	if p == nil {
		return noSuchEntity("Policy %s does not exist or is not attachable.", arn)
	}
	for _, a := range *list {
		if a == arn {
			return nil
		}
	}
	*list = append(*list, arn)
	p.attachments++
	return nil
}

func (s *Service) detach(list *[]string, arn string) *apiError {
	for i, a := range *list {
		if a == arn {
			*list = append((*list)[:i], (*list)[i+1:]...)
			if p := s.policies[arn]; p != nil {
				p.attachments--
			}
			return nil
		}
	}
	return noSuchEntity("Policy %s was not found.", arn)
}

// protected refuses changes to a service-linked role (path /aws-service-role/): only AWS
// modifies those. Callers hold s.mu.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html
func (s *Service) protected(kind, name string) *apiError {
	if r := s.roles[name]; kind == "role" && r != nil && strings.HasPrefix(r.path, "/aws-service-role/") {
		return &apiError{http.StatusBadRequest, "UnmodifiableEntity",
			fmt.Sprintf("Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", name)}
	}
	return nil
}

// attachPolicy is AttachRolePolicy (kind "role") or AttachUserPolicy (kind "user"). A
// service-linked role's policy (path /aws-service-role/) cannot be attached to users,
// groups or roles of the account.
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSServiceRoleForImageBuilder.html
func (s *Service) attachPolicy(kind string) handler {
	return func(v query.Values) (any, *apiError) {
		s.mu.Lock()
		defer s.mu.Unlock()
		h, e := s.holderOf(kind, v.Get(nameParam(kind)))
		if e != nil {
			return nil, e
		}
		if e := s.protected(kind, v.Get(nameParam(kind))); e != nil {
			return nil, e
		}
		if p := s.policies[v.Get("PolicyArn")]; p != nil && strings.HasPrefix(p.path, "/aws-service-role/") {
			return nil, &apiError{http.StatusBadRequest, "PolicyNotAttachable", "Cannot attach a Service Role Policy to a Customer Role."}
		}
		return nil, s.attach(&h.attached, v.Get("PolicyArn"))
	}
}

// detachPolicy is DetachRolePolicy (kind "role") or DetachUserPolicy (kind "user").
func (s *Service) detachPolicy(kind string) handler {
	return func(v query.Values) (any, *apiError) {
		s.mu.Lock()
		defer s.mu.Unlock()
		h, e := s.holderOf(kind, v.Get(nameParam(kind)))
		if e != nil {
			return nil, e
		}
		if e := s.protected(kind, v.Get(nameParam(kind))); e != nil {
			return nil, e
		}
		return nil, s.detach(&h.attached, v.Get("PolicyArn"))
	}
}

// putPolicy is PutRolePolicy (kind "role") or PutUserPolicy (kind "user").
func (s *Service) putPolicy(kind string) handler {
	return func(v query.Values) (any, *apiError) {
		for _, k := range []string{nameParam(kind), "PolicyName", "PolicyDocument"} {
			if e := required(v, k); e != nil {
				return nil, e
			}
		}
		if _, err := parseDocument(v.Get("PolicyDocument")); err != nil {
			return nil, &apiError{http.StatusBadRequest, "MalformedPolicyDocument", err.Error()}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		h, e := s.holderOf(kind, v.Get(nameParam(kind)))
		if e != nil {
			return nil, e
		}
		if e := s.protected(kind, v.Get(nameParam(kind))); e != nil {
			return nil, e
		}
		h.inline[v.Get("PolicyName")] = v.Get("PolicyDocument")
		return nil, nil
	}
}

func (s *Service) getRolePolicy(v query.Values) (any, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, e := s.holderOf("role", v.Get("RoleName"))
	if e != nil {
		return nil, e
	}
	doc, ok := r.inline[v.Get("PolicyName")]
	if !ok {
		return nil, noSuchEntity("The role policy with name %s cannot be found.", v.Get("PolicyName"))
	}
	return struct {
		RoleName       string `xml:"RoleName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{v.Get("RoleName"), v.Get("PolicyName"), encodeDocument(doc)}, nil
}

func (s *Service) listRolePolicies(v query.Values) (any, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, e := s.holderOf("role", v.Get("RoleName"))
	if e != nil {
		return nil, e
	}
	names := make([]string, 0, len(r.inline))
	for n := range r.inline {
		names = append(names, n)
	}
	sort.Strings(names)
	items, trunc, marker, e := page(v, names)
	if e != nil {
		return nil, e
	}
	return struct {
		PolicyNames query.Members[string] `xml:"PolicyNames"`
		IsTruncated bool                  `xml:"IsTruncated"`
		Marker      string                `xml:"Marker,omitempty"`
	}{query.Members[string]{Members: items}, trunc, marker}, nil
}

func (s *Service) deleteRolePolicy(v query.Values) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, e := s.holderOf("role", v.Get("RoleName"))
	if e != nil {
		return nil, e
	}
	if _, ok := r.inline[v.Get("PolicyName")]; !ok {
		return nil, noSuchEntity("The role policy with name %s cannot be found.", v.Get("PolicyName"))
	}
	delete(r.inline, v.Get("PolicyName"))
	return nil, nil
}

func (s *Service) getUser(v query.Values) (any, *apiError) {
	name := v.Get("UserName")
	if name == "" {
		name = awsemu.CallerUserName
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, e := s.user(name)
	if e != nil {
		return nil, e
	}
	return struct {
		User userXML `xml:"User"`
	}{s.userOut(u)}, nil
}

func (s *Service) createUser(v query.Values) (any, *apiError) {
	name, path, e := nameAndPath(v, "UserName")
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[name] != nil {
		return nil, alreadyExists("User with name %s already exists.", name)
	}
	u := &user{name: name, path: path, created: s.srv.Clock.Now().UTC(), holder: holder{inline: map[string]string{}}}
	s.users[name] = u
	return struct {
		User userXML `xml:"User"`
	}{s.userOut(u)}, nil
}

func (s *Service) listAttachedUserPolicies(v query.Values) (any, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, e := s.holderOf("user", v.Get("UserName"))
	if e != nil {
		return nil, e
	}
	return s.attachedOut(v, u.attached)
}

func (s *Service) createPolicy(v query.Values) (any, *apiError) {
	for _, k := range []string{"PolicyName", "PolicyDocument"} {
		if e := required(v, k); e != nil {
			return nil, e
		}
	}
	if _, err := parseDocument(v.Get("PolicyDocument")); err != nil {
		return nil, &apiError{http.StatusBadRequest, "MalformedPolicyDocument", err.Error()}
	}
	path, e := normPath(v.Get("Path"))
	if e != nil {
		return nil, e
	}
	name := v.Get("PolicyName")
	arn := s.arn("policy", path, name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.policies[arn] != nil {
		return nil, alreadyExists("A policy called %s already exists. Duplicate names are not allowed.", name)
	}
	now := s.srv.Clock.Now().UTC()
	p := &policy{name: name, path: path, id: awsemu.UniqueID("ANPA", arn), arn: arn, description: v.Get("Description"),
		document: v.Get("PolicyDocument"), versionID: "v1", created: now, updated: now}
	s.policies[arn] = p
	return struct {
		Policy policyXML `xml:"Policy"`
	}{policyOut(p)}, nil
}

func (s *Service) getPolicy(v query.Values) (any, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.policies[v.Get("PolicyArn")]
	if p == nil {
		return nil, noSuchEntity("Policy %s was not found.", v.Get("PolicyArn"))
	}
	return struct {
		Policy policyXML `xml:"Policy"`
	}{policyOut(p)}, nil
}

func (s *Service) getPolicyVersion(v query.Values) (any, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.policies[v.Get("PolicyArn")]
	if p == nil || v.Get("VersionId") != p.versionID {
		return nil, noSuchEntity("Policy %s version %s does not exist or is not attachable.", v.Get("PolicyArn"), v.Get("VersionId"))
	}
	type versionXML struct {
		Document         string `xml:"Document"`
		VersionID        string `xml:"VersionId"`
		IsDefaultVersion bool   `xml:"IsDefaultVersion"`
		CreateDate       string `xml:"CreateDate"`
	}
	return struct {
		PolicyVersion versionXML `xml:"PolicyVersion"`
	}{versionXML{encodeDocument(p.document), p.versionID, true, query.Time(p.updated)}}, nil
}

type evalResultXML struct {
	EvalActionName       string                 `xml:"EvalActionName"`
	EvalResourceName     string                 `xml:"EvalResourceName"`
	EvalDecision         string                 `xml:"EvalDecision"`
	MatchedStatements    query.Members[matched] `xml:"MatchedStatements"`
	MissingContextValues query.Members[string]  `xml:"MissingContextValues"`
}

func (s *Service) simulatePrincipalPolicy(v query.Values) (any, *apiError) {
	if e := required(v, "PolicySourceArn"); e != nil {
		return nil, e
	}
	actions := v.Members("ActionNames")
	if len(actions) == 0 {
		return nil, validationError("1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
	}
	for _, a := range actions {
		if svc, op, ok := strings.Cut(a, ":"); !ok || svc == "" || op == "" {
			return nil, invalidInput("Actions or actionNames must be of the form service:action, got %s.", a)
		}
	}
	resources := v.Members("ResourceArns")
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	ec := evalContext{values: contextValues{}, account: s.srv.Account}
	for _, ce := range v.Structs("ContextEntries.member") {
		key := strings.ToLower(ce.Get("ContextKeyName"))
		ec.values[key] = append(ec.values[key], ce.Members("ContextKeyValues")...)
	}
	s.mu.RLock()
	sources, e := s.principal(v.Get("PolicySourceArn"))
	s.mu.RUnlock()
	if e != nil {
		return nil, e
	}
	for i, text := range v.Members("PolicyInputList") {
		d, err := parseDocument(text)
		if err != nil {
			return nil, &apiError{http.StatusBadRequest, "MalformedPolicyDocument", err.Error()}
		}
		sources = append(sources, source{id: "PolicyInputList." + strconv.Itoa(i+1), typ: "none", doc: d, text: text})
	}
	var results []evalResultXML
	for _, a := range actions {
		for _, res := range resources {
			decision, stmts, missing := decide(sources, a, res, ec)
			results = append(results, evalResultXML{
				EvalActionName: a, EvalResourceName: res, EvalDecision: decision,
				MatchedStatements:    query.Members[matched]{Members: stmts},
				MissingContextValues: query.Members[string]{Members: dedupe(missing)},
			})
		}
	}
	items, trunc, marker, pe := page(v, results)
	if pe != nil {
		return nil, pe
	}
	return struct {
		EvaluationResults query.Members[evalResultXML] `xml:"EvaluationResults"`
		IsTruncated       bool                         `xml:"IsTruncated"`
		Marker            string                       `xml:"Marker,omitempty"`
	}{query.Members[evalResultXML]{Members: items}, trunc, marker}, nil
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
