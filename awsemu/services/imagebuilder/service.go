package imagebuilder

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/restjson"
)

var routes = restjson.NewRouter(
	restjson.Route{Method: http.MethodPut, Path: "/CreateComponent", Op: "CreateComponent"},
	restjson.Route{Method: http.MethodGet, Path: "/GetComponent", Op: "GetComponent"},
	restjson.Route{Method: http.MethodPost, Path: "/ListComponents", Op: "ListComponents"},
	restjson.Route{Method: http.MethodPost, Path: "/ListComponentBuildVersions", Op: "ListComponentBuildVersions"},
	restjson.Route{Method: http.MethodDelete, Path: "/DeleteComponent", Op: "DeleteComponent"},
	restjson.Route{Method: http.MethodPut, Path: "/CreateImageRecipe", Op: "CreateImageRecipe"},
	restjson.Route{Method: http.MethodGet, Path: "/GetImageRecipe", Op: "GetImageRecipe"},
	restjson.Route{Method: http.MethodPost, Path: "/ListImageRecipes", Op: "ListImageRecipes"},
	restjson.Route{Method: http.MethodDelete, Path: "/DeleteImageRecipe", Op: "DeleteImageRecipe"},
	restjson.Route{Method: http.MethodPut, Path: "/CreateInfrastructureConfiguration", Op: "CreateInfrastructureConfiguration"},
	restjson.Route{Method: http.MethodGet, Path: "/GetInfrastructureConfiguration", Op: "GetInfrastructureConfiguration"},
	restjson.Route{Method: http.MethodPost, Path: "/ListInfrastructureConfigurations", Op: "ListInfrastructureConfigurations"},
	restjson.Route{Method: http.MethodPut, Path: "/UpdateInfrastructureConfiguration", Op: "UpdateInfrastructureConfiguration"},
	restjson.Route{Method: http.MethodDelete, Path: "/DeleteInfrastructureConfiguration", Op: "DeleteInfrastructureConfiguration"},
	restjson.Route{Method: http.MethodPut, Path: "/CreateDistributionConfiguration", Op: "CreateDistributionConfiguration"},
	restjson.Route{Method: http.MethodGet, Path: "/GetDistributionConfiguration", Op: "GetDistributionConfiguration"},
	restjson.Route{Method: http.MethodPost, Path: "/ListDistributionConfigurations", Op: "ListDistributionConfigurations"},
	restjson.Route{Method: http.MethodPut, Path: "/UpdateDistributionConfiguration", Op: "UpdateDistributionConfiguration"},
	restjson.Route{Method: http.MethodDelete, Path: "/DeleteDistributionConfiguration", Op: "DeleteDistributionConfiguration"},
	restjson.Route{Method: http.MethodPut, Path: "/CreateImagePipeline", Op: "CreateImagePipeline"},
	restjson.Route{Method: http.MethodGet, Path: "/GetImagePipeline", Op: "GetImagePipeline"},
	restjson.Route{Method: http.MethodPost, Path: "/ListImagePipelines", Op: "ListImagePipelines"},
	restjson.Route{Method: http.MethodPut, Path: "/UpdateImagePipeline", Op: "UpdateImagePipeline"},
	restjson.Route{Method: http.MethodDelete, Path: "/DeleteImagePipeline", Op: "DeleteImagePipeline"},
	restjson.Route{Method: http.MethodPut, Path: "/StartImagePipelineExecution", Op: "StartImagePipelineExecution"},
	restjson.Route{Method: http.MethodGet, Path: "/GetImage", Op: "GetImage"},
	restjson.Route{Method: http.MethodPost, Path: "/ListImagePipelineImages", Op: "ListImagePipelineImages"},
	restjson.Route{Method: http.MethodPut, Path: "/CancelImageCreation", Op: "CancelImageCreation"},
	restjson.Route{Method: http.MethodPost, Path: "/ListImageScanFindings", Op: "ListImageScanFindings"},
	restjson.Route{Method: http.MethodPost, Path: "/ListImageScanFindingAggregations", Op: "ListImageScanFindingAggregations"},
	restjson.Route{Method: http.MethodPost, Path: "/tags/{resourceArn}", Op: "TagResource"},
	restjson.Route{Method: http.MethodGet, Path: "/tags/{resourceArn}", Op: "ListTagsForResource"},
	restjson.Route{Method: http.MethodDelete, Path: "/tags/{resourceArn}", Op: "UntagResource"},
)

// Service is the EC2 Image Builder service.
type Service struct {
	srv *awsemu.Server

	mu      sync.Mutex
	regions map[string]*region
	tokens  map[tokenKey]tokenEntry
	seq     int
	// withdrawn are Amazon-managed component versions a test withdrew (components.go).
	withdrawn map[string]bool
	// seeded are the scan findings the next builds of a pipeline get, by pipeline ARN (scan.go).
	seeded map[string][]map[string]any
}

// region holds one region's resources, keyed by ARN (components and images by build
// version ARN, recipes by version ARN).
type region struct {
	components map[string]*component
	recipes    map[string]*recipe
	infras     map[string]*config
	dists      map[string]*config
	pipelines  map[string]*pipeline
	images     map[string]*image
}

type tokenKey struct{ region, op, token string }

type tokenEntry struct {
	hash string
	out  map[string]any
}

// New returns the Image Builder service and registers it on srv.
func New(srv *awsemu.Server) *Service {
	s := &Service{srv: srv, regions: map[string]*region{}, tokens: map[tokenKey]tokenEntry{}, withdrawn: map[string]bool{},
		seeded: map[string][]map[string]any{}}
	srv.Register(s)
	services.Store(srv, s)
	srv.HandleControl(managedControl, http.HandlerFunc(s.serveManagedControl))
	srv.HandleControl(ScanFindingsControl, http.HandlerFunc(s.serveScanControl))
	return s
}

// Name is the SigV4 signing name.
func (s *Service) Name() string { return "imagebuilder" }

// Operation names the operation from the REST route.
func (s *Service) Operation(r *awsemu.Request) string {
	op, _ := routes.Match(r.HTTP)
	return op
}

// Throttle is the error injected throttling answers with: TooManyRequestsException (429),
// a modeled Image Builder error that the SDKs retry as throttling.
func (s *Service) Throttle() (int, string) {
	return http.StatusTooManyRequests, "TooManyRequestsException"
}

// WriteError writes a restJson1 error.
func (s *Service) WriteError(w http.ResponseWriter, r *awsemu.Request, status int, code, message string) {
	restjson.WriteError(w, &restjson.Error{Status: status, Code: code, Message: message})
}

func (s *Service) region(name string) *region {
	rg := s.regions[name]
	if rg == nil {
		rg = &region{
			components: map[string]*component{}, recipes: map[string]*recipe{},
			infras: map[string]*config{}, dists: map[string]*config{},
			pipelines: map[string]*pipeline{}, images: map[string]*image{},
		}
		s.regions[name] = rg
	}
	return rg
}

// call is one request being served.
type call struct {
	*awsemu.Request
	s   *Service
	rg  *region
	now time.Time
	raw map[string]any // the decoded JSON body
}

type handler func(c *call) (map[string]any, *restjson.Error)

// idempotent operations take a clientToken.
var idempotent = map[string]bool{
	"CreateComponent": true, "CreateImageRecipe": true, "CreateInfrastructureConfiguration": true,
	"UpdateInfrastructureConfiguration": true, "CreateDistributionConfiguration": true,
	"UpdateDistributionConfiguration": true, "CreateImagePipeline": true, "UpdateImagePipeline": true,
	"StartImagePipelineExecution": true, "CancelImageCreation": true,
}

// Serve answers one request.
func (s *Service) Serve(w http.ResponseWriter, r *awsemu.Request, op string) {
	handlers := map[string]handler{
		"CreateComponent": createComponent, "GetComponent": getComponent, "ListComponents": listComponents,
		"ListComponentBuildVersions": listComponentBuildVersions, "DeleteComponent": deleteComponent,
		"CreateImageRecipe": createImageRecipe, "GetImageRecipe": getImageRecipe,
		"ListImageRecipes": listImageRecipes, "DeleteImageRecipe": deleteImageRecipe,
		"CreateInfrastructureConfiguration": createInfra, "GetInfrastructureConfiguration": getInfra,
		"ListInfrastructureConfigurations": listInfras, "UpdateInfrastructureConfiguration": updateInfra,
		"DeleteInfrastructureConfiguration": deleteInfra,
		"CreateDistributionConfiguration":   createDist, "GetDistributionConfiguration": getDist,
		"ListDistributionConfigurations": listDists, "UpdateDistributionConfiguration": updateDist,
		"DeleteDistributionConfiguration": deleteDist,
		"CreateImagePipeline":             createPipeline, "GetImagePipeline": getPipeline,
		"ListImagePipelines": listPipelines, "UpdateImagePipeline": updatePipeline,
		"DeleteImagePipeline": deletePipeline, "StartImagePipelineExecution": startPipeline,
		"GetImage": getImage, "ListImagePipelineImages": listPipelineImages,
		"CancelImageCreation": cancelImage, "ListImageScanFindings": listScanFindings,
		"ListImageScanFindingAggregations": listScanAggregations,
		"TagResource":                      tagResource, "ListTagsForResource": listTags, "UntagResource": untagResource,
	}
	h := handlers[op]
	if h == nil {
		restjson.WriteError(w, restjson.Errorf(http.StatusNotFound, "UnknownOperationException",
			"awsemu imagebuilder does not serve %s %s", r.HTTP.Method, r.HTTP.URL.Path))
		return
	}
	c := &call{Request: r, s: s, raw: map[string]any{}}
	if err := restjson.Decode(r.Body, &c.raw, "InvalidRequestException"); err != nil {
		restjson.WriteError(w, err)
		return
	}
	if c.raw == nil {
		c.raw = map[string]any{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.now = s.srv.Clock.Now().UTC()
	c.rg = s.region(r.Region)
	s.advanceAll(c.now)

	var key tokenKey
	var hash string
	if idempotent[op] {
		token, _ := c.raw["clientToken"].(string)
		if token == "" {
			restjson.WriteError(w, invalidParam("clientToken", "clientToken is required"))
			return
		}
		if len(token) > 64 {
			restjson.WriteError(w, invalidParam("clientToken", "clientToken must be at most 64 characters"))
			return
		}
		key = tokenKey{r.Region, op, token}
		hash = requestHash(c.raw)
		if prev, ok := s.tokens[key]; ok {
			if prev.hash != hash {
				restjson.WriteError(w, restjson.Errorf(http.StatusBadRequest, "IdempotentParameterMismatchException",
					"The client token '%s' was used for a previous %s request with different parameters.", token, op))
				return
			}
			out := clone(prev.out)
			out["requestId"] = r.ID
			restjson.WriteJSON(w, out)
			return
		}
	}
	out, err := h(c)
	if err != nil {
		restjson.WriteError(w, err)
		return
	}
	if out == nil {
		out = map[string]any{}
	}
	if op != "TagResource" && op != "UntagResource" && op != "ListTagsForResource" {
		out["requestId"] = r.ID
	}
	if idempotent[op] {
		out["clientToken"] = key.token
		s.tokens[key] = tokenEntry{hash: hash, out: clone(out)}
	}
	restjson.WriteJSON(w, out)
}

// requestHash identifies a request's parameters, the client token aside.
func requestHash(raw map[string]any) string {
	m := clone(raw)
	delete(m, "clientToken")
	b, _ := json.Marshal(m)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// clone deep-copies a JSON document.
func clone(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	_ = dec.Decode(&out)
	return out
}

// decode converts the raw body (or part of it) into a typed struct.
func decode(v any, into any) *restjson.Error {
	b, _ := json.Marshal(v)
	if err := json.Unmarshal(b, into); err != nil {
		return restjson.Errorf(http.StatusBadRequest, "InvalidRequestException", "decoding request: %v", err)
	}
	return nil
}

// Errors in the shapes the Image Builder model gives them.

func invalidParam(param, format string, args ...any) *restjson.Error {
	return restjson.Errorf(http.StatusBadRequest, "InvalidParameterValueException",
		"The value supplied for parameter '%s' is not valid. %s", param, fmt.Sprintf(format, args...))
}

func notFound(format string, args ...any) *restjson.Error {
	return restjson.Errorf(http.StatusNotFound, "ResourceNotFoundException", format, args...)
}

func invalidRequest(format string, args ...any) *restjson.Error {
	return restjson.Errorf(http.StatusBadRequest, "InvalidRequestException", format, args...)
}

func alreadyExists(kind, arn string) *restjson.Error {
	return restjson.Errorf(http.StatusBadRequest, "ResourceAlreadyExistsException",
		"The following resource '%s' already exists: '%s'.", kind, arn)
}

func dependency(arn string, users []string) *restjson.Error {
	return restjson.Errorf(http.StatusBadRequest, "ResourceDependencyException",
		"Resource dependency error: The resource ARN '%s' has other resources depended on it: %s.", arn, strings.Join(users, ", "))
}

// Validation of common fields.

var nameRE = regexp.MustCompile(`^[-_A-Za-z-0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z-0-9]$`)

func checkName(name string) *restjson.Error {
	if !nameRE.MatchString(name) {
		return invalidParam("name", "name must match pattern ^[-_A-Za-z-0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z-0-9]$")
	}
	return nil
}

func checkOptional(raw map[string]any, field string, max int) *restjson.Error {
	v, ok := raw[field]
	if !ok {
		return nil
	}
	str, _ := v.(string)
	if len(str) < 1 || len(str) > max {
		return invalidParam(field, "%s must be between 1 and %d characters", field, max)
	}
	return nil
}

func checkTags(field string, v any) (map[string]string, *restjson.Error) {
	if v == nil {
		return nil, nil
	}
	var tags map[string]string
	if err := decode(v, &tags); err != nil {
		return nil, invalidParam(field, "%s must be a map of strings", field)
	}
	if len(tags) > 50 {
		return nil, invalidParam(field, "%s can hold at most 50 tags", field)
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, invalidParam(field, "tag key %q is not valid: 1 to 128 characters, not beginning with aws:, and values of at most 256 characters", k)
		}
	}
	return tags, nil
}

// timeString renders Image Builder's DateTime strings.
func timeString(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Pagination.

func pageParams(c *call) (max, start int, err *restjson.Error) {
	max = 25
	if v, ok := c.raw["maxResults"]; ok {
		n, e := strconv.Atoi(fmt.Sprint(v))
		if e != nil || n < 1 || n > 25 {
			return 0, 0, invalidParam("maxResults", "maxResults must be between 1 and 25")
		}
		max = n
	}
	if v, ok := c.raw["nextToken"].(string); ok && v != "" {
		b, e := base64.RawURLEncoding.DecodeString(v)
		s, found := strings.CutPrefix(string(b), "awsemu-ib:")
		n, e2 := strconv.Atoi(s)
		if e != nil || !found || e2 != nil || n < 0 {
			return 0, 0, restjson.Errorf(http.StatusBadRequest, "InvalidPaginationTokenException", "The pagination token '%s' is not valid.", v)
		}
		start = n
	}
	return max, start, nil
}

// page cuts one page of items and sets listKey and nextToken on out.
func page[T any](c *call, items []T, listKey string, render func(T) map[string]any) (map[string]any, *restjson.Error) {
	max, start, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	if start > len(items) {
		return nil, restjson.Errorf(http.StatusBadRequest, "InvalidPaginationTokenException", "The pagination token is not valid.")
	}
	end := start + max
	out := map[string]any{}
	if end < len(items) {
		out["nextToken"] = base64.RawURLEncoding.EncodeToString([]byte("awsemu-ib:" + strconv.Itoa(end)))
	} else {
		end = len(items)
	}
	list := make([]map[string]any, 0, end-start)
	for _, it := range items[start:end] {
		list = append(list, render(it))
	}
	out[listKey] = list
	return out, nil
}

// filter is one element of a list request's filters.
type filter struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// filters decodes the filters of a list request, allowing only the given names.
func filters(c *call, allowed ...string) (map[string][]string, *restjson.Error) {
	var fs []filter
	if v, ok := c.raw["filters"]; ok {
		if err := decode(v, &fs); err != nil {
			return nil, err
		}
		if len(fs) < 1 || len(fs) > 10 {
			return nil, invalidParam("filters", "filters must hold between 1 and 10 filters")
		}
	}
	out := map[string][]string{}
	for _, f := range fs {
		ok := false
		for _, a := range allowed {
			if f.Name == a {
				ok = true
			}
		}
		if !ok {
			return nil, restjson.Errorf(http.StatusBadRequest, "InvalidParameterValueException",
				"The filter name '%s' is not valid. Valid filter names: %s.", f.Name, strings.Join(allowed, ", "))
		}
		if len(f.Values) < 1 || len(f.Values) > 10 {
			return nil, invalidParam("filters", "filter %s must have between 1 and 10 values", f.Name)
		}
		out[f.Name] = append(out[f.Name], f.Values...)
	}
	return out, nil
}

// match tells whether value satisfies the filter named name (absent filters match).
func match(fs map[string][]string, name, value string) bool {
	vals, ok := fs[name]
	if !ok {
		return true
	}
	for _, v := range vals {
		if v == value {
			return true
		}
	}
	return false
}
