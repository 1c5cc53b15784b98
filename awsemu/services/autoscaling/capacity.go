package autoscaling

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/query"
)

// LaunchDelay is how long (on the server's clock) a launched instance stays Pending before
// it is InService.
const LaunchDelay = 30 * time.Second

// TerminateDelay is how long a terminated instance stays Terminating in its group before
// it leaves it.
const TerminateDelay = 30 * time.Second

// LaunchRetryDelay is how long a group waits after a failed launch before it tries again.
const LaunchRetryDelay = 30 * time.Second

// maxLaunchesPerStep bounds the launches of one group in one step.
const maxLaunchesPerStep = 50

// Lifecycle states and health statuses of a group's instances.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-lifecycle.html
const (
	Pending     = "Pending"
	InService   = "InService"
	Terminating = "Terminating"
	Healthy     = "Healthy"
	Unhealthy   = "Unhealthy"
)

// member is an instance of a group.
type member struct {
	ID           string
	AZ           string
	InstanceType string
	Lifecycle    string
	Health       string
	// Template is the launch template the instance was launched from, its version the
	// number EC2 resolved; ImageID the AMI it runs.
	Template    *templateSpec
	ImageID     string
	LaunchedAt  time.Time
	InServiceAt time.Time
	// TerminatingAt is when the instance started Terminating.
	TerminatingAt time.Time
	Protected     bool
	// Refresh is the id of the instance refresh that launched it ("" for capacity).
	Refresh string
}

func (m *member) active() bool { return m.Lifecycle == Pending || m.Lifecycle == InService }

// instanceXML is an Instance of DescribeAutoScalingGroups.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Instance.html
type instanceXML struct {
	InstanceID           string        `xml:"InstanceId"`
	InstanceType         string        `xml:"InstanceType,omitempty"`
	AvailabilityZone     string        `xml:"AvailabilityZone"`
	LifecycleState       string        `xml:"LifecycleState"`
	HealthStatus         string        `xml:"HealthStatus"`
	LaunchTemplate       *templateSpec `xml:"LaunchTemplate,omitempty"`
	ProtectedFromScaleIn bool          `xml:"ProtectedFromScaleIn"`
}

func (m *member) xml() instanceXML {
	return instanceXML{InstanceID: m.ID, InstanceType: m.InstanceType, AvailabilityZone: m.AZ, LifecycleState: m.Lifecycle,
		HealthStatus: m.Health, LaunchTemplate: m.Template, ProtectedFromScaleIn: m.Protected}
}

// activity is a scaling activity (DescribeScalingActivities).
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Activity.html
type activity struct {
	ActivityID           string `xml:"ActivityId"`
	AutoScalingGroupName string `xml:"AutoScalingGroupName"`
	AutoScalingGroupARN  string `xml:"AutoScalingGroupARN,omitempty"`
	Description          string `xml:"Description"`
	Cause                string `xml:"Cause"`
	StartTime            string `xml:"StartTime"`
	EndTime              string `xml:"EndTime,omitempty"`
	StatusCode           string `xml:"StatusCode"`
	StatusMessage        string `xml:"StatusMessage,omitempty"`
	Progress             int    `xml:"Progress"`
	Details              string `xml:"Details,omitempty"`
}

// maxActivities is how many activities a group keeps (newest first).
const maxActivities = 100

func (g *group) record(now time.Time, description, cause, status, message string) *activity {
	a := &activity{ActivityID: newUUID(), AutoScalingGroupName: g.Name, AutoScalingGroupARN: g.ARN, Description: description,
		Cause: cause, StartTime: query.Time(now), EndTime: query.Time(now), StatusCode: status, StatusMessage: message, Progress: 100,
		Details: `{"Subnet ID":"","Availability Zone":""}`}
	g.activities = append([]*activity{a}, g.activities...)
	if len(g.activities) > maxActivities {
		g.activities = g.activities[:maxActivities]
	}
	return a
}

// Tick implements awsemu.Ticker: every group keeps its capacity on the server's clock.
// Each group steps until nothing more is due at now (a launch made now is Pending until
// LaunchDelay has passed, so one Tick moves each instance at most one state).
func (s *Service) Tick(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	store, _ := s.srv.EC2.(awsemu.InstanceStore)
	for _, region := range slices.Sorted(maps.Keys(s.regions)) {
		rs := s.regions[region]
		for _, name := range slices.Sorted(maps.Keys(rs.groups)) {
			g := rs.groups[name]
			for range 16 {
				if !s.step(region, g, now, store) {
					break
				}
			}
		}
	}
}

// step moves one group: lifecycle and health of its instances, its instance refresh, then
// its capacity. It reports whether anything changed.
func (s *Service) step(region string, g *group, now time.Time, store awsemu.InstanceStore) bool {
	changed := false
	kept := g.members[:0]
	for _, m := range g.members {
		if m.Lifecycle == Terminating {
			if !now.Before(m.TerminatingAt.Add(TerminateDelay)) {
				changed = true
				continue // Terminated: the instance leaves the group.
			}
			kept = append(kept, m)
			continue
		}
		kept = append(kept, m)
		// EC2 health checks: an instance in any state other than running (or pending, while
		// it launches) is unhealthy.
		// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-health-checks.html
		if store != nil && m.Health == Healthy {
			inst, ok := store.Instance(region, m.ID)
			if !ok || (inst.State != "running" && inst.State != "pending") {
				m.Health = Unhealthy
				state := "terminated"
				if ok {
					state = inst.State
				}
				g.record(now, "Terminating EC2 instance: "+m.ID,
					fmt.Sprintf("At %s an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped (state %s).", isoSecond(now), state), "InProgress", "")
				changed = true
			}
		}
		if m.Lifecycle == Pending && m.Health == Healthy && !now.Before(m.LaunchedAt.Add(LaunchDelay)) {
			m.Lifecycle, m.InServiceAt = InService, m.LaunchedAt.Add(LaunchDelay)
			changed = true
		}
	}
	g.members = kept
	// Unhealthy instances are terminated and replaced.
	// https://docs.aws.amazon.com/autoscaling/ec2/userguide/replace-unhealthy-instance.html
	for _, m := range g.members {
		if m.active() && m.Health == Unhealthy {
			s.terminate(region, g, m, now, store)
			changed = true
		}
	}
	if s.stepRefresh(region, g, now, store) {
		changed = true
	}
	return s.stepCapacity(region, g, now, store) || changed
}

// terminate starts terminating a member: EC2 terminates the instance and it stays
// Terminating for TerminateDelay.
func (s *Service) terminate(region string, g *group, m *member, now time.Time, store awsemu.InstanceStore) {
	m.Lifecycle, m.TerminatingAt = Terminating, now
	if store != nil {
		_ = store.TerminateInstance(region, m.ID) // an instance EC2 no longer has is gone already
	}
}

// capacityTarget is how many active instances the group keeps: its desired capacity, plus
// what its instance refresh may launch above it.
func (g *group) capacityTarget(now time.Time) int64 {
	return g.DesiredCapacity + g.refreshSurge(now)
}

// stepCapacity launches or terminates instances until the group's active instances match
// its target.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/auto-scaling-groups.html
func (s *Service) stepCapacity(region string, g *group, now time.Time, store awsemu.InstanceStore) bool {
	active := int64(0)
	for _, m := range g.members {
		if m.active() {
			active++
		}
	}
	target := g.capacityTarget(now)
	switch {
	case active < target:
		if store == nil || now.Before(g.retryAt) {
			return false
		}
		src := g.launchSource(now)
		if src.LaunchTemplate == nil && src.MixedInstancesPolicy == nil {
			return false // launch configurations: awsemu launches no instances (DIFFERENCES.md)
		}
		changed := false
		// At most maxLaunchesPerStep launches a step: a group asked for a huge capacity
		// grows over several requests instead of holding the service (awsemu enforces no
		// EC2 instance quota: DIFFERENCES.md).
		for i := active; i < min(target, active+maxLaunchesPerStep); i++ {
			m, err := s.launch(region, g, src, now, store)
			if err != nil {
				msg := err.Error()
				var ae *awsemu.APIError
				if errors.As(err, &ae) {
					msg = ae.Message
				}
				g.record(now, "Launching a new EC2 instance.  Status Reason: "+msg,
					fmt.Sprintf("At %s an instance was started in response to a difference between desired and actual capacity, increasing the capacity from %d to %d.", isoSecond(now), active, target),
					"Failed", msg)
				g.retryAt = now.Add(LaunchRetryDelay)
				g.noteLaunchFailure(now, msg)
				return true
			}
			m.Refresh = g.launchingRefresh()
			g.members = append(g.members, m)
			g.record(now, "Launching a new EC2 instance: "+m.ID,
				fmt.Sprintf("At %s an instance was started in response to a difference between desired and actual capacity, increasing the capacity from %d to %d.", isoSecond(now), i, i+1),
				"Successful", "")
			changed = true
		}
		return changed
	case active > target:
		for _, m := range g.scaleInOrder(now, int(active-target)) {
			g.record(now, "Terminating EC2 instance: "+m.ID,
				fmt.Sprintf("At %s an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from %d to %d.", isoSecond(now), active, target),
				"Successful", "")
			s.terminate(region, g, m, now, store)
		}
		return true
	}
	return false
}

// launchSource is what the group launches from: its instance refresh's desired
// configuration while one is active, else its own.
func (g *group) launchSource(now time.Time) source {
	if src, ok := g.refreshSource(); ok {
		return src
	}
	return g.source()
}

// source is a group's launch configuration, launch template or mixed instances policy.
type source struct {
	LaunchConfigurationName string
	LaunchTemplate          *templateSpec
	MixedInstancesPolicy    *mixedPolicy
}

func (g *group) source() source {
	return source{LaunchConfigurationName: g.LaunchConfigurationName, LaunchTemplate: g.LaunchTemplate, MixedInstancesPolicy: g.MixedInstancesPolicy}
}

// template is the launch template specification of a source and, for a mixed instances
// policy, the first override (the highest priority: On-Demand capacity is launched from the
// overrides in order), which may name its own template.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/allocation-strategies.html
func (src source) template() (templateSpec, override, bool) {
	switch {
	case src.LaunchTemplate != nil:
		return *src.LaunchTemplate, override{}, true
	case src.MixedInstancesPolicy != nil:
		t := src.MixedInstancesPolicy.LaunchTemplate.Spec
		var o override
		if ovs := src.MixedInstancesPolicy.LaunchTemplate.Overrides.Members; len(ovs) > 0 {
			o = ovs[0]
			if o.Template != nil {
				t = *o.Template
			}
		}
		return t, o, true
	}
	return templateSpec{}, override{}, false
}

// launch launches one instance of the group through EC2 in the zone with the fewest of the
// group's active instances (Auto Scaling balances capacity across its zones), tagged
// aws:autoscaling:groupName and with the group's PropagateAtLaunch tags.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/auto-scaling-benefits.html#arch-AutoScalingMultiAZ
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html
func (s *Service) launch(region string, g *group, src source, now time.Time, store awsemu.InstanceStore) (*member, error) {
	t, o, _ := src.template()
	l := awsemu.InstanceLaunch{Region: region, Account: g.account, LaunchTemplateID: t.ID,
		LaunchTemplateVersion: t.Version, ImageID: o.ImageID, InstanceType: o.InstanceType, Tags: map[string]string{}}
	if t.ID == "" {
		l.LaunchTemplateName = t.Name
	}
	for _, tg := range g.Tags.Members {
		if tg.PropagateAtLaunch {
			l.Tags[tg.Key] = tg.Value
		}
	}
	l.Tags["aws:autoscaling:groupName"] = g.Name
	l.SubnetID, l.AvailabilityZone = s.placement(region, g)
	inst, err := store.LaunchInstance(l)
	if err != nil {
		return nil, err
	}
	spec := &templateSpec{ID: inst.LaunchTemplateID, Name: t.Name, Version: inst.LaunchTemplateVersion}
	if lt, ok := s.srv.EC2.LaunchTemplate(region, inst.LaunchTemplateID); ok {
		spec.Name = lt.Name
	}
	return &member{ID: inst.ID, AZ: inst.AvailabilityZone, InstanceType: inst.InstanceType, Lifecycle: Pending, Health: Healthy,
		Template: spec, ImageID: inst.ImageID, LaunchedAt: now}, nil
}

// placement picks the subnet (VPCZoneIdentifier) or, without subnets, the zone of the next
// launch: the one whose zone has the fewest active instances, the first listed on a tie.
func (s *Service) placement(region string, g *group) (subnetID, zone string) {
	count := map[string]int{}
	for _, m := range g.members {
		if m.active() {
			count[m.AZ]++
		}
	}
	if g.VPCZoneIdentifier != "" {
		best, bestN := "", -1
		for _, id := range splitSubnets(g.VPCZoneIdentifier) {
			az := ""
			if sn, ok := s.srv.EC2.Subnet(region, id); ok {
				az = sn.AvailabilityZone
			}
			if bestN < 0 || count[az] < bestN {
				best, bestN = id, count[az]
			}
		}
		return best, ""
	}
	best, bestN := "", -1
	for _, az := range g.AvailabilityZones.Members {
		if bestN < 0 || count[az] < bestN {
			best, bestN = az, count[az]
		}
	}
	return "", best
}

func splitSubnets(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// scaleInOrder picks n active instances to terminate by the Default termination policy:
// from the zone with the most instances, instances not protected from scale in, then those
// on the oldest launch template version (those not matching the group's), then the oldest
// launched; unprotected instances only.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-termination-policies.html
func (g *group) scaleInOrder(now time.Time, n int) []*member {
	var out []*member
	chosen := map[*member]bool{}
	for range n {
		perZone := map[string]int{}
		for _, m := range g.members {
			if m.active() && !chosen[m] {
				perZone[m.AZ]++
			}
		}
		var best *member
		for _, m := range g.members {
			if !m.active() || chosen[m] || m.Protected {
				continue
			}
			if best == nil || g.terminateBefore(m, best, perZone) {
				best = m
			}
		}
		if best == nil {
			break
		}
		chosen[best] = true
		out = append(out, best)
	}
	return out
}

func (g *group) terminateBefore(a, b *member, perZone map[string]int) bool {
	if perZone[a.AZ] != perZone[b.AZ] {
		return perZone[a.AZ] > perZone[b.AZ]
	}
	am, bm := g.matches(a), g.matches(b)
	if am != bm {
		return !am
	}
	if !a.LaunchedAt.Equal(b.LaunchedAt) {
		return a.LaunchedAt.Before(b.LaunchedAt)
	}
	return a.ID < b.ID
}

// matches reports whether a member runs the group's launch template at the version the
// group names now (the matching rule of skip matching).
func (g *group) matches(m *member) bool {
	return g.matchesSource(m, g.source())
}

func isoSecond(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
