package prune_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/prune"
)

// gate records the order of DisableFastLaunch and DeregisterImage requests, and holds
// every DeregisterImage until `want` DisableFastLaunch requests have arrived (or a
// deadlock breaker of some seconds has passed: a prune that handles AMIs one at a time
// never sends the next AMI's DisableFastLaunch while the first AMI's DeregisterImage is
// held). No time is measured.
type gate struct {
	want     int
	mu       sync.Mutex
	disabled int
	all      chan struct{}
	order    []string
}

func (g *gate) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		switch form.Get("Action") {
		case "DisableFastLaunch":
			g.mu.Lock()
			g.order = append(g.order, "disable "+form.Get("ImageId"))
			g.disabled++
			if g.disabled == g.want {
				close(g.all)
			}
			g.mu.Unlock()
		case "DeregisterImage":
			select {
			case <-g.all:
			case <-time.After(5 * time.Second):
			}
			g.mu.Lock()
			g.order = append(g.order, "deregister "+form.Get("ImageId"))
			g.mu.Unlock()
		}
	}
	return http.DefaultClient.Do(r)
}

// TestExecuteWorksOnRegionsAndAMIsAtOnce: with two AMIs to prune in each of two regions,
// all with Fast Launch on, every AMI's Fast Launch is being disabled before the first
// AMI is deregistered: the AMIs of a region, and the regions, are handled at once rather
// than one after the other (bench/prune measures what that does to the wall time).
func TestExecuteWorksOnRegionsAndAMIsAtOnce(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	const west = "us-west-2"
	var old []string
	for _, r := range []string{region, west} {
		for i := 0; i < 3; i++ {
			w.clock.Advance(24 * time.Hour)
			w.n++
			img := w.srv.EC2.PutImage(awsemu.Image{Region: r, Name: fmt.Sprintf("%s-%d", name, w.n), Platform: "windows",
				BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", VolumeSize: 50}},
				Tags: map[string]string{prune.NameTag: name, prune.ManagedByTag: "winami",
					prune.ImageBuilderTag: fmt.Sprintf("arn:aws:imagebuilder:%s:123456789012:image/%s-recipe/1.0.0/%d", r, name, w.n)}})
			if i < 2 {
				old = append(old, img.ID)
				if _, err := fastlaunch.New(w.pruner.Clients, r).Enable(ctx, img.ID, fastlaunch.Settings{}, fastlaunch.EnableOptions{SkipPreflight: true}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	w.clock.Advance(time.Hour) // Fast Launch enabled everywhere

	cfg := awstest.SDKConfig(w.srv.URL(), region)
	g := &gate{want: len(old), all: make(chan struct{})}
	cfg.HTTPClient = g
	w.pruner.Clients = awsapi.FromConfig(cfg)
	plan, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region, west}, Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Deletes() != len(old) {
		t.Fatalf("plan deletes %d, want %d", plan.Deletes(), len(old))
	}
	w.pruner.Execute(ctx, plan)
	if plan.Failed() != 0 {
		t.Fatalf("failures: %+v", plan.Images)
	}
	first := -1
	for i, step := range g.order {
		if strings.HasPrefix(step, "deregister ") {
			first = i
			break
		}
	}
	if first != len(old) {
		t.Errorf("requests in order:\n%s\nwant all %d DisableFastLaunch before the first DeregisterImage", strings.Join(g.order, "\n"), len(old))
	}
	for _, r := range []string{region, west} {
		out, err := w.pruner.Clients.EC2(r).DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"},
			Filters: []types.Filter{{Name: aws.String("tag:" + prune.NameTag), Values: []string{name}}}})
		if err != nil || len(out.Images) != 1 {
			t.Errorf("%s after the prune: %d AMIs (%v), want the newest only", r, len(out.Images), err)
		}
	}
}

// cancelAfter passes requests on and cancels the run's context once the first
// DeregisterImage has been answered: a prune killed half way.
type cancelAfter struct {
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancelAfter) Do(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(r)
	if form, _ := url.ParseQuery(string(body)); form.Get("Action") == "DeregisterImage" {
		c.once.Do(c.cancel)
	}
	return resp, err
}

// TestKilledHalfWayThenRerunConverges: a prune stopped after its first deregistration
// (others mid Fast Launch wait, snapshots tagged but not deleted) loses nothing: the next
// plan finds the AMIs still there and the snapshots left, and its run finishes the job.
func TestKilledHalfWayThenRerunConverges(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var amis []string
	for range 5 {
		amis = append(amis, w.build())
	}
	for _, a := range amis[:4] {
		if _, err := fastlaunch.New(w.pruner.Clients, region).Enable(ctx, a, fastlaunch.Settings{}, fastlaunch.EnableOptions{SkipPreflight: true}); err != nil {
			t.Fatal(err)
		}
	}
	w.clock.Advance(time.Hour)
	var snaps []string
	for _, a := range amis[:4] {
		snaps = append(snaps, w.snapshots(a)...)
	}
	good := w.pruner.Clients

	run, cancel := context.WithCancel(ctx)
	defer cancel()
	cfg := awstest.SDKConfig(w.srv.URL(), region)
	cfg.HTTPClient = &cancelAfter{cancel: cancel}
	w.pruner.Clients = awsapi.FromConfig(cfg)
	plan, err := w.pruner.Plan(run, prune.Options{Name: name, Regions: []string{region}, Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	w.pruner.Execute(run, plan)
	if plan.Failed() == 0 {
		t.Fatalf("the killed run reports no failure: %+v", plan.Images)
	}

	w.pruner.Clients = good
	for i := 0; i < 2; i++ { // the re-run, then a check that nothing is left
		again, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 1})
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if again.Deletes() != 0 || len(again.Orphans) != 0 {
				t.Errorf("after the re-run: %d deletes, %d orphans", again.Deletes(), len(again.Orphans))
			}
			break
		}
		if again.Deletes()+len(again.Orphans) == 0 {
			t.Fatalf("the re-run finds nothing to finish")
		}
		w.pruner.Execute(ctx, again)
		if again.Failed() != 0 {
			t.Fatalf("re-run failures: %+v %+v", again.Images, again.Orphans)
		}
	}
	for _, a := range amis[:4] {
		if w.imageExists(a) {
			t.Errorf("%s still registered", a)
		}
	}
	if !w.imageExists(amis[4]) {
		t.Errorf("the newest AMI is gone")
	}
	for _, s := range snaps {
		if w.snapshotExists(s) {
			t.Errorf("snapshot %s left", s)
		}
	}
}
