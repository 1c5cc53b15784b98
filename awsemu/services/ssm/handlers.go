package ssm

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/awsjson"
)

// Wire shapes, as the SSM API model names their members.

type parameterOut struct {
	Name             string        `json:"Name"`
	Type             string        `json:"Type"`
	Value            string        `json:"Value"`
	Version          int64         `json:"Version"`
	Selector         string        `json:"Selector,omitempty"`
	LastModifiedDate *awsjson.Time `json:"LastModifiedDate,omitempty"`
	ARN              string        `json:"ARN"`
	DataType         string        `json:"DataType"`
}

type historyOut struct {
	Name             string        `json:"Name"`
	Type             string        `json:"Type"`
	KeyID            string        `json:"KeyId,omitempty"`
	LastModifiedDate *awsjson.Time `json:"LastModifiedDate,omitempty"`
	LastModifiedUser string        `json:"LastModifiedUser,omitempty"`
	Description      string        `json:"Description,omitempty"`
	Value            string        `json:"Value"`
	AllowedPattern   string        `json:"AllowedPattern,omitempty"`
	Version          int64         `json:"Version"`
	Labels           []string      `json:"Labels"`
	Tier             string        `json:"Tier"`
	Policies         []any         `json:"Policies"`
	DataType         string        `json:"DataType"`
}

type metadataOut struct {
	Name             string        `json:"Name"`
	ARN              string        `json:"ARN"`
	Type             string        `json:"Type"`
	KeyID            string        `json:"KeyId,omitempty"`
	LastModifiedDate *awsjson.Time `json:"LastModifiedDate,omitempty"`
	LastModifiedUser string        `json:"LastModifiedUser,omitempty"`
	Description      string        `json:"Description,omitempty"`
	AllowedPattern   string        `json:"AllowedPattern,omitempty"`
	Version          int64         `json:"Version"`
	Tier             string        `json:"Tier"`
	Policies         []any         `json:"Policies"`
	DataType         string        `json:"DataType"`
}

type stringFilter struct {
	Key    string   `json:"Key"`
	Option string   `json:"Option"`
	Values []string `json:"Values"`
}

func validation(format string, args ...any) *awsjson.Error {
	return awsjson.Errorf("ValidationException", format, args...)
}

// shownValue is what a read returns: SecureString values stay encrypted unless decryption
// was asked for.
func shownValue(p *param, v *version, decrypt bool) string {
	if p.typ != "SecureString" || decrypt {
		return v.value
	}
	key := p.keyID
	if key == "" {
		key = "alias/aws/ssm"
	}
	return base64.StdEncoding.EncodeToString([]byte("awsemu-kms:" + key + ":" + v.value))
}

func (s *Service) out(region string, p *param, v *version, selector string, decrypt bool) parameterOut {
	return parameterOut{
		Name: p.name, Type: p.typ, Value: shownValue(p, v, decrypt), Version: v.n, Selector: selector,
		LastModifiedDate: awsjson.TimePtr(v.modified), ARN: s.arn(region, p.name), DataType: v.dataType,
	}
}

// errNoVersion is answered when a selector names a version the parameter does not have.
func errNoVersion(ver, name string) *awsjson.Error {
	return awsjson.Errorf("ParameterVersionNotFound", "Systems Manager could not find version %s of %s. Verify the version and try again.", ver, name)
}

// byName finds a parameter by name or by ARN (arn:aws:ssm:<region>:<account>:parameter/…,
// whose path drops the name's leading slash). Callers hold s.mu.
func (s *Service) byName(region, name string) (*param, string) {
	m := s.regions[region]
	if rest, ok := strings.CutPrefix(name, "arn:"); ok {
		parts := strings.SplitN(rest, ":", 5)
		if len(parts) == 5 && parts[1] == "ssm" && parts[2] == region && strings.HasPrefix(parts[4], "parameter/") {
			bare := strings.TrimPrefix(parts[4], "parameter/")
			if p := m["/"+bare]; p != nil && (parts[3] == s.srv.Account || parts[3] == "" && public(p.name)) {
				return p, p.name
			}
			if p := m[bare]; p != nil && parts[3] == s.srv.Account {
				return p, p.name
			}
		}
		return nil, name
	}
	return m[name], name
}

// splitSelector cuts "name:selector" where name may be an ARN (which has colons of its own).
func splitSelector(full string) (name, sel string, hasSel bool) {
	if strings.HasPrefix(full, "arn:") {
		if i := strings.Index(full, ":parameter/"); i >= 0 {
			head, tail := full[:i+len(":parameter/")], full[i+len(":parameter/"):]
			n, sl, ok := strings.Cut(tail, ":")
			return head + n, sl, ok
		}
		return full, "", false
	}
	return strings.Cut(full, ":")
}

// lookup resolves "name", "name:version" or "name:label" (name or ARN). Callers hold s.mu.
func (s *Service) lookup(region, full string) (*param, *version, string, *awsjson.Error) {
	name, sel, hasSel := splitSelector(full)
	p, name := s.byName(region, name)
	if p == nil || strings.Contains(sel, ":") {
		return nil, nil, "", &awsjson.Error{Status: http.StatusBadRequest, Code: "ParameterNotFound"}
	}
	if !hasSel {
		return p, p.latest(), "", nil
	}
	if n, err := strconv.ParseInt(sel, 10, 64); err == nil {
		for i := range p.versions {
			if p.versions[i].n == n {
				return p, &p.versions[i], ":" + sel, nil
			}
		}
		return nil, nil, "", errNoVersion(sel, name)
	}
	for i := len(p.versions) - 1; i >= 0; i-- {
		for _, l := range p.versions[i].labels {
			if l == sel {
				return p, &p.versions[i], ":" + sel, nil
			}
		}
	}
	return nil, nil, "", awsjson.Errorf("ParameterVersionNotFound", "Systems Manager could not find version %s of %s. Verify the version and try again.", sel, name)
}

func (s *Service) getParameter(r *awsemu.Request) (any, error) {
	var in struct {
		Name           string `json:"Name"`
		WithDecryption bool   `json:"WithDecryption"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, validation("1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, v, sel, e := s.lookup(r.Region, in.Name)
	if e != nil {
		return nil, e
	}
	return map[string]any{"Parameter": s.out(r.Region, p, v, sel, in.WithDecryption)}, nil
}

func (s *Service) getParameters(r *awsemu.Request) (any, error) {
	var in struct {
		Names          []string `json:"Names"`
		WithDecryption bool     `json:"WithDecryption"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	switch {
	case len(in.Names) == 0:
		return nil, validation("1 validation error detected: Value '[]' at 'names' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(in.Names) > 10:
		return nil, validation("1 validation error detected: Value '[%s]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 10", strings.Join(in.Names, ", "))
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	params, invalid := []parameterOut{}, []string{}
	seen := map[string]bool{}
	for _, n := range in.Names {
		if seen[n] {
			continue
		}
		seen[n] = true
		p, v, sel, e := s.lookup(r.Region, n)
		if e != nil {
			invalid = append(invalid, n)
			continue
		}
		params = append(params, s.out(r.Region, p, v, sel, in.WithDecryption))
	}
	return map[string]any{"Parameters": params, "InvalidParameters": invalid}, nil
}

// token encodes a page offset as an opaque NextToken.
func token(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("awsemu-offset:" + strconv.Itoa(offset)))
}

func offset(tok string) (int, *awsjson.Error) {
	if tok == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil {
		if rest, ok := strings.CutPrefix(string(b), "awsemu-offset:"); ok {
			if n, err := strconv.Atoi(rest); err == nil && n >= 0 {
				return n, nil
			}
		}
	}
	return 0, awsjson.Errorf("InvalidNextToken", "The specified token is not valid.")
}

// page cuts items[off:off+max] and returns the token of the next page ("" at the end).
func page[T any](items []T, off, max int) ([]T, string) {
	if off > len(items) {
		off = len(items)
	}
	end := off + max
	if end >= len(items) {
		return items[off:], ""
	}
	return items[off:end], token(end)
}

// parametersPage is the answer {"Parameters", "NextToken"} of a listing: the page of all
// at off, max long ([] when empty), and the next page's token when there is one.
func parametersPage[T any](all []T, off, max int) map[string]any {
	items, next := page(all, off, max)
	if items == nil {
		items = []T{}
	}
	out := map[string]any{"Parameters": items}
	if next != "" {
		out["NextToken"] = next
	}
	return out
}

// maxResults is a request's MaxResults: limit when absent, else between 1 and limit.
func maxResults(n *int, limit int) (int, *awsjson.Error) {
	return maxResultsOr(n, limit, limit)
}

// maxResultsOr is maxResults for an operation whose default page (def) is smaller than
// its limit, as DescribeParameters' (10 of up to 50).
func maxResultsOr(n *int, def, limit int) (int, *awsjson.Error) {
	if n == nil {
		return def, nil
	}
	if *n < 1 {
		return 0, validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1", *n)
	}
	if *n > limit {
		return 0, validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", *n, limit)
	}
	return *n, nil
}

var pathRE = regexp.MustCompile(`^/([a-zA-Z0-9_.\-]+(/[a-zA-Z0-9_.\-]+)*)?/?$`)

const pathRequirements = `The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash "/". ` +
	`It can't be prefixed with "aws" or "ssm" (case-insensitive). ` +
	"It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). " +
	`Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". ` +
	"Valid example: /get/parameters2-/by1./path0_."

// checkFilters validates ParameterFilters; byPath restricts the keys to those
// GetParametersByPath accepts.
func checkFilters(filters []stringFilter, byPath bool) *awsjson.Error {
	for _, f := range filters {
		switch {
		case f.Key == "Label":
			if byPath {
				continue
			}
			return awsjson.Errorf("InvalidFilterKey", "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier].")
		case byPath && (f.Key == "Name" || f.Key == "Path" || f.Key == "Tier"):
			return awsjson.Errorf("InvalidFilterKey", "The following filter key is not valid: %s. Valid filter keys include: [Type, KeyId].", f.Key)
		case f.Key == "Type":
			for _, v := range f.Values {
				if v != "String" && v != "StringList" && v != "SecureString" {
					return awsjson.Errorf("InvalidFilterValue", "The following filter value is not valid: %s. Valid values include: [String, StringList, SecureString].", v)
				}
			}
		case f.Key == "Name", f.Key == "KeyId", f.Key == "DataType", f.Key == "Tier", f.Key == "Path", strings.HasPrefix(f.Key, "tag:"):
		default:
			return awsjson.Errorf("InvalidFilterKey", "The following filter key is not valid: %s. Valid filter keys include: [Path, Name, Type, KeyId, Tier].", f.Key)
		}
		opt := f.Option
		if opt == "" {
			opt = "Equals"
		}
		if f.Key == "Path" {
			if opt != "Recursive" && opt != "OneLevel" {
				return awsjson.Errorf("InvalidFilterOption", "The following filter option is not valid: %s. Valid options include: [Recursive, OneLevel].", opt)
			}
		} else if opt != "Equals" && opt != "BeginsWith" {
			return awsjson.Errorf("InvalidFilterOption", "The following filter option is not valid: %s. Valid options include: [BeginsWith, Equals].", opt)
		}
	}
	return nil
}

// matches applies ParameterFilters to a parameter.
func matches(p *param, filters []stringFilter) bool {
	for _, f := range filters {
		opt := f.Option
		if opt == "" {
			opt = "Equals"
		}
		var field string
		switch {
		case f.Key == "Name":
			field = p.name
		case f.Key == "Type":
			field = p.typ
		case f.Key == "KeyId":
			field = p.keyID
		case f.Key == "DataType":
			field = p.latest().dataType
		case f.Key == "Tier":
			field = p.tier
		case f.Key == "Label":
			field = strings.Join(p.latest().labels, "\x00")
		case f.Key == "Path":
			if !underPath(p.name, f.Values, opt == "Recursive") {
				return false
			}
			continue
		case strings.HasPrefix(f.Key, "tag:"):
			v, ok := p.tags[strings.TrimPrefix(f.Key, "tag:")]
			if !ok {
				return false
			}
			field = v
		}
		ok := len(f.Values) == 0
		for _, want := range f.Values {
			if f.Key == "Name" && !strings.HasPrefix(want, "/") && strings.HasPrefix(field, "/") {
				want = "/" + want
			}
			if opt == "BeginsWith" && strings.HasPrefix(field, want) || opt == "Equals" && field == want {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func underPath(name string, paths []string, recursive bool) bool {
	for _, path := range paths {
		prefix := strings.TrimSuffix(path, "/") + "/"
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		if recursive || !strings.Contains(name[len(prefix):], "/") {
			return true
		}
	}
	return false
}

func (s *Service) getParametersByPath(r *awsemu.Request) (any, error) {
	var in struct {
		Path             string         `json:"Path"`
		Recursive        bool           `json:"Recursive"`
		ParameterFilters []stringFilter `json:"ParameterFilters"`
		WithDecryption   bool           `json:"WithDecryption"`
		MaxResults       *int           `json:"MaxResults"`
		NextToken        string         `json:"NextToken"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	max, e := maxResults(in.MaxResults, 10)
	if e != nil {
		return nil, e
	}
	if !pathRE.MatchString(in.Path) {
		return nil, validation("%s", pathRequirements)
	}
	if e := checkFilters(in.ParameterFilters, true); e != nil {
		return nil, e
	}
	off, e := offset(in.NextToken)
	if e != nil {
		return nil, e
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.regions[r.Region]
	var all []parameterOut
	for _, n := range sortedNames(m) {
		p := m[n]
		if !underPath(n, []string{in.Path}, in.Recursive) || !matches(p, in.ParameterFilters) {
			continue
		}
		all = append(all, s.out(r.Region, p, p.latest(), "", in.WithDecryption))
	}
	return parametersPage(all, off, max), nil
}

func (s *Service) getParameterHistory(r *awsemu.Request) (any, error) {
	var in struct {
		Name           string `json:"Name"`
		WithDecryption bool   `json:"WithDecryption"`
		MaxResults     *int   `json:"MaxResults"`
		NextToken      string `json:"NextToken"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	max, e := maxResults(in.MaxResults, 50)
	if e != nil {
		return nil, e
	}
	off, e := offset(in.NextToken)
	if e != nil {
		return nil, e
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, _ := s.byName(r.Region, in.Name)
	if p == nil {
		return nil, awsjson.Errorf("ParameterNotFound", "Parameter %s not found.", in.Name)
	}
	all := make([]historyOut, 0, len(p.versions))
	for i := range p.versions {
		v := &p.versions[i]
		labels := v.labels
		if labels == nil {
			labels = []string{}
		}
		all = append(all, historyOut{
			Name: p.name, Type: p.typ, KeyID: p.keyID, LastModifiedDate: awsjson.TimePtr(v.modified),
			LastModifiedUser: v.user, Description: v.description, Value: shownValue(p, v, in.WithDecryption),
			AllowedPattern: v.allowedPattern, Version: v.n, Labels: labels, Tier: p.tier, Policies: []any{},
			DataType: v.dataType,
		})
	}
	return parametersPage(all, off, max), nil
}

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)

// checkWritableName refuses the names Parameter Store reserves, with AWS's answers.
func checkWritableName(name string) *awsjson.Error {
	lower := strings.ToLower(strings.TrimLeft(name, "/"))
	if strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm") {
		isPath := strings.Count(name, "/") > 1
		if strings.HasPrefix(strings.ToLower(name), "/aws") && isPath {
			return awsjson.Errorf("AccessDeniedException", "No access to reserved parameter name: %s.", name)
		}
		if !isPath {
			return validation(`Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive).`)
		}
		return validation(`Parameter name: can't be prefixed with "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`)
	}
	if len(name) > 2048 {
		return validation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must have length less than or equal to 2048", name)
	}
	if !nameRE.MatchString(name) || strings.Contains(name, "/") && !strings.HasPrefix(name, "/") || strings.Contains(name, "//") {
		return validation("%s", pathRequirements)
	}
	if strings.Count(name, "/") > 15 {
		return &awsjson.Error{Status: http.StatusBadRequest, Code: "HierarchyLevelLimitExceededException",
			Message: "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and Constraints for Parameter Names in the AWS Systems Manager User Guide."}
	}
	return nil
}

func (s *Service) putParameter(r *awsemu.Request) (any, error) {
	var in struct {
		Name           string  `json:"Name"`
		Description    *string `json:"Description"`
		Value          *string `json:"Value"`
		Type           string  `json:"Type"`
		KeyID          string  `json:"KeyId"`
		Overwrite      bool    `json:"Overwrite"`
		AllowedPattern *string `json:"AllowedPattern"`
		Tags           []struct {
			Key   string `json:"Key"`
			Value string `json:"Value"`
		} `json:"Tags"`
		Tier     string `json:"Tier"`
		DataType string `json:"DataType"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	if in.Value == nil || *in.Value == "" {
		return nil, validation("1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.")
	}
	if in.Overwrite && len(in.Tags) > 0 {
		return nil, validation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	if e := checkWritableName(in.Name); e != nil {
		return nil, e
	}
	switch in.Type {
	case "", "String", "StringList", "SecureString":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]", in.Type)
	}
	switch in.Tier {
	case "", "Standard", "Advanced", "Intelligent-Tiering":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]", in.Tier)
	}
	dataType := in.DataType
	switch dataType {
	case "", "text", "aws:ec2:image", "aws:ssm:integration":
	default:
		return nil, validation("The following data type is not supported: %s (Data type names are all lowercase.)", dataType)
	}
	if len(*in.Value) > 4096 && in.Tier != "Advanced" {
		return nil, awsjson.Errorf("ValidationException", "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html")
	}
	if in.AllowedPattern != nil && *in.AllowedPattern != "" {
		re, err := regexp.Compile(*in.AllowedPattern)
		if err != nil {
			return nil, awsjson.Errorf("InvalidAllowedPatternException", "The allowed pattern %s is not a valid regular expression.", *in.AllowedPattern)
		}
		if !re.MatchString(*in.Value) {
			return nil, awsjson.Errorf("ParameterPatternMismatchException", "Parameter value, %s, failed to satisfy constraint specified in the allowed pattern: %s", *in.Value, *in.AllowedPattern)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.regions[r.Region][in.Name]
	if p == nil && in.Type == "" {
		return nil, validation("A parameter type is required when you create a parameter.")
	}
	if p != nil && !in.Overwrite {
		return nil, awsjson.Errorf("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	}
	typ := in.Type
	if p != nil {
		if typ == "" {
			typ = p.typ
		}
		if dataType == "" {
			dataType = p.latest().dataType
		}
		if prev := p.latest().dataType; (prev == "aws:ec2:image") != (dataType == "aws:ec2:image") {
			return nil, validation("You can't change the data type of a parameter from %s to %s.", prev, dataType)
		}
	}
	if dataType == "" {
		dataType = "text"
	}
	if dataType == "aws:ec2:image" && typ != "String" {
		return nil, validation("Parameters of data type aws:ec2:image must be of type String.")
	}
	tier := in.Tier
	if tier == "" {
		tier = "Standard"
	}
	if dataType == "aws:ec2:image" && !s.imageUsable(r.Region, *in.Value) {
		// AWS validates aws:ec2:image values asynchronously: the call succeeds with the
		// version it would have written, and the parameter is not created or updated.
		var next int64 = 1
		if p != nil {
			next = p.latest().n + 1
		}
		return map[string]any{"Version": next, "Tier": tier}, nil
	}
	desc, pattern := "", ""
	if in.Description != nil {
		desc = *in.Description
	}
	if in.AllowedPattern != nil {
		pattern = *in.AllowedPattern
	}
	n := s.write(r.Region, in.Name, typ, in.KeyID, desc, pattern, *in.Value, dataType, true)
	p = s.regions[r.Region][in.Name]
	// LastModifiedUser is the caller: the IAM user, or the assumed-role session.
	// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ParameterHistory.html
	p.latest().user = s.srv.PrincipalOf(r)
	if in.Tier != "" {
		p.tier = in.Tier
	}
	if len(in.Tags) > 0 {
		if p.tags == nil {
			p.tags = map[string]string{}
		}
		for _, t := range in.Tags {
			p.tags[t.Key] = t.Value
		}
	}
	return map[string]any{"Version": n, "Tier": p.tier}, nil
}

func (s *Service) deleteParameter(r *awsemu.Request) (any, error) {
	var in struct {
		Name string `json:"Name"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.regions[r.Region]
	if m[in.Name] == nil {
		return nil, awsjson.Errorf("ParameterNotFound", "Parameter %s not found.", in.Name)
	}
	if public(in.Name) {
		return nil, awsjson.Errorf("AccessDeniedException", "No access to reserved parameter name: %s.", in.Name)
	}
	delete(m, in.Name)
	return map[string]any{}, nil
}

func (s *Service) describeParameters(r *awsemu.Request) (any, error) {
	var in struct {
		Filters []struct {
			Key    string   `json:"Key"`
			Values []string `json:"Values"`
		} `json:"Filters"`
		ParameterFilters []stringFilter `json:"ParameterFilters"`
		MaxResults       *int           `json:"MaxResults"`
		NextToken        string         `json:"NextToken"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	if len(in.Filters) > 0 && len(in.ParameterFilters) > 0 {
		return nil, validation("You can use either Filters or ParameterFilters in a single request.")
	}
	filters := in.ParameterFilters
	for _, f := range in.Filters {
		filters = append(filters, stringFilter{Key: f.Key, Option: "Equals", Values: f.Values})
	}
	max, e := maxResultsOr(in.MaxResults, 10, 50)
	if e != nil {
		return nil, e
	}
	if e := checkFilters(filters, false); e != nil {
		return nil, e
	}
	off, e := offset(in.NextToken)
	if e != nil {
		return nil, e
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.regions[r.Region]
	var all []metadataOut
	for _, n := range sortedNames(m) {
		p := m[n]
		if public(n) || !matches(p, filters) {
			continue
		}
		v := p.latest()
		all = append(all, metadataOut{
			Name: p.name, ARN: s.arn(r.Region, p.name), Type: p.typ, KeyID: p.keyID,
			LastModifiedDate: awsjson.TimePtr(v.modified), LastModifiedUser: v.user, Description: v.description,
			AllowedPattern: v.allowedPattern, Version: v.n, Tier: p.tier, Policies: []any{}, DataType: v.dataType,
		})
	}
	return parametersPage(all, off, max), nil
}

// String describes the service for logs.
func (s *Service) String() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, m := range s.regions {
		n += len(m)
	}
	return fmt.Sprintf("ssm: %d parameters in %d regions", n, len(s.regions))
}
