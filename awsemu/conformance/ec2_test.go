//go:build conformance

package conformance_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/awsemu/services/ec2"
	"github.com/winami/winami/awsemu/world"
)

// startEC2 serves awsemu's EC2 alone, with the seeded public world and a manual clock
// (moved over HTTP through the control API).
func startEC2(t *testing.T) *awsemu.Server {
	t.Helper()
	srv := awsemu.NewServer()
	srv.Clock = awsemu.NewManualClock(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	ec2.New(srv, seed.Images())
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// advanceClock moves the server's manual clock through the control API.
func advanceClock(t *testing.T, endpoint string, d time.Duration) {
	t.Helper()
	resp, err := http.Post(endpoint+awsemu.ControlPrefix+"clock/advance?by="+d.String(), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("advancing the clock: HTTP %d", resp.StatusCode)
	}
}

type cliTag struct{ Key, Value string }

type cliImage struct {
	ImageId, Name, State, OwnerId, Platform, PlatformDetails, CreationDate, ImageOwnerAlias, DeprecationTime string
	Public                                                                                                   bool
	BlockDeviceMappings                                                                                      []struct {
		DeviceName string
		Ebs        struct {
			SnapshotId string
			VolumeSize int
		}
	}
	Tags []cliTag
}

// TestEC2WithAWSCLI drives every EC2 operation awsemu implements with the AWS CLI, checks
// what botocore parsed, and finally checks (through the request counts) that no
// operation was left out.
func TestEC2WithAWSCLI(t *testing.T) {
	t.Parallel()
	srv := startEC2(t)
	ep, region := srv.URL(), "us-east-1"
	cli := func(out any, args ...string) {
		t.Helper()
		awstest.CLIJSON(t, ep, region, out, append([]string{"ec2"}, args...)...)
	}
	cliErr := func(args ...string) string {
		t.Helper()
		code, _ := awstest.CLIError(t, ep, region, append([]string{"ec2"}, args...)...)
		return code
	}
	k8s := world.LatestKubernetes()
	rel := seed.EKSReleases(k8s)
	amiName := world.EKSOptimizedAMIName("2022", world.Core, k8s, rel[len(rel)-1].Format("2006.01.02"))
	public := seed.ImageID(region, amiName)

	// describe-images: the seeded EKS-optimized AMI, by name filter with wildcards.
	var imgs struct{ Images []cliImage }
	cli(&imgs, "describe-images", "--owners", "amazon", "--filters",
		"Name=name,Values=Windows_Server-2022-English-Core-EKS_Optimized-"+k8s+"-*", "Name=platform,Values=windows")
	if len(imgs.Images) != len(rel) {
		t.Fatalf("describe-images by name: %d images, want %d (one per release)", len(imgs.Images), len(rel))
	}
	cli(&imgs, "describe-images", "--image-ids", public)
	if i := imgs.Images[0]; i.Name != amiName || i.OwnerId != world.AmazonOwner() || i.Platform != "windows" || i.ImageOwnerAlias != "amazon" ||
		!i.Public || i.State != "available" || len(i.BlockDeviceMappings) != 1 || i.BlockDeviceMappings[0].Ebs.VolumeSize != seed.EKSVolumeGiB ||
		i.BlockDeviceMappings[0].Ebs.SnapshotId == "" || i.DeprecationTime == "" {
		t.Errorf("describe-images --image-ids: %+v", i)
	}
	if code := cliErr("describe-images", "--image-ids", "ami-0123456789abcdef0"); code != "InvalidAMIID.NotFound" {
		t.Errorf("unknown image: %s", code)
	}
	if code := cliErr("describe-images", "--image-ids", "nonsense"); code != "InvalidAMIID.Malformed" {
		t.Errorf("malformed image id: %s", code)
	}
	if code := cliErr("describe-images", "--owners", "self", "--dry-run"); code != "DryRunOperation" {
		t.Errorf("dry run: %s", code)
	}

	// Regions and the default VPC.
	var regs struct {
		Regions []struct{ RegionName, Endpoint, OptInStatus string }
	}
	cli(&regs, "describe-regions")
	if len(regs.Regions) != len(ec2.RegionNames()) || regs.Regions[0].Endpoint == "" || regs.Regions[0].OptInStatus == "" {
		t.Errorf("describe-regions: %+v", regs.Regions)
	}
	cli(&regs, "describe-regions", "--all-regions", "--filters", "Name=opt-in-status,Values=not-opted-in")
	if len(regs.Regions) == 0 {
		t.Error("describe-regions --all-regions: no opt-in regions")
	}
	var vpcs struct {
		Vpcs []struct {
			VpcId, CidrBlock, State string
			IsDefault               bool
		}
	}
	cli(&vpcs, "describe-vpcs", "--filters", "Name=is-default,Values=true")
	if len(vpcs.Vpcs) != 1 || !vpcs.Vpcs[0].IsDefault || vpcs.Vpcs[0].CidrBlock != "172.31.0.0/16" {
		t.Errorf("describe-vpcs: %+v", vpcs.Vpcs)
	}
	ec2NetworkWithCLI(t, cli, cliErr)

	// Instances.
	var run struct {
		ReservationId string
		Instances     []struct {
			InstanceId, ImageId, InstanceType, Platform string
			State                                       struct{ Name string }
		}
	}
	cli(&run, "run-instances", "--image-id", public, "--count", "2", "--instance-type", "m6i.large",
		"--tag-specifications", "ResourceType=instance,Tags=[{Key=role,Value=builder}]")
	if len(run.Instances) != 2 || run.ReservationId == "" || run.Instances[0].State.Name != "pending" || run.Instances[0].Platform != "windows" {
		t.Fatalf("run-instances: %+v", run)
	}
	inst := run.Instances[0].InstanceId
	var desc struct {
		Reservations []struct {
			ReservationId string
			Instances     []struct {
				InstanceId          string
				State               struct{ Name string }
				Tags                []cliTag
				BlockDeviceMappings []struct{ Ebs struct{ VolumeId string } }
			}
		}
	}
	cli(&desc, "describe-instances", "--filters", "Name=tag:role,Values=builder", "Name=instance-state-name,Values=running")
	if len(desc.Reservations) != 1 || len(desc.Reservations[0].Instances) != 2 {
		t.Fatalf("describe-instances: %+v", desc)
	}
	vol := desc.Reservations[0].Instances[0].BlockDeviceMappings[0].Ebs.VolumeId
	var changes struct {
		StoppingInstances, StartingInstances, TerminatingInstances []struct {
			InstanceId                  string
			CurrentState, PreviousState struct{ Name string }
		}
	}
	cli(&changes, "stop-instances", "--instance-ids", run.Instances[1].InstanceId)
	if len(changes.StoppingInstances) != 1 || changes.StoppingInstances[0].CurrentState.Name != "stopping" {
		t.Errorf("stop-instances: %+v", changes)
	}
	cli(&changes, "start-instances", "--instance-ids", run.Instances[1].InstanceId)
	if len(changes.StartingInstances) != 1 || changes.StartingInstances[0].PreviousState.Name != "stopped" {
		t.Errorf("start-instances: %+v", changes)
	}
	if code := cliErr("describe-instances", "--instance-ids", "i-0123456789abcdef0"); code != "InvalidInstanceID.NotFound" {
		t.Errorf("unknown instance: %s", code)
	}

	// Owned images: create, register, tag, paginate, snapshot.
	var created struct{ ImageId string }
	cli(&created, "create-image", "--instance-id", inst, "--name", "winami-golden-0",
		"--tag-specifications", "ResourceType=image,Tags=[{Key=team,Value=win}]")
	golden := created.ImageId
	for i := 1; i < 6; i++ {
		cli(&created, "create-image", "--instance-id", inst, "--name", fmt.Sprintf("winami-golden-%d", i))
	}
	if code := cliErr("create-image", "--instance-id", inst, "--name", "winami-golden-0"); code != "InvalidAMIName.Duplicate" {
		t.Errorf("duplicate name: %s", code)
	}
	cli(&imgs, "describe-images", "--owners", "self", "--page-size", "5")
	if len(imgs.Images) != 6 {
		t.Errorf("describe-images --owners self --page-size 5 (the CLI follows NextToken): %d images, want 6", len(imgs.Images))
	}
	var page struct {
		Images    []cliImage
		NextToken string
	}
	cli(&page, "describe-images", "--owners", "self", "--max-results", "5", "--no-paginate")
	if len(page.Images) != 5 || page.NextToken == "" {
		t.Errorf("one page of 5: %d images, token %q", len(page.Images), page.NextToken)
	}
	cli(&imgs, "describe-images", "--image-ids", golden)
	g := imgs.Images[0]
	if g.OwnerId != awsemu.DefaultAccount || g.Platform != "windows" || len(g.Tags) != 1 || g.Tags[0] != (cliTag{"team", "win"}) {
		t.Errorf("owned image: %+v", g)
	}
	snap := g.BlockDeviceMappings[0].Ebs.SnapshotId
	var reg struct{ ImageId string }
	cli(&reg, "register-image", "--name", "winami-registered", "--root-device-name", "/dev/sda1",
		"--block-device-mappings", "DeviceName=/dev/sda1,Ebs={SnapshotId="+snap+"}")
	cli(nil, "create-tags", "--resources", reg.ImageId, snap, "--tags", "Key=stage,Value=test")
	cli(nil, "delete-tags", "--resources", reg.ImageId, "--tags", "Key=stage")
	cli(&imgs, "describe-images", "--owners", "self", "--filters", "Name=tag-key,Values=stage")
	if len(imgs.Images) != 0 {
		t.Errorf("images still tagged after delete-tags: %+v", imgs.Images)
	}
	var snaps struct {
		Snapshots []struct {
			SnapshotId, State, OwnerId, VolumeId string
			VolumeSize                           int
			Tags                                 []cliTag
		}
		NextToken string
	}
	cli(&snaps, "describe-snapshots", "--owner-ids", "self", "--filters", "Name=tag:stage,Values=test")
	if len(snaps.Snapshots) != 1 || snaps.Snapshots[0].SnapshotId != snap || snaps.Snapshots[0].State != "completed" {
		t.Errorf("describe-snapshots by tag: %+v", snaps)
	}
	var newSnap struct{ SnapshotId, VolumeId string }
	cli(&newSnap, "create-snapshot", "--volume-id", vol, "--description", "manual")
	if newSnap.VolumeId != vol || newSnap.SnapshotId == "" {
		t.Errorf("create-snapshot: %+v", newSnap)
	}
	cli(&snaps, "describe-snapshots", "--owner-ids", "self", "--page-size", "5")
	if len(snaps.Snapshots) != 7 {
		t.Errorf("describe-snapshots --page-size 5: %d snapshots, want 7", len(snaps.Snapshots))
	}
	if code := cliErr("delete-snapshot", "--snapshot-id", snap); code != "InvalidSnapshot.InUse" {
		t.Errorf("delete-snapshot in use: %s", code)
	}
	cli(nil, "delete-snapshot", "--snapshot-id", newSnap.SnapshotId)
	if code := cliErr("delete-snapshot", "--snapshot-id", newSnap.SnapshotId); code != "InvalidSnapshot.NotFound" {
		t.Errorf("delete-snapshot twice: %s", code)
	}
	var dereg struct {
		Return                bool
		DeleteSnapshotResults []struct{ SnapshotId, ReturnCode string }
	}
	cli(&dereg, "deregister-image", "--image-id", reg.ImageId)
	if !dereg.Return {
		t.Errorf("deregister-image: %+v", dereg)
	}

	// Launch templates.
	var lt struct {
		LaunchTemplate struct {
			LaunchTemplateId, LaunchTemplateName      string
			DefaultVersionNumber, LatestVersionNumber int
		}
	}
	cli(&lt, "create-launch-template", "--launch-template-name", "winami-fast-launch",
		"--launch-template-data", `{"ImageId":"`+golden+`","InstanceType":"m6i.xlarge","BlockDeviceMappings":[{"DeviceName":"/dev/sda1","Ebs":{"VolumeSize":80,"VolumeType":"gp3"}}]}`)
	ltID := lt.LaunchTemplate.LaunchTemplateId
	var ver struct {
		LaunchTemplateVersion struct {
			VersionNumber      int
			LaunchTemplateData struct {
				ImageId, InstanceType string
				BlockDeviceMappings   []struct{ Ebs struct{ VolumeSize int } }
			}
		}
	}
	cli(&ver, "create-launch-template-version", "--launch-template-id", ltID, "--source-version", "1",
		"--launch-template-data", `{"InstanceType":"m6i.2xlarge"}`)
	if d := ver.LaunchTemplateVersion; d.VersionNumber != 2 || d.LaunchTemplateData.ImageId != golden || d.LaunchTemplateData.InstanceType != "m6i.2xlarge" ||
		len(d.LaunchTemplateData.BlockDeviceMappings) != 1 || d.LaunchTemplateData.BlockDeviceMappings[0].Ebs.VolumeSize != 80 {
		t.Errorf("create-launch-template-version: %+v", d)
	}
	cli(&lt, "modify-launch-template", "--launch-template-id", ltID, "--default-version", "2")
	if lt.LaunchTemplate.DefaultVersionNumber != 2 || lt.LaunchTemplate.LatestVersionNumber != 2 {
		t.Errorf("modify-launch-template: %+v", lt)
	}
	var lts struct {
		LaunchTemplates []struct{ LaunchTemplateName string }
	}
	cli(&lts, "describe-launch-templates", "--launch-template-names", "winami-fast-launch")
	if len(lts.LaunchTemplates) != 1 {
		t.Errorf("describe-launch-templates: %+v", lts)
	}
	var vers struct {
		LaunchTemplateVersions []struct {
			VersionNumber  int
			DefaultVersion bool
		}
	}
	cli(&vers, "describe-launch-template-versions", "--launch-template-id", ltID, "--versions", "$Default")
	if len(vers.LaunchTemplateVersions) != 1 || vers.LaunchTemplateVersions[0].VersionNumber != 2 || !vers.LaunchTemplateVersions[0].DefaultVersion {
		t.Errorf("describe-launch-template-versions $Default: %+v", vers)
	}

	// Fast Launch, stepped through its states with the control API's clock.
	type flOut struct {
		ImageId, ResourceType, State, StateTransitionReason, OwnerId string
		MaxParallelLaunches                                          int
		SnapshotConfiguration                                        struct{ TargetResourceCount int }
		LaunchTemplate                                               struct{ LaunchTemplateId, Version string }
	}
	if code := cliErr("enable-fast-launch", "--image-id", golden, "--max-parallel-launches", "4"); code != "InvalidParameterValue" {
		t.Errorf("enable-fast-launch with 4 parallel launches: %s", code)
	}
	if code := cliErr("enable-fast-launch", "--image-id", public); code != "InvalidParameterValue" {
		t.Errorf("enable-fast-launch on Amazon's AMI: %s", code)
	}
	var fl flOut
	cli(&fl, "enable-fast-launch", "--image-id", golden, "--resource-type", "snapshot", "--max-parallel-launches", "6",
		"--snapshot-configuration", "TargetResourceCount=10", "--launch-template", "LaunchTemplateId="+ltID+",Version=2")
	if fl.State != "enabling" || fl.MaxParallelLaunches != 6 || fl.SnapshotConfiguration.TargetResourceCount != 10 || fl.LaunchTemplate.LaunchTemplateId != ltID {
		t.Errorf("enable-fast-launch: %+v", fl)
	}
	var fls struct{ FastLaunchImages []flOut }
	advanceClock(t, ep, ec2.FastLaunchEnableDelay)
	cli(&fls, "describe-fast-launch-images", "--image-ids", golden)
	if len(fls.FastLaunchImages) != 1 || fls.FastLaunchImages[0].State != "enabled" || fls.FastLaunchImages[0].ResourceType != "snapshot" {
		t.Errorf("describe-fast-launch-images: %+v", fls)
	}
	cli(&fl, "disable-fast-launch", "--image-id", golden)
	if fl.State != "disabling" {
		t.Errorf("disable-fast-launch: %+v", fl)
	}
	advanceClock(t, ep, ec2.FastLaunchDisableDelay)
	cli(&fls, "describe-fast-launch-images")
	if len(fls.FastLaunchImages) != 0 {
		t.Errorf("after disabling: %+v", fls)
	}

	// Instance types (the Fast Launch preflight's vCPUs; more in servicequotas_test.go).
	var its struct {
		InstanceTypes []struct {
			InstanceType string
			VCpuInfo     struct{ DefaultVCpus int }
		}
	}
	cli(&its, "describe-instance-types", "--instance-types", "t3.xlarge")
	if len(its.InstanceTypes) != 1 || its.InstanceTypes[0].VCpuInfo.DefaultVCpus != 4 {
		t.Errorf("describe-instance-types: %+v", its)
	}

	ec2OfferingsAndKeyPairsWithCLI(t, ep, cli, cliErr)
	ec2PruneSourcesWithCLI(t, public, cli, cliErr)

	// Clean up what is left.
	cli(&lt, "delete-launch-template", "--launch-template-id", ltID)
	cli(&changes, "terminate-instances", "--instance-ids", inst, run.Instances[1].InstanceId)
	if len(changes.TerminatingInstances) != 2 || changes.TerminatingInstances[0].CurrentState.Name != "shutting-down" {
		t.Errorf("terminate-instances: %+v", changes)
	}

	// Every operation was driven at least once.
	resp, err := http.Get(ep + awsemu.ControlPrefix + "counts")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var counts []struct {
		Service, Operation string
		Count              int
	}
	if err := json.NewDecoder(resp.Body).Decode(&counts); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range counts {
		if c.Service == "ec2" {
			seen[c.Operation] = true
		}
	}
	for _, op := range ec2.Operations() {
		if !seen[op] {
			t.Errorf("operation %s was not driven with the AWS CLI", op)
		}
	}
}

type cliSubnet struct {
	SubnetId, VpcId, CidrBlock, AvailabilityZone, AvailabilityZoneId, State, SubnetArn string
	DefaultForAz, MapPublicIpOnLaunch                                                  bool
	AvailableIpAddressCount                                                            int
	Tags                                                                               []cliTag
}

type cliSecurityGroup struct {
	GroupId, GroupName, Description, VpcId, OwnerId, SecurityGroupArn string
	IpPermissions, IpPermissionsEgress                                []struct {
		IpProtocol string
		IpRanges   []struct{ CidrIp string }
	}
	Tags []cliTag
}

// ec2NetworkWithCLI drives the VPC, subnet and security group operations with the AWS CLI:
// the default VPC's subnets and group, a VPC of its own with subnets and a group, filters,
// paging, DryRun, and deletion with its dependency errors. It ends with the default VPC of
// eu-west-1 deleted and created again.
func ec2NetworkWithCLI(t *testing.T, cli func(out any, args ...string), cliErr func(args ...string) string) {
	t.Helper()
	var vpcs struct {
		Vpcs []struct {
			VpcId, CidrBlock, State, InstanceTenancy string
			IsDefault                                bool
			Tags                                     []cliTag
		}
	}
	cli(&vpcs, "describe-vpcs", "--filters", "Name=is-default,Values=true")
	defVPC := vpcs.Vpcs[0].VpcId
	var subs struct {
		Subnets   []cliSubnet
		NextToken string
	}
	cli(&subs, "describe-subnets", "--filters", "Name=vpc-id,Values="+defVPC, "Name=default-for-az,Values=true")
	if len(subs.Subnets) != len(ec2.AvailabilityZones("us-east-1")) || !subs.Subnets[0].DefaultForAz || subs.Subnets[0].SubnetArn == "" {
		t.Errorf("default subnets: %+v", subs.Subnets)
	}
	var groups struct{ SecurityGroups []cliSecurityGroup }
	cli(&groups, "describe-security-groups", "--group-names", "default")
	if len(groups.SecurityGroups) != 1 || groups.SecurityGroups[0].VpcId != defVPC || len(groups.SecurityGroups[0].IpPermissionsEgress) != 1 ||
		groups.SecurityGroups[0].IpPermissionsEgress[0].IpProtocol != "-1" {
		t.Errorf("default group: %+v", groups.SecurityGroups)
	}

	// A VPC of its own.
	if code := cliErr("create-vpc", "--cidr-block", "10.0.0.0/16", "--dry-run"); code != "DryRunOperation" {
		t.Errorf("create-vpc --dry-run: %s", code)
	}
	if code := cliErr("create-vpc", "--cidr-block", "10.0.0.0/30"); code != "InvalidVpc.Range" {
		t.Errorf("create-vpc /30: %s", code)
	}
	var cv struct {
		Vpc struct {
			VpcId, CidrBlock, State string
			IsDefault               bool
			Tags                    []cliTag
		}
	}
	cli(&cv, "create-vpc", "--cidr-block", "10.20.0.0/16", "--tag-specifications", "ResourceType=vpc,Tags=[{Key=team,Value=win}]")
	vpcID := cv.Vpc.VpcId
	if vpcID == "" || cv.Vpc.IsDefault || cv.Vpc.CidrBlock != "10.20.0.0/16" || len(cv.Vpc.Tags) != 1 {
		t.Errorf("create-vpc: %+v", cv.Vpc)
	}
	cli(&vpcs, "describe-vpcs", "--vpc-ids", vpcID)
	if len(vpcs.Vpcs) != 1 || vpcs.Vpcs[0].State != "available" || vpcs.Vpcs[0].InstanceTenancy != "default" {
		t.Errorf("describe-vpcs --vpc-ids: %+v", vpcs.Vpcs)
	}
	if code := cliErr("describe-vpcs", "--vpc-ids", "vpc-0123456789abcdef0"); code != "InvalidVpcID.NotFound" {
		t.Errorf("describe-vpcs unknown: %s", code)
	}

	var cs struct{ Subnet cliSubnet }
	var subnetIDs []string
	for i, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1a", "us-east-1b", "us-east-1c"} {
		cli(&cs, "create-subnet", "--vpc-id", vpcID, "--cidr-block", fmt.Sprintf("10.20.%d.0/24", i), "--availability-zone", az,
			"--tag-specifications", "ResourceType=subnet,Tags=[{Key=tier,Value=build}]")
		if cs.Subnet.AvailabilityZone != az || cs.Subnet.VpcId != vpcID || cs.Subnet.AvailableIpAddressCount != 251 || cs.Subnet.DefaultForAz {
			t.Errorf("create-subnet: %+v", cs.Subnet)
		}
		subnetIDs = append(subnetIDs, cs.Subnet.SubnetId)
	}
	for args, want := range map[[2]string]string{
		{"10.20.0.128/25", ""}: "InvalidSubnet.Conflict",
		{"10.99.0.0/24", ""}:   "InvalidSubnet.Range",
		{"10.20.9.0/24", "x"}:  "InvalidParameterValue",
	} {
		a := []string{"create-subnet", "--vpc-id", vpcID, "--cidr-block", args[0]}
		if args[1] != "" {
			a = append(a, "--availability-zone", args[1])
		}
		if code := cliErr(a...); code != want {
			t.Errorf("create-subnet %v: %s, want %s", args, code, want)
		}
	}
	if code := cliErr("create-subnet", "--vpc-id", vpcID, "--cidr-block", "10.20.9.0/24", "--dry-run"); code != "DryRunOperation" {
		t.Errorf("create-subnet --dry-run: %s", code)
	}
	// The CLI follows NextToken: six subnets in pages of five.
	cli(&subs, "describe-subnets", "--filters", "Name=vpc-id,Values="+vpcID, "--page-size", "5")
	if len(subs.Subnets) != 6 {
		t.Errorf("describe-subnets paged: %d subnets", len(subs.Subnets))
	}
	cli(&subs, "describe-subnets", "--filters", "Name=vpc-id,Values="+vpcID, "--max-results", "5", "--no-paginate")
	if len(subs.Subnets) != 5 || subs.NextToken == "" {
		t.Errorf("describe-subnets one page: %d subnets, token %q", len(subs.Subnets), subs.NextToken)
	}
	cli(&subs, "describe-subnets", "--subnet-ids", subnetIDs[1], "--filters", "Name=tag:tier,Values=build")
	if len(subs.Subnets) != 1 || subs.Subnets[0].AvailabilityZoneId != "use1-az2" || subs.Subnets[0].CidrBlock != "10.20.1.0/24" {
		t.Errorf("describe-subnets --subnet-ids: %+v", subs.Subnets)
	}
	cli(&subs, "describe-subnets", "--filters", "Name=subnet-id,Values="+subnetIDs[0]+","+subnetIDs[2])
	if len(subs.Subnets) != 2 {
		t.Errorf("describe-subnets subnet-id filter: %+v", subs.Subnets)
	}
	if code := cliErr("describe-subnets", "--subnet-ids", "subnet-0123456789abcdef0"); code != "InvalidSubnetID.NotFound" {
		t.Errorf("describe-subnets unknown: %s", code)
	}

	var cg struct {
		GroupId, SecurityGroupArn string
		Tags                      []cliTag
	}
	if code := cliErr("create-security-group", "--group-name", "builders", "--description", "build", "--vpc-id", vpcID, "--dry-run"); code != "DryRunOperation" {
		t.Errorf("create-security-group --dry-run: %s", code)
	}
	cli(&cg, "create-security-group", "--group-name", "builders", "--description", "build instances", "--vpc-id", vpcID,
		"--tag-specifications", "ResourceType=security-group,Tags=[{Key=team,Value=win}]")
	if cg.GroupId == "" || cg.SecurityGroupArn == "" || len(cg.Tags) != 1 {
		t.Errorf("create-security-group: %+v", cg)
	}
	if code := cliErr("create-security-group", "--group-name", "builders", "--description", "again", "--vpc-id", vpcID); code != "InvalidGroup.Duplicate" {
		t.Errorf("duplicate group: %s", code)
	}
	cli(&groups, "describe-security-groups", "--filters", "Name=vpc-id,Values="+vpcID, "Name=group-name,Values=builders")
	if len(groups.SecurityGroups) != 1 || groups.SecurityGroups[0].GroupId != cg.GroupId || groups.SecurityGroups[0].Description != "build instances" {
		t.Errorf("describe-security-groups filters: %+v", groups.SecurityGroups)
	}
	cli(&groups, "describe-security-groups", "--group-ids", cg.GroupId)
	if len(groups.SecurityGroups) != 1 || groups.SecurityGroups[0].VpcId != vpcID {
		t.Errorf("describe-security-groups --group-ids: %+v", groups.SecurityGroups)
	}
	cli(&groups, "describe-security-groups", "--filters", "Name=group-id,Values="+cg.GroupId)
	if len(groups.SecurityGroups) != 1 {
		t.Errorf("describe-security-groups group-id filter: %+v", groups.SecurityGroups)
	}
	if code := cliErr("describe-security-groups", "--group-ids", "sg-0123456789abcdef0"); code != "InvalidGroup.NotFound" {
		t.Errorf("describe-security-groups unknown: %s", code)
	}

	// Deletion: dependencies first.
	if code := cliErr("delete-vpc", "--vpc-id", vpcID); code != "DependencyViolation" {
		t.Errorf("delete-vpc with subnets: %s", code)
	}
	if code := cliErr("delete-subnet", "--subnet-id", subnetIDs[0], "--dry-run"); code != "DryRunOperation" {
		t.Errorf("delete-subnet --dry-run: %s", code)
	}
	for _, id := range subnetIDs {
		cli(nil, "delete-subnet", "--subnet-id", id)
	}
	if code := cliErr("delete-subnet", "--subnet-id", subnetIDs[0]); code != "InvalidSubnetID.NotFound" {
		t.Errorf("delete-subnet again: %s", code)
	}
	if code := cliErr("delete-vpc", "--vpc-id", vpcID); code != "DependencyViolation" {
		t.Errorf("delete-vpc with a group: %s", code)
	}
	if code := cliErr("delete-security-group", "--group-id", cg.GroupId, "--dry-run"); code != "DryRunOperation" {
		t.Errorf("delete-security-group --dry-run: %s", code)
	}
	var dg struct {
		Return  bool
		GroupId string
	}
	cli(&dg, "delete-security-group", "--group-id", cg.GroupId)
	if !dg.Return || dg.GroupId != cg.GroupId {
		t.Errorf("delete-security-group: %+v", dg)
	}
	if code := cliErr("delete-security-group", "--group-name", "default"); code != "CannotDelete" {
		t.Errorf("delete the default group: %s", code)
	}
	if code := cliErr("delete-vpc", "--vpc-id", vpcID, "--dry-run"); code != "DryRunOperation" {
		t.Errorf("delete-vpc --dry-run: %s", code)
	}
	cli(nil, "delete-vpc", "--vpc-id", vpcID)
	if code := cliErr("delete-vpc", "--vpc-id", vpcID); code != "InvalidVpcID.NotFound" {
		t.Errorf("delete-vpc again: %s", code)
	}

	// The default VPC can go (after its subnets) and come back, with new default subnets.
	if code := cliErr("create-default-vpc"); code != "DefaultVpcAlreadyExists" {
		t.Errorf("create-default-vpc with one: %s", code)
	}
	cli(&subs, "describe-subnets", "--filters", "Name=default-for-az,Values=true")
	for _, s := range subs.Subnets {
		cli(nil, "delete-subnet", "--subnet-id", s.SubnetId)
	}
	cli(nil, "delete-vpc", "--vpc-id", defVPC)
	cli(&vpcs, "describe-vpcs", "--filters", "Name=is-default,Values=true")
	if len(vpcs.Vpcs) != 0 {
		t.Errorf("default VPC after delete-vpc: %+v", vpcs.Vpcs)
	}
	if code := cliErr("create-security-group", "--group-name", "g", "--description", "d"); code != "VPCIdNotSpecified" {
		t.Errorf("create-security-group without a default VPC: %s", code)
	}
	if code := cliErr("create-default-vpc", "--dry-run"); code != "DryRunOperation" {
		t.Errorf("create-default-vpc --dry-run: %s", code)
	}
	cli(&cv, "create-default-vpc")
	if !cv.Vpc.IsDefault || cv.Vpc.CidrBlock != "172.31.0.0/16" || cv.Vpc.VpcId == defVPC {
		t.Errorf("create-default-vpc: %+v", cv.Vpc)
	}
	cli(&subs, "describe-subnets", "--filters", "Name=vpc-id,Values="+cv.Vpc.VpcId, "Name=default-for-az,Values=true")
	if len(subs.Subnets) != len(ec2.AvailabilityZones("us-east-1")) {
		t.Errorf("default subnets of the new default VPC: %d", len(subs.Subnets))
	}
}

func ec2Err(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return "error " + ae.ErrorCode()
	}
	if err != nil {
		return "error " + err.Error()
	}
	return "ok"
}

// ec2Scenario runs the same EC2 session against one endpoint and records what a client
// observes. Ids differ between implementations, so it records names, tags, counts,
// states and error codes.
func ec2Scenario(t *testing.T, endpoint string) *record {
	t.Helper()
	ctx := context.Background()
	c := sdk.NewFromConfig(awstest.SDKConfig(endpoint, "us-east-1"))
	r := &record{}
	f := func(name string, values ...string) types.Filter {
		return types.Filter{Name: aws.String(name), Values: values}
	}

	// A public Amazon Windows image to build from (each world has its own).
	pub, err := c.DescribeImages(ctx, &sdk.DescribeImagesInput{Owners: []string{"amazon"}, Filters: []types.Filter{f("platform", "windows"), f("name", "Windows_Server-*")}})
	if err != nil || len(pub.Images) == 0 {
		t.Fatalf("no public Windows image: %v", err)
	}
	sort.Slice(pub.Images, func(i, j int) bool { return *pub.Images[i].Name < *pub.Images[j].Name })
	base := pub.Images[0]
	r.add("public windows: owner=%s platform=%s public=%v state=%s", *base.OwnerId, base.Platform, *base.Public, base.State)
	own, err := c.DescribeImages(ctx, &sdk.DescribeImagesInput{Owners: []string{"self"}})
	r.add("owned before: %d %s", len(own.Images), ec2Err(err))
	_, err = c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{"ami-0123456789abcdef0"}})
	r.add("unknown image: %s", ec2Err(err))
	_, err = c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{"image-1"}})
	r.add("malformed image: %s", ec2Err(err))

	// Instances: six single launches, then filters and paging.
	var ids []string
	for i := 0; i < 6; i++ {
		out, err := c.RunInstances(ctx, &sdk.RunInstancesInput{ImageId: base.ImageId, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			InstanceType: types.InstanceTypeM5Large, TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance,
				Tags: []types.Tag{{Key: aws.String("role"), Value: aws.String("builder")}, {Key: aws.String("n"), Value: aws.String(fmt.Sprint(i))}}}}})
		if err != nil {
			t.Fatalf("RunInstances: %v", err)
		}
		ids = append(ids, *out.Instances[0].InstanceId)
		if i == 0 {
			in := out.Instances[0]
			r.add("run: state=%s type=%s image=%v platform=%s", in.State.Name, in.InstanceType, *in.ImageId == *base.ImageId, in.Platform)
		}
	}
	_, err = c.RunInstances(ctx, &sdk.RunInstancesInput{ImageId: aws.String("ami-0123456789abcdef0"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	r.add("run unknown image: %s", ec2Err(err))
	_, err = c.StopInstances(ctx, &sdk.StopInstancesInput{InstanceIds: ids[:1]})
	r.add("stop: %s", ec2Err(err))
	term, err := c.TerminateInstances(ctx, &sdk.TerminateInstancesInput{InstanceIds: ids[1:2]})
	if err == nil {
		r.add("terminate: %s -> %s", term.TerminatingInstances[0].PreviousState.Name, term.TerminatingInstances[0].CurrentState.Name)
	} else {
		r.add("terminate: %s", ec2Err(err))
	}
	instances := func(step string, in *sdk.DescribeInstancesInput) {
		var tags []string
		pages := 0
		p := sdk.NewDescribeInstancesPaginator(c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				r.add("%s: %s", step, ec2Err(err))
				return
			}
			pages++
			for _, res := range out.Reservations {
				for _, i := range res.Instances {
					for _, tg := range i.Tags {
						if *tg.Key == "n" {
							tags = append(tags, *tg.Value+"="+string(i.State.Name))
						}
					}
				}
			}
		}
		r.add("%s: %s pages=%d", step, sorted(tags), pages)
	}
	instances("instances paged by 5", &sdk.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	instances("running builders", &sdk.DescribeInstancesInput{Filters: []types.Filter{f("tag:role", "build*"), f("instance-state-name", "running")}})
	instances("by image", &sdk.DescribeInstancesInput{Filters: []types.Filter{f("image-id", *base.ImageId), f("instance-state-name", "stopped")}})
	_, err = c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	r.add("unknown instance: %s", ec2Err(err))
	_, err = c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{InstanceIds: ids[:1], MaxResults: aws.Int32(5)})
	r.add("ids with max results: %s", ec2Err(err))

	// Owned images from an instance.
	var golden []string
	for i := 0; i < 3; i++ {
		out, err := c.CreateImage(ctx, &sdk.CreateImageInput{InstanceId: aws.String(ids[2]), Name: aws.String(fmt.Sprintf("winami-golden-%d", i)),
			TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeImage, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("win")}}}}})
		if err != nil {
			t.Fatalf("CreateImage: %v", err)
		}
		golden = append(golden, *out.ImageId)
	}
	names := func(step string, in *sdk.DescribeImagesInput) {
		out, err := c.DescribeImages(ctx, in)
		if err != nil {
			r.add("%s: %s", step, ec2Err(err))
			return
		}
		var ns []string
		for _, i := range out.Images {
			ns = append(ns, fmt.Sprintf("%s(%s,%s,public=%v)", *i.Name, i.State, *i.OwnerId, *i.Public))
		}
		r.add("%s: %s", step, sorted(ns))
	}
	names("owned", &sdk.DescribeImagesInput{Owners: []string{"self"}})
	names("owned by tag and name", &sdk.DescribeImagesInput{Owners: []string{"self"}, Filters: []types.Filter{f("tag:team", "win"), f("name", "winami-golden-[0-1]", "winami-golden-?")}})
	names("owned by id", &sdk.DescribeImagesInput{ImageIds: golden[:2]})
	names("owned by tag-key", &sdk.DescribeImagesInput{Filters: []types.Filter{f("tag-key", "team"), f("is-public", "false")}})
	dup, err := c.CreateImage(ctx, &sdk.CreateImageInput{InstanceId: aws.String(ids[2]), Name: aws.String("winami-golden-0")})
	r.add("duplicate name: %s", ec2Err(err))
	if err == nil { // moto accepts duplicates: remove it so the later steps stay comparable
		if _, err := c.DeregisterImage(ctx, &sdk.DeregisterImageInput{ImageId: dup.ImageId}); err != nil {
			t.Fatalf("DeregisterImage of the duplicate: %v", err)
		}
	}

	// Snapshots of the owned images: each is listed among the caller's snapshots.
	snaps, err := c.DescribeSnapshots(ctx, &sdk.DescribeSnapshotsInput{OwnerIds: []string{"self"}})
	mine := map[string]types.Snapshot{}
	if err == nil {
		for _, s := range snaps.Snapshots {
			mine[*s.SnapshotId] = s
		}
	}
	imgs, _ := c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: golden})
	var listed []string
	for _, i := range imgs.Images {
		for _, bd := range i.BlockDeviceMappings {
			s, ok := mine[*bd.Ebs.SnapshotId]
			listed = append(listed, fmt.Sprintf("%s:%v:%s:size-matches=%v", *i.Name, ok, s.State, ok && *s.VolumeSize == *bd.Ebs.VolumeSize))
		}
	}
	r.add("snapshots of owned images: %s %s", sorted(listed), ec2Err(err))
	sort.Slice(imgs.Images, func(i, j int) bool { return *imgs.Images[i].Name < *imgs.Images[j].Name })
	snap := *imgs.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId
	_, err = c.DeleteSnapshot(ctx, &sdk.DeleteSnapshotInput{SnapshotId: aws.String(snap)})
	r.add("delete snapshot in use: %s", ec2Err(err))
	_, err = c.DescribeSnapshots(ctx, &sdk.DescribeSnapshotsInput{SnapshotIds: []string{"snap-0123456789abcdef0"}})
	r.add("unknown snapshot: %s", ec2Err(err))

	// Tags.
	_, err = c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: []string{golden[1], snap}, Tags: []types.Tag{{Key: aws.String("stage"), Value: aws.String("prod")}}})
	r.add("create tags: %s", ec2Err(err))
	names("by stage tag", &sdk.DescribeImagesInput{Owners: []string{"self"}, Filters: []types.Filter{f("tag:stage", "prod")}})
	ts, err := c.DescribeSnapshots(ctx, &sdk.DescribeSnapshotsInput{OwnerIds: []string{"self"}, Filters: []types.Filter{f("tag:stage", "prod")}})
	if err == nil {
		r.add("snapshots by tag: %d", len(ts.Snapshots))
	} else {
		r.add("snapshots by tag: %s", ec2Err(err))
	}

	// Deregister, then the snapshot can go.
	_, err = c.DeregisterImage(ctx, &sdk.DeregisterImageInput{ImageId: aws.String(golden[0])})
	r.add("deregister: %s", ec2Err(err))
	names("owned after deregister", &sdk.DescribeImagesInput{Owners: []string{"self"}})
	names("deregistered by id", &sdk.DescribeImagesInput{ImageIds: golden[:1]})
	_, err = c.DeregisterImage(ctx, &sdk.DeregisterImageInput{ImageId: aws.String(golden[0])})
	r.add("deregister again: %s", ec2Err(err))
	_, err = c.DeleteSnapshot(ctx, &sdk.DeleteSnapshotInput{SnapshotId: aws.String(snap)})
	r.add("delete snapshot: %s", ec2Err(err))
	_, err = c.DeleteSnapshot(ctx, &sdk.DeleteSnapshotInput{SnapshotId: aws.String(snap)})
	r.add("delete snapshot again: %s", ec2Err(err))

	// Launch templates and versions.
	lt, err := c.CreateLaunchTemplate(ctx, &sdk.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("winami-lt"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(golden[1]), InstanceType: types.InstanceTypeM5Large}})
	if err != nil {
		t.Fatalf("CreateLaunchTemplate: %v", err)
	}
	r.add("create template: default=%d latest=%d", *lt.LaunchTemplate.DefaultVersionNumber, *lt.LaunchTemplate.LatestVersionNumber)
	_, err = c.CreateLaunchTemplate(ctx, &sdk.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("winami-lt"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(golden[1])}})
	r.add("duplicate template: %s", ec2Err(err))
	v2, err := c.CreateLaunchTemplateVersion(ctx, &sdk.CreateLaunchTemplateVersionInput{LaunchTemplateName: aws.String("winami-lt"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(golden[2]), InstanceType: types.InstanceTypeM5Xlarge}})
	if err == nil {
		r.add("version 2: number=%d default=%v", *v2.LaunchTemplateVersion.VersionNumber, *v2.LaunchTemplateVersion.DefaultVersion)
	} else {
		r.add("version 2: %s", ec2Err(err))
	}
	versions := func(step string, vs ...string) {
		out, err := c.DescribeLaunchTemplateVersions(ctx, &sdk.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Versions: vs})
		if err != nil {
			r.add("%s: %s", step, ec2Err(err))
			return
		}
		var got []string
		for _, v := range out.LaunchTemplateVersions {
			got = append(got, fmt.Sprintf("v%d:golden%d:%s:default=%v", *v.VersionNumber, indexOf(golden, aws.ToString(v.LaunchTemplateData.ImageId)),
				v.LaunchTemplateData.InstanceType, *v.DefaultVersion))
		}
		r.add("%s: %s", step, sorted(got))
	}
	versions("all versions")
	versions("$Latest", "$Latest")
	versions("$Default", "$Default")
	mod, err := c.ModifyLaunchTemplate(ctx, &sdk.ModifyLaunchTemplateInput{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, DefaultVersion: aws.String("2")})
	if err == nil {
		r.add("modify: default=%d latest=%d", *mod.LaunchTemplate.DefaultVersionNumber, *mod.LaunchTemplate.LatestVersionNumber)
	} else {
		r.add("modify: %s", ec2Err(err))
	}
	versions("$Default after modify", "$Default")
	dlt, err := c.DescribeLaunchTemplates(ctx, &sdk.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{"winami-lt"}})
	if err == nil {
		r.add("describe templates: %d default=%d latest=%d", len(dlt.LaunchTemplates), *dlt.LaunchTemplates[0].DefaultVersionNumber, *dlt.LaunchTemplates[0].LatestVersionNumber)
	} else {
		r.add("describe templates: %s", ec2Err(err))
	}
	_, err = c.DescribeLaunchTemplates(ctx, &sdk.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{"nope"}})
	r.add("unknown template: %s", ec2Err(err))
	_, err = c.DescribeLaunchTemplateVersions(ctx, &sdk.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Versions: []string{"9"}})
	r.add("unknown version: %s", ec2Err(err))

	// Regions and the default VPC.
	regs, err := c.DescribeRegions(ctx, &sdk.DescribeRegionsInput{RegionNames: []string{"us-east-1", "eu-west-1"}})
	if err == nil {
		var rs []string
		for _, rg := range regs.Regions {
			rs = append(rs, *rg.RegionName+"@"+*rg.Endpoint+"("+aws.ToString(rg.OptInStatus)+")")
		}
		r.add("regions: %s", sorted(rs))
	} else {
		r.add("regions: %s", ec2Err(err))
	}
	vpcs, err := c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{Filters: []types.Filter{f("is-default", "true")}})
	if err == nil && len(vpcs.Vpcs) > 0 {
		r.add("default vpc: %d cidr=%s default=%v state=%s", len(vpcs.Vpcs), *vpcs.Vpcs[0].CidrBlock, *vpcs.Vpcs[0].IsDefault, vpcs.Vpcs[0].State)
	} else {
		r.add("default vpc: %v %s", vpcs, ec2Err(err))
	}

	// The operations moto also implements that the steps above do not reach: StartInstances,
	// DeleteTags, CreateSnapshot, RegisterImage and DeleteLaunchTemplate.
	start, err := c.StartInstances(ctx, &sdk.StartInstancesInput{InstanceIds: ids[:1]})
	if err == nil {
		r.add("start: %s -> %s", start.StartingInstances[0].PreviousState.Name, start.StartingInstances[0].CurrentState.Name)
	} else {
		r.add("start: %s", ec2Err(err))
	}
	_, err = c.StartInstances(ctx, &sdk.StartInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	r.add("start unknown: %s", ec2Err(err))
	_, err = c.DeleteTags(ctx, &sdk.DeleteTagsInput{Resources: ids[:1], Tags: []types.Tag{{Key: aws.String("n")}}})
	r.add("delete tags: %s", ec2Err(err))
	instances("tags after delete-tags", &sdk.DescribeInstancesInput{InstanceIds: ids[:1]})
	di, err := c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{InstanceIds: ids[2:3]})
	if err != nil || len(di.Reservations) == 0 || len(di.Reservations[0].Instances[0].BlockDeviceMappings) == 0 {
		t.Fatalf("DescribeInstances for a volume: %v", err)
	}
	vol := di.Reservations[0].Instances[0].BlockDeviceMappings[0].Ebs.VolumeId
	cs, err := c.CreateSnapshot(ctx, &sdk.CreateSnapshotInput{VolumeId: vol, Description: aws.String("winami registered root")})
	if err != nil {
		t.Fatalf("CreateSnapshot: %v", err)
	}
	r.add("create snapshot: volume=%v description=%s", *cs.VolumeId == *vol, aws.ToString(cs.Description))
	_, err = c.CreateSnapshot(ctx, &sdk.CreateSnapshotInput{VolumeId: aws.String("vol-0123456789abcdef0")})
	r.add("snapshot of unknown volume: %s", ec2Err(err))
	reg, err := c.RegisterImage(ctx, &sdk.RegisterImageInput{Name: aws.String("winami-registered"), RootDeviceName: aws.String("/dev/sda1"),
		BlockDeviceMappings: []types.BlockDeviceMapping{{DeviceName: aws.String("/dev/sda1"), Ebs: &types.EbsBlockDevice{SnapshotId: cs.SnapshotId}}}})
	if err != nil {
		t.Fatalf("RegisterImage: %v", err)
	}
	ri, err := c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{*reg.ImageId}})
	if err == nil && len(ri.Images) == 1 {
		i := ri.Images[0]
		r.add("registered: name=%s owner=%s state=%s root=%s", *i.Name, *i.OwnerId, i.State, aws.ToString(i.RootDeviceName))
		r.add("registered snapshot: %v", len(i.BlockDeviceMappings) == 1 && aws.ToString(i.BlockDeviceMappings[0].Ebs.SnapshotId) == *cs.SnapshotId)
	} else {
		r.add("registered: %d %s", len(ri.Images), ec2Err(err))
	}
	_, err = c.DeleteLaunchTemplate(ctx, &sdk.DeleteLaunchTemplateInput{LaunchTemplateName: aws.String("winami-lt")})
	r.add("delete template: %s", ec2Err(err))
	_, err = c.DescribeLaunchTemplates(ctx, &sdk.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{"winami-lt"}})
	r.add("deleted template: %s", ec2Err(err))

	// DryRun on mutating calls.
	_, err = c.CreateTags(ctx, &sdk.CreateTagsInput{DryRun: aws.Bool(true), Resources: golden[1:2], Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	r.add("dry run create tags: %s", ec2Err(err))
	_, err = c.DeregisterImage(ctx, &sdk.DeregisterImageInput{DryRun: aws.Bool(true), ImageId: aws.String(golden[1])})
	r.add("dry run deregister: %s", ec2Err(err))
	_, err = c.RunInstances(ctx, &sdk.RunInstancesInput{DryRun: aws.Bool(true), ImageId: base.ImageId, MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	r.add("dry run run-instances: %s", ec2Err(err))
	return r
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// TestEC2AgainstMoto runs one EC2 session against moto_server and awsemu and compares
// what the client observes.
func TestEC2AgainstMoto(t *testing.T) {
	t.Parallel()
	moto := awstest.StartMoto(t)
	srv := startEC2(t)
	emu := ec2Scenario(t, srv.URL())
	mot := ec2Scenario(t, moto)
	compareRecords(t, emu, mot, "run unknown image", "duplicate name", "registered snapshot")
}

// ec2NetworkScenario runs the same networking session (the default VPC, a VPC of its own
// with subnets and a security group, filters, paging, DryRun, deletion in dependency
// order) against one endpoint and records what a client observes. Ids differ between
// implementations, so it records CIDRs, zones, names, counts and error codes.
func ec2NetworkScenario(t *testing.T, endpoint string) *record {
	t.Helper()
	ctx := context.Background()
	c := sdk.NewFromConfig(awstest.SDKConfig(endpoint, "us-east-1"))
	r := &record{}
	f := func(name string, values ...string) types.Filter {
		return types.Filter{Name: aws.String(name), Values: values}
	}
	subnets := func(step string, in *sdk.DescribeSubnetsInput) {
		var got []string
		pages := 0
		p := sdk.NewDescribeSubnetsPaginator(c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				r.add("%s: %s", step, ec2Err(err))
				return
			}
			pages++
			for _, s := range out.Subnets {
				got = append(got, fmt.Sprintf("%s@%s(default=%v)", *s.CidrBlock, *s.AvailabilityZone, *s.DefaultForAz))
			}
		}
		r.add("%s: %s pages=%d", step, sorted(got), pages)
	}
	groups := func(step string, in *sdk.DescribeSecurityGroupsInput) {
		out, err := c.DescribeSecurityGroups(ctx, in)
		if err != nil {
			r.add("%s: %s", step, ec2Err(err))
			return
		}
		var got []string
		for _, g := range out.SecurityGroups {
			got = append(got, fmt.Sprintf("%s(%s)", *g.GroupName, *g.Description))
		}
		r.add("%s: %s", step, sorted(got))
	}

	// The default VPC, its default subnets and its default group.
	vpcs, err := c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{Filters: []types.Filter{f("is-default", "true")}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("default VPC: %+v %v", vpcs, err)
	}
	def := vpcs.Vpcs[0]
	r.add("default vpc: cidr=%s default=%v state=%s", *def.CidrBlock, *def.IsDefault, def.State)
	defSubs, err := c.DescribeSubnets(ctx, &sdk.DescribeSubnetsInput{Filters: []types.Filter{f("vpc-id", *def.VpcId), f("default-for-az", "true")}})
	if err != nil {
		t.Fatal(err)
	}
	var defCidrs []string
	for _, s := range defSubs.Subnets {
		defCidrs = append(defCidrs, fmt.Sprintf("%s:public=%v", *s.CidrBlock, *s.MapPublicIpOnLaunch))
	}
	sort.Strings(defCidrs)
	r.add("default subnets: first=%s /20=%v", defCidrs[0], len(defSubs.Subnets) > 0 && strings.HasSuffix(*defSubs.Subnets[0].CidrBlock, "/20"))
	r.add("default subnets count: %d", len(defSubs.Subnets))
	groups("default group", &sdk.DescribeSecurityGroupsInput{Filters: []types.Filter{f("vpc-id", *def.VpcId)}})

	// A VPC of its own.
	_, err = c.CreateVpc(ctx, &sdk.CreateVpcInput{CidrBlock: aws.String("10.30.0.0/16"), DryRun: aws.Bool(true)})
	r.add("create vpc dry run: %s", ec2Err(err))
	_, err = c.CreateVpc(ctx, &sdk.CreateVpcInput{CidrBlock: aws.String("10.30.0.0/30")})
	r.add("create vpc /30: %s", ec2Err(err))
	cv, err := c.CreateVpc(ctx, &sdk.CreateVpcInput{CidrBlock: aws.String("10.30.0.0/16"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpc, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("win")}}}}})
	if err != nil {
		t.Fatalf("CreateVpc: %v", err)
	}
	vpcID := *cv.Vpc.VpcId
	r.add("create vpc: cidr=%s default=%v tags=%d", *cv.Vpc.CidrBlock, *cv.Vpc.IsDefault, len(cv.Vpc.Tags))
	byTag, err := c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{Filters: []types.Filter{f("tag:team", "win")}})
	if err == nil {
		r.add("vpcs by tag: %d default=%v state=%s", len(byTag.Vpcs), *byTag.Vpcs[0].IsDefault, byTag.Vpcs[0].State)
	} else {
		r.add("vpcs by tag: %s", ec2Err(err))
	}
	_, err = c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}})
	r.add("unknown vpc: %s", ec2Err(err))
	groups("new vpc groups", &sdk.DescribeSecurityGroupsInput{Filters: []types.Filter{f("vpc-id", vpcID)}})

	// Subnets.
	var subnetIDs []string
	for i, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1a", "us-east-1b", "us-east-1c"} {
		out, err := c.CreateSubnet(ctx, &sdk.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String(fmt.Sprintf("10.30.%d.0/24", i)),
			AvailabilityZone: aws.String(az), TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSubnet,
				Tags: []types.Tag{{Key: aws.String("tier"), Value: aws.String(fmt.Sprint("t", i%2))}}}}})
		if err != nil {
			t.Fatalf("CreateSubnet: %v", err)
		}
		subnetIDs = append(subnetIDs, *out.Subnet.SubnetId)
		if i == 0 {
			r.add("create subnet: cidr=%s az=%s vpc=%v default=%v free=%d tags=%d", *out.Subnet.CidrBlock, *out.Subnet.AvailabilityZone,
				*out.Subnet.VpcId == vpcID, *out.Subnet.DefaultForAz, *out.Subnet.AvailableIpAddressCount, len(out.Subnet.Tags))
		}
	}
	_, err = c.CreateSubnet(ctx, &sdk.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.30.0.128/25")})
	r.add("overlapping subnet: %s", ec2Err(err))
	_, err = c.CreateSubnet(ctx, &sdk.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.99.0.0/24")})
	r.add("subnet outside the vpc: %s", ec2Err(err))
	_, err = c.CreateSubnet(ctx, &sdk.CreateSubnetInput{VpcId: aws.String("vpc-0123456789abcdef0"), CidrBlock: aws.String("10.30.9.0/24")})
	r.add("subnet of an unknown vpc: %s", ec2Err(err))
	subnets("subnets of the vpc", &sdk.DescribeSubnetsInput{Filters: []types.Filter{f("vpc-id", vpcID)}})
	subnets("subnets paged by 5", &sdk.DescribeSubnetsInput{Filters: []types.Filter{f("vpc-id", vpcID)}, MaxResults: aws.Int32(5)})
	subnets("subnets by tag and zone", &sdk.DescribeSubnetsInput{Filters: []types.Filter{f("tag:tier", "t1"), f("availability-zone", "us-east-1b", "us-east-1c")}})
	subnets("subnets by subnet-id", &sdk.DescribeSubnetsInput{Filters: []types.Filter{f("subnet-id", subnetIDs[0], subnetIDs[3])}})
	subnets("subnets by ids", &sdk.DescribeSubnetsInput{SubnetIds: subnetIDs[1:3]})
	subnets("default-for-az false in the vpc", &sdk.DescribeSubnetsInput{Filters: []types.Filter{f("vpc-id", vpcID), f("default-for-az", "false")}})
	subnets("unknown subnet", &sdk.DescribeSubnetsInput{SubnetIds: []string{"subnet-0123456789abcdef0"}})

	// Security groups.
	_, err = c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String("builders"), Description: aws.String("build instances"),
		VpcId: aws.String(vpcID), DryRun: aws.Bool(true)})
	r.add("create group dry run: %s", ec2Err(err))
	sg, err := c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String("builders"), Description: aws.String("build instances"), VpcId: aws.String(vpcID)})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	r.add("create group: id=%v", strings.HasPrefix(*sg.GroupId, "sg-"))
	_, err = c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String("builders"), Description: aws.String("again"), VpcId: aws.String(vpcID)})
	r.add("duplicate group: %s", ec2Err(err))
	_, err = c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String("g"), Description: aws.String("d"), VpcId: aws.String("vpc-0123456789abcdef0")})
	r.add("group in an unknown vpc: %s", ec2Err(err))
	groups("groups of the vpc", &sdk.DescribeSecurityGroupsInput{Filters: []types.Filter{f("vpc-id", vpcID)}})
	groups("groups by name", &sdk.DescribeSecurityGroupsInput{Filters: []types.Filter{f("vpc-id", vpcID), f("group-name", "build*")}})
	groups("groups by group-id filter", &sdk.DescribeSecurityGroupsInput{Filters: []types.Filter{f("group-id", *sg.GroupId)}})
	groups("groups by id", &sdk.DescribeSecurityGroupsInput{GroupIds: []string{*sg.GroupId}})
	groups("unknown group", &sdk.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0123456789abcdef0"}})
	groups("unknown group-id filter", &sdk.DescribeSecurityGroupsInput{Filters: []types.Filter{f("group-id", "sg-0123456789abcdef0")}})

	// Deletion in dependency order.
	_, err = c.DeleteVpc(ctx, &sdk.DeleteVpcInput{VpcId: aws.String(vpcID)})
	r.add("delete vpc with subnets: %s", ec2Err(err))
	for _, id := range subnetIDs {
		if _, err := c.DeleteSubnet(ctx, &sdk.DeleteSubnetInput{SubnetId: aws.String(id)}); err != nil {
			r.add("delete subnet: %s", ec2Err(err))
		}
	}
	_, err = c.DeleteSubnet(ctx, &sdk.DeleteSubnetInput{SubnetId: aws.String(subnetIDs[0])})
	r.add("delete subnet again: %s", ec2Err(err))
	subnets("subnets after delete", &sdk.DescribeSubnetsInput{Filters: []types.Filter{f("vpc-id", vpcID)}})
	_, err = c.DeleteSecurityGroup(ctx, &sdk.DeleteSecurityGroupInput{GroupId: sg.GroupId})
	r.add("delete group: %s", ec2Err(err))
	_, err = c.DeleteSecurityGroup(ctx, &sdk.DeleteSecurityGroupInput{GroupId: sg.GroupId})
	r.add("delete group again: %s", ec2Err(err))
	_, err = c.DeleteVpc(ctx, &sdk.DeleteVpcInput{VpcId: aws.String(vpcID)})
	r.add("delete vpc: %s", ec2Err(err))
	_, err = c.DeleteVpc(ctx, &sdk.DeleteVpcInput{VpcId: aws.String(vpcID)})
	r.add("delete vpc again: %s", ec2Err(err))
	groups("groups of the deleted vpc", &sdk.DescribeSecurityGroupsInput{Filters: []types.Filter{f("vpc-id", vpcID)}})
	_, err = c.CreateDefaultVpc(ctx, &sdk.CreateDefaultVpcInput{})
	r.add("create default vpc with one: %s", ec2Err(err))

	// Last, where moto differs (DIFFERENCES.md): a VPC held only by a security group, and
	// DryRun on deletes. Each step leaves the others unaffected.
	v2, err := c.CreateVpc(ctx, &sdk.CreateVpcInput{CidrBlock: aws.String("10.40.0.0/16")})
	if err != nil {
		t.Fatalf("CreateVpc: %v", err)
	}
	sn2, err := c.CreateSubnet(ctx, &sdk.CreateSubnetInput{VpcId: v2.Vpc.VpcId, CidrBlock: aws.String("10.40.1.0/24")})
	if err != nil {
		t.Fatalf("CreateSubnet: %v", err)
	}
	_, err = c.DeleteSubnet(ctx, &sdk.DeleteSubnetInput{SubnetId: sn2.Subnet.SubnetId, DryRun: aws.Bool(true)})
	_, gone := c.DescribeSubnets(ctx, &sdk.DescribeSubnetsInput{SubnetIds: []string{*sn2.Subnet.SubnetId}})
	r.add("delete subnet dry run: %s; afterwards %s", ec2Err(err), ec2Err(gone))
	if gone == nil {
		if _, err := c.DeleteSubnet(ctx, &sdk.DeleteSubnetInput{SubnetId: sn2.Subnet.SubnetId}); err != nil {
			t.Fatalf("DeleteSubnet: %v", err)
		}
	}
	if _, err := c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String("held"), Description: aws.String("d"), VpcId: v2.Vpc.VpcId}); err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	_, err = c.DeleteVpc(ctx, &sdk.DeleteVpcInput{VpcId: v2.Vpc.VpcId})
	r.add("delete vpc held by a group: %s", ec2Err(err))
	v3, err := c.CreateVpc(ctx, &sdk.CreateVpcInput{CidrBlock: aws.String("10.50.0.0/16")})
	if err != nil {
		t.Fatalf("CreateVpc: %v", err)
	}
	_, err = c.DeleteVpc(ctx, &sdk.DeleteVpcInput{VpcId: v3.Vpc.VpcId, DryRun: aws.Bool(true)})
	_, gone = c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{VpcIds: []string{*v3.Vpc.VpcId}})
	r.add("delete vpc dry run: %s; afterwards %s", ec2Err(err), ec2Err(gone))
	return r
}

// TestEC2NetworkAgainstMoto runs one networking session against moto_server and awsemu
// and compares what the client observes.
func TestEC2NetworkAgainstMoto(t *testing.T) {
	t.Parallel()
	moto := awstest.StartMoto(t)
	srv := startEC2(t)
	emu := ec2NetworkScenario(t, srv.URL())
	mot := ec2NetworkScenario(t, moto)
	compareRecords(t, emu, mot, "create vpc dry run", "subnets paged by 5", "group in an unknown vpc",
		"delete subnet dry run", "delete vpc held by a group", "delete vpc dry run")
}
