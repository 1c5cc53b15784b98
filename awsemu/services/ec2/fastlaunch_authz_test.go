package ec2_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/services/ec2"
)

// TestEnableFastLaunchAuthorizesTheCaller: EC2 checks that the caller may enable Fast
// Launch and launch instances from the AMI and the launch template before it enables it
// (UnauthorizedOperation, also for DryRun); AdministratorAccess and EC2FastLaunchFullAccess
// allow it.
func TestEnableFastLaunchAuthorizesTheCaller(t *testing.T) {
	srv := emulatortest.Start(t)
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	c, ic := sdk.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	put := func() string {
		return srv.EC2.PutImage(awsemu.Image{Region: "us-east-1", Name: "built-" + t.Name(), OwnerID: awsemu.DefaultAccount,
			Platform: "windows", PlatformDetails: "Windows", State: "available",
			BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", VolumeSize: 50}}}).ID
	}
	lt, err := c.CreateLaunchTemplate(ctx, &sdk.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("fast"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeT3Xlarge}})
	if err != nil {
		t.Fatal(err)
	}
	ltID := aws.ToString(lt.LaunchTemplate.LaunchTemplateId)
	enable := func(img string, dry bool) error {
		_, err := c.EnableFastLaunch(ctx, &sdk.EnableFastLaunchInput{ImageId: aws.String(img), MaxParallelLaunches: aws.Int32(6),
			LaunchTemplate: &types.FastLaunchLaunchTemplateSpecificationRequest{LaunchTemplateId: aws.String(ltID), Version: aws.String("1")},
			DryRun:         aws.Bool(dry)})
		return err
	}
	// The caller starts with AdministratorAccess.
	wantCode(t, enable(put(), true), "DryRunOperation")
	if err := enable(put(), false); err != nil {
		t.Fatalf("as AdministratorAccess: %v", err)
	}
	user := aws.String(awsemu.CallerUserName)
	if _, err := ic.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: user, PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: user, PolicyArn: aws.String("arn:aws:iam::aws:policy/EC2FastLaunchFullAccess")}); err != nil {
		t.Fatal(err)
	}
	if err := enable(put(), false); err != nil {
		t.Fatalf("as EC2FastLaunchFullAccess: %v", err)
	}
	if _, err := ic.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: user, PolicyArn: aws.String("arn:aws:iam::aws:policy/EC2FastLaunchFullAccess")}); err != nil {
		t.Fatal(err)
	}
	caller := srv.CallerARN()
	for _, tc := range []struct {
		name, policy, refused string
	}{
		{"nothing", `{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}`,
			"ec2:EnableFastLaunch on resource: arn:aws:ec2:us-east-1::image/"},
		{"enable only", `{"Effect":"Allow","Action":"ec2:EnableFastLaunch","Resource":"*"}`,
			"ec2:RunInstances on resource: arn:aws:ec2:us-east-1:" + awsemu.DefaultAccount + ":launch-template/" + ltID},
		{"no tags on launch", `{"Effect":"Allow","Action":["ec2:EnableFastLaunch","ec2:RunInstances"],"Resource":"*"}`,
			"ec2:CreateTags on resource: arn:aws:ec2:us-east-1:" + awsemu.DefaultAccount + ":instance/*"},
		{"launch only untagged instances", `{"Effect":"Allow","Action":["ec2:EnableFastLaunch","ec2:CreateTags"],"Resource":"*"},` +
			`{"Effect":"Allow","Action":"ec2:RunInstances","NotResource":["arn:aws:ec2:*:*:instance/*"]},` +
			`{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"aws:RequestTag/CreatedBy":"someone else"}}}`,
			"ec2:RunInstances on resource: arn:aws:ec2:us-east-1:" + awsemu.DefaultAccount + ":instance/*"},
		{"template denied", `{"Effect":"Allow","Action":"ec2:*","Resource":"*"},` +
			`{"Effect":"Deny","Action":"ec2:RunInstances","Resource":"arn:aws:ec2:*:*:launch-template/` + ltID + `"}`,
			"ec2:RunInstances on resource: arn:aws:ec2:us-east-1:" + awsemu.DefaultAccount + ":launch-template/" + ltID + " with an explicit deny"},
	} {
		if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: aws.String("fast"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[` + tc.policy + `]}`)}); err != nil {
			t.Fatal(err)
		}
		img := put()
		for _, dry := range []bool{true, false} {
			err := enable(img, dry)
			wantCode(t, err, "UnauthorizedOperation")
			if !strings.Contains(err.Error(), "User: "+caller+" is not authorized to perform: "+tc.refused) {
				t.Errorf("%s (dry run %v): %v", tc.name, dry, err)
			}
		}
		d, err := c.DescribeFastLaunchImages(ctx, &sdk.DescribeFastLaunchImagesInput{ImageIds: []string{img}})
		if err != nil || len(d.FastLaunchImages) != 0 {
			t.Errorf("%s: Fast Launch enabled after a refusal: %+v %v", tc.name, d, err)
		}
	}
	// Disabling needs ec2:DisableFastLaunch.
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: aws.String("fast"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DisableFastLaunch(ctx, &sdk.DisableFastLaunchInput{ImageId: aws.String(func() string {
		out, _ := c.DescribeFastLaunchImages(ctx, &sdk.DescribeFastLaunchImagesInput{})
		return aws.ToString(out.FastLaunchImages[0].ImageId)
	}())})
	wantCode(t, err, "UnauthorizedOperation")
}

// TestFastLaunchWithoutTemplateNeedsStackRights: without a launch template EC2 Fast Launch
// builds its own resources with the caller's permissions (EC2FastLaunchFullAccess); a
// caller who may launch but not create them sees the enabling end in enabling-failed.
func TestFastLaunchWithoutTemplateNeedsStackRights(t *testing.T) {
	clock := awsemu.NewManualClock(t0)
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	c, ic := sdk.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	user := aws.String(awsemu.CallerUserName)
	state := func(policy string) (types.FastLaunchStateCode, string) {
		t.Helper()
		if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: aws.String("p"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[` + policy + `]}`)}); err != nil {
			t.Fatal(err)
		}
		img := srv.EC2.PutImage(awsemu.Image{Region: "us-east-1", Name: "built", OwnerID: awsemu.DefaultAccount, Platform: "windows",
			PlatformDetails: "Windows", State: "available", BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", VolumeSize: 50}}}).ID
		if _, err := c.EnableFastLaunch(ctx, &sdk.EnableFastLaunchInput{ImageId: aws.String(img), MaxParallelLaunches: aws.Int32(6)}); err != nil {
			t.Fatalf("EnableFastLaunch: %v", err)
		}
		clock.Advance(ec2.FastLaunchEnableDelay)
		d, err := c.DescribeFastLaunchImages(ctx, &sdk.DescribeFastLaunchImagesInput{ImageIds: []string{img}})
		if err != nil || len(d.FastLaunchImages) != 1 {
			t.Fatalf("DescribeFastLaunchImages: %+v %v", d, err)
		}
		return d.FastLaunchImages[0].State, aws.ToString(d.FastLaunchImages[0].StateTransitionReason)
	}
	if st, reason := state(`{"Effect":"Allow","Action":"*","Resource":"*"}`); st != types.FastLaunchStateCodeEnabled {
		t.Errorf("with every right: %s (%s)", st, reason)
	}
	if _, err := ic.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: user, PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	st, reason := state(`{"Effect":"Allow","Action":["ec2:EnableFastLaunch","ec2:RunInstances","ec2:CreateTags","ec2:Describe*"],"Resource":"*"}`)
	if st != types.FastLaunchStateCodeEnablingFailed || !strings.Contains(reason, "cloudformation:CreateStack") || !strings.Contains(reason, "EC2FastLaunchFullAccess") {
		t.Errorf("launch rights only: %s (%s)", st, reason)
	}
	if _, err := ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: user, PolicyArn: aws.String("arn:aws:iam::aws:policy/EC2FastLaunchFullAccess")}); err != nil {
		t.Fatal(err)
	}
	if st, reason := state(`{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}`); st != types.FastLaunchStateCodeEnabled {
		t.Errorf("with EC2FastLaunchFullAccess: %s (%s)", st, reason)
	}
}
