package preflight

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/check"
	"github.com/winami/winami/spec"
)

func (d *Doctor) network(ctx context.Context, img *spec.WindowsImage) (check.Check, error) {
	region := img.Metadata.Region
	b := img.Spec.Build
	api := d.Clients.EC2(region)
	if b.SubnetID == "" {
		out, err := api.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
		if err != nil {
			return check.Check{}, fmt.Errorf("looking for the default VPC in %s: %w", region, err)
		}
		if len(out.Vpcs) == 0 {
			return check.Check{Name: CheckNetwork, Status: check.Fail, Message: fmt.Sprintf("no subnet in the spec and %s has no default VPC", region),
				Fix: "set spec.build.subnetId and securityGroupIds (a subnet with a route to SSM, S3 and your registries)"}, nil
		}
		vpc := aws.ToString(out.Vpcs[0].VpcId)
		// Image Builder launches into a default subnet of the default VPC: one must be left.
		subs, err := api.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{vpc}}, {Name: aws.String("default-for-az"), Values: []string{"true"}}}})
		if err != nil {
			return unchecked(region, err)
		}
		if len(subs.Subnets) == 0 {
			return check.Check{Name: CheckNetwork, Status: check.Fail, Message: fmt.Sprintf("no subnet in the spec and the default VPC %s of %s has no default subnet", vpc, region),
				Fix: "set spec.build.subnetId and securityGroupIds, or create default subnets (aws ec2 create-default-subnet --availability-zone <zone>)"}, nil
		}
		return check.Check{Name: CheckNetwork, Status: check.Pass, Message: fmt.Sprintf("builds run in the default VPC %s of %s", vpc, region)}, nil
	}
	var problems []string
	sub, err := api.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("subnet-id"), Values: []string{b.SubnetID}}}})
	if err != nil {
		return unchecked(region, err)
	}
	vpc := ""
	if len(sub.Subnets) == 0 {
		problems = append(problems, fmt.Sprintf("subnet %s does not exist in %s", b.SubnetID, region))
	} else {
		vpc = aws.ToString(sub.Subnets[0].VpcId)
	}
	if len(b.SecurityGroupIDs) > 0 {
		sg, err := api.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: b.SecurityGroupIDs}}})
		if err != nil {
			return unchecked(region, err)
		}
		found := map[string]string{}
		for _, g := range sg.SecurityGroups {
			found[aws.ToString(g.GroupId)] = aws.ToString(g.VpcId)
		}
		for _, id := range b.SecurityGroupIDs {
			switch v, ok := found[id]; {
			case !ok:
				problems = append(problems, fmt.Sprintf("security group %s does not exist in %s", id, region))
			case vpc != "" && v != vpc:
				problems = append(problems, fmt.Sprintf("security group %s is in %s, not in the subnet's VPC %s", id, v, vpc))
			}
		}
	}
	if len(problems) > 0 {
		return check.Check{Name: CheckNetwork, Status: check.Fail, Message: strings.Join(problems, "; "),
			Fix: fmt.Sprintf("set spec.build.subnetId to a subnet of %s and securityGroupIds to groups of its VPC (`aws ec2 describe-subnets --region %s` and `describe-security-groups` list them)", region, region)}, nil
	}
	return check.Check{Name: CheckNetwork, Status: check.Pass, Message: fmt.Sprintf("subnet %s and %d security groups exist in %s", b.SubnetID, len(b.SecurityGroupIDs), region)}, nil
}

func unchecked(region string, err error) (check.Check, error) {
	if awsapi.IsAccessDenied(err) || awsapi.ErrorCode(err) == "InvalidAction" {
		return check.Check{Name: CheckNetwork, Status: check.Warn, Message: fmt.Sprintf("subnet and security groups not checked in %s: %v", region, err)}, nil
	}
	return check.Check{}, fmt.Errorf("describing the build network in %s: %w", region, err)
}
