package imagebuilder_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/imagebuilder"
)

// starts is how many builds were started.
func (e *env) starts() int {
	return e.srv.Faults.Count("imagebuilder", "StartImagePipelineExecution", "")
}

// history is the parameter's values in a region, oldest first.
func (e *env) history(t *testing.T, region string) []string {
	t.Helper()
	var vals []string
	p := ssm.NewGetParameterHistoryPaginator(e.clients.SSM(region), &ssm.GetParameterHistoryInput{Name: aws.String(parameter)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range page.Parameters {
			vals = append(vals, aws.ToString(h.Value))
		}
	}
	return vals
}

// neverBack fails when a value comes back after another replaced it (new → old → new).
func neverBack(t *testing.T, region string, vals []string) {
	t.Helper()
	seen := map[string]bool{}
	for i, v := range vals {
		if i > 0 && v != vals[i-1] && seen[v] {
			t.Errorf("parameter history in %s went back to %s: %v", region, v, vals)
		}
		seen[v] = true
	}
}

// TestRerunFollowsRunningBuild: a build killed after its image started, run again, follows
// that image (started from the same inputs) instead of starting a second one.
func TestRerunFollowsRunningBuild(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	d := e.publishing(t, desired(t, aspnet))
	p, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	killed, kill := context.WithCancel(ctx)
	var once sync.Once
	opts := buildOpts()
	opts.Progress = func(imagebuilder.Progress) { once.Do(kill) }
	_, err = imagebuilder.Build(killed, e.clients, d, p, opts)
	var we *imagebuilder.WaitError
	if !errors.As(err, &we) || we.Image == "" {
		t.Fatalf("killed build: %v, want a WaitError", err)
	}
	var logs []string
	opts = buildOpts()
	opts.Logf = func(f string, a ...any) { logs = append(logs, f) }
	res, err := imagebuilder.Build(ctx, e.clients, d, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.starts(); n != 1 || res.Image != we.Image || !res.Followed {
		t.Errorf("re-run: %d builds started, result image %s (followed %v); want 1 build and the killed run's image %s followed",
			n, res.Image, res.Followed, we.Image)
	}
	if !strings.Contains(strings.Join(logs, "\n"), "already running from the same inputs") {
		t.Errorf("re-run does not say it follows the running image: %v", logs)
	}
}

// TestBuildRefusesWhileAnotherRuns: a running image of the pipeline from other inputs (one
// winami started from another spec content, or one started outside winami) stops the
// build before it starts anything (a RunningError naming the image); WaitForRunning
// follows that image to its end and then builds.
func TestBuildRefusesWhileAnotherRuns(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	d := e.publishing(t, desired(t, aspnet))
	p, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api := e.clients.ImageBuilder(region)
	for _, tags := range []map[string]string{nil, {imagebuilder.InputsHashTag: "0123456789abcdef0123456789abcdef"}} {
		out, err := api.StartImagePipelineExecution(ctx, &ib.StartImagePipelineExecutionInput{ImagePipelineArn: aws.String(p.PipelineARN), Tags: tags})
		if err != nil {
			t.Fatal(err)
		}
		other := aws.ToString(out.ImageBuildVersionArn)
		e.srv.Faults.ResetCounts()
		_, err = imagebuilder.Build(ctx, e.clients, d, p, buildOpts())
		var re *imagebuilder.RunningError
		if !errors.As(err, &re) || re.Running.Image != other || !strings.Contains(err.Error(), other) || e.starts() != 0 {
			t.Fatalf("build while %s runs (tags %v): %v, %d builds started; want a RunningError naming it and no build", other, tags, err, e.starts())
		}
		if re.Running.InputsHash != tags[imagebuilder.InputsHashTag] {
			t.Errorf("running image's inputs %q, want %q", re.Running.InputsHash, tags[imagebuilder.InputsHashTag])
		}

		opts := buildOpts()
		opts.WaitForRunning = true
		var mu sync.Mutex
		var seen []string
		opts.Progress = func(pr imagebuilder.Progress) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, pr.Image+" "+pr.State)
		}
		res, err := imagebuilder.Build(ctx, e.clients, d, p, opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Image == other || e.starts() != 1 || res.Followed {
			t.Errorf("--wait-for-running: result %s, %d builds started; want a build of its own after %s", res.Image, e.starts(), other)
		}
		if !strings.Contains(strings.Join(seen, "\n"), other+" AVAILABLE") {
			t.Errorf("--wait-for-running showed no progress of %s: %v", other, seen)
		}
		if img, err := api.GetImage(ctx, &ib.GetImageInput{ImageBuildVersionArn: aws.String(other)}); err != nil || img.Image.State.Status != "AVAILABLE" {
			t.Errorf("the image waited for: %v %+v", err, img)
		}
	}
}

// TestParameterNeverGoesBack: a build that finishes after a newer one published its AMI
// leaves the newer AMI in the parameter, says so, and names who wrote it from the
// parameter's history (Image Builder's execution role, not winami).
func TestParameterNeverGoesBack(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	d := e.publishing(t, desired(t, aspnet))
	p, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	older, err := imagebuilder.Build(ctx, e.clients, d, p, buildOpts())
	if err != nil {
		t.Fatal(err)
	}
	newer, err := imagebuilder.Build(ctx, e.clients, d, p, buildOpts())
	if err != nil {
		t.Fatal(err)
	}
	img, err := e.clients.ImageBuilder(region).GetImage(ctx, &ib.GetImageInput{ImageBuildVersionArn: aws.String(older.Image)})
	if err != nil {
		t.Fatal(err)
	}
	// The older build's finish comes late (its process was slow): it must not roll back.
	late, err := imagebuilder.Finish(ctx, e.clients, d, img.Image, imagebuilder.BuildInputs(d, p))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range newer.AMIs {
		vals := e.history(t, a.Region)
		if last := vals[len(vals)-1]; last != a.ImageID {
			t.Errorf("parameter in %s names %s after the late finish, want the newer %s", a.Region, last, a.ImageID)
		}
		neverBack(t, a.Region, vals)
	}
	if len(late.Published) != 2 {
		t.Fatalf("late finish published %+v", late.Published)
	}
	for i, pub := range late.Published {
		if !pub.Kept || pub.ImageID != newer.AMIs[i].ImageID || !strings.Contains(pub.Reason, newer.Image) || !strings.Contains(pub.Reason, "not before this build's") {
			t.Errorf("late finish in %s: %+v; want the newer %s kept, saying why", pub.Region, pub, newer.AMIs[i].ImageID)
		}
		if pub.By != imagebuilder.ByImageBuilder || !strings.Contains(pub.ModifiedBy, ":assumed-role/"+publishRole+"/") {
			t.Errorf("late finish in %s: written by %s (%s), want imagebuilder (the execution role %s)", pub.Region, pub.By, pub.ModifiedBy, publishRole)
		}
	}
}

// TestSimultaneousBuilds: two builds of the same spec started at the same moment end with
// one image (the later start cancels its own and follows the earlier), both report it,
// and the parameter's history never goes back.
func TestSimultaneousBuilds(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	d := e.publishing(t, desired(t, aspnet))
	p, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	res := make([]*imagebuilder.BuildResult, 2)
	errs := make([]error, 2)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = imagebuilder.Build(ctx, e.clients, d, p, buildOpts())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("build %d: %v", i, err)
		}
	}
	if res[0].Image != res[1].Image {
		t.Errorf("two builds of the same inputs ended with two images: %s and %s", res[0].Image, res[1].Image)
	}
	for _, a := range res[0].AMIs {
		neverBack(t, a.Region, e.history(t, a.Region))
	}
	for _, r := range res {
		for _, pub := range r.Published {
			if pub.By != imagebuilder.ByImageBuilder || pub.Kept {
				t.Errorf("publication %+v: want Image Builder's own write of the one AMI", pub)
			}
		}
	}
}
