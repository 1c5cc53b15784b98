package autoscaling_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	emu "github.com/winami/winami/awsemu/services/autoscaling"
)

func client(t *testing.T, region string) *autoscaling.Client {
	t.Helper()
	srv := awsemu.NewServer()
	emu.New(srv)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return autoscaling.NewFromConfig(awstest.SDKConfig(srv.URL(), region))
}

func TestGroupsAndConfigsRoundTripWithPaging(t *testing.T) {
	ctx := context.Background()
	c := client(t, "us-west-2")
	if _, err := c.CreateLaunchConfiguration(ctx, &autoscaling.CreateLaunchConfigurationInput{LaunchConfigurationName: aws.String("lc-old"), ImageId: aws.String("ami-0aaaaaaaaaaaaaaaa"), InstanceType: aws.String("m5.large")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateLaunchConfiguration(ctx, &autoscaling.CreateLaunchConfigurationInput{LaunchConfigurationName: aws.String("lc-old"), ImageId: aws.String("ami-0aaaaaaaaaaaaaaaa"), InstanceType: aws.String("m5.large")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AlreadyExists" {
		t.Fatalf("duplicate launch configuration: %v", err)
	}
	for i := range 5 {
		in := &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(fmt.Sprintf("g%d", i)), MinSize: aws.Int32(0), MaxSize: aws.Int32(2), AvailabilityZones: []string{"us-west-2a"}}
		switch i {
		case 0:
			in.LaunchConfigurationName = aws.String("lc-old")
		case 1:
			in.LaunchTemplate = &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("nodes"), Version: aws.String("3")}
		default:
			in.MixedInstancesPolicy = &types.MixedInstancesPolicy{LaunchTemplate: &types.LaunchTemplate{
				LaunchTemplateSpecification: &types.LaunchTemplateSpecification{LaunchTemplateId: aws.String("lt-0123456789abcdef0"), Version: aws.String("$Latest")},
				Overrides: []types.LaunchTemplateOverrides{
					{InstanceType: aws.String("m6i.large"), ImageId: aws.String(fmt.Sprintf("ami-0bbbbbbbbbbbbbbb%d", i))},
					{InstanceType: aws.String("m5.large"), LaunchTemplateSpecification: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("other"), Version: aws.String("1")}},
				},
			}}
		}
		if _, err := c.CreateAutoScalingGroup(ctx, in); err != nil {
			t.Fatalf("CreateAutoScalingGroup %d: %v", i, err)
		}
	}
	var groups []types.AutoScalingGroup
	pages := 0
	p := autoscaling.NewDescribeAutoScalingGroupsPaginator(c, &autoscaling.DescribeAutoScalingGroupsInput{MaxRecords: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		groups = append(groups, out.AutoScalingGroups...)
	}
	if pages != 3 || len(groups) != 5 {
		t.Fatalf("%d pages, %d groups; want 3 and 5", pages, len(groups))
	}
	if aws.ToString(groups[0].LaunchConfigurationName) != "lc-old" || aws.ToString(groups[1].LaunchTemplate.LaunchTemplateName) != "nodes" || aws.ToString(groups[1].LaunchTemplate.Version) != "3" {
		t.Errorf("groups 0/1: %+v %+v", groups[0], groups[1])
	}
	mp := groups[4].MixedInstancesPolicy
	if mp == nil || aws.ToString(mp.LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateId) != "lt-0123456789abcdef0" ||
		len(mp.LaunchTemplate.Overrides) != 2 || aws.ToString(mp.LaunchTemplate.Overrides[0].ImageId) != "ami-0bbbbbbbbbbbbbbb4" ||
		aws.ToString(mp.LaunchTemplate.Overrides[1].LaunchTemplateSpecification.LaunchTemplateName) != "other" {
		t.Errorf("mixed instances policy: %+v", mp)
	}
	lcs, err := c.DescribeLaunchConfigurations(ctx, &autoscaling.DescribeLaunchConfigurationsInput{})
	if err != nil || len(lcs.LaunchConfigurations) != 1 || aws.ToString(lcs.LaunchConfigurations[0].ImageId) != "ami-0aaaaaaaaaaaaaaaa" {
		t.Fatalf("launch configurations: %+v %v", lcs, err)
	}
	if _, err := c.DeleteLaunchConfiguration(ctx, &autoscaling.DeleteLaunchConfigurationInput{LaunchConfigurationName: aws.String("lc-old")}); err == nil {
		t.Error("deleted a launch configuration in use")
	}
	// Regions are separate.
	other := autoscaling.NewFromConfig(awstest.SDKConfig(aws.ToString(c.Options().BaseEndpoint), "eu-west-1"))
	out, err := other.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{})
	if err != nil || len(out.AutoScalingGroups) != 0 {
		t.Errorf("eu-west-1 sees %d groups (%v)", len(out.AutoScalingGroups), err)
	}
}

func TestCreateGroupValidation(t *testing.T) {
	c := client(t, "us-east-1")
	lt := &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("nodes")}
	for name, in := range map[string]*autoscaling.CreateAutoScalingGroupInput{
		"no source": {AvailabilityZones: []string{"us-east-1a"}},
		"no zone":   {LaunchTemplate: lt},
		"two sources": {AvailabilityZones: []string{"us-east-1a"}, LaunchTemplate: lt,
			MixedInstancesPolicy: &types.MixedInstancesPolicy{LaunchTemplate: &types.LaunchTemplate{LaunchTemplateSpecification: lt}}},
		"template by id and name":      {AvailabilityZones: []string{"us-east-1a"}, LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("n"), LaunchTemplateId: aws.String("lt-0123456789abcdef0")}},
		"unknown launch configuration": {AvailabilityZones: []string{"us-east-1a"}, LaunchConfigurationName: aws.String("nope")},
	} {
		in.AutoScalingGroupName, in.MinSize, in.MaxSize = aws.String("g"), aws.Int32(0), aws.Int32(1)
		_, err := c.CreateAutoScalingGroup(context.Background(), in)
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" {
			t.Errorf("%s: %v, want ValidationError", name, err)
		}
	}
}
