package prune_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/prune"
)

const (
	region = "us-east-1"
	name   = "prod-win2022"
	param  = "/winami/prod-win2022/image_id"
)

type world struct {
	t      *testing.T
	srv    *awsemu.Server
	clock  *awsemu.ManualClock
	ec2    *ec2.Client
	as     *autoscaling.Client
	ssm    *ssm.Client
	pruner *prune.Pruner
	inst   string // an instance of the public EKS AMI to image
	n      int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	cfg := awstest.SDKConfig(srv.URL(), region)
	w := &world{t: t, srv: srv, clock: clock, ec2: ec2.NewFromConfig(cfg), as: autoscaling.NewFromConfig(cfg), ssm: ssm.NewFromConfig(cfg)}
	w.pruner = &prune.Pruner{Clients: awsapi.FromConfig(cfg), Wait: fastlaunch.WaitOptions{
		Interval: time.Minute, Timeout: 10 * time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error { clock.Advance(d); return ctx.Err() },
	}}
	rel := seed.Releases[len(seed.Releases)-1]
	public := seed.ImageID(region, catalog.EKSOptimizedAMIName("2022", catalog.Core, catalog.LatestKubernetes(), rel.Format("2006.01.02")))
	w.inst = w.run(public)
	return w
}

func (w *world) run(ami string) string {
	w.t.Helper()
	out, err := w.ec2.RunInstances(context.Background(), &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: types.InstanceTypeM6iLarge})
	if err != nil {
		w.t.Fatalf("RunInstances %s: %v", ami, err)
	}
	return aws.ToString(out.Instances[0].InstanceId)
}

func (w *world) terminate(id string) {
	w.t.Helper()
	if _, err := w.ec2.TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		w.t.Fatal(err)
	}
}

// build makes an AMI as the spec's pipeline would (winami and Image Builder tags), a day
// after the previous one.
func (w *world) build() string {
	w.t.Helper()
	w.clock.Advance(24 * time.Hour)
	w.n++
	tags := []types.Tag{
		{Key: aws.String(prune.NameTag), Value: aws.String(name)},
		{Key: aws.String(prune.ManagedByTag), Value: aws.String("winami")},
		{Key: aws.String(prune.ImageBuilderTag), Value: aws.String(fmt.Sprintf("arn:aws:imagebuilder:%s:123456789012:image/%s-recipe/1.0.0/%d", region, name, w.n))},
	}
	out, err := w.ec2.CreateImage(context.Background(), &ec2.CreateImageInput{InstanceId: aws.String(w.inst), Name: aws.String(fmt.Sprintf("%s-%d", name, w.n)),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeImage, Tags: tags}}})
	if err != nil {
		w.t.Fatalf("CreateImage: %v", err)
	}
	return aws.ToString(out.ImageId)
}

func (w *world) snapshots(ami string) []string {
	w.t.Helper()
	out, err := w.ec2.DescribeImages(context.Background(), &ec2.DescribeImagesInput{ImageIds: []string{ami}})
	if err != nil || len(out.Images) != 1 {
		w.t.Fatalf("DescribeImages %s: %v", ami, err)
	}
	var ids []string
	for _, bd := range out.Images[0].BlockDeviceMappings {
		if bd.Ebs != nil {
			ids = append(ids, aws.ToString(bd.Ebs.SnapshotId))
		}
	}
	return ids
}

func (w *world) imageExists(ami string) bool {
	out, err := w.ec2.DescribeImages(context.Background(), &ec2.DescribeImagesInput{Owners: []string{"self"}, Filters: []types.Filter{{Name: aws.String("image-id"), Values: []string{ami}}}})
	if err != nil {
		w.t.Fatal(err)
	}
	return len(out.Images) == 1
}

func (w *world) snapshotExists(id string) bool {
	out, err := w.ec2.DescribeSnapshots(context.Background(), &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, Filters: []types.Filter{{Name: aws.String("snapshot-id"), Values: []string{id}}}})
	if err != nil {
		w.t.Fatal(err)
	}
	return len(out.Snapshots) == 1
}

// state is everything prune could change, as the EC2 API shows it.
func (w *world) state() string {
	w.t.Helper()
	ctx := context.Background()
	var b strings.Builder
	imgs, err := w.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil {
		w.t.Fatal(err)
	}
	var lines []string
	for _, im := range imgs.Images {
		lines = append(lines, fmt.Sprintf("image %s %s %v", aws.ToString(im.ImageId), im.State, snapIDs(im)))
	}
	snaps, err := w.ec2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, s := range snaps.Snapshots {
		lines = append(lines, fmt.Sprintf("snapshot %s %d tags", aws.ToString(s.SnapshotId), len(s.Tags)))
	}
	fl, err := w.ec2.DescribeFastLaunchImages(ctx, &ec2.DescribeFastLaunchImagesInput{})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, f := range fl.FastLaunchImages {
		lines = append(lines, fmt.Sprintf("fast-launch %s %s", aws.ToString(f.ImageId), f.State))
	}
	sort.Strings(lines)
	b.WriteString(strings.Join(lines, "\n"))
	return b.String()
}

func snapIDs(im types.Image) []string {
	var out []string
	for _, bd := range im.BlockDeviceMappings {
		if bd.Ebs != nil {
			out = append(out, aws.ToString(bd.Ebs.SnapshotId))
		}
	}
	return out
}

func find(t *testing.T, plan *prune.Plan, ami string) prune.Image {
	t.Helper()
	for _, im := range plan.Images {
		if im.ImageID == ami {
			return im
		}
	}
	t.Fatalf("%s not in the plan", ami)
	return prune.Image{}
}

func wantKept(t *testing.T, plan *prune.Plan, ami, reason string) {
	t.Helper()
	im := find(t, plan, ami)
	if im.Action != prune.ActionKeep || !strings.Contains(strings.Join(im.Reasons, "; "), reason) {
		t.Errorf("%s: %s %v; want kept because %q", ami, im.Action, im.Reasons, reason)
	}
}

func wantDeleted(t *testing.T, plan *prune.Plan, ami string) {
	t.Helper()
	if im := find(t, plan, ami); im.Action != prune.ActionDelete {
		t.Errorf("%s: %s %v; want deleted", ami, im.Action, im.Reasons)
	}
}

func TestPlanKeepsEveryUseAndChangesNothing(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var amis []string
	for range 10 {
		amis = append(amis, w.build())
	}
	// amis[0]: a stopped instance runs it.
	stopped := w.run(amis[0])
	if _, err := w.ec2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{stopped}}); err != nil {
		t.Fatal(err)
	}
	// amis[1]: version 3 of 5 of a launch template whose default is 5.
	lt, err := w.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("win-nodes"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(amis[8])}})
	if err != nil {
		t.Fatal(err)
	}
	for v := 2; v <= 5; v++ {
		img := amis[9]
		if v == 3 {
			img = amis[1]
		}
		if _, err := w.ec2.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId,
			LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(img)}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.ec2.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, DefaultVersion: aws.String("5")}); err != nil {
		t.Fatal(err)
	}
	// amis[2]: an Auto Scaling group's mixed instances policy overrides the image.
	if _, err := w.as.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("win-mixed"), MinSize: aws.Int32(0), MaxSize: aws.Int32(3), VPCZoneIdentifier: aws.String("subnet-0123456789abcdef0"),
		MixedInstancesPolicy: &astypes.MixedInstancesPolicy{LaunchTemplate: &astypes.LaunchTemplate{
			LaunchTemplateSpecification: &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("$Default")},
			Overrides:                   []astypes.LaunchTemplateOverrides{{InstanceType: aws.String("m6i.xlarge"), ImageId: aws.String(amis[2])}},
		}}}); err != nil {
		t.Fatal(err)
	}
	// amis[3]: a launch configuration.
	if _, err := w.as.CreateLaunchConfiguration(ctx, &autoscaling.CreateLaunchConfigurationInput{LaunchConfigurationName: aws.String("legacy"), ImageId: aws.String(amis[3]), InstanceType: aws.String("m5.large")}); err != nil {
		t.Fatal(err)
	}
	// amis[4]: the published parameter.
	if _, err := w.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(param), Value: aws.String(amis[4]), Type: ssmtypes.ParameterTypeString, DataType: aws.String("aws:ec2:image")}); err != nil {
		t.Fatal(err)
	}
	// amis[5]: only a terminated instance used it.
	gone := w.run(amis[5])
	if _, err := w.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{gone}}); err != nil {
		t.Fatal(err)
	}
	// amis[6]: Fast Launch enabled.
	if _, err := fastlaunch.New(w.pruner.Clients, region).Enable(ctx, amis[6], fastlaunch.Settings{}, fastlaunch.EnableOptions{SkipPreflight: true}); err != nil {
		t.Fatal(err)
	}
	// A hand-made AMI of the account with no winami tags is never a candidate.
	w.n++
	other, err := w.ec2.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(w.inst), Name: aws.String("hand-made")})
	if err != nil {
		t.Fatal(err)
	}

	before := w.state()
	w.srv.Faults.ResetCounts()
	plan, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 2, PublishParameter: param, PageSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	wantKept(t, plan, amis[0], "(stopped)")
	wantKept(t, plan, amis[1], "version 3")
	wantKept(t, plan, amis[2], "mixed instances policy of Auto Scaling group win-mixed")
	wantKept(t, plan, amis[3], "launch configuration legacy")
	wantKept(t, plan, amis[4], "published in "+param)
	wantDeleted(t, plan, amis[5])
	wantDeleted(t, plan, amis[6])
	wantDeleted(t, plan, amis[7])
	wantKept(t, plan, amis[8], "one of the newest 2")
	wantKept(t, plan, amis[9], "one of the newest 2")
	wantKept(t, plan, amis[9], "version 5 (default)")
	if im := find(t, plan, amis[6]); im.FastLaunch != fastlaunch.StateEnabling {
		t.Errorf("Fast Launch of %s shown as %q", amis[6], im.FastLaunch)
	}
	for _, im := range plan.Images {
		if im.ImageID == aws.ToString(other.ImageId) {
			t.Errorf("the hand-made AMI is a candidate")
		}
	}
	if len(plan.Images) != 10 || plan.Deletes() != 3 {
		t.Errorf("%d candidates, %d deletes; want 10 and 3", len(plan.Images), plan.Deletes())
	}
	// 11 AMIs of the account at 5 a page: 3 pages.
	if n := w.srv.Faults.Count("ec2", "DescribeImages", region); n < 3 {
		t.Errorf("DescribeImages called %d times; want every page (3)", n)
	}
	if n := w.srv.Faults.Count("ec2", "DescribeLaunchTemplateVersions", region); n < 1 {
		t.Errorf("launch template versions not listed")
	}
	if after := w.state(); after != before {
		t.Errorf("planning changed the world:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	for _, op := range []string{"DeregisterImage", "DeleteSnapshot", "DisableFastLaunch", "CreateTags"} {
		if n := w.srv.Faults.Count("ec2", op, ""); n != 0 {
			t.Errorf("plan called %s %d times", op, n)
		}
	}
}

func TestExecuteDisablesFastLaunchAndKeepsSharedSnapshots(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	old, shared, newest := w.build(), w.build(), w.build()
	if _, err := fastlaunch.New(w.pruner.Clients, region).Enable(ctx, old, fastlaunch.Settings{}, fastlaunch.EnableOptions{SkipPreflight: true}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Hour) // enabled
	// Another AMI of the account (not a candidate) registered from shared's root snapshot.
	sharedSnap := w.snapshots(shared)[0]
	reg, err := w.ec2.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("copy-of-shared"), RootDeviceName: aws.String("/dev/sda1"),
		BlockDeviceMappings: []types.BlockDeviceMapping{{DeviceName: aws.String("/dev/sda1"), Ebs: &types.EbsBlockDevice{SnapshotId: aws.String(sharedSnap)}}}})
	if err != nil {
		t.Fatal(err)
	}
	oldSnaps := w.snapshots(old)

	plan, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := find(t, plan, shared).Snapshots
	if len(s) != 1 || s[0].Delete || len(s[0].SharedWith) != 1 || s[0].SharedWith[0] != aws.ToString(reg.ImageId) {
		t.Fatalf("shared snapshot plan: %+v", s)
	}
	var lines []string
	w.pruner.Progress = func(l string) { lines = append(lines, l) }
	w.pruner.Execute(ctx, plan)
	if plan.Failed() != 0 {
		t.Fatalf("failures: %+v", plan.Images)
	}
	if w.imageExists(old) || w.imageExists(shared) || !w.imageExists(newest) || !w.imageExists(aws.ToString(reg.ImageId)) {
		t.Errorf("images after prune: old %v shared %v newest %v copy %v", w.imageExists(old), w.imageExists(shared), w.imageExists(newest), w.imageExists(aws.ToString(reg.ImageId)))
	}
	for _, sn := range oldSnaps {
		if w.snapshotExists(sn) {
			t.Errorf("snapshot %s of %s left behind", sn, old)
		}
	}
	if !w.snapshotExists(sharedSnap) {
		t.Errorf("snapshot %s used by another AMI was deleted", sharedSnap)
	}
	// Fast Launch was disabled and waited for before the deregistration.
	if w.srv.Faults.Count("ec2", "DisableFastLaunch", "") != 1 || !strings.Contains(strings.Join(lines, "\n"), "Fast Launch enabled; disabling") {
		t.Errorf("Fast Launch not disabled first: %v", lines)
	}
	// Re-running finds nothing more to do.
	again, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 1})
	if err != nil || again.Deletes() != 0 || len(again.Orphans) != 0 {
		t.Errorf("second plan: %+v %v", again, err)
	}
}

func TestDeleteSnapshotFailureContinuesAndRerunFinishes(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	a, b, c := w.build(), w.build(), w.build()
	aSnaps, bSnaps := w.snapshots(a), w.snapshots(b)
	w.srv.Faults.FailNext("ec2", "DeleteSnapshot", awsemu.FaultError{Status: 500, Code: "InternalError", Message: "An internal error has occurred"})
	plan, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	w.pruner.Execute(ctx, plan)
	if plan.Failed() != 1 {
		t.Fatalf("%d failures, want 1: %+v", plan.Failed(), plan.Images)
	}
	// AMIs are handled at once: whichever snapshot deletion came first failed.
	fa, fb := find(t, plan, a), find(t, plan, b)
	failedSnap := aSnaps[0]
	if fb.Result == prune.ResultFailed {
		fa, fb = fb, fa
		failedSnap = bSnaps[0]
	}
	otherSnap := aSnaps[0]
	if failedSnap == aSnaps[0] {
		otherSnap = bSnaps[0]
	}
	if fa.Result != prune.ResultFailed || !strings.Contains(fa.Error, "InternalError") || fb.Result != prune.ResultDeleted {
		t.Errorf("results: %s %s %q, %s %s", fa.ImageID, fa.Result, fa.Error, fb.ImageID, fb.Result)
	}
	if w.imageExists(a) || w.imageExists(b) || !w.imageExists(c) {
		t.Errorf("the failure stopped the rest")
	}
	if !w.snapshotExists(failedSnap) || w.snapshotExists(otherSnap) {
		t.Fatalf("snapshots: the failed one's %v the other's %v", w.snapshotExists(failedSnap), w.snapshotExists(otherSnap))
	}
	// The re-run finds the snapshot the first run left and deletes it.
	again, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	if again.Deletes() != 0 || len(again.Orphans) != 1 || again.Orphans[0].SnapshotID != failedSnap {
		t.Fatalf("re-run plan: %+v", again)
	}
	w.pruner.Execute(ctx, again)
	if again.Failed() != 0 || w.snapshotExists(failedSnap) {
		t.Errorf("re-run did not finish: %+v", again.Orphans)
	}
}

func TestOlderThanAndMultipleRegions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	a, b := w.build(), w.build()
	plan, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region, "us-west-2"}, Keep: 0, OlderThan: 36 * time.Hour, Now: w.clock.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	wantDeleted(t, plan, a)
	wantKept(t, plan, b, "newer than 36h0m0s")
	if n := w.srv.Faults.Count("ec2", "DescribeImages", "us-west-2"); n == 0 {
		t.Errorf("us-west-2 not looked at")
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "12h": 12 * time.Hour, "": 0} {
		if got, err := prune.ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"d", "-3d", "3x", "1.5d"} {
		if _, err := prune.ParseAge(bad); err == nil {
			t.Errorf("ParseAge(%q) accepted", bad)
		}
	}
}

// TestUnreadableSSMReferenceStopsThePlan: a launch template that names its AMI through
// resolve:ssm: keeps that AMI; when the parameter cannot be read (here AccessDenied), the
// plan fails instead of treating the reference as absent and deleting an AMI in use.
func TestUnreadableSSMReferenceStopsThePlan(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	a, _ := w.build(), w.build()
	if _, err := w.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/team/windows-ami"), Value: aws.String(a), Type: ssmtypes.ParameterTypeString, DataType: aws.String("aws:ec2:image")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("via-ssm"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String("resolve:ssm:/team/windows-ami")}}); err != nil {
		t.Fatal(err)
	}
	o := prune.Options{Name: name, Regions: []string{region}, Keep: 1}
	plan, err := w.pruner.Plan(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	wantKept(t, plan, a, "through resolve:ssm:/team/windows-ami")

	w.srv.Faults.FailNext("ssm", "GetParameter", awsemu.FaultError{Status: 400, Code: "AccessDeniedException", Message: "not authorized to perform ssm:GetParameter"})
	plan, err = w.pruner.Plan(ctx, o)
	if err == nil {
		t.Fatalf("plan with the parameter unreadable: no error; %s is %s %v", a, find(t, plan, a).Action, find(t, plan, a).Reasons)
	}
	if !strings.Contains(err.Error(), "/team/windows-ami") || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("error %q: want the parameter and the cause", err)
	}
}
