package iam

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/winami/winami/awsemu"
)

//go:embed managed_policies.json
var managedJSON []byte

// The instance profile (and role) the world starts with, as Image Builder's console
// creates it.
const (
	DefaultInstanceProfile = "EC2InstanceProfileForImageBuilder"
	DefaultRole            = "EC2InstanceProfileForImageBuilder"
)

// DefaultRolePolicies are the AWS-managed policies attached to DefaultRole.
var DefaultRolePolicies = []string{
	"arn:aws:iam::aws:policy/EC2InstanceProfileForImageBuilder",
	"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
	"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
}

// The service-linked role Image Builder acts as (unless a pipeline names an execution
// role), its path and the AWS-managed policy attached to it (v25).
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSServiceRoleForImageBuilder.html
const (
	ImageBuilderServiceRole       = "AWSServiceRoleForImageBuilder"
	ImageBuilderServiceRolePath   = "/aws-service-role/imagebuilder.amazonaws.com/"
	ImageBuilderServiceRolePolicy = "arn:aws:iam::aws:policy/aws-service-role/AWSServiceRoleForImageBuilder"
)

// imageBuilderTrustPolicy lets Image Builder assume its service-linked role.
const imageBuilderTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"imagebuilder.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// ec2TrustPolicy lets EC2 instances assume a role.
const ec2TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// seedTime is when the seeded IAM entities were created.
var seedTime = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

type policy struct {
	name, path, id, arn string
	description         string
	document            string
	versionID           string
	awsManaged          bool
	created, updated    time.Time
	attachments         int
}

type role struct {
	name, path, id string
	assume         string
	description    string
	maxSession     int
	created        time.Time
	holder
	tags [][2]string
}

type user struct {
	name, path, id string
	created        time.Time
	holder
}

// holder is what a role or a user holds: the managed policies attached to it and its
// inline policies.
type holder struct {
	attached []string          // policy ARNs, in attachment order
	inline   map[string]string // name → document
}

// holderOf returns the policies of the role (kind "role") or the user (kind "user")
// called name. Callers hold s.mu.
func (s *Service) holderOf(kind, name string) (*holder, *apiError) {
	if kind == "role" {
		r, e := s.role(name)
		if e != nil {
			return nil, e
		}
		return &r.holder, nil
	}
	u, e := s.user(name)
	if e != nil {
		return nil, e
	}
	return &u.holder, nil
}

// role returns the role called name. Callers hold s.mu.
func (s *Service) role(name string) (*role, *apiError) {
	if r := s.roles[name]; r != nil {
		return r, nil
	}
	return nil, noSuchEntity("The role with name %s cannot be found.", name)
}

// user returns the user called name. Callers hold s.mu.
func (s *Service) user(name string) (*user, *apiError) {
	if u := s.users[name]; u != nil {
		return u, nil
	}
	return nil, noSuchEntity("The user with name %s cannot be found.", name)
}

// InstanceProfileRole implements awsemu.InstanceProfileRoles: the ARN of the profile's role.
func (s *Service) InstanceProfileRole(name string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.profiles[name]
	if p == nil || len(p.roles) == 0 {
		return "", false
	}
	r := s.roles[p.roles[0]]
	if r == nil {
		return "", false
	}
	return s.arn("role", r.path, r.name), true
}

// profile returns the instance profile called name. Callers hold s.mu.
func (s *Service) profile(name string) (*profile, *apiError) {
	if p := s.profiles[name]; p != nil {
		return p, nil
	}
	return nil, noSuchEntity("Instance Profile %s cannot be found.", name)
}

// nameParam is the request parameter naming a holder of kind: RoleName or UserName.
func nameParam(kind string) string {
	return strings.ToUpper(kind[:1]) + kind[1:] + "Name"
}

type profile struct {
	name, path, id string
	created        time.Time
	roles          []string
}

// load reads the managed policies and builds the starting world. Callers hold s.mu.
func (s *Service) load() {
	var managed []struct {
		PolicyName, Path, DefaultVersionID, CreateDate, UpdateDate string
		Document                                                   json.RawMessage
	}
	if err := json.Unmarshal(managedJSON, &managed); err != nil {
		panic(fmt.Sprintf("decoding managed_policies.json: %v", err))
	}
	for _, m := range managed {
		created, _ := time.Parse(time.RFC3339, m.CreateDate)
		updated, _ := time.Parse(time.RFC3339, m.UpdateDate)
		arn := "arn:aws:iam::aws:policy" + m.Path + m.PolicyName
		s.policies[arn] = &policy{
			name: m.PolicyName, path: m.Path, id: awsemu.UniqueID("ANPA", arn), arn: arn,
			document: string(m.Document), versionID: m.DefaultVersionID, awsManaged: true,
			created: created, updated: updated,
		}
	}
	s.roles[DefaultRole] = &role{
		name: DefaultRole, path: "/", id: awsemu.UniqueID("AROA", "role/"+DefaultRole), assume: ec2TrustPolicy,
		maxSession: 3600, created: seedTime, holder: holder{inline: map[string]string{}},
	}
	for _, arn := range DefaultRolePolicies {
		s.roles[DefaultRole].attached = append(s.roles[DefaultRole].attached, arn)
		s.policies[arn].attachments++
	}
	s.profiles[DefaultInstanceProfile] = &profile{
		name: DefaultInstanceProfile, path: "/", id: awsemu.UniqueID("AIPA", "instance-profile/"+DefaultInstanceProfile),
		created: seedTime, roles: []string{DefaultRole},
	}
	// Image Builder's service-linked role, with its managed policy. AWS creates it the first
	// time the account uses Image Builder; the seeded world has used it.
	// https://docs.aws.amazon.com/imagebuilder/latest/userguide/image-builder-service-linked-role.html
	s.roles[ImageBuilderServiceRole] = &role{
		name: ImageBuilderServiceRole, path: ImageBuilderServiceRolePath,
		id: awsemu.UniqueID("AROA", "role/"+ImageBuilderServiceRole), assume: imageBuilderTrustPolicy,
		description: "Allows EC2ImageBuilder to call AWS services on your behalf.", maxSession: 3600, created: seedTime,
		holder: holder{attached: []string{ImageBuilderServiceRolePolicy}, inline: map[string]string{}},
	}
	s.policies[ImageBuilderServiceRolePolicy].attachments++
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	s.users[awsemu.CallerUserName] = &user{
		name: awsemu.CallerUserName, path: "/", created: seedTime, holder: holder{attached: []string{admin}, inline: map[string]string{}},
	}
	s.policies[admin].attachments++
}

func (s *Service) arn(kind, path, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:%s%s%s", s.srv.Account, kind, path, name)
}

// userID is a user's unique id; the caller's matches STS GetCallerIdentity.
func (s *Service) userID(u *user) string {
	if u.name == awsemu.CallerUserName {
		return s.srv.CallerUserID()
	}
	return awsemu.UniqueID("AIDA", s.srv.Account+"/user/"+u.name)
}

// InstanceProfileExists implements awsemu.IAMStore.
func (s *Service) InstanceProfileExists(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.profiles[name] != nil
}

// principal resolves a SimulatePrincipalPolicy source ARN to its policies. Callers hold s.mu.
func (s *Service) principal(arn string) ([]source, *apiError) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" {
		return nil, invalidInput("Invalid ARN: Could not be parsed!")
	}
	res := parts[5]
	kind, rest, _ := strings.Cut(res, "/")
	name := rest
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		name = rest[i+1:]
	}
	if parts[4] != s.srv.Account {
		return nil, noSuchEntity("Principal with arn %s does not exist.", arn)
	}
	if kind != "role" && kind != "user" {
		return nil, invalidInput("Invalid principal type %s: SimulatePrincipalPolicy takes a user, group or role ARN.", kind)
	}
	h, e := s.holderOf(kind, name)
	if e != nil {
		return nil, e
	}
	attached, inline, inlineType := h.attached, h.inline, kind
	var out []source
	for _, a := range attached {
		p := s.policies[a]
		d, _ := parseDocument(p.document)
		typ := "user-managed"
		if p.awsManaged {
			typ = "aws-managed"
		}
		out = append(out, source{id: p.name, typ: typ, doc: d, text: p.document})
	}
	names := make([]string, 0, len(inline))
	for n := range inline {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d, _ := parseDocument(inline[n])
		out = append(out, source{id: name + "_" + n, typ: inlineType, doc: d, text: inline[n]})
	}
	return out, nil
}
