package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
	"github.com/winami/winami/spec"
)

const buildSpec = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: cli-win2022
  region: us-east-1
spec:
  kubernetesVersion: "1.31"
  windows: {version: "2022", edition: Core}
  parent: {source: eks-optimized}
  cache:
    images:
      - mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022
      - IMAGE
  build:
    instanceTypes: [m6i.2xlarge]
    instanceProfile: PROFILE
    rootVolumeSize: auto
  distribution:
    regions: [us-east-1, us-west-2]
    fastLaunch: {enabled: true, targetSnapshots: 10, maxParallelLaunches: 6}
    publishParameter: /winami/cli-win2022/image_id
`

const (
	appV1 = "111000111000.dkr.ecr.us-east-1.amazonaws.com/myapp:1.4.2"
	appV2 = "111000111000.dkr.ecr.us-east-1.amazonaws.com/myapp:1.4.3"
)

// writeSpec writes the build spec with the given app image and instance profile.
func writeSpec(t *testing.T, dir, image, profile string) string {
	t.Helper()
	p := filepath.Join(dir, "winami.yaml")
	s := strings.NewReplacer("IMAGE", image, "PROFILE", profile).Replace(buildSpec)
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// buildClock runs 6000× faster than real time: a 50-minute build takes half a second.
func buildClock() emulator.Option {
	return emulator.WithClock(awsemu.RealClock{Scale: 6000, Start: time.Now()})
}

func planActions(t *testing.T, out string) map[string]imagebuilder.Change {
	t.Helper()
	var cs []imagebuilder.Change
	if err := json.Unmarshal([]byte(out), &cs); err != nil {
		t.Fatalf("plan -o json: %v\n%s", err, out)
	}
	m := map[string]imagebuilder.Change{}
	for _, c := range cs {
		for _, k := range []string{"resource", "name", "action", "reason"} {
			if !strings.Contains(out, `"`+k+`"`) {
				t.Errorf("plan JSON lacks %q", k)
			}
		}
		m[c.Resource] = c
	}
	return m
}

func mutatingCalls(srv *awsemu.Server) int {
	n := 0
	for _, c := range srv.Faults.Counts() {
		if c.Service == "imagebuilder" && (strings.HasPrefix(c.Operation, "Create") || strings.HasPrefix(c.Operation, "Update") ||
			strings.HasPrefix(c.Operation, "Start") || strings.HasPrefix(c.Operation, "Cancel") || strings.HasPrefix(c.Operation, "Delete")) {
			n += c.Count
		}
	}
	return n
}

// TestPlanApplyBuild walks the README's flow through the command line: plan, apply,
// plan again, change an image, plan, build, build --if-changed.
func TestPlanApplyBuild(t *testing.T) {
	// Not parallel: it asserts a state that lasts a fraction of a second on the emulator's
	// scaled clock (BUILDING, 0.2 s at 6000×), which a poll on cores loaded by parallel tests can miss.
	srv := useBuildWorld(t, buildClock())
	dir := t.TempDir()
	f := writeSpec(t, dir, appV1, "EC2InstanceProfileForImageBuilder")

	out, errOut, code := run(t, "plan", "-f", f, "--no-registry", "-o", "json")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	for r, c := range planActions(t, out) {
		if c.Action != imagebuilder.ActionCreate {
			t.Errorf("first plan: %s %s", r, c.Action)
		}
	}
	if !strings.Contains(errOut, "parent image: ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id → ami-") {
		t.Errorf("plan stderr does not show the resolved parent:\n%s", errOut)
	}

	// Without a terminal, apply wants --yes.
	if _, errOut, code := run(t, "apply", "-f", f, "--no-registry"); code != 2 || !strings.Contains(errOut, "--yes") {
		t.Fatalf("apply without --yes: exit %d: %s", code, errOut)
	}
	if mutatingCalls(srv) != 0 {
		t.Fatalf("plan and a refused apply made %d mutating calls", mutatingCalls(srv))
	}
	if _, errOut, code := run(t, "apply", "-f", f, "--no-registry", "--yes"); code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	srv.Faults.ResetCounts()
	out, errOut, code = run(t, "apply", "-f", f, "--no-registry", "--yes", "-o", "json")
	if code != 0 || mutatingCalls(srv) != 0 || !strings.Contains(errOut, "nothing to change") {
		t.Fatalf("second apply: exit %d, %d mutating calls: %s", code, mutatingCalls(srv), errOut)
	}
	for r, c := range planActions(t, out) {
		if c.Action != imagebuilder.ActionUnchanged {
			t.Errorf("second apply: %s %s", r, c.Action)
		}
	}

	// Change one image.
	writeSpec(t, dir, appV2, "EC2InstanceProfileForImageBuilder")
	out, _, code = run(t, "plan", "-f", f, "--no-registry", "-o", "json")
	if code != 0 {
		t.Fatalf("plan after the change: exit %d", code)
	}
	got := planActions(t, out)
	if got["component"].Action != imagebuilder.ActionNewVersion || got["component"].Version != "1.0.1" ||
		got["image-recipe"].Action != imagebuilder.ActionNewVersion || got["image-recipe"].Version != "1.0.1" {
		t.Errorf("plan after changing an image: %+v", got)
	}

	// Build (applies first).
	out, errOut, code = run(t, "build", "-f", f, "--no-registry", "--yes", "--poll-interval", "20ms", "-o", "json")
	if code != 0 {
		t.Fatalf("build: exit %d: %s", code, errOut)
	}
	var res struct {
		Image string `json:"image"`
		AMIs  []struct {
			Region     string `json:"region"`
			ImageID    string `json:"imageId"`
			FastLaunch string `json:"fastLaunch"`
		} `json:"amis"`
		Parameter string `json:"parameter"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("build -o json: %v\n%s", err, out)
	}
	if !strings.Contains(res.Image, ":image/cli-win2022/1.0.1/") || len(res.AMIs) != 2 || res.Parameter != "/winami/cli-win2022/image_id" {
		t.Fatalf("build result %+v", res)
	}
	for _, want := range []string{"BUILDING", "AVAILABLE", "distributed to us-west-2", "kind: EC2NodeClass", "ssmParameter: /winami/cli-win2022/image_id"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("build stderr lacks %q:\n%s", want, errOut)
		}
	}
	for _, a := range res.AMIs {
		cfg := awstest.SDKConfig(srv.URL(), a.Region)
		p, err := awsfixture.New(cfg).GetParameter(context.Background(), res.Parameter)
		if err != nil || aws.ToString(p.Parameter.Value) != a.ImageID {
			t.Errorf("published parameter in %s: %v, want %s", a.Region, err, a.ImageID)
		}
		if a.FastLaunch != "enabling" && a.FastLaunch != "enabled" {
			t.Errorf("Fast Launch in %s: %q", a.Region, a.FastLaunch)
		}
	}

	// Table output carries the Karpenter snippet on stdout.
	srv.Faults.ResetCounts()
	out, errOut, code = run(t, "build", "-f", f, "--no-registry", "--poll-interval", "20ms", "--if-changed")
	if code != 0 || !strings.Contains(errOut, "nothing changed since the newest AMI") || srv.Faults.Count("imagebuilder", "StartImagePipelineExecution", "") != 0 {
		t.Fatalf("build --if-changed: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, res.AMIs[0].ImageID) || !strings.Contains(out, "amiSelectorTerms:") {
		t.Errorf("build --if-changed table:\n%s", out)
	}
}

// TestBuildFailed: a FAILED build prints the reason and the logs, and exits 1.
func TestBuildFailed(t *testing.T) {
	t.Parallel()
	srv := useBuildWorld(t, buildClock())
	f := writeSpec(t, t.TempDir(), appV1, "EC2InstanceProfileForImageBuilder")
	if _, errOut, code := run(t, "apply", "-f", f, "--no-registry", "--yes"); code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	// awsemu fails builds of a pipeline tagged awsemu:fail-at.
	api := awsfixture.New(awstest.SDKConfig(srv.URL(), "us-east-1"))
	pl, err := api.ListImagePipelines(context.Background())
	if err != nil || len(pl.ImagePipelineList) != 1 {
		t.Fatalf("listing pipelines: %v", err)
	}
	if _, err := api.TagResource(context.Background(), pl.ImagePipelineList[0].Arn,
		map[string]string{"awsemu:fail-at": "TESTING", "awsemu:fail-reason": "Test step ValidateImageCache failed: image not listed"}); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "build", "-f", f, "--no-registry", "--no-apply", "--poll-interval", "20ms")
	if code != 1 || !strings.Contains(errOut, "reason: Test step ValidateImageCache failed") ||
		!strings.Contains(errOut, "logs:   CloudWatch Logs group /aws/imagebuilder/cli-win2022") || !strings.Contains(errOut, "ended FAILED") {
		t.Errorf("failed build: exit %d:\n%s", code, errOut)
	}
}

// TestPreflightCLI: a missing instance profile or parent image exits 1 before anything is
// created (plan by apply's own check, apply and build by the preflight).
func TestPreflightCLI(t *testing.T) {
	t.Parallel()
	srv := useBuildWorld(t, buildClock())
	dir := t.TempDir()
	f := writeSpec(t, dir, appV1, "NoSuchProfile")
	for _, cmd := range []string{"plan", "apply", "build"} {
		args := []string{cmd, "-f", f, "--no-registry"}
		if cmd == "apply" {
			args = append(args, "--yes")
		}
		// plan says it as apply's own check does; apply and build stop at the preflight first.
		want := `instance profile "NoSuchProfile" does not exist`
		if cmd != "plan" {
			want = "instance-profile: instance profile NoSuchProfile does not exist"
		}
		_, errOut, code := run(t, args...)
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("%s with a missing instance profile: exit %d: %s", cmd, code, errOut)
		}
	}
	// Asked to, plan shows the profile it would create instead.
	out, errOut, code := run(t, "plan", "-f", f, "--no-registry", "--create-instance-profile", "-o", "json")
	if c := planActions(t, out)["instance-profile"]; code != 0 || c.Action != imagebuilder.ActionCreate || c.Name != "NoSuchProfile" {
		t.Errorf("plan --create-instance-profile: exit %d, %+v: %s", code, c, errOut)
	}
	spec := strings.Replace(strings.NewReplacer("IMAGE", appV1, "PROFILE", "EC2InstanceProfileForImageBuilder").Replace(buildSpec),
		"parent: {source: eks-optimized}", "parent: {source: eks-optimized, imageId: ami-0123456789abcdef0}", 1)
	if err := os.WriteFile(f, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = run(t, "build", "-f", f, "--no-registry")
	if code != 1 || !strings.Contains(errOut, "parent image ami-0123456789abcdef0 does not exist in us-east-1") {
		t.Errorf("build with a missing parent: exit %d: %s", code, errOut)
	}
	if n := mutatingCalls(srv); n != 0 {
		t.Errorf("%d mutating calls before the errors", n)
	}
}

// watchWriter is a goroutine-safe buffer that signals when a string appears.
type watchWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	hit  chan struct{}
	once sync.Once
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.hit) })
	}
	return n, err
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// interrupt runs build, sends "Ctrl-C" (cancels the context) once the build is BUILDING
// and returns stderr and the exit code.
func interrupt(t *testing.T, f string, stdin string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errw := &watchWriter{want: "BUILDING", hit: make(chan struct{})}
	go func() {
		<-errw.hit
		cancel()
	}()
	var out bytes.Buffer
	code := runWith(t, ctx, []string{"build", "-f", f, "--no-registry", "--yes", "--poll-interval", "20ms"}, strings.NewReader(stdin), &out, errw)
	return errw.String(), code
}

func imageState(t *testing.T, srv *awsemu.Server, arn string) string {
	t.Helper()
	st, err := awsfixture.New(awstest.SDKConfig(srv.URL(), "us-east-1")).ImageStatus(context.Background(), arn)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func imageARN(t *testing.T, stderr string) string {
	t.Helper()
	i := strings.Index(stderr, "arn:aws:imagebuilder:us-east-1:")
	if i < 0 {
		t.Fatalf("no image ARN in stderr:\n%s", stderr)
	}
	return strings.Fields(stderr[i:])[0]
}

// TestBuildInterrupted: Ctrl-C without a terminal leaves the build running and says so;
// with a terminal and "y" it cancels the build.
func TestBuildInterrupted(t *testing.T) {
	t.Parallel()
	// 60× real time: the build stays in BUILDING for 20 s, ample to interrupt it.
	srv := useBuildWorld(t, emulator.WithClock(awsemu.RealClock{Scale: 60, Start: time.Now()}))
	f := writeSpec(t, t.TempDir(), appV1, "EC2InstanceProfileForImageBuilder")

	errOut, code := interrupt(t, f, "")
	if code != 1 || !strings.Contains(errOut, "the build keeps running (no terminal to ask") || !strings.Contains(errOut, "cancel-image-creation") {
		t.Fatalf("interrupted without a terminal: exit %d:\n%s", code, errOut)
	}
	if st := imageState(t, srv, imageARN(t, errOut[strings.Index(errOut, "keeps running"):])); st == awsfixture.ImageCancelled || st == awsfixture.ImageFailed {
		t.Errorf("the build left running is %s", st)
	}

	useTerminal(t, true)
	errOut, code = interrupt(t, f, "y\n")
	if code != 1 || !strings.Contains(errOut, "cancel the build") || !strings.Contains(errOut, "cancelled: ") {
		t.Fatalf("interrupted with a terminal, answered y: exit %d:\n%s", code, errOut)
	}
	if st := imageState(t, srv, imageARN(t, errOut[strings.Index(errOut, "cancelled: "):])); st != awsfixture.ImageCancelled {
		t.Errorf("the cancelled build is %s", st)
	}
}

// TestBuildTimeout: --timeout ends the wait with exit 1; the build keeps running.
func TestBuildTimeout(t *testing.T) {
	t.Parallel()
	useBuildWorld(t, emulator.WithClock(awsemu.RealClock{Scale: 60, Start: time.Now()}))
	f := writeSpec(t, t.TempDir(), appV1, "EC2InstanceProfileForImageBuilder")
	_, errOut, code := run(t, "build", "-f", f, "--no-registry", "--yes", "--poll-interval", "20ms", "--timeout", "300ms")
	if code != 1 || !strings.Contains(errOut, "timed out after 300ms") || !strings.Contains(errOut, "the build keeps running") {
		t.Errorf("build --timeout: exit %d:\n%s", code, errOut)
	}
	if _, errOut, code := run(t, "build", "-f", f, "--timeout", "0s"); code != 2 || !strings.Contains(errOut, "--timeout") {
		t.Errorf("build --timeout 0s: exit %d: %s", code, errOut)
	}
}

// TestApplyPrompt: on a terminal apply shows the changes and asks; "n" changes nothing
// and exits 1 (what was asked for did not happen), "y" applies.
func TestApplyPrompt(t *testing.T) {
	t.Parallel()
	srv := useBuildWorld(t, buildClock())
	f := writeSpec(t, t.TempDir(), appV1, "EC2InstanceProfileForImageBuilder")
	useTerminal(t, true)
	for _, tt := range []struct {
		answer    string
		code      int
		mutations int
		inStderr  string
	}{
		{"n\n", 1, 0, "apply: nothing changed"},
		{"y\n", 0, 5, "5 change(s) made"},
	} {
		srv.Faults.ResetCounts()
		var out, errb bytes.Buffer
		code := runWith(t, context.Background(), []string{"apply", "-f", f, "--no-registry"}, strings.NewReader(tt.answer), &out, &errb)
		if code != tt.code || mutatingCalls(srv) != tt.mutations || !strings.Contains(errb.String(), "Apply these changes (5 to create") ||
			!strings.Contains(errb.String(), tt.inStderr) {
			t.Errorf("apply answered %q: exit %d (want %d), %d mutating calls:\n%s", tt.answer, code, tt.code, mutatingCalls(srv), errb.String())
		}
	}
}

// TestBuildAsksLikeApply: build applies the spec first, so it asks as apply does: without
// a terminal it wants --yes (exit 2, nothing changed, nothing started); on a terminal "n"
// changes and starts nothing and exits 1; with nothing to apply it builds without asking.
func TestBuildAsksLikeApply(t *testing.T) {
	t.Parallel()
	srv := useBuildWorld(t, buildClock())
	f := writeSpec(t, t.TempDir(), appV1, "EC2InstanceProfileForImageBuilder")
	_, errOut, code := run(t, "build", "-f", f, "--no-registry", "--poll-interval", "20ms")
	if code != 2 || !strings.Contains(errOut, "--yes") || !strings.Contains(errOut, "stdin is not a terminal") || mutatingCalls(srv) != 0 {
		t.Fatalf("build without a terminal nor --yes: exit %d, %d mutating calls:\n%s", code, mutatingCalls(srv), errOut)
	}

	useTerminal(t, true)
	var out, errb bytes.Buffer
	code = runWith(t, context.Background(), []string{"build", "-f", f, "--no-registry", "--poll-interval", "20ms"}, strings.NewReader("n\n"), &out, &errb)
	if code != 1 || mutatingCalls(srv) != 0 || !strings.Contains(errb.String(), "Apply these changes (5 to create") ||
		!strings.Contains(errb.String(), "no build started") {
		t.Fatalf("build answered n: exit %d, %d mutating calls:\n%s", code, mutatingCalls(srv), errb.String())
	}
	out.Reset()
	errb.Reset()
	code = runWith(t, context.Background(), []string{"build", "-f", f, "--no-registry", "--poll-interval", "20ms"}, strings.NewReader("y\n"), &out, &errb)
	if code != 0 || srv.Faults.Count("imagebuilder", "StartImagePipelineExecution", "") != 1 || !strings.Contains(errb.String(), "AVAILABLE") {
		t.Fatalf("build answered y: exit %d:\n%s", code, errb.String())
	}

	// Nothing left to apply: no question, even without a terminal.
	useTerminal(t, false)
	srv.Faults.ResetCounts()
	if _, errOut, code := run(t, "build", "-f", f, "--no-registry", "--poll-interval", "20ms"); code != 0 || strings.Contains(errOut, "--yes") ||
		srv.Faults.Count("imagebuilder", "StartImagePipelineExecution", "") != 1 {
		t.Errorf("build with nothing to apply, without a terminal: exit %d:\n%s", code, errOut)
	}
}

// TestBuildNoApplyWithoutPipeline: --no-apply on an account without the pipeline says to
// apply first and starts nothing.
func TestBuildNoApplyWithoutPipeline(t *testing.T) {
	t.Parallel()
	srv := useBuildWorld(t, buildClock())
	f := writeSpec(t, t.TempDir(), appV1, "EC2InstanceProfileForImageBuilder")
	_, errOut, code := run(t, "build", "-f", f, "--no-registry", "--no-apply")
	if code != 1 || !strings.Contains(errOut, "does not exist: run winami apply first") || mutatingCalls(srv) != 0 {
		t.Errorf("build --no-apply without a pipeline: exit %d, %d mutating calls: %s", code, mutatingCalls(srv), errOut)
	}
}

// useBuildWorld starts awsemu (useEmulator) with the execution role of buildSpec
// (cli-win2022-imagebuilder-execution, its default) made as `winami apply --create-roles`
// makes it: the build preflight requires it, and these tests are about the build.
func useBuildWorld(t *testing.T, opts ...emulator.Option) *awsemu.Server {
	t.Helper()
	srv := useEmulator(t, opts...)
	createExecutionRole(t, srv, spec.DefaultExecutionRole("cli-win2022"), "/winami/cli-win2022/image_id", "us-east-1", "us-west-2")
	return srv
}

// createExecutionRole makes an execution role as `winami apply --create-roles` does for a
// spec with Fast Launch without a launch template: trusted by Image Builder, with
// EC2ImageBuilderExecutionPolicy and EC2FastLaunchFullAccess and, when param is set, the
// inline policy that publishes it in regions.
func createExecutionRole(t *testing.T, srv *awsemu.Server, name, param string, regions ...string) {
	t.Helper()
	ctx := context.Background()
	api := awsfixture.New(awstest.SDKConfig(srv.URL(), "us-east-1"))
	if _, err := api.CreateRole(ctx, name, imagebuilder.ExecutionTrustPolicy); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{imagebuilder.ExecutionPolicy, imagebuilder.FastLaunchPolicy} {
		if _, err := api.AttachRolePolicy(ctx, name, "arn:aws:iam::aws:policy/"+p); err != nil {
			t.Fatal(err)
		}
	}
	if param == "" {
		return
	}
	doc := imagebuilder.PublishParameterPolicy("aws", srv.Account, param, regions).JSON()
	if _, err := api.PutRolePolicy(ctx, name, imagebuilder.ExecutionRolePolicyName, doc); err != nil {
		t.Fatal(err)
	}
}

// confirmPrompter answers every question with yes after calling before (nil: nothing).
type confirmPrompter struct{ before func() }

func (confirmPrompter) CanPrompt() bool { return true }
func (p confirmPrompter) Confirm(string) bool {
	if p.before != nil {
		p.before()
	}
	return true
}

// TestBuildLateCancelGoesOn: Ctrl-C, answered "cancel" once the build has reached
// DISTRIBUTING, where Image Builder refuses CancelImageCreation: winami says the build
// goes on and how to follow it (exit 1, no SDK chain), and the advice holds: the same
// build run again follows that image to AVAILABLE and starts no other.
func TestBuildLateCancelGoesOn(t *testing.T) {
	t.Parallel()
	clock := awsemu.NewManualClock(time.Now())
	srv := useBuildWorld(t, emulator.WithClock(clock))
	file := writeSpec(t, t.TempDir(), appV1, "EC2InstanceProfileForImageBuilder")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errw := &watchWriter{want: "PENDING", hit: make(chan struct{})}
	go func() {
		<-errw.hit
		cancel() // Ctrl-C while the image is PENDING (the clock stands still)
	}()
	var out bytes.Buffer
	f := testFactory(t, strings.NewReader(""), &out, errw)
	// While the question is asked, the build moves on to DISTRIBUTING: 35 minutes after
	// it started is DISTRIBUTING with or without the TESTING state (ibemu.StateDurations).
	f.Prompter = confirmPrompter{before: func() { clock.Advance(35 * time.Minute) }}
	code := Execute(ctx, f, []string{"build", "-f", file, "--no-registry", "--yes", "--poll-interval", "20ms"})
	stderr := errw.String()
	image := imageARN(t, stderr)
	for _, want := range []string{
		"not cancelled: cancelling image " + image + ": imagebuilder CancelImageCreation: ResourceInUseException: The image '" + image + "' cannot be cancelled in status DISTRIBUTING.",
		"the build goes on (DISTRIBUTING): run the same `winami build -f " + file + "` again to follow it to its end (it starts no second build), or watch it with: aws imagebuilder get-image --region us-east-1 --image-build-version-arn " + image,
		"error: build: Ctrl-C: image " + image + " could not be cancelled and goes on\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if code != 1 || strings.Contains(stderr, "operation error") || imageState(t, srv, image) != "DISTRIBUTING" {
		t.Fatalf("exit %d, image %s:\n%s", code, imageState(t, srv, image), stderr)
	}

	// The advice: the same build again follows the image to its end.
	errw2 := &watchWriter{want: "following image " + image, hit: make(chan struct{})}
	go func() {
		<-errw2.hit
		clock.Advance(time.Hour)
	}()
	out.Reset()
	code = runWith(t, context.Background(), []string{"build", "-f", file, "--no-registry", "--yes", "--poll-interval", "20ms"}, strings.NewReader(""), &out, errw2)
	if code != 0 || !strings.Contains(errw2.String(), "following image "+image) || srv.Faults.Count("imagebuilder", "StartImagePipelineExecution", "") != 1 {
		t.Errorf("build again: exit %d, %d builds started:\n%s", code, srv.Faults.Count("imagebuilder", "StartImagePipelineExecution", ""), errw2.String())
	}
}
