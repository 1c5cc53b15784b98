package ec2_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/services/ssm"
)

func TestLaunchTemplateImageResolvesSSMAtLaunch(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	ssm.New(w.srv, []awsemu.Parameter{{Name: "/winami/win", Region: "us-east-1", Type: "String", History: []awsemu.ParameterVersion{
		{Value: "ami-00000000000000001", DataType: "aws:ec2:image", LastModified: t0},
		{Value: "ami-00000000000000002", DataType: "aws:ec2:image", LastModified: t0},
	}}})
	n := 0
	run := func(ref string) (string, error) {
		n++
		name := fmt.Sprintf("by-param-%d", n)
		if _, err := w.c.CreateLaunchTemplate(ctx, &sdk.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
			LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(ref), InstanceType: types.InstanceTypeM5Large}}); err != nil {
			t.Fatal(err)
		}
		out, err := w.c.RunInstances(ctx, &sdk.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String(name)}})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Instances[0].ImageId), nil
	}
	if img, err := run("resolve:ssm:/winami/win"); err != nil || img != "ami-00000000000000002" {
		t.Errorf("latest version: %s %v", img, err)
	}
	if img, err := run("resolve:ssm:/winami/win:1"); err != nil || img != "ami-00000000000000001" {
		t.Errorf("version 1: %s %v", img, err)
	}
	if _, err := run("resolve:ssm:/winami/nop"); apiCode(t, err) != "InvalidParameterValue" {
		t.Errorf("missing parameter: %v", err)
	}
}

func TestInstanceStoreLaunchesAndTerminates(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	lt, err := w.c.CreateLaunchTemplate(ctx, &sdk.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("nodes"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String("ami-00000000000000001"), InstanceType: types.InstanceTypeM5Large,
			TagSpecifications: []types.LaunchTemplateTagSpecificationRequest{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("role"), Value: aws.String("node")}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(lt.LaunchTemplate.LaunchTemplateId)
	var store awsemu.InstanceStore = w.svc
	in, err := store.LaunchInstance(awsemu.InstanceLaunch{Region: "us-east-1", LaunchTemplateName: "nodes", LaunchTemplateVersion: "$Latest",
		ImageID: "ami-00000000000000002", InstanceType: "m6i.large", AvailabilityZone: "us-east-1b", Tags: map[string]string{"aws:autoscaling:groupName": "g"}})
	if err != nil {
		t.Fatal(err)
	}
	if in.State != "pending" || in.ImageID != "ami-00000000000000002" || in.InstanceType != "m6i.large" || in.AvailabilityZone != "us-east-1b" ||
		in.LaunchTemplateID != id || in.LaunchTemplateVersion != "1" || in.Tags["role"] != "node" || in.Tags["aws:autoscaling:groupName"] != "g" ||
		in.Tags["aws:ec2launchtemplate:id"] != id || in.Tags["aws:ec2launchtemplate:version"] != "1" {
		t.Errorf("launched %+v", in)
	}
	if got, ok := store.Instance("us-east-1", in.ID); !ok || got.State != "running" {
		t.Errorf("Instance: %+v %v", got, ok)
	}
	if err := store.TerminateInstance("us-east-1", in.ID); err != nil {
		t.Fatal(err)
	}
	out, err := w.c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{InstanceIds: []string{in.ID}})
	if err != nil || out.Reservations[0].Instances[0].State.Name != types.InstanceStateNameTerminated {
		t.Errorf("after TerminateInstance: %+v %v", out, err)
	}
	var ae *awsemu.APIError
	if err := store.TerminateInstance("us-east-1", "i-0123456789abcdef0"); !errors.As(err, &ae) || ae.Code != "InvalidInstanceID.NotFound" {
		t.Errorf("unknown instance: %v", err)
	}
	if _, err := store.LaunchInstance(awsemu.InstanceLaunch{Region: "us-east-1", LaunchTemplateName: "nodes", ImageID: "ami-0123456789abcdef0"}); !errors.As(err, &ae) || ae.Code != "InvalidAMIID.NotFound" {
		t.Errorf("unknown image: %v", err)
	}
	if _, err := store.LaunchInstance(awsemu.InstanceLaunch{Region: "us-east-1", LaunchTemplateName: "nope"}); !errors.As(err, &ae) || ae.Code != "InvalidLaunchTemplateName.NotFoundException" {
		t.Errorf("unknown template: %v", err)
	}
}
