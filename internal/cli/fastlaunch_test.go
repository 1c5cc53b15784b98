package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/seed"
	emuec2 "github.com/winami/winami/awsemu/services/ec2"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/internal/awsfixture"
)

// fastClock makes the emulator's Fast Launch state machine run 6000× faster than real
// time: "enabling" (10 minutes) lasts 0.1 s.
func fastClock() emulator.Option {
	return emulator.WithClock(awsemu.RealClock{Scale: 6000, Start: time.Now().UTC()})
}

func publicEKSImage(region string) string {
	rel := seed.Releases[len(seed.Releases)-1]
	return seed.ImageID(region, catalog.EKSOptimizedAMIName("2022", catalog.Core, catalog.LatestKubernetes(), rel.Format("2006.01.02")))
}

var amiSeq atomic.Int64

// ownedImage creates a Windows AMI of the caller's account over the EC2 API.
func ownedImage(t *testing.T, srv *awsemu.Server, region string) string {
	t.Helper()
	ctx := context.Background()
	c := awsfixture.New(awstest.SDKConfig(srv.URL(), region))
	run, err := c.RunInstances(ctx, publicEKSImage(region), 1, "m6i.large")
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	out, err := c.CreateImage(ctx, run.Instances[0].InstanceId, fmt.Sprintf("golden-%d", amiSeq.Add(1)), nil)
	if err != nil {
		t.Fatalf("CreateImage: %v", err)
	}
	return aws.ToString(out.ImageId)
}

func flState(t *testing.T, srv *awsemu.Server, region, ami string) string {
	t.Helper()
	c := awsfixture.New(awstest.SDKConfig(srv.URL(), region))
	out, err := c.DescribeFastLaunchImages(context.Background(), ami)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.FastLaunchImages) == 0 {
		return "none"
	}
	return string(out.FastLaunchImages[0].State)
}

func TestFastLaunchEnableWaitStatusDisable(t *testing.T) {
	// Not parallel: it asserts a state that lasts a fraction of a second on the emulator's
	// scaled clock (enabling, 0.1 s at 6000×), which a poll on cores loaded by parallel tests can miss.
	srv := useEmulator(t, fastClock())
	ami := ownedImage(t, srv, "us-east-1")

	out, stderr, code := run(t, "fast-launch", "enable", "--image", ami, "--snapshots", "3", "--wait", "--poll-interval", "20ms", "-o", "json")
	if code != 0 {
		t.Fatalf("enable --wait: exit %d\n%s", code, stderr)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil || st["state"] != "enabled" || st["targetSnapshots"] != 3.0 || st["imageId"] != ami {
		t.Fatalf("enable output: %v %s", err, out)
	}
	if !strings.Contains(stderr, "pass  AMI "+ami) || !strings.Contains(stderr, ami+": enabling") || !strings.Contains(stderr, ami+": enabled") {
		t.Errorf("stderr lacks the preflight or progress:\n%s", stderr)
	}

	out, stderr, code = run(t, "fast-launch", "status", "-o", "json")
	if code != 0 {
		t.Fatalf("status: exit %d\n%s", code, stderr)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("status output: %v %s", err, out)
	}
	for _, k := range []string{"region", "imageId", "state", "targetSnapshots", "maxParallelLaunches", "stateReason", "since"} {
		if _, ok := list[0][k]; !ok {
			t.Errorf("status entry lacks %q: %v", k, list[0])
		}
	}

	out, stderr, code = run(t, "fast-launch", "disable", "--image", ami, "--wait", "--poll-interval", "20ms")
	if code != 0 {
		t.Fatalf("disable --wait: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(out, "disabled") || flState(t, srv, "us-east-1", ami) != "none" {
		t.Errorf("after disable --wait: %s, EC2 state %s", out, flState(t, srv, "us-east-1", ami))
	}
}

func TestFastLaunchRefusesPublicEKSAMI(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t)
	_, stderr, code := run(t, "fast-launch", "enable", "--image", publicEKSImage("us-east-1"))
	if code != 1 || !strings.Contains(stderr, "Fast Launch needs an AMI you own: build one with `winami build`") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if n := srv.Faults.Count("ec2", "EnableFastLaunch", ""); n != 0 {
		t.Errorf("EnableFastLaunch called %d times", n)
	}
}

func TestFastLaunchImageFromSSMPerRegion(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t, fastClock())
	east, west := ownedImage(t, srv, "us-east-1"), ownedImage(t, srv, "us-west-2")
	for region, ami := range map[string]string{"us-east-1": east, "us-west-2": west} {
		c := awsfixture.New(awstest.SDKConfig(srv.URL(), region))
		if _, err := c.PutImageParameter(context.Background(), "/winami/prod/image_id", ami); err != nil {
			t.Fatal(err)
		}
	}
	_, stderr, code := run(t, "fast-launch", "enable", "--image", "ssm:/winami/prod/image_id", "--region", "us-west-2")
	if code != 0 {
		t.Fatalf("enable ssm: exit %d\n%s", code, stderr)
	}
	if flState(t, srv, "us-west-2", west) == "none" || flState(t, srv, "us-east-1", east) != "none" {
		t.Errorf("the parameter was not resolved in us-west-2 only")
	}
	out, stderr, code := run(t, "fast-launch", "status", "--image", "ssm:/winami/prod/image_id", "--region", "us-east-1,us-west-2", "-o", "json")
	if code != 0 {
		t.Fatalf("status: exit %d\n%s", code, stderr)
	}
	var list []struct{ Region, ImageID, State string }
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 {
		t.Fatalf("status: %v %s", err, out)
	}
	for _, e := range list {
		want := map[string]string{"us-east-1": east, "us-west-2": west}[e.Region]
		if e.ImageID != want {
			t.Errorf("%s: image %s, want %s", e.Region, e.ImageID, want)
		}
	}
}

func TestFastLaunchDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t, fastClock())
	ami := ownedImage(t, srv, "us-east-1")
	out, stderr, code := run(t, "fast-launch", "enable", "--image", ami, "--dry-run", "-o", "json")
	if code != 0 {
		t.Fatalf("dry run: exit %d\n%s", code, stderr)
	}
	var res struct {
		DryRun bool `json:"dryRun"`
		Checks []struct{ Name, Status string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.DryRun || len(res.Checks) < 5 {
		t.Fatalf("dry run output: %v %s", err, out)
	}
	time.Sleep(200 * time.Millisecond) // 20 emulated minutes
	if s := flState(t, srv, "us-east-1", ami); s != "none" {
		t.Errorf("after a dry run the image is %s", s)
	}
}

func TestFastLaunchEnablingFailedShowsReason(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t, fastClock())
	ami := ownedImage(t, srv, "us-east-1")
	c := awsfixture.New(awstest.SDKConfig(srv.URL(), "us-east-1"))
	const reason = "Client.LaunchTemplateError: the subnet has no free addresses"
	if _, err := c.CreateTags(context.Background(), map[string]string{emuec2.FailFastLaunchTag: reason}, ami); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := run(t, "fast-launch", "enable", "--image", ami, "--wait", "--poll-interval", "20ms")
	if code != 1 || !strings.Contains(stderr, "enabling-failed: "+reason) || !strings.Contains(out, "enabling-failed") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	out, _, code = run(t, "fast-launch", "status", "--image", ami)
	if code != 1 || !strings.Contains(out, reason) {
		t.Errorf("status of a failed image: exit %d\n%s", code, out)
	}
}

func TestFastLaunchTimeoutShowsLastState(t *testing.T) {
	t.Parallel()
	// A clock that never moves: the image stays "enabling".
	srv := useEmulator(t, emulator.WithClock(awsemu.NewManualClock(time.Now())))
	ami := ownedImage(t, srv, "us-east-1")
	start := time.Now()
	out, stderr, code := run(t, "fast-launch", "enable", "--image", ami, "--wait", "--timeout", "400ms", "--poll-interval", "50ms")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %s with a 400ms timeout", el)
	}
	if !strings.Contains(out, "enabling") || !strings.Contains(stderr, "timed out after 400ms; last state: enabling") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, stderr)
	}
}

func TestFastLaunchThrottledWait(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t, fastClock())
	ami := ownedImage(t, srv, "us-east-1")
	srv.Faults.SetThrottle(0.5, awsemu.OpKey{Service: "ec2", Operation: "DescribeFastLaunchImages"})
	_, stderr, code := run(t, "fast-launch", "enable", "--image", ami, "--wait", "--poll-interval", "20ms", "--timeout", "60s")
	if code != 0 {
		t.Fatalf("exit %d under throttling\n%s", code, stderr)
	}
	srv.Faults.Reset()
	if s := flState(t, srv, "us-east-1", ami); s != "enabled" {
		t.Errorf("state %s", s)
	}
}

func TestFastLaunchBadFlagsExit2(t *testing.T) {
	t.Parallel()
	useEmulator(t)
	for _, args := range [][]string{
		{"fast-launch", "enable"},
		{"fast-launch", "enable", "--image", "image-1"},
		{"fast-launch", "enable", "--image", "ami-0123456789abcdef0", "--launch-template", "nodes:x"},
		{"fast-launch", "enable", "--image", "ami-0123456789abcdef0", "--snapshots", "0"},
		{"fast-launch", "enable", "--image", "ami-0123456789abcdef0", "--region", "us-east-1,us-west-2"},
		{"fast-launch", "enable", "--image", "ami-0123456789abcdef0", "--dry-run", "--wait"},
		{"fast-launch", "disable"},
		{"fast-launch"},
	} {
		if _, stderr, code := run(t, args...); code != 2 {
			t.Errorf("winami %v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
}

func TestFastLaunchPreflightFailureExit1(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t)
	ami := ownedImage(t, srv, "us-east-1")
	// (--max-parallel 4 was a preflight failure here; since issue 18 it is bad input,
	// refused before any AWS call: TestRangeFlagsExit2BeforeAWS.)
	_, stderr, code := run(t, "fast-launch", "enable", "--image", ami, "--region", "eu-west-1")
	if code != 1 || !strings.Contains(stderr, "does not exist in eu-west-1") {
		t.Fatalf("other region: exit %d\n%s", code, stderr)
	}
}
