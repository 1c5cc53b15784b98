package ec2_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
)

// TestTagScopedActionsAuthorizeTheCaller: the caller's CreateTags, DeregisterImage and
// DeleteSnapshot are evaluated by IAM with the request's tags (aws:RequestTag/…,
// aws:TagKeys) and the resource's (ec2:ResourceTag/…): a refusal is UnauthorizedOperation,
// also for DryRun, and changes nothing; a CreateTags naming one refused resource tags none.
// No ec2:CreateAction is in a direct CreateTags' context. An allowed DeleteSnapshot of a
// snapshot an AMI uses is still InvalidSnapshot.InUse.
func TestTagScopedActionsAuthorizeTheCaller(t *testing.T) {
	srv := emulatortest.Start(t)
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	c, ic := sdk.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	put := func(tags, snapTags map[string]string) types.Image {
		id := srv.EC2.PutImage(awsemu.Image{Region: "us-east-1", Name: "img-" + tags["n"], OwnerID: awsemu.DefaultAccount,
			Platform: "windows", PlatformDetails: "Windows", State: "available", Tags: tags, SnapshotTags: snapTags,
			BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", VolumeSize: 50}}}).ID
		out, err := c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{id}})
		if err != nil || len(out.Images) != 1 {
			t.Fatalf("DescribeImages %s: %v", id, err)
		}
		return out.Images[0]
	}
	snapOf := func(im types.Image) string { return aws.ToString(im.BlockDeviceMappings[0].Ebs.SnapshotId) }
	ours := put(map[string]string{"n": "ours", "owner": "winami"}, map[string]string{"CreatedBy": "EC2 Image Builder"})
	theirs := put(map[string]string{"n": "theirs"}, nil)
	gone := put(map[string]string{"n": "gone", "owner": "winami"}, map[string]string{"CreatedBy": "EC2 Image Builder"})
	freeSnap := snapOf(gone)
	deregister := func(id string) error {
		_, err := c.DeregisterImage(ctx, &sdk.DeregisterImageInput{ImageId: aws.String(id)})
		return err
	}
	deleteSnapshot := func(id string) error {
		_, err := c.DeleteSnapshot(ctx, &sdk.DeleteSnapshotInput{SnapshotId: aws.String(id)})
		return err
	}
	if err := deregister(aws.ToString(gone.ImageId)); err != nil {
		t.Fatal(err)
	}

	user := aws.String(awsemu.CallerUserName)
	if _, err := ic.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: user, PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"},
	 {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*::image/*","Condition":{
	   "StringEquals":{"ec2:ResourceTag/owner":"winami"},"ForAllValues:StringEquals":{"aws:TagKeys":"note"}}},
	 {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*::image/*","Condition":{"StringEquals":{"ec2:CreateAction":"CreateImage"}}},
	 {"Effect":"Allow","Action":"ec2:DeregisterImage","Resource":"arn:aws:ec2:*::image/*","Condition":{"StringEquals":{"ec2:ResourceTag/owner":"winami"}}},
	 {"Effect":"Allow","Action":"ec2:DeleteSnapshot","Resource":"arn:aws:ec2:*::snapshot/*","Condition":{"StringEquals":{"ec2:ResourceTag/CreatedBy":"EC2 Image Builder"}}}]}`
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: aws.String("scoped"), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	tag := func(ids []string, key string, dry bool) error {
		_, err := c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: ids, Tags: []types.Tag{{Key: aws.String(key), Value: aws.String("x")}}, DryRun: aws.Bool(dry)})
		return err
	}
	oursID, theirsID := aws.ToString(ours.ImageId), aws.ToString(theirs.ImageId)

	wantCode(t, tag([]string{oursID}, "note", true), "DryRunOperation")
	wantCode(t, tag([]string{oursID}, "owner", true), "UnauthorizedOperation")
	wantCode(t, tag([]string{oursID}, "owner", false), "UnauthorizedOperation")
	wantCode(t, tag([]string{theirsID}, "note", false), "UnauthorizedOperation")
	wantCode(t, tag([]string{oursID, theirsID}, "note", false), "UnauthorizedOperation")
	wantCode(t, deregister(theirsID), "UnauthorizedOperation")
	wantCode(t, deleteSnapshot(snapOf(theirs)), "UnauthorizedOperation")
	for _, id := range []string{oursID, theirsID} {
		out, err := c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{id}})
		if err != nil || len(out.Images) != 1 {
			t.Fatalf("%s after the refusals: %v", id, err)
		}
		for _, tg := range out.Images[0].Tags {
			if k := aws.ToString(tg.Key); k == "note" || (id == theirsID && k == "owner") {
				t.Errorf("%s got tag %s", id, k)
			}
		}
	}

	if err := tag([]string{oursID}, "note", false); err != nil {
		t.Errorf("allowed CreateTags: %v", err)
	}
	wantCode(t, deleteSnapshot(snapOf(ours)), "InvalidSnapshot.InUse")
	if err := deleteSnapshot(freeSnap); err != nil {
		t.Errorf("allowed DeleteSnapshot: %v", err)
	}
	if err := deregister(oursID); err != nil {
		t.Errorf("allowed DeregisterImage: %v", err)
	}
}
