package fastlaunch

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/check"
)

// What AWS documents about the instances Fast Launch launches, and the quotas they meet
// (read 2026-11-26):
//
//   - "Amazon EC2 launches a set of temporary t3 instances, based on your settings", one
//     pre-provisioned snapshot each, and terminates them when the snapshot is taken
//     (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/win-ami-config-fast-launch.html).
//     The size is not stated there; the page on launch templates for Fast Launch tells you
//     to create a template with "An instance type of t3.xlarge"
//     (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/win-fast-launch-configure.html#win-fast-launch-with-template),
//     and a launch template's instance type is what EC2 launches, so a template can
//     override it. Without a template winami assumes DefaultInstanceType.
//   - "The default quota for Max parallel launches across all AMIs in an AWS account is 40
//     per Region", the Service Quotas quota "Parallel instance launches" of "EC2 Fast
//     Launch" (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/win-start-fast-launch-prereqs.html).
//     winami warns above it (DefaultParallelLaunchQuota) but cannot read it: the page does
//     not give its service and quota codes.
//   - MaxParallelLaunches must be 6 or greater (EnableFastLaunch API reference).
//
// The snapshot instances are On-Demand instances of the account, so they count against
// the region's vCPU quota for On-Demand standard instances (A, C, D, H, I, M, R, T, Z),
// Service Quotas ec2 / L-1216C47A, together with every instance already running: with
// the default t3.xlarge, 6 parallel launches need 24 vCPUs, and a new account's default
// of 5 vCPUs refuses all but one of them.

// Quota facts the vCPU check uses.
const (
	// DefaultInstanceType is the instance type Fast Launch is taken to launch when the
	// launch template names none, or there is no template.
	DefaultInstanceType = "t3.xlarge"
	// DefaultParallelLaunchQuota is EC2 Fast Launch's documented default quota of
	// parallel launches per region, across all AMIs.
	DefaultParallelLaunchQuota = 40
	// VCPUServiceCode and VCPUQuotaCode name the On-Demand standard instances vCPU quota.
	VCPUServiceCode = "ec2"
	VCPUQuotaCode   = "L-1216C47A"
)

// standardFamilies are the first letters of the instance families the standard
// On-Demand quota counts (A, C, D, H, I, M, R, T, Z).
const standardFamilies = "acdhimrtz"

// templateInstanceType returns the instance type of the launch template version Fast
// Launch will use ("" when the version names none).
func (c *Client) templateInstanceType(ctx context.Context, ref TemplateRef) (string, error) {
	in := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{ref.Version}}
	if ref.Version == "" {
		in.Versions = []string{"$Default"}
	}
	if ref.ID != "" {
		in.LaunchTemplateId = aws.String(ref.ID)
	} else {
		in.LaunchTemplateName = aws.String(ref.Name)
	}
	out, err := c.EC2.DescribeLaunchTemplateVersions(ctx, in)
	if err != nil {
		return "", fmt.Errorf("describing launch template %s in %s: %w", ref, c.Region, err)
	}
	for _, v := range out.LaunchTemplateVersions {
		if v.LaunchTemplateData != nil {
			return string(v.LaunchTemplateData.InstanceType), nil
		}
	}
	return "", nil
}

// quotaValue reads the vCPU quota applied in the region, or AWS's default when the
// account has no applied value. The error is Service Quotas' own.
func (c *Client) quotaValue(ctx context.Context) (value float64, isDefault bool, err error) {
	out, err := c.ServiceQuotas.GetServiceQuota(ctx, &servicequotas.GetServiceQuotaInput{
		ServiceCode: aws.String(VCPUServiceCode), QuotaCode: aws.String(VCPUQuotaCode)})
	if err == nil && out.Quota != nil && out.Quota.Value != nil {
		return *out.Quota.Value, false, nil
	}
	if err != nil && awsapi.ErrorCode(err) != "NoSuchResourceException" {
		return 0, false, err
	}
	def, err := c.ServiceQuotas.GetAWSDefaultServiceQuota(ctx, &servicequotas.GetAWSDefaultServiceQuotaInput{
		ServiceCode: aws.String(VCPUServiceCode), QuotaCode: aws.String(VCPUQuotaCode)})
	if err != nil {
		return 0, false, err
	}
	if def.Quota == nil || def.Quota.Value == nil {
		return 0, false, fmt.Errorf("service Quotas answered no value for %s/%s", VCPUServiceCode, VCPUQuotaCode)
	}
	return *def.Quota.Value, true, nil
}

// checkVCPUQuota checks that maxParallel instances of instanceType fit in the region's
// On-Demand standard vCPU quota. fromTemplate says where instanceType came from.
func (c *Client) checkVCPUQuota(ctx context.Context, maxParallel int32, instanceType string, fromTemplate bool) check.Check {
	skip := func(msg, fix string) check.Check {
		return check.Check{Name: CheckVCPUQuota, Status: check.Skip, Message: msg, Fix: fix}
	}
	source := "Fast Launch's default"
	if fromTemplate {
		source = "from the launch template"
	}
	if instanceType == "" {
		instanceType = DefaultInstanceType
		if fromTemplate {
			source = "the launch template names none; Fast Launch's default"
		}
	}
	if !strings.Contains(instanceType, ".") || !strings.ContainsRune(standardFamilies, rune(instanceType[0])) {
		return skip(fmt.Sprintf("vCPU quota not checked: %s is not a standard (A, C, D, H, I, M, R, T, Z) instance type, so it counts against another On-Demand quota", instanceType),
			"check that quota in the Service Quotas console for "+c.Region)
	}
	if c.ServiceQuotas == nil {
		return skip("vCPU quota not checked: no Service Quotas client", "")
	}
	it, err := c.EC2.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{types.InstanceType(instanceType)}})
	switch {
	case err != nil && strings.HasPrefix(awsapi.ErrorCode(err), "InvalidInstanceType"):
		return check.Check{Name: CheckVCPUQuota, Status: check.Fail,
			Message: fmt.Sprintf("instance type %s (%s) does not exist in %s", instanceType, source, c.Region),
			Fix:     "set an existing instance type in the launch template, e.g. " + DefaultInstanceType}
	case err != nil && awsapi.IsAccessDenied(err):
		return skip(fmt.Sprintf("vCPU quota not checked: you may not call ec2:DescribeInstanceTypes in %s", c.Region),
			"allow ec2:DescribeInstanceTypes to let winami check")
	case err != nil:
		return check.Check{Name: CheckVCPUQuota, Status: check.Warn,
			Message: fmt.Sprintf("vCPU quota not checked: describing instance type %s in %s: %v", instanceType, c.Region, err)}
	}
	vcpus := int32(0)
	for _, t := range it.InstanceTypes {
		if string(t.InstanceType) == instanceType && t.VCpuInfo != nil {
			vcpus = aws.ToInt32(t.VCpuInfo.DefaultVCpus)
		}
	}
	if vcpus <= 0 {
		return check.Check{Name: CheckVCPUQuota, Status: check.Warn,
			Message: fmt.Sprintf("vCPU quota not checked: EC2 gave no vCPU count for %s in %s", instanceType, c.Region)}
	}

	quota, isDefault, err := c.quotaValue(ctx)
	switch {
	case err != nil && awsapi.IsAccessDenied(err):
		return skip(fmt.Sprintf("vCPU quota not checked: you may not call servicequotas:GetServiceQuota in %s", c.Region),
			"grant servicequotas:GetServiceQuota and servicequotas:GetAWSDefaultServiceQuota to let winami check, or compare in the Service Quotas console ("+VCPUServiceCode+" / "+VCPUQuotaCode+")")
	case err != nil:
		return check.Check{Name: CheckVCPUQuota, Status: check.Warn,
			Message: fmt.Sprintf("vCPU quota not checked: reading quota %s/%s in %s: %v", VCPUServiceCode, VCPUQuotaCode, c.Region, err)}
	}
	need := int64(maxParallel) * int64(vcpus)
	have := int64(quota)
	kind := "applied"
	if isDefault {
		kind = "AWS default (no value applied to the account)"
	}
	calc := fmt.Sprintf("%d parallel launches × %d vCPUs of %s (%s) = %d vCPUs", maxParallel, vcpus, instanceType, source, need)
	quotaText := fmt.Sprintf("the On-Demand standard instances quota of %d vCPUs in %s (%s, %s/%s)", have, c.Region, kind, VCPUServiceCode, VCPUQuotaCode)
	if need > have {
		fix := fmt.Sprintf("request a quota increase: `aws service-quotas request-service-quota-increase --service-code %s --quota-code %s --desired-value %d --region %s`",
			VCPUServiceCode, VCPUQuotaCode, have+need, c.Region)
		if fit := have / int64(vcpus); fit >= MinParallelLaunches {
			fix = fmt.Sprintf("pass --max-parallel %d or less (slower snapshot creation), or ", fit) + fix
		}
		return check.Check{Name: CheckVCPUQuota, Status: check.Fail,
			Message: calc + " exceed " + quotaText + "; instances already running count against it too",
			Fix:     fix + " (the desired value leaves room for the instances you run today)"}
	}
	return check.Check{Name: CheckVCPUQuota, Status: check.Pass,
		Message: calc + " within " + quotaText + "; instances already running count against it too"}
}
