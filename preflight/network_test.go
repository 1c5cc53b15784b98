package preflight_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/check"
	"github.com/winami/winami/preflight"
)

// ec2In is an EC2 client of the doctor's world in region.
func (w *docWorld) ec2In(region string) *ec2.Client {
	return ec2.NewFromConfig(awstest.SDKConfig(w.srv.URL(), region))
}

// defaultVPC returns the default VPC of region and its default subnets.
func defaultVPC(t *testing.T, c *ec2.Client) (string, []string) {
	t.Helper()
	ctx := context.Background()
	out, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
	if err != nil || len(out.Vpcs) != 1 {
		t.Fatalf("default VPC: %+v %v", out, err)
	}
	vpc := aws.ToString(out.Vpcs[0].VpcId)
	subs, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range subs.Subnets {
		ids = append(ids, aws.ToString(s.SubnetId))
	}
	return vpc, ids
}

// deleteDefaultSubnets deletes the default VPC's subnets in region and returns the VPC.
func (w *docWorld) deleteDefaultSubnets(t *testing.T, region string) string {
	t.Helper()
	c := w.ec2In(region)
	vpc, subs := defaultVPC(t, c)
	for _, id := range subs {
		if _, err := c.DeleteSubnet(context.Background(), &ec2.DeleteSubnetInput{SubnetId: aws.String(id)}); err != nil {
			t.Fatalf("DeleteSubnet %s: %v", id, err)
		}
	}
	return vpc
}

// deleteDefaultVPC leaves region without a default VPC, as accounts that removed it are.
func (w *docWorld) deleteDefaultVPC(t *testing.T, region string) {
	t.Helper()
	vpc := w.deleteDefaultSubnets(t, region)
	if _, err := w.ec2In(region).DeleteVpc(context.Background(), &ec2.DeleteVpcInput{VpcId: aws.String(vpc)}); err != nil {
		t.Fatalf("DeleteVpc %s: %v", vpc, err)
	}
}

// buildNetwork puts spec.build.subnetId and securityGroupIds in the spec.
func buildNetwork(subnet string, groups ...string) []string {
	b := "EC2InstanceProfileForImageBuilder\n    subnetId: " + subnet
	if len(groups) > 0 {
		b += "\n    securityGroupIds: [" + strings.Join(groups, ", ") + "]"
	}
	return []string{"PROFILE", b}
}

func networkCheck(t *testing.T, checks []check.Check) check.Check {
	t.Helper()
	for _, c := range checks {
		if c.Name == preflight.CheckNetwork {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", preflight.CheckNetwork, checks)
	return check.Check{}
}

func TestDoctorNoDefaultVPCAndNoSubnet(t *testing.T) {
	w := newDocWorld(t)
	w.deleteDefaultVPC(t, "us-east-1")
	checks := w.run(t, loadSpec(t))
	// The network check fails with its fix; Fast Launch in us-east-1 (no launch template)
	// fails for the same reason; nothing else does, and us-west-2 still passes.
	var failed []string
	for _, c := range checks {
		if c.Status != check.Fail {
			continue
		}
		failed = append(failed, c.Name)
		switch {
		case c.Name == preflight.CheckNetwork:
			if !strings.Contains(c.Message, "us-east-1 has no default VPC") || !strings.Contains(c.Fix, "spec.build.subnetId") {
				t.Errorf("network: %+v", c)
			}
		case c.Name == preflight.CheckFastLaunch && strings.HasPrefix(c.Message, "us-east-1:"):
			if !strings.Contains(c.Message, "no default VPC") || !strings.Contains(c.Fix, "launch") {
				t.Errorf("fast launch: %+v", c)
			}
		default:
			t.Errorf("%s failed too: %s", c.Name, c.Message)
		}
	}
	if len(failed) != 2 || failed[0] != preflight.CheckNetwork || failed[1] != preflight.CheckFastLaunch {
		t.Errorf("failed checks %v, want network and fast-launch (us-east-1)", failed)
	}

	// A region whose default VPC lost its default subnets cannot host the build either.
	w = newDocWorld(t)
	vpc := w.deleteDefaultSubnets(t, "us-east-1")
	c := networkCheck(t, w.run(t, loadSpec(t, "LAUNCHTEMPLATE", "targetSnapshots: 5")))
	if c.Status != check.Fail || !strings.Contains(c.Message, vpc) || !strings.Contains(c.Message, "no default subnet") || c.Fix == "" {
		t.Errorf("default VPC without subnets: %+v", c)
	}
}

func TestDoctorSubnetAndGroupsMissing(t *testing.T) {
	w := newDocWorld(t)
	const subnet, sg1, sg2 = "subnet-0123456789abcdef0", "sg-0123456789abcdef0", "sg-0fedcba9876543210"
	c := onlyFailure(t, w.run(t, loadSpec(t, buildNetwork(subnet, sg1, sg2)...)), preflight.CheckNetwork)
	for _, want := range []string{"subnet " + subnet + " does not exist in us-east-1", "security group " + sg1 + " does not exist", "security group " + sg2 + " does not exist"} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("network message %q lacks %q", c.Message, want)
		}
	}
	if !strings.Contains(c.Fix, "spec.build.subnetId") {
		t.Errorf("network fix: %q", c.Fix)
	}

	// An existing subnet with one missing group names only the group (a subnet in a zone
	// that offers the instance type: us-east-1e offers none of the current types).
	c = onlyFailure(t, w.run(t, loadSpec(t, buildNetwork(w.zoneSubnet(t, "us-east-1a"), sg1)...)), preflight.CheckNetwork)
	if strings.Contains(c.Message, "subnet") || !strings.Contains(c.Message, sg1) {
		t.Errorf("missing group only: %+v", c)
	}

	// A subnet of another region does not exist in the build region.
	_, west := defaultVPC(t, w.ec2In("us-west-2"))
	c = onlyFailure(t, w.run(t, loadSpec(t, buildNetwork(west[0])...)), preflight.CheckNetwork)
	if !strings.Contains(c.Message, "subnet "+west[0]+" does not exist in us-east-1") {
		t.Errorf("subnet of us-west-2: %+v", c)
	}
}

func TestDoctorSubnetAndGroupsExist(t *testing.T) {
	w := newDocWorld(t)
	ctx := context.Background()
	c := w.ec2In("us-east-1")
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.8.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.8.1.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("builders"), Description: aws.String("image builds"), VpcId: vpc.Vpc.VpcId})
	if err != nil {
		t.Fatal(err)
	}
	subnetID, groupID := aws.ToString(sub.Subnet.SubnetId), aws.ToString(sg.GroupId)
	checks := w.run(t, loadSpec(t, buildNetwork(subnetID, groupID)...))
	for _, ck := range checks {
		if ck.Status == check.Fail || ck.Status == check.Warn {
			t.Errorf("%s: %s %s", ck.Name, ck.Status, ck.Message)
		}
	}
	if ck := networkCheck(t, checks); ck.Status != check.Pass || !strings.Contains(ck.Message, subnetID) {
		t.Errorf("network: %+v", ck)
	}
	// The check really asked EC2 (it does not pass on an error or a skipped call).
	if n := w.srv.Faults.Count("ec2", "DescribeSubnets", ""); n == 0 {
		t.Error("DescribeSubnets was not called")
	}
	if n := w.srv.Faults.Count("ec2", "DescribeSecurityGroups", ""); n == 0 {
		t.Error("DescribeSecurityGroups was not called")
	}

	// A group of the default VPC with the new VPC's subnet: named, with both VPCs.
	def, _ := defaultVPC(t, c)
	other, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("builders"), Description: aws.String("default VPC")})
	if err != nil {
		t.Fatal(err)
	}
	ck := onlyFailure(t, w.run(t, loadSpec(t, buildNetwork(subnetID, groupID, aws.ToString(other.GroupId))...)), preflight.CheckNetwork)
	if !strings.Contains(ck.Message, aws.ToString(other.GroupId)+" is in "+def) || !strings.Contains(ck.Message, aws.ToString(vpc.Vpc.VpcId)) ||
		strings.Contains(ck.Message, groupID+" ") {
		t.Errorf("group of another VPC: %+v", ck)
	}
}
