package preflight

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/check"
	"github.com/winami/winami/spec"
)

// offered returns which of types the location offers: the region (locationType region,
// location "") or one Availability Zone (locationType availability-zone). EC2 answers an
// instance-type filter value that is no instance type with no offering, not with an error
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypeOfferings.html).
func offered(ctx context.Context, api awsapi.EC2, locationType ec2types.LocationType, location string, types []string) (map[string]bool, error) {
	in := &ec2.DescribeInstanceTypeOfferingsInput{LocationType: locationType,
		Filters: []ec2types.Filter{{Name: aws.String("instance-type"), Values: types}}}
	if location != "" {
		in.Filters = append(in.Filters, ec2types.Filter{Name: aws.String("location"), Values: []string{location}})
	}
	got := map[string]bool{}
	p := ec2.NewDescribeInstanceTypeOfferingsPaginator(api, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range out.InstanceTypeOfferings {
			got[string(o.InstanceType)] = true
		}
	}
	return got, nil
}

// unknownTypes returns which of types EC2 does not know at all (a typo such as
// m6i.2xlargee): DescribeInstanceTypes refuses them with InvalidInstanceType
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypes.html;
// the error text names no type, so each is asked about alone).
func unknownTypes(ctx context.Context, api awsapi.EC2, types []string) ([]string, error) {
	var out []string
	for _, t := range types {
		_, err := api.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []ec2types.InstanceType{ec2types.InstanceType(t)}})
		switch {
		case err == nil:
		case awsapi.ErrorCode(err) == "InvalidInstanceType":
			out = append(out, t)
		default:
			return nil, err
		}
	}
	return out, nil
}

// instanceTypes checks spec.build.instanceTypes: each is an EC2 instance type, offered in
// the build region and, when the spec names the subnet, in the subnet's Availability
// Zone. Image Builder picks one of the types that is available
// (https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_CreateInfrastructureConfiguration.html,
// instanceTypes), so a type missing from a list with others that work is a warning; a
// type that does not exist, or a list with none offered, fails.
func (d *Doctor) instanceTypes(ctx context.Context, img *spec.WindowsImage) (check.Check, error) {
	region := img.Metadata.Region
	types := img.Spec.Build.InstanceTypes
	api := d.Clients.EC2(region)
	if len(types) == 0 {
		return check.Check{Name: CheckInstanceTypes, Status: check.Pass, Message: "no instance types in the spec: Image Builder picks its default"}, nil
	}
	notChecked := func(err error) (check.Check, error) {
		if awsapi.IsAccessDenied(err) || awsapi.ErrorCode(err) == "InvalidAction" {
			return check.Check{Name: CheckInstanceTypes, Status: check.Warn, Message: fmt.Sprintf("instance types not checked in %s: %v", region, err),
				Fix: "allow ec2:DescribeInstanceTypeOfferings and ec2:DescribeInstanceTypes (`winami iam-policy --for operator`)"}, nil
		}
		return check.Check{}, fmt.Errorf("checking the instance types in %s: %w", region, err)
	}
	inRegion, err := offered(ctx, api, ec2types.LocationTypeRegion, "", types)
	if err != nil {
		return notChecked(err)
	}
	var missing []string
	for _, t := range types {
		if !inRegion[t] {
			missing = append(missing, t)
		}
	}
	var unknown []string
	if len(missing) > 0 {
		if unknown, err = unknownTypes(ctx, api, missing); err != nil {
			return notChecked(err)
		}
	}
	var problems []string
	isUnknown := map[string]bool{}
	for _, t := range unknown {
		isUnknown[t] = true
		problems = append(problems, fmt.Sprintf("%s is not an EC2 instance type", t))
	}
	for _, t := range missing {
		if !isUnknown[t] {
			problems = append(problems, fmt.Sprintf("%s is not offered in %s", t, region))
		}
	}
	fix := fmt.Sprintf("correct spec.build.instanceTypes: `aws ec2 describe-instance-type-offerings --region %s --filters Name=instance-type,Values=m6i.*` lists what the region offers", region)

	// The subnet's Availability Zone: the build instance launches there.
	zoneMissing := 0
	zone := ""
	if b := img.Spec.Build; b.SubnetID != "" && len(missing) < len(types) {
		sub, err := api.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("subnet-id"), Values: []string{b.SubnetID}}}})
		if err != nil {
			return notChecked(err)
		}
		if len(sub.Subnets) > 0 {
			zone = aws.ToString(sub.Subnets[0].AvailabilityZone)
		}
		if zone != "" {
			inZone, err := offered(ctx, api, ec2types.LocationTypeAvailabilityZone, zone, types)
			if err != nil {
				return notChecked(err)
			}
			for _, t := range types {
				if inRegion[t] && !inZone[t] {
					zoneMissing++
					problems = append(problems, fmt.Sprintf("%s is offered in %s but not in %s, the Availability Zone of subnet %s", t, region, zone, b.SubnetID))
				}
			}
			if zoneMissing > 0 {
				fix += fmt.Sprintf("; or set spec.build.subnetId to a subnet in an Availability Zone that offers them (`aws ec2 describe-instance-type-offerings --region %s --location-type availability-zone`)", region)
			}
		}
	}
	if len(problems) == 0 {
		where := region
		if zone != "" {
			where = fmt.Sprintf("%s (%s, the subnet's zone)", region, zone)
		}
		return check.Check{Name: CheckInstanceTypes, Status: check.Pass, Message: fmt.Sprintf("%s offered in %s", strings.Join(types, ", "), where)}, nil
	}
	sort.Strings(problems)
	status := check.Warn
	if len(unknown) > 0 || len(missing)+zoneMissing >= len(types) {
		status = check.Fail
	}
	msg := strings.Join(problems, "; ")
	if status == check.Warn {
		msg += " (Image Builder picks among the others)"
	}
	return check.Check{Name: CheckInstanceTypes, Status: status, Message: msg, Fix: fix}, nil
}
