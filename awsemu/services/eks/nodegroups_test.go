package eks_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	sdkas "github.com/aws/aws-sdk-go-v2/service/autoscaling"
	sdkec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/awsemu/services/autoscaling"
	emuec2 "github.com/winami/winami/awsemu/services/ec2"
	emueks "github.com/winami/winami/awsemu/services/eks"
	"github.com/winami/winami/awsemu/services/ssm"
)

// ngWorld is a server with EC2 (templates, default subnets), Auto Scaling and EKS on a
// ManualClock, an ACTIVE cluster "prod" in us-west-2 and a launch template "win-nodes" on
// an AMI (version 1) and another (version 2).
type ngWorld struct {
	c          *eks.Client
	ec2        *sdkec2.Client
	srv        *awsemu.Server
	clock      *awsemu.ManualClock
	lt         string
	amis       [2]string
	subnets    []string
	clusterVer string
}

const region = "us-west-2"

func startNodegroups(t *testing.T) *ngWorld {
	t.Helper()
	srv := awsemu.NewServer()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	srv.Clock = clock
	emuec2.New(srv, seed.Images())
	ssm.New(srv, seed.Parameters())
	svc := emueks.New(srv)
	autoscaling.New(srv)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	cfg := awstest.SDKConfig(srv.URL(), region)
	w := &ngWorld{c: eks.NewFromConfig(cfg), ec2: sdkec2.NewFromConfig(cfg), srv: srv, clock: clock, clusterVer: "1.33"}
	svc.SeedCluster(emueks.Cluster{Name: "prod", Region: region, Version: w.clusterVer})
	for _, az := range []string{"us-west-2a", "us-west-2b"} {
		sn, ok := srv.EC2.DefaultSubnet(region, az)
		if !ok {
			t.Fatalf("no default subnet in %s", az)
		}
		w.subnets = append(w.subnets, sn.ID)
	}
	w.amis = [2]string{w.image("winami-1"), w.image("winami-2")}
	out, err := w.ec2.CreateLaunchTemplate(t.Context(), &sdkec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("win-nodes"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(w.amis[0]), InstanceType: ec2types.InstanceTypeM6iLarge}})
	if err != nil {
		t.Fatal(err)
	}
	w.lt = aws.ToString(out.LaunchTemplate.LaunchTemplateId)
	w.version(t, w.amis[1])
	return w
}

// image registers an available Windows AMI of the account.
func (w *ngWorld) image(name string) string {
	return w.srv.EC2.PutImage(awsemu.Image{Region: region, Name: name, OwnerID: w.srv.Account, State: "available", Platform: "windows",
		PlatformDetails: "Windows", Architecture: "x86_64", RootDeviceName: "/dev/sda1",
		BlockDevices: []awsemu.BlockDevice{{DeviceName: "/dev/sda1", VolumeSize: 50, VolumeType: "gp3"}}}).ID
}

// version adds a template version on ami and returns its number.
func (w *ngWorld) version(t *testing.T, ami string) string {
	t.Helper()
	v, err := w.ec2.CreateLaunchTemplateVersion(t.Context(), &sdkec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: aws.String(w.lt),
		SourceVersion: aws.String("1"), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(ami)}})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(aws.ToInt64(v.LaunchTemplateVersion.VersionNumber))
}

// group is the Auto Scaling group as the Auto Scaling service has it.
func (w *ngWorld) group(t *testing.T, name string) awsemu.AutoScalingGroup {
	t.Helper()
	g, ok := w.srv.AutoScaling.Group(region, name)
	if !ok {
		t.Fatalf("no Auto Scaling group %s", name)
	}
	return g
}

// step advances the clock by d and makes a request (which ticks Auto Scaling and EKS),
// up to n times, until cond holds; each is called after the request.
func (w *ngWorld) step(t *testing.T, d time.Duration, n int, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < n; i++ {
		if cond() {
			return
		}
		w.clock.Advance(d)
		if _, err := w.c.DescribeCluster(t.Context(), &eks.DescribeClusterInput{Name: aws.String("prod")}); err != nil {
			t.Fatal(err)
		}
	}
	if !cond() {
		t.Fatalf("%s: not after %d steps of %s", what, n, d)
	}
}

// count counts a group's instances in a lifecycle state ("" for all not terminated) and
// on a template version ("" for any).
func count(g awsemu.AutoScalingGroup, state, version string) int {
	n := 0
	for _, in := range g.Instances {
		if (state == "" && !strings.HasPrefix(in.LifecycleState, "Terminat")) || in.LifecycleState == state {
			if version == "" || in.LaunchTemplateVersion == version {
				n++
			}
		}
	}
	return n
}

func (w *ngWorld) create(t *testing.T, name string) *types.Nodegroup {
	t.Helper()
	out, err := w.c.CreateNodegroup(t.Context(), &eks.CreateNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String(name),
		NodeRole: aws.String("arn:aws:iam::123456789012:role/nodes"), Subnets: w.subnets,
		ScalingConfig:  &types.NodegroupScalingConfig{MinSize: aws.Int32(1), MaxSize: aws.Int32(5), DesiredSize: aws.Int32(3)},
		LaunchTemplate: &types.LaunchTemplateSpecification{Name: aws.String("win-nodes"), Version: aws.String("1")},
		Labels:         map[string]string{"os": "windows"}, Tags: map[string]string{"team": "win"}})
	if err != nil {
		t.Fatalf("CreateNodegroup: %v", err)
	}
	return out.Nodegroup
}

func (w *ngWorld) describe(t *testing.T, name string) *types.Nodegroup {
	t.Helper()
	out, err := w.c.DescribeNodegroup(t.Context(), &eks.DescribeNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeNodegroup: %v", err)
	}
	return out.Nodegroup
}

func (w *ngWorld) describeUpdate(t *testing.T, ng, id string) *types.Update {
	t.Helper()
	out, err := w.c.DescribeUpdate(t.Context(), &eks.DescribeUpdateInput{Name: aws.String("prod"), UpdateId: aws.String(id), NodegroupName: aws.String(ng)})
	if err != nil {
		t.Fatalf("DescribeUpdate: %v", err)
	}
	return out.Update
}

// apiErr returns the error code, HTTP status and message of err.
func apiErr(err error) (string, int, string) {
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		return fmt.Sprint(err), 0, ""
	}
	return ae.ErrorCode(), re.HTTPStatusCode(), ae.ErrorMessage()
}

func TestNodegroupCreateDescribeList(t *testing.T) {
	w := startNodegroups(t)
	ctx := t.Context()
	ng := w.create(t, "win")
	arn := regexp.MustCompile(`^arn:aws:eks:us-west-2:123456789012:nodegroup/prod/win/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	if ng.Status != types.NodegroupStatusCreating || !arn.MatchString(aws.ToString(ng.NodegroupArn)) || aws.ToString(ng.Version) != w.clusterVer ||
		aws.ToString(ng.ReleaseVersion) != w.amis[0] || ng.AmiType != types.AMITypesCustom || ng.CapacityType != types.CapacityTypesOnDemand ||
		ng.InstanceTypes != nil || ng.DiskSize != nil || ng.RemoteAccess != nil || ng.Resources != nil ||
		aws.ToString(ng.LaunchTemplate.Id) != w.lt || aws.ToString(ng.LaunchTemplate.Name) != "win-nodes" || aws.ToString(ng.LaunchTemplate.Version) != "1" ||
		aws.ToInt32(ng.UpdateConfig.MaxUnavailable) != 1 || aws.ToInt32(ng.ScalingConfig.DesiredSize) != 3 || ng.Labels["os"] != "windows" || ng.Tags["team"] != "win" {
		t.Fatalf("created %+v", ng)
	}
	uuid := aws.ToString(ng.NodegroupArn)[strings.LastIndex(aws.ToString(ng.NodegroupArn), "/")+1:]
	asgName := "eks-win-" + uuid
	g := w.group(t, asgName)
	if g.Region != region || g.MinSize != 1 || g.MaxSize != 5 || g.DesiredCapacity != 3 || g.LaunchTemplateID != w.lt || g.LaunchTemplateVersion != "1" ||
		strings.Join(g.SubnetIDs, ",") != strings.Join(w.subnets, ",") || len(g.AvailabilityZones) != 2 ||
		g.Tags["eks:cluster-name"] != "prod" || g.Tags["eks:nodegroup-name"] != "win" || g.Tags["kubernetes.io/cluster/prod"] != "owned" ||
		g.Tags["k8s.io/cluster-autoscaler/enabled"] != "true" || g.Tags["k8s.io/cluster-autoscaler/prod"] != "owned" {
		t.Fatalf("Auto Scaling group %+v", g)
	}
	// Auto Scaling launches the instances; once the 3 are InService the node group is ACTIVE.
	w.step(t, 10*time.Second, 2, "launches", func() bool { return count(w.group(t, asgName), "", "1") == 3 })
	if got := w.describe(t, "win"); got.Status != types.NodegroupStatusCreating {
		t.Fatalf("with the instances Pending: %s", got.Status)
	}
	w.step(t, 10*time.Second, 6, "ACTIVE", func() bool { return w.describe(t, "win").Status == types.NodegroupStatusActive })
	if g := w.group(t, asgName); count(g, "InService", "1") != 3 {
		t.Fatalf("ACTIVE with %+v", g.Instances)
	}
	got := w.describe(t, "win")
	if got.Status != types.NodegroupStatusActive || len(got.Resources.AutoScalingGroups) != 1 || aws.ToString(got.Resources.AutoScalingGroups[0].Name) != asgName ||
		got.Health == nil || len(got.Health.Issues) != 0 || !got.ModifiedAt.After(*got.CreatedAt) {
		t.Fatalf("described %+v", got)
	}
	_, err := w.c.CreateNodegroup(ctx, &eks.CreateNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win"),
		NodeRole: aws.String("arn:aws:iam::123456789012:role/nodes"), Subnets: w.subnets,
		LaunchTemplate: &types.LaunchTemplateSpecification{Id: aws.String(w.lt)}})
	if code, status, msg := apiErr(err); code != "ResourceInUseException" || status != 409 || msg != "NodeGroup already exists with name win and cluster name prod" {
		t.Fatalf("second create: %s %d %s", code, status, msg)
	}
	for _, n := range []string{"b", "a", "c"} {
		w.create(t, n)
	}
	p := eks.NewListNodegroupsPaginator(w.c, &eks.ListNodegroupsInput{ClusterName: aws.String("prod"), MaxResults: aws.Int32(3)})
	names, pages := allPages(ctx, t, p, func(out *eks.ListNodegroupsOutput) []string { return out.Nodegroups })
	if strings.Join(names, ",") != "a,b,c,win" || pages != 2 {
		t.Fatalf("ListNodegroups: %v in %d pages", names, pages)
	}
	_, err = w.c.ListNodegroups(ctx, &eks.ListNodegroupsInput{ClusterName: aws.String("nope")})
	if code, status, _ := apiErr(err); code != "ResourceNotFoundException" || status != 404 {
		t.Fatalf("list of an unknown cluster: %v", err)
	}
	_, err = w.c.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.NodegroupName) != "nope" || aws.ToString(nf.ClusterName) != "prod" || nf.ErrorMessage() != "No node group found for name: nope." {
		t.Fatalf("describe of an unknown node group: %v", err)
	}
	// Idempotent with the same client request token.
	in := &eks.CreateNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("tok"), ClientRequestToken: aws.String("t-1"),
		NodeRole: aws.String("arn:aws:iam::123456789012:role/nodes"), Subnets: w.subnets, LaunchTemplate: &types.LaunchTemplateSpecification{Id: aws.String(w.lt)}}
	first, err := w.c.CreateNodegroup(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.c.CreateNodegroup(ctx, in)
	if err != nil || aws.ToString(again.Nodegroup.NodegroupArn) != aws.ToString(first.Nodegroup.NodegroupArn) ||
		aws.ToString(first.Nodegroup.LaunchTemplate.Version) != "1" || aws.ToInt32(first.Nodegroup.ScalingConfig.DesiredSize) != 2 {
		t.Fatalf("retry with the same token: %v %+v", err, again)
	}
}

func TestNodegroupCreateTimesOut(t *testing.T) {
	w := startNodegroups(t)
	// A template version whose AMI is gone: every launch fails.
	gone := w.version(t, "ami-0123456789abcdef0")
	if _, err := w.c.CreateNodegroup(t.Context(), &eks.CreateNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win"),
		NodeRole: aws.String("arn:aws:iam::123456789012:role/nodes"), Subnets: w.subnets,
		LaunchTemplate: &types.LaunchTemplateSpecification{Id: aws.String(w.lt), Version: aws.String(gone)}}); err != nil {
		t.Fatal(err)
	}
	// 19 minutes of failed launches: still CREATING.
	for i := 0; i < int(emueks.NodegroupCreateTimeout/time.Minute)-1; i++ {
		w.clock.Advance(time.Minute)
		if got := w.describe(t, "win"); got.Status != types.NodegroupStatusCreating {
			t.Fatalf("after %d minutes: %s", i+1, got.Status)
		}
	}
	w.clock.Advance(time.Minute)
	got := w.describe(t, "win")
	if got.Status != types.NodegroupStatusCreateFailed || len(got.Health.Issues) != 1 || got.Health.Issues[0].Code != types.NodegroupIssueCodeNodeCreationFailure {
		t.Fatalf("after the timeout: %s %+v", got.Status, got.Health)
	}
	_, err := w.c.UpdateNodegroupVersion(t.Context(), &eks.UpdateNodegroupVersionInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win"),
		LaunchTemplate: &types.LaunchTemplateSpecification{Id: aws.String(w.lt), Version: aws.String("2")}})
	if code, status, _ := apiErr(err); code != "ResourceInUseException" || status != 409 {
		t.Fatalf("update of a failed node group: %v", err)
	}
}

// TestNodegroupActiveWhenInstancesTurnInServiceInTheSameTick: a request to another service
// (here EC2, as a node agent polling DescribeInstances makes) ticks the world in
// registration order, EKS before Auto Scaling. When that tick is the one in which the
// group's instances turn InService and the create deadline has passed, EKS must judge the
// node group on Auto Scaling's state of the same tick (ACTIVE), not on the state before
// (CREATE_FAILED): the sandbox's clock runs 600 times faster than the wall clock in the
// README's walkthrough, so 20 minutes pass between two polls a couple of seconds apart.
func TestNodegroupActiveWhenInstancesTurnInServiceInTheSameTick(t *testing.T) {
	w := startNodegroups(t)
	if _, err := w.c.CreateNodegroup(t.Context(), &eks.CreateNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win"),
		NodeRole: aws.String("arn:aws:iam::123456789012:role/nodes"), Subnets: w.subnets,
		LaunchTemplate: &types.LaunchTemplateSpecification{Id: aws.String(w.lt)}}); err != nil {
		t.Fatal(err)
	}
	poll := func() {
		t.Helper()
		if _, err := w.ec2.DescribeInstances(t.Context(), &sdkec2.DescribeInstancesInput{}); err != nil {
			t.Fatal(err)
		}
	}
	w.clock.Advance(time.Minute)
	poll() // Auto Scaling launches the group's instances: Pending
	w.clock.Advance(emueks.NodegroupCreateTimeout)
	poll() // past the deadline: the instances turn InService in this tick
	if got := w.describe(t, "win"); got.Status != types.NodegroupStatusActive {
		t.Fatalf("node group %s %+v, want ACTIVE: its instances were InService when the tick judged it", got.Status, got.Health)
	}
}

// TestNodegroupCreateAfterAnIdleSpell: the server's clock moves only with requests, so a
// reader who pauses 2 s after create-nodegroup in the sandbox at 600x lets 20 minutes pass
// before Auto Scaling's next tick launches the group's instances. The instances then have
// the create timeout to join from their launch: CREATING while they are Pending, ACTIVE
// once InService (CREATE_FAILED without the join deadline).
func TestNodegroupCreateAfterAnIdleSpell(t *testing.T) {
	w := startNodegroups(t)
	if _, err := w.c.CreateNodegroup(t.Context(), &eks.CreateNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win"),
		NodeRole: aws.String("arn:aws:iam::123456789012:role/nodes"), Subnets: w.subnets,
		LaunchTemplate: &types.LaunchTemplateSpecification{Id: aws.String(w.lt)}}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(emueks.NodegroupCreateTimeout + 5*time.Minute)
	if got := w.describe(t, "win"); got.Status != types.NodegroupStatusCreating {
		t.Fatalf("after an idle spell: node group %s %+v, want CREATING: its instances were launched in this tick", got.Status, got.Health)
	}
	w.clock.Advance(time.Minute)
	if got := w.describe(t, "win"); got.Status != types.NodegroupStatusActive {
		t.Fatalf("a minute later: node group %s %+v, want ACTIVE", got.Status, got.Health)
	}
}

func TestCreateNodegroupValidation(t *testing.T) {
	w := startNodegroups(t)
	noAMI, err := w.ec2.CreateLaunchTemplate(t.Context(), &sdkec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("no-ami"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{InstanceType: ec2types.InstanceTypeM6iLarge}})
	if err != nil {
		t.Fatal(err)
	}
	withProfile, err := w.ec2.CreateLaunchTemplate(t.Context(), &sdkec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("profile"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(w.amis[0]),
			IamInstanceProfile: &ec2types.LaunchTemplateIamInstanceProfileSpecificationRequest{Name: aws.String("nodes")}}})
	if err != nil {
		t.Fatal(err)
	}
	good := func() *eks.CreateNodegroupInput {
		return &eks.CreateNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win"),
			NodeRole: aws.String("arn:aws:iam::123456789012:role/nodes"), Subnets: w.subnets,
			LaunchTemplate: &types.LaunchTemplateSpecification{Id: aws.String(w.lt)}}
	}
	cases := []struct {
		name   string
		change func(*eks.CreateNodegroupInput)
		code   string
		msg    string
	}{
		{"unknown cluster", func(in *eks.CreateNodegroupInput) { in.ClusterName = aws.String("nope") }, "ResourceNotFoundException", "No cluster found for name: nope."},
		{"name with a dot", func(in *eks.CreateNodegroupInput) { in.NodegroupName = aws.String("win.1") }, "InvalidParameterException", "node group name"},
		{"name of 64", func(in *eks.CreateNodegroupInput) { in.NodegroupName = aws.String(strings.Repeat("a", 64)) }, "InvalidParameterException", "node group name"},
		{"role not an ARN", func(in *eks.CreateNodegroupInput) { in.NodeRole = aws.String("nodes") }, "InvalidParameterException", "Invalid Role Arn: 'nodes'"},
		{"unknown subnet", func(in *eks.CreateNodegroupInput) { in.Subnets = []string{"subnet-0123456789abcdef0"} }, "InvalidParameterException", "subnet-0123456789abcdef0"},
		{"min over desired", func(in *eks.CreateNodegroupInput) {
			in.ScalingConfig = &types.NodegroupScalingConfig{MinSize: aws.Int32(3), MaxSize: aws.Int32(5), DesiredSize: aws.Int32(2)}
		}, "InvalidParameterException", "Minimum capacity 3 can't be greater than desired size 2"},
		{"desired over max", func(in *eks.CreateNodegroupInput) {
			in.ScalingConfig = &types.NodegroupScalingConfig{MinSize: aws.Int32(1), MaxSize: aws.Int32(2), DesiredSize: aws.Int32(4)}
		}, "InvalidParameterException", "Desired capacity 4 can't be greater than max size 2"},
		{"max over quota", func(in *eks.CreateNodegroupInput) {
			in.ScalingConfig = &types.NodegroupScalingConfig{MinSize: aws.Int32(1), MaxSize: aws.Int32(451), DesiredSize: aws.Int32(1)}
		}, "InvalidParameterException", "450"},
		{"both maxUnavailable", func(in *eks.CreateNodegroupInput) {
			in.UpdateConfig = &types.NodegroupUpdateConfig{MaxUnavailable: aws.Int32(1), MaxUnavailablePercentage: aws.Int32(10)}
		}, "InvalidParameterException", "not both"},
		{"maxUnavailable 101", func(in *eks.CreateNodegroupInput) {
			in.UpdateConfig = &types.NodegroupUpdateConfig{MaxUnavailable: aws.Int32(101)}
		}, "InvalidParameterException", "between 1 and 100"},
		{"bad taint", func(in *eks.CreateNodegroupInput) {
			in.Taints = []types.Taint{{Key: aws.String("k"), Effect: "NoSchedule"}}
		}, "InvalidParameterException", "Taint effect"},
		{"no launch template", func(in *eks.CreateNodegroupInput) { in.LaunchTemplate = nil }, "InvalidParameterException", "launchTemplate"},
		{"template id and name", func(in *eks.CreateNodegroupInput) { in.LaunchTemplate.Name = aws.String("win-nodes") }, "InvalidParameterException", "not both"},
		{"unknown template", func(in *eks.CreateNodegroupInput) { in.LaunchTemplate.Id = aws.String("lt-0123456789abcdef0") }, "InvalidParameterException", "does not exist"},
		{"unknown version", func(in *eks.CreateNodegroupInput) { in.LaunchTemplate.Version = aws.String("9") }, "InvalidParameterException", "does not exist"},
		{"disk size", func(in *eks.CreateNodegroupInput) { in.DiskSize = aws.Int32(50) }, "InvalidParameterException", "Disk size must be specified within the launch template."},
		{"remote access", func(in *eks.CreateNodegroupInput) {
			in.RemoteAccess = &types.RemoteAccessConfig{Ec2SshKey: aws.String("k")}
		},
			"InvalidParameterException", "Remote access configuration cannot be specified with a launch template."},
		{"instance types twice", func(in *eks.CreateNodegroupInput) { in.InstanceTypes = []string{"m5.large"} }, "InvalidParameterException", "instanceTypes"},
		{"amiType with custom AMI", func(in *eks.CreateNodegroupInput) { in.AmiType = types.AMITypesWindowsCore2022X8664 },
			"InvalidParameterException", "You cannot specify the field amiType when using custom AMIs."},
		{"releaseVersion with custom AMI", func(in *eks.CreateNodegroupInput) { in.ReleaseVersion = aws.String("1.33-2025.01.01") },
			"InvalidParameterException", "You cannot specify the field releaseVersion when using custom AMIs."},
		{"version with custom AMI", func(in *eks.CreateNodegroupInput) { in.Version = aws.String(w.clusterVer) },
			"InvalidParameterException", "You cannot specify the field kubernetesVersion when using custom AMIs."},
		{"another version", func(in *eks.CreateNodegroupInput) { in.Version = aws.String("1.30") }, "InvalidParameterException", "1.30"},
		{"template without AMI", func(in *eks.CreateNodegroupInput) { in.LaunchTemplate.Id = noAMI.LaunchTemplate.LaunchTemplateId },
			"InvalidParameterException", "names an AMI"},
		{"template with a profile", func(in *eks.CreateNodegroupInput) { in.LaunchTemplate.Id = withProfile.LaunchTemplate.LaunchTemplateId },
			"InvalidParameterException", "instance profile"},
	}
	for _, c := range cases {
		in := good()
		c.change(in)
		_, err := w.c.CreateNodegroup(t.Context(), in)
		code, status, msg := apiErr(err)
		if code != c.code || (status != 400 && status != 404) || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %s %d %q, want %s %q", c.name, code, status, msg, c.code, c.msg)
		}
	}
	if groups, err := sdkas.NewFromConfig(awstest.SDKConfig(w.srv.URL(), region)).DescribeAutoScalingGroups(t.Context(),
		&sdkas.DescribeAutoScalingGroupsInput{}); err != nil || len(groups.AutoScalingGroups) != 0 {
		t.Fatalf("a refused request made a group: %v %+v", err, groups)
	}
	// The good request works, and a cluster still CREATING refuses node groups.
	if _, err := w.c.CreateNodegroup(t.Context(), good()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.CreateCluster(t.Context(), &eks.CreateClusterInput{Name: aws.String("new"), RoleArn: aws.String("arn:aws:iam::123456789012:role/eks"),
		ResourcesVpcConfig: &types.VpcConfigRequest{}}); err != nil {
		t.Fatal(err)
	}
	in := good()
	in.ClusterName = aws.String("new")
	_, err = w.c.CreateNodegroup(t.Context(), in)
	if code, _, msg := apiErr(err); code != "InvalidRequestException" || msg != "Cluster 'new' is not in ACTIVE status" {
		t.Fatalf("cluster CREATING: %s %s", code, msg)
	}
}

// active creates node group name and lets it turn ACTIVE.
func (w *ngWorld) active(t *testing.T, name string) string {
	t.Helper()
	ng := w.create(t, name)
	w.step(t, 10*time.Second, 10, name+" ACTIVE", func() bool { return w.describe(t, name).Status == types.NodegroupStatusActive })
	arn := aws.ToString(ng.NodegroupArn)
	return "eks-" + name + "-" + arn[strings.LastIndex(arn, "/")+1:]
}

func TestUpdateNodegroupConfig(t *testing.T) {
	w := startNodegroups(t)
	ctx := t.Context()
	asgName := w.active(t, "win")
	out, err := w.c.UpdateNodegroupConfig(ctx, &eks.UpdateNodegroupConfigInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win"),
		ScalingConfig: &types.NodegroupScalingConfig{MinSize: aws.Int32(0), DesiredSize: aws.Int32(0)},
		UpdateConfig:  &types.NodegroupUpdateConfig{MaxUnavailable: aws.Int32(2)},
		Labels:        &types.UpdateLabelsPayload{AddOrUpdateLabels: map[string]string{"tier": "web"}, RemoveLabels: []string{"os"}}})
	if err != nil {
		t.Fatal(err)
	}
	u := out.Update
	var params []string
	for _, p := range u.Params {
		params = append(params, string(p.Type)+"="+aws.ToString(p.Value))
	}
	if u.Status != types.UpdateStatusInProgress || u.Type != types.UpdateTypeConfigUpdate || len(u.Errors) != 0 ||
		strings.Join(params, " ") != `MinSize=0 DesiredSize=0 LabelsToAdd={"tier":"web"} LabelsToRemove=["os"] MaxUnavailable=2` {
		t.Fatalf("update %+v %v", u, params)
	}
	// Scaling reaches the group at once; 0 is a size.
	if g := w.group(t, asgName); g.MinSize != 0 || g.DesiredCapacity != 0 || g.MaxSize != 5 {
		t.Fatalf("group after the config update: %+v", g)
	}
	ng := w.describe(t, "win")
	if ng.Status != types.NodegroupStatusUpdating || aws.ToInt32(ng.UpdateConfig.MaxUnavailable) != 2 || ng.Labels["tier"] != "web" || ng.Labels["os"] != "" {
		t.Fatalf("node group during the update: %+v", ng)
	}
	// A second update while one is in progress.
	_, err = w.c.UpdateNodegroupVersion(ctx, &eks.UpdateNodegroupVersionInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win"),
		LaunchTemplate: &types.LaunchTemplateSpecification{Id: aws.String(w.lt), Version: aws.String("2")}})
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) || aws.ToString(inUse.NodegroupName) != "win" || inUse.ErrorMessage() != "Nodegroup cannot be updated as it is currently not in Active State" {
		t.Fatalf("update during an update: %v", err)
	}
	w.clock.Advance(emueks.ConfigUpdateDuration)
	if got := w.describeUpdate(t, "win", aws.ToString(u.Id)); got.Status != types.UpdateStatusSuccessful {
		t.Fatalf("after %s: %s", emueks.ConfigUpdateDuration, got.Status)
	}
	if got := w.describe(t, "win"); got.Status != types.NodegroupStatusActive {
		t.Fatalf("node group after the update: %s", got.Status)
	}
	for _, c := range []struct {
		in   eks.UpdateNodegroupConfigInput
		want string
	}{
		{eks.UpdateNodegroupConfigInput{}, "changes nothing"},
		{eks.UpdateNodegroupConfigInput{ScalingConfig: &types.NodegroupScalingConfig{MinSize: aws.Int32(2)}}, "Minimum capacity 2 can't be greater than desired size 0"},
		{eks.UpdateNodegroupConfigInput{UpdateConfig: &types.NodegroupUpdateConfig{MaxUnavailablePercentage: aws.Int32(0)}}, "between 1 and 100"},
		{eks.UpdateNodegroupConfigInput{UpdateConfig: &types.NodegroupUpdateConfig{UpdateStrategy: "FAST"}}, "updateStrategy"},
	} {
		in := c.in
		in.ClusterName, in.NodegroupName = aws.String("prod"), aws.String("win")
		_, err := w.c.UpdateNodegroupConfig(ctx, &in)
		if code, status, msg := apiErr(err); code != "InvalidParameterException" || status != 400 || !strings.Contains(msg, c.want) {
			t.Errorf("%+v: %s %d %s", c.in, code, status, msg)
		}
	}
	_, err = w.c.UpdateNodegroupConfig(ctx, &eks.UpdateNodegroupConfigInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win"),
		UpdateConfig: &types.NodegroupUpdateConfig{MaxUnavailablePercentage: aws.Int32(50), UpdateStrategy: types.NodegroupUpdateStrategiesMinimal}})
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(emueks.ConfigUpdateDuration)
	if ng := w.describe(t, "win"); ng.UpdateConfig.MaxUnavailable != nil || aws.ToInt32(ng.UpdateConfig.MaxUnavailablePercentage) != 50 ||
		ng.UpdateConfig.UpdateStrategy != types.NodegroupUpdateStrategiesMinimal {
		t.Fatalf("percentage replaces the count: %+v", ng.UpdateConfig)
	}
}

// updateVersion calls UpdateNodegroupVersion on node group name of cluster prod with lt,
// after mod (when not nil) changes the input, and returns the update.
func (w *ngWorld) updateVersion(ctx context.Context, name string, lt *types.LaunchTemplateSpecification, mod func(*eks.UpdateNodegroupVersionInput)) (*types.Update, error) {
	in := &eks.UpdateNodegroupVersionInput{ClusterName: aws.String("prod"), NodegroupName: aws.String(name), LaunchTemplate: lt}
	if mod != nil {
		mod(in)
	}
	out, err := w.c.UpdateNodegroupVersion(ctx, in)
	if err != nil {
		return nil, err
	}
	return out.Update, nil
}

func TestUpdateNodegroupVersion(t *testing.T) {
	w := startNodegroups(t)
	ctx := t.Context()
	asgName := w.active(t, "win")
	for _, c := range []struct {
		name string
		lt   *types.LaunchTemplateSpecification
		mod  func(*eks.UpdateNodegroupVersionInput)
		want string
	}{
		{"no template", nil, nil, "Launch template details can't be null for Custom ami type node group"},
		{"kubernetes version", &types.LaunchTemplateSpecification{Id: aws.String(w.lt), Version: aws.String("2")},
			func(in *eks.UpdateNodegroupVersionInput) { in.Version = aws.String(w.clusterVer) }, "You cannot specify the field kubernetesVersion when using custom AMIs."},
		{"release version", &types.LaunchTemplateSpecification{Id: aws.String(w.lt), Version: aws.String("2")},
			func(in *eks.UpdateNodegroupVersionInput) { in.ReleaseVersion = aws.String("1.33-x") }, "You cannot specify the field releaseVersion when using custom AMIs."},
		{"another template", &types.LaunchTemplateSpecification{Name: aws.String("other"), Version: aws.String("2")}, nil, "different launch template"},
		{"unknown version", &types.LaunchTemplateSpecification{Id: aws.String(w.lt), Version: aws.String("7")}, nil, "does not exist"},
	} {
		_, err := w.updateVersion(ctx, "win", c.lt, c.mod)
		if code, status, msg := apiErr(err); code != "InvalidParameterException" || status != 400 || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %s %d %s", c.name, code, status, msg)
		}
	}
	if g := w.group(t, asgName); g.LaunchTemplateVersion != "1" {
		t.Fatalf("a refused update moved the group to %s", g.LaunchTemplateVersion)
	}

	u, err := w.updateVersion(ctx, "win", &types.LaunchTemplateSpecification{Name: aws.String("win-nodes"), Version: aws.String("2")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != types.UpdateStatusInProgress || u.Type != types.UpdateTypeVersionUpdate || len(u.Params) != 2 ||
		u.Params[0].Type != types.UpdateParamTypeLaunchTemplateName || aws.ToString(u.Params[0].Value) != "win-nodes" ||
		u.Params[1].Type != types.UpdateParamTypeLaunchTemplateVersion || aws.ToString(u.Params[1].Value) != "2" {
		t.Fatalf("update %+v", u)
	}
	// Setup phase: the group on the new version.
	if g := w.group(t, asgName); g.LaunchTemplateVersion != "2" || g.DesiredCapacity != 3 {
		t.Fatalf("group: %+v", g)
	}
	if ng := w.describe(t, "win"); ng.Status != types.NodegroupStatusUpdating || aws.ToString(ng.LaunchTemplate.Version) != "1" || aws.ToString(ng.ReleaseVersion) != w.amis[0] {
		t.Fatalf("during the update: %+v", ng)
	}
	_, err = w.c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("prod"), UpdateId: u.Id})
	if code, status, _ := apiErr(err); code != "ResourceNotFoundException" || status != 404 {
		t.Fatalf("DescribeUpdate without the node group: %v", err)
	}
	// Default strategy: new nodes first, one (maxUnavailable) at a time: never fewer
	// than 3 InService, never more than 4 instances.
	minIn, maxAll := 3, 3
	w.step(t, 10*time.Second, 60, "version update", func() bool {
		g := w.group(t, asgName)
		minIn, maxAll = min(minIn, count(g, "InService", "")), max(maxAll, count(g, "", ""))
		return w.describe(t, "win").Status == types.NodegroupStatusActive
	})
	if minIn != 3 || maxAll != 4 {
		t.Fatalf("during the update: at least %d InService, at most %d instances; want 3 and 4", minIn, maxAll)
	}
	if g := w.group(t, asgName); count(g, "InService", "2") != 3 || count(g, "", "") != 3 {
		t.Fatalf("instances after the update: %+v", g.Instances)
	}
	if got := w.describeUpdate(t, "win", aws.ToString(u.Id)); got.Status != types.UpdateStatusSuccessful || len(got.Errors) != 0 {
		t.Fatalf("after the refresh: %+v", got)
	}
	if ng := w.describe(t, "win"); ng.Status != types.NodegroupStatusActive || aws.ToString(ng.LaunchTemplate.Version) != "2" || aws.ToString(ng.ReleaseVersion) != w.amis[1] {
		t.Fatalf("after the update: %+v", ng)
	}

	// A failed replacement (version 3's AMI is gone: no instance launches, Auto Scaling
	// fails the refresh after an hour without progress) fails the update; the node group
	// and its group go back to 2.
	v3 := w.version(t, "ami-0123456789abcdef0")
	u2, err := w.updateVersion(ctx, "win", &types.LaunchTemplateSpecification{Id: aws.String(w.lt), Version: aws.String(v3)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g := w.group(t, asgName); g.LaunchTemplateVersion != v3 {
		t.Fatalf("group on %s", g.LaunchTemplateVersion)
	}
	w.step(t, 5*time.Minute, 20, "failed update", func() bool { return w.describe(t, "win").Status == types.NodegroupStatusActive })
	got := w.describeUpdate(t, "win", aws.ToString(u2.Id))
	if got.Status != types.UpdateStatusFailed || len(got.Errors) != 1 || got.Errors[0].ErrorCode != types.ErrorCodeNodeCreationFailure ||
		aws.ToString(got.Errors[0].ErrorMessage) == "" || got.Errors[0].ResourceIds[0] != asgName {
		t.Fatalf("failed update %+v", got)
	}
	if ng := w.describe(t, "win"); ng.Status != types.NodegroupStatusActive || aws.ToString(ng.LaunchTemplate.Version) != "2" {
		t.Fatalf("after the failed update: %+v", ng)
	}
	if g := w.group(t, asgName); g.LaunchTemplateVersion != "2" || count(g, "InService", "2") != 3 {
		t.Fatalf("group after the failed update: %+v", g)
	}
	// Back to an older version (a rollback) is an update like any other.
	u3, err := w.updateVersion(ctx, "win", &types.LaunchTemplateSpecification{Id: aws.String(w.lt), Version: aws.String("1")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lst, err := w.c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String("prod"), NodegroupName: aws.String("win")})
	if err != nil || strings.Join(lst.UpdateIds, ",") != strings.Join([]string{aws.ToString(u.Id), aws.ToString(u2.Id), aws.ToString(u3.Id)}, ",") {
		t.Fatalf("ListUpdates: %v %+v", err, lst)
	}
	lst, err = w.c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String("prod")})
	if err != nil || len(lst.UpdateIds) != 0 {
		t.Fatalf("cluster updates: %v %+v", err, lst)
	}
	_, err = w.c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String("prod"), NodegroupName: aws.String("nope")})
	if code, _, _ := apiErr(err); code != "ResourceNotFoundException" {
		t.Fatalf("updates of an unknown node group: %v", err)
	}
}

func TestRefreshSpecMinimal(t *testing.T) {
	w := startNodegroups(t)
	ctx := t.Context()
	asgName := w.active(t, "win")
	if _, err := w.c.UpdateNodegroupConfig(ctx, &eks.UpdateNodegroupConfigInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win"),
		UpdateConfig: &types.NodegroupUpdateConfig{MaxUnavailable: aws.Int32(1), UpdateStrategy: types.NodegroupUpdateStrategiesMinimal}}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(emueks.ConfigUpdateDuration)
	if _, err := w.c.UpdateNodegroupVersion(ctx, &eks.UpdateNodegroupVersionInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win"),
		LaunchTemplate: &types.LaunchTemplateSpecification{Id: aws.String(w.lt), Version: aws.String("2")}}); err != nil {
		t.Fatal(err)
	}
	// MINIMAL: old nodes first, one of 3 at a time: never more than 3 instances, at least
	// 2 InService.
	minIn, maxAll := 3, 3
	w.step(t, 10*time.Second, 60, "version update", func() bool {
		g := w.group(t, asgName)
		minIn, maxAll = min(minIn, count(g, "InService", "")), max(maxAll, count(g, "", ""))
		return w.describe(t, "win").Status == types.NodegroupStatusActive
	})
	if minIn != 2 || maxAll != 3 {
		t.Fatalf("during the update: at least %d InService, at most %d instances; want 2 and 3", minIn, maxAll)
	}
	if g := w.group(t, asgName); count(g, "InService", "2") != 3 {
		t.Fatalf("instances after the update: %+v", g.Instances)
	}
}

func TestDeleteNodegroup(t *testing.T) {
	w := startNodegroups(t)
	ctx := t.Context()
	asgName := w.active(t, "win")
	out, err := w.c.DeleteNodegroup(ctx, &eks.DeleteNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win")})
	if err != nil || out.Nodegroup.Status != types.NodegroupStatusDeleting {
		t.Fatalf("DeleteNodegroup: %v %+v", err, out)
	}
	if g := w.group(t, asgName); g.DesiredCapacity != 0 || g.MinSize != 0 || g.MaxSize != 0 {
		t.Fatalf("group while deleting: %+v", g)
	}
	// Auto Scaling terminates the instances; then the group is deleted and the node group
	// is gone.
	if got := w.describe(t, "win"); got.Status != types.NodegroupStatusDeleting {
		t.Fatalf("with instances left: %s", got.Status)
	}
	w.step(t, 10*time.Second, 20, "deleted", func() bool {
		_, err := w.c.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win")})
		code, status, _ := apiErr(err)
		return code == "ResourceNotFoundException" && status == 404
	})
	if g, ok := w.srv.AutoScaling.Group(region, asgName); ok {
		t.Fatalf("the group outlives its node group: %+v", g)
	}
	_, err = w.c.DeleteNodegroup(ctx, &eks.DeleteNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win")})
	if code, _, _ := apiErr(err); code != "ResourceNotFoundException" {
		t.Fatalf("second delete: %v", err)
	}
}

// TestEKSOptimizedNodegroup: a node group without a launch template, on the EKS-optimized
// Windows AMI of amiType: EKS's own template, releaseVersion, updates to later releases.
func TestEKSOptimizedNodegroup(t *testing.T) {
	w := startNodegroups(t)
	ctx := t.Context()
	const param = "/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.33/image_id"
	p, ok := w.srv.SSM.(awsemu.SSMParameterReader).GetParameter(region, param)
	if !ok || len(p.History) < 3 {
		t.Fatalf("seeded parameter %s: %+v", param, p)
	}
	release := func(i int) (string, string) {
		ami := p.History[i].Value
		img, ok := w.srv.EC2.GetImage(region, ami)
		if !ok {
			t.Fatalf("no image %s", ami)
		}
		return strings.TrimPrefix(img.Name, "Windows_Server-2022-English-Core-EKS_Optimized-"), ami
	}
	oldRel, oldAMI := release(len(p.History) - 3)
	olderRel, _ := release(len(p.History) - 4)
	newRel, newAMI := release(len(p.History) - 1)
	if !strings.HasPrefix(oldRel, "1.33-") {
		t.Fatalf("release %q", oldRel)
	}
	in := func() *eks.CreateNodegroupInput {
		return &eks.CreateNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("eo"),
			NodeRole: aws.String("arn:aws:iam::123456789012:role/nodes"), Subnets: w.subnets,
			ScalingConfig: &types.NodegroupScalingConfig{MinSize: aws.Int32(1), MaxSize: aws.Int32(3), DesiredSize: aws.Int32(2)},
			AmiType:       types.AMITypesWindowsCore2022X8664, ReleaseVersion: aws.String(oldRel), InstanceTypes: []string{"m6i.large"}, DiskSize: aws.Int32(80)}
	}
	bad := in()
	bad.ReleaseVersion = aws.String("1.33-2020.01.01")
	_, err := w.c.CreateNodegroup(ctx, bad)
	if code, _, msg := apiErr(err); code != "InvalidParameterException" || msg != "Requested release version 1.33-2020.01.01 is not valid for kubernetes version 1.33" {
		t.Fatalf("unknown release: %s %s", code, msg)
	}
	bad = in()
	bad.AmiType = types.AMITypesAl2023X8664Standard
	_, err = w.c.CreateNodegroup(ctx, bad)
	if code, _, msg := apiErr(err); code != "InvalidParameterException" || !strings.Contains(msg, "Windows AMI types") {
		t.Fatalf("Linux AMI type: %s %s", code, msg)
	}
	out, err := w.c.CreateNodegroup(ctx, in())
	if err != nil {
		t.Fatal(err)
	}
	ng := out.Nodegroup
	if ng.AmiType != types.AMITypesWindowsCore2022X8664 || aws.ToString(ng.ReleaseVersion) != oldRel || ng.LaunchTemplate != nil ||
		strings.Join(ng.InstanceTypes, ",") != "m6i.large" || aws.ToInt32(ng.DiskSize) != 80 || aws.ToString(ng.Version) != "1.33" {
		t.Fatalf("created %+v", ng)
	}
	arn := aws.ToString(ng.NodegroupArn)
	uuid := arn[strings.LastIndex(arn, "/")+1:]
	// EKS's own launch template, eks-<uuid>, on the release's AMI.
	lt, err := w.ec2.DescribeLaunchTemplateVersions(ctx, &sdkec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String("eks-" + uuid)})
	if err != nil || len(lt.LaunchTemplateVersions) != 1 {
		t.Fatalf("EKS's launch template: %v %+v", err, lt)
	}
	d := lt.LaunchTemplateVersions[0].LaunchTemplateData
	if aws.ToString(d.ImageId) != oldAMI || d.InstanceType != ec2types.InstanceTypeM6iLarge || len(d.BlockDeviceMappings) != 1 ||
		aws.ToInt32(d.BlockDeviceMappings[0].Ebs.VolumeSize) != 80 {
		t.Fatalf("template data %+v", d)
	}
	asgName := "eks-eo-" + uuid
	w.step(t, 10*time.Second, 10, "ACTIVE", func() bool { return w.describe(t, "eo").Status == types.NodegroupStatusActive })

	for _, c := range []struct {
		name string
		mod  func(*eks.UpdateNodegroupVersionInput)
		want string
	}{
		{"a launch template", func(in *eks.UpdateNodegroupVersionInput) {
			in.LaunchTemplate = &types.LaunchTemplateSpecification{Id: aws.String(w.lt), Version: aws.String("1")}
		}, "created without a launch template"},
		{"an older release", func(in *eks.UpdateNodegroupVersionInput) { in.ReleaseVersion = aws.String(olderRel) }, "You cannot roll back"},
		{"another Kubernetes version", func(in *eks.UpdateNodegroupVersionInput) { in.Version = aws.String("1.34") }, "1.34"},
		{"an unknown release", func(in *eks.UpdateNodegroupVersionInput) { in.ReleaseVersion = aws.String("1.33-2020.01.01") }, "is not valid for kubernetes version 1.33"},
	} {
		_, err := w.updateVersion(ctx, "eo", nil, c.mod)
		if code, status, msg := apiErr(err); code != "InvalidParameterException" || status != 400 || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %s %d %s", c.name, code, status, msg)
		}
	}
	// No release: the latest one.
	u, err := w.updateVersion(ctx, "eo", nil, func(in *eks.UpdateNodegroupVersionInput) { in.Version = aws.String("1.33") })
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Params) != 2 || u.Params[0].Type != types.UpdateParamTypeVersion || aws.ToString(u.Params[0].Value) != "1.33" ||
		u.Params[1].Type != types.UpdateParamTypeReleaseVersion || aws.ToString(u.Params[1].Value) != newRel {
		t.Fatalf("update %+v", u)
	}
	w.step(t, 10*time.Second, 60, "version update", func() bool { return w.describe(t, "eo").Status == types.NodegroupStatusActive })
	if got := w.describeUpdate(t, "eo", aws.ToString(u.Id)); got.Status != types.UpdateStatusSuccessful {
		t.Fatalf("update %+v", got)
	}
	if ng := w.describe(t, "eo"); aws.ToString(ng.ReleaseVersion) != newRel || ng.LaunchTemplate != nil {
		t.Fatalf("after the update %+v", ng)
	}
	g := w.group(t, asgName)
	if g.LaunchTemplateVersion != "2" || count(g, "InService", "2") != 2 {
		t.Fatalf("group after the update %+v", g)
	}
	var ids []string
	for _, in := range g.Instances {
		if in.LifecycleState == "InService" {
			ids = append(ids, in.ID)
		}
	}
	inst, err := w.ec2.DescribeInstances(ctx, &sdkec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range inst.Reservations {
		for _, i := range r.Instances {
			if aws.ToString(i.ImageId) != newAMI {
				t.Fatalf("instance %s runs %s, want %s", aws.ToString(i.InstanceId), aws.ToString(i.ImageId), newAMI)
			}
		}
	}
	// Deleting the node group deletes EKS's template too.
	if _, err := w.c.DeleteNodegroup(ctx, &eks.DeleteNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("eo")}); err != nil {
		t.Fatal(err)
	}
	w.step(t, 10*time.Second, 20, "deleted", func() bool {
		_, ok := w.srv.AutoScaling.Group(region, asgName)
		return !ok
	})
	if _, ok := w.srv.EC2.LaunchTemplate(region, "eks-"+uuid); ok {
		t.Fatal("EKS's launch template outlives its node group")
	}
	// The user's template of a launch template node group stays.
	w.active(t, "win")
	if _, err := w.c.DeleteNodegroup(ctx, &eks.DeleteNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win")}); err != nil {
		t.Fatal(err)
	}
	w.step(t, 10*time.Second, 20, "deleted", func() bool {
		_, err := w.c.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win")})
		return err != nil
	})
	if _, ok := w.srv.EC2.LaunchTemplate(region, w.lt); !ok {
		t.Fatal("the user's launch template was deleted with the node group")
	}
}
