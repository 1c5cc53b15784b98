package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/prune"
	"github.com/winami/winami/rollout"
)

const (
	dRegion = "us-east-1"
	dSpec   = "prod-win2022"
	dParam  = "/winami/prod-win2022/image_id"
)

// discoverWorld is an emulated account with a spec built twice (amis[0], then amis[1],
// the parameter moved to the second) and a public EKS AMI (public).
type discoverWorld struct {
	t      *testing.T
	srv    *awsemu.Server
	clock  *awsemu.ManualClock
	ec2    *ec2.Client
	as     *autoscaling.Client
	eks    *eks.Client
	ssm    *ssm.Client
	aws    *awsapi.Clients
	public string
	inst   string
	amis   []string
}

func newDiscoverWorld(t *testing.T) *discoverWorld {
	t.Helper()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	cfg := awstest.SDKConfig(srv.URL(), dRegion)
	w := &discoverWorld{t: t, srv: srv, clock: clock, ec2: ec2.NewFromConfig(cfg), as: autoscaling.NewFromConfig(cfg), eks: eks.NewFromConfig(cfg), ssm: ssm.NewFromConfig(cfg), aws: awsapi.FromConfig(cfg)}
	rel := seed.Releases[len(seed.Releases)-1]
	w.public = seed.ImageID(dRegion, catalog.EKSOptimizedAMIName("2022", catalog.Core, catalog.LatestKubernetes(), rel.Format("2006.01.02")))
	out, err := w.ec2.RunInstances(context.Background(), &ec2.RunInstancesInput{ImageId: aws.String(w.public), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: ec2types.InstanceTypeM6iLarge})
	if err != nil {
		t.Fatal(err)
	}
	w.inst = aws.ToString(out.Instances[0].InstanceId)
	w.build()
	w.build()
	return w
}

// build makes an AMI of the spec (tagged winami:name) and publishes it.
func (w *discoverWorld) build() string {
	w.t.Helper()
	ctx := context.Background()
	w.clock.Advance(24 * time.Hour)
	out, err := w.ec2.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(w.inst), Name: aws.String(fmt.Sprintf("%s-%d", dSpec, len(w.amis)+1)),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeImage, Tags: []ec2types.Tag{{Key: aws.String(prune.NameTag), Value: aws.String(dSpec)}}}}})
	if err != nil {
		w.t.Fatal(err)
	}
	id := aws.ToString(out.ImageId)
	w.amis = append(w.amis, id)
	w.put(dParam, id)
	return id
}

func (w *discoverWorld) put(name, value string) {
	w.t.Helper()
	if _, err := w.ssm.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value),
		Type: ssmtypes.ParameterTypeString, DataType: aws.String("aws:ec2:image"), Overwrite: aws.Bool(true)}); err != nil {
		w.t.Fatal(err)
	}
}

// template makes a launch template whose version 1 has ImageId image; more images make
// more versions (the default stays 1).
func (w *discoverWorld) template(name string, images ...string) string {
	w.t.Helper()
	ctx := context.Background()
	out, err := w.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(images[0]), InstanceType: ec2types.InstanceTypeM6iLarge}})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, im := range images[1:] {
		if _, err := w.ec2.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateName: aws.String(name),
			LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(im)}}); err != nil {
			w.t.Fatal(err)
		}
	}
	return aws.ToString(out.LaunchTemplate.LaunchTemplateId)
}

// group makes an Auto Scaling group with no instances (capacity 0) on a launch template.
func (w *discoverWorld) group(name string, lt *astypes.LaunchTemplateSpecification, mixed *astypes.MixedInstancesPolicy, tags map[string]string) {
	w.t.Helper()
	in := &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name), MinSize: aws.Int32(0), MaxSize: aws.Int32(4),
		DesiredCapacity: aws.Int32(0), AvailabilityZones: []string{dRegion + "a"}, LaunchTemplate: lt, MixedInstancesPolicy: mixed}
	for k, v := range tags {
		in.Tags = append(in.Tags, astypes.Tag{Key: aws.String(k), Value: aws.String(v), PropagateAtLaunch: aws.Bool(true)})
	}
	if _, err := w.as.CreateAutoScalingGroup(context.Background(), in); err != nil {
		w.t.Fatalf("CreateAutoScalingGroup %s: %v", name, err)
	}
}

func (w *discoverWorld) options() rollout.DiscoverOptions {
	return rollout.DiscoverOptions{AWS: w.aws, Regions: []string{dRegion}, Spec: dSpec, Parameter: dParam, MaxUnavailablePercent: 10, Canary: rollout.Canary{Count: 1}}
}

func names(p *rollout.Plan) []string {
	var out []string
	for _, t := range p.Targets {
		out = append(out, string(t.Kind)+"/"+t.Name)
	}
	return out
}

func find(t *testing.T, p *rollout.Plan, name string) rollout.Target {
	t.Helper()
	for _, tg := range p.Targets {
		if tg.Name == name {
			return tg
		}
	}
	t.Fatalf("no target %s in %v", name, names(p))
	return rollout.Target{}
}

// TestDiscoverAutoScalingGroups: the self-managed groups whose launch template version
// (named, $Default or $Latest) or resolve:ssm: parameter launches an AMI of the spec are
// targets; a group on another AMI, one whose mixed-instances override alone names the
// spec's AMI (a warning) and a managed node group's group are not; To is the published
// parameter, Previous its value before.
func TestDiscoverAutoScalingGroups(t *testing.T) {
	w := newDiscoverWorld(t)
	old, cur := w.amis[0], w.amis[1]
	web := w.template("web", old)
	w.template("api", w.public, old) // version 2 (latest) on the spec's first AMI
	w.template("follow", "resolve:ssm:"+dParam)
	w.template("other", w.public)
	w.template("ng-lt", old)
	w.group("web", &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(web)}, nil, nil)
	w.group("api", &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("api"), Version: aws.String("$Latest")}, nil, nil)
	w.group("api-pinned", &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("api"), Version: aws.String("1")}, nil, nil)
	w.group("follow", &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("follow")}, nil, nil)
	w.group("other", &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("other")}, nil, nil)
	w.group("mixed", nil, &astypes.MixedInstancesPolicy{LaunchTemplate: &astypes.LaunchTemplate{
		LaunchTemplateSpecification: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("other")},
		Overrides:                   []astypes.LaunchTemplateOverrides{{InstanceType: aws.String("m6i.xlarge"), ImageId: aws.String(old)}}}}, nil)
	w.group("eks-ng-1234", &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("ng-lt")}, nil,
		map[string]string{"eks:nodegroup-name": "ng", "eks:cluster-name": "prod"})

	p, err := rollout.Discover(context.Background(), w.options())
	if err != nil {
		t.Fatal(err)
	}
	// Not up to date first (by name), then the up-to-date follow.
	// mixed is not one: only its override names the spec's AMI (said in a warning).
	want := []string{"auto-scaling-group/api", "auto-scaling-group/web", "auto-scaling-group/follow"}
	if got := names(p); !slices.Equal(got, want) {
		t.Fatalf("targets %v, want %v", got, want)
	}
	if p.To[dRegion] != cur || p.ToSource != "ssm:"+dParam || p.Previous[dRegion] != old {
		t.Errorf("To %v (%s), Previous %v; want %s from ssm:%s, previous %s", p.To, p.ToSource, p.Previous, cur, dParam, old)
	}
	wt := find(t, p, "web")
	if wt.From != old || wt.To != cur || wt.UpToDate || wt.Follows != "" || wt.LaunchTemplate.Version != "$Default" ||
		wt.LaunchTemplate.Number != 1 || wt.LaunchTemplate.DefaultVersion != 1 || wt.LaunchTemplate.ImageRef != old || wt.LaunchTemplate.ID != web {
		t.Errorf("web: %+v %+v", wt, wt.LaunchTemplate)
	}
	if !strings.Contains(wt.Change, "made the default version") || !strings.Contains(wt.Change, "instance refresh (min healthy 90%)") {
		t.Errorf("web's change: %q", wt.Change)
	}
	at := find(t, p, "api")
	if at.LaunchTemplate.Version != "$Latest" || at.LaunchTemplate.Number != 2 || at.LaunchTemplate.DefaultVersion != 1 || at.From != old {
		t.Errorf("api: %+v %+v", at, at.LaunchTemplate)
	}
	ft := find(t, p, "follow")
	if ft.Follows != dParam || ft.From != cur || !ft.UpToDate || ft.Change != "" || ft.LaunchTemplate.ImageRef != "resolve:ssm:"+dParam {
		t.Errorf("follow: %+v", ft)
	}
	if !slices.ContainsFunc(p.Warnings, func(s string) bool { return strings.Contains(s, "mixed") && strings.Contains(s, old) }) {
		t.Errorf("no warning about mixed's override: %q", p.Warnings)
	}
	if !slices.ContainsFunc(p.Warnings, func(s string) bool { return strings.HasPrefix(s, "Karpenter not checked") }) {
		t.Errorf("no warning that Karpenter was not checked: %q", p.Warnings)
	}
	if p.KubernetesGate {
		t.Error("KubernetesGate without a Kubernetes client")
	}
}

// TestDiscoverPrevious: Previous is the parameter's value before the current one when the
// parameter names To, and absent when --to names another AMI (a rollback leaves the
// parameter); --to ami- overrides the parameter.
func TestDiscoverPrevious(t *testing.T) {
	w := newDiscoverWorld(t)
	third := w.build()
	w.put(dParam, third) // the same value again: not "the value before"
	o := w.options()
	p, err := rollout.Discover(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if p.To[dRegion] != third || p.Previous[dRegion] != w.amis[1] {
		t.Errorf("To %v Previous %v, want %s and %s", p.To, p.Previous, third, w.amis[1])
	}
	o.To = w.amis[1]
	if p, err = rollout.Discover(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if p.To[dRegion] != w.amis[1] || p.ToSource != w.amis[1] || len(p.Previous) != 0 {
		t.Errorf("--to %s: To %v (%s) Previous %v, want no previous", w.amis[1], p.To, p.ToSource, p.Previous)
	}
}

// TestDiscoverBadInput: each bad input is an InputError naming the flag, before or after
// reading AWS.
func TestDiscoverBadInput(t *testing.T) {
	w := newDiscoverWorld(t)
	w.template("web", w.amis[0])
	w.template("other", w.public)
	w.group("web", &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("web")}, nil, nil)
	w.group("other", &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("other")}, nil, nil)
	w.put("/not/an/ami", w.public)
	if _, err := w.ssm.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String("/text"), Value: aws.String("hello"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, flag, msg string
		change          func(*rollout.DiscoverOptions)
	}{
		{"to garbage", "--to", "use an AMI id", func(o *rollout.DiscoverOptions) { o.To = "latest" }},
		{"to short ami", "--to", "is not an AMI id", func(o *rollout.DiscoverOptions) { o.To = "ami-12" }},
		{"to ami in two regions", "--to", "AMI of one region", func(o *rollout.DiscoverOptions) {
			o.To = w.amis[0]
			o.Regions = []string{"us-east-1", "us-west-2"}
		}},
		{"to missing ami", "--to", "does not exist in us-east-1", func(o *rollout.DiscoverOptions) { o.To = "ami-0123456789abcdef0" }},
		{"to missing parameter", "--to", "SSM parameter /nope does not exist", func(o *rollout.DiscoverOptions) { o.To = "ssm:/nope" }},
		{"to text parameter", "--to", `holds "hello", not an AMI id`, func(o *rollout.DiscoverOptions) { o.To = "ssm:/text" }},
		{"no parameter, no to", "--to", "publishes no SSM parameter", func(o *rollout.DiscoverOptions) { o.Parameter = "" }},
		{"canary both", "--canary", "percentage", func(o *rollout.DiscoverOptions) { o.Canary = rollout.Canary{Count: 1, Percent: 10} }},
		{"max unavailable 0", "--max-unavailable", "from 1% to 100%", func(o *rollout.DiscoverOptions) { o.MaxUnavailablePercent = 0 }},
		{"node group without cluster", "--node-group", "--cluster", func(o *rollout.DiscoverOptions) { o.NodeGroups = []string{"ng"} }},
		{"unknown asg", "--asg", "no Auto Scaling group nope in us-east-1 (of those that launch an AMI of spec prod-win2022, use web)", func(o *rollout.DiscoverOptions) { o.AutoScalingGroups = []string{"nope"} }},
		{"asg not on the spec", "--asg", "Auto Scaling group other does not launch an AMI of spec prod-win2022 (use web)", func(o *rollout.DiscoverOptions) { o.AutoScalingGroups = []string{"web", "other"} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := w.options()
			c.change(&o)
			_, err := rollout.Discover(context.Background(), o)
			var ie *rollout.InputError
			if !errors.As(err, &ie) || ie.Flag != c.flag || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want an InputError of %s saying %q", err, c.flag, c.msg)
			}
		})
	}
	// Narrowing to a target keeps only it.
	o := w.options()
	o.AutoScalingGroups = []string{"web"}
	p, err := rollout.Discover(context.Background(), o)
	if err != nil || !slices.Equal(names(p), []string{"auto-scaling-group/web"}) {
		t.Fatalf("--asg web: %v %v", err, p)
	}
}

// TestCanaryCount: a count is capped by the capacity; a percentage rounds up, at least
// one; the canary's target is the first that moves and is not Karpenter's.
func TestCanaryCount(t *testing.T) {
	for _, c := range []struct {
		canary   rollout.Canary
		capacity int
		want     int
	}{
		{rollout.Canary{Count: 1}, 4, 1}, {rollout.Canary{Count: 5}, 4, 4}, {rollout.Canary{Percent: 10}, 4, 1},
		{rollout.Canary{Percent: 50}, 5, 3}, {rollout.Canary{Percent: 100}, 5, 5}, {rollout.Canary{}, 5, 0}, {rollout.Canary{Count: 1}, 0, 0},
	} {
		// Karpenter's targets and up-to-date ones are never the canary's.
		p := &rollout.Plan{Canary: c.canary, Targets: []rollout.Target{{Kind: rollout.KindKarpenter, Capacity: 9}, {Kind: rollout.KindAutoScalingGroup, Capacity: 9, UpToDate: true},
			{Kind: rollout.KindNodeGroup, Capacity: c.capacity}}}
		if got := p.CanaryCount(); got != c.want {
			t.Errorf("canary %+v of %d: %d, want %d", c.canary, c.capacity, got, c.want)
		}
	}
}

// nodeClassObject is an EC2NodeClass as the API server returns it.
func nodeClassObject(name string, terms ...map[string]any) *unstructured.Unstructured {
	ts := make([]any, len(terms))
	for i, t := range terms {
		ts[i] = t
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": map[string]any{"name": name},
		"spec": map[string]any{"role": "KarpenterNodeRole", "amiSelectorTerms": ts}}}
}

// TestDiscoverKarpenter: an EC2NodeClass that follows the parameter needs no write; one
// that pins the old AMI by id is patched only with --yes; one whose tags select an older
// AMI than To is a warning; one on Amazon's AMI is not a target. Running comes from the
// nodes labelled with the class.
func TestDiscoverKarpenter(t *testing.T) {
	w := newDiscoverWorld(t)
	old, cur := w.amis[0], w.amis[1]
	if _, err := w.ec2.CreateTags(context.Background(), &ec2.CreateTagsInput{Resources: []string{old}, Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("win")}}}); err != nil {
		t.Fatal(err)
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{prune.EC2NodeClassResource: "EC2NodeClassList"},
		nodeClassObject("follows", map[string]any{"ssmParameter": dParam}),
		nodeClassObject("pinned", map[string]any{"tags": map[string]any{"none": "x"}}, map[string]any{"id": old}),
		nodeClassObject("tagged", map[string]any{"tags": map[string]any{"team": "win"}}),
		nodeClassObject("amazon", map[string]any{"id": w.public}))
	disc := &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{}}
	disc.Resources = []*metav1.APIResourceList{{GroupVersion: "karpenter.k8s.aws/v1", APIResources: []metav1.APIResource{{Name: "ec2nodeclasses", Kind: "EC2NodeClass"}}}}
	// One node of "follows" runs the old AMI.
	out, err := w.ec2.RunInstances(context.Background(), &ec2.RunInstancesInput{ImageId: aws.String(old), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: ec2types.InstanceTypeM6iLarge})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.Instances[0].InstanceId)
	cs := fake.NewClientset(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{rollout.NodeClassLabel: "follows"}},
		Spec: corev1.NodeSpec{ProviderID: "aws:///us-east-1a/" + id}})
	o := w.options()
	o.Kube = rollout.Kube{Client: cs, Dynamic: dyn, Discovery: disc}
	p, err := rollout.Discover(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(p), []string{"karpenter/follows", "karpenter/pinned"}; !slices.Equal(got, want) {
		t.Fatalf("targets %v, want %v", got, want)
	}
	f := find(t, p, "follows")
	if f.Follows != dParam || f.From != cur || f.UpToDate || f.NeedsYes || f.Capacity != 1 || !slices.Equal(f.Running, []string{old}) ||
		!strings.Contains(f.Change, "nothing to write") {
		t.Errorf("follows: %+v", f)
	}
	pt := find(t, p, "pinned")
	if pt.From != old || !pt.NeedsYes || pt.Change != fmt.Sprintf("amiSelectorTerms[1].id %s → %s (only with --yes)", old, cur) || pt.Capacity != 0 {
		t.Errorf("pinned: %+v", pt)
	}
	if !slices.ContainsFunc(p.Warnings, func(s string) bool { return strings.Contains(s, "EC2NodeClass tagged") }) {
		t.Errorf("no warning about tagged: %q", p.Warnings)
	}
	if !p.KubernetesGate || strings.Contains(strings.Join(p.Warnings, "\n"), "Karpenter not checked") {
		t.Errorf("KubernetesGate %v, warnings %q", p.KubernetesGate, p.Warnings)
	}
}

// cluster makes EKS cluster name, ACTIVE, and returns the default subnets of two zones.
func (w *discoverWorld) cluster(name string) []string {
	w.t.Helper()
	ctx := context.Background()
	if _, err := w.eks.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::123456789012:role/eks"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{}}); err != nil {
		w.t.Fatal(err)
	}
	w.clock.Advance(11 * time.Minute)
	var subnets []string
	for _, az := range []string{dRegion + "a", dRegion + "b"} {
		out, err := w.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
			{Name: aws.String("availability-zone"), Values: []string{az}}, {Name: aws.String("default-for-az"), Values: []string{"true"}}}})
		if err != nil || len(out.Subnets) == 0 {
			w.t.Fatalf("default subnet of %s: %v", az, err)
		}
		subnets = append(subnets, aws.ToString(out.Subnets[0].SubnetId))
	}
	return subnets
}

// settle lets the groups reach their capacity: launches turn InService after the launch
// delay, on the next request.
func (w *discoverWorld) settle() {
	w.t.Helper()
	for range 3 {
		w.clock.Advance(time.Minute)
		if _, err := w.as.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{}); err != nil {
			w.t.Fatal(err)
		}
	}
}

// TestDiscoverNodeGroupsAndCapacity: with --cluster, a managed node group whose launch
// template names the spec's first AMI is a target (its Auto Scaling group is not one by
// itself), after the Auto Scaling groups; capacity and the AMIs the instances run come
// from the groups' instances; a group already on To with every instance on To is up to
// date and last; the canary is on the first group; --node-group narrows, and names
// what it accepts.
func TestDiscoverNodeGroupsAndCapacity(t *testing.T) {
	w := newDiscoverWorld(t)
	ctx := context.Background()
	old, cur := w.amis[0], w.amis[1]
	subnets := w.cluster("prod")
	w.template("web", old)
	w.template("done", cur)
	ngLT := w.template("win-ng", old)
	for _, g := range []string{"web", "done"} {
		if _, err := w.as.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(g), MinSize: aws.Int32(0), MaxSize: aws.Int32(4),
			DesiredCapacity: aws.Int32(2), VPCZoneIdentifier: aws.String(strings.Join(subnets, ",")),
			LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String(g), Version: aws.String("1")}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.eks.CreateNodegroup(ctx, &eks.CreateNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("win"),
		NodeRole: aws.String("arn:aws:iam::123456789012:role/nodes"), Subnets: subnets,
		ScalingConfig:  &ekstypes.NodegroupScalingConfig{MinSize: aws.Int32(1), MaxSize: aws.Int32(4), DesiredSize: aws.Int32(3)},
		LaunchTemplate: &ekstypes.LaunchTemplateSpecification{Id: aws.String(ngLT), Version: aws.String("1")}}); err != nil {
		t.Fatal(err)
	}
	w.settle()

	o := w.options()
	o.Cluster = "prod"
	p, err := rollout.Discover(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(p), []string{"auto-scaling-group/web", "node-group/win", "auto-scaling-group/done"}; !slices.Equal(got, want) {
		t.Fatalf("targets %v, want %v", got, want)
	}
	web := find(t, p, "web")
	if web.Capacity != 2 || !slices.Equal(web.Running, []string{old}) || web.LaunchTemplate.Version != "1" ||
		!strings.Contains(web.Change, "the group pointed at it") || !strings.HasSuffix(web.Change, "; canary: 1 of 2 first") {
		t.Errorf("web: %+v", web)
	}
	ng := find(t, p, "win")
	if ng.Kind != rollout.KindNodeGroup || ng.Cluster != "prod" || ng.Capacity != 3 || !slices.Equal(ng.Running, []string{old}) || ng.From != old ||
		len(ng.AutoScalingGroups) != 1 || !strings.HasPrefix(ng.AutoScalingGroups[0], "eks-win-") || ng.LaunchTemplate.ID != ngLT ||
		ng.LaunchTemplate.Version != "1" || strings.Contains(ng.Change, "canary") || !strings.Contains(ng.Change, "UpdateNodegroupVersion (max unavailable 10%)") {
		t.Errorf("win: %+v", ng)
	}
	done := find(t, p, "done")
	if !done.UpToDate || done.Capacity != 2 || !slices.Equal(done.Running, []string{cur}) {
		t.Errorf("done: %+v", done)
	}
	if p.CanaryCount() != 1 {
		t.Errorf("canary %d, want 1", p.CanaryCount())
	}

	o.NodeGroups = []string{"win"}
	if p, err = rollout.Discover(ctx, o); err != nil || !slices.Equal(names(p), []string{"node-group/win"}) {
		t.Fatalf("--node-group win: %v %v", err, names(p))
	}
	o.NodeGroups = []string{"nope"}
	var ie *rollout.InputError
	if _, err = rollout.Discover(ctx, o); !errors.As(err, &ie) || ie.Flag != "--node-group" ||
		err.Error() != "--node-group: no node group of cluster prod named nope in us-east-1 (of those that launch an AMI of spec prod-win2022, use win)" {
		t.Errorf("--node-group nope: %v", err)
	}
	o.NodeGroups, o.Cluster = nil, "nope"
	if _, err = rollout.Discover(ctx, o); !errors.As(err, &ie) || ie.Flag != "--cluster" || !strings.Contains(err.Error(), "no EKS cluster nope in us-east-1") {
		t.Errorf("--cluster nope: %v", err)
	}
}
