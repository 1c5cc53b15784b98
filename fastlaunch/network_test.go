package fastlaunch_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	emuec2 "github.com/winami/winami/awsemu/services/ec2"
	"github.com/winami/winami/check"
	"github.com/winami/winami/fastlaunch"
)

// deleteDefaultVPC removes the region's default VPC over the API (its instances are
// terminated and its subnets deleted first), as an account that deleted it has none.
func (w *world) deleteDefaultVPC(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	ins, err := w.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopped"}}}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range ins.Reservations {
		for _, i := range r.Instances {
			ids = append(ids, *i.InstanceId)
		}
	}
	if len(ids) > 0 {
		if _, err := w.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
			t.Fatal(err)
		}
	}
	vpcs, err := w.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("default VPC: %+v %v", vpcs, err)
	}
	vpc := vpcs.Vpcs[0].VpcId
	subs, err := w.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{*vpc}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs.Subnets {
		if _, err := w.ec2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: s.SubnetId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.ec2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: vpc}); err != nil {
		t.Fatal(err)
	}
}

func TestEnableRefusesWithoutTemplateOrDefaultVPC(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	owned := w.ownedWindowsAMI(t) // launched while the default VPC still exists
	w.deleteDefaultVPC(t)

	res, err := w.c.Enable(ctx, owned, fastlaunch.Settings{}, fastlaunch.EnableOptions{})
	var pe *check.PreflightError
	if !errors.As(err, &pe) {
		t.Fatalf("Enable: %v, want a preflight error", err)
	}
	c := checkStatus(t, res.Checks, fastlaunch.CheckDefaultVPC, check.Fail)
	if !strings.Contains(c.Message, "no launch template given and us-east-1 has no default VPC") || !strings.Contains(c.Fix, "--launch-template") {
		t.Errorf("default VPC check: %+v", c)
	}
	for _, ck := range res.Checks {
		if ck.Status == check.Fail && ck.Name != fastlaunch.CheckDefaultVPC {
			t.Errorf("%s failed too: %s", ck.Name, ck.Message)
		}
	}
	if !strings.Contains(err.Error(), "--launch-template") {
		t.Errorf("error %q does not tell the user to pass a launch template", err)
	}
	if n := w.srv.Faults.Count("ec2", "EnableFastLaunch", ""); n != 0 {
		t.Errorf("EnableFastLaunch called %d times after the refusal", n)
	}

	// What the refusal saves the user from: EC2 accepts the call and the enabling fails later.
	if _, err := w.c.Enable(ctx, owned, fastlaunch.Settings{}, fastlaunch.EnableOptions{SkipPreflight: true}); err != nil {
		t.Fatalf("Enable without preflight: %v", err)
	}
	st, err := w.c.Wait(ctx, owned, fastlaunch.UntilEnabled, w.waitOpts())
	var fe *fastlaunch.FailedError
	if !errors.As(err, &fe) || st.State != fastlaunch.StateEnablingFailed || st.StateReason != emuec2.NoDefaultVPCReason {
		t.Fatalf("Wait: %+v, %v; want enabling-failed for the missing default VPC", st, err)
	}
}

func TestEnableWithTemplateNeedsNoDefaultVPC(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	owned := w.ownedWindowsAMI(t)
	w.deleteDefaultVPC(t)

	// A VPC, subnet and group of the user's, named by a launch template.
	vpc, err := w.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := w.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.1.0.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := w.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("fast-launch"), Description: aws.String("snapshot instances"), VpcId: vpc.Vpc.VpcId})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("fl-private"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeM6iLarge,
			NetworkInterfaces: []types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{{DeviceIndex: aws.Int32(0), SubnetId: sub.Subnet.SubnetId, Groups: []string{*sg.GroupId}}}}}); err != nil {
		t.Fatal(err)
	}
	res, err := w.c.Enable(ctx, owned, fastlaunch.Settings{LaunchTemplate: "fl-private"}, fastlaunch.EnableOptions{})
	if err != nil {
		t.Fatalf("Enable with a launch template: %v (checks %+v)", err, res.Checks)
	}
	checkStatus(t, res.Checks, fastlaunch.CheckLaunchTemplate, check.Pass)
	for _, ck := range res.Checks {
		if ck.Name == fastlaunch.CheckDefaultVPC {
			t.Errorf("default VPC checked although a launch template was given: %+v", ck)
		}
	}
	st, err := w.c.Wait(ctx, owned, fastlaunch.UntilEnabled, w.waitOpts())
	if err != nil || st.State != fastlaunch.StateEnabled {
		t.Fatalf("Wait: %+v %v", st, err)
	}

	// CreateDefaultVpc brings the default VPC back: the preflight passes without a template.
	if _, err := w.ec2.CreateDefaultVpc(ctx, &ec2.CreateDefaultVpcInput{}); err != nil {
		t.Fatal(err)
	}
	checks, err := w.c.Preflight(ctx, owned, fastlaunch.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	checkStatus(t, checks, fastlaunch.CheckDefaultVPC, check.Pass)
}
