package ec2_test

import (
	"sort"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsemu/services/ec2"
)

func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

// defaultNetwork returns a region's default VPC, its subnets and its groups.
func defaultNetwork(t *testing.T, c *sdk.Client) (types.Vpc, []types.Subnet, []types.SecurityGroup) {
	t.Helper()
	vpcs, err := c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{Filters: []types.Filter{filter("is-default", "true")}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("default VPC: %+v %v", vpcs, err)
	}
	v := vpcs.Vpcs[0]
	subs, err := c.DescribeSubnets(ctx, &sdk.DescribeSubnetsInput{Filters: []types.Filter{filter("vpc-id", *v.VpcId)}})
	if err != nil {
		t.Fatal(err)
	}
	sgs, err := c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("vpc-id", *v.VpcId)}})
	if err != nil {
		t.Fatal(err)
	}
	return v, subs.Subnets, sgs.SecurityGroups
}

func TestDefaultVPCHasDefaultSubnetsAndGroup(t *testing.T) {
	w := start(t)
	for _, region := range []string{"us-east-1", "us-west-2", "eu-west-1"} {
		c := w.region(region)
		v, subs, sgs := defaultNetwork(t, c)
		zones := ec2.AvailabilityZones(region)
		if len(subs) != len(zones) {
			t.Fatalf("%s: %d default subnets, want one per zone (%d)", region, len(subs), len(zones))
		}
		var azs, cidrs []string
		for _, s := range subs {
			if !*s.DefaultForAz || !*s.MapPublicIpOnLaunch || *s.VpcId != *v.VpcId || s.State != types.SubnetStateAvailable || *s.AvailableIpAddressCount != 4091 {
				t.Errorf("%s: default subnet %+v", region, s)
			}
			azs = append(azs, *s.AvailabilityZone)
			cidrs = append(cidrs, *s.CidrBlock)
		}
		sort.Strings(azs)
		if azs[0] != zones[0] || azs[len(azs)-1] != zones[len(zones)-1] {
			t.Errorf("%s: zones %v, want %v", region, azs, zones)
		}
		if !containsAll(cidrs, "172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20") {
			t.Errorf("%s: default subnet CIDRs %v", region, cidrs)
		}
		if len(sgs) != 1 || *sgs[0].GroupName != "default" || *sgs[0].VpcId != *v.VpcId || len(sgs[0].IpPermissionsEgress) != 1 ||
			len(sgs[0].IpPermissions) != 1 || *sgs[0].IpPermissions[0].UserIdGroupPairs[0].GroupId != *sgs[0].GroupId {
			t.Errorf("%s: default group %+v", region, sgs)
		}
	}
	// Regions are separate: us-east-1's subnet is unknown in us-west-2.
	_, subs, _ := defaultNetwork(t, w.c)
	_, err := w.region("us-west-2").DescribeSubnets(ctx, &sdk.DescribeSubnetsInput{SubnetIds: []string{*subs[0].SubnetId}})
	wantCode(t, err, "InvalidSubnetID.NotFound")
	// Instances land in the default VPC's first default subnet with the default group.
	id := w.run(t, "ami-00000000000000001", nil)
	out, err := w.c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	in := out.Reservations[0].Instances[0]
	if *in.Placement.AvailabilityZone != "us-east-1a" || *in.SubnetId == "" || len(in.SecurityGroups) != 1 || *in.SecurityGroups[0].GroupName != "default" {
		t.Errorf("instance network: az=%s subnet=%s groups=%+v", *in.Placement.AvailabilityZone, *in.SubnetId, in.SecurityGroups)
	}
}

func containsAll(have []string, want ...string) bool {
	m := map[string]bool{}
	for _, h := range have {
		m[h] = true
	}
	for _, x := range want {
		if !m[x] {
			return false
		}
	}
	return true
}

func TestVPCSubnetGroupLifecycle(t *testing.T) {
	w := start(t)
	c := w.c
	tags := func(rt types.ResourceType, k, v string) []types.TagSpecification {
		return []types.TagSpecification{{ResourceType: rt, Tags: []types.Tag{{Key: aws.String(k), Value: aws.String(v)}}}}
	}

	// CreateVpc: validation, DryRun, then the VPC with its own default group.
	_, err := c.CreateVpc(ctx, &sdk.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/8")})
	wantCode(t, err, "InvalidVpc.Range")
	_, err = c.CreateVpc(ctx, &sdk.CreateVpcInput{CidrBlock: aws.String("10.0.0.300/16")})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.CreateVpc(ctx, &sdk.CreateVpcInput{})
	wantCode(t, err, "MissingParameter")
	_, err = c.CreateVpc(ctx, &sdk.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	all, _ := c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{})
	if len(all.Vpcs) != 1 {
		t.Fatalf("dry run created a VPC: %d VPCs", len(all.Vpcs))
	}
	cv, err := c.CreateVpc(ctx, &sdk.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"), TagSpecifications: tags(types.ResourceTypeVpc, "team", "win")})
	if err != nil {
		t.Fatal(err)
	}
	vpcID := *cv.Vpc.VpcId
	if *cv.Vpc.IsDefault || *cv.Vpc.CidrBlock != "10.0.0.0/16" || len(cv.Vpc.Tags) != 1 {
		t.Errorf("CreateVpc: %+v", cv.Vpc)
	}
	byTag, err := c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{Filters: []types.Filter{filter("tag:team", "win"), filter("is-default", "false")}})
	if err != nil || len(byTag.Vpcs) != 1 || *byTag.Vpcs[0].VpcId != vpcID || byTag.Vpcs[0].State != types.VpcStateAvailable {
		t.Errorf("DescribeVpcs by tag: %+v %v", byTag, err)
	}
	_, err = c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}})
	wantCode(t, err, "InvalidVpcID.NotFound")

	// CreateSubnet: range, conflict, zone, DryRun.
	sub := func(cidr, az string) (*sdk.CreateSubnetOutput, error) {
		in := &sdk.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String(cidr), TagSpecifications: tags(types.ResourceTypeSubnet, "tier", "build")}
		if az != "" {
			in.AvailabilityZone = aws.String(az)
		}
		return c.CreateSubnet(ctx, in)
	}
	_, err = sub("192.168.0.0/24", "")
	wantCode(t, err, "InvalidSubnet.Range")
	_, err = sub("10.0.0.0/29", "")
	wantCode(t, err, "InvalidSubnet.Range")
	_, err = sub("10.0.1.0/24", "mars-1a")
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.CreateSubnet(ctx, &sdk.CreateSubnetInput{VpcId: aws.String("vpc-0123456789abcdef0"), CidrBlock: aws.String("10.0.1.0/24")})
	wantCode(t, err, "InvalidVpcID.NotFound")
	_, err = c.CreateSubnet(ctx, &sdk.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.0.1.0/24"), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	s1, err := sub("10.0.1.0/24", "us-east-1b")
	if err != nil {
		t.Fatal(err)
	}
	if *s1.Subnet.AvailabilityZone != "us-east-1b" || *s1.Subnet.AvailabilityZoneId != "use1-az2" || *s1.Subnet.DefaultForAz ||
		*s1.Subnet.AvailableIpAddressCount != 251 || *s1.Subnet.VpcId != vpcID {
		t.Errorf("CreateSubnet: %+v", s1.Subnet)
	}
	_, err = sub("10.0.1.128/25", "")
	wantCode(t, err, "InvalidSubnet.Conflict")
	var subnetIDs []string
	for i := 2; i < 9; i++ {
		s, err := sub("10.0."+strconv.Itoa(i)+".0/24", "")
		if err != nil {
			t.Fatal(err)
		}
		subnetIDs = append(subnetIDs, *s.Subnet.SubnetId)
	}

	// DescribeSubnets: ids, filters, pages of 5.
	_, err = c.DescribeSubnets(ctx, &sdk.DescribeSubnetsInput{SubnetIds: []string{*s1.Subnet.SubnetId, "subnet-0123456789abcdef0"}})
	wantCode(t, err, "InvalidSubnetID.NotFound")
	_, err = c.DescribeSubnets(ctx, &sdk.DescribeSubnetsInput{SubnetIds: []string{"sub-1"}})
	wantCode(t, err, "InvalidSubnetID.Malformed")
	_, err = c.DescribeSubnets(ctx, &sdk.DescribeSubnetsInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	var seen []string
	pages := 0
	p := sdk.NewDescribeSubnetsPaginator(c, &sdk.DescribeSubnetsInput{MaxResults: aws.Int32(5), Filters: []types.Filter{filter("vpc-id", vpcID), filter("default-for-az", "false")}})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, s := range out.Subnets {
			seen = append(seen, *s.SubnetId)
		}
	}
	if len(seen) != 8 || pages != 2 {
		t.Errorf("paged subnets: %d in %d pages, want 8 in 2", len(seen), pages)
	}
	one, err := c.DescribeSubnets(ctx, &sdk.DescribeSubnetsInput{Filters: []types.Filter{filter("subnet-id", *s1.Subnet.SubnetId), filter("tag:tier", "build")}})
	if err != nil || len(one.Subnets) != 1 || *one.Subnets[0].CidrBlock != "10.0.1.0/24" {
		t.Errorf("by subnet-id: %+v %v", one, err)
	}
	defaults, _ := c.DescribeSubnets(ctx, &sdk.DescribeSubnetsInput{Filters: []types.Filter{filter("default-for-az", "true")}})
	if len(defaults.Subnets) != len(ec2.AvailabilityZones("us-east-1")) {
		t.Errorf("default subnets: %d", len(defaults.Subnets))
	}
	_, err = c.DescribeSubnets(ctx, &sdk.DescribeSubnetsInput{Filters: []types.Filter{filter("no-such-filter", "x")}})
	wantCode(t, err, "InvalidParameterValue")

	// Security groups.
	_, err = c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String("sg-x"), Description: aws.String("d"), VpcId: aws.String(vpcID)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String("builders"), Description: aws.String("d"), VpcId: aws.String(vpcID), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	sg, err := c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String("builders"), Description: aws.String("build instances"),
		VpcId: aws.String(vpcID), TagSpecifications: tags(types.ResourceTypeSecurityGroup, "team", "win")})
	if err != nil {
		t.Fatal(err)
	}
	if *sg.SecurityGroupArn != "arn:aws:ec2:us-east-1:"+w.srv.Account+":security-group/"+*sg.GroupId || len(sg.Tags) != 1 {
		t.Errorf("CreateSecurityGroup: %+v", sg)
	}
	_, err = c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String("builders"), Description: aws.String("again"), VpcId: aws.String(vpcID)})
	wantCode(t, err, "InvalidGroup.Duplicate")
	// The same name in the default VPC is another group.
	dsg, err := c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String("builders"), Description: aws.String("in the default VPC")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{GroupIds: []string{*sg.GroupId, "sg-0123456789abcdef0"}})
	wantCode(t, err, "InvalidGroup.NotFound")
	_, err = c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{GroupIds: []string{"group-1"}})
	wantCode(t, err, "InvalidGroupId.Malformed")
	byName, err := c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{GroupNames: []string{"builders"}})
	if err != nil || len(byName.SecurityGroups) != 1 || *byName.SecurityGroups[0].GroupId != *dsg.GroupId {
		t.Errorf("GroupNames look in the default VPC: %+v %v", byName, err)
	}
	inVPC, err := c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("vpc-id", vpcID)}})
	var names []string
	for _, g := range inVPC.SecurityGroups {
		names = append(names, *g.GroupName)
	}
	sort.Strings(names)
	if err != nil || len(names) != 2 || names[0] != "builders" || names[1] != "default" {
		t.Errorf("groups of the new VPC: %v %v", names, err)
	}
	got, err := c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("group-name", "build*"), filter("group-id", *sg.GroupId)}})
	if err != nil || len(got.SecurityGroups) != 1 || *got.SecurityGroups[0].Description != "build instances" || *got.SecurityGroups[0].VpcId != vpcID {
		t.Errorf("by group-name and group-id: %+v %v", got, err)
	}

	// An instance in the subnet with the group keeps both.
	run, err := c.RunInstances(ctx, &sdk.RunInstancesInput{ImageId: aws.String("ami-00000000000000001"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SubnetId: s1.Subnet.SubnetId, SecurityGroupIds: []string{*sg.GroupId}})
	if err != nil {
		t.Fatal(err)
	}
	in := run.Instances[0]
	if *in.VpcId != vpcID || *in.Placement.AvailabilityZone != "us-east-1b" || *in.PrivateIpAddress != "10.0.1.4" || *in.SecurityGroups[0].GroupId != *sg.GroupId {
		t.Errorf("instance in the subnet: vpc=%s az=%s ip=%s groups=%+v", *in.VpcId, *in.Placement.AvailabilityZone, *in.PrivateIpAddress, in.SecurityGroups)
	}
	_, err = c.RunInstances(ctx, &sdk.RunInstancesInput{ImageId: aws.String("ami-00000000000000001"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SubnetId: s1.Subnet.SubnetId, SecurityGroupIds: []string{*dsg.GroupId}})
	wantCode(t, err, "InvalidParameter")

	// Deletion order: dependencies first.
	_, err = c.DeleteVpc(ctx, &sdk.DeleteVpcInput{VpcId: aws.String(vpcID)})
	wantCode(t, err, "DependencyViolation")
	_, err = c.DeleteSubnet(ctx, &sdk.DeleteSubnetInput{SubnetId: s1.Subnet.SubnetId})
	wantCode(t, err, "DependencyViolation")
	_, err = c.DeleteSecurityGroup(ctx, &sdk.DeleteSecurityGroupInput{GroupId: sg.GroupId})
	wantCode(t, err, "DependencyViolation")
	if _, err := c.TerminateInstances(ctx, &sdk.TerminateInstancesInput{InstanceIds: []string{*in.InstanceId}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteSubnet(ctx, &sdk.DeleteSubnetInput{SubnetId: s1.Subnet.SubnetId, DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	for _, id := range append(subnetIDs, *s1.Subnet.SubnetId) {
		if _, err := c.DeleteSubnet(ctx, &sdk.DeleteSubnetInput{SubnetId: aws.String(id)}); err != nil {
			t.Fatalf("DeleteSubnet %s: %v", id, err)
		}
	}
	_, err = c.DeleteSubnet(ctx, &sdk.DeleteSubnetInput{SubnetId: s1.Subnet.SubnetId})
	wantCode(t, err, "InvalidSubnetID.NotFound")
	// Subnets gone, the non-default group still holds the VPC.
	_, err = c.DeleteVpc(ctx, &sdk.DeleteVpcInput{VpcId: aws.String(vpcID)})
	wantCode(t, err, "DependencyViolation")
	var defaultGroup string
	for _, g := range inVPC.SecurityGroups {
		if *g.GroupName == "default" {
			defaultGroup = *g.GroupId
		}
	}
	_, err = c.DeleteSecurityGroup(ctx, &sdk.DeleteSecurityGroupInput{GroupId: aws.String(defaultGroup)})
	wantCode(t, err, "CannotDelete")
	del, err := c.DeleteSecurityGroup(ctx, &sdk.DeleteSecurityGroupInput{GroupId: sg.GroupId})
	if err != nil || !*del.Return || *del.GroupId != *sg.GroupId {
		t.Fatalf("DeleteSecurityGroup: %+v %v", del, err)
	}
	_, err = c.DeleteSecurityGroup(ctx, &sdk.DeleteSecurityGroupInput{GroupId: sg.GroupId})
	wantCode(t, err, "InvalidGroup.NotFound")
	_, err = c.DeleteVpc(ctx, &sdk.DeleteVpcInput{VpcId: aws.String(vpcID), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	if _, err := c.DeleteVpc(ctx, &sdk.DeleteVpcInput{VpcId: aws.String(vpcID)}); err != nil {
		t.Fatalf("DeleteVpc: %v", err)
	}
	_, err = c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{GroupIds: []string{defaultGroup}})
	wantCode(t, err, "InvalidGroup.NotFound")
	_, err = c.DeleteVpc(ctx, &sdk.DeleteVpcInput{VpcId: aws.String(vpcID)})
	wantCode(t, err, "InvalidVpcID.NotFound")
}

func TestNoDefaultVPCThenCreateDefaultVpc(t *testing.T) {
	w := start(t)
	c := w.region("eu-west-1")
	_, err := c.CreateDefaultVpc(ctx, &sdk.CreateDefaultVpcInput{})
	wantCode(t, err, "DefaultVpcAlreadyExists")
	v, subs, groups := defaultNetwork(t, c)
	for _, s := range subs {
		if _, err := c.DeleteSubnet(ctx, &sdk.DeleteSubnetInput{SubnetId: s.SubnetId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteVpc(ctx, &sdk.DeleteVpcInput{VpcId: v.VpcId}); err != nil {
		t.Fatalf("DeleteVpc of the default VPC: %v", err)
	}
	none, err := c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{Filters: []types.Filter{filter("is-default", "true")}})
	if err != nil || len(none.Vpcs) != 0 {
		t.Fatalf("default VPC after delete: %+v %v", none, err)
	}
	_, err = c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{GroupIds: []string{*groups[0].GroupId}})
	wantCode(t, err, "InvalidGroup.NotFound")
	// Without a default VPC, launches and groups need a subnet and a VPC.
	_, err = c.RunInstances(ctx, &sdk.RunInstancesInput{ImageId: aws.String("ami-00000000000000001"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err == nil || apiCode(t, err) == "DryRunOperation" {
		t.Fatalf("RunInstances without a default VPC: %v", err)
	}
	_, err = c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String("g"), Description: aws.String("d")})
	wantCode(t, err, "VPCIdNotSpecified")
	// Other regions keep theirs.
	defaultNetwork(t, w.c)

	_, err = c.CreateDefaultVpc(ctx, &sdk.CreateDefaultVpcInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	nv, err := c.CreateDefaultVpc(ctx, &sdk.CreateDefaultVpcInput{})
	if err != nil || !*nv.Vpc.IsDefault || *nv.Vpc.CidrBlock != "172.31.0.0/16" || *nv.Vpc.VpcId == *v.VpcId {
		t.Fatalf("CreateDefaultVpc: %+v %v", nv, err)
	}
	nv2, subs2, groups2 := defaultNetwork(t, c)
	if *nv2.VpcId != *nv.Vpc.VpcId || len(subs2) != 3 || len(groups2) != 1 {
		t.Errorf("recreated default VPC: %s, %d subnets, %d groups", *nv2.VpcId, len(subs2), len(groups2))
	}
}

func TestVPCLimit(t *testing.T) {
	w := start(t)
	c := w.region("ap-south-1")
	for i := 1; i < ec2.MaxVPCsPerRegion; i++ {
		if _, err := c.CreateVpc(ctx, &sdk.CreateVpcInput{CidrBlock: aws.String("10." + strconv.Itoa(i) + ".0.0/16")}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.CreateVpc(ctx, &sdk.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16")})
	wantCode(t, err, "VpcLimitExceeded")
	p := sdk.NewDescribeVpcsPaginator(c, &sdk.DescribeVpcsInput{MaxResults: aws.Int32(5)})
	n := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.Vpcs)
	}
	if n != ec2.MaxVPCsPerRegion {
		t.Errorf("%d VPCs listed, want %d", n, ec2.MaxVPCsPerRegion)
	}
	_, err = c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{MaxResults: aws.Int32(2)})
	wantCode(t, err, "InvalidParameterValue")
}
