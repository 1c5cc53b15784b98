package autoscaling

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/winami/winami/awsemu"
)

// The awsemu.AutoScalingStore EKS manages its node groups' Auto Scaling groups through.
// Each method takes the service's lock (EKS calls it holding its own: eks → autoscaling →
// ec2).

// CreateGroup implements awsemu.AutoScalingStore: a group with a launch template, created as
// CreateAutoScalingGroup would (the group's instances launch on the server's clock).
func (s *Service) CreateGroup(account string, g awsemu.AutoScalingGroup) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.region(g.Region)
	if rs.groups[g.Name] != nil {
		return &awsemu.APIError{Code: "AlreadyExists", Message: fmt.Sprintf("AutoScalingGroup by this name already exists - A group with the name %s already exists", g.Name)}
	}
	if g.MinSize > g.MaxSize || g.DesiredCapacity < g.MinSize || g.DesiredCapacity > g.MaxSize {
		return &awsemu.APIError{Code: "ValidationError", Message: fmt.Sprintf("Desired capacity:%d must be between the specified min size:%d and max size:%d", g.DesiredCapacity, g.MinSize, g.MaxSize)}
	}
	if len(g.SubnetIDs) == 0 && len(g.AvailabilityZones) == 0 {
		return &awsemu.APIError{Code: "ValidationError", Message: "At least one Availability Zone or VPC Subnet is required."}
	}
	t := &templateSpec{ID: g.LaunchTemplateID, Version: g.LaunchTemplateVersion}
	if aerr := s.checkTemplateExists(g.Region, t); aerr != nil {
		return &awsemu.APIError{Code: aerr.code, Message: aerr.message}
	}
	if account == "" {
		account = s.srv.Account
	}
	ng := &group{Name: g.Name, MinSize: g.MinSize, MaxSize: g.MaxSize, DesiredCapacity: g.DesiredCapacity, DefaultCooldown: 300,
		HealthCheckType: "EC2", CreatedTime: queryTime(s.srv.Clock.Now()), LaunchTemplate: t,
		ARN: fmt.Sprintf("arn:aws:autoscaling:%s:%s:autoScalingGroup:%s:autoScalingGroupName/%s", g.Region, account, uuidish(g.Name), g.Name),
		svc: s, region: g.Region, account: account}
	ng.VPCZoneIdentifier = joinComma(g.SubnetIDs)
	ng.AvailabilityZones.Members = slices.Clone(g.AvailabilityZones)
	if len(ng.AvailabilityZones.Members) == 0 {
		ng.AvailabilityZones.Members = s.subnetZones(g.Region, ng.VPCZoneIdentifier)
	}
	ng.Instances.Members = []instanceXML{}
	ng.Tags.Members = []tag{}
	for _, k := range slices.Sorted(maps.Keys(g.Tags)) {
		ng.Tags.Members = append(ng.Tags.Members, tag{ResourceID: g.Name, ResourceType: "auto-scaling-group", Key: k, Value: g.Tags[k], PropagateAtLaunch: true})
	}
	rs.groups[g.Name] = ng
	return nil
}

// Group implements awsemu.AutoScalingStore: a group with its instances (their launch
// template version the number EC2 launched them from).
func (s *Service) Group(region, name string) (awsemu.AutoScalingGroup, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.region(region).groups[name]
	if g == nil {
		return awsemu.AutoScalingGroup{}, false
	}
	out := awsemu.AutoScalingGroup{Name: g.Name, Region: region, MinSize: g.MinSize, MaxSize: g.MaxSize, DesiredCapacity: g.DesiredCapacity,
		SubnetIDs: splitSubnets(g.VPCZoneIdentifier), AvailabilityZones: slices.Clone(g.AvailabilityZones.Members), Tags: map[string]string{}}
	if t, _, ok := g.source().template(); ok {
		out.LaunchTemplateID, out.LaunchTemplateVersion = t.ID, t.Version
		if t.ID == "" {
			if id, _, ok := s.resolveVersion(region, t); ok {
				out.LaunchTemplateID = id
			}
		}
	}
	for _, tg := range g.Tags.Members {
		out.Tags[tg.Key] = tg.Value
	}
	for _, m := range g.members {
		ai := awsemu.AutoScalingInstance{ID: m.ID, AvailabilityZone: m.AZ, LifecycleState: m.Lifecycle, HealthStatus: m.Health}
		if m.Template != nil {
			ai.LaunchTemplateVersion = m.Template.Version
		}
		out.Instances = append(out.Instances, ai)
	}
	return out, true
}

// UpdateGroup implements awsemu.AutoScalingStore: sizes, launch template and subnets as
// UpdateAutoScalingGroup would change them. The three sizes are set as given (0 is a
// size: an EKS node group scaled to zero or being deleted); the launch template and
// subnets change only when not empty.
func (s *Service) UpdateGroup(u awsemu.AutoScalingGroup) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.region(u.Region).groups[u.Name]
	if g == nil {
		return &awsemu.APIError{Code: "ValidationError", Message: "AutoScalingGroup name not found - null"}
	}
	minSize, maxSize, desired := u.MinSize, u.MaxSize, u.DesiredCapacity
	if minSize > maxSize || desired < minSize || desired > maxSize {
		return &awsemu.APIError{Code: "ValidationError", Message: fmt.Sprintf("Desired capacity:%d must be between the specified min size:%d and max size:%d", desired, minSize, maxSize)}
	}
	if u.LaunchTemplateID != "" || u.LaunchTemplateVersion != "" {
		if r := g.activeRefresh(); r != nil && r.Desired != nil {
			return &awsemu.APIError{Code: "ValidationError", Message: "An active instance refresh with a desired configuration exists. All configuration options derived from the desired configuration are not available for update while the instance refresh is active."}
		}
		t := templateSpec{}
		if cur, _, ok := g.source().template(); ok {
			t = cur
		}
		if u.LaunchTemplateID != "" {
			t = templateSpec{ID: u.LaunchTemplateID, Version: t.Version}
		}
		if u.LaunchTemplateVersion != "" {
			t.Version = u.LaunchTemplateVersion
		}
		if aerr := s.checkTemplateExists(u.Region, &t); aerr != nil {
			return &awsemu.APIError{Code: aerr.code, Message: aerr.message}
		}
		g.setSource(source{LaunchTemplate: &t})
	}
	if len(u.SubnetIDs) > 0 {
		g.VPCZoneIdentifier = joinComma(u.SubnetIDs)
		g.AvailabilityZones.Members = s.subnetZones(u.Region, g.VPCZoneIdentifier)
	}
	g.MinSize, g.MaxSize, g.DesiredCapacity = minSize, maxSize, desired
	return nil
}

// DeleteGroup implements awsemu.AutoScalingStore: the group is deleted and its instances
// terminated (ForceDelete).
func (s *Service) DeleteGroup(region, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.region(region).groups[name]
	if g == nil {
		return &awsemu.APIError{Code: "ValidationError", Message: fmt.Sprintf("AutoScalingGroup name not found - AutoScalingGroup '%s' not found", name)}
	}
	s.removeGroup(region, g)
	return nil
}

// StartInstanceRefresh implements awsemu.AutoScalingStore: a rolling replacement of the
// instances that do not run the group's launch template version (skip matching), within
// spec's healthy percentages (0: the defaults, 90 and 100) and warmup.
func (s *Service) StartInstanceRefresh(region, name string, spec awsemu.InstanceRefreshSpec) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.region(region).groups[name]
	if g == nil {
		return "", &awsemu.APIError{Code: "ValidationError", Message: fmt.Sprintf("AutoScalingGroup name not found - AutoScalingGroup '%s' not found", name)}
	}
	if g.activeRefresh() != nil {
		return "", &awsemu.APIError{Code: "InstanceRefreshInProgress", Message: "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh."}
	}
	p := prefs{MinHealthy: 90, MaxHealthy: 100, SkipMatching: true, Warmup: spec.InstanceWarmup, WarmupGiven: true}
	if spec.MinHealthyPercentage != 0 || spec.MaxHealthyPercentage != 0 {
		p.MinHealthy = spec.MinHealthyPercentage
	}
	if spec.MaxHealthyPercentage != 0 {
		if spec.MaxHealthyPercentage < 100 || spec.MaxHealthyPercentage > 200 || spec.MaxHealthyPercentage-p.MinHealthy > 100 {
			return "", &awsemu.APIError{Code: "ValidationError", Message: fmt.Sprintf("MaxHealthyPercentage %d must be between 100 and 200 and at most 100 above MinHealthyPercentage %d.", spec.MaxHealthyPercentage, p.MinHealthy)}
		}
		p.MaxHealthy, p.MaxGiven = spec.MaxHealthyPercentage, true
	}
	if p.MinHealthy < 0 || p.MinHealthy > 100 {
		return "", &awsemu.APIError{Code: "ValidationError", Message: fmt.Sprintf("MinHealthyPercentage %d must be between 0 and 100.", p.MinHealthy)}
	}
	now := s.srv.Clock.Now().UTC()
	r := &refresh{ID: newUUID(), Status: RefreshPending, StartTime: now, Prefs: p, Original: g.source(), Hidden: spec.Hidden}
	g.refreshes = append([]*refresh{r}, g.refreshes...)
	return r.ID, nil
}

// InstanceRefresh implements awsemu.AutoScalingStore: the state of a refresh of a group.
func (s *Service) InstanceRefresh(region, name, id string) (awsemu.InstanceRefreshInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.region(region).groups[name]
	if g == nil {
		return awsemu.InstanceRefreshInfo{}, false
	}
	for _, r := range g.refreshes {
		if r.ID == id {
			pct, left := r.progress(g)
			return awsemu.InstanceRefreshInfo{ID: r.ID, Status: r.Status, StatusReason: r.StatusReason, PercentageComplete: pct, InstancesToUpdate: left}, true
		}
	}
	return awsemu.InstanceRefreshInfo{}, false
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

func queryTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

var _ awsemu.AutoScalingStore = (*Service)(nil)
var _ awsemu.Ticker = (*Service)(nil)
