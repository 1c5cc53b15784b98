package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/internal/awsfixture"
)

// TestConcurrentBuilds: two `winami build` runs of the same spec at once (two CI jobs) end
// with one image, the parameter's history never goes back (no new → old → new), and what
// each says about who wrote the parameter is what the history shows.
func TestConcurrentBuilds(t *testing.T) {
	t.Parallel()
	// 600×: a build lasts some 5 s, so the second command lists the pipeline while the
	// first one's image still runs even on loaded cores (the race detector); at the other
	// tests' 6000× (0.5 s) the first could end before the second looks.
	srv := useBuildWorld(t, emulator.WithClock(awsemu.RealClock{Scale: 600, Start: time.Now()}))
	f := writeSpec(t, t.TempDir(), appV1, "EC2InstanceProfileForImageBuilder")
	if _, errOut, code := run(t, "apply", "-f", f, "--no-registry", "--yes"); code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	type out struct {
		stdout, stderr string
		code           int
	}
	outs := make([]out, 2)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, e, c := run(t, "build", "-f", f, "--no-registry", "--yes", "--poll-interval", "20ms", "-o", "json")
			outs[i] = out{o, e, c}
		}()
	}
	wg.Wait()
	var results []imagebuilder.BuildResult
	for i, o := range outs {
		if o.code != 0 {
			t.Fatalf("build %d: exit %d:\n%s", i, o.code, o.stderr)
		}
		var res imagebuilder.BuildResult
		if err := json.Unmarshal([]byte(o.stdout), &res); err != nil {
			t.Fatalf("build %d -o json: %v\n%s", i, err, o.stdout)
		}
		results = append(results, res)
	}
	if results[0].Image != results[1].Image {
		t.Errorf("two builds of the same spec made two images: %s and %s", results[0].Image, results[1].Image)
	}
	role := "arn:aws:sts::" + srv.Account + ":assumed-role/cli-win2022-imagebuilder-execution/"
	const param = "/winami/cli-win2022/image_id"
	for _, region := range []string{"us-east-1", "us-west-2"} {
		var vals, users []string
		history, err := awsfixture.New(awstest.SDKConfig(srv.URL(), region)).ParameterHistory(context.Background(), param)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range history {
			vals = append(vals, aws.ToString(h.Value))
			users = append(users, aws.ToString(h.LastModifiedUser))
		}
		seen := map[string]bool{}
		for i, v := range vals {
			if i > 0 && v != vals[i-1] && seen[v] {
				t.Errorf("parameter history in %s went back to %s: %v (written by %v)", region, v, vals, users)
			}
			seen[v] = true
		}
		// Who wrote the last version, as each build reports it, is what the history says.
		last := users[len(users)-1]
		for i, res := range results {
			for _, pub := range res.Published {
				if pub.Region != region {
					continue
				}
				if pub.ModifiedBy != last || pub.ImageID != vals[len(vals)-1] {
					t.Errorf("build %d says %s in %s was written by %s (%s); the history says %s (%s)", i, param, region, pub.ModifiedBy, pub.ImageID, last, vals[len(vals)-1])
				}
				if !strings.HasPrefix(last, role) || pub.By != imagebuilder.ByImageBuilder {
					t.Errorf("build %d: %s in %s written by %s (%s), want Image Builder's execution role session %s…", i, param, region, pub.By, last, role)
				}
			}
		}
	}
	for i, o := range outs {
		if strings.Contains(o.stderr, "did not") {
			t.Errorf("build %d claims something did not happen:\n%s", i, o.stderr)
		}
		if !strings.Contains(o.stderr, "written by Image Builder's ssmParameterConfigurations as "+role) {
			t.Errorf("build %d does not say Image Builder wrote the parameter:\n%s", i, o.stderr)
		}
	}
}

// TestBuildWhileAnotherRuns: a running image of the pipeline that winami did not start
// from the same inputs stops build (exit 1) before it starts anything, naming the image
// and how to follow it; --wait-for-running waits for it (with progress), then builds.
func TestBuildWhileAnotherRuns(t *testing.T) {
	t.Parallel()
	// A clock that moves only when the test moves it: the other image stays running
	// however slowly the commands run (the race detector), until the test lets it end.
	clock := awsemu.NewManualClock(time.Now())
	srv := useBuildWorld(t, emulator.WithClock(clock))
	f := writeSpec(t, t.TempDir(), appV1, "EC2InstanceProfileForImageBuilder")
	if _, errOut, code := run(t, "apply", "-f", f, "--no-registry", "--yes"); code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	api := awsfixture.New(awstest.SDKConfig(srv.URL(), "us-east-1"))
	pl, err := api.ListImagePipelines(context.Background())
	if err != nil || len(pl.ImagePipelineList) != 1 {
		t.Fatalf("listing pipelines: %v", err)
	}
	started, err := api.StartImagePipelineExecution(context.Background(), pl.ImagePipelineList[0].Arn)
	if err != nil {
		t.Fatal(err)
	}
	other := aws.ToString(started.ImageBuildVersionArn)
	srv.Faults.ResetCounts()
	_, errOut, code := run(t, "build", "-f", f, "--no-registry", "--yes", "--poll-interval", "20ms")
	if code != 1 || !strings.Contains(errOut, other) || !strings.Contains(errOut, "--wait-for-running") ||
		!strings.Contains(errOut, "aws imagebuilder get-image --region us-east-1 --image-build-version-arn "+other) ||
		srv.Faults.Count("imagebuilder", "StartImagePipelineExecution", "") != 0 {
		t.Fatalf("build while %s runs: exit %d, %d builds started:\n%s", other, code, srv.Faults.Count("imagebuilder", "StartImagePipelineExecution", ""), errOut)
	}
	// Time passes while --wait-for-running waits: the other image ends, then this build
	// runs to its end. The clock starts once build says it waits, so the other image is
	// still running when build first looks, however slowly its preflight runs.
	errw := &watchWriter{want: "waiting for image", hit: make(chan struct{})}
	stop := make(chan struct{})
	ticking := make(chan struct{})
	go func() {
		defer close(ticking)
		select {
		case <-stop:
			return
		case <-errw.hit:
		}
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
				clock.Advance(30 * time.Second)
			}
		}
	}()
	var out bytes.Buffer
	code = runWith(t, context.Background(), []string{"build", "-f", f, "--no-registry", "--yes", "--poll-interval", "20ms", "--wait-for-running"}, strings.NewReader(""), &out, errw)
	errOut = errw.String()
	close(stop)
	<-ticking
	if code != 0 || !strings.Contains(errOut, "waiting for image "+other) || !strings.Contains(errOut, "AVAILABLE "+other) ||
		srv.Faults.Count("imagebuilder", "StartImagePipelineExecution", "") != 1 {
		t.Fatalf("build --wait-for-running: exit %d:\n%s", code, errOut)
	}
}
