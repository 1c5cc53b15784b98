package autoscaling

import (
	"fmt"
	"strings"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/query"
)

// Instance refresh statuses.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceRefresh.html
const (
	RefreshPending            = "Pending"
	RefreshInProgress         = "InProgress"
	RefreshBaking             = "Baking"
	RefreshSuccessful         = "Successful"
	RefreshFailed             = "Failed"
	RefreshCancelling         = "Cancelling"
	RefreshCancelled          = "Cancelled"
	RefreshRollbackInProgress = "RollbackInProgress"
	RefreshRollbackFailed     = "RollbackFailed"
	RefreshRollbackSuccessful = "RollbackSuccessful"
)

// RefreshStallTimeout is how long an instance refresh keeps retrying when it cannot make a
// replacement (new instances fail their health checks or cannot launch) before it fails.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-overview.html#instance-refresh-limitations
const RefreshStallTimeout = time.Hour

// prefs are an instance refresh's preferences, defaults filled in.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html
type prefs struct {
	MinHealthy, MaxHealthy int
	// MaxGiven: MaxHealthyPercentage was given (min = max = 100 launches before terminating).
	MaxGiven        bool
	Warmup          time.Duration
	WarmupGiven     bool
	Checkpoints     []int
	CheckpointDelay time.Duration
	SkipMatching    bool
	AutoRollback    bool
	BakeTime        time.Duration
}

// phase is one rolling replacement: the refresh itself, or its rollback.
type phase struct {
	// src is what replacements launch from.
	src source
	// old are the ids of the instances to replace; total how many there were.
	old   map[string]bool
	total int
	// tag marks the members this phase launched (member.Refresh).
	tag         string
	checkpoints []int
	cpIdx       int
	pausedUntil time.Time
	// lastProgress is when the phase last replaced an instance (or started).
	lastProgress time.Time
	done         int
}

type refresh struct {
	ID           string
	Status       string
	StatusReason string
	StartTime    time.Time
	EndTime      time.Time
	Prefs        prefs
	// Desired is the DesiredConfiguration (nil: none was given).
	Desired *source
	// Original is the group's configuration when the refresh started (what a rollback
	// returns to).
	Original source
	Hidden   bool
	phase    *phase
	bakeEnd  time.Time
	rollback *rollbackInfo
}

type rollbackInfo struct {
	Reason        string
	Start         time.Time
	PercentOnRoll int
	ToUpdateOnRol int
}

func (r *refresh) active() bool {
	switch r.Status {
	case RefreshPending, RefreshInProgress, RefreshBaking, RefreshCancelling, RefreshRollbackInProgress:
		return true
	}
	return false
}

// activeRefresh is the group's refresh that has not ended, nil when none.
func (g *group) activeRefresh() *refresh {
	if len(g.refreshes) > 0 && g.refreshes[0].active() {
		return g.refreshes[0]
	}
	return nil
}

// replacing is the group's refresh while it replaces instances (InProgress or rolling
// back), nil otherwise.
func (g *group) replacing() *refresh {
	if r := g.activeRefresh(); r != nil && r.phase != nil && (r.Status == RefreshInProgress || r.Status == RefreshRollbackInProgress) {
		return r
	}
	return nil
}

// refreshSource is what the group launches from while a refresh replaces its instances:
// the desired configuration (or, rolling back, the group's original one). false: the
// group's own.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-overview.html#instance-refresh-core-concepts
func (g *group) refreshSource() (source, bool) {
	if r := g.replacing(); r != nil && (r.Desired != nil || r.Status == RefreshRollbackInProgress) {
		return r.phase.src, true
	}
	return source{}, false
}

// launchingRefresh is the tag of the phase new launches belong to ("" for none).
func (g *group) launchingRefresh() string {
	if r := g.replacing(); r != nil {
		return r.phase.tag
	}
	return ""
}

// noteLaunchFailure shows a failed launch in the status reason of the refresh, as Auto
// Scaling reports why a refresh cannot continue.
func (g *group) noteLaunchFailure(now time.Time, msg string) {
	if r := g.replacing(); r != nil {
		r.StatusReason = "Waiting for a new instance to launch: " + msg
	}
}

// budgets are how many instances a refresh may launch above the desired capacity (the
// maximum healthy percentage, rounded up) and how many may be out of service below it (the
// minimum healthy percentage, rounded up). The difference between them is how many are
// replaced at a time: at least one; min = max = 100 launches before terminating.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-overview.html#instance-refresh-core-concepts
func (p prefs) budgets(desired int64) (surge, unavailable int64) {
	maxCount := ceilPercent(desired, p.MaxHealthy)
	minCount := ceilPercent(desired, p.MinHealthy)
	surge = max(0, maxCount-desired)
	unavailable = max(0, desired-minCount)
	if surge == 0 && unavailable == 0 {
		if p.MaxGiven && p.MinHealthy == 100 && p.MaxHealthy == 100 {
			surge = 1
		} else {
			unavailable = 1
		}
	}
	return surge, unavailable
}

func ceilPercent(n int64, pct int) int64 { return (n*int64(pct) + 99) / 100 }

// limit is how many of the phase's instances may be replaced before the next checkpoint
// (all of them without checkpoints). The last checkpoint is where the refresh ends: it
// replaces that percentage of the group ([1, 20] replaces a fifth and succeeds).
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-adding-checkpoints-instance-refresh.html
func (ph *phase) limit() int {
	if ph.cpIdx < len(ph.checkpoints) {
		return (ph.total*ph.checkpoints[ph.cpIdx] + 99) / 100
	}
	return ph.total
}

// target is how many of the phase's instances it replaces in all.
func (ph *phase) target() int {
	if n := len(ph.checkpoints); n > 0 {
		return (ph.total*ph.checkpoints[n-1] + 99) / 100
	}
	return ph.total
}

// oldActive are the active members still to replace.
func (g *group) oldActive(ph *phase) []*member {
	var out []*member
	for _, m := range g.members {
		if m.active() && ph.old[m.ID] {
			out = append(out, m)
		}
	}
	return out
}

// started is how many of the phase's instances have been taken out of service.
func (g *group) started(ph *phase) int { return ph.total - len(g.oldActive(ph)) }

// refreshSurge is how many instances the replacing refresh launches above the desired
// capacity now: within its surge budget, for instances still to replace before the next
// checkpoint, none while it waits at a checkpoint.
func (g *group) refreshSurge(now time.Time) int64 {
	r := g.replacing()
	if r == nil || now.Before(r.phase.pausedUntil) {
		return 0
	}
	surge, _ := r.Prefs.budgets(g.DesiredCapacity)
	room := int64(r.phase.limit() - g.started(r.phase))
	return max(0, min(surge, int64(len(g.oldActive(r.phase))), room))
}

// ready reports whether a member is in service, healthy and (when a refresh launched it)
// past its warmup: ready to use.
func ready(m *member, warmup time.Duration, now time.Time) bool {
	if m.Lifecycle != InService || m.Health != Healthy {
		return false
	}
	return m.Refresh == "" || !now.Before(m.InServiceAt.Add(warmup))
}

// stepRefresh moves the group's instance refresh: Pending starts, Cancelling ends, a
// replacing phase terminates old instances within the minimum healthy percentage and up to
// its next checkpoint (capacity launches their replacements), waits CheckpointDelay at a
// checkpoint, then bakes and succeeds (the group takes the desired configuration), or
// fails after RefreshStallTimeout without progress (rolling back when AutoRollback is on).
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-overview.html
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-instance-refresh-checkpoints.html
func (s *Service) stepRefresh(region string, g *group, now time.Time, store awsemu.InstanceStore) bool {
	r := g.activeRefresh()
	if r == nil {
		return false
	}
	switch r.Status {
	case RefreshPending:
		r.Status = RefreshInProgress
		r.phase = g.newPhase(r, r.launchSource(g), r.ID, r.Prefs.Checkpoints, now)
		return true
	case RefreshCancelling:
		r.Status, r.EndTime = RefreshCancelled, now
		r.StatusReason = "The instance refresh was cancelled."
		return true
	case RefreshBaking:
		if now.Before(r.bakeEnd) {
			return false
		}
		g.finish(r, now)
		return true
	case RefreshInProgress, RefreshRollbackInProgress:
	default:
		return false
	}
	ph := r.phase
	if now.Before(ph.pausedUntil) {
		return false
	}
	changed := false
	if !ph.pausedUntil.IsZero() {
		ph.pausedUntil = time.Time{}
		ph.lastProgress = now
		r.StatusReason = ""
		changed = true
	}
	// Progress: new instances ready count toward the percentage complete, up to the
	// instances taken out of service.
	readyNew := 0
	for _, m := range g.members {
		if m.active() && m.Refresh == ph.tag && ready(m, r.Prefs.Warmup, now) {
			readyNew++
		}
	}
	done := min(readyNew, g.started(ph), ph.total)
	if done > ph.done {
		ph.done, ph.lastProgress = done, now
		changed = true
	}
	old := g.oldActive(ph)
	if ph.done >= ph.target() {
		if r.Status == RefreshRollbackInProgress {
			r.Status, r.EndTime, r.StatusReason = RefreshRollbackSuccessful, now, "Rollback completed successfully."
			return true
		}
		if r.Prefs.BakeTime > 0 {
			r.Status, r.bakeEnd = RefreshBaking, now.Add(r.Prefs.BakeTime)
			return true
		}
		g.finish(r, now)
		return true
	}
	// A checkpoint: the instances up to it are replaced and warmed up; wait CheckpointDelay.
	// Checkpoints passed at once (two instances, [10, 40, 100]: one replaced is 50%) pause
	// once, at the highest.
	reached := -1
	for ph.cpIdx < len(ph.checkpoints)-1 && ph.done >= ph.limit() {
		reached = ph.checkpoints[ph.cpIdx]
		ph.cpIdx++
	}
	if reached >= 0 {
		ph.pausedUntil = now.Add(r.Prefs.CheckpointDelay)
		r.StatusReason = fmt.Sprintf("Checkpoint %d%% reached: %d of %d instances replaced. Waiting %d seconds (CheckpointDelay) before continuing.",
			reached, ph.done, ph.total, int(r.Prefs.CheckpointDelay/time.Second))
		return true
	}
	if now.Sub(ph.lastProgress) >= RefreshStallTimeout {
		reason := "The instance refresh could not replace instances for an hour: new instances did not become healthy."
		if r.StatusReason != "" && strings.HasPrefix(r.StatusReason, "Waiting for a new instance to launch: ") {
			reason = "The instance refresh could not launch instances for an hour: " + strings.TrimPrefix(r.StatusReason, "Waiting for a new instance to launch: ")
		}
		if r.Status == RefreshInProgress && r.Prefs.AutoRollback {
			g.startRollback(r, "Rollback started because the instance refresh failed: "+reason, now)
			return true
		}
		if r.Status == RefreshRollbackInProgress {
			r.Status = RefreshRollbackFailed
		} else {
			r.Status = RefreshFailed
		}
		r.EndTime, r.StatusReason = now, reason
		return true
	}
	// Terminate old instances within the budget: those out of service first, then by the
	// termination order; no more than the next checkpoint allows.
	_, unavailable := r.Prefs.budgets(g.DesiredCapacity)
	readyNow := int64(0)
	for _, m := range g.members {
		if m.active() && ready(m, r.Prefs.Warmup, now) {
			readyNow++
		}
	}
	floor := g.DesiredCapacity - unavailable
	perZone := map[string]int{}
	for _, m := range old {
		perZone[m.AZ]++
	}
	for len(old) > 0 && g.started(ph) < ph.limit() {
		best := 0
		for i, m := range old {
			bi := old[best]
			if rm, rb := ready(m, r.Prefs.Warmup, now), ready(bi, r.Prefs.Warmup, now); rm != rb {
				if !rm {
					best = i
				}
				continue
			}
			if g.terminateBefore(m, bi, perZone) {
				best = i
			}
		}
		m := old[best]
		if ready(m, r.Prefs.Warmup, now) {
			if readyNow-1 < floor {
				break
			}
			readyNow--
		}
		g.record(now, "Terminating EC2 instance: "+m.ID,
			fmt.Sprintf("At %s an instance was taken out of service in response to an instance refresh.", isoSecond(now)), "Successful", "")
		s.terminate(region, g, m, now, store)
		perZone[m.AZ]--
		old = append(old[:best], old[best+1:]...)
		ph.lastProgress = now
		changed = true
	}
	return changed
}

// finish ends a refresh successfully: the group takes the desired configuration.
func (g *group) finish(r *refresh, now time.Time) {
	r.Status, r.EndTime, r.StatusReason = RefreshSuccessful, now, ""
	if r.Desired != nil {
		g.setSource(*r.Desired)
	}
}

// launchSource is what a refresh's replacements launch from: its desired configuration,
// else the group's.
func (r *refresh) launchSource(g *group) source {
	if r.Desired != nil {
		return *r.Desired
	}
	return g.source()
}

// newPhase starts replacing: every active instance, or with SkipMatching those that do not
// run src.
func (g *group) newPhase(r *refresh, src source, tag string, checkpoints []int, now time.Time) *phase {
	ph := &phase{src: src, old: map[string]bool{}, tag: tag, checkpoints: checkpoints, lastProgress: now}
	for _, m := range g.members {
		if !m.active() {
			continue
		}
		if r.Prefs.SkipMatching && g.matchesSource(m, src) {
			continue
		}
		ph.old[m.ID] = true
	}
	ph.total = len(ph.old)
	return ph
}

// startRollback replaces the instances the refresh launched with the group's original
// configuration (the checkpoints do not apply).
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-rollback.html
func (g *group) startRollback(r *refresh, reason string, now time.Time) {
	pct, toUpdate := r.progress(g)
	r.rollback = &rollbackInfo{Reason: reason, Start: now, PercentOnRoll: pct, ToUpdateOnRol: toUpdate}
	r.Status, r.StatusReason = RefreshRollbackInProgress, reason
	ph := &phase{src: r.Original, old: map[string]bool{}, tag: r.ID + "/rollback", lastProgress: now}
	for _, m := range g.members {
		if m.active() && !g.matchesSource(m, r.Original) {
			ph.old[m.ID] = true
		}
	}
	ph.total = len(ph.old)
	r.phase = ph
}

// progress is the refresh's PercentageComplete and InstancesToUpdate.
func (r *refresh) progress(g *group) (pct, toUpdate int) {
	switch {
	case r.phase == nil:
		return 0, 0
	case r.Status == RefreshSuccessful:
		return 100, 0
	case r.phase.total == 0:
		return 100, 0
	}
	return r.phase.done * 100 / r.phase.total, r.phase.total - r.phase.done
}

// prefsXML is RefreshPreferences as DescribeInstanceRefreshes answers it.
type prefsXML struct {
	MinHealthyPercentage      int                 `xml:"MinHealthyPercentage"`
	MaxHealthyPercentage      int                 `xml:"MaxHealthyPercentage"`
	InstanceWarmup            *int                `xml:"InstanceWarmup,omitempty"`
	CheckpointPercentages     *query.Members[int] `xml:"CheckpointPercentages,omitempty"`
	CheckpointDelay           *int                `xml:"CheckpointDelay,omitempty"`
	SkipMatching              bool                `xml:"SkipMatching"`
	AutoRollback              bool                `xml:"AutoRollback"`
	ScaleInProtectedInstances string              `xml:"ScaleInProtectedInstances"`
	StandbyInstances          string              `xml:"StandbyInstances"`
	BakeTime                  int                 `xml:"BakeTime"`
}

type desiredXML struct {
	LaunchTemplate       *templateSpec `xml:"LaunchTemplate,omitempty"`
	MixedInstancesPolicy *mixedPolicy  `xml:"MixedInstancesPolicy,omitempty"`
}

type progressXML struct {
	PercentageComplete int `xml:"PercentageComplete"`
	InstancesToUpdate  int `xml:"InstancesToUpdate"`
}

type rollbackXML struct {
	RollbackReason               string `xml:"RollbackReason,omitempty"`
	RollbackStartTime            string `xml:"RollbackStartTime,omitempty"`
	PercentageCompleteOnRollback int    `xml:"PercentageCompleteOnRollback"`
	InstancesToUpdateOnRollback  int    `xml:"InstancesToUpdateOnRollback"`
}

// refreshXML is an InstanceRefresh of DescribeInstanceRefreshes.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceRefresh.html
type refreshXML struct {
	InstanceRefreshID    string `xml:"InstanceRefreshId"`
	AutoScalingGroupName string `xml:"AutoScalingGroupName"`
	Status               string `xml:"Status"`
	StatusReason         string `xml:"StatusReason,omitempty"`
	StartTime            string `xml:"StartTime,omitempty"`
	EndTime              string `xml:"EndTime,omitempty"`
	PercentageComplete   int    `xml:"PercentageComplete"`
	InstancesToUpdate    int    `xml:"InstancesToUpdate"`
	ProgressDetails      struct {
		LivePoolProgress progressXML `xml:"LivePoolProgress"`
	} `xml:"ProgressDetails"`
	Preferences          prefsXML     `xml:"Preferences"`
	DesiredConfiguration *desiredXML  `xml:"DesiredConfiguration,omitempty"`
	RollbackDetails      *rollbackXML `xml:"RollbackDetails,omitempty"`
	Strategy             string       `xml:"Strategy"`
}

func (r *refresh) xml(g *group) refreshXML {
	pct, toUpdate := r.progress(g)
	x := refreshXML{InstanceRefreshID: r.ID, AutoScalingGroupName: g.Name, Status: r.Status, StatusReason: r.StatusReason,
		PercentageComplete: pct, InstancesToUpdate: toUpdate, Strategy: "Rolling"}
	x.ProgressDetails.LivePoolProgress = progressXML{pct, toUpdate}
	if r.Status != RefreshPending {
		x.StartTime = query.Time(r.StartTime)
	}
	if !r.EndTime.IsZero() {
		x.EndTime = query.Time(r.EndTime)
	}
	p := r.Prefs
	x.Preferences = prefsXML{MinHealthyPercentage: p.MinHealthy, MaxHealthyPercentage: p.MaxHealthy, SkipMatching: p.SkipMatching,
		AutoRollback: p.AutoRollback, ScaleInProtectedInstances: "Ignore", StandbyInstances: "Ignore", BakeTime: int(p.BakeTime / time.Second)}
	if p.WarmupGiven {
		w := int(p.Warmup / time.Second)
		x.Preferences.InstanceWarmup = &w
	}
	if len(p.Checkpoints) > 0 {
		x.Preferences.CheckpointPercentages = &query.Members[int]{Members: p.Checkpoints}
		d := int(p.CheckpointDelay / time.Second)
		x.Preferences.CheckpointDelay = &d
	}
	if r.Desired != nil {
		x.DesiredConfiguration = &desiredXML{LaunchTemplate: r.Desired.LaunchTemplate, MixedInstancesPolicy: r.Desired.MixedInstancesPolicy}
	}
	if rb := r.rollback; rb != nil {
		x.RollbackDetails = &rollbackXML{RollbackReason: rb.Reason, RollbackStartTime: query.Time(rb.Start),
			PercentageCompleteOnRollback: rb.PercentOnRoll, InstancesToUpdateOnRollback: rb.ToUpdateOnRol}
	}
	return x
}
