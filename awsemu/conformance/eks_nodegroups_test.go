//go:build conformance

package conformance_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/services/eks"
)

type cliNodegroup struct {
	Nodegroup struct {
		NodegroupName, NodegroupArn, ClusterName, Version, ReleaseVersion, Status, AmiType string
		ScalingConfig                                                                      struct{ MinSize, MaxSize, DesiredSize int }
		UpdateConfig                                                                       struct{ MaxUnavailable int }
		LaunchTemplate                                                                     struct{ Id, Name, Version string }
		InstanceTypes                                                                      []string
		Resources                                                                          struct {
			AutoScalingGroups []struct{ Name string }
		}
		Health struct {
			Issues []struct{ Code, Message string }
		}
	}
}

type cliUpdate struct {
	Update struct {
		Id, Status, Type string
		Params           []struct{ Type, Value string }
		Errors           []struct{ ErrorCode, ErrorMessage string }
	}
}

// until advances clock by step until cond holds, at most n times.
func until(t *testing.T, clock *awsemu.ManualClock, step time.Duration, n int, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < n; i++ {
		if cond() {
			return
		}
		clock.Advance(step)
	}
	if !cond() {
		t.Fatalf("%s: not after %d × %s", what, n, step)
	}
}

// TestEKSNodegroupsWithAWSCLI drives every node group operation awsemu implements with the
// AWS CLI, on awsemu's own Auto Scaling and EC2: the node group's Auto Scaling group and
// instances are checked with aws autoscaling and aws ec2.
func TestEKSNodegroupsWithAWSCLI(t *testing.T) {
	t.Parallel()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	ep, region := srv.URL(), "us-west-2"
	cli := func(out any, args ...string) { t.Helper(); awstest.CLIJSON(t, ep, region, out, args...) }
	// Waiting polls with the SDK (an AWS CLI run costs a second); every operation and
	// every check is made with the CLI.
	sdk := sdkeks.NewFromConfig(awstest.SDKConfig(ep, region))
	ctx := context.Background()
	ngStatus := func() ekstypes.NodegroupStatus {
		out, err := sdk.DescribeNodegroup(ctx, &sdkeks.DescribeNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win")})
		if err != nil {
			return ""
		}
		return out.Nodegroup.Status
	}

	cli(nil, "eks", "create-cluster", "--name", "prod", "--kubernetes-version", "1.33",
		"--role-arn", "arn:aws:iam::123456789012:role/eks", "--resources-vpc-config", "subnetIds=subnet-1")
	var subnets struct {
		Subnets []struct{ SubnetId, AvailabilityZone string }
	}
	cli(&subnets, "ec2", "describe-subnets", "--filters", "Name=default-for-az,Values=true")
	if len(subnets.Subnets) < 2 {
		t.Fatalf("default subnets: %+v", subnets)
	}
	sn := []string{subnets.Subnets[0].SubnetId, subnets.Subnets[1].SubnetId}
	var amis [2]string
	for i, p := range []string{"/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.33/image_id",
		"/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-EKS_Optimized-1.33/image_id"} {
		var param struct{ Parameter struct{ Value string } }
		cli(&param, "ssm", "get-parameter", "--name", p)
		amis[i] = param.Parameter.Value
	}
	var lt struct {
		LaunchTemplate struct{ LaunchTemplateId string }
	}
	cli(&lt, "ec2", "create-launch-template", "--launch-template-name", "win-nodes",
		"--launch-template-data", `{"ImageId":"`+amis[0]+`","InstanceType":"m6i.large"}`)
	cli(nil, "ec2", "create-launch-template-version", "--launch-template-name", "win-nodes", "--source-version", "1",
		"--launch-template-data", `{"ImageId":"`+amis[1]+`"}`)

	code, msg := awstest.CLIError(t, ep, region, "eks", "create-nodegroup", "--cluster-name", "prod", "--nodegroup-name", "win",
		"--node-role", "arn:aws:iam::123456789012:role/nodes", "--subnets", sn[0], sn[1],
		"--launch-template", "name=win-nodes,version=1", "--scaling-config", "minSize=1,maxSize=3,desiredSize=2")
	if code != "InvalidRequestException" || !strings.Contains(msg, "ACTIVE") {
		t.Fatalf("create-nodegroup on a CREATING cluster: %s %s", code, msg)
	}
	clock.Advance(eks.ClusterCreateDuration)
	code, msg = awstest.CLIError(t, ep, region, "eks", "create-nodegroup", "--cluster-name", "prod", "--nodegroup-name", "win",
		"--node-role", "arn:aws:iam::123456789012:role/nodes", "--subnets", sn[0], sn[1],
		"--launch-template", "name=win-nodes,version=1", "--release-version", "1.33.0-20250101")
	if code != "InvalidParameterException" || msg != "You cannot specify the field releaseVersion when using custom AMIs." {
		t.Fatalf("create-nodegroup with a release version: %s %s", code, msg)
	}
	var ng cliNodegroup
	cli(&ng, "eks", "create-nodegroup", "--cluster-name", "prod", "--nodegroup-name", "win",
		"--node-role", "arn:aws:iam::123456789012:role/nodes", "--subnets", sn[0], sn[1],
		"--launch-template", "name=win-nodes,version=1", "--scaling-config", "minSize=1,maxSize=3,desiredSize=2",
		"--labels", "os=windows", "--tags", "team=win")
	n := ng.Nodegroup
	if n.Status != "CREATING" || n.AmiType != "CUSTOM" || n.ReleaseVersion != amis[0] || n.Version != "1.33" ||
		n.LaunchTemplate.Id != lt.LaunchTemplate.LaunchTemplateId || n.LaunchTemplate.Version != "1" || n.InstanceTypes != nil ||
		!strings.HasPrefix(n.NodegroupArn, "arn:aws:eks:us-west-2:123456789012:nodegroup/prod/win/") {
		t.Fatalf("create-nodegroup: %+v", n)
	}
	asg := "eks-win-" + n.NodegroupArn[strings.LastIndex(n.NodegroupArn, "/")+1:]

	type cliASG struct {
		AutoScalingGroups []struct {
			AutoScalingGroupName              string
			MinSize, MaxSize, DesiredCapacity int
			LaunchTemplate                    struct{ LaunchTemplateId, Version string }
			Instances                         []struct{ InstanceId, LifecycleState string }
			Tags                              []struct{ Key, Value string }
		}
	}
	describeASG := func() cliASG {
		var g cliASG
		cli(&g, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", asg)
		return g
	}
	describeNG := func() cliNodegroup {
		var out cliNodegroup
		cli(&out, "eks", "describe-nodegroup", "--cluster-name", "prod", "--nodegroup-name", "win")
		return out
	}
	g := describeASG()
	if len(g.AutoScalingGroups) != 1 || g.AutoScalingGroups[0].DesiredCapacity != 2 || g.AutoScalingGroups[0].LaunchTemplate.Version != "1" {
		t.Fatalf("the node group's Auto Scaling group: %+v", g)
	}
	tags := map[string]string{}
	for _, tg := range g.AutoScalingGroups[0].Tags {
		tags[tg.Key] = tg.Value
	}
	if tags["eks:cluster-name"] != "prod" || tags["eks:nodegroup-name"] != "win" || tags["kubernetes.io/cluster/prod"] != "owned" ||
		tags["k8s.io/cluster-autoscaler/enabled"] != "true" {
		t.Fatalf("group tags %v", tags)
	}
	until(t, clock, 30*time.Second, 40, "node group ACTIVE", func() bool { return ngStatus() == ekstypes.NodegroupStatusActive })
	if got := describeNG().Nodegroup; len(got.Resources.AutoScalingGroups) != 1 || got.Resources.AutoScalingGroups[0].Name != asg {
		t.Fatalf("describe-nodegroup resources: %+v", got.Resources)
	}
	// The instances run the first AMI and carry EKS's tags (propagated from the group).
	images := func() map[string]int {
		var out struct {
			Reservations []struct{ Instances []struct{ ImageId string } }
		}
		cli(&out, "ec2", "describe-instances", "--filters", "Name=tag:eks:nodegroup-name,Values=win", "Name=instance-state-name,Values=running")
		m := map[string]int{}
		for _, r := range out.Reservations {
			for _, in := range r.Instances {
				m[in.ImageId]++
			}
		}
		return m
	}
	if m := images(); m[amis[0]] != 2 || len(m) != 1 {
		t.Fatalf("instances before the update: %v", m)
	}

	var u cliUpdate
	cli(&u, "eks", "update-nodegroup-config", "--cluster-name", "prod", "--nodegroup-name", "win", "--update-config", "maxUnavailable=1")
	if u.Update.Status != "InProgress" || u.Update.Type != "ConfigUpdate" || len(u.Update.Params) != 1 || u.Update.Params[0].Type != "MaxUnavailable" {
		t.Fatalf("update-nodegroup-config: %+v", u)
	}
	code, msg = awstest.CLIError(t, ep, region, "eks", "update-nodegroup-version", "--cluster-name", "prod", "--nodegroup-name", "win",
		"--launch-template", "name=win-nodes,version=2")
	if code != "ResourceInUseException" || msg != "Nodegroup cannot be updated as it is currently not in Active State" {
		t.Fatalf("update during an update: %s %s", code, msg)
	}
	clock.Advance(eks.ConfigUpdateDuration)
	var du cliUpdate
	cli(&du, "eks", "describe-update", "--name", "prod", "--nodegroup-name", "win", "--update-id", u.Update.Id)
	if du.Update.Status != "Successful" {
		t.Fatalf("describe-update of the config update: %+v", du)
	}

	code, msg = awstest.CLIError(t, ep, region, "eks", "update-nodegroup-version", "--cluster-name", "prod", "--nodegroup-name", "win",
		"--launch-template", "name=win-nodes,version=2", "--kubernetes-version", "1.33")
	if code != "InvalidParameterException" || msg != "You cannot specify the field kubernetesVersion when using custom AMIs." {
		t.Fatalf("update-nodegroup-version with a Kubernetes version: %s %s", code, msg)
	}
	var vu cliUpdate
	cli(&vu, "eks", "update-nodegroup-version", "--cluster-name", "prod", "--nodegroup-name", "win", "--launch-template", "name=win-nodes,version=2")
	if vu.Update.Status != "InProgress" || vu.Update.Type != "VersionUpdate" {
		t.Fatalf("update-nodegroup-version: %+v", vu)
	}
	if g := describeASG(); g.AutoScalingGroups[0].LaunchTemplate.Version != "2" {
		t.Fatalf("group during the update on version %s", g.AutoScalingGroups[0].LaunchTemplate.Version)
	}
	until(t, clock, 30*time.Second, 120, "version update ended", func() bool { return ngStatus() == ekstypes.NodegroupStatusActive })
	cli(&du, "eks", "describe-update", "--name", "prod", "--nodegroup-name", "win", "--update-id", vu.Update.Id)
	if du.Update.Status != "Successful" || len(du.Update.Errors) != 0 {
		t.Fatalf("version update: %+v", du)
	}
	if got := describeNG().Nodegroup; got.Status != "ACTIVE" || got.LaunchTemplate.Version != "2" || got.ReleaseVersion != amis[1] {
		t.Fatalf("after the update: %+v", got)
	}
	if m := images(); m[amis[1]] != 2 || len(m) != 1 {
		t.Fatalf("instances after the update: %v", m)
	}
	var ids struct{ UpdateIds []string }
	cli(&ids, "eks", "list-updates", "--name", "prod", "--nodegroup-name", "win")
	if strings.Join(ids.UpdateIds, ",") != u.Update.Id+","+vu.Update.Id {
		t.Fatalf("list-updates: %+v", ids)
	}
	// Without a launch template: the EKS-optimized Windows AMI of amiType, latest release.
	var eo struct {
		Nodegroup struct {
			AmiType, ReleaseVersion string
			InstanceTypes           []string
			DiskSize                int
			LaunchTemplate          *struct{ Id string }
		}
	}
	cli(&eo, "eks", "create-nodegroup", "--cluster-name", "prod", "--nodegroup-name", "eo",
		"--node-role", "arn:aws:iam::123456789012:role/nodes", "--subnets", sn[0], "--ami-type", "WINDOWS_CORE_2022_x86_64",
		"--scaling-config", "minSize=0,maxSize=1,desiredSize=0")
	if e := eo.Nodegroup; e.AmiType != "WINDOWS_CORE_2022_x86_64" || !strings.HasPrefix(e.ReleaseVersion, "1.33-20") ||
		strings.Join(e.InstanceTypes, ",") != "t3.medium" || e.DiskSize != 50 || e.LaunchTemplate != nil {
		t.Fatalf("create-nodegroup without a launch template: %+v", e)
	}
	var names struct{ Nodegroups []string }
	cli(&names, "eks", "list-nodegroups", "--cluster-name", "prod")
	if strings.Join(names.Nodegroups, ",") != "eo,win" {
		t.Fatalf("list-nodegroups: %+v", names)
	}

	var del cliNodegroup
	cli(&del, "eks", "delete-nodegroup", "--cluster-name", "prod", "--nodegroup-name", "win")
	if del.Nodegroup.Status != "DELETING" {
		t.Fatalf("delete-nodegroup: %+v", del.Nodegroup)
	}
	until(t, clock, 30*time.Second, 40, "node group gone", func() bool { return ngStatus() == "" })
	code, _ = awstest.CLIError(t, ep, region, "eks", "describe-nodegroup", "--cluster-name", "prod", "--nodegroup-name", "win")
	if code != "ResourceNotFoundException" {
		t.Fatalf("describe-nodegroup after delete: %s", code)
	}
	if g := describeASG(); len(g.AutoScalingGroups) != 0 {
		t.Fatalf("the group outlives its node group: %+v", g)
	}
}

// eksNodegroupScenario runs the node group operations moto 5.2 also implements
// (CreateNodegroup, DescribeNodegroup, ListNodegroups, UpdateNodegroupConfig,
// DeleteNodegroup) and records what a client observes. settle lets awsemu's clock-driven
// states pass.
func eksNodegroupScenario(t *testing.T, endpoint string, settle func()) *record {
	t.Helper()
	ctx := context.Background()
	cfg := awstest.SDKConfig(endpoint, "us-west-2")
	c, e := sdkeks.NewFromConfig(cfg), sdkec2.NewFromConfig(cfg)
	rec := &record{}
	sub, err := e.DescribeSubnets(ctx, &sdkec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}}}})
	if err != nil || len(sub.Subnets) < 2 {
		t.Fatalf("default subnets: %v", err)
	}
	subnets := []string{aws.ToString(sub.Subnets[0].SubnetId), aws.ToString(sub.Subnets[1].SubnetId)}
	ami := "ami-0123456789abcdef0"
	if out, err := e.DescribeImages(ctx, &sdkec2.DescribeImagesInput{Owners: []string{"amazon"}}); err == nil && len(out.Images) > 0 {
		ami = aws.ToString(out.Images[0].ImageId)
	}
	if _, err := e.CreateLaunchTemplate(ctx, &sdkec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("win-nodes"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(ami), InstanceType: ec2types.InstanceTypeM6iLarge}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateCluster(ctx, &sdkeks.CreateClusterInput{Name: aws.String("prod"), Version: aws.String("1.33"),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/eks"), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnets}})
	rec.add("create-cluster: %s", errCodeStatus(err))
	settle()
	create := func(cluster, name string) (*sdkeks.CreateNodegroupOutput, error) {
		return c.CreateNodegroup(ctx, &sdkeks.CreateNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(name),
			NodeRole: aws.String("arn:aws:iam::123456789012:role/nodes"), Subnets: subnets,
			ScalingConfig:  &ekstypes.NodegroupScalingConfig{MinSize: aws.Int32(1), MaxSize: aws.Int32(3), DesiredSize: aws.Int32(2)},
			LaunchTemplate: &ekstypes.LaunchTemplateSpecification{Name: aws.String("win-nodes"), Version: aws.String("1")},
			Labels:         map[string]string{"os": "windows"}, Tags: map[string]string{"team": "win"}})
	}
	out, err := create("prod", "win")
	rec.add("create: %s", errCodeStatus(err))
	if err == nil {
		n := out.Nodegroup
		arn := aws.ToString(n.NodegroupArn)
		rec.add("create-fields: name=%s cluster=%s arn-prefix=%s scaling=%d/%d/%d subnets-as-given=%t role=%s labels=%v tags=%v lt=%s/%s id-set=%t",
			aws.ToString(n.NodegroupName), aws.ToString(n.ClusterName), arn[:strings.LastIndex(arn, "/")+1],
			aws.ToInt32(n.ScalingConfig.MinSize), aws.ToInt32(n.ScalingConfig.MaxSize), aws.ToInt32(n.ScalingConfig.DesiredSize),
			strings.Join(n.Subnets, ",") == strings.Join(subnets, ","), aws.ToString(n.NodeRole), n.Labels, n.Tags, aws.ToString(n.LaunchTemplate.Name), aws.ToString(n.LaunchTemplate.Version),
			strings.HasPrefix(aws.ToString(n.LaunchTemplate.Id), "lt-"))
		rec.add("create-status: %s", n.Status)
		rec.add("create-custom-ami: amiType=%s releaseVersion=%s instanceTypes=%v", n.AmiType, aws.ToString(n.ReleaseVersion), n.InstanceTypes)
	}
	_, err = create("prod", "win")
	rec.add("create-again: %s", errCodeStatus(err))
	_, err = create("nope", "win")
	rec.add("create-unknown-cluster: %s", errCodeStatus(err))
	_, err = create("prod", "other")
	rec.add("create-second: %s", errCodeStatus(err))
	_, err = c.DescribeNodegroup(ctx, &sdkeks.DescribeNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("nope")})
	rec.add("describe-unknown: %s", errCodeStatus(err))
	settle()
	d, err := c.DescribeNodegroup(ctx, &sdkeks.DescribeNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win")})
	rec.add("describe: %s", errCodeStatus(err))
	if err == nil {
		rec.add("describe-status: %s groups=%d", d.Nodegroup.Status, len(d.Nodegroup.Resources.AutoScalingGroups))
	}
	l, err := c.ListNodegroups(ctx, &sdkeks.ListNodegroupsInput{ClusterName: aws.String("prod")})
	rec.add("list: %s %v", errCodeStatus(err), l.Nodegroups)
	u, err := c.UpdateNodegroupConfig(ctx, &sdkeks.UpdateNodegroupConfigInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win"),
		ScalingConfig: &ekstypes.NodegroupScalingConfig{DesiredSize: aws.Int32(3)}, UpdateConfig: &ekstypes.NodegroupUpdateConfig{MaxUnavailable: aws.Int32(2)}})
	rec.add("update-config: %s", errCodeStatus(err))
	if err == nil {
		rec.add("update-config-status: %s %s", u.Update.Type, u.Update.Status)
	}
	settle()
	d, err = c.DescribeNodegroup(ctx, &sdkeks.DescribeNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win")})
	rec.add("describe-after-update: %s", errCodeStatus(err))
	if err == nil {
		n := d.Nodegroup
		rec.add("describe-after-update-fields: scaling=%d/%d/%d maxUnavailable=%d", aws.ToInt32(n.ScalingConfig.MinSize),
			aws.ToInt32(n.ScalingConfig.MaxSize), aws.ToInt32(n.ScalingConfig.DesiredSize), aws.ToInt32(n.UpdateConfig.MaxUnavailable))
	}
	del, err := c.DeleteNodegroup(ctx, &sdkeks.DeleteNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("other")})
	rec.add("delete: %s", errCodeStatus(err))
	if err == nil {
		rec.add("delete-status: %s", del.Nodegroup.Status)
	}
	settle()
	_, err = c.DescribeNodegroup(ctx, &sdkeks.DescribeNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("other")})
	rec.add("describe-deleted: %s", errCodeStatus(err))
	_, err = c.DeleteNodegroup(ctx, &sdkeks.DeleteNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("other")})
	rec.add("delete-again: %s", errCodeStatus(err))
	l, err = c.ListNodegroups(ctx, &sdkeks.ListNodegroupsInput{ClusterName: aws.String("prod")})
	rec.add("list-after-delete: %s %v", errCodeStatus(err), l.Nodegroups)
	return rec
}

// TestEKSNodegroupsAgainstMoto compares the node group operations moto implements
// between awsemu and moto.
func TestEKSNodegroupsAgainstMoto(t *testing.T) {
	t.Parallel()
	motoEP := awstest.StartMoto(t)
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	c := sdkeks.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-west-2"))
	emu := eksNodegroupScenario(t, srv.URL(), func() {
		// Past cluster creation, instance launches, config updates and deletions: each
		// request ticks the services.
		for i := 0; i < 40; i++ {
			clock.Advance(30 * time.Second)
			_, _ = c.DescribeCluster(context.Background(), &sdkeks.DescribeClusterInput{Name: aws.String("prod")})
		}
	})
	moto := eksNodegroupScenario(t, motoEP, func() {})
	compareRecords(t, emu, moto, "create-status", "create-custom-ami", "update-config-status", "delete-status")
}
