package ec2_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/services/ec2"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// seedImages is a small public world: Amazon Windows images (one deprecated), an Amazon
// Linux image, and a private image of another account shared with the caller.
func seedImages() []awsemu.Image {
	var out []awsemu.Image
	for i, name := range []string{
		"Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15",
		"Windows_Server-2022-English-Full-EKS_Optimized-1.31-2026.10.15",
		"Windows_Server-2019-English-Core-EKS_Optimized-1.31-2026.10.15",
	} {
		out = append(out, awsemu.Image{
			ID: fmt.Sprintf("ami-0000000000000000%d", i+1), Region: "us-east-1", Name: name, OwnerID: ec2.AmazonOwner,
			Public: true, Platform: "windows", CreationDate: t0.Add(-time.Duration(i) * time.Hour),
			BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", VolumeSize: 50}},
			Tags:         map[string]string{"os": "windows"},
		})
	}
	out = append(out,
		awsemu.Image{ID: "ami-00000000000000010", Region: "us-east-1", Name: "Windows_Server-2022-English-Core-EKS_Optimized-1.27-2024.01.10",
			OwnerID: ec2.AmazonOwner, Public: true, Platform: "windows", DeprecationTime: t0.Add(-24 * time.Hour),
			BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", VolumeSize: 50}}},
		awsemu.Image{ID: "ami-00000000000000020", Region: "us-east-1", Name: "al2023-ami-2023.6", OwnerID: ec2.AmazonOwner,
			Public: true, BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/xvda", VolumeSize: 8}}},
		awsemu.Image{ID: "ami-00000000000000030", Region: "us-east-1", Name: "shared-windows", OwnerID: "210987654321",
			Platform: "windows", LaunchPermissions: []string{awsemu.DefaultAccount},
			BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", VolumeSize: 50}}},
		awsemu.Image{ID: "ami-00000000000000040", Region: "us-east-1", Name: "private-other", OwnerID: "210987654321",
			Platform: "windows", BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", VolumeSize: 50}}},
	)
	return out
}

type world struct {
	srv   *awsemu.Server
	svc   *ec2.Service
	clock *awsemu.ManualClock
	cfg   aws.Config
	c     *sdk.Client
}

func start(t *testing.T) *world {
	t.Helper()
	srv := awsemu.NewServer()
	clock := awsemu.NewManualClock(t0)
	srv.Clock = clock
	svc := ec2.New(srv, seedImages())
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	return &world{srv: srv, svc: svc, clock: clock, cfg: cfg, c: sdk.NewFromConfig(cfg)}
}

func (w *world) region(r string) *sdk.Client {
	cfg := w.cfg.Copy()
	cfg.Region = r
	return sdk.NewFromConfig(cfg)
}

func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not a smithy.APIError", err)
	}
	return ae.ErrorCode()
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	if got := apiCode(t, err); got != code {
		t.Fatalf("error code %s (%v), want %s", got, err, code)
	}
}

func imageIDs(imgs []types.Image) []string {
	var out []string
	for _, i := range imgs {
		out = append(out, *i.ImageId)
	}
	sort.Strings(out)
	return out
}

var ctx = context.Background()

// windows is the platform EC2 reports on the wire (the SDK enum constant says "Windows").
const windows = types.PlatformValues("windows")

// runWindows launches one instance of a Windows image and returns its id.
func (w *world) run(t *testing.T, imageID string, tags map[string]string) string {
	t.Helper()
	in := &sdk.RunInstancesInput{ImageId: aws.String(imageID), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: types.InstanceTypeM6iLarge}
	if len(tags) > 0 {
		spec := types.TagSpecification{ResourceType: types.ResourceTypeInstance}
		for k, v := range tags {
			spec.Tags = append(spec.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		in.TagSpecifications = []types.TagSpecification{spec}
	}
	out, err := w.c.RunInstances(ctx, in)
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	return *out.Instances[0].InstanceId
}

// ownedImage creates an owned Windows image from an instance of a public one.
func (w *world) ownedImage(t *testing.T, name string) (imageID string, snapshots []string) {
	t.Helper()
	inst := w.run(t, "ami-00000000000000001", nil)
	out, err := w.c.CreateImage(ctx, &sdk.CreateImageInput{InstanceId: aws.String(inst), Name: aws.String(name),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeImage, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("win")}}}}})
	if err != nil {
		t.Fatalf("CreateImage: %v", err)
	}
	d, err := w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{*out.ImageId}})
	if err != nil || len(d.Images) != 1 {
		t.Fatalf("DescribeImages of the new image: %v %v", d, err)
	}
	for _, bd := range d.Images[0].BlockDeviceMappings {
		snapshots = append(snapshots, *bd.Ebs.SnapshotId)
	}
	return *out.ImageId, snapshots
}

func TestDescribeImagesOwnersFiltersAndVisibility(t *testing.T) {
	w := start(t)
	cases := []struct {
		name string
		in   sdk.DescribeImagesInput
		want []string
	}{
		{"amazon owner hides deprecated", sdk.DescribeImagesInput{Owners: []string{"amazon"}},
			[]string{"ami-00000000000000001", "ami-00000000000000002", "ami-00000000000000003", "ami-00000000000000020"}},
		{"include deprecated", sdk.DescribeImagesInput{Owners: []string{ec2.AmazonOwner}, IncludeDeprecated: aws.Bool(true),
			Filters: []types.Filter{{Name: aws.String("platform"), Values: []string{"windows"}}}},
			[]string{"ami-00000000000000001", "ami-00000000000000002", "ami-00000000000000003", "ami-00000000000000010"}},
		{"name wildcard star", sdk.DescribeImagesInput{Owners: []string{"amazon"},
			Filters: []types.Filter{{Name: aws.String("name"), Values: []string{"Windows_Server-2022-English-*-EKS_Optimized-1.31-*"}}}},
			[]string{"ami-00000000000000001", "ami-00000000000000002"}},
		{"name wildcard question mark", sdk.DescribeImagesInput{
			Filters: []types.Filter{{Name: aws.String("name"), Values: []string{"Windows_Server-20?9-English-Core-*"}}}},
			[]string{"ami-00000000000000003"}},
		{"tag filter and state", sdk.DescribeImagesInput{Filters: []types.Filter{
			{Name: aws.String("tag:os"), Values: []string{"win*"}}, {Name: aws.String("state"), Values: []string{"available"}}}},
			[]string{"ami-00000000000000001", "ami-00000000000000002", "ami-00000000000000003"}},
		{"tag-key", sdk.DescribeImagesInput{Filters: []types.Filter{{Name: aws.String("tag-key"), Values: []string{"os"}}}},
			[]string{"ami-00000000000000001", "ami-00000000000000002", "ami-00000000000000003"}},
		{"is-public false shows shared", sdk.DescribeImagesInput{Filters: []types.Filter{{Name: aws.String("is-public"), Values: []string{"false"}}}},
			[]string{"ami-00000000000000030"}},
		{"executable by self", sdk.DescribeImagesInput{ExecutableUsers: []string{"self"}}, []string{"ami-00000000000000030"}},
		{"owner-id filter", sdk.DescribeImagesInput{Filters: []types.Filter{{Name: aws.String("owner-id"), Values: []string{"210987654321"}}}},
			[]string{"ami-00000000000000030"}},
		{"ids return deprecated", sdk.DescribeImagesInput{ImageIds: []string{"ami-00000000000000010", "ami-00000000000000002"}},
			[]string{"ami-00000000000000002", "ami-00000000000000010"}},
		{"image-id filter", sdk.DescribeImagesInput{Filters: []types.Filter{{Name: aws.String("image-id"), Values: []string{"ami-0000000000000000[12]", "ami-00000000000000002"}}}},
			[]string{"ami-00000000000000002"}},
		{"owners self: none yet", sdk.DescribeImagesInput{Owners: []string{"self"}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := w.c.DescribeImages(ctx, &tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := imageIDs(out.Images); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	out, err := w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{"ami-00000000000000001"}})
	if err != nil {
		t.Fatal(err)
	}
	img := out.Images[0]
	if img.Platform != windows || *img.PlatformDetails != "Windows" || *img.ImageOwnerAlias != "amazon" ||
		*img.OwnerId != ec2.AmazonOwner || !*img.Public || img.State != types.ImageStateAvailable ||
		len(img.BlockDeviceMappings) != 1 || *img.BlockDeviceMappings[0].Ebs.VolumeSize != 50 || *img.BlockDeviceMappings[0].Ebs.SnapshotId == "" ||
		*img.CreationDate != "2026-11-01T12:00:00.000Z" || len(img.Tags) != 1 {
		t.Errorf("image fields: %+v", img)
	}
	// Another region has its own images: none of us-east-1's.
	other, err := w.region("eu-west-1").DescribeImages(ctx, &sdk.DescribeImagesInput{Owners: []string{"amazon"}})
	if err != nil || len(other.Images) != 0 {
		t.Errorf("eu-west-1 images: %v %v", other, err)
	}
}

func TestDescribeImagesErrors(t *testing.T) {
	w := start(t)
	_, err := w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{"ami-0123456789abcdef0"}})
	wantCode(t, err, "InvalidAMIID.NotFound")
	_, err = w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{"ami-00000000000000040"}})
	wantCode(t, err, "InvalidAMIID.NotFound") // private image of another account
	_, err = w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{"image-1"}})
	wantCode(t, err, "InvalidAMIID.Malformed")
	_, err = w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{"ami-00000000000000001"}, MaxResults: aws.Int32(5)})
	wantCode(t, err, "InvalidParameterCombination")
	_, err = w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{MaxResults: aws.Int32(4)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{Filters: []types.Filter{{Name: aws.String("colour"), Values: []string{"x"}}}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
}

func TestDescribeImagesPaginator(t *testing.T) {
	w := start(t)
	var want []string
	for i := 0; i < 12; i++ {
		id, _ := w.ownedImage(t, fmt.Sprintf("owned-%02d", i))
		want = append(want, id)
	}
	sort.Strings(want)
	p := sdk.NewDescribeImagesPaginator(w.c, &sdk.DescribeImagesInput{Owners: []string{"self"}, MaxResults: aws.Int32(5)})
	var got []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Images) > 5 {
			t.Fatalf("page of %d images with MaxResults 5", len(out.Images))
		}
		for _, i := range out.Images {
			got = append(got, *i.ImageId)
		}
	}
	sort.Strings(got)
	if pages != 3 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%d pages, images %v, want 3 pages of %v", pages, got, want)
	}
	_, err := w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{NextToken: aws.String("garbage")})
	wantCode(t, err, "InvalidNextToken")
}

func TestImageLifecycleSnapshotsAndTags(t *testing.T) {
	w := start(t)
	id, snaps := w.ownedImage(t, "golden-1")
	if len(snaps) != 1 {
		t.Fatalf("snapshots %v", snaps)
	}
	// The image is Windows (from its instance), owned, tagged at creation.
	out, _ := w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{Owners: []string{"self"}, Filters: []types.Filter{{Name: aws.String("tag:team"), Values: []string{"win"}}}})
	if len(out.Images) != 1 || out.Images[0].Platform != windows || *out.Images[0].OwnerId != awsemu.DefaultAccount {
		t.Fatalf("owned image: %+v", out.Images)
	}
	_, err := w.c.CreateImage(ctx, &sdk.CreateImageInput{InstanceId: out.Images[0].SourceInstanceId, Name: aws.String("golden-1")})
	wantCode(t, err, "InvalidAMIName.Duplicate")

	ds, err := w.c.DescribeSnapshots(ctx, &sdk.DescribeSnapshotsInput{OwnerIds: []string{"self"}})
	if err != nil || len(ds.Snapshots) != 1 || *ds.Snapshots[0].SnapshotId != snaps[0] || ds.Snapshots[0].State != types.SnapshotStateCompleted {
		t.Fatalf("DescribeSnapshots: %+v %v", ds, err)
	}
	_, err = w.c.DeleteSnapshot(ctx, &sdk.DeleteSnapshotInput{SnapshotId: aws.String(snaps[0])})
	wantCode(t, err, "InvalidSnapshot.InUse")

	// RegisterImage from the same snapshot: a second image using it.
	reg, err := w.c.RegisterImage(ctx, &sdk.RegisterImageInput{Name: aws.String("registered"), RootDeviceName: aws.String("/dev/sda1"),
		BlockDeviceMappings: []types.BlockDeviceMapping{{DeviceName: aws.String("/dev/sda1"), Ebs: &types.EbsBlockDevice{SnapshotId: aws.String(snaps[0])}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: []string{*reg.ImageId, snaps[0]}, Tags: []types.Tag{{Key: aws.String("stage"), Value: aws.String("test")}}, DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	if _, err = w.c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: []string{*reg.ImageId, snaps[0]}, Tags: []types.Tag{{Key: aws.String("stage"), Value: aws.String("test")}}}); err != nil {
		t.Fatal(err)
	}
	tagged, _ := w.c.DescribeSnapshots(ctx, &sdk.DescribeSnapshotsInput{Filters: []types.Filter{{Name: aws.String("tag:stage"), Values: []string{"test"}}}})
	if len(tagged.Snapshots) != 1 {
		t.Fatalf("tagged snapshots: %+v", tagged.Snapshots)
	}
	_, err = w.c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: []string{"ami-0123456789abcdef0"}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	wantCode(t, err, "InvalidAMIID.NotFound")
	// Tag restrictions: values up to 256 characters, 50 user tags per resource.
	_, err = w.c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: []string{*reg.ImageId}, Tags: []types.Tag{{Key: aws.String("long"), Value: aws.String(strings.Repeat("v", 257))}}})
	wantCode(t, err, "InvalidParameterValue")
	var fifty []types.Tag
	for i := 0; i < 49; i++ { // + "stage" = 50
		fifty = append(fifty, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String(strings.Repeat("v", 256))})
	}
	if _, err = w.c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: []string{*reg.ImageId}, Tags: fifty}); err != nil {
		t.Fatalf("50 tags: %v", err)
	}
	_, err = w.c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: []string{*reg.ImageId}, Tags: []types.Tag{{Key: aws.String("one-more"), Value: aws.String("x")}}})
	wantCode(t, err, "TagLimitExceeded")
	if _, err = w.c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: []string{*reg.ImageId}, Tags: []types.Tag{{Key: aws.String("k0"), Value: aws.String("replaced")}}}); err != nil {
		t.Fatalf("replacing a tag at the limit: %v", err)
	}

	// Deregistering somebody else's image is refused; DryRun does not deregister.
	_, err = w.c.DeregisterImage(ctx, &sdk.DeregisterImageInput{ImageId: aws.String("ami-00000000000000001")})
	wantCode(t, err, "AuthFailure")
	_, err = w.c.DeregisterImage(ctx, &sdk.DeregisterImageInput{ImageId: aws.String(id), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	if _, err := w.c.DeregisterImage(ctx, &sdk.DeregisterImageInput{ImageId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	// As on AWS (and moto), a deregistered id is not an error: it is no longer listed.
	gone, err := w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil || len(gone.Images) != 0 {
		t.Fatalf("DescribeImages of a deregistered image: %+v %v", gone, err)
	}
	_, err = w.c.DeregisterImage(ctx, &sdk.DeregisterImageInput{ImageId: aws.String(id)})
	wantCode(t, err, "InvalidAMIID.Unavailable")
	// Still in use by the registered image.
	_, err = w.c.DeleteSnapshot(ctx, &sdk.DeleteSnapshotInput{SnapshotId: aws.String(snaps[0])})
	wantCode(t, err, "InvalidSnapshot.InUse")
	dr, err := w.c.DeregisterImage(ctx, &sdk.DeregisterImageInput{ImageId: reg.ImageId, DeleteAssociatedSnapshots: aws.Bool(true)})
	if err != nil || len(dr.DeleteSnapshotResults) != 1 || *dr.DeleteSnapshotResults[0].SnapshotId != snaps[0] || dr.DeleteSnapshotResults[0].ReturnCode != types.SnapshotReturnCodesSuccess {
		t.Fatalf("DeregisterImage with snapshots: %+v %v", dr, err)
	}
	_, err = w.c.DeleteSnapshot(ctx, &sdk.DeleteSnapshotInput{SnapshotId: aws.String(snaps[0])})
	wantCode(t, err, "InvalidSnapshot.NotFound")
	_, err = w.c.DescribeSnapshots(ctx, &sdk.DescribeSnapshotsInput{SnapshotIds: []string{snaps[0]}})
	wantCode(t, err, "InvalidSnapshot.NotFound")
}

func TestSnapshotsPaginator(t *testing.T) {
	w := start(t)
	inst := w.run(t, "ami-00000000000000001", nil)
	d, err := w.c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{InstanceIds: []string{inst}})
	if err != nil {
		t.Fatal(err)
	}
	vol := d.Reservations[0].Instances[0].BlockDeviceMappings[0].Ebs.VolumeId
	var want []string
	for i := 0; i < 7; i++ {
		s, err := w.c.CreateSnapshot(ctx, &sdk.CreateSnapshotInput{VolumeId: vol, Description: aws.String(fmt.Sprint("n", i))})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, *s.SnapshotId)
	}
	sort.Strings(want)
	p := sdk.NewDescribeSnapshotsPaginator(w.c, &sdk.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(5)})
	var got []string
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.Snapshots {
			got = append(got, *s.SnapshotId)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("paged snapshots %v, want %v", got, want)
	}
	_, err = w.c.DescribeSnapshots(ctx, &sdk.DescribeSnapshotsInput{SnapshotIds: want[:1], MaxResults: aws.Int32(5)})
	wantCode(t, err, "InvalidParameterCombination")
}

func TestInstancesFiltersPaginationAndStates(t *testing.T) {
	w := start(t)
	var ids []string
	for i := 0; i < 6; i++ {
		ids = append(ids, w.run(t, "ami-00000000000000001", map[string]string{"role": "win-node", "n": fmt.Sprint(i)}))
	}
	linux := w.run(t, "ami-00000000000000020", map[string]string{"role": "linux-node"})
	_, err := w.c.RunInstances(ctx, &sdk.RunInstancesInput{ImageId: aws.String("ami-00000000000000001"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	_, err = w.c.RunInstances(ctx, &sdk.RunInstancesInput{ImageId: aws.String("ami-0123456789abcdef0"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	wantCode(t, err, "InvalidAMIID.NotFound")

	if _, err := w.c.StopInstances(ctx, &sdk.StopInstancesInput{InstanceIds: ids[:1]}); err != nil {
		t.Fatal(err)
	}
	term, err := w.c.TerminateInstances(ctx, &sdk.TerminateInstancesInput{InstanceIds: ids[1:2]})
	if err != nil || term.TerminatingInstances[0].CurrentState.Name != types.InstanceStateNameShuttingDown {
		t.Fatalf("TerminateInstances: %+v %v", term, err)
	}
	count := func(in *sdk.DescribeInstancesInput) []string {
		t.Helper()
		var got []string
		p := sdk.NewDescribeInstancesPaginator(w.c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Reservations {
				for _, i := range r.Instances {
					got = append(got, *i.InstanceId)
				}
			}
		}
		sort.Strings(got)
		return got
	}
	if got := count(&sdk.DescribeInstancesInput{MaxResults: aws.Int32(5)}); len(got) != 7 {
		t.Errorf("all instances, paged by 5: %v", got)
	}
	running := count(&sdk.DescribeInstancesInput{Filters: []types.Filter{
		{Name: aws.String("instance-state-name"), Values: []string{"running"}},
		{Name: aws.String("image-id"), Values: []string{"ami-00000000000000001"}},
	}})
	want := append([]string(nil), ids[2:]...)
	sort.Strings(want)
	if fmt.Sprint(running) != fmt.Sprint(want) {
		t.Errorf("running Windows instances %v, want %v", running, want)
	}
	if got := count(&sdk.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("tag:role"), Values: []string{"linux-*"}}}}); fmt.Sprint(got) != fmt.Sprint([]string{linux}) {
		t.Errorf("tag filter: %v", got)
	}
	out, err := w.c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{InstanceIds: []string{ids[0], ids[1]}})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]types.InstanceStateName{}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			states[*i.InstanceId] = i.State.Name
			if i.Platform != windows || *i.VpcId == "" {
				t.Errorf("instance fields %+v", i)
			}
		}
	}
	if states[ids[0]] != types.InstanceStateNameStopped || states[ids[1]] != types.InstanceStateNameTerminated {
		t.Errorf("states %v", states)
	}
	_, err = w.c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	_, err = w.c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{MaxResults: aws.Int32(1001)})
	wantCode(t, err, "InvalidParameterValue")
}

func (w *world) template(t *testing.T, name, imageID string) string {
	t.Helper()
	out, err := w.c.CreateLaunchTemplate(ctx, &sdk.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(imageID), InstanceType: types.InstanceTypeM6iLarge}})
	if err != nil {
		t.Fatalf("CreateLaunchTemplate: %v", err)
	}
	return *out.LaunchTemplate.LaunchTemplateId
}

func TestLaunchTemplatesAndVersions(t *testing.T) {
	w := start(t)
	lt := w.template(t, "win-nodes", "ami-00000000000000001")
	_, err := w.c.CreateLaunchTemplate(ctx, &sdk.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("win-nodes"), LaunchTemplateData: &types.RequestLaunchTemplateData{}})
	wantCode(t, err, "InvalidLaunchTemplateName.AlreadyExistsException")
	v2, err := w.c.CreateLaunchTemplateVersion(ctx, &sdk.CreateLaunchTemplateVersionInput{LaunchTemplateId: aws.String(lt), SourceVersion: aws.String("1"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String("ami-00000000000000002")}})
	if err != nil || *v2.LaunchTemplateVersion.VersionNumber != 2 || v2.LaunchTemplateVersion.LaunchTemplateData.InstanceType != types.InstanceTypeM6iLarge {
		t.Fatalf("CreateLaunchTemplateVersion: %+v %v", v2, err)
	}
	versions := func(vs ...string) []string {
		t.Helper()
		out, err := w.c.DescribeLaunchTemplateVersions(ctx, &sdk.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String("win-nodes"), Versions: vs})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range out.LaunchTemplateVersions {
			got = append(got, fmt.Sprintf("%d:%s:%v", *v.VersionNumber, *v.LaunchTemplateData.ImageId, *v.DefaultVersion))
		}
		return got
	}
	if got := fmt.Sprint(versions("$Default", "$Latest")); got != "[2:ami-00000000000000002:false 1:ami-00000000000000001:true]" {
		t.Errorf("$Default,$Latest: %s", got)
	}
	_, err = w.c.ModifyLaunchTemplate(ctx, &sdk.ModifyLaunchTemplateInput{LaunchTemplateId: aws.String(lt), DefaultVersion: aws.String("2"), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	mod, err := w.c.ModifyLaunchTemplate(ctx, &sdk.ModifyLaunchTemplateInput{LaunchTemplateId: aws.String(lt), DefaultVersion: aws.String("2")})
	if err != nil || *mod.LaunchTemplate.DefaultVersionNumber != 2 || *mod.LaunchTemplate.LatestVersionNumber != 2 {
		t.Fatalf("ModifyLaunchTemplate: %+v %v", mod, err)
	}
	if got := fmt.Sprint(versions("$Default")); got != "[2:ami-00000000000000002:true]" {
		t.Errorf("$Default after modify: %s", got)
	}
	_, err = w.c.DescribeLaunchTemplateVersions(ctx, &sdk.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(lt), Versions: []string{"7"}})
	wantCode(t, err, "InvalidLaunchTemplateId.VersionNotFound")
	for i := 0; i < 3; i++ {
		w.template(t, fmt.Sprintf("other-%d", i), "ami-00000000000000020")
	}
	p := sdk.NewDescribeLaunchTemplatesPaginator(w.c, &sdk.DescribeLaunchTemplatesInput{MaxResults: aws.Int32(2)})
	n := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.LaunchTemplates)
	}
	if n != 4 {
		t.Errorf("paged launch templates: %d, want 4", n)
	}
	_, err = w.c.DescribeLaunchTemplates(ctx, &sdk.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{"nope"}})
	wantCode(t, err, "InvalidLaunchTemplateName.NotFoundException")
	// A launch from the template follows its default version.
	run, err := w.c.RunInstances(ctx, &sdk.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("win-nodes")}})
	if err != nil || *run.Instances[0].ImageId != "ami-00000000000000002" {
		t.Fatalf("RunInstances from template: %+v %v", run, err)
	}
}

func TestRegionsAndVpcs(t *testing.T) {
	w := start(t)
	out, err := w.c.DescribeRegions(ctx, &sdk.DescribeRegionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := w.c.DescribeRegions(ctx, &sdk.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Regions) != len(ec2.RegionNames()) || len(all.Regions) <= len(out.Regions) {
		t.Errorf("%d regions, %d with AllRegions", len(out.Regions), len(all.Regions))
	}
	one, err := w.c.DescribeRegions(ctx, &sdk.DescribeRegionsInput{RegionNames: []string{"eu-west-1"}})
	if err != nil || len(one.Regions) != 1 || *one.Regions[0].Endpoint != "ec2.eu-west-1.amazonaws.com" {
		t.Errorf("eu-west-1: %+v %v", one, err)
	}
	vpcs, err := w.c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
	if err != nil || len(vpcs.Vpcs) != 1 || !*vpcs.Vpcs[0].IsDefault || *vpcs.Vpcs[0].CidrBlock != "172.31.0.0/16" {
		t.Fatalf("default VPC: %+v %v", vpcs, err)
	}
	none, _ := w.c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("is-default"), Values: []string{"false"}}}})
	if len(none.Vpcs) != 0 {
		t.Errorf("non-default VPCs: %+v", none.Vpcs)
	}
	west, _ := w.region("us-west-2").DescribeVpcs(ctx, &sdk.DescribeVpcsInput{})
	if len(west.Vpcs) != 1 || *west.Vpcs[0].VpcId == *vpcs.Vpcs[0].VpcId {
		t.Errorf("us-west-2 default VPC %+v should differ from us-east-1's", west.Vpcs)
	}
}

func TestFastLaunchStateMachine(t *testing.T) {
	w := start(t)
	img, _ := w.ownedImage(t, "fast")
	lt := w.template(t, "fl-template", img)
	enable := func(in sdk.EnableFastLaunchInput) (*sdk.EnableFastLaunchOutput, error) {
		return w.c.EnableFastLaunch(ctx, &in)
	}
	good := sdk.EnableFastLaunchInput{ImageId: aws.String(img), ResourceType: aws.String("snapshot"), MaxParallelLaunches: aws.Int32(6),
		SnapshotConfiguration: &types.FastLaunchSnapshotConfigurationRequest{TargetResourceCount: aws.Int32(10)},
		LaunchTemplate:        &types.FastLaunchLaunchTemplateSpecificationRequest{LaunchTemplateId: aws.String(lt), Version: aws.String("$Default")}}

	bad := good
	bad.MaxParallelLaunches = aws.Int32(5)
	_, err := enable(bad)
	wantCode(t, err, "InvalidParameterValue")
	bad = good
	bad.SnapshotConfiguration = &types.FastLaunchSnapshotConfigurationRequest{TargetResourceCount: aws.Int32(0)}
	_, err = enable(bad)
	wantCode(t, err, "InvalidParameterValue")
	bad = good
	bad.LaunchTemplate = &types.FastLaunchLaunchTemplateSpecificationRequest{LaunchTemplateId: aws.String(lt), LaunchTemplateName: aws.String("fl-template"), Version: aws.String("1")}
	_, err = enable(bad)
	wantCode(t, err, "InvalidParameterCombination")
	bad = good
	bad.ImageId = aws.String("ami-00000000000000001") // Amazon's public EKS AMI: not owned, not shared
	_, err = enable(bad)
	wantCode(t, err, "InvalidParameterValue")
	bad = good
	bad.ImageId = aws.String("ami-00000000000000020") // public Linux image
	_, err = enable(bad)
	wantCode(t, err, "InvalidParameterValue")
	bad = good
	bad.DryRun = aws.Bool(true)
	_, err = enable(bad)
	wantCode(t, err, "DryRunOperation")
	if d, _ := w.c.DescribeFastLaunchImages(ctx, &sdk.DescribeFastLaunchImagesInput{}); len(d.FastLaunchImages) != 0 {
		t.Fatalf("fast launch images before enabling: %+v", d.FastLaunchImages)
	}

	out, err := enable(good)
	if err != nil || out.State != types.FastLaunchStateCodeEnabling || *out.MaxParallelLaunches != 6 ||
		*out.SnapshotConfiguration.TargetResourceCount != 10 || *out.LaunchTemplate.LaunchTemplateId != lt || *out.OwnerId != awsemu.DefaultAccount {
		t.Fatalf("EnableFastLaunch: %+v %v", out, err)
	}
	describe := func() types.DescribeFastLaunchImagesSuccessItem {
		t.Helper()
		d, err := w.c.DescribeFastLaunchImages(ctx, &sdk.DescribeFastLaunchImagesInput{ImageIds: []string{img}})
		if err != nil || len(d.FastLaunchImages) != 1 {
			t.Fatalf("DescribeFastLaunchImages: %+v %v", d, err)
		}
		return d.FastLaunchImages[0]
	}
	w.clock.Advance(ec2.FastLaunchEnableDelay - time.Second)
	if s := describe(); s.State != types.FastLaunchStateCodeEnabling {
		t.Fatalf("state before the delay: %s", s.State)
	}
	w.clock.Advance(time.Second)
	s := describe()
	if s.State != types.FastLaunchStateCodeEnabled || !s.StateTransitionTime.Equal(t0.Add(ec2.FastLaunchEnableDelay)) {
		t.Fatalf("after the delay: %s at %v", s.State, s.StateTransitionTime)
	}
	_, err = w.c.DisableFastLaunch(ctx, &sdk.DisableFastLaunchInput{ImageId: aws.String(img), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	dis, err := w.c.DisableFastLaunch(ctx, &sdk.DisableFastLaunchInput{ImageId: aws.String(img)})
	if err != nil || dis.State != types.FastLaunchStateCodeDisabling {
		t.Fatalf("DisableFastLaunch: %+v %v", dis, err)
	}
	_, err = enable(good)
	wantCode(t, err, "IncorrectState")
	w.clock.Advance(ec2.FastLaunchDisableDelay)
	if d, _ := w.c.DescribeFastLaunchImages(ctx, &sdk.DescribeFastLaunchImagesInput{}); len(d.FastLaunchImages) != 0 {
		t.Fatalf("fast launch images after disabling: %+v", d.FastLaunchImages)
	}
	_, err = w.c.DisableFastLaunch(ctx, &sdk.DisableFastLaunchInput{ImageId: aws.String(img)})
	wantCode(t, err, "InvalidParameterValue")

	// A shared Windows image qualifies; by template name this time.
	shared := good
	shared.ImageId = aws.String("ami-00000000000000030")
	shared.LaunchTemplate = &types.FastLaunchLaunchTemplateSpecificationRequest{LaunchTemplateName: aws.String("fl-template"), Version: aws.String("$Latest")}
	if _, err := enable(shared); err != nil {
		t.Fatalf("EnableFastLaunch on a shared image: %v", err)
	}
}

func TestFastLaunchEnablingFailedByTag(t *testing.T) {
	w := start(t)
	img, _ := w.ownedImage(t, "fails")
	if _, err := w.c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: []string{img},
		Tags: []types.Tag{{Key: aws.String(ec2.FailFastLaunchTag), Value: aws.String("Client.InvalidLaunchTemplate: boom")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.EnableFastLaunch(ctx, &sdk.EnableFastLaunchInput{ImageId: aws.String(img), MaxParallelLaunches: aws.Int32(6)}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(ec2.FastLaunchEnableDelay)
	d, err := w.c.DescribeFastLaunchImages(ctx, &sdk.DescribeFastLaunchImagesInput{Filters: []types.Filter{{Name: aws.String("state"), Values: []string{"enabling-failed"}}}})
	if err != nil || len(d.FastLaunchImages) != 1 || *d.FastLaunchImages[0].StateTransitionReason != "Client.InvalidLaunchTemplate: boom" ||
		*d.FastLaunchImages[0].SnapshotConfiguration.TargetResourceCount != 5 {
		t.Fatalf("enabling-failed: %+v %v", d, err)
	}
}

func TestThrottleAndStoreInterface(t *testing.T) {
	w := start(t)
	w.srv.Faults.FailNext("ec2", "DescribeImages", awsemu.FaultError{Throttle: true, Message: "Rate exceeded"})
	_, err := w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{})
	wantCode(t, err, "RequestLimitExceeded")

	// Images put through the store (as Image Builder does) appear over HTTP with snapshots.
	store := w.srv.EC2
	put := store.PutImage(awsemu.Image{Region: "us-west-2", Name: "built", Platform: "windows",
		BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", VolumeSize: 60}}})
	west := w.region("us-west-2")
	out, err := west.DescribeImages(ctx, &sdk.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil || len(out.Images) != 1 || *out.Images[0].ImageId != put.ID || *out.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId != put.BlockDevices[0].SnapshotID {
		t.Fatalf("stored image over HTTP: %+v %v", out, err)
	}
	if err := store.EnableFastLaunch("us-west-2", put.ID, awsemu.DefaultAccount, awsemu.FastLaunchSettings{MaxParallelLaunches: 2}); err == nil {
		t.Fatal("store EnableFastLaunch with MaxParallelLaunches 2: no error")
	}
	if err := store.EnableFastLaunch("us-west-2", put.ID, awsemu.DefaultAccount, awsemu.FastLaunchSettings{TargetResourceCount: 3, MaxParallelLaunches: 6}); err != nil {
		t.Fatal(err)
	}
	d, err := west.DescribeFastLaunchImages(ctx, &sdk.DescribeFastLaunchImagesInput{})
	if err != nil || len(d.FastLaunchImages) != 1 || d.FastLaunchImages[0].State != types.FastLaunchStateCodeEnabling {
		t.Fatalf("fast launch after the store call: %+v %v", d, err)
	}
	if _, ok := store.GetImage("us-west-2", put.ID); !ok {
		t.Fatal("GetImage of the stored image: not found")
	}
	if _, ok := store.GetImage("us-east-1", put.ID); ok {
		t.Fatal("GetImage in another region: found")
	}
}

// TestDryRunOnEveryMutatingCall checks that DryRun answers DryRunOperation (HTTP 412)
// where the call would succeed, and that nothing changes.
func TestDryRunOnEveryMutatingCall(t *testing.T) {
	w := start(t)
	img, snaps := w.ownedImage(t, "dry")
	inst := w.run(t, "ami-00000000000000001", map[string]string{"k": "v"})
	lt := w.template(t, "dry-template", img)
	d, err := w.c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{InstanceIds: []string{inst}})
	if err != nil {
		t.Fatal(err)
	}
	vol := d.Reservations[0].Instances[0].BlockDeviceMappings[0].Ebs.VolumeId
	// A snapshot no image uses, so that DeleteSnapshot would succeed.
	free, err := w.c.CreateSnapshot(ctx, &sdk.CreateSnapshotInput{VolumeId: vol})
	if err != nil {
		t.Fatal(err)
	}
	dry := aws.Bool(true)
	calls := map[string]func() error{
		"RegisterImage": func() error {
			_, err := w.c.RegisterImage(ctx, &sdk.RegisterImageInput{DryRun: dry, Name: aws.String("dry-reg"), RootDeviceName: aws.String("/dev/sda1"),
				BlockDeviceMappings: []types.BlockDeviceMapping{{DeviceName: aws.String("/dev/sda1"), Ebs: &types.EbsBlockDevice{SnapshotId: aws.String(snaps[0])}}}})
			return err
		},
		"CreateImage": func() error {
			_, err := w.c.CreateImage(ctx, &sdk.CreateImageInput{DryRun: dry, InstanceId: aws.String(inst), Name: aws.String("dry-2")})
			return err
		},
		"DeleteSnapshot": func() error {
			_, err := w.c.DeleteSnapshot(ctx, &sdk.DeleteSnapshotInput{DryRun: dry, SnapshotId: free.SnapshotId})
			return err
		},
		"CreateSnapshot": func() error {
			_, err := w.c.CreateSnapshot(ctx, &sdk.CreateSnapshotInput{DryRun: dry, VolumeId: vol})
			return err
		},
		"DeleteTags": func() error {
			_, err := w.c.DeleteTags(ctx, &sdk.DeleteTagsInput{DryRun: dry, Resources: []string{inst}, Tags: []types.Tag{{Key: aws.String("k")}}})
			return err
		},
		"StopInstances": func() error {
			_, err := w.c.StopInstances(ctx, &sdk.StopInstancesInput{DryRun: dry, InstanceIds: []string{inst}})
			return err
		},
		"StartInstances": func() error {
			_, err := w.c.StartInstances(ctx, &sdk.StartInstancesInput{DryRun: dry, InstanceIds: []string{inst}})
			return err
		},
		"TerminateInstances": func() error {
			_, err := w.c.TerminateInstances(ctx, &sdk.TerminateInstancesInput{DryRun: dry, InstanceIds: []string{inst}})
			return err
		},
		"CreateLaunchTemplate": func() error {
			_, err := w.c.CreateLaunchTemplate(ctx, &sdk.CreateLaunchTemplateInput{DryRun: dry, LaunchTemplateName: aws.String("dry-2"),
				LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(img)}})
			return err
		},
		"CreateLaunchTemplateVersion": func() error {
			_, err := w.c.CreateLaunchTemplateVersion(ctx, &sdk.CreateLaunchTemplateVersionInput{DryRun: dry, LaunchTemplateId: aws.String(lt),
				LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeM6iXlarge}})
			return err
		},
		"DeleteLaunchTemplate": func() error {
			_, err := w.c.DeleteLaunchTemplate(ctx, &sdk.DeleteLaunchTemplateInput{DryRun: dry, LaunchTemplateId: aws.String(lt)})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			wantCode(t, err, "DryRunOperation")
			var re interface{ HTTPStatusCode() int }
			if !errors.As(err, &re) || re.HTTPStatusCode() != 412 {
				t.Errorf("HTTP status of DryRunOperation: %v", err)
			}
		})
	}
	// Nothing changed.
	imgs, _ := w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{Owners: []string{"self"}})
	snapsNow, _ := w.c.DescribeSnapshots(ctx, &sdk.DescribeSnapshotsInput{OwnerIds: []string{"self"}})
	d, _ = w.c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{InstanceIds: []string{inst}})
	lts, _ := w.c.DescribeLaunchTemplates(ctx, &sdk.DescribeLaunchTemplatesInput{})
	in := d.Reservations[0].Instances[0]
	if len(imgs.Images) != 1 || len(snapsNow.Snapshots) != 2 || in.State.Name != types.InstanceStateNameRunning || len(in.Tags) != 1 ||
		len(lts.LaunchTemplates) != 1 || *lts.LaunchTemplates[0].LatestVersionNumber != 1 {
		t.Errorf("state changed by dry runs: %d images, %d snapshots, instance %s with %d tags, templates %+v",
			len(imgs.Images), len(snapsNow.Snapshots), in.State.Name, len(in.Tags), lts.LaunchTemplates)
	}
}

// TestStoredImageEncryption: an image put through the store with encrypted devices (as Image
// Builder's encrypted builds are) shows Encrypted on DescribeImages' block devices and
// Encrypted/KmsKeyId on DescribeSnapshots (EC2 API Reference, EbsBlockDevice and Snapshot:
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EbsBlockDevice.html,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html); the filter
// encrypted selects by it.
func TestStoredImageEncryption(t *testing.T) {
	w := start(t)
	key := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	put := w.srv.EC2.PutImage(awsemu.Image{Region: "us-east-1", Name: "enc", Platform: "windows", BlockDevices: []awsemu.BlockDevice{
		{DeviceName: "/dev/sda1", VolumeSize: 60, Encrypted: true, KmsKeyID: key}, {DeviceName: "xvdb", VolumeSize: 8}}})
	out, err := w.c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{put.ID}})
	if err != nil || len(out.Images) != 1 {
		t.Fatalf("DescribeImages: %v %+v", err, out)
	}
	bds := out.Images[0].BlockDeviceMappings
	if !aws.ToBool(bds[0].Ebs.Encrypted) || aws.ToBool(bds[1].Ebs.Encrypted) {
		t.Fatalf("image block devices %+v %+v", bds[0].Ebs, bds[1].Ebs)
	}
	snaps, err := w.c.DescribeSnapshots(ctx, &sdk.DescribeSnapshotsInput{SnapshotIds: []string{put.BlockDevices[0].SnapshotID, put.BlockDevices[1].SnapshotID}})
	if err != nil || len(snaps.Snapshots) != 2 {
		t.Fatalf("DescribeSnapshots: %v %+v", err, snaps)
	}
	for _, sn := range snaps.Snapshots {
		enc := aws.ToString(sn.SnapshotId) == put.BlockDevices[0].SnapshotID
		if aws.ToBool(sn.Encrypted) != enc || (enc && aws.ToString(sn.KmsKeyId) != key) || (!enc && sn.KmsKeyId != nil) {
			t.Fatalf("snapshot %+v", sn)
		}
	}
	f, err := w.c.DescribeSnapshots(ctx, &sdk.DescribeSnapshotsInput{OwnerIds: []string{"self"},
		Filters: []types.Filter{{Name: aws.String("encrypted"), Values: []string{"true"}}}})
	if err != nil || len(f.Snapshots) != 1 || aws.ToString(f.Snapshots[0].SnapshotId) != put.BlockDevices[0].SnapshotID {
		t.Fatalf("encrypted filter: %v %+v", err, f)
	}
}
