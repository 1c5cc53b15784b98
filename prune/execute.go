package prune

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/fastlaunch"
)

// Execute carries out the plan's deletions: the regions at once and, in each region, the
// AMIs at once (at most Concurrency of each), so the whole prune takes about as long as
// its slowest AMI. For each AMI: disable Fast Launch and wait until its snapshots are
// gone, tag its snapshots winami:prune-pending, deregister. Once every AMI of a region has
// been handled, the snapshots no AMI uses any more are deleted (a snapshot two AMIs of the
// plan share goes only once both are deregistered). A failure is recorded on its AMI and
// the rest continue; because snapshots are tagged before their AMI is deregistered, a
// later run finds and deletes what this one could not.
func (p *Pruner) Execute(ctx context.Context, plan *Plan) {
	var regions []string
	byRegion := map[string][]int{}
	for i, im := range plan.Images {
		if im.Action != ActionDelete {
			continue
		}
		if _, ok := byRegion[im.Region]; !ok {
			regions = append(regions, im.Region)
		}
		byRegion[im.Region] = append(byRegion[im.Region], i)
	}
	for _, o := range plan.Orphans {
		if _, ok := byRegion[o.Region]; !ok {
			regions = append(regions, o.Region)
			byRegion[o.Region] = nil
		}
	}
	_ = forEach(ctx, len(regions), p.concurrency(), func(_ context.Context, r int) error {
		p.executeRegion(ctx, plan, regions[r], byRegion[regions[r]])
		return nil
	})
}

func (p *Pruner) executeRegion(ctx context.Context, plan *Plan, region string, idx []int) {
	// The AMIs, at once; each goroutine writes only its own plan.Images[i].
	deregistered := make([]bool, len(idx))
	_ = forEach(ctx, len(idx), p.concurrency(), func(_ context.Context, k int) error {
		im := &plan.Images[idx[k]]
		if err := p.deregister(ctx, plan.Name, im); err != nil {
			im.Result, im.Error = ResultFailed, awsapi.Message(err)
			p.progress("%s %s: failed: %s", im.Region, im.ImageID, awsapi.Message(err))
			return nil
		}
		deregistered[k] = true
		return nil
	})
	gone := map[string]bool{}
	for k, i := range idx {
		if deregistered[k] {
			gone[plan.Images[i].ImageID] = true
		}
	}

	// Then the snapshots: one that another AMI of the plan uses too is deleted only when
	// that AMI is gone as well; otherwise it stays, tagged, for the next run.
	type job struct{ img, snap int }
	var jobs []job
	for k, i := range idx {
		if !deregistered[k] {
			continue
		}
		im := &plan.Images[i]
		for j := range im.Snapshots {
			s := &im.Snapshots[j]
			if !s.Delete {
				continue
			}
			var left []string
			for _, other := range s.SharedWith {
				if !gone[other] {
					left = append(left, other)
				}
			}
			if len(left) > 0 {
				s.Result, s.Error = ResultFailed, fmt.Sprintf("left (tagged %s) because %s was not deregistered; run prune again", PendingTag, strings.Join(left, ", "))
				continue
			}
			jobs = append(jobs, job{i, j})
		}
	}
	_ = forEach(ctx, len(jobs), p.concurrency(), func(_ context.Context, n int) error {
		im := &plan.Images[jobs[n].img]
		s := &im.Snapshots[jobs[n].snap]
		if err := p.deleteSnapshot(ctx, region, s.ID); err != nil {
			s.Result, s.Error = ResultFailed, awsapi.Message(err)
			return nil
		}
		s.Result = ResultDeleted
		p.progress("%s %s: snapshot %s deleted", region, im.ImageID, s.ID)
		return nil
	})
	for k, i := range idx {
		if !deregistered[k] {
			continue
		}
		im := &plan.Images[i]
		var failed []string
		for _, s := range im.Snapshots {
			if s.Result == ResultFailed {
				failed = append(failed, s.Error)
			}
		}
		if len(failed) > 0 {
			im.Result, im.Error = ResultFailed, fmt.Sprintf("deregistered, but %s (run prune again to finish)", strings.Join(failed, "; "))
			continue
		}
		im.Result = ResultDeleted
	}

	// Snapshots an earlier run left behind.
	var orphans []int
	for i := range plan.Orphans {
		if plan.Orphans[i].Region == region {
			orphans = append(orphans, i)
		}
	}
	_ = forEach(ctx, len(orphans), p.concurrency(), func(_ context.Context, n int) error {
		o := &plan.Orphans[orphans[n]]
		if err := p.deleteSnapshot(ctx, o.Region, o.SnapshotID); err != nil {
			o.Result, o.Error = ResultFailed, awsapi.Message(err)
			p.progress("%s %s: failed: %s", o.Region, o.SnapshotID, awsapi.Message(err))
			return nil
		}
		o.Result = ResultDeleted
		p.progress("%s %s: deleted (left by an earlier prune)", o.Region, o.SnapshotID)
		return nil
	})
}

// deregister disables Fast Launch and waits until its snapshots are gone, tags the
// snapshots the plan deletes with the pending tag, and deregisters the AMI.
func (p *Pruner) deregister(ctx context.Context, name string, im *Image) error {
	api := p.Clients.EC2(im.Region)
	fl := fastlaunch.New(p.Clients, im.Region)
	st, err := fl.Get(ctx, im.ImageID)
	if err != nil {
		return err
	}
	if st.State != fastlaunch.StateGone {
		p.progress("%s %s: Fast Launch %s; disabling and waiting for its snapshots to go", im.Region, im.ImageID, st.State)
		// An earlier run that stopped half way may have asked already (disabling): EC2
		// refuses a second DisableFastLaunch then, and waiting is all that is left.
		if st.State != fastlaunch.StateDisabling {
			if _, err := fl.Disable(ctx, im.ImageID, false, false); err != nil {
				return err
			}
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
	return nil
}
