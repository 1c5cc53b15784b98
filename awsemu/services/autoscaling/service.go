package autoscaling

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/query"
)

// Namespace is the xmlns of Auto Scaling responses.
const Namespace = "http://autoscaling.amazonaws.com/doc/2011-01-01/"

// Service is the Auto Scaling service of an awsemu.Server.
type Service struct {
	srv *awsemu.Server

	mu      sync.Mutex
	regions map[string]*regionState
}

type regionState struct {
	groups  map[string]*group
	configs map[string]*launchConfig
}

type templateSpec struct {
	ID      string `xml:"LaunchTemplateId,omitempty"`
	Name    string `xml:"LaunchTemplateName,omitempty"`
	Version string `xml:"Version,omitempty"`
}

func (t templateSpec) empty() bool { return t.ID == "" && t.Name == "" }

type override struct {
	InstanceType     string        `xml:"InstanceType,omitempty"`
	WeightedCapacity string        `xml:"WeightedCapacity,omitempty"`
	ImageID          string        `xml:"ImageId,omitempty"`
	Template         *templateSpec `xml:"LaunchTemplateSpecification,omitempty"`
}

type mixedPolicy struct {
	LaunchTemplate struct {
		Spec      templateSpec            `xml:"LaunchTemplateSpecification"`
		Overrides query.Members[override] `xml:"Overrides"`
	} `xml:"LaunchTemplate"`
}

type tag struct {
	ResourceID        string `xml:"ResourceId"`
	ResourceType      string `xml:"ResourceType"`
	Key               string `xml:"Key"`
	Value             string `xml:"Value"`
	PropagateAtLaunch bool   `xml:"PropagateAtLaunch"`
}

type group struct {
	Name                    string                `xml:"AutoScalingGroupName"`
	ARN                     string                `xml:"AutoScalingGroupARN"`
	LaunchConfigurationName string                `xml:"LaunchConfigurationName,omitempty"`
	LaunchTemplate          *templateSpec         `xml:"LaunchTemplate,omitempty"`
	MixedInstancesPolicy    *mixedPolicy          `xml:"MixedInstancesPolicy,omitempty"`
	MinSize                 int64                 `xml:"MinSize"`
	MaxSize                 int64                 `xml:"MaxSize"`
	DesiredCapacity         int64                 `xml:"DesiredCapacity"`
	DefaultCooldown         int64                 `xml:"DefaultCooldown"`
	AvailabilityZones       query.Members[string] `xml:"AvailabilityZones"`
	HealthCheckType         string                `xml:"HealthCheckType"`
	HealthCheckGracePeriod  int64                 `xml:"HealthCheckGracePeriod"`
	DefaultInstanceWarmup   *int64                `xml:"DefaultInstanceWarmup,omitempty"`
	// Instances is filled from members when the group is described.
	Instances         query.Members[instanceXML] `xml:"Instances"`
	CreatedTime       string                     `xml:"CreatedTime"`
	VPCZoneIdentifier string                     `xml:"VPCZoneIdentifier,omitempty"`
	Tags              query.Members[tag]         `xml:"Tags"`

	svc        *Service
	region     string
	account    string
	members    []*member
	activities []*activity
	refreshes  []*refresh // newest first
	// retryAt: after a failed launch, the group launches again from then on.
	retryAt time.Time
}

type launchConfig struct {
	Name               string                `xml:"LaunchConfigurationName"`
	ARN                string                `xml:"LaunchConfigurationARN"`
	ImageID            string                `xml:"ImageId"`
	InstanceType       string                `xml:"InstanceType"`
	KeyName            string                `xml:"KeyName,omitempty"`
	SecurityGroups     query.Members[string] `xml:"SecurityGroups"`
	IamInstanceProfile string                `xml:"IamInstanceProfile,omitempty"`
	CreatedTime        string                `xml:"CreatedTime"`
}

// New creates the service, registers it on srv (it is an awsemu.Ticker: groups keep their
// capacity on the server's clock) and sets srv.AutoScaling.
func New(srv *awsemu.Server) *Service {
	s := &Service{srv: srv, regions: map[string]*regionState{}}
	srv.Register(s)
	srv.AutoScaling = s
	return s
}

// Name is the SigV4 signing name, "autoscaling".
func (s *Service) Name() string { return "autoscaling" }

// Operation is the awsQuery Action.
func (s *Service) Operation(r *awsemu.Request) string { return query.Action(r.Body) }

// WriteError writes an awsQuery error.
func (s *Service) WriteError(w http.ResponseWriter, r *awsemu.Request, status int, code, message string) {
	query.WriteQueryError(w, status, code, message, r.ID)
}

// Throttle is Auto Scaling's throttling answer: 400 Throttling.
func (s *Service) Throttle() (int, string) { return http.StatusBadRequest, "Throttling" }

type apiError struct {
	code, message string
}

func errf(code, format string, args ...any) *apiError {
	return &apiError{code: code, message: fmt.Sprintf(format, args...)}
}

type call struct {
	v       query.Values
	region  string
	account string
	now     time.Time
	rs      *regionState
}

var handlers = map[string]func(*Service, *call) (any, *apiError){
	"CreateAutoScalingGroup":              (*Service).createGroup,
	"DescribeAutoScalingGroups":           (*Service).describeGroups,
	"DeleteAutoScalingGroup":              (*Service).deleteGroup,
	"CreateLaunchConfiguration":           (*Service).createConfig,
	"DescribeLaunchConfigurations":        (*Service).describeConfigs,
	"DeleteLaunchConfiguration":           (*Service).deleteConfig,
	"UpdateAutoScalingGroup":              (*Service).updateGroup,
	"SetDesiredCapacity":                  (*Service).setDesiredCapacity,
	"SetInstanceHealth":                   (*Service).setInstanceHealth,
	"DescribeAutoScalingInstances":        (*Service).describeInstances,
	"DescribeScalingActivities":           (*Service).describeActivities,
	"TerminateInstanceInAutoScalingGroup": (*Service).terminateInstance,
	"StartInstanceRefresh":                (*Service).startRefresh,
	"DescribeInstanceRefreshes":           (*Service).describeRefreshes,
	"CancelInstanceRefresh":               (*Service).cancelRefresh,
	"RollbackInstanceRefresh":             (*Service).rollbackRefresh,
}

// Serve answers one request.
func (s *Service) Serve(w http.ResponseWriter, r *awsemu.Request, op string) {
	v, err := query.Parse(r.Body)
	if err != nil {
		query.WriteQueryError(w, http.StatusBadRequest, "MalformedInput", err.Error(), r.ID)
		return
	}
	h, ok := handlers[op]
	if !ok {
		query.WriteQueryError(w, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version 2011-01-01", op), r.ID)
		return
	}
	s.mu.Lock()
	out, aerr := h(s, &call{v: v, region: r.Region, account: r.Account, now: s.srv.Clock.Now().UTC(), rs: s.region(r.Region)})
	s.mu.Unlock()
	if aerr != nil {
		query.WriteQueryError(w, http.StatusBadRequest, aerr.code, aerr.message, r.ID)
		return
	}
	query.WriteQuery(w, op, Namespace, r.ID, out)
}

// region returns (creating on first use) a region's state. Callers hold s.mu.
func (s *Service) region(name string) *regionState {
	rs := s.regions[name]
	if rs == nil {
		rs = &regionState{groups: map[string]*group{}, configs: map[string]*launchConfig{}}
		s.regions[name] = rs
	}
	return rs
}

func readTemplate(v query.Values) templateSpec {
	return templateSpec{ID: v.Get("LaunchTemplateId"), Name: v.Get("LaunchTemplateName"), Version: v.Get("Version")}
}

func checkTemplate(t templateSpec, field string) *apiError {
	if (t.ID == "") == (t.Name == "") {
		return errf("ValidationError", "Valid requests must contain either launchTemplateId or LaunchTemplateName in %s", field)
	}
	return nil
}

func intParam(v query.Values, key string, required bool) (int64, *apiError) {
	n, ok, err := v.Int(key)
	if err != nil {
		return 0, errf("ValidationError", "%s: %v", key, err)
	}
	if !ok && required {
		return 0, errf("ValidationError", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(key))
	}
	if n < 0 {
		return 0, errf("ValidationError", "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to 0", n, lowerFirst(key))
	}
	return n, nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

func (s *Service) createGroup(c *call) (any, *apiError) {
	name := c.v.Get("AutoScalingGroupName")
	if name == "" {
		return nil, errf("ValidationError", "1 validation error detected: Value null at 'autoScalingGroupName' failed to satisfy constraint: Member must not be null")
	}
	if c.rs.groups[name] != nil {
		return nil, errf("AlreadyExists", "AutoScalingGroup by this name already exists - A group with the name %s already exists", name)
	}
	minSize, aerr := intParam(c.v, "MinSize", true)
	if aerr != nil {
		return nil, aerr
	}
	maxSize, aerr := intParam(c.v, "MaxSize", true)
	if aerr != nil {
		return nil, aerr
	}
	desired, _ := intParam(c.v, "DesiredCapacity", false)
	if !c.v.Has("DesiredCapacity") {
		desired = minSize
	}
	if minSize > maxSize || desired < minSize || desired > maxSize {
		return nil, errf("ValidationError", "Desired capacity:%d must be between the specified min size:%d and max size:%d", desired, minSize, maxSize)
	}
	g := &group{Name: name, MinSize: minSize, MaxSize: maxSize, DesiredCapacity: desired, DefaultCooldown: 300,
		HealthCheckType: "EC2", CreatedTime: query.Time(c.now), VPCZoneIdentifier: c.v.Get("VPCZoneIdentifier"),
		ARN: fmt.Sprintf("arn:aws:autoscaling:%s:%s:autoScalingGroup:%s:autoScalingGroupName/%s", c.region, c.account, uuidish(name), name),
		svc: s, region: c.region, account: c.account}
	if aerr := s.readGroupSettings(c, g); aerr != nil {
		return nil, aerr
	}
	g.AvailabilityZones.Members = c.v.Members("AvailabilityZones")
	if len(g.AvailabilityZones.Members) == 0 {
		if g.VPCZoneIdentifier == "" {
			return nil, errf("ValidationError", "At least one Availability Zone or VPC Subnet is required.")
		}
		g.AvailabilityZones.Members = s.subnetZones(c.region, g.VPCZoneIdentifier)
	}
	src, sources, aerr := s.readSource(c)
	if aerr != nil {
		return nil, aerr
	}
	if sources != 1 {
		return nil, errf("ValidationError", "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.")
	}
	g.setSource(src)
	g.Instances.Members = []instanceXML{}
	g.Tags.Members = []tag{}
	for _, t := range c.v.Structs("Tags.member") {
		p, _ := t.Bool("PropagateAtLaunch")
		g.Tags.Members = append(g.Tags.Members, tag{ResourceID: name, ResourceType: "auto-scaling-group", Key: t.Get("Key"), Value: t.Get("Value"), PropagateAtLaunch: p})
	}
	c.rs.groups[name] = g
	return nil, nil
}

func uuidish(s string) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	x := fmt.Sprintf("%016x%016x", h, h*31)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// pageOf returns the page of sorted keys that starts at NextToken, MaxRecords long (def
// when absent, at most max).
func pageOf(c *call, keys []string, def, max int) ([]string, string, *apiError) {
	sort.Strings(keys)
	n := def
	if c.v.Has("MaxRecords") {
		m, _, err := c.v.Int("MaxRecords")
		if err != nil || m < 1 || m > int64(max) {
			return nil, "", errf("ValidationError", "MaxRecords must be between 1 and %d", max)
		}
		n = int(m)
	}
	start := 0
	if tok := c.v.Get("NextToken"); tok != "" {
		i, err := strconv.Atoi(tok)
		if err != nil || i < 0 || i > len(keys) {
			return nil, "", errf("InvalidNextToken", "The token '%s' is invalid.", tok)
		}
		start = i
	}
	end := min(start+n, len(keys))
	next := ""
	if end < len(keys) {
		next = strconv.Itoa(end)
	}
	return keys[start:end], next, nil
}

// describeNamed is a Describe call's page of items: those the names parameter lists
// (every one when it lists none), in name order, never nil.
func describeNamed[T any](c *call, items map[string]T, namesParam string) ([]T, string, *apiError) {
	names := c.v.Members(namesParam)
	var keys []string
	for k := range items {
		if len(names) == 0 || contains(names, k) {
			keys = append(keys, k)
		}
	}
	page, next, aerr := pageOf(c, keys, 50, 100)
	if aerr != nil {
		return nil, "", aerr
	}
	out := make([]T, 0, len(page))
	for _, k := range page {
		out = append(out, items[k])
	}
	return out, next, nil
}

func (s *Service) describeGroups(c *call) (any, *apiError) {
	page, next, aerr := describeNamed(c, c.rs.groups, "AutoScalingGroupNames")
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Groups    query.Members[*group] `xml:"AutoScalingGroups"`
		NextToken string                `xml:"NextToken,omitempty"`
	}{NextToken: next}
	for _, g := range page {
		g.Instances.Members = []instanceXML{}
		for _, m := range g.members {
			g.Instances.Members = append(g.Instances.Members, m.xml())
		}
	}
	out.Groups.Members = page
	return out, nil
}

// deleteGroup deletes a group. A group with instances needs ForceDelete, which terminates
// them.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DeleteAutoScalingGroup.html
func (s *Service) deleteGroup(c *call) (any, *apiError) {
	name := c.v.Get("AutoScalingGroupName")
	g := c.rs.groups[name]
	if g == nil {
		return nil, errf("ValidationError", "AutoScalingGroup name not found - AutoScalingGroup '%s' not found", name)
	}
	force, _ := c.v.Bool("ForceDelete")
	if !force && len(g.members) > 0 {
		return nil, errf("ResourceInUse", "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.")
	}
	s.removeGroup(c.region, g)
	return nil, nil
}

// removeGroup terminates a group's instances and forgets it.
func (s *Service) removeGroup(region string, g *group) {
	store, _ := s.srv.EC2.(awsemu.InstanceStore)
	for _, m := range g.members {
		if store != nil && m.Lifecycle != Terminating {
			_ = store.TerminateInstance(region, m.ID)
		}
	}
	delete(s.regions[region].groups, g.Name)
}

func (s *Service) createConfig(c *call) (any, *apiError) {
	name := c.v.Get("LaunchConfigurationName")
	if name == "" {
		return nil, errf("ValidationError", "1 validation error detected: Value null at 'launchConfigurationName' failed to satisfy constraint: Member must not be null")
	}
	if c.rs.configs[name] != nil {
		return nil, errf("AlreadyExists", "Launch Configuration by this name already exists - A launch configuration already exists with the name %s", name)
	}
	img := c.v.Get("ImageId")
	if img == "" || c.v.Get("InstanceType") == "" {
		return nil, errf("ValidationError", "ImageId and InstanceType are required when no InstanceId is given")
	}
	lc := &launchConfig{Name: name, ImageID: img, InstanceType: c.v.Get("InstanceType"), KeyName: c.v.Get("KeyName"),
		IamInstanceProfile: c.v.Get("IamInstanceProfile"), CreatedTime: query.Time(c.now),
		ARN: fmt.Sprintf("arn:aws:autoscaling:%s:%s:launchConfiguration:%s:launchConfigurationName/%s", c.region, c.account, uuidish("lc/"+name), name)}
	lc.SecurityGroups.Members = c.v.Members("SecurityGroups")
	c.rs.configs[name] = lc
	return nil, nil
}

func (s *Service) describeConfigs(c *call) (any, *apiError) {
	page, next, aerr := describeNamed(c, c.rs.configs, "LaunchConfigurationNames")
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Configs   query.Members[*launchConfig] `xml:"LaunchConfigurations"`
		NextToken string                       `xml:"NextToken,omitempty"`
	}{NextToken: next}
	out.Configs.Members = page
	return out, nil
}

func (s *Service) deleteConfig(c *call) (any, *apiError) {
	name := c.v.Get("LaunchConfigurationName")
	if c.rs.configs[name] == nil {
		return nil, errf("ValidationError", "Launch configuration name not found - Launch configuration %s not found", name)
	}
	for _, g := range c.rs.groups {
		if g.LaunchConfigurationName == name {
			return nil, errf("ResourceInUse", "Cannot delete launch configuration %s because it is attached to AutoScalingGroup %s", name, g.Name)
		}
	}
	delete(c.rs.configs, name)
	return nil, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
