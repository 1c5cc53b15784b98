package eks

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/restjson"
	"github.com/winami/winami/awsemu/world"
)

// ClusterCreateDuration is how long a cluster made with CreateCluster stays CREATING.
const ClusterCreateDuration = 10 * time.Minute

var routes = restjson.NewRouter(
	restjson.Route{Method: http.MethodGet, Path: "/clusters/{name}", Op: "DescribeCluster"},
	restjson.Route{Method: http.MethodPost, Path: "/clusters", Op: "CreateCluster"},
	restjson.Route{Method: http.MethodGet, Path: "/cluster-versions", Op: "DescribeClusterVersions"},
	// Managed node groups and their updates.
	// https://docs.aws.amazon.com/eks/latest/APIReference/API_Operations.html
	restjson.Route{Method: http.MethodPost, Path: "/clusters/{name}/node-groups", Op: "CreateNodegroup"},
	restjson.Route{Method: http.MethodGet, Path: "/clusters/{name}/node-groups", Op: "ListNodegroups"},
	restjson.Route{Method: http.MethodGet, Path: "/clusters/{name}/node-groups/{nodegroupName}", Op: "DescribeNodegroup"},
	restjson.Route{Method: http.MethodDelete, Path: "/clusters/{name}/node-groups/{nodegroupName}", Op: "DeleteNodegroup"},
	restjson.Route{Method: http.MethodPost, Path: "/clusters/{name}/node-groups/{nodegroupName}/update-config", Op: "UpdateNodegroupConfig"},
	restjson.Route{Method: http.MethodPost, Path: "/clusters/{name}/node-groups/{nodegroupName}/update-version", Op: "UpdateNodegroupVersion"},
	restjson.Route{Method: http.MethodGet, Path: "/clusters/{name}/updates", Op: "ListUpdates"},
	restjson.Route{Method: http.MethodGet, Path: "/clusters/{name}/updates/{updateId}", Op: "DescribeUpdate"},
)

// Cluster is an EKS cluster as the service stores it.
type Cluster struct {
	Name    string
	Region  string
	Version string
	// Endpoint is the API server URL ("https://…"); empty gives a made-up one.
	Endpoint string
	// CertificateAuthority is the base64 PEM of the API server's CA.
	CertificateAuthority string
	RoleArn              string
	Tags                 map[string]string
	CreatedAt            time.Time
	// ready is when a created cluster turns ACTIVE (zero: ACTIVE from the start).
	ready time.Time
	token string
	doc   map[string]any
}

// Service is the EKS service.
type Service struct {
	srv        *awsemu.Server
	mu         sync.Mutex
	clusters   map[string]*Cluster   // region/name
	nodegroups map[string]*nodegroup // region/cluster/name
	seq        uint64                // seeds node group and update ids
}

// New returns the EKS service and registers it on srv.
func New(srv *awsemu.Server) *Service {
	s := &Service{srv: srv, clusters: map[string]*Cluster{}, nodegroups: map[string]*nodegroup{}}
	srv.Register(s)
	return s
}

// SeedCluster adds an ACTIVE cluster (replacing one of the same name and region).
func (s *Service) SeedCluster(c Cluster) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Region == "" {
		c.Region = awsemu.DefaultRegion
	}
	if c.Version == "" {
		c.Version = world.LatestKubernetes()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.srv.Clock.Now()
	}
	c.ready = time.Time{}
	s.clusters[c.Region+"/"+c.Name] = &c
}

// Name is the SigV4 signing name.
func (s *Service) Name() string { return "eks" }

// Operation names the operation from the REST route.
func (s *Service) Operation(r *awsemu.Request) string {
	op, _ := routes.Match(r.HTTP)
	return op
}

// Throttle is EKS's throttling error.
func (s *Service) Throttle() (int, string) { return http.StatusTooManyRequests, "ThrottlingException" }

// WriteError writes a restJson1 error.
func (s *Service) WriteError(w http.ResponseWriter, r *awsemu.Request, status int, code, message string) {
	restjson.WriteError(w, &restjson.Error{Status: status, Code: code, Message: message})
}

// Serve answers one request.
func (s *Service) Serve(w http.ResponseWriter, r *awsemu.Request, op string) {
	_, params := routes.Match(r.HTTP)
	s.mu.Lock()
	s.advance(s.srv.Clock.Now().UTC())
	s.mu.Unlock()
	var (
		out any
		err *restjson.Error
	)
	switch op {
	case "DescribeCluster":
		out, err = s.describeCluster(r, params["name"])
	case "CreateCluster":
		out, err = s.createCluster(r)
	case "DescribeClusterVersions":
		out, err = s.describeClusterVersions(r)
	case "CreateNodegroup":
		out, err = s.createNodegroup(r, params["name"])
	case "ListNodegroups":
		out, err = s.listNodegroups(r, params["name"])
	case "DescribeNodegroup":
		out, err = s.describeNodegroup(r, params["name"], params["nodegroupName"])
	case "DeleteNodegroup":
		out, err = s.deleteNodegroup(r, params["name"], params["nodegroupName"])
	case "UpdateNodegroupConfig":
		out, err = s.updateNodegroupConfig(r, params["name"], params["nodegroupName"])
	case "UpdateNodegroupVersion":
		out, err = s.updateNodegroupVersion(r, params["name"], params["nodegroupName"])
	case "ListUpdates":
		out, err = s.listUpdates(r, params["name"])
	case "DescribeUpdate":
		out, err = s.describeUpdate(r, params["name"], params["updateId"])
	default:
		err = restjson.Errorf(http.StatusNotFound, "UnknownOperationException", "awsemu eks does not serve %s %s", r.HTTP.Method, r.HTTP.URL.Path)
	}
	if err != nil {
		restjson.WriteError(w, err)
		return
	}
	restjson.WriteJSON(w, out)
}

func (s *Service) clusterJSON(c *Cluster, account string) map[string]any {
	now := s.srv.Clock.Now()
	status := "ACTIVE"
	if !c.ready.IsZero() && now.Before(c.ready) {
		status = "CREATING"
	}
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = fmt.Sprintf("https://%X.gr7.%s.eks.amazonaws.com", fnv(c.Region+c.Name), c.Region)
	}
	ca := c.CertificateAuthority
	if ca == "" {
		ca = base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nawsemu\n-----END CERTIFICATE-----\n"))
	}
	part := world.Partition(c.Region)
	out := map[string]any{}
	for k, v := range c.doc {
		out[k] = v
	}
	delete(out, "clientRequestToken")
	tags := c.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	out["name"] = c.Name
	out["arn"] = fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", part, c.Region, account, c.Name)
	out["createdAt"] = restjson.EpochSeconds(c.CreatedAt)
	out["version"] = c.Version
	out["roleArn"] = c.RoleArn
	out["status"] = status
	out["platformVersion"] = "eks.1"
	out["tags"] = tags
	out["id"] = fmt.Sprintf("%08x-0000-4000-8000-%012x", fnv(c.Name), fnv(c.Region))
	if status == "ACTIVE" {
		out["endpoint"] = endpoint
		out["certificateAuthority"] = map[string]any{"data": ca}
	}
	vpc := map[string]any{"subnetIds": []any{}, "securityGroupIds": []any{}, "endpointPublicAccess": true,
		"endpointPrivateAccess": false, "publicAccessCidrs": []any{"0.0.0.0/0"}, "vpcId": fmt.Sprintf("vpc-%08x", fnv(c.Region))}
	if given, ok := out["resourcesVpcConfig"].(map[string]any); ok {
		for k, v := range given {
			vpc[k] = v
		}
	}
	vpc["clusterSecurityGroupId"] = fmt.Sprintf("sg-%08x", fnv(c.Name))
	out["resourcesVpcConfig"] = vpc
	out["kubernetesNetworkConfig"] = map[string]any{"serviceIpv4Cidr": "10.100.0.0/16", "ipFamily": "ipv4"}
	out["identity"] = map[string]any{"oidc": map[string]any{"issuer": fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/%X", c.Region, fnv(c.Name))}}
	if c.token != "" {
		out["clientRequestToken"] = c.token
	}
	return out
}

func fnv(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func (s *Service) describeCluster(r *awsemu.Request, name string) (any, *restjson.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clusters[r.Region+"/"+name]
	if !ok {
		return nil, &restjson.Error{Status: http.StatusNotFound, Code: "ResourceNotFoundException",
			Message: fmt.Sprintf("No cluster found for name: %s.", name), Fields: map[string]any{"clusterName": name}}
	}
	return map[string]any{"cluster": s.clusterJSON(c, r.Account)}, nil
}

var clusterNameRE = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]*$`)

func (s *Service) createCluster(r *awsemu.Request) (any, *restjson.Error) {
	var doc map[string]any
	if err := restjson.Decode(r.Body, &doc, "InvalidParameterException"); err != nil {
		return nil, err
	}
	var in struct {
		Name               string            `json:"name"`
		Version            string            `json:"version"`
		RoleArn            string            `json:"roleArn"`
		ClientRequestToken string            `json:"clientRequestToken"`
		Tags               map[string]string `json:"tags"`
	}
	b, _ := json.Marshal(doc)
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, restjson.Errorf(http.StatusBadRequest, "InvalidParameterException", "decoding request: %v", err)
	}
	if in.Name == "" || len(in.Name) > 100 || !clusterNameRE.MatchString(in.Name) {
		return nil, restjson.Errorf(http.StatusBadRequest, "InvalidParameterException", "The cluster name %q is not valid: it must match ^[0-9A-Za-z][A-Za-z0-9\\-_]* and be 1 to 100 characters.", in.Name)
	}
	if in.RoleArn == "" {
		return nil, restjson.Errorf(http.StatusBadRequest, "InvalidParameterException", "roleArn is required.")
	}
	if in.Version == "" {
		in.Version = defaultVersion()
	} else if !supported(in.Version) {
		return nil, restjson.Errorf(http.StatusBadRequest, "InvalidParameterException", "unsupported Kubernetes version %s", in.Version)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := r.Region + "/" + in.Name
	if c, ok := s.clusters[key]; ok {
		if in.ClientRequestToken != "" && c.token == in.ClientRequestToken {
			return map[string]any{"cluster": s.clusterJSON(c, r.Account)}, nil
		}
		return nil, &restjson.Error{Status: http.StatusConflict, Code: "ResourceInUseException",
			Message: fmt.Sprintf("Cluster already exists with name: %s", in.Name), Fields: map[string]any{"clusterName": in.Name}}
	}
	now := s.srv.Clock.Now()
	c := &Cluster{Name: in.Name, Region: r.Region, Version: in.Version, RoleArn: in.RoleArn, Tags: in.Tags,
		CreatedAt: now, ready: now.Add(ClusterCreateDuration), token: in.ClientRequestToken, doc: doc}
	delete(c.doc, "version")
	s.clusters[key] = c
	return map[string]any{"cluster": s.clusterJSON(c, r.Account)}, nil
}

// release is one EKS Kubernetes version's calendar.
type release struct {
	version string
	date    string // release on EKS
	status  string // UNSUPPORTED once EKS no longer supports it
}

// releases lists world.json's Kubernetes versions, newest first, with their EKS release
// dates. End of standard support is 14 months after release, end of extended support
// 26 months after.
func releases() []release {
	var out []release
	for _, k := range world.AllKubernetes() {
		status := k.Status
		if status == "" {
			status = "UNSUPPORTED"
		}
		out = append(out, release{version: k.Version, date: k.EKSRelease, status: status})
	}
	sort.Slice(out, func(i, j int) bool { return minor(out[i].version) > minor(out[j].version) })
	return out
}

// minor is the minor number of a "1.NN" version (-1 when it is not one).
func minor(v string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(v, "1."))
	if err != nil || !strings.HasPrefix(v, "1.") {
		return -1
	}
	return n
}

func supported(v string) bool {
	for _, r := range releases() {
		if r.version == v && r.status != "UNSUPPORTED" {
			return true
		}
	}
	return false
}

// defaultVersion is the version EKS picks when none is given: the newest in standard support.
func defaultVersion() string { return world.LatestKubernetes() }

func (s *Service) describeClusterVersions(r *awsemu.Request) (any, *restjson.Error) {
	q := r.HTTP.URL.Query()
	bad := func(format string, args ...any) *restjson.Error {
		return restjson.Errorf(http.StatusBadRequest, "InvalidParameterException", format, args...)
	}
	clusterType := q.Get("clusterType")
	if clusterType != "" && clusterType != "eks" && clusterType != "eks-local-outposts" {
		return nil, bad("clusterType %q is not valid: eks or eks-local-outposts", clusterType)
	}
	if clusterType == "" {
		clusterType = "eks"
	}
	maxResults := 100
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return nil, bad("maxResults must be between 1 and 100, not %s", v)
		}
		maxResults = n
	}
	parseBool := func(name string) (bool, *restjson.Error) {
		v := q.Get(name)
		if v == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, bad("%s must be true or false, not %q", name, v)
		}
		return b, nil
	}
	defaultOnly, err := parseBool("defaultOnly")
	if err != nil {
		return nil, err
	}
	includeAll, err := parseBool("includeAll")
	if err != nil {
		return nil, err
	}
	versionStatus := q.Get("versionStatus")
	if st := q.Get("status"); st != "" && versionStatus == "" {
		versionStatus = strings.ToUpper(strings.ReplaceAll(st, "-", "_"))
	}
	switch versionStatus {
	case "", "UNSUPPORTED", "STANDARD_SUPPORT", "EXTENDED_SUPPORT":
	default:
		return nil, bad("versionStatus %q is not valid: UNSUPPORTED, STANDARD_SUPPORT or EXTENDED_SUPPORT", versionStatus)
	}
	wanted := map[string]bool{}
	for _, v := range q["clusterVersions"] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				wanted[p] = true
			}
		}
	}
	def := defaultVersion()
	var list []map[string]any
	for _, rel := range releases() {
		if rel.status == "UNSUPPORTED" && !includeAll && versionStatus != "UNSUPPORTED" && !wanted[rel.version] {
			continue
		}
		if versionStatus != "" && rel.status != versionStatus {
			continue
		}
		if len(wanted) > 0 && !wanted[rel.version] {
			continue
		}
		if defaultOnly && rel.version != def {
			continue
		}
		e := map[string]any{
			"clusterVersion":         rel.version,
			"clusterType":            clusterType,
			"defaultPlatformVersion": "eks.1",
			"defaultVersion":         rel.version == def,
			"status":                 strings.ToLower(strings.ReplaceAll(rel.status, "_", "-")),
			"versionStatus":          rel.status,
		}
		if d, err := time.Parse("2006-01-02", rel.date); err == nil {
			e["releaseDate"] = restjson.EpochSeconds(d)
			e["endOfStandardSupportDate"] = restjson.EpochSeconds(d.AddDate(0, 14, 0))
			e["endOfExtendedSupportDate"] = restjson.EpochSeconds(d.AddDate(0, 26, 0))
		}
		list = append(list, e)
	}
	start := 0
	if tok := q.Get("nextToken"); tok != "" {
		n, err := decodeToken(tok)
		if err != nil || n < 0 || n > len(list) {
			return nil, bad("The nextToken %q is not valid.", tok)
		}
		start = n
	}
	end := start + maxResults
	out := map[string]any{}
	if end < len(list) {
		out["nextToken"] = encodeToken(end)
	} else {
		end = len(list)
	}
	page := list[start:end]
	if page == nil {
		page = []map[string]any{}
	}
	out["clusterVersions"] = page
	return out, nil
}

func encodeToken(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("eks-versions:" + strconv.Itoa(n)))
}

func decodeToken(tok string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, err
	}
	s, ok := strings.CutPrefix(string(b), "eks-versions:")
	if !ok {
		return 0, fmt.Errorf("not a token")
	}
	return strconv.Atoi(s)
}
