// Command prune-bench measures `winami prune --yes` against awsemu with a sped-up clock
// (as `winami sandbox` runs it: 600× by default, so Fast Launch's 5 minutes of disabling
// take half a second): every AMI to prune has Fast Launch enabled, so each must be
// disabled and waited for before it is deregistered.
//
//	(a) prune as it runs now: regions and their AMIs at once (Pruner.Concurrency 8);
//	(b) one at a time (Concurrency 1), the way prune worked before;
//	(c) the slowest single AMI: a prune of one AMI alone, the floor (a) should approach;
//	(d) (a) with a share of every request throttled: everything is still deleted.
//
// Run from the repository root:
//
//	go run ./bench/prune                   # 3 regions × 8 AMIs (7 go in each), 600×, poll 1s
//	go run ./bench/prune -regions us-east-1 -amis 9 -poll 15s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/prune"
)

var (
	regions  = flag.String("regions", "us-east-1,us-west-2,eu-west-1", "regions with AMIs to prune")
	amis     = flag.Int("amis", 8, "AMIs of the spec in each region (all but the newest go)")
	scale    = flag.Float64("scale", 600, "the emulator's clock speed (winami sandbox: 600)")
	poll     = flag.Duration("poll", time.Second, "prune's --poll-interval")
	latency  = flag.Duration("latency", 10*time.Millisecond, "latency of every request")
	singles  = flag.Int("singles", 3, "single-AMI prunes timed for (c); the slowest is reported")
	throttle = flag.Float64("throttle", 0.2, "share of requests throttled in (d)")
)

const name = "bench-win2022"

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "prune-bench:", err)
		os.Exit(1)
	}
}

type result struct {
	name     string
	amis     int
	requests int
	wall     time.Duration
	note     string
}

// world starts an emulator with n AMIs of the spec in each region, Fast Launch enabled
// on every one but the newest.
func world(ctx context.Context, rs []string, n int) (*awsemu.Server, *awsapi.Clients, error) {
	srv := emulator.New(emulator.WithClock(awsemu.RealClock{Scale: *scale, Start: time.Now()}), emulator.WithLatency(*latency))
	if err := srv.Start("127.0.0.1:0"); err != nil {
		return nil, nil, err
	}
	cfg := awstest.SDKConfig(srv.URL(), rs[0])
	cfg.Retryer = func() aws.Retryer { return awsapi.Retryer(10, 0) }
	cfg.RetryMaxAttempts = 10
	clients := awsapi.FromConfig(cfg)
	var enabled []fastlaunch.Status
	for _, r := range rs {
		base := srv.Clock.Now().Add(-time.Duration(n) * 24 * time.Hour)
		for i := 0; i < n; i++ {
			img := srv.EC2.PutImage(awsemu.Image{Region: r, Name: fmt.Sprintf("%s-%d", name, i), Platform: "windows", CreationDate: base.Add(time.Duration(i) * 24 * time.Hour),
				BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", VolumeSize: 50}},
				Tags: map[string]string{prune.NameTag: name, prune.ManagedByTag: prune.ManagedByValue,
					prune.ImageBuilderTag: fmt.Sprintf("arn:aws:imagebuilder:%s:123456789012:image/%s/1.0.%d/1", r, name, i)}})
			if i == n-1 {
				continue
			}
			if _, err := fastlaunch.New(clients, r).Enable(ctx, img.ID, fastlaunch.Settings{}, fastlaunch.EnableOptions{SkipPreflight: true}); err != nil {
				return nil, nil, fmt.Errorf("enabling Fast Launch for %s in %s: %w", img.ID, r, err)
			}
			enabled = append(enabled, fastlaunch.Status{Region: r, ImageID: img.ID})
		}
	}
	for _, st := range enabled {
		if _, err := fastlaunch.New(clients, st.Region).Wait(ctx, st.ImageID, fastlaunch.UntilEnabled, fastlaunch.WaitOptions{Interval: 50 * time.Millisecond}); err != nil {
			return nil, nil, err
		}
	}
	return srv, clients, nil
}

// prune plans and executes with the given concurrency, and checks that every AMI but the
// newest of each region is gone.
func pruneOnce(ctx context.Context, rs []string, n, concurrency int, throttled float64) (result, error) {
	srv, clients, err := world(ctx, rs, n)
	if err != nil {
		return result{}, err
	}
	defer func() { _ = srv.Close() }() // the measurement is over: nothing to lose
	srv.Faults.ResetCounts()
	if throttled > 0 {
		srv.Faults.SetSeed(1)
		srv.Faults.SetThrottle(throttled)
	}
	p := &prune.Pruner{Clients: clients, Concurrency: concurrency,
		Wait: fastlaunch.WaitOptions{Timeout: 10 * time.Minute, Interval: *poll, MaxInterval: 8 * *poll}}
	start := time.Now()
	plan, err := p.Plan(ctx, prune.Options{Name: name, Regions: rs, Keep: 1})
	if err != nil {
		return result{}, err
	}
	p.Execute(ctx, plan)
	wall := time.Since(start)
	reqs := 0
	for _, c := range srv.Faults.Counts() {
		reqs += c.Count
	}
	srv.Faults.Reset()
	if f := plan.Failed(); f != 0 || plan.Deletes() != len(rs)*(n-1) {
		return result{}, fmt.Errorf("prune: %d deletes (want %d), %d failed: %+v", plan.Deletes(), len(rs)*(n-1), f, plan.Images)
	}
	for _, r := range rs {
		again, err := (&prune.Pruner{Clients: clients}).Plan(ctx, prune.Options{Name: name, Regions: []string{r}, Keep: 1})
		if err != nil || len(again.Images) != 1 || len(again.Orphans) != 0 {
			return result{}, fmt.Errorf("after the prune, %s still has %+v (%v)", r, again, err)
		}
	}
	return result{amis: plan.Deletes(), requests: reqs, wall: wall}, nil
}

func run() error {
	ctx := context.Background()
	rs := strings.Split(*regions, ",")
	fmt.Printf("%d regions × %d AMIs (%d to prune, all with Fast Launch enabled); clock %g×, --poll-interval %v, latency %v per request\n\n",
		len(rs), *amis, len(rs)*(*amis-1), *scale, *poll, *latency)
	var results []result

	r, err := pruneOnce(ctx, rs, *amis, prune.DefaultConcurrency, 0)
	if err != nil {
		return err
	}
	r.name = fmt.Sprintf("(a) prune, %d at once", prune.DefaultConcurrency)
	results = append(results, r)

	r, err = pruneOnce(ctx, rs, *amis, 1, 0)
	if err != nil {
		return err
	}
	r.name = "(b) prune, one at a time"
	results = append(results, r)

	var slowest result
	for i := 0; i < *singles; i++ {
		s, err := pruneOnce(ctx, rs[:1], 2, prune.DefaultConcurrency, 0)
		if err != nil {
			return err
		}
		if s.wall > slowest.wall {
			slowest = s
		}
	}
	slowest.name = "(c) slowest single AMI"
	slowest.note = fmt.Sprintf("slowest of %d", *singles)
	results = append(results, slowest)

	r, err = pruneOnce(ctx, rs, *amis, prune.DefaultConcurrency, *throttle)
	if err != nil {
		return err
	}
	r.name = fmt.Sprintf("(d) (a) with %.0f%% throttled", *throttle*100)
	r.note = "all deleted, re-plan clean"
	results = append(results, r)

	fmt.Printf("%-34s %6s %9s %12s %10s  %s\n", "method", "AMIs", "requests", "wall", "vs (c)", "note")
	for _, r := range results {
		fmt.Printf("%-34s %6d %9d %12v %9.1f×  %s\n", r.name, r.amis, r.requests, r.wall.Round(time.Millisecond), float64(r.wall)/float64(slowest.wall), r.note)
	}
	return nil
}
