package prune

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/fastlaunch"
)

func (p *Pruner) planRegion(ctx context.Context, o Options, region string) ([]Image, []Orphan, error) {
	api := p.Clients.EC2(region)

	// Every AMI the account owns, disabled ones included (DescribeImages leaves them out
	// unless IncludeDisabled): the candidates, and who else uses their snapshots.
	var owned []types.Image
	ip := ec2.NewDescribeImagesPaginator(api, &ec2.DescribeImagesInput{Owners: []string{"self"}, IncludeDisabled: aws.Bool(true), MaxResults: size(o, 1000)})
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
	sort.SliceStable(candidates, func(i, j int) bool {
		return aws.ToString(candidates[i].CreationDate) > aws.ToString(candidates[j].CreationDate)
	})

	// What uses the candidates, whom they are shared with, their Fast Launch state and the
	// orphan snapshots: all read at once.
	var (
		used    usage
		shared  map[string][]string
		flState = map[string]string{}
		guarded = usage{}
		orphans []Orphan
	)
	steps := []func(ctx context.Context) error{
		func(ctx context.Context) (err error) { used, err = p.usage(ctx, o, region, candidates); return err },
		func(ctx context.Context) (err error) { shared, err = p.shares(ctx, region, candidates); return err },
		func(ctx context.Context) error {
			sts, err := fastlaunch.New(p.Clients, region).Describe(ctx)
			for _, s := range sts {
				flState[s.ImageID] = s.State
			}
			return err
		},
		func(ctx context.Context) (err error) { orphans, err = p.orphans(ctx, o, region, owned); return err },
		func(ctx context.Context) error { return p.guards(ctx, o, region, candidates, guarded) },
	}
	if err := forEach(ctx, len(steps), p.concurrency(), func(ctx context.Context, i int) error { return steps[i](ctx) }); err != nil {
		return nil, nil, err
	}

	var out []Image
	deleting := map[string]bool{}
	for i, im := range candidates {
		id := aws.ToString(im.ImageId)
		created, _ := time.Parse(time.RFC3339, aws.ToString(im.CreationDate))
		img := Image{Region: region, ImageID: id, Name: aws.ToString(im.Name), Created: created, FastLaunch: flState[id],
			SharedWith: shared[id], Snapshots: []Snapshot{}}
		if im.State != types.ImageStateAvailable {
			img.State = string(im.State)
		}
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
		img.Reasons = append(img.Reasons, guarded[id]...)
		if len(img.SharedWith) > 0 && !o.IncludeShared {
			img.Reasons = append(img.Reasons, "shared with "+strings.Join(img.SharedWith, ", ")+" (--include-shared to prune it)")
		}
		if len(img.Reasons) > 0 {
			img.Action = ActionKeep
		} else {
			img.Action = ActionDelete
			why := fmt.Sprintf("older than the newest %d and not in use", o.Keep)
			if len(img.SharedWith) > 0 {
				why += "; shared with " + strings.Join(img.SharedWith, ", ") + ", pruned as --include-shared asks"
			}
			img.Reasons = []string{why}
			deleting[id] = true
		}
		out = append(out, img)
	}

	// Snapshots: deleted with the last AMI (in execution order) of the plan that uses
	// them, unless an AMI that stays uses them too.
	users := map[string][]string{}
	byID := map[string]types.Image{}
	for _, im := range owned {
		byID[aws.ToString(im.ImageId)] = im
		for _, s := range snapshotsOf(im) {
			users[s] = append(users[s], aws.ToString(im.ImageId))
		}
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
	return out, orphans, nil
}

// guards asks every Options.Guards about the candidates of region, adding what they name
// to u.
func (p *Pruner) guards(ctx context.Context, o Options, region string, candidates []types.Image, u usage) error {
	if len(o.Guards) == 0 {
		return nil
	}
	isCandidate := map[string]bool{}
	cs := make([]Candidate, 0, len(candidates))
	for _, im := range candidates {
		created, _ := time.Parse(time.RFC3339, aws.ToString(im.CreationDate))
		id := aws.ToString(im.ImageId)
		isCandidate[id] = true
		cs = append(cs, Candidate{ImageID: id, Name: aws.ToString(im.Name), OwnerID: aws.ToString(im.OwnerId), Tags: tags(im.Tags), Created: created})
	}
	for _, g := range o.Guards {
		got, err := g.InUse(ctx, region, cs)
		if err != nil {
			return fmt.Errorf("checking what uses the AMIs in %s: %w", region, err)
		}
		ids := make([]string, 0, len(got))
		for id := range got {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			if isCandidate[id] {
				for _, why := range got[id] {
					u.add(id, why)
				}
			}
		}
	}
	return nil
}

// shares reads the launch permissions of every candidate (DescribeImageAttribute
// launchPermission), at most Concurrency at once: whom each AMI is shared with. Other
// accounts, organizations and OUs may launch it, and prune cannot see their instances,
// launch templates or Auto Scaling groups.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImageAttribute.html
func (p *Pruner) shares(ctx context.Context, region string, candidates []types.Image) (map[string][]string, error) {
	api := p.Clients.EC2(region)
	out := make([][]string, len(candidates))
	err := forEach(ctx, len(candidates), p.concurrency(), func(ctx context.Context, i int) error {
		id := aws.ToString(candidates[i].ImageId)
		var with []string
		if aws.ToBool(candidates[i].Public) {
			with = append(with, "everyone (public)")
		}
		attr, err := api.DescribeImageAttribute(ctx, &ec2.DescribeImageAttributeInput{ImageId: aws.String(id), Attribute: types.ImageAttributeNameLaunchPermission})
		if err != nil {
			return fmt.Errorf("reading the launch permissions of %s in %s: %w", id, region, err)
		}
		for _, lp := range attr.LaunchPermissions {
			switch {
			case aws.ToString(lp.UserId) != "":
				with = append(with, "account "+aws.ToString(lp.UserId))
			case aws.ToString(lp.OrganizationArn) != "":
				with = append(with, "organization "+aws.ToString(lp.OrganizationArn))
			case aws.ToString(lp.OrganizationalUnitArn) != "":
				with = append(with, "organizational unit "+aws.ToString(lp.OrganizationalUnitArn))
			case lp.Group == types.PermissionGroupAll && !aws.ToBool(candidates[i].Public):
				with = append(with, "everyone (public)")
			}
		}
		out[i] = with
		return nil
	})
	if err != nil {
		return nil, err
	}
	m := map[string][]string{}
	for i, with := range out {
		if len(with) > 0 {
			m[aws.ToString(candidates[i].ImageId)] = with
		}
	}
	return m, nil
}
