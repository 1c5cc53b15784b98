package ssm

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/winami/winami/awsemu"
)

// maxVersions is how many versions Parameter Store keeps; the oldest goes first.
const maxVersions = 100

// param is one parameter of one region.
type param struct {
	name     string
	typ      string
	keyID    string
	tier     string
	versions []version // oldest first
	tags     map[string]string
}

// version is one version of a parameter.
type version struct {
	n              int64
	value          string
	dataType       string
	description    string
	allowedPattern string
	modified       time.Time
	user           string
	labels         []string
}

func (p *param) latest() *version { return &p.versions[len(p.versions)-1] }

// public reports whether a name is one of AWS's public parameters (/aws/service/…).
func public(name string) bool { return strings.HasPrefix(name, "/aws/") }

// arn is the parameter's ARN: public parameters carry no account.
func (s *Service) arn(region, name string) string {
	account := s.srv.Account
	if public(name) {
		account = ""
	}
	res := "parameter/" + strings.TrimPrefix(name, "/")
	return fmt.Sprintf("arn:%s:ssm:%s:%s:%s", partition(region), region, account, res)
}

func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	}
	return "aws"
}

// callerARN is who the endpoint says modified a parameter.
func (s *Service) callerARN() string {
	return s.srv.CallerARN()
}

// load puts the seed's parameters into their regions.
func (s *Service) load(params []awsemu.Parameter) {
	for _, sp := range params {
		typ := sp.Type
		if typ == "" {
			typ = "String"
		}
		p := &param{name: sp.Name, typ: typ, tier: "Standard"}
		for i, h := range sp.History {
			dt := h.DataType
			if dt == "" {
				dt = "text"
			}
			p.versions = append(p.versions, version{
				n: int64(i + 1), value: h.Value, dataType: dt, description: h.Description,
				modified: h.LastModified.UTC(), user: "arn:aws:iam::aws:root",
			})
		}
		if len(p.versions) == 0 {
			continue
		}
		s.region(sp.Region)[sp.Name] = p
	}
}

// region returns the store of a region, creating it. Callers hold s.mu.
func (s *Service) region(r string) map[string]*param {
	m := s.regions[r]
	if m == nil {
		m = map[string]*param{}
		s.regions[r] = m
	}
	return m
}

// sortedNames lists a region's parameter names, sorted. Callers hold s.mu.
func sortedNames(m map[string]*param) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var amiIDRE = regexp.MustCompile(`^ami-[0-9a-f]{8}([0-9a-f]{9})?$`)

// imageUsable reports whether an aws:ec2:image value names an AMI that exists in region
// and that the account may launch: its own, shared with it, or public.
func (s *Service) imageUsable(region, value string) bool {
	if !amiIDRE.MatchString(value) {
		return false
	}
	if s.srv.EC2 == nil {
		return false
	}
	img, ok := s.srv.EC2.GetImage(region, value)
	if !ok || img.State == "deregistered" || img.State == "failed" {
		return false
	}
	if img.Public || img.OwnerID == s.srv.Account {
		return true
	}
	for _, a := range img.LaunchPermissions {
		if a == s.srv.Account {
			return true
		}
	}
	return false
}

// PutParameter implements awsemu.SSMStore: it writes a new version of a String parameter
// (creating it when absent), as Image Builder's distribution does, recording user (the
// principal the service acted as; "" for the endpoint's caller) as the version's
// LastModifiedUser: GetParameterHistory answers "the Amazon Resource Name (ARN) of the AWS
// user who last changed the parameter", the role session for a service acting as a role.
// An aws:ec2:image value must name an AMI the account can use.
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ParameterHistory.html
func (s *Service) PutParameter(region, name, value, dataType, user string) error {
	if dataType == "" {
		dataType = "text"
	}
	if dataType == "aws:ec2:image" && !s.imageUsable(region, value) {
		return fmt.Errorf("putting parameter %s: %s is not an AMI the account can use in %s", name, value, region)
	}
	if err := checkWritableName(name); err != nil {
		return fmt.Errorf("putting parameter %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.write(region, name, "String", "", "", "", value, dataType, true)
	if user != "" {
		s.region(region)[name].latest().user = user
	}
	return nil
}

// write appends a version (or creates the parameter). Callers hold s.mu.
func (s *Service) write(region, name, typ, keyID, description, allowedPattern, value, dataType string, keepOld bool) int64 {
	m := s.region(region)
	p := m[name]
	if p == nil {
		p = &param{name: name, typ: typ, keyID: keyID, tier: "Standard"}
		m[name] = p
	}
	var n int64 = 1
	if len(p.versions) > 0 {
		prev := p.latest()
		n = prev.n + 1
		if keepOld {
			if description == "" {
				description = prev.description
			}
			if allowedPattern == "" {
				allowedPattern = prev.allowedPattern
			}
		}
	}
	if typ != "" {
		p.typ = typ
	}
	if keyID != "" {
		p.keyID = keyID
	}
	p.versions = append(p.versions, version{
		n: n, value: value, dataType: dataType, description: description,
		allowedPattern: allowedPattern, modified: s.srv.Clock.Now().UTC(), user: s.callerARN(),
	})
	if len(p.versions) > maxVersions {
		p.versions = p.versions[len(p.versions)-maxVersions:]
	}
	return n
}

// GetParameter implements awsemu.SSMParameterReader: the parameter of that name in
// region with its history, oldest first. A "name:version" selector is not accepted here.
func (s *Service) GetParameter(region, name string) (awsemu.Parameter, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.regions[region][name]
	if p == nil {
		return awsemu.Parameter{}, false
	}
	out := awsemu.Parameter{Name: p.name, Region: region, Type: p.typ}
	for _, v := range p.versions {
		out.History = append(out.History, awsemu.ParameterVersion{
			Value: v.value, DataType: v.dataType, LastModified: v.modified, Description: v.description,
			LastModifiedUser: v.user,
		})
	}
	return out, true
}

// Interfaces the service implements for the other services of the endpoint.
var (
	_ awsemu.SSMStore           = (*Service)(nil)
	_ awsemu.SSMParameterReader = (*Service)(nil)
)
