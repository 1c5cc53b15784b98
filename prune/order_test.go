package prune_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/prune"
)

// flAtDeregister passes every request on and, when one is DeregisterImage, first asks
// the endpoint (with a client of its own) for that AMI's Fast Launch state.
type flAtDeregister struct {
	ec2 *ec2.Client
	mu  sync.Mutex
	got map[string]string // AMI → Fast Launch state when DeregisterImage came
}

func (f *flAtDeregister) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") == "DeregisterImage" {
			ami := form.Get("ImageId")
			state := fastlaunch.StateGone
			out, err := f.ec2.DescribeFastLaunchImages(r.Context(), &ec2.DescribeFastLaunchImagesInput{ImageIds: []string{ami}})
			if err != nil {
				state = "error: " + err.Error()
			} else if len(out.FastLaunchImages) > 0 {
				state = string(out.FastLaunchImages[0].State)
			}
			f.mu.Lock()
			f.got[ami] = state
			f.mu.Unlock()
		}
	}
	return http.DefaultClient.Do(r)
}

// TestExecuteDeregistersOnlyOnceFastLaunchIsGone: an AMI with Fast Launch enabled is
// deregistered only after Fast Launch is disabled and gone (its pre-provisioned snapshots
// removed), as the endpoint sees it when DeregisterImage arrives.
func TestExecuteDeregistersOnlyOnceFastLaunchIsGone(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	old, newest := w.build(), w.build()
	if _, err := fastlaunch.New(w.pruner.Clients, region).Enable(ctx, old, fastlaunch.Settings{}, fastlaunch.EnableOptions{SkipPreflight: true}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Hour)
	if st, err := fastlaunch.New(w.pruner.Clients, region).Get(ctx, old); err != nil || st.State != fastlaunch.StateEnabled {
		t.Fatalf("Fast Launch of %s before the prune: %+v %v", old, st, err)
	}

	cfg := awstest.SDKConfig(w.srv.URL(), region)
	spy := &flAtDeregister{ec2: ec2.NewFromConfig(cfg), got: map[string]string{}}
	cfg.HTTPClient = spy
	w.pruner.Clients = awsapi.FromConfig(cfg)

	plan, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	w.pruner.Execute(ctx, plan)
	if plan.Failed() != 0 || w.imageExists(old) || !w.imageExists(newest) {
		t.Fatalf("prune: %+v", plan.Images)
	}
	if st, ok := spy.got[old]; !ok || st != fastlaunch.StateGone {
		t.Errorf("Fast Launch of %s when DeregisterImage came: %q (seen %v), want it gone first", old, st, ok)
	}
}
