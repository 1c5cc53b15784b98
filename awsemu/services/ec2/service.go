package ec2

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/query"
)

// AmazonOwner is the account that owns Amazon's public images (owner alias "amazon").
const AmazonOwner = "801119661308"

// amazonOwners are the accounts the owner alias "amazon" stands for (commercial and GovCloud).
var amazonOwners = map[string]bool{AmazonOwner: true, "077303321853": true}

// Service is the EC2 service of an awsemu.Server. It implements awsemu.Service and
// awsemu.EC2Store.
type Service struct {
	srv *awsemu.Server

	mu      sync.Mutex
	regions map[string]*regionState
	failFL  map[string]string // region/imageID → reason for enabling-failed
}

// New creates the EC2 service with the seeded images (each stored in its own Region,
// snapshots created for block devices that have none), registers it on srv and sets
// srv.EC2.
func New(srv *awsemu.Server, seed []awsemu.Image) *Service {
	s := &Service{srv: srv, regions: map[string]*regionState{}, failFL: map[string]string{}}
	for _, img := range seed {
		s.PutImage(img)
	}
	srv.Register(s)
	srv.EC2 = s
	return s
}

// Name is the SigV4 signing name, "ec2".
func (s *Service) Name() string { return "ec2" }

// Operation is the query Action of the request.
func (s *Service) Operation(r *awsemu.Request) string {
	if a := query.Action(r.Body); a != "" {
		return a
	}
	return r.HTTP.URL.Query().Get("Action")
}

// WriteError writes an error in the ec2 shape.
func (s *Service) WriteError(w http.ResponseWriter, r *awsemu.Request, status int, code, message string) {
	query.WriteEC2Error(w, status, code, message, r.ID)
}

// Throttle is EC2's throttling answer: 503 RequestLimitExceeded.
func (s *Service) Throttle() (int, string) {
	return http.StatusServiceUnavailable, "RequestLimitExceeded"
}

// apiError is an EC2 error answer.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errf(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: fmt.Sprintf(format, args...)}
}

var errDryRun = &apiError{status: http.StatusPreconditionFailed, code: "DryRunOperation", message: "Request would have succeeded, but DryRun flag is set."}

// call is one decoded request.
type call struct {
	v       query.Values
	region  string
	account string
	// principal is the caller's ARN (the IAM user or an assumed-role session).
	principal string
	now       time.Time
	rs        *regionState
}

// dryRun reports the DryRunOperation error when the request asked for a dry run.
func (c *call) dryRun() *apiError {
	if b, _ := c.v.Bool("DryRun"); b {
		return errDryRun
	}
	return nil
}

type handler func(s *Service, c *call) (any, *apiError)

var handlers = map[string]handler{
	"DescribeImages":                 (*Service).describeImages,
	"DescribeImageAttribute":         (*Service).describeImageAttribute,
	"ModifyImageAttribute":           (*Service).modifyImageAttribute,
	"DisableImage":                   (*Service).disableImage,
	"EnableImage":                    (*Service).enableImage,
	"RequestSpotFleet":               (*Service).requestSpotFleet,
	"DescribeSpotFleetRequests":      (*Service).describeSpotFleetRequests,
	"CancelSpotFleetRequests":        (*Service).cancelSpotFleetRequests,
	"CreateFleet":                    (*Service).createFleet,
	"DescribeFleets":                 (*Service).describeFleets,
	"DeleteFleets":                   (*Service).deleteFleets,
	"RequestSpotInstances":           (*Service).requestSpotInstances,
	"DescribeSpotInstanceRequests":   (*Service).describeSpotInstanceRequests,
	"CancelSpotInstanceRequests":     (*Service).cancelSpotInstanceRequests,
	"DeregisterImage":                (*Service).deregisterImage,
	"RegisterImage":                  (*Service).registerImage,
	"CreateImage":                    (*Service).createImage,
	"DescribeSnapshots":              (*Service).describeSnapshots,
	"DeleteSnapshot":                 (*Service).deleteSnapshot,
	"CreateSnapshot":                 (*Service).createSnapshot,
	"DescribeRegions":                (*Service).describeRegions,
	"DescribeVpcs":                   (*Service).describeVpcs,
	"CreateVpc":                      (*Service).createVpc,
	"DeleteVpc":                      (*Service).deleteVpc,
	"CreateDefaultVpc":               (*Service).createDefaultVpc,
	"CreateSubnet":                   (*Service).createSubnet,
	"DescribeSubnets":                (*Service).describeSubnets,
	"DeleteSubnet":                   (*Service).deleteSubnet,
	"CreateSecurityGroup":            (*Service).createSecurityGroup,
	"DescribeSecurityGroups":         (*Service).describeSecurityGroups,
	"DeleteSecurityGroup":            (*Service).deleteSecurityGroup,
	"CreateTags":                     (*Service).createTags,
	"DeleteTags":                     (*Service).deleteTags,
	"RunInstances":                   (*Service).runInstances,
	"DescribeInstances":              (*Service).describeInstances,
	"StopInstances":                  (*Service).stopInstances,
	"StartInstances":                 (*Service).startInstances,
	"TerminateInstances":             (*Service).terminateInstances,
	"CreateLaunchTemplate":           (*Service).createLaunchTemplate,
	"CreateLaunchTemplateVersion":    (*Service).createLaunchTemplateVersion,
	"ModifyLaunchTemplate":           (*Service).modifyLaunchTemplate,
	"DeleteLaunchTemplate":           (*Service).deleteLaunchTemplate,
	"DescribeLaunchTemplates":        (*Service).describeLaunchTemplates,
	"DescribeLaunchTemplateVersions": (*Service).describeLaunchTemplateVersions,
	"EnableFastLaunch":               (*Service).enableFastLaunch,
	"DisableFastLaunch":              (*Service).disableFastLaunch,
	"DescribeFastLaunchImages":       (*Service).describeFastLaunchImages,
	"DescribeInstanceTypes":          (*Service).describeInstanceTypes,
	"DescribeInstanceTypeOfferings":  (*Service).describeInstanceTypeOfferings,
	"CreateKeyPair":                  (*Service).createKeyPair,
	"DescribeKeyPairs":               (*Service).describeKeyPairs,
	"DeleteKeyPair":                  (*Service).deleteKeyPair,
}

// Operations lists the operations the service answers, sorted.
func Operations() []string {
	out := make([]string, 0, len(handlers))
	for k := range handlers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Serve answers one request.
func (s *Service) Serve(w http.ResponseWriter, r *awsemu.Request, op string) {
	v, err := query.Parse(r.Body)
	if err != nil {
		query.WriteEC2Error(w, http.StatusBadRequest, "InvalidParameterValue", err.Error(), r.ID)
		return
	}
	if len(v) == 0 && r.HTTP.URL.RawQuery != "" {
		v, _ = query.Parse([]byte(r.HTTP.URL.RawQuery))
	}
	h, ok := handlers[op]
	if !ok {
		query.WriteEC2Error(w, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("The action %s is not valid for this web service.", op), r.ID)
		return
	}
	s.mu.Lock()
	c := &call{v: v, region: r.Region, account: r.Account, principal: s.srv.PrincipalOf(r), now: s.srv.Clock.Now().UTC(), rs: s.region(r.Region)}
	s.advance(c.rs, c.now)
	out, aerr := h(s, c)
	s.mu.Unlock()
	if aerr != nil {
		query.WriteEC2Error(w, aerr.status, aerr.code, aerr.message, r.ID)
		return
	}
	query.WriteEC2(w, op, r.ID, out)
}

// newID returns prefix-<17 hex digits>.
func newID(prefix string) string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)[:17]
}

// returnTrue is the output of operations that answer <return>true</return>.
type returnTrue struct {
	Return bool `xml:"return"`
}

// tagXML is one tag in output.
type tagXML struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func tagSet(tags map[string]string) query.Items[tagXML] {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := query.Items[tagXML]{Items: []tagXML{}}
	for _, k := range keys {
		out.Items = append(out.Items, tagXML{k, tags[k]})
	}
	return out
}

// tagSpecs reads TagSpecification.N.ResourceType / .Tag.N.Key/Value into tags per resource type.
func tagSpecs(v query.Values, prefix string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, ts := range v.Structs(prefix) {
		rt := ts.Get("ResourceType")
		if out[rt] == nil {
			out[rt] = map[string]string{}
		}
		for _, t := range ts.Structs("Tag") {
			out[rt][t.Get("Key")] = t.Get("Value")
		}
	}
	return out
}

func copyTags(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// filter is one Filter.N of a request.
type filter struct {
	name   string
	values []*regexp.Regexp
}

// parseFilters reads Filter.N.Name / Filter.N.Value.M, compiling * and ? wildcards.
func parseFilters(v query.Values, known func(name string) bool) ([]filter, *apiError) {
	var out []filter
	for _, f := range v.Structs("Filter") {
		name := f.Get("Name")
		if !known(name) && !strings.HasPrefix(name, "tag:") {
			return nil, errf("InvalidParameterValue", "The filter '%s' is invalid", name)
		}
		fl := filter{name: name}
		for _, val := range f.List("Value") {
			fl.values = append(fl.values, wildcard(val))
		}
		out = append(out, fl)
	}
	return out, nil
}

// wildcard compiles an EC2 filter value: * any run, ? one character, \ escapes.
func wildcard(s string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteString(regexp.QuoteMeta(s[i : i+1]))
			} else {
				b.WriteString(`\\`)
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile("(?s)" + b.String())
}

// matchFilters reports whether an object passes every filter. fields returns the
// object's values for a filter name; tags are matched for tag:K and tag-key/tag-value.
func matchFilters(fs []filter, tags map[string]string, fields func(name string) []string) bool {
	for _, f := range fs {
		var have []string
		switch {
		case strings.HasPrefix(f.name, "tag:"):
			if val, ok := tags[strings.TrimPrefix(f.name, "tag:")]; ok {
				have = []string{val}
			}
		case f.name == "tag-key":
			for k := range tags {
				have = append(have, k)
			}
		case f.name == "tag-value":
			for _, val := range tags {
				have = append(have, val)
			}
		default:
			have = fields(f.name)
		}
		if !anyMatch(f.values, have) {
			return false
		}
	}
	return true
}

func anyMatch(res []*regexp.Regexp, have []string) bool {
	for _, re := range res {
		for _, h := range have {
			if re.MatchString(h) {
				return true
			}
		}
	}
	return false
}

func knownSet(names ...string) func(string) bool {
	m := map[string]bool{"tag-key": true, "tag-value": true}
	for _, n := range names {
		m[n] = true
	}
	return func(n string) bool { return m[n] }
}

// page reads MaxResults/NextToken and returns the slice of ids (sorted) to answer and
// the next token. min/max bound MaxResults when it is given; def is the page size when
// it is not (0: everything).
func page(c *call, ids []string, minMax, maxMax, def int) ([]string, string, *apiError) {
	n, has, err := c.v.Int("MaxResults")
	if err != nil {
		return nil, "", errf("InvalidParameterValue", "%s", err.Error())
	}
	size := def
	if has {
		if int(n) < minMax || int(n) > maxMax {
			return nil, "", errf("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Expecting a value between %d and %d.", n, minMax, maxMax)
		}
		size = int(n)
	}
	start := 0
	if tok := c.v.Get("NextToken"); tok != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(tok)
		if derr != nil || !strings.HasPrefix(string(raw), "after:") {
			return nil, "", errf("InvalidNextToken", "The token '%s' is invalid.", tok)
		}
		after := strings.TrimPrefix(string(raw), "after:")
		// Resume after the last key answered; when it has gone since, after the first key
		// beyond it (lists are sorted ascending, except where pageOrdered says otherwise).
		start = len(ids)
		for i, id := range ids {
			if id == after {
				start = i + 1
				break
			}
		}
		if start == len(ids) {
			for i, id := range ids {
				if id > after {
					start = i
					break
				}
			}
		}
	}
	if start > len(ids) {
		start = len(ids)
	}
	rest := ids[start:]
	if size <= 0 || len(rest) <= size {
		return rest, "", nil
	}
	return rest[:size], base64.RawURLEncoding.EncodeToString([]byte("after:" + rest[size-1])), nil
}

// pageOrdered pages a list in the order given (no default page size).
func pageOrdered(c *call, keys []string, minMax, maxMax int) ([]string, string, *apiError) {
	return page(c, keys, minMax, maxMax, 0)
}

func ptr[T any](v T) *T { return &v }
