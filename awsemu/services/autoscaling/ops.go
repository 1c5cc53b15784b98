package autoscaling

import (
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/query"
)

// newUUID returns a random version-4 UUID, as activity and instance refresh ids are.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// readGroupSettings reads the settings CreateAutoScalingGroup and UpdateAutoScalingGroup
// share: HealthCheckType (EC2 or ELB; awsemu checks EC2 health only),
// HealthCheckGracePeriod and DefaultInstanceWarmup (seconds).
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html
func (s *Service) readGroupSettings(c *call, g *group) *apiError {
	if c.v.Has("HealthCheckType") {
		switch t := c.v.Get("HealthCheckType"); t {
		case "EC2", "ELB", "VPC_LATTICE", "EBS":
			g.HealthCheckType = t
		default:
			return errf("ValidationError", "Valid health check types are EC2, ELB, VPC_LATTICE and EBS, not %s.", t)
		}
	}
	if c.v.Has("HealthCheckGracePeriod") {
		n, aerr := intParam(c.v, "HealthCheckGracePeriod", false)
		if aerr != nil {
			return aerr
		}
		g.HealthCheckGracePeriod = n
	}
	if c.v.Has("DefaultInstanceWarmup") {
		n, aerr := intParam(c.v, "DefaultInstanceWarmup", false)
		if aerr != nil {
			return aerr
		}
		g.DefaultInstanceWarmup = &n
	}
	return nil
}

// subnetZones are the zones of the subnets of a VPCZoneIdentifier, in order, each once.
// Subnets EC2 does not know stand for the Region's first zone (DIFFERENCES.md: real Auto
// Scaling rejects them).
func (s *Service) subnetZones(region, vpcZoneIdentifier string) []string {
	var zones []string
	for _, id := range splitSubnets(vpcZoneIdentifier) {
		az := region + "a"
		if s.srv.EC2 != nil {
			if sn, ok := s.srv.EC2.Subnet(region, id); ok {
				az = sn.AvailabilityZone
			}
		}
		if !slices.Contains(zones, az) {
			zones = append(zones, az)
		}
	}
	return zones
}

// checkTemplateExists rejects a launch template EC2 does not have, as
// CreateAutoScalingGroup and UpdateAutoScalingGroup do (only when the server has EC2), and
// fills in the id or name the specification left out: Auto Scaling describes a group's
// launch template with both (describe-auto-scaling-groups examples in the AWS CLI reference).
// https://docs.aws.amazon.com/cli/latest/reference/autoscaling/describe-auto-scaling-groups.html
func (s *Service) checkTemplateExists(region string, t *templateSpec) *apiError {
	if s.srv.EC2 == nil {
		return nil
	}
	key, what := t.ID, "ID"
	if key == "" {
		key, what = t.Name, "name"
	}
	lt, ok := s.srv.EC2.LaunchTemplate(region, key)
	if !ok || (t.ID != "" && lt.ID != t.ID) {
		return errf("ValidationError", "You must use a valid fully-formed launch template. The specified launch template, with template %s %s, does not exist.", what, key)
	}
	t.ID, t.Name = lt.ID, lt.Name
	return nil
}

// readSource reads LaunchConfigurationName, LaunchTemplate and MixedInstancesPolicy; n is
// how many of them the request names.
func (s *Service) readSource(c *call) (source, int, *apiError) {
	var src source
	n := 0
	if lc := c.v.Get("LaunchConfigurationName"); lc != "" {
		if c.rs.configs[lc] == nil {
			return src, 0, errf("ValidationError", "Launch configuration name not found - Launch configuration %s not found", lc)
		}
		src.LaunchConfigurationName = lc
		n++
	}
	if lt := c.v.Struct("LaunchTemplate"); len(lt) > 0 {
		t := readTemplate(lt)
		if aerr := checkTemplate(t, "LaunchTemplate"); aerr != nil {
			return src, 0, aerr
		}
		if aerr := s.checkTemplateExists(c.region, &t); aerr != nil {
			return src, 0, aerr
		}
		src.LaunchTemplate = &t
		n++
	}
	if mp := c.v.Struct("MixedInstancesPolicy"); len(mp) > 0 {
		p, aerr := s.readMixedPolicy(c, mp)
		if aerr != nil {
			return src, 0, aerr
		}
		src.MixedInstancesPolicy = p
		n++
	}
	return src, n, nil
}

func (s *Service) readMixedPolicy(c *call, mp query.Values) (*mixedPolicy, *apiError) {
	p := &mixedPolicy{}
	lt := mp.Struct("LaunchTemplate")
	p.LaunchTemplate.Spec = readTemplate(lt.Struct("LaunchTemplateSpecification"))
	if aerr := checkTemplate(p.LaunchTemplate.Spec, "MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification"); aerr != nil {
		return nil, aerr
	}
	if aerr := s.checkTemplateExists(c.region, &p.LaunchTemplate.Spec); aerr != nil {
		return nil, aerr
	}
	p.LaunchTemplate.Overrides.Members = []override{}
	for _, o := range lt.Structs("Overrides.member") {
		ov := override{InstanceType: o.Get("InstanceType"), WeightedCapacity: o.Get("WeightedCapacity"), ImageID: o.Get("ImageId")}
		if ts := o.Struct("LaunchTemplateSpecification"); len(ts) > 0 {
			t := readTemplate(ts)
			if aerr := checkTemplate(t, "Overrides.LaunchTemplateSpecification"); aerr != nil {
				return nil, aerr
			}
			ov.Template = &t
		}
		p.LaunchTemplate.Overrides.Members = append(p.LaunchTemplate.Overrides.Members, ov)
	}
	return p, nil
}

func (g *group) setSource(src source) {
	g.LaunchConfigurationName, g.LaunchTemplate, g.MixedInstancesPolicy = src.LaunchConfigurationName, src.LaunchTemplate, src.MixedInstancesPolicy
}

// findGroup returns a group of the call's Region by AutoScalingGroupName.
func findGroup(c *call, notFound string) (*group, *apiError) {
	name := c.v.Get("AutoScalingGroupName")
	if name == "" {
		return nil, errf("ValidationError", "1 validation error detected: Value null at 'autoScalingGroupName' failed to satisfy constraint: Member must not be null")
	}
	g := c.rs.groups[name]
	if g == nil {
		if notFound == "" {
			notFound = fmt.Sprintf("AutoScalingGroup name not found - AutoScalingGroup '%s' not found", name)
		}
		return nil, errf("ValidationError", "%s", notFound)
	}
	return g, nil
}

// updateGroup is UpdateAutoScalingGroup. A new MinSize above the desired capacity (or
// MaxSize below it) without DesiredCapacity moves the desired capacity to it; the launch
// template, launch configuration or mixed instances policy given replaces the group's; it
// cannot change while an instance refresh with a desired configuration is active. New
// settings apply to instances launched from then on.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-overview.html#instance-refresh-limitations
func (s *Service) updateGroup(c *call) (any, *apiError) {
	g, aerr := findGroup(c, "AutoScalingGroup name not found - null")
	if aerr != nil {
		return nil, aerr
	}
	src, n, aerr := s.readSource(c)
	if aerr != nil {
		return nil, aerr
	}
	if n > 1 {
		return nil, errf("ValidationError", "Valid requests must contain either LaunchTemplate, LaunchConfigurationName or MixedInstancesPolicy parameter.")
	}
	if n == 1 {
		if r := g.activeRefresh(); r != nil && r.Desired != nil {
			return nil, errf("ValidationError", "An active instance refresh with a desired configuration exists. All configuration options derived from the desired configuration are not available for update while the instance refresh is active.")
		}
	}
	minSize, maxSize, desired := g.MinSize, g.MaxSize, g.DesiredCapacity
	if c.v.Has("MinSize") {
		if minSize, aerr = intParam(c.v, "MinSize", true); aerr != nil {
			return nil, aerr
		}
	}
	if c.v.Has("MaxSize") {
		if maxSize, aerr = intParam(c.v, "MaxSize", true); aerr != nil {
			return nil, aerr
		}
	}
	if c.v.Has("DesiredCapacity") {
		if desired, aerr = intParam(c.v, "DesiredCapacity", true); aerr != nil {
			return nil, aerr
		}
	} else {
		if c.v.Has("MinSize") && minSize > desired {
			desired = minSize
		}
		if c.v.Has("MaxSize") && maxSize < desired {
			desired = maxSize
		}
	}
	if minSize > maxSize || desired < minSize || desired > maxSize {
		return nil, errf("ValidationError", "Desired capacity:%d must be between the specified min size:%d and max size:%d", desired, minSize, maxSize)
	}
	upd := *g
	if aerr := s.readGroupSettings(c, &upd); aerr != nil {
		return nil, aerr
	}
	g.HealthCheckType, g.HealthCheckGracePeriod, g.DefaultInstanceWarmup = upd.HealthCheckType, upd.HealthCheckGracePeriod, upd.DefaultInstanceWarmup
	if zones := c.v.Members("AvailabilityZones"); len(zones) > 0 {
		g.AvailabilityZones.Members = zones
	}
	if c.v.Has("VPCZoneIdentifier") {
		g.VPCZoneIdentifier = c.v.Get("VPCZoneIdentifier")
		if len(c.v.Members("AvailabilityZones")) == 0 {
			g.AvailabilityZones.Members = s.subnetZones(c.region, g.VPCZoneIdentifier)
		}
	}
	if n == 1 {
		g.setSource(src)
	}
	g.MinSize, g.MaxSize, g.DesiredCapacity = minSize, maxSize, desired
	return nil, nil
}

// setDesiredCapacity is SetDesiredCapacity: the new capacity must lie within the group's
// minimum and maximum.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetDesiredCapacity.html
func (s *Service) setDesiredCapacity(c *call) (any, *apiError) {
	g, aerr := findGroup(c, "")
	if aerr != nil {
		return nil, aerr
	}
	desired, aerr := intParam(c.v, "DesiredCapacity", true)
	if aerr != nil {
		return nil, aerr
	}
	if desired > g.MaxSize {
		return nil, errf("ValidationError", "New SetDesiredCapacity value %d is above max value %d for the AutoScalingGroup.", desired, g.MaxSize)
	}
	if desired < g.MinSize {
		return nil, errf("ValidationError", "New SetDesiredCapacity value %d is below min value %d for the AutoScalingGroup.", desired, g.MinSize)
	}
	g.DesiredCapacity = desired
	return nil, nil
}

// memberOf finds the group and member of an instance id in the call's Region.
func memberOf(c *call, id string) (*group, *member) {
	for _, g := range c.rs.groups {
		for _, m := range g.members {
			if m.ID == id {
				return g, m
			}
		}
	}
	return nil, nil
}

// setInstanceHealth is SetInstanceHealth: Healthy or Unhealthy; an Unhealthy instance is
// terminated and replaced.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetInstanceHealth.html
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/set-up-a-custom-health-check.html
func (s *Service) setInstanceHealth(c *call) (any, *apiError) {
	id := c.v.Get("InstanceId")
	if id == "" {
		return nil, errf("ValidationError", "1 validation error detected: Value null at 'instanceId' failed to satisfy constraint: Member must not be null")
	}
	status := c.v.Get("HealthStatus")
	if status != Healthy && status != Unhealthy {
		return nil, errf("ValidationError", "Valid instance health states are: [Healthy, Unhealthy].")
	}
	g, m := memberOf(c, id)
	if m == nil {
		return nil, errf("ValidationError", "Instance Id not found - No managed instance found for instance ID: %s", id)
	}
	if m.active() {
		if m.Health == Healthy && status == Unhealthy {
			g.record(c.now, "Terminating EC2 instance: "+m.ID,
				fmt.Sprintf("At %s an instance was taken out of service in response to a user health-check.", isoSecond(c.now)), "InProgress", "")
		}
		m.Health = status
	}
	return nil, nil
}

// autoScalingInstanceXML is AutoScalingInstanceDetails; its HealthStatus is upper case
// (HEALTHY), unlike DescribeAutoScalingGroups'.
// https://docs.aws.amazon.com/cli/latest/reference/autoscaling/describe-auto-scaling-instances.html
type autoScalingInstanceXML struct {
	InstanceID           string        `xml:"InstanceId"`
	InstanceType         string        `xml:"InstanceType,omitempty"`
	AutoScalingGroupName string        `xml:"AutoScalingGroupName"`
	AvailabilityZone     string        `xml:"AvailabilityZone"`
	LifecycleState       string        `xml:"LifecycleState"`
	HealthStatus         string        `xml:"HealthStatus"`
	LaunchTemplate       *templateSpec `xml:"LaunchTemplate,omitempty"`
	ProtectedFromScaleIn bool          `xml:"ProtectedFromScaleIn"`
}

// describeInstances is DescribeAutoScalingInstances: every instance of the Region's groups
// (InstanceIds narrows; unknown ids are ignored), by instance id, MaxRecords at most 50.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingInstances.html
func (s *Service) describeInstances(c *call) (any, *apiError) {
	ids := c.v.Members("InstanceIds")
	if len(ids) > 50 {
		return nil, errf("ValidationError", "The number of instance ids that may be passed in is limited to 50.")
	}
	byID := map[string]autoScalingInstanceXML{}
	for _, g := range c.rs.groups {
		for _, m := range g.members {
			if len(ids) > 0 && !slices.Contains(ids, m.ID) {
				continue
			}
			health := "HEALTHY"
			if m.Health == Unhealthy {
				health = "UNHEALTHY"
			}
			byID[m.ID] = autoScalingInstanceXML{InstanceID: m.ID, InstanceType: m.InstanceType, AutoScalingGroupName: g.Name,
				AvailabilityZone: m.AZ, LifecycleState: m.Lifecycle, HealthStatus: health, LaunchTemplate: m.Template, ProtectedFromScaleIn: m.Protected}
		}
	}
	keys, next, aerr := pageOf(c, slices.Collect(maps.Keys(byID)), 50, 50)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Instances query.Members[autoScalingInstanceXML] `xml:"AutoScalingInstances"`
		NextToken string                                `xml:"NextToken,omitempty"`
	}{NextToken: next}
	out.Instances.Members = []autoScalingInstanceXML{}
	for _, k := range keys {
		out.Instances.Members = append(out.Instances.Members, byID[k])
	}
	return out, nil
}

// describeActivities is DescribeScalingActivities of one group (newest first), or of every
// group of the Region.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeScalingActivities.html
func (s *Service) describeActivities(c *call) (any, *apiError) {
	var acts []*activity
	if name := c.v.Get("AutoScalingGroupName"); name != "" {
		if g := c.rs.groups[name]; g != nil {
			acts = g.activities
		}
	} else {
		for _, g := range c.rs.groups {
			acts = append(acts, g.activities...)
		}
	}
	if ids := c.v.Members("ActivityIds"); len(ids) > 0 {
		acts = slices.DeleteFunc(slices.Clone(acts), func(a *activity) bool { return !slices.Contains(ids, a.ActivityID) })
	}
	keys := make([]string, len(acts))
	byKey := map[string]*activity{}
	for i, a := range acts {
		keys[i] = fmt.Sprintf("%08d", i)
		byKey[keys[i]] = a
	}
	page, next, aerr := pageOf(c, keys, 100, 100)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Activities query.Members[*activity] `xml:"Activities"`
		NextToken  string                   `xml:"NextToken,omitempty"`
	}{NextToken: next}
	out.Activities.Members = []*activity{}
	for _, k := range page {
		out.Activities.Members = append(out.Activities.Members, byKey[k])
	}
	return out, nil
}

// terminateInstance is TerminateInstanceInAutoScalingGroup: the instance is terminated;
// with ShouldDecrementDesiredCapacity the desired capacity shrinks by one (not below the
// minimum), else a replacement launches.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_TerminateInstanceInAutoScalingGroup.html
func (s *Service) terminateInstance(c *call) (any, *apiError) {
	id := c.v.Get("InstanceId")
	if id == "" {
		return nil, errf("ValidationError", "1 validation error detected: Value null at 'instanceId' failed to satisfy constraint: Member must not be null")
	}
	if !c.v.Has("ShouldDecrementDesiredCapacity") {
		return nil, errf("ValidationError", "1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null")
	}
	decrement, _ := c.v.Bool("ShouldDecrementDesiredCapacity")
	g, m := memberOf(c, id)
	if m == nil {
		return nil, errf("ValidationError", "Instance Id not found - No managed instance found for instance ID: %s", id)
	}
	cause := fmt.Sprintf("At %s instance %s was taken out of service in response to a user request.", isoSecond(c.now), id)
	if decrement && m.active() {
		if g.DesiredCapacity <= g.MinSize {
			return nil, errf("ValidationError", "Currently, desiredSize equals minSize (%d). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.", g.MinSize)
		}
		cause = fmt.Sprintf("At %s instance %s was taken out of service in response to a user request, shrinking the capacity from %d to %d.", isoSecond(c.now), id, g.DesiredCapacity, g.DesiredCapacity-1)
		g.DesiredCapacity--
	}
	a := g.record(c.now, "Terminating EC2 instance: "+id, cause, "InProgress", "")
	a.EndTime, a.Progress = "", 0
	if m.active() {
		store, _ := s.srv.EC2.(awsemu.InstanceStore)
		s.terminate(c.region, g, m, c.now, store)
	}
	out := struct {
		Activity *activity `xml:"Activity"`
	}{a}
	return out, nil
}

// resolveVersion is the version number a template specification names now ($Default and
// "" the template's default version, $Latest its latest), and the template's id; ok is
// false when EC2 does not know the template.
func (s *Service) resolveVersion(region string, t templateSpec) (id, version string, ok bool) {
	if s.srv.EC2 == nil {
		return "", "", false
	}
	key := t.ID
	if key == "" {
		key = t.Name
	}
	lt, found := s.srv.EC2.LaunchTemplate(region, key)
	if !found {
		return "", "", false
	}
	switch t.Version {
	case "", "$Default":
		return lt.ID, strconv.FormatInt(lt.DefaultVersion, 10), true
	case "$Latest":
		return lt.ID, strconv.FormatInt(lt.LatestVersion, 10), true
	}
	return lt.ID, t.Version, true
}

// matchesSource reports whether a member runs what src launches now: the same launch
// template at the version src names, and (for a mixed instances policy) an instance type
// and image of its overrides. This is the matching skip matching uses.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-instance-refresh-skip-matching.html
func (g *group) matchesSource(m *member, src source) bool {
	t, o, ok := src.template()
	if !ok || m.Template == nil {
		return src.LaunchConfigurationName != "" && m.Template == nil
	}
	id, version, ok := g.svc.resolveVersion(g.region, t)
	if !ok || m.Template.ID != id || m.Template.Version != version {
		return false
	}
	if o.ImageID != "" && m.ImageID != o.ImageID {
		return false
	}
	if p := src.MixedInstancesPolicy; p != nil && len(p.LaunchTemplate.Overrides.Members) > 0 {
		for _, ov := range p.LaunchTemplate.Overrides.Members {
			if ov.InstanceType == "" || ov.InstanceType == m.InstanceType {
				return true
			}
		}
		return false
	}
	return true
}
