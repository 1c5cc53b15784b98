package prune

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/fastlaunch"
)

// Tags that mark an AMI as produced by a spec's pipeline. They are the tags package
// imagebuilder puts on every AMI it distributes (imagebuilder.NameTag, ManagedByTag) and
// the tag EC2 Image Builder itself adds.
const (
	NameTag         = "winami:name"
	ManagedByTag    = "winami:managed-by"
	ManagedByValue  = "winami"
	ImageBuilderTag = "Ec2ImageBuilderArn"
	// PendingTag marks a snapshot whose AMI prune deregistered, so that a later run deletes
	// it if this one could not; its value is the spec's name.
	PendingTag = "winami:prune-pending"
)

// DefaultConcurrency is how many regions, and AMIs in a region, prune works on at once.
const DefaultConcurrency = 8

// Actions in a plan.
const (
	ActionDelete = "delete"
	ActionKeep   = "keep"
)

// Results of carrying out a plan.
const (
	ResultDeleted = "deleted"
	ResultFailed  = "failed"
)

// Options select what prune considers and keeps.
type Options struct {
	// Name is the spec's metadata.name: candidates are the account's AMIs tagged
	// winami:name=Name, winami:managed-by=winami and Ec2ImageBuilderArn.
	Name string
	// Regions are the distribution regions to prune.
	Regions []string
	// Keep is how many of the newest candidates each region keeps.
	Keep int
	// OlderThan keeps candidates created less than this long ago (0: no age rule).
	OlderThan time.Duration
	// PublishParameter is the spec's SSM parameter; the AMI it names is kept.
	PublishParameter string
	// NodeImages are AMI IDs that cluster nodes run (from --kubeconfig); they are kept.
	NodeImages map[string]bool
	// Guards are further sources of use that prune asks, per region, about its candidates
	// (Karpenter's EC2NodeClasses, for one); an AMI any guard names is kept.
	Guards []Guard
	// IncludeShared lets prune delete AMIs whose launch permissions name other accounts,
	// organizations or organizational units (kept by default: prune cannot see their use).
	IncludeShared bool
	// Concurrency bounds how many regions, and how many AMIs in each region, prune works on
	// at once (DefaultConcurrency when zero).
	Concurrency int
	// Now is the time ages are measured from (time.Now when zero).
	Now time.Time
	// PageSize is the MaxResults of every list call (the API's maximum when zero).
	PageSize int32
}

// Candidate is an AMI prune considers deleting, as a Guard sees it.
type Candidate struct {
	ImageID string
	Name    string
	OwnerID string
	Tags    map[string]string
	Created time.Time
}

// Guard reports AMIs in use where prune's own EC2, Auto Scaling, SSM and Image Builder
// checks cannot see (outside AWS: a cluster's Karpenter EC2NodeClasses). Plan calls InUse
// once per region that has candidates, possibly for several regions at once.
type Guard interface {
	// InUse returns, for the candidates of region, the IDs of those in use, each with the
	// reasons the plan prints ("selected by EC2NodeClass default (amiSelectorTerms[0].tags)").
	// IDs that are not candidates are ignored. An error stops the plan: an AMI whose use
	// cannot be checked is never deleted.
	InUse(ctx context.Context, region string, candidates []Candidate) (map[string][]string, error)
}

// Snapshot is one EBS snapshot of a planned AMI.
type Snapshot struct {
	ID string `json:"id"`
	// Delete is false when another AMI uses the snapshot too.
	Delete bool `json:"delete"`
	// SharedWith lists the other AMIs that use it.
	SharedWith []string `json:"sharedWith,omitempty"`
	Result     string   `json:"result,omitempty"`
	Error      string   `json:"error,omitempty"`
}

// Image is one candidate AMI and what happens to it.
type Image struct {
	Region     string     `json:"region"`
	ImageID    string     `json:"imageId"`
	Name       string     `json:"name"`
	Created    time.Time  `json:"created"`
	Action     string     `json:"action"`
	Reasons    []string   `json:"reasons"`
	FastLaunch string     `json:"fastLaunch,omitempty"`
	Snapshots  []Snapshot `json:"snapshots"`
	Result     string     `json:"result,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// Orphan is a snapshot left by an earlier prune that deregistered its AMI but could not
// delete it.
type Orphan struct {
	Region     string `json:"region"`
	SnapshotID string `json:"snapshotId"`
	Result     string `json:"result,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Plan is what prune does in every region: which AMIs go, which stay and why.
type Plan struct {
	Name    string   `json:"name"`
	Images  []Image  `json:"images"`
	Orphans []Orphan `json:"orphanSnapshots,omitempty"`
}

// Deletes counts the AMIs the plan deletes.
func (p *Plan) Deletes() int {
	n := 0
	for _, im := range p.Images {
		if im.Action == ActionDelete {
			n++
		}
	}
	return n
}

// Failed counts the AMIs and orphan snapshots whose deletion failed.
func (p *Plan) Failed() int {
	n := 0
	for _, im := range p.Images {
		if im.Result == ResultFailed {
			n++
		}
	}
	for _, o := range p.Orphans {
		if o.Result == ResultFailed {
			n++
		}
	}
	return n
}

// Pruner plans and carries out the clean-up.
type Pruner struct {
	// Clients gives each region's clients.
	Clients *awsapi.Clients
	// Wait tunes the wait for Fast Launch to be disabled (its snapshots gone).
	Wait fastlaunch.WaitOptions
	// Progress receives one line per step while Execute runs (nil: silent).
	Progress func(string)
}

func (p *Pruner) progress(format string, args ...any) {
	if p.Progress != nil {
		p.Progress(fmt.Sprintf(format, args...))
	}
}

// Plan lists the candidates of every region and decides, changing nothing.
func (p *Pruner) Plan(ctx context.Context, o Options) (*Plan, error) {
	if o.Name == "" {
		return nil, errors.New("planning the prune: the spec has no metadata.name")
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	plan := &Plan{Name: o.Name, Images: []Image{}}
	for _, region := range o.Regions {
		imgs, orphans, err := p.planRegion(ctx, o, region)
		if err != nil {
			return nil, err
		}
		plan.Images = append(plan.Images, imgs...)
		plan.Orphans = append(plan.Orphans, orphans...)
	}
	return plan, nil
}

// usage maps an AMI ID to the reasons it is in use.
type usage map[string][]string

func (u usage) add(id, why string) {
	if strings.HasPrefix(id, "ami-") {
		u[id] = append(u[id], why)
	}
}

func size(o Options, max int32) *int32 {
	if o.PageSize <= 0 || o.PageSize > max {
		return aws.Int32(max)
	}
	return aws.Int32(o.PageSize)
}

func (p *Pruner) planRegion(ctx context.Context, o Options, region string) ([]Image, []Orphan, error) {
	api := p.Clients.EC2(region)

	// Every AMI the account owns: the candidates, and who else uses their snapshots.
	var owned []types.Image
	ip := ec2.NewDescribeImagesPaginator(api, &ec2.DescribeImagesInput{Owners: []string{"self"}, MaxResults: size(o, 1000)})
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("listing the account's AMIs in %s: %w", region, err)
		}
		owned = append(owned, page.Images...)
	}
	var candidates []types.Image
	for _, im := range owned {
		t := tags(im.Tags)
		if t[NameTag] == o.Name && t[ManagedByTag] == ManagedByValue && t[ImageBuilderTag] != "" {
			candidates = append(candidates, im)
		}
	}
	if len(candidates) == 0 {
		orphans, err := p.orphans(ctx, o, region, owned)
		return nil, orphans, err
	}

	used, err := p.usage(ctx, o, region)
	if err != nil {
		return nil, nil, err
	}
	if len(o.Guards) > 0 {
		isCandidate := map[string]bool{}
		var cs []Candidate
		for _, im := range candidates {
			created, _ := time.Parse(time.RFC3339, aws.ToString(im.CreationDate))
			id := aws.ToString(im.ImageId)
			isCandidate[id] = true
			cs = append(cs, Candidate{ImageID: id, Name: aws.ToString(im.Name), OwnerID: aws.ToString(im.OwnerId), Tags: tags(im.Tags), Created: created})
		}
		for _, g := range o.Guards {
			got, err := g.InUse(ctx, region, cs)
			if err != nil {
				return nil, nil, fmt.Errorf("checking what uses the AMIs in %s: %w", region, err)
			}
			for id, whys := range got {
				if isCandidate[id] {
					for _, why := range whys {
						used.add(id, why)
					}
				}
			}
		}
	}
	flState := map[string]string{}
	fl := fastlaunch.New(p.Clients, region)
	sts, err := fl.Describe(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range sts {
		flState[s.ImageID] = s.State
	}

	sort.SliceStable(candidates, func(i, j int) bool {
		return aws.ToString(candidates[i].CreationDate) > aws.ToString(candidates[j].CreationDate)
	})
	var out []Image
	deleting := map[string]bool{}
	for i, im := range candidates {
		id := aws.ToString(im.ImageId)
		created, _ := time.Parse(time.RFC3339, aws.ToString(im.CreationDate))
		img := Image{Region: region, ImageID: id, Name: aws.ToString(im.Name), Created: created, FastLaunch: flState[id], Snapshots: []Snapshot{}}
		if i < o.Keep {
			img.Reasons = append(img.Reasons, fmt.Sprintf("one of the newest %d", o.Keep))
		}
		if o.OlderThan > 0 && o.Now.Sub(created) < o.OlderThan {
			img.Reasons = append(img.Reasons, fmt.Sprintf("newer than %s", formatAge(o.OlderThan)))
		}
		img.Reasons = append(img.Reasons, used[id]...)
		if o.NodeImages[id] {
			img.Reasons = append(img.Reasons, "run by a node of the cluster")
		}
		if len(img.Reasons) > 0 {
			img.Action = ActionKeep
		} else {
			img.Action = ActionDelete
			img.Reasons = []string{fmt.Sprintf("older than the newest %d and not in use", o.Keep)}
			deleting[id] = true
		}
		out = append(out, img)
	}

	// Snapshots: deleted with the last AMI (in execution order) of the plan that uses
	// them, unless an AMI that stays uses them too.
	users := map[string][]string{}
	for _, im := range owned {
		for _, s := range snapshotsOf(im) {
			users[s] = append(users[s], aws.ToString(im.ImageId))
		}
	}
	byID := map[string]types.Image{}
	for _, im := range owned {
		byID[aws.ToString(im.ImageId)] = im
	}
	// Execution order is oldest first.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	done := map[string]bool{}
	for i := range out {
		if out[i].Action != ActionDelete {
			continue
		}
		for _, s := range snapshotsOf(byID[out[i].ImageID]) {
			snap := Snapshot{ID: s, Delete: true}
			for _, other := range users[s] {
				if other == out[i].ImageID {
					continue
				}
				snap.SharedWith = append(snap.SharedWith, other)
				if !deleting[other] || !done[other] && laterThan(out, other, i) {
					snap.Delete = false
				}
			}
			out[i].Snapshots = append(out[i].Snapshots, snap)
		}
		done[out[i].ImageID] = true
	}
	orphans, err := p.orphans(ctx, o, region, owned)
	return out, orphans, err
}

// laterThan reports whether imageID comes after index i in out.
func laterThan(out []Image, imageID string, i int) bool {
	for j := i + 1; j < len(out); j++ {
		if out[j].ImageID == imageID {
			return true
		}
	}
	return false
}

func snapshotsOf(im types.Image) []string {
	var out []string
	for _, bd := range im.BlockDeviceMappings {
		if bd.Ebs != nil && aws.ToString(bd.Ebs.SnapshotId) != "" {
			out = append(out, aws.ToString(bd.Ebs.SnapshotId))
		}
	}
	return out
}

func tags(ts []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// orphans lists snapshots an earlier run marked and left behind, no longer used by an AMI.
func (p *Pruner) orphans(ctx context.Context, o Options, region string, owned []types.Image) ([]Orphan, error) {
	inUse := map[string]bool{}
	for _, im := range owned {
		for _, s := range snapshotsOf(im) {
			inUse[s] = true
		}
	}
	var out []Orphan
	sp := ec2.NewDescribeSnapshotsPaginator(p.Clients.EC2(region), &ec2.DescribeSnapshotsInput{
		OwnerIds:   []string{"self"},
		Filters:    []types.Filter{{Name: aws.String("tag:" + PendingTag), Values: []string{o.Name}}},
		MaxResults: size(o, 1000),
	})
	for sp.HasMorePages() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing snapshots left by an earlier prune in %s: %w", region, err)
		}
		for _, s := range page.Snapshots {
			if id := aws.ToString(s.SnapshotId); !inUse[id] {
				out = append(out, Orphan{Region: region, SnapshotID: id})
			}
		}
	}
	return out, nil
}

// usage finds every reference to an AMI in the region: instances in any state but
// terminated, every version of every launch template, Auto Scaling groups and launch
// configurations, and the published SSM parameter. Every list is paginated.
func (p *Pruner) usage(ctx context.Context, o Options, region string) (usage, error) {
	u := usage{}
	api := p.Clients.EC2(region)
	ssmc := p.Clients.SSM(region)
	resolved := map[string]string{}
	// imageRef is the AMI a reference names: an AMI ID, or resolve:ssm:<parameter>. A
	// parameter that does not exist names nothing; one that cannot be read is an error,
	// not an absent reference (the AMI it names may be in use).
	imageRef := func(ref string) (string, error) {
		if !strings.HasPrefix(ref, "resolve:ssm:") {
			return ref, nil
		}
		name := strings.TrimPrefix(ref, "resolve:ssm:")
		if v, ok := resolved[name]; ok {
			return v, nil
		}
		out, err := ssmc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		v := ""
		switch {
		case err == nil:
			v = aws.ToString(out.Parameter.Value)
		case awsapi.ErrorCode(err) != "ParameterNotFound":
			return "", fmt.Errorf("reading %s in %s: %w", ref, region, err)
		}
		resolved[name] = v
		return v, nil
	}

	states := []string{"pending", "running", "shutting-down", "stopping", "stopped"}
	inp := ec2.NewDescribeInstancesPaginator(api, &ec2.DescribeInstancesInput{
		Filters:    []types.Filter{{Name: aws.String("instance-state-name"), Values: states}},
		MaxResults: size(o, 1000),
	})
	for inp.HasMorePages() {
		page, err := inp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing instances in %s: %w", region, err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				state := ""
				if in.State != nil {
					state = string(in.State.Name)
				}
				if state == "terminated" {
					continue
				}
				u.add(aws.ToString(in.ImageId), fmt.Sprintf("used by instance %s (%s)", aws.ToString(in.InstanceId), state))
			}
		}
	}

	ltp := ec2.NewDescribeLaunchTemplatesPaginator(api, &ec2.DescribeLaunchTemplatesInput{MaxResults: size(o, 200)})
	for ltp.HasMorePages() {
		page, err := ltp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing launch templates in %s: %w", region, err)
		}
		for _, lt := range page.LaunchTemplates {
			vp := ec2.NewDescribeLaunchTemplateVersionsPaginator(api, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: lt.LaunchTemplateId, MaxResults: size(o, 200)})
			for vp.HasMorePages() {
				vpage, err := vp.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("listing the versions of launch template %s in %s: %w", aws.ToString(lt.LaunchTemplateName), region, err)
				}
				for _, v := range vpage.LaunchTemplateVersions {
					if v.LaunchTemplateData == nil {
						continue
					}
					ref := aws.ToString(v.LaunchTemplateData.ImageId)
					why := fmt.Sprintf("in launch template %s (%s) version %d", aws.ToString(lt.LaunchTemplateName), aws.ToString(lt.LaunchTemplateId), aws.ToInt64(v.VersionNumber))
					if aws.ToBool(v.DefaultVersion) {
						why += " (default)"
					}
					if strings.HasPrefix(ref, "resolve:ssm:") {
						why += " through " + ref
					}
					id, err := imageRef(ref)
					if err != nil {
						return nil, fmt.Errorf("resolving the image of launch template %s version %d: %w", aws.ToString(lt.LaunchTemplateName), aws.ToInt64(v.VersionNumber), err)
					}
					u.add(id, why)
				}
			}
		}
	}

	as := p.Clients.AutoScaling(region)
	gp := autoscaling.NewDescribeAutoScalingGroupsPaginator(as, &autoscaling.DescribeAutoScalingGroupsInput{MaxRecords: size(o, 100)})
	for gp.HasMorePages() {
		page, err := gp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing Auto Scaling groups in %s: %w", region, err)
		}
		for _, g := range page.AutoScalingGroups {
			name := aws.ToString(g.AutoScalingGroupName)
			if mp := g.MixedInstancesPolicy; mp != nil && mp.LaunchTemplate != nil {
				for _, ov := range mp.LaunchTemplate.Overrides {
					id, err := imageRef(aws.ToString(ov.ImageId))
					if err != nil {
						return nil, fmt.Errorf("resolving the image of Auto Scaling group %s: %w", name, err)
					}
					u.add(id, fmt.Sprintf("in the mixed instances policy of Auto Scaling group %s (override %s)", name, aws.ToString(ov.InstanceType)))
				}
			}
		}
	}
	lp := autoscaling.NewDescribeLaunchConfigurationsPaginator(as, &autoscaling.DescribeLaunchConfigurationsInput{MaxRecords: size(o, 100)})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing launch configurations in %s: %w", region, err)
		}
		for _, lc := range page.LaunchConfigurations {
			u.add(aws.ToString(lc.ImageId), fmt.Sprintf("in launch configuration %s", aws.ToString(lc.LaunchConfigurationName)))
		}
	}

	if o.PublishParameter != "" {
		out, err := ssmc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(o.PublishParameter)})
		switch {
		case err == nil:
			u.add(aws.ToString(out.Parameter.Value), fmt.Sprintf("published in %s", o.PublishParameter))
		case awsapi.ErrorCode(err) == "ParameterNotFound":
		default:
			return nil, fmt.Errorf("reading %s in %s: %w", o.PublishParameter, region, err)
		}
	}
	return u, nil
}

// Execute carries out the plan's deletions, oldest AMI first in each region: disable
// Fast Launch and wait until its snapshots are gone, deregister, delete the snapshots no
// other AMI uses. A failure is recorded on its AMI and the rest continue; snapshots are
// tagged before the AMI is deregistered, so a later run finds and deletes what this one
// could not.
func (p *Pruner) Execute(ctx context.Context, plan *Plan) {
	for i := range plan.Images {
		im := &plan.Images[i]
		if im.Action != ActionDelete {
			continue
		}
		if err := p.deleteImage(ctx, plan.Name, im); err != nil {
			im.Result, im.Error = ResultFailed, err.Error()
			p.progress("%s %s: failed: %v", im.Region, im.ImageID, err)
			if ctx.Err() != nil {
				return
			}
			continue
		}
		im.Result = ResultDeleted
	}
	for i := range plan.Orphans {
		o := &plan.Orphans[i]
		if err := p.deleteSnapshot(ctx, o.Region, o.SnapshotID); err != nil {
			o.Result, o.Error = ResultFailed, err.Error()
			p.progress("%s %s: failed: %v", o.Region, o.SnapshotID, err)
			continue
		}
		o.Result = ResultDeleted
		p.progress("%s %s: deleted (left by an earlier prune)", o.Region, o.SnapshotID)
	}
}

func (p *Pruner) deleteImage(ctx context.Context, name string, im *Image) error {
	api := p.Clients.EC2(im.Region)
	fl := fastlaunch.New(p.Clients, im.Region)
	st, err := fl.Get(ctx, im.ImageID)
	if err != nil {
		return err
	}
	if st.State != fastlaunch.StateGone {
		p.progress("%s %s: Fast Launch %s; disabling and waiting for its snapshots to go", im.Region, im.ImageID, st.State)
		if _, err := fl.Disable(ctx, im.ImageID, false, false); err != nil {
			return err
		}
		if _, err := fl.Wait(ctx, im.ImageID, fastlaunch.UntilGone, p.Wait); err != nil {
			return err
		}
	}
	var del []string
	for _, s := range im.Snapshots {
		if s.Delete {
			del = append(del, s.ID)
		}
	}
	if len(del) > 0 {
		_, err := api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: del, Tags: []types.Tag{{Key: aws.String(PendingTag), Value: aws.String(name)}}})
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("marking the snapshots of %s in %s: %w", im.ImageID, im.Region, err)
		}
	}
	if _, err := api.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(im.ImageID)}); err != nil && !isNotFound(err) {
		return fmt.Errorf("deregistering %s in %s: %w", im.ImageID, im.Region, err)
	}
	p.progress("%s %s: deregistered", im.Region, im.ImageID)
	var failed []string
	for j := range im.Snapshots {
		s := &im.Snapshots[j]
		if !s.Delete {
			continue
		}
		if err := p.deleteSnapshot(ctx, im.Region, s.ID); err != nil {
			s.Result, s.Error = ResultFailed, err.Error()
			failed = append(failed, err.Error())
			continue
		}
		s.Result = ResultDeleted
		p.progress("%s %s: snapshot %s deleted", im.Region, im.ImageID, s.ID)
	}
	if len(failed) > 0 {
		return fmt.Errorf("deregistered, but %s (run prune again to finish)", strings.Join(failed, "; "))
	}
	return nil
}

func (p *Pruner) deleteSnapshot(ctx context.Context, region, id string) error {
	_, err := p.Clients.EC2(region).DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(id)})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("deleting snapshot %s in %s: %w", id, region, err)
	}
	return nil
}

func isNotFound(err error) bool {
	switch awsapi.ErrorCode(err) {
	case "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable", "InvalidSnapshot.NotFound":
		return true
	}
	return false
}

// ParseAge reads an age such as "30d", "12h", "2w" or any Go duration.
func ParseAge(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	if u, ok := unit[s[len(s)-1]]; ok {
		var n int
		if _, err := fmt.Sscanf(s[:len(s)-1], "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != s[:len(s)-1] {
			return 0, fmt.Errorf("age %q: use a number of days (30d), weeks (2w) or a duration (12h)", s)
		}
		return time.Duration(n) * u, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("age %q: use a number of days (30d), weeks (2w) or a duration (12h)", s)
	}
	return d, nil
}

func formatAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
