package cli

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/internal/awsfixture"
)

// TestOperatorCannotHijackForeignAMIs (issue 14): with the policy `winami iam-policy --for
// operator -f winami.yaml` prints as its only rights, the caller cannot make an AMI that
// is not winami's look like winami's and then deregister it through prune's tag-scoped
// statement, nor mark a snapshot that is not Image Builder's for prune and delete it:
// each step is refused by EC2 (UnauthorizedOperation) and the AMIs, their tags and the
// snapshot stay. The old policy let ec2:CreateTags tag any image.
func TestOperatorCannotHijackForeignAMIs(t *testing.T) {
	t.Parallel()
	srv := useBuildWorld(t, fastClock())
	ctx := context.Background()
	const region = "us-east-1"
	c := awsfixture.New(awstest.SDKConfig(srv.URL(), region))
	f := specWith(t)

	// A hand-made AMI, another team's Image Builder AMI, and a snapshot no AMI uses (left
	// by a deregistered hand-made AMI: a backup, say).
	handMade := ownedImage(t, srv, region)
	other := srv.EC2.PutImage(awsemu.Image{Region: region, Name: "team-b 2026-12-06", OwnerID: srv.Account, State: "available",
		Platform: "windows", PlatformDetails: "Windows", Architecture: "x86_64", CreationDate: srv.Clock.Now(),
		BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", VolumeSize: 50}},
		Tags:         map[string]string{"CreatedBy": "EC2 Image Builder", "Ec2ImageBuilderArn": "arn:aws:imagebuilder:us-east-1:" + srv.Account + ":image/team-b/1.0.0/1"},
		SnapshotTags: map[string]string{"CreatedBy": "EC2 Image Builder"}}).ID
	backupAMI := ownedImage(t, srv, region)
	desc, err := c.DescribeImages(ctx, backupAMI)
	if err != nil || len(desc.Images) != 1 {
		t.Fatalf("DescribeImages %s: %v", backupAMI, err)
	}
	backup := aws.ToString(desc.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId)
	if _, err := c.DeregisterImage(ctx, backupAMI); err != nil {
		t.Fatal(err)
	}

	asOperator(t, srv, operatorPolicy(t, f, false))

	hijack := map[string]string{"winami:managed-by": "winami", "winami:name": "cli-win2022"}
	refused := map[string]func() error{
		"tagging the hand-made AMI winami's": func() error {
			_, err := c.CreateTags(ctx, hijack, handMade)
			return err
		},
		"tagging team-b's Image Builder AMI winami's": func() error {
			_, err := c.CreateTags(ctx, hijack, other)
			return err
		},
		"tagging team-b's AMI with a build input (a key TagImages allows)": func() error {
			_, err := c.CreateTags(ctx, map[string]string{"winami:inputs-hash": "x"}, other)
			return err
		},
		"deregistering the hand-made AMI": func() error {
			_, err := c.DeregisterImage(ctx, handMade)
			return err
		},
		"deregistering team-b's AMI": func() error {
			_, err := c.DeregisterImage(ctx, other)
			return err
		},
		"marking the backup snapshot for prune": func() error {
			_, err := c.CreateTags(ctx, map[string]string{"winami:prune-pending": "cli-win2022"}, backup)
			return err
		},
		"deleting the backup snapshot": func() error {
			_, err := c.DeleteSnapshot(ctx, backup)
			return err
		},
	}
	for what, call := range refused {
		if err := call(); awsapi.ErrorCode(err) != "UnauthorizedOperation" {
			t.Errorf("%s as the operator: %v, want UnauthorizedOperation", what, err)
		}
	}

	// Nothing changed: both AMIs are there with their own tags, the snapshot too.
	out, err := c.DescribeImages(ctx, handMade, other)
	if err != nil || len(out.Images) != 2 {
		t.Fatalf("the AMIs after the attempts: %v, %d found", err, len(out.Images))
	}
	for _, im := range out.Images {
		for _, tg := range im.Tags {
			if k := aws.ToString(tg.Key); k == "winami:managed-by" || k == "winami:name" || k == "winami:inputs-hash" {
				t.Errorf("%s was tagged %s", aws.ToString(im.ImageId), k)
			}
		}
	}
	snaps, err := c.DescribeSnapshots(ctx, backup)
	if err != nil || len(snaps.Snapshots) != 1 || len(snaps.Snapshots[0].Tags) != 0 {
		t.Errorf("the backup snapshot after the attempts: %v %+v", err, snaps)
	}
}
