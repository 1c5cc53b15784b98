package fastlaunch_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/seed"
	emuec2 "github.com/winami/winami/awsemu/services/ec2"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/check"
	"github.com/winami/winami/fastlaunch"
)

const region = "us-east-1"

type world struct {
	srv     *awsemu.Server
	clock   *awsemu.ManualClock
	ec2     *ec2.Client
	c       *fastlaunch.Client
	clients *awsapi.Clients
}

func newWorld(t *testing.T) *world {
	t.Helper()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	cfg := awstest.SDKConfig(srv.URL(), region)
	clients := awsapi.FromConfig(cfg)
	return &world{srv: srv, clock: clock, ec2: ec2.NewFromConfig(cfg), c: fastlaunch.New(clients, region), clients: clients}
}

// publicEKSAMI is the seeded public EKS-optimized Windows Server 2022 Core AMI.
func publicEKSAMI() string {
	rel := seed.Releases[len(seed.Releases)-1]
	return seed.ImageID(region, catalog.EKSOptimizedAMIName("2022", catalog.Core, catalog.LatestKubernetes(), rel.Format("2006.01.02")))
}

var seq atomic.Int64

// ownedWindowsAMI makes an AMI of the caller's account from an instance of the public
// EKS AMI, as Image Builder would.
func (w *world) ownedWindowsAMI(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	run, err := w.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(publicEKSAMI()), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: types.InstanceTypeM6iLarge})
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	out, err := w.ec2.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: run.Instances[0].InstanceId, Name: aws.String(fmt.Sprintf("winami-test-%d", seq.Add(1)))})
	if err != nil {
		t.Fatalf("CreateImage: %v", err)
	}
	return aws.ToString(out.ImageId)
}

func (w *world) linuxAMI(t *testing.T) string {
	t.Helper()
	out, err := w.ec2.RegisterImage(context.Background(), &ec2.RegisterImageInput{
		Name: aws.String(fmt.Sprintf("linux-%d", seq.Add(1))), RootDeviceName: aws.String("/dev/xvda"), Architecture: types.ArchitectureValuesX8664,
		BlockDeviceMappings: []types.BlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"), Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(8)}}},
	})
	if err != nil {
		t.Fatalf("RegisterImage: %v", err)
	}
	return aws.ToString(out.ImageId)
}

// fast polls: the manual clock moves by the pause, so the emulator's state machine runs in step.
func (w *world) waitOpts() fastlaunch.WaitOptions {
	return fastlaunch.WaitOptions{
		Interval: time.Minute, MaxInterval: 4 * time.Minute,
		Sleep: func(ctx context.Context, d time.Duration) error { w.clock.Advance(d); return ctx.Err() },
	}
}

func checkStatus(t *testing.T, checks []check.Check, name, status string) check.Check {
	t.Helper()
	for _, c := range checks {
		if c.Name == name {
			if c.Status != status {
				t.Errorf("check %s: %s (%s), want %s", name, c.Status, c.Message, status)
			}
			return c
		}
	}
	t.Fatalf("no check %s in %+v", name, checks)
	return check.Check{}
}

func TestEnableWaitDisable(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ami := w.ownedWindowsAMI(t)

	res, err := w.c.Enable(ctx, ami, fastlaunch.Settings{TargetSnapshots: 4, MaxParallelLaunches: 8}, fastlaunch.EnableOptions{})
	if err != nil {
		t.Fatalf("Enable: %v (checks %+v)", err, res)
	}
	for _, c := range res.Checks {
		if c.Status == check.Fail {
			t.Errorf("check failed on a good AMI: %+v", c)
		}
	}
	if res.Status == nil || res.Status.State != fastlaunch.StateEnabling || res.Status.TargetSnapshots != 4 || res.Status.MaxParallelLaunches != 8 {
		t.Fatalf("status after Enable: %+v", res.Status)
	}

	var seen []string
	opts := w.waitOpts()
	opts.Progress = func(s fastlaunch.Status) { seen = append(seen, s.State) }
	st, err := w.c.Wait(ctx, ami, fastlaunch.UntilEnabled, opts)
	if err != nil || st.State != fastlaunch.StateEnabled {
		t.Fatalf("Wait enabled: %+v, %v", st, err)
	}
	if strings.Join(seen, ",") != "enabling,enabled" {
		t.Errorf("progress: %v, want enabling then enabled", seen)
	}

	st, err = w.c.Disable(ctx, ami, false, false)
	if err != nil || st.State != fastlaunch.StateDisabling {
		t.Fatalf("Disable: %+v, %v", st, err)
	}
	st, err = w.c.Wait(ctx, ami, fastlaunch.UntilGone, w.waitOpts())
	if err != nil || st.State != fastlaunch.StateGone {
		t.Fatalf("Wait gone: %+v, %v", st, err)
	}
	out, err := w.ec2.DescribeFastLaunchImages(ctx, &ec2.DescribeFastLaunchImagesInput{ImageIds: []string{ami}})
	if err != nil || len(out.FastLaunchImages) != 0 {
		t.Fatalf("after disable EC2 still lists %+v (%v)", out, err)
	}
	// Disabling again is a no-op, not an error (prune re-runs rely on it).
	if st, err := w.c.Disable(ctx, ami, false, false); err != nil || st.State != fastlaunch.StateGone {
		t.Fatalf("second Disable: %+v, %v", st, err)
	}
}

func TestPreflightRefusesPublicEKSAMI(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	res, err := w.c.Enable(ctx, publicEKSAMI(), fastlaunch.Settings{}, fastlaunch.EnableOptions{})
	var pe *check.PreflightError
	if !errors.As(err, &pe) {
		t.Fatalf("Enable on the public EKS AMI: %v, want a preflight error", err)
	}
	c := checkStatus(t, res.Checks, fastlaunch.CheckOwner, check.Fail)
	if c.Fix != fastlaunch.NotOwnedMessage || !strings.Contains(c.Message, "801119661308") {
		t.Errorf("owner check: %+v", c)
	}
	if !strings.Contains(err.Error(), "Fast Launch needs an AMI you own: build one with `winami build`") {
		t.Errorf("error %q lacks the refusal", err)
	}
	if n := w.srv.Faults.Count("ec2", "EnableFastLaunch", ""); n != 0 {
		t.Errorf("EnableFastLaunch called %d times after a failed preflight", n)
	}
}

func TestPreflightFailures(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	owned := w.ownedWindowsAMI(t)
	linux := w.linuxAMI(t)
	tests := []struct {
		name     string
		image    string
		settings fastlaunch.Settings
		check    string
		inMsg    string
	}{
		{"missing image", "ami-0123456789abcdef0", fastlaunch.Settings{}, fastlaunch.CheckImage, "does not exist in us-east-1"},
		{"linux image", linux, fastlaunch.Settings{}, fastlaunch.CheckWindows, "is not Windows"},
		{"max parallel below 6", owned, fastlaunch.Settings{MaxParallelLaunches: 5}, fastlaunch.CheckParallel, "below EC2's minimum of 6"},
		{"missing launch template", owned, fastlaunch.Settings{LaunchTemplate: "lt-0123456789abcdef0"}, fastlaunch.CheckLaunchTemplate, "does not exist"},
		{"missing launch template name", owned, fastlaunch.Settings{LaunchTemplate: "no-such-template:2"}, fastlaunch.CheckLaunchTemplate, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.srv.Faults.Count("ec2", "EnableFastLaunch", "")
			res, err := w.c.Enable(ctx, tt.image, tt.settings, fastlaunch.EnableOptions{})
			var pe *check.PreflightError
			if !errors.As(err, &pe) {
				t.Fatalf("Enable: %v, want a preflight error", err)
			}
			c := checkStatus(t, res.Checks, tt.check, check.Fail)
			if !strings.Contains(c.Message, tt.inMsg) || c.Fix == "" {
				t.Errorf("check %s: %+v, want %q and a fix", tt.check, c, tt.inMsg)
			}
			var fails int
			for _, c := range res.Checks {
				if c.Status == check.Fail {
					fails++
				}
			}
			if fails != 1 {
				t.Errorf("%d checks failed, want only %s: %+v", fails, tt.check, res.Checks)
			}
			if after := w.srv.Faults.Count("ec2", "EnableFastLaunch", ""); after != before {
				t.Errorf("EnableFastLaunch was called after a failed preflight")
			}
		})
	}
}

func TestPreflightLaunchTemplateVersion(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	owned := w.ownedWindowsAMI(t)
	lt, err := w.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("fl-nodes"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeM6iLarge},
	})
	if err != nil {
		t.Fatalf("CreateLaunchTemplate: %v", err)
	}
	checks, err := w.c.Preflight(ctx, owned, fastlaunch.Settings{LaunchTemplate: "fl-nodes:7"})
	if err != nil {
		t.Fatal(err)
	}
	c := checkStatus(t, checks, fastlaunch.CheckLaunchTemplate, check.Fail)
	if !strings.Contains(c.Message, "no version 7") {
		t.Errorf("version check: %+v", c)
	}
	checks, err = w.c.Preflight(ctx, owned, fastlaunch.Settings{LaunchTemplate: aws.ToString(lt.LaunchTemplate.LaunchTemplateId) + ":1"})
	if err != nil {
		t.Fatal(err)
	}
	checkStatus(t, checks, fastlaunch.CheckLaunchTemplate, check.Pass)
	// With a template, the default VPC is not needed and not checked.
	for _, c := range checks {
		if c.Name == fastlaunch.CheckDefaultVPC {
			t.Errorf("default VPC checked although a launch template was given")
		}
	}
	res, err := w.c.Enable(ctx, owned, fastlaunch.Settings{LaunchTemplate: "fl-nodes:1"}, fastlaunch.EnableOptions{})
	if err != nil {
		t.Fatalf("Enable with template: %v", err)
	}
	if res.Status.LaunchTemplate != "fl-nodes:1" {
		t.Errorf("launch template reported as %q", res.Status.LaunchTemplate)
	}
}

func TestPreflightSimulationDeniedIsSkipped(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	owned := w.ownedWindowsAMI(t)
	w.srv.Faults.FailNext("iam", "SimulatePrincipalPolicy", awsemu.FaultError{Status: 403, Code: "AccessDenied", Message: "User is not authorized to perform: iam:SimulatePrincipalPolicy"})
	checks, err := w.c.Preflight(ctx, owned, fastlaunch.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	c := checkStatus(t, checks, fastlaunch.CheckPermissions, check.Skip)
	if !strings.Contains(c.Message, "not checked") || !strings.Contains(c.Fix, "iam:SimulatePrincipalPolicy") {
		t.Errorf("skip note: %+v", c)
	}
	if w.srv.Faults.Count("iam", "SimulatePrincipalPolicy", "") != 1 {
		t.Errorf("SimulatePrincipalPolicy not called")
	}
}

// denyCaller adds an inline policy to the caller's user (who has AdministratorAccess):
// its explicit Deny wins.
func (w *world) denyCaller(t *testing.T, doc string) *iam.Client {
	t.Helper()
	c := iam.NewFromConfig(awstest.SDKConfig(w.srv.URL(), region))
	if _, err := c.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(awsemu.CallerUserName), PolicyName: aws.String("deny"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPreflightPermissionDenied(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	owned := w.ownedWindowsAMI(t)
	checks, err := w.c.Preflight(ctx, owned, fastlaunch.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	checkStatus(t, checks, fastlaunch.CheckPermissions, check.Pass)

	// Creating the service-linked role is denied for Fast Launch's service only.
	w.denyCaller(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateServiceLinkedRole","Resource":"*",
		"Condition":{"StringEquals":{"iam:AWSServiceName":"ec2fastlaunch.amazonaws.com"}}}]}`)
	checks, err = w.c.Preflight(ctx, owned, fastlaunch.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	c := checkStatus(t, checks, fastlaunch.CheckPermissions, check.Fail)
	if !strings.Contains(c.Message, "iam:CreateServiceLinkedRole") || strings.Contains(c.Message, "ec2:EnableFastLaunch") || !strings.Contains(c.Fix, "winami iam-policy") {
		t.Errorf("permission check: %+v", c)
	}
	if _, err := w.c.Enable(ctx, owned, fastlaunch.Settings{}, fastlaunch.EnableOptions{}); err == nil {
		t.Error("Enable went ahead without iam:CreateServiceLinkedRole")
	}
}

func TestEnablingFailedStopsWithReason(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ami := w.ownedWindowsAMI(t)
	const reason = "Client.InternalError: the instance did not shut down after Sysprep (sysprep /shutdown missing?)"
	if _, err := w.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{ami}, Tags: []types.Tag{{Key: aws.String(emuec2.FailFastLaunchTag), Value: aws.String(reason)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.Enable(ctx, ami, fastlaunch.Settings{}, fastlaunch.EnableOptions{SkipPreflight: true}); err != nil {
		t.Fatal(err)
	}
	polls := 0
	opts := w.waitOpts()
	opts.Progress = func(fastlaunch.Status) { polls++ }
	before := w.srv.Faults.Count("ec2", "DescribeFastLaunchImages", "")
	st, err := w.c.Wait(ctx, ami, fastlaunch.UntilEnabled, opts)
	var fe *fastlaunch.FailedError
	if !errors.As(err, &fe) || st.State != fastlaunch.StateEnablingFailed {
		t.Fatalf("Wait: %+v, %v; want enabling-failed", st, err)
	}
	if fe.Status.StateReason != reason || !strings.Contains(err.Error(), reason) {
		t.Errorf("error %q does not carry the reason %q", err, reason)
	}
	// It stops at once: no poll after the failed state.
	afterFail := w.srv.Faults.Count("ec2", "DescribeFastLaunchImages", "")
	if _, err := w.c.Get(ctx, ami); err != nil {
		t.Fatal(err)
	}
	_ = before
	if got := w.srv.Faults.Count("ec2", "DescribeFastLaunchImages", ""); got != afterFail+1 {
		t.Errorf("polling continued after the failure")
	}
}

func TestWaitRidesOutThrottling(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ami := w.ownedWindowsAMI(t)
	if _, err := w.c.Enable(ctx, ami, fastlaunch.Settings{}, fastlaunch.EnableOptions{SkipPreflight: true}); err != nil {
		t.Fatal(err)
	}
	// The SDK client of this test does not retry (awstest.SDKConfig: one attempt), so every
	// throttle reaches the wait loop, which must keep polling.
	throttle := make([]awsemu.FaultError, 6)
	for i := range throttle {
		throttle[i] = awsemu.FaultError{Throttle: true, Message: "Rate exceeded"}
	}
	w.srv.Faults.FailNext("ec2", "DescribeFastLaunchImages", throttle...)
	before := w.srv.Faults.Count("ec2", "DescribeFastLaunchImages", "")
	var pauses []time.Duration
	opts := w.waitOpts()
	sleep := opts.Sleep
	opts.Sleep = func(ctx context.Context, d time.Duration) error { pauses = append(pauses, d); return sleep(ctx, d) }
	st, err := w.c.Wait(ctx, ami, fastlaunch.UntilEnabled, opts)
	if err != nil || st.State != fastlaunch.StateEnabled {
		t.Fatalf("Wait under throttling: %+v, %v", st, err)
	}
	if n := w.srv.Faults.Count("ec2", "DescribeFastLaunchImages", "") - before; n < 7 {
		t.Errorf("%d describes; want the 6 throttled ones and at least one more", n)
	}
	for i := 1; i < len(pauses); i++ {
		if pauses[i] < pauses[i-1] {
			t.Errorf("pauses shrink: %v", pauses)
		}
	}
	if len(pauses) < 2 || pauses[len(pauses)-1] <= pauses[0] {
		t.Errorf("no backoff: pauses %v", pauses)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ami := w.ownedWindowsAMI(t)
	res, err := w.c.Enable(ctx, ami, fastlaunch.Settings{}, fastlaunch.EnableOptions{DryRun: true})
	if err != nil || !res.DryRun {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	checkStatus(t, res.Checks, "ec2-dry-run", check.Pass)
	if n := w.srv.Faults.Count("ec2", "EnableFastLaunch", ""); n != 1 {
		t.Errorf("EnableFastLaunch calls: %d, want the one DryRun", n)
	}
	w.clock.Advance(time.Hour)
	st, err := w.c.Get(ctx, ami)
	if err != nil || st.State != fastlaunch.StateGone {
		t.Fatalf("after a dry run: %+v, %v", st, err)
	}
	// EC2's own DryRun catches what the preflight cannot: the public AMI with the preflight skipped.
	_, err = w.c.Enable(ctx, publicEKSAMI(), fastlaunch.Settings{}, fastlaunch.EnableOptions{DryRun: true, SkipPreflight: true})
	if err == nil || awsapi.ErrorCode(err) != "InvalidParameterValue" {
		t.Errorf("dry run of the public AMI without preflight: %v", err)
	}
}

func TestWaitTimeoutKeepsLastState(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ami := w.ownedWindowsAMI(t)
	if _, err := w.c.Enable(ctx, ami, fastlaunch.Settings{}, fastlaunch.EnableOptions{SkipPreflight: true}); err != nil {
		t.Fatal(err)
	}
	// The manual clock stands still: the image stays enabling until the real timeout.
	st, err := w.c.Wait(ctx, ami, fastlaunch.UntilEnabled, fastlaunch.WaitOptions{Timeout: 300 * time.Millisecond, Interval: 20 * time.Millisecond})
	var te *fastlaunch.TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("Wait: %v, want a timeout", err)
	}
	if te.Last.State != fastlaunch.StateEnabling || st.State != fastlaunch.StateEnabling || !strings.Contains(err.Error(), "last state: enabling") {
		t.Errorf("timeout: %v (last %+v)", err, te.Last)
	}
}

func TestResolveImageFromSSM(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	param := catalog.EKSOptimizedParameter("2022", catalog.Core, catalog.LatestKubernetes())
	id, err := w.c.ResolveImage(ctx, "ssm:"+param)
	if err != nil || id != publicEKSAMI() {
		t.Fatalf("ResolveImage: %q, %v; want %s", id, err, publicEKSAMI())
	}
	if _, err := w.c.ResolveImage(ctx, "ssm:/winami/nope/image_id"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing parameter: %v", err)
	}
	if _, err := w.c.ResolveImage(ctx, "image-1"); !errors.Is(err, fastlaunch.ErrBadImageRef) {
		t.Errorf("bad ref: %v", err)
	}
}

func TestParseTemplate(t *testing.T) {
	for in, want := range map[string]fastlaunch.TemplateRef{
		"lt-0abc":         {ID: "lt-0abc"},
		"nodes":           {Name: "nodes"},
		"nodes:3":         {Name: "nodes", Version: "3"},
		"lt-0abc:$Latest": {ID: "lt-0abc", Version: "$Latest"},
	} {
		got, err := fastlaunch.ParseTemplate(in)
		if err != nil || got != want || got.String() != in {
			t.Errorf("ParseTemplate(%q) = %+v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", ":3", "nodes:", "nodes:x"} {
		if _, err := fastlaunch.ParseTemplate(bad); err == nil {
			t.Errorf("ParseTemplate(%q) accepted", bad)
		}
	}
}

func TestPrincipalARN(t *testing.T) {
	if got := fastlaunch.PrincipalARN("arn:aws:sts::123456789012:assumed-role/Admin/alice"); got != "arn:aws:iam::123456789012:role/Admin" {
		t.Errorf("assumed role: %s", got)
	}
	if got := fastlaunch.PrincipalARN("arn:aws:iam::123456789012:user/bob"); got != "arn:aws:iam::123456789012:user/bob" {
		t.Errorf("user: %s", got)
	}
}
