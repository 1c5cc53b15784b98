package autoscaling

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/query"
)

// readPrefs reads and checks StartInstanceRefresh's Preferences, filling in the defaults:
// MinHealthyPercentage 90, MaxHealthyPercentage 100, InstanceWarmup the group's
// DefaultInstanceWarmup else its HealthCheckGracePeriod, CheckpointDelay 3600 when there
// are checkpoints.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/understand-instance-refresh-default-values.html
func readPrefs(v query.Values, g *group) (prefs, *apiError) {
	p := prefs{MinHealthy: 90, MaxHealthy: 100}
	intIn := func(key, field string, lo, hi int64) (int64, bool, *apiError) {
		if !v.Has(key) {
			return 0, false, nil
		}
		n, _, err := v.Int(key)
		if err != nil {
			return 0, false, errf("ValidationError", "Value '%s' at 'preferences.%s' is not a valid integer", v.Get(key), field)
		}
		if n < lo {
			return 0, false, errf("ValidationError", "1 validation error detected: Value '%d' at 'preferences.%s' failed to satisfy constraint: Member must have value greater than or equal to %d", n, field, lo)
		}
		if n > hi {
			return 0, false, errf("ValidationError", "1 validation error detected: Value '%d' at 'preferences.%s' failed to satisfy constraint: Member must have value less than or equal to %d", n, field, hi)
		}
		return n, true, nil
	}
	minH, minGiven, aerr := intIn("MinHealthyPercentage", "minHealthyPercentage", 0, 100)
	if aerr != nil {
		return p, aerr
	}
	if minGiven {
		p.MinHealthy = int(minH)
	}
	maxH, maxGiven, aerr := intIn("MaxHealthyPercentage", "maxHealthyPercentage", 100, 200)
	if aerr != nil {
		return p, aerr
	}
	if maxGiven {
		// "If you specify MaxHealthyPercentage, you must also specify MinHealthyPercentage,
		// and the difference between them cannot be greater than 100."
		if !minGiven {
			return p, errf("ValidationError", "You must specify MinHealthyPercentage when you specify MaxHealthyPercentage.")
		}
		if maxH-minH > 100 {
			return p, errf("ValidationError", "The difference between MaxHealthyPercentage (%d) and MinHealthyPercentage (%d) cannot be greater than 100.", maxH, minH)
		}
		p.MaxHealthy, p.MaxGiven = int(maxH), true
	}
	warm, warmGiven, aerr := intIn("InstanceWarmup", "instanceWarmup", 0, 1<<31-1)
	if aerr != nil {
		return p, aerr
	}
	switch {
	case warmGiven:
		p.Warmup, p.WarmupGiven = time.Duration(warm)*time.Second, true
	case g.DefaultInstanceWarmup != nil:
		p.Warmup = time.Duration(*g.DefaultInstanceWarmup) * time.Second
	default:
		p.Warmup = time.Duration(g.HealthCheckGracePeriod) * time.Second
	}
	for _, s := range v.Members("CheckpointPercentages") {
		n, err := parseInt(s)
		if err != nil || n < 0 || n > 100 {
			return p, errf("ValidationError", "1 validation error detected: Value '%s' at 'preferences.checkpointPercentages' failed to satisfy constraint: Member must have value between 0 and 100", s)
		}
		if k := len(p.Checkpoints); k > 0 && n <= p.Checkpoints[k-1] {
			return p, errf("ValidationError", "CheckpointPercentages must be unique and in ascending order.")
		}
		p.Checkpoints = append(p.Checkpoints, n)
	}
	delay, delayGiven, aerr := intIn("CheckpointDelay", "checkpointDelay", 0, 172800)
	if aerr != nil {
		return p, aerr
	}
	if delayGiven && len(p.Checkpoints) == 0 {
		return p, errf("ValidationError", "You must specify CheckpointPercentages when you specify CheckpointDelay.")
	}
	p.CheckpointDelay = time.Hour
	if delayGiven {
		p.CheckpointDelay = time.Duration(delay) * time.Second
	}
	bake, _, aerr := intIn("BakeTime", "bakeTime", 0, 172800)
	if aerr != nil {
		return p, aerr
	}
	p.BakeTime = time.Duration(bake) * time.Second
	p.SkipMatching, _ = v.Bool("SkipMatching")
	p.AutoRollback, _ = v.Bool("AutoRollback")
	for _, k := range []string{"ScaleInProtectedInstances", "StandbyInstances"} {
		if x := v.Get(k); x != "" && x != "Ignore" && x != "Refresh" && x != "Wait" {
			return p, errf("ValidationError", "1 validation error detected: Value '%s' at 'preferences.%s' failed to satisfy constraint: Member must satisfy enum value set: [Refresh, Ignore, Wait]", x, lowerFirst(k))
		}
	}
	return p, nil
}

func parseInt(s string) (int, error) { return strconv.Atoi(s) }

func itoa8(i int) string { return fmt.Sprintf("%08d", i) }

// irreversible tells why a refresh of g with desired cannot be rolled back ("" when it
// can): it has no desired configuration, or the group's launch template is named by
// $Latest or $Default, or its ImageId is a Systems Manager parameter.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RollbackInstanceRefresh.html
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-rollback.html#instance-refresh-rollback-prerequisites
func (s *Service) irreversible(g *group, original source, desired *source) string {
	if desired == nil {
		return "The instance refresh cannot be rolled back because it has no desired configuration."
	}
	t, _, ok := original.template()
	if !ok {
		return ""
	}
	if t.Version == "" || t.Version == "$Default" || t.Version == "$Latest" {
		v := t.Version
		if v == "" {
			v = "$Default"
		}
		return "The instance refresh cannot be rolled back because the Auto Scaling group uses the launch template's " + v + " version."
	}
	if ti, ok := s.srv.EC2.(awsemu.LaunchTemplateVersionReader); ok {
		key := t.ID
		if key == "" {
			key = t.Name
		}
		if v, ok := ti.LaunchTemplateVersion(g.region, key, t.Version); ok && strings.HasPrefix(v.ImageID, "resolve:ssm:") {
			return "The instance refresh cannot be rolled back because the Auto Scaling group's launch template uses a Systems Manager parameter instead of an AMI ID for ImageId."
		}
	}
	return ""
}

// startRefresh is StartInstanceRefresh (Strategy Rolling): one refresh at a time; an
// AutoRollback refresh must be one that can be rolled back.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_StartInstanceRefresh.html
func (s *Service) startRefresh(c *call) (any, *apiError) {
	g, aerr := findGroup(c, "")
	if aerr != nil {
		return nil, aerr
	}
	if st := c.v.Get("Strategy"); st != "" && st != "Rolling" {
		if st == "ReplaceRootVolume" {
			return nil, errf("ValidationError", "awsemu does not model the ReplaceRootVolume strategy; use Rolling.")
		}
		return nil, errf("ValidationError", "1 validation error detected: Value '%s' at 'strategy' failed to satisfy constraint: Member must satisfy enum value set: [Rolling, ReplaceRootVolume]", st)
	}
	p, aerr := readPrefs(c.v.Struct("Preferences"), g)
	if aerr != nil {
		return nil, aerr
	}
	var desired *source
	if dc := c.v.Struct("DesiredConfiguration"); len(dc) > 0 {
		src := source{}
		if lt := dc.Struct("LaunchTemplate"); len(lt) > 0 {
			t := readTemplate(lt)
			if aerr := checkTemplate(t, "DesiredConfiguration.LaunchTemplate"); aerr != nil {
				return nil, aerr
			}
			if aerr := s.checkTemplateExists(c.region, &t); aerr != nil {
				return nil, aerr
			}
			src.LaunchTemplate = &t
		}
		if mp := dc.Struct("MixedInstancesPolicy"); len(mp) > 0 {
			pol, aerr := s.readMixedPolicy(c, mp)
			if aerr != nil {
				return nil, aerr
			}
			src.MixedInstancesPolicy = pol
		}
		if src.LaunchTemplate != nil && src.MixedInstancesPolicy != nil {
			return nil, errf("ValidationError", "Valid requests must contain either LaunchTemplate or MixedInstancesPolicy in DesiredConfiguration.")
		}
		if src.LaunchTemplate != nil || src.MixedInstancesPolicy != nil {
			desired = &src
		}
	}
	if g.activeRefresh() != nil {
		return nil, errf("InstanceRefreshInProgress", "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.")
	}
	if p.AutoRollback {
		if why := s.irreversible(g, g.source(), desired); why != "" {
			return nil, errf("IrreversibleInstanceRefresh", "%s", why)
		}
	}
	r := &refresh{ID: newUUID(), Status: RefreshPending, StartTime: c.now, Prefs: p, Desired: desired, Original: g.source()}
	g.refreshes = append([]*refresh{r}, g.refreshes...)
	return struct {
		ID string `xml:"InstanceRefreshId"`
	}{r.ID}, nil
}

// describeRefreshes is DescribeInstanceRefreshes of one group, newest first (InstanceRefreshIds
// narrows), MaxRecords at most 100. Refreshes started by other services for their own
// groups (EKS node group updates) are not listed.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeInstanceRefreshes.html
func (s *Service) describeRefreshes(c *call) (any, *apiError) {
	name := c.v.Get("AutoScalingGroupName")
	if name == "" {
		return nil, errf("ValidationError", "1 validation error detected: Value null at 'autoScalingGroupName' failed to satisfy constraint: Member must not be null")
	}
	ids := c.v.Members("InstanceRefreshIds")
	var list []*refresh
	g := c.rs.groups[name]
	if g != nil {
		for _, r := range g.refreshes {
			if !r.Hidden && (len(ids) == 0 || slices.Contains(ids, r.ID)) {
				list = append(list, r)
			}
		}
	}
	keys := make([]string, len(list))
	for i := range list {
		keys[i] = itoa8(i)
	}
	page, next, aerr := pageOf(c, keys, 50, 100)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Refreshes query.Members[refreshXML] `xml:"InstanceRefreshes"`
		NextToken string                    `xml:"NextToken,omitempty"`
	}{NextToken: next}
	out.Refreshes.Members = []refreshXML{}
	for _, k := range page {
		i, _ := parseInt(k)
		out.Refreshes.Members = append(out.Refreshes.Members, list[i].xml(g))
	}
	return out, nil
}

// cancelRefresh is CancelInstanceRefresh: an instance refresh or rollback in progress
// becomes Cancelling, then Cancelled; instances already replaced stay.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CancelInstanceRefresh.html
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/cancel-instance-refresh.html
func (s *Service) cancelRefresh(c *call) (any, *apiError) {
	g, aerr := findGroup(c, "")
	if aerr != nil {
		return nil, aerr
	}
	r := g.activeRefresh()
	if r == nil || r.Hidden || r.Status == RefreshCancelling {
		return nil, errf("ActiveInstanceRefreshNotFound", "No in progress or pending Instance Refresh found for Auto Scaling group %s", g.Name)
	}
	r.Status = RefreshCancelling
	return struct {
		ID string `xml:"InstanceRefreshId"`
	}{r.ID}, nil
}

// rollbackRefresh is RollbackInstanceRefresh: the refresh in progress stops and the
// instances it launched are replaced with the group's configuration from before it
// (RollbackInProgress, then RollbackSuccessful or RollbackFailed), when it can be rolled
// back.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RollbackInstanceRefresh.html
func (s *Service) rollbackRefresh(c *call) (any, *apiError) {
	g, aerr := findGroup(c, "")
	if aerr != nil {
		return nil, aerr
	}
	r := g.activeRefresh()
	if r == nil || r.Hidden || (r.Status != RefreshPending && r.Status != RefreshInProgress && r.Status != RefreshBaking) {
		return nil, errf("ActiveInstanceRefreshNotFound", "No in progress or pending Instance Refresh found for Auto Scaling group %s", g.Name)
	}
	if why := s.irreversible(g, r.Original, r.Desired); why != "" {
		return nil, errf("IrreversibleInstanceRefresh", "%s", why)
	}
	g.startRollback(r, "Rollback started by user request.", c.now)
	return struct {
		ID string `xml:"InstanceRefreshId"`
	}{r.ID}, nil
}
