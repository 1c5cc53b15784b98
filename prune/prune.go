package prune

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/internal/parallel"
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
	Region  string    `json:"region"`
	ImageID string    `json:"imageId"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// State is the AMI's state when it is not available (disabled, for one).
	State   string   `json:"state,omitempty"`
	Action  string   `json:"action"`
	Reasons []string `json:"reasons"`
	// SharedWith names whom the AMI's launch permissions share it with ("account
	// 111122223333", "organization arn:…", "organizational unit arn:…", "everyone (public)").
	SharedWith []string   `json:"sharedWith,omitempty"`
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

// EC2Clients gives the EC2 client of a region (*awsapi.Clients satisfies it).
type EC2Clients interface {
	EC2(region string) awsapi.EC2
}

// Clients gives the per-region clients prune calls (*awsapi.Clients satisfies it): EC2
// and Fast Launch's, Auto Scaling and Image Builder (who else uses an AMI).
type Clients interface {
	fastlaunch.Clients
	AutoScaling(region string) awsapi.AutoScaling
	ImageBuilder(region string) awsapi.ImageBuilder
}

// Pruner plans and carries out the clean-up.
type Pruner struct {
	// Clients gives each region's clients.
	Clients Clients
	// Wait tunes the wait for Fast Launch to be disabled (its snapshots gone).
	Wait fastlaunch.WaitOptions
	// Progress receives one line per step while Execute runs (nil: silent). It is called
	// from one goroutine at a time.
	Progress func(string)
	// Concurrency bounds how many regions, and how many AMIs (or list calls) in each
	// region, prune works on at once (DefaultConcurrency when zero).
	Concurrency int

	mu sync.Mutex
}

func (p *Pruner) progress(format string, args ...any) {
	if p.Progress != nil {
		line := fmt.Sprintf(format, args...)
		p.mu.Lock()
		defer p.mu.Unlock()
		p.Progress(line)
	}
}

func (p *Pruner) concurrency() int {
	if p.Concurrency > 0 {
		return p.Concurrency
	}
	return DefaultConcurrency
}

// forEach runs fn(i) for i in [0, n) with at most limit at once (parallel.ForEach).
var forEach = parallel.ForEach

// Plan lists the candidates of every region and decides, changing nothing.
func (p *Pruner) Plan(ctx context.Context, o Options) (*Plan, error) {
	if o.Name == "" {
		return nil, errors.New("planning the prune: the spec has no metadata.name")
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	plan := &Plan{Name: o.Name, Images: []Image{}}
	type result struct {
		images  []Image
		orphans []Orphan
	}
	results := make([]result, len(o.Regions))
	err := forEach(ctx, len(o.Regions), p.concurrency(), func(ctx context.Context, i int) error {
		imgs, orphans, err := p.planRegion(ctx, o, o.Regions[i])
		results[i] = result{imgs, orphans}
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, r := range results {
		plan.Images = append(plan.Images, r.images...)
		plan.Orphans = append(plan.Orphans, r.orphans...)
	}
	return plan, nil
}

func size(o Options, max int32) *int32 {
	if o.PageSize <= 0 || o.PageSize > max {
		return aws.Int32(max)
	}
	return aws.Int32(o.PageSize)
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
