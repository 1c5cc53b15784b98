//go:build conformance

package conformance_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsemu/awstest"
)

// The EC2 operations prune reads to see who else uses an AMI, and those that create what
// it reads: launch permissions (DescribeImageAttribute / ModifyImageAttribute), disabled
// AMIs (DisableImage / EnableImage / DescribeImages IncludeDisabled), Spot Fleet requests,
// EC2 Fleets and Spot Instance requests.
//   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImageAttribute.html
//   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisableImage.html
//   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSpotFleetRequests.html
//   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFleets.html
//   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSpotInstanceRequests.html

const testOrgARN = "arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5"

// ec2PruneSourcesWithCLI drives those operations with the AWS CLI (botocore parses every
// answer), from an AMI of the account made from an instance of public.
func ec2PruneSourcesWithCLI(t *testing.T, public string, cli func(out any, args ...string), cliErr func(args ...string) string) {
	t.Helper()
	var run struct{ Instances []struct{ InstanceId string } }
	cli(&run, "run-instances", "--image-id", public, "--count", "1", "--instance-type", "m6i.large")
	var img struct{ ImageId string }
	cli(&img, "create-image", "--instance-id", run.Instances[0].InstanceId, "--name", "prune-sources")
	ami := img.ImageId

	var none struct{}
	cli(&none, "modify-image-attribute", "--image-id", ami, "--launch-permission",
		`{"Add":[{"UserId":"444455556666"},{"OrganizationArn":"`+testOrgARN+`"}]}`)
	var attr struct {
		ImageId           string
		LaunchPermissions []struct{ UserId, Group, OrganizationArn, OrganizationalUnitArn string }
	}
	cli(&attr, "describe-image-attribute", "--image-id", ami, "--attribute", "launchPermission")
	if attr.ImageId != ami || len(attr.LaunchPermissions) != 2 || attr.LaunchPermissions[0].UserId != "444455556666" || attr.LaunchPermissions[1].OrganizationArn != testOrgARN {
		t.Errorf("describe-image-attribute launchPermission: %+v", attr)
	}
	if code := cliErr("describe-image-attribute", "--image-id", ami, "--attribute", "launchPermission", "--dry-run"); code != "DryRunOperation" {
		t.Errorf("describe-image-attribute --dry-run: %s", code)
	}
	if code := cliErr("modify-image-attribute", "--image-id", ami, "--launch-permission", `{"Add":[{"UserId":"12"}]}`); code != "InvalidUserID.Malformed" {
		t.Errorf("modify-image-attribute with a bad account: %s", code)
	}

	cli(&none, "disable-image", "--image-id", ami)
	var imgs struct{ Images []cliImage }
	cli(&imgs, "describe-images", "--owners", "self", "--filters", "Name=name,Values=prune-sources")
	if len(imgs.Images) != 0 {
		t.Errorf("describe-images lists a disabled AMI without --include-disabled: %+v", imgs.Images)
	}
	cli(&imgs, "describe-images", "--owners", "self", "--include-disabled", "--filters", "Name=name,Values=prune-sources")
	if len(imgs.Images) != 1 || imgs.Images[0].State != "disabled" {
		t.Errorf("describe-images --include-disabled: %+v", imgs.Images)
	}
	cli(&attr, "describe-image-attribute", "--image-id", ami, "--attribute", "launchPermission")
	if len(attr.LaunchPermissions) != 0 {
		t.Errorf("a disabled AMI keeps its launch permissions: %+v", attr)
	}
	if code := cliErr("run-instances", "--image-id", ami, "--count", "1"); code != "InvalidAMIID.Unavailable" {
		t.Errorf("run-instances from a disabled AMI: %s", code)
	}
	cli(&none, "enable-image", "--image-id", ami)
	if code := cliErr("enable-image", "--image-id", ami); code != "IncorrectState" {
		t.Errorf("enable-image of an available AMI: %s", code)
	}

	var sfr struct{ SpotFleetRequestId string }
	cli(&sfr, "request-spot-fleet", "--spot-fleet-request-config",
		`{"IamFleetRole":"arn:aws:iam::123456789012:role/spot-fleet","TargetCapacity":2,"LaunchSpecifications":[{"ImageId":"`+ami+`","InstanceType":"m6i.large"}]}`)
	var sfrs struct {
		SpotFleetRequestConfigs []struct {
			SpotFleetRequestId, SpotFleetRequestState string
			SpotFleetRequestConfig                    struct {
				TargetCapacity       int
				LaunchSpecifications []struct{ ImageId, InstanceType string }
			}
		}
	}
	cli(&sfrs, "describe-spot-fleet-requests")
	if len(sfrs.SpotFleetRequestConfigs) != 1 || sfrs.SpotFleetRequestConfigs[0].SpotFleetRequestId != sfr.SpotFleetRequestId ||
		sfrs.SpotFleetRequestConfigs[0].SpotFleetRequestConfig.LaunchSpecifications[0].ImageId != ami {
		t.Errorf("describe-spot-fleet-requests: %+v", sfrs)
	}
	var cancelled struct {
		SuccessfulFleetRequests []struct{ CurrentSpotFleetRequestState string }
	}
	cli(&cancelled, "cancel-spot-fleet-requests", "--spot-fleet-request-ids", sfr.SpotFleetRequestId, "--terminate-instances")
	if len(cancelled.SuccessfulFleetRequests) != 1 {
		t.Errorf("cancel-spot-fleet-requests: %+v", cancelled)
	}

	var lt struct {
		LaunchTemplate struct{ LaunchTemplateId string }
	}
	cli(&lt, "create-launch-template", "--launch-template-name", "prune-fleet", "--launch-template-data", `{"InstanceType":"m6i.large"}`)
	var fl struct{ FleetId string }
	cli(&fl, "create-fleet", "--launch-template-configs",
		`[{"LaunchTemplateSpecification":{"LaunchTemplateId":"`+lt.LaunchTemplate.LaunchTemplateId+`","Version":"1"},"Overrides":[{"ImageId":"`+ami+`","InstanceType":"m6i.xlarge"}]}]`,
		"--target-capacity-specification", "TotalTargetCapacity=1,DefaultTargetCapacityType=spot", "--type", "maintain")
	var fls struct {
		Fleets []struct {
			FleetId, FleetState, Type string
			LaunchTemplateConfigs     []struct{ Overrides []struct{ ImageId string } }
		}
	}
	cli(&fls, "describe-fleets", "--fleet-ids", fl.FleetId)
	if len(fls.Fleets) != 1 || fls.Fleets[0].LaunchTemplateConfigs[0].Overrides[0].ImageId != ami || fls.Fleets[0].Type != "maintain" {
		t.Errorf("describe-fleets: %+v", fls)
	}
	var deleted struct {
		SuccessfulFleetDeletions []struct{ CurrentFleetState string }
	}
	cli(&deleted, "delete-fleets", "--fleet-ids", fl.FleetId, "--terminate-instances")
	if len(deleted.SuccessfulFleetDeletions) != 1 || deleted.SuccessfulFleetDeletions[0].CurrentFleetState != "deleted" {
		t.Errorf("delete-fleets: %+v", deleted)
	}
	cli(&none, "delete-launch-template", "--launch-template-id", lt.LaunchTemplate.LaunchTemplateId)

	var sirs struct {
		SpotInstanceRequests []struct {
			SpotInstanceRequestId, State, Type string
			LaunchSpecification                struct{ ImageId string }
		}
	}
	cli(&sirs, "request-spot-instances", "--type", "persistent", "--launch-specification", `{"ImageId":"`+ami+`","InstanceType":"m6i.large"}`)
	if len(sirs.SpotInstanceRequests) != 1 || sirs.SpotInstanceRequests[0].LaunchSpecification.ImageId != ami {
		t.Fatalf("request-spot-instances: %+v", sirs)
	}
	sir := sirs.SpotInstanceRequests[0].SpotInstanceRequestId
	cli(&sirs, "describe-spot-instance-requests", "--filters", "Name=launch.image-id,Values="+ami)
	if len(sirs.SpotInstanceRequests) != 1 || sirs.SpotInstanceRequests[0].State != "open" || sirs.SpotInstanceRequests[0].Type != "persistent" {
		t.Errorf("describe-spot-instance-requests: %+v", sirs)
	}
	cli(&none, "cancel-spot-instance-requests", "--spot-instance-request-ids", sir)
	if code := cliErr("request-spot-instances", "--launch-specification", `{"ImageId":"ami-0123456789abcdef0"}`); code != "InvalidAMIID.NotFound" {
		t.Errorf("request-spot-instances of an unknown AMI: %s", code)
	}

	cli(&none, "deregister-image", "--image-id", ami)
	cli(&none, "terminate-instances", "--instance-ids", run.Instances[0].InstanceId)
}

// ec2PruneSourcesScenario runs the same session against one endpoint and records what a
// client observes (ids differ, so it records counts, states, whether the AMI comes back
// where it was put, and error codes).
func ec2PruneSourcesScenario(t *testing.T, endpoint string) *record {
	t.Helper()
	ctx := context.Background()
	c := sdk.NewFromConfig(awstest.SDKConfig(endpoint, "us-east-1"))
	r := &record{}
	pub, err := c.DescribeImages(ctx, &sdk.DescribeImagesInput{Owners: []string{"amazon"}, Filters: []types.Filter{{Name: aws.String("platform"), Values: []string{"windows"}}}})
	if err != nil || len(pub.Images) == 0 {
		t.Fatalf("no public Windows image: %v", err)
	}
	sort.Slice(pub.Images, func(i, j int) bool { return *pub.Images[i].Name < *pub.Images[j].Name })
	run, err := c.RunInstances(ctx, &sdk.RunInstancesInput{ImageId: pub.Images[0].ImageId, MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: types.InstanceTypeM5Large})
	if err != nil {
		t.Fatal(err)
	}
	img, err := c.CreateImage(ctx, &sdk.CreateImageInput{InstanceId: run.Instances[0].InstanceId, Name: aws.String("prune-sources")})
	if err != nil {
		t.Fatal(err)
	}
	ami := aws.ToString(img.ImageId)

	// Launch permissions.
	attr, err := c.DescribeImageAttribute(ctx, &sdk.DescribeImageAttributeInput{ImageId: img.ImageId, Attribute: types.ImageAttributeNameLaunchPermission})
	r.add("launch permissions before: %s %d", ec2Err(err), nPerms(attr))
	_, err = c.ModifyImageAttribute(ctx, &sdk.ModifyImageAttributeInput{ImageId: img.ImageId, LaunchPermission: &types.LaunchPermissionModifications{
		Add: []types.LaunchPermission{{UserId: aws.String("444455556666")}, {OrganizationArn: aws.String(testOrgARN)}}}})
	r.add("share: %s", ec2Err(err))
	attr, err = c.DescribeImageAttribute(ctx, &sdk.DescribeImageAttributeInput{ImageId: img.ImageId, Attribute: types.ImageAttributeNameLaunchPermission})
	var perms []string
	if err == nil {
		for _, p := range attr.LaunchPermissions {
			perms = append(perms, aws.ToString(p.UserId)+aws.ToString(p.OrganizationArn)+string(p.Group))
		}
	}
	r.add("launch permissions: %s image=%v %s", ec2Err(err), err == nil && aws.ToString(attr.ImageId) == ami, sorted(perms))
	_, err = c.ModifyImageAttribute(ctx, &sdk.ModifyImageAttributeInput{ImageId: img.ImageId, LaunchPermission: &types.LaunchPermissionModifications{
		Remove: []types.LaunchPermission{{UserId: aws.String("444455556666")}}}})
	r.add("unshare account: %s", ec2Err(err))
	attr, err = c.DescribeImageAttribute(ctx, &sdk.DescribeImageAttributeInput{ImageId: img.ImageId, Attribute: types.ImageAttributeNameLaunchPermission})
	r.add("launch permissions after: %s %d", ec2Err(err), nPerms(attr))
	_, err = c.DescribeImageAttribute(ctx, &sdk.DescribeImageAttributeInput{ImageId: img.ImageId, Attribute: "colour"})
	r.add("unknown attribute: %s", ec2Err(err))

	// Spot Fleet requests are not compared: moto 5.2.1 answers RequestSpotFleet and
	// CancelSpotFleetRequests from this SDK with HTTP 500 (DIFFERENCES.md); the AWS CLI
	// test drives them against awsemu.

	// EC2 Fleet with a launch template override naming the AMI.
	lt, err := c.CreateLaunchTemplate(ctx, &sdk.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("prune-fleet"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeM5Large}})
	if err != nil {
		t.Fatal(err)
	}
	fl, err := c.CreateFleet(ctx, &sdk.CreateFleetInput{Type: types.FleetTypeMaintain,
		LaunchTemplateConfigs: []types.FleetLaunchTemplateConfigRequest{{
			LaunchTemplateSpecification: &types.FleetLaunchTemplateSpecificationRequest{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("1")},
			Overrides:                   []types.FleetLaunchTemplateOverridesRequest{{ImageId: img.ImageId, InstanceType: types.InstanceTypeM5Xlarge}}}},
		TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(1), DefaultTargetCapacityType: types.DefaultTargetCapacityTypeSpot}})
	fleetID := "fleet-00000000-0000-0000-0000-000000000000"
	if err == nil {
		fleetID = aws.ToString(fl.FleetId)
	}
	r.add("create fleet: %s id=%v", ec2Err(err), strings.HasPrefix(fleetID, "fleet-"))
	fls, err := c.DescribeFleets(ctx, &sdk.DescribeFleetsInput{FleetIds: []string{fleetID}})
	if err == nil && len(fls.Fleets) == 1 && len(fls.Fleets[0].LaunchTemplateConfigs) == 1 && len(fls.Fleets[0].LaunchTemplateConfigs[0].Overrides) == 1 {
		f := fls.Fleets[0]
		r.add("fleets: 1 type=%s override image=%v target=%d", f.Type, aws.ToString(f.LaunchTemplateConfigs[0].Overrides[0].ImageId) == ami,
			aws.ToInt32(f.TargetCapacitySpecification.TotalTargetCapacity))
	} else {
		r.add("fleets: %s %+v", ec2Err(err), fls)
	}
	del, err := c.DeleteFleets(ctx, &sdk.DeleteFleetsInput{FleetIds: []string{fleetID}, TerminateInstances: aws.Bool(true)})
	if err == nil {
		r.add("delete fleet: ok=%d", len(del.SuccessfulFleetDeletions))
	} else {
		r.add("delete fleet: %s", ec2Err(err))
	}

	// Spot Instance request naming the AMI.
	sir, err := c.RequestSpotInstances(ctx, &sdk.RequestSpotInstancesInput{Type: types.SpotInstanceTypePersistent,
		LaunchSpecification: &types.RequestSpotLaunchSpecification{ImageId: img.ImageId, InstanceType: types.InstanceTypeM5Large}})
	if err == nil {
		r.add("request spot instances: n=%d", len(sir.SpotInstanceRequests))
	} else {
		r.add("request spot instances: %s", ec2Err(err))
	}
	sirs, err := c.DescribeSpotInstanceRequests(ctx, &sdk.DescribeSpotInstanceRequestsInput{})
	var naming []types.SpotInstanceRequest
	if err == nil {
		for _, s := range sirs.SpotInstanceRequests {
			if s.LaunchSpecification != nil && aws.ToString(s.LaunchSpecification.ImageId) == ami && s.Type == types.SpotInstanceTypePersistent {
				naming = append(naming, s)
			}
		}
	}
	r.add("spot requests naming the AMI: %s any=%v", ec2Err(err), len(naming) > 0)
	if len(naming) > 0 {
		s := naming[0]
		r.add("spot request: id=%v", strings.HasPrefix(aws.ToString(s.SpotInstanceRequestId), "sir-"))
		r.add("spot request state: %s", s.State)
		_, err = c.CancelSpotInstanceRequests(ctx, &sdk.CancelSpotInstanceRequestsInput{SpotInstanceRequestIds: []string{aws.ToString(s.SpotInstanceRequestId)}})
		r.add("cancel spot request: %s", ec2Err(err))
	}
	return r
}

// TestEC2PruneSourcesAgainstMoto compares the session on awsemu and moto_server.
func TestEC2PruneSourcesAgainstMoto(t *testing.T) {
	t.Parallel()
	moto := awstest.StartMoto(t)
	srv := startEC2(t)
	emu := ec2PruneSourcesScenario(t, srv.URL())
	mot := ec2PruneSourcesScenario(t, moto)
	compareRecords(t, emu, mot, "spot request state")
}

func nPerms(out *sdk.DescribeImageAttributeOutput) int {
	if out == nil {
		return -1
	}
	return len(out.LaunchPermissions)
}
