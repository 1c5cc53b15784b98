package rollout

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/prune"
)

// Tags and labels Discover reads.
const (
	// NameTag marks an AMI of a spec (winami:name=<metadata.name>), as package
	// imagebuilder tags every AMI it distributes.
	NameTag = prune.NameTag
	// NodeGroupTag is on the Auto Scaling groups of an EKS managed node group (and on
	// their instances): such a group is moved through its node group, never by itself.
	// https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html ("Amazon EKS
	// tags managed node group resources"; eks:cluster-name and eks:nodegroup-name).
	NodeGroupTag = "eks:nodegroup-name"
	// NodeClassLabel is the label Karpenter puts on the nodes (and NodeClaims) of an
	// EC2NodeClass: karpenter-provider-aws pkg/apis/v1/labels.go, NodeClassLabelKey
	// ("karpenter.k8s.aws/ec2nodeclass").
	NodeClassLabel = "karpenter.k8s.aws/ec2nodeclass"
)

// InputError is bad input to Discover: Flag names the command-line flag (or option)
// that is wrong ("--to", "--asg", "--cluster"), Err says what is accepted. Nothing was
// changed.
type InputError struct {
	Flag string
	Err  error
}

// Error implements error.
func (e *InputError) Error() string { return e.Flag + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

func inputf(flag, format string, args ...any) error {
	return &InputError{Flag: flag, Err: fmt.Errorf(format, args...)}
}

var amiID = regexp.MustCompile(`^ami-[0-9a-f]{8}([0-9a-f]{9})?$`)

// CheckOptions checks the options that need no AWS call: the spec, the regions, --to's
// form, the canary, the max unavailable percentage and that --node-group comes with a
// cluster. An error is an *InputError.
func CheckOptions(o DiscoverOptions) error {
	if o.Spec == "" {
		return inputf("metadata.name", "the spec has no name: AMIs of the spec are those tagged %s=<metadata.name>", NameTag)
	}
	if len(o.Regions) == 0 {
		return inputf("--region", "no region to roll out in: the spec has no distribution regions and --region is empty")
	}
	switch {
	case o.To == "":
		if o.Parameter == "" {
			return inputf("--to", "the spec publishes no SSM parameter (spec.distribution.publishParameter): name the AMI with --to ami-… or --to ssm:/parameter")
		}
	case strings.HasPrefix(o.To, "ami-"):
		if !amiID.MatchString(o.To) {
			return inputf("--to", "%q is not an AMI id: use ami- and 8 or 17 hexadecimal digits, or ssm:/parameter", o.To)
		}
		if len(o.Regions) > 1 {
			return inputf("--to", "%s is an AMI of one region and the rollout covers %s: pass --region with one region, or --to ssm:/parameter (read in each region)", o.To, strings.Join(o.Regions, ", "))
		}
	case strings.HasPrefix(o.To, "ssm:"):
		if strings.TrimPrefix(o.To, "ssm:") == "" {
			return inputf("--to", "ssm: needs a parameter name: ssm:/winami/prod/image_id")
		}
	default:
		return inputf("--to", "%q: use an AMI id (ami-…) or an SSM parameter (ssm:/winami/prod/image_id)", o.To)
	}
	if o.Canary.Count < 0 || o.Canary.Percent < 0 || o.Canary.Percent > 100 || (o.Canary.Count > 0 && o.Canary.Percent > 0) {
		return inputf("--canary", "use a number of nodes (1) or a percentage from 1%% to 100%% (10%%)")
	}
	if o.MaxUnavailablePercent < 1 || o.MaxUnavailablePercent > 100 {
		return inputf("--max-unavailable", "%d%%: use a percentage from 1%% to 100%%", o.MaxUnavailablePercent)
	}
	if len(o.NodeGroups) > 0 && o.Cluster == "" {
		return inputf("--node-group", "managed node groups belong to a cluster: pass --cluster NAME")
	}
	return nil
}

// Discover finds the targets and plans the rollout: in each region, the Auto Scaling
// groups (not those of managed node groups) and, with o.Cluster, the EKS managed node
// groups whose launch template version (the group's, or its mixed instances policy's)
// launches an AMI of the spec (tagged winami:name=o.Spec, or To) or resolves the spec's
// parameter (a mixed-instances override naming an AMI of the spec is a warning: rollout
// does not rewrite overrides); with a Kubernetes client, the Karpenter EC2NodeClasses
// whose amiSelectorTerms select one. Bad input is an *InputError; nothing is written.
func Discover(ctx context.Context, o DiscoverOptions) (*Plan, error) {
	if err := CheckOptions(o); err != nil {
		return nil, err
	}
	p := &Plan{Spec: o.Spec, Parameter: o.Parameter, To: map[string]string{}, Canary: o.Canary,
		MaxUnavailablePercent: o.MaxUnavailablePercent, KubernetesGate: o.Kube.Client != nil, Targets: []Target{}}
	p.ToSource = o.To
	if o.To == "" {
		p.ToSource = "ssm:" + o.Parameter
	}
	d := &discoverer{o: o, plan: p, seenASG: map[string]bool{}, seenNG: map[string]bool{}}
	clusterFound := false
	for _, region := range o.Regions {
		to, err := d.target(ctx, region)
		if err != nil {
			return nil, err
		}
		p.To[region] = to
		if err := d.previous(ctx, region); err != nil {
			return nil, err
		}
		if err := d.specImages(ctx, region); err != nil {
			return nil, err
		}
		found, err := d.region(ctx, region)
		if err != nil {
			return nil, err
		}
		if found {
			clusterFound = true
			d.clusterRegions = append(d.clusterRegions, region)
		}
	}
	if o.Cluster != "" && !clusterFound {
		return nil, inputf("--cluster", "no EKS cluster %s in %s", o.Cluster, strings.Join(o.Regions, ", "))
	}
	if o.Kube.Dynamic != nil {
		if err := d.karpenter(ctx); err != nil {
			return nil, err
		}
	} else {
		p.Warnings = append(p.Warnings, "Karpenter not checked: without a kubeconfig rollout cannot see the EC2NodeClasses that select the spec's AMIs")
	}
	if err := d.narrow(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(p.Targets, func(a, b Target) int {
		if a.UpToDate != b.UpToDate {
			if a.UpToDate {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(kindRank[a.Kind], kindRank[b.Kind]), cmp.Compare(a.Region, b.Region), cmp.Compare(a.Name, b.Name))
	})
	d.describeChanges()
	return p, nil
}

// kindRank orders the targets: Auto Scaling groups first (an instance refresh has
// checkpoints, so the canary can pause there; a node group update cannot pause), then
// node groups, then Karpenter (whose nodes Karpenter replaces at its own pace).
var kindRank = map[Kind]int{KindAutoScalingGroup: 0, KindNodeGroup: 1, KindKarpenter: 2}

type discoverer struct {
	o    DiscoverOptions
	plan *Plan
	// specAMIs are, per region, the spec's AMIs (and To).
	specAMIs map[string]map[string]bool
	// seenASG and seenNG are every group and node group looked at ("region/name"), for
	// --asg and --node-group's messages.
	seenASG, seenNG map[string]bool
	clusterRegions  []string
}

// target is the AMI region moves to: --to's AMI, or the parameter's value there. It must
// be an available AMI of the region.
func (d *discoverer) target(ctx context.Context, region string) (string, error) {
	o := d.o
	flag, param := "--to", strings.TrimPrefix(o.To, "ssm:")
	if o.To == "" {
		flag, param = "spec.distribution.publishParameter", o.Parameter
	}
	id := o.To
	if !strings.HasPrefix(o.To, "ami-") {
		out, err := d.o.AWS.SSM(region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param)})
		if awsapi.ErrorCode(err) == "ParameterNotFound" {
			return "", inputf(flag, "SSM parameter %s does not exist in %s (has the spec been built? winami build publishes it)", param, region)
		}
		if err != nil {
			return "", fmt.Errorf("reading SSM parameter %s in %s: %w", param, region, err)
		}
		id = strings.TrimSpace(aws.ToString(out.Parameter.Value))
		if !amiID.MatchString(id) {
			return "", inputf(flag, "SSM parameter %s in %s holds %q, not an AMI id", param, region, id)
		}
	}
	out, err := d.o.AWS.EC2(region).DescribeImages(ctx, &ec2.DescribeImagesInput{
		Filters: []ec2types.Filter{{Name: aws.String("image-id"), Values: []string{id}}}})
	if err != nil {
		return "", fmt.Errorf("describing AMI %s in %s: %w", id, region, err)
	}
	if len(out.Images) == 0 {
		return "", inputf(flag, "AMI %s does not exist in %s (or this account cannot launch it)", id, region)
	}
	if st := out.Images[0].State; st != ec2types.ImageStateAvailable {
		return "", inputf(flag, "AMI %s in %s is %s: rollout moves only to an available AMI", id, region, st)
	}
	return id, nil
}

// previous sets Plan.Previous[region]: when the spec's parameter names To, the value it
// had before (its history, the newest earlier version with another value), which a
// rollback writes back. When the parameter names another AMI (--to elsewhere), the
// rollout did not come from it and a rollback leaves it: no entry.
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameterHistory.html
func (d *discoverer) previous(ctx context.Context, region string) error {
	name := d.o.Parameter
	if name == "" {
		return nil
	}
	var hist []struct {
		version int64
		value   string
	}
	pg := ssm.NewGetParameterHistoryPaginator(d.o.AWS.SSM(region), &ssm.GetParameterHistoryInput{Name: aws.String(name), MaxResults: aws.Int32(50)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if awsapi.ErrorCode(err) == "ParameterNotFound" {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the history of SSM parameter %s in %s: %w", name, region, err)
		}
		for _, h := range page.Parameters {
			hist = append(hist, struct {
				version int64
				value   string
			}{h.Version, strings.TrimSpace(aws.ToString(h.Value))})
		}
	}
	if len(hist) == 0 {
		return nil
	}
	slices.SortFunc(hist, func(a, b struct {
		version int64
		value   string
	}) int {
		return cmp.Compare(a.version, b.version)
	})
	to := d.plan.To[region]
	if hist[len(hist)-1].value != to {
		return nil
	}
	for i := len(hist) - 2; i >= 0; i-- {
		if hist[i].value != to {
			if d.plan.Previous == nil {
				d.plan.Previous = map[string]string{}
			}
			d.plan.Previous[region] = hist[i].value
			return nil
		}
	}
	return nil
}

// specImages reads the account's AMIs tagged winami:name=<spec> in region.
func (d *discoverer) specImages(ctx context.Context, region string) error {
	if d.specAMIs == nil {
		d.specAMIs = map[string]map[string]bool{}
	}
	set := map[string]bool{d.plan.To[region]: true}
	pg := ec2.NewDescribeImagesPaginator(d.o.AWS.EC2(region), &ec2.DescribeImagesInput{
		Owners:            []string{"self"},
		Filters:           []ec2types.Filter{{Name: aws.String("tag:" + NameTag), Values: []string{d.o.Spec}}},
		IncludeDeprecated: aws.Bool(true),
		MaxResults:        aws.Int32(1000),
	})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing the AMIs of spec %s in %s: %w", d.o.Spec, region, err)
		}
		for _, im := range page.Images {
			set[aws.ToString(im.ImageId)] = true
		}
	}
	d.specAMIs[region] = set
	return nil
}

// templateRef is what a group or node group names: a launch template and a version.
type templateRef struct{ id, name, version string }

// launchTemplate resolves ref's version in region: its number, ImageId and the
// template's default version.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLaunchTemplateVersions.html
// (Versions takes a number, $Latest or $Default.)
func (d *discoverer) launchTemplate(ctx context.Context, region string, ref templateRef) (*LaunchTemplate, error) {
	version := ref.version
	if version == "" {
		// "If you omit Version, Amazon EC2 Auto Scaling uses the default version":
		// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateSpecification.html
		version = "$Default"
	}
	in := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{version}}
	if ref.id != "" {
		in.LaunchTemplateId = aws.String(ref.id)
	} else {
		in.LaunchTemplateName = aws.String(ref.name)
	}
	api := d.o.AWS.EC2(region)
	out, err := api.DescribeLaunchTemplateVersions(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("describing launch template %s version %s in %s: %w", cmp.Or(ref.name, ref.id), version, region, err)
	}
	if len(out.LaunchTemplateVersions) == 0 {
		return nil, fmt.Errorf("describing launch template %s version %s in %s: no such version", cmp.Or(ref.name, ref.id), version, region)
	}
	v := out.LaunchTemplateVersions[0]
	lt := &LaunchTemplate{ID: aws.ToString(v.LaunchTemplateId), Name: aws.ToString(v.LaunchTemplateName), Version: version,
		Number: aws.ToInt64(v.VersionNumber)}
	if v.LaunchTemplateData != nil {
		lt.ImageRef = aws.ToString(v.LaunchTemplateData.ImageId)
	}
	tpl, err := api.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{lt.ID}})
	if err != nil {
		return nil, fmt.Errorf("describing launch template %s in %s: %w", lt.Name, region, err)
	}
	if len(tpl.LaunchTemplates) > 0 {
		lt.DefaultVersion = aws.ToInt64(tpl.LaunchTemplates[0].DefaultVersionNumber)
	}
	return lt, nil
}

// image is the AMI an ImageId reference names now, and the parameter it follows when it
// is resolve:ssm:<the spec's parameter>.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/using-systems-manager-parameters.html
func (d *discoverer) image(ctx context.Context, region, ref string) (id, follows string, err error) {
	param, ok := strings.CutPrefix(ref, "resolve:ssm:")
	if !ok {
		return ref, "", nil
	}
	out, err := d.o.AWS.SSM(region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param)})
	if awsapi.ErrorCode(err) == "ParameterNotFound" {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("reading SSM parameter %s in %s: %w", param, region, err)
	}
	if d.o.Parameter != "" && param == d.o.Parameter {
		follows = param
	}
	return strings.TrimSpace(aws.ToString(out.Parameter.Value)), follows, nil
}

// region discovers the Auto Scaling groups and node groups of region; found tells whether
// o.Cluster exists there.
func (d *discoverer) region(ctx context.Context, region string) (found bool, err error) {
	groups := map[string]astypes.AutoScalingGroup{}
	var names []string
	pg := autoscaling.NewDescribeAutoScalingGroupsPaginator(d.o.AWS.AutoScaling(region), &autoscaling.DescribeAutoScalingGroupsInput{MaxRecords: aws.Int32(100)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("listing Auto Scaling groups in %s: %w", region, err)
		}
		for _, g := range page.AutoScalingGroups {
			groups[aws.ToString(g.AutoScalingGroupName)] = g
			names = append(names, aws.ToString(g.AutoScalingGroupName))
		}
	}
	for _, name := range names {
		g := groups[name]
		if hasTag(g.Tags, NodeGroupTag) {
			continue
		}
		d.seenASG[region+"/"+name] = true
		if err := d.autoScalingGroup(ctx, region, g); err != nil {
			return false, err
		}
	}
	if d.o.Cluster == "" {
		return false, nil
	}
	return d.nodeGroups(ctx, region, groups)
}

func hasTag(tags []astypes.TagDescription, key string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return true
		}
	}
	return false
}

// autoScalingGroup adds g when it launches an AMI of the spec.
func (d *discoverer) autoScalingGroup(ctx context.Context, region string, g astypes.AutoScalingGroup) error {
	name := aws.ToString(g.AutoScalingGroupName)
	var ref *templateRef
	var overrides []astypes.LaunchTemplateOverrides
	switch {
	case g.LaunchTemplate != nil:
		ref = &templateRef{aws.ToString(g.LaunchTemplate.LaunchTemplateId), aws.ToString(g.LaunchTemplate.LaunchTemplateName), aws.ToString(g.LaunchTemplate.Version)}
	case g.MixedInstancesPolicy != nil && g.MixedInstancesPolicy.LaunchTemplate != nil:
		mlt := g.MixedInstancesPolicy.LaunchTemplate
		if s := mlt.LaunchTemplateSpecification; s != nil {
			ref = &templateRef{aws.ToString(s.LaunchTemplateId), aws.ToString(s.LaunchTemplateName), aws.ToString(s.Version)}
		}
		overrides = mlt.Overrides
	}
	if ref == nil {
		if g.LaunchConfigurationName != nil {
			// A launch configuration cannot be changed; rollout moves launch templates only.
			if id, err := d.launchConfigurationImage(ctx, region, aws.ToString(g.LaunchConfigurationName)); err != nil {
				return err
			} else if d.specAMIs[region][id] {
				d.plan.Warnings = append(d.plan.Warnings, fmt.Sprintf("Auto Scaling group %s in %s launches %s, an AMI of the spec, from launch configuration %s: rollout moves launch templates only (migrate it to a launch template)", name, region, id, aws.ToString(g.LaunchConfigurationName)))
			}
		}
		return nil
	}
	lt, err := d.launchTemplate(ctx, region, *ref)
	if err != nil {
		return fmt.Errorf("reading the launch template of Auto Scaling group %s: %w", name, err)
	}
	from, follows, err := d.image(ctx, region, lt.ImageRef)
	if err != nil {
		return fmt.Errorf("resolving the image of Auto Scaling group %s: %w", name, err)
	}
	selected := d.specAMIs[region][from] || follows != ""
	var overrideNotes []string
	for _, ov := range overrides {
		oref := aws.ToString(ov.ImageId)
		what := "override " + aws.ToString(ov.InstanceType)
		if s := ov.LaunchTemplateSpecification; s != nil && oref == "" {
			olt, err := d.launchTemplate(ctx, region, templateRef{aws.ToString(s.LaunchTemplateId), aws.ToString(s.LaunchTemplateName), aws.ToString(s.Version)})
			if err != nil {
				return fmt.Errorf("reading a mixed-instances override's launch template of Auto Scaling group %s: %w", name, err)
			}
			oref = olt.ImageRef
			what += " (launch template " + olt.Name + ")"
		}
		if oref == "" {
			continue
		}
		id, ofollows, err := d.image(ctx, region, oref)
		if err != nil {
			return fmt.Errorf("resolving a mixed-instances override's image of Auto Scaling group %s: %w", name, err)
		}
		// An override's ImageId is "the ID of the Amazon Machine Image (AMI) to use for
		// instances launched with this override"
		// (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateOverrides.html);
		// rollout rewrites launch template versions only, so an override pinning an AMI of
		// the spec is said, and a group only an override ties to the spec is no target (its
		// template's AMI is not the spec's to replace).
		if d.specAMIs[region][id] && id != d.plan.To[region] && ofollows == "" {
			overrideNotes = append(overrideNotes, fmt.Sprintf("its mixed-instances %s names %s, which rollout does not rewrite (set that override's ImageId yourself)", what, id))
		}
	}
	for _, n := range overrideNotes {
		d.plan.Warnings = append(d.plan.Warnings, fmt.Sprintf("Auto Scaling group %s in %s: %s", name, region, n))
	}
	if !selected {
		return nil
	}
	ids, capacity := liveInstances(g)
	running, err := d.instanceImages(ctx, region, ids)
	if err != nil {
		return err
	}
	t := Target{Kind: KindAutoScalingGroup, Name: name, Region: region, AutoScalingGroups: []string{name},
		LaunchTemplate: lt, Follows: follows, Capacity: capacity, From: from, Running: running, To: d.plan.To[region]}
	d.add(t)
	return nil
}

// launchConfigurationImage is the ImageId of a launch configuration.
func (d *discoverer) launchConfigurationImage(ctx context.Context, region, name string) (string, error) {
	out, err := d.o.AWS.AutoScaling(region).DescribeLaunchConfigurations(ctx, &autoscaling.DescribeLaunchConfigurationsInput{LaunchConfigurationNames: []string{name}})
	if err != nil {
		return "", fmt.Errorf("describing launch configuration %s in %s: %w", name, region, err)
	}
	if len(out.LaunchConfigurations) == 0 {
		return "", nil
	}
	return aws.ToString(out.LaunchConfigurations[0].ImageId), nil
}

// liveInstances are the group's instances that count (not terminating, terminated,
// detaching or detached), and how many.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Instance.html (LifecycleState)
func liveInstances(g astypes.AutoScalingGroup) ([]string, int) {
	var ids []string
	for _, in := range g.Instances {
		s := string(in.LifecycleState)
		if strings.HasPrefix(s, "Terminat") || strings.HasPrefix(s, "Detach") || strings.HasPrefix(s, "Warmed") {
			continue
		}
		ids = append(ids, aws.ToString(in.InstanceId))
	}
	return ids, len(ids)
}

// instanceImages are the AMIs the instances run, sorted, once each.
func (d *discoverer) instanceImages(ctx context.Context, region string, ids []string) ([]string, error) {
	set := map[string]bool{}
	for start := 0; start < len(ids); start += 200 {
		batch := ids[start:min(start+200, len(ids))]
		pg := ec2.NewDescribeInstancesPaginator(d.o.AWS.EC2(region), &ec2.DescribeInstancesInput{
			// A filter, not InstanceIds: an instance gone meanwhile is no error.
			Filters:    []ec2types.Filter{{Name: aws.String("instance-id"), Values: batch}},
			MaxResults: aws.Int32(1000),
		})
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describing instances in %s: %w", region, err)
			}
			for _, r := range page.Reservations {
				for _, in := range r.Instances {
					if in.State != nil && (in.State.Name == ec2types.InstanceStateNameTerminated || in.State.Name == ec2types.InstanceStateNameShuttingDown) {
						continue
					}
					set[aws.ToString(in.ImageId)] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(set)), nil
}

// nodeGroups adds the cluster's managed node groups in region whose launch template
// launches an AMI of the spec. found is false when the cluster is not in region.
// https://docs.aws.amazon.com/eks/latest/APIReference/API_ListNodegroups.html
// https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html (launchTemplate, resources.autoScalingGroups)
func (d *discoverer) nodeGroups(ctx context.Context, region string, groups map[string]astypes.AutoScalingGroup) (bool, error) {
	api := d.o.AWS.EKS(region)
	var names []string
	pg := eks.NewListNodegroupsPaginator(api, &eks.ListNodegroupsInput{ClusterName: aws.String(d.o.Cluster), MaxResults: aws.Int32(100)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if awsapi.ErrorCode(err) == "ResourceNotFoundException" {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("listing the node groups of cluster %s in %s: %w", d.o.Cluster, region, err)
		}
		names = append(names, page.Nodegroups...)
	}
	for _, name := range names {
		d.seenNG[region+"/"+name] = true
		out, err := api.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(d.o.Cluster), NodegroupName: aws.String(name)})
		if err != nil {
			return true, fmt.Errorf("describing node group %s of cluster %s in %s: %w", name, d.o.Cluster, region, err)
		}
		if err := d.nodeGroup(ctx, region, out.Nodegroup, groups); err != nil {
			return true, err
		}
	}
	return true, nil
}

func (d *discoverer) nodeGroup(ctx context.Context, region string, ng *ekstypes.Nodegroup, groups map[string]astypes.AutoScalingGroup) error {
	if ng == nil || ng.LaunchTemplate == nil {
		// Without a launch template the node group runs an AMI type of Amazon's, never
		// an AMI of the spec.
		return nil
	}
	name := aws.ToString(ng.NodegroupName)
	lt, err := d.launchTemplate(ctx, region, templateRef{aws.ToString(ng.LaunchTemplate.Id), aws.ToString(ng.LaunchTemplate.Name), aws.ToString(ng.LaunchTemplate.Version)})
	if err != nil {
		return fmt.Errorf("reading the launch template of node group %s: %w", name, err)
	}
	from, follows, err := d.image(ctx, region, lt.ImageRef)
	if err != nil {
		return fmt.Errorf("resolving the image of node group %s: %w", name, err)
	}
	if !d.specAMIs[region][from] && follows == "" {
		return nil
	}
	t := Target{Kind: KindNodeGroup, Name: name, Region: region, Cluster: d.o.Cluster, LaunchTemplate: lt,
		Follows: follows, From: from, To: d.plan.To[region]}
	var ids []string
	if ng.Resources != nil {
		for _, asg := range ng.Resources.AutoScalingGroups {
			n := aws.ToString(asg.Name)
			t.AutoScalingGroups = append(t.AutoScalingGroups, n)
			gids, c := liveInstances(groups[n])
			ids = append(ids, gids...)
			t.Capacity += c
		}
	}
	if t.Running, err = d.instanceImages(ctx, region, ids); err != nil {
		return err
	}
	d.add(t)
	return nil
}

// add appends t with UpToDate set.
func (d *discoverer) add(t Target) {
	t.UpToDate = t.From == t.To && (len(t.Running) == 0 || (len(t.Running) == 1 && t.Running[0] == t.To))
	if t.Running == nil {
		t.Running = []string{}
	}
	d.plan.Targets = append(d.plan.Targets, t)
}

// karpenter adds the EC2NodeClasses whose amiSelectorTerms select an AMI of the spec, in
// the cluster's region (every region when no cluster was found: an EC2NodeClass selects
// the spec's AMI of one region only, its AMI ids being regional).
func (d *discoverer) karpenter(ctx context.Context) error {
	g, installed, err := prune.NewKarpenterGuard(ctx, d.o.Kube.Dynamic, d.o.Kube.Discovery, d.o.AWS)
	if err != nil {
		return fmt.Errorf("reading Karpenter's EC2NodeClasses: %w", err)
	}
	if !installed {
		return nil
	}
	regions := d.clusterRegions
	if len(regions) == 0 {
		regions = d.o.Regions
	}
	var nodes map[string][]nodeRef
	for _, nc := range g.NodeClasses {
		for _, region := range regions {
			sel, err := g.Select(ctx, region, nc)
			if err != nil {
				return fmt.Errorf("resolving the amiSelectorTerms of EC2NodeClass %s in %s: %w", nc.Name, region, err)
			}
			follows := ""
			for _, t := range nc.Terms {
				if d.o.Parameter != "" && t.SSMParameter == d.o.Parameter {
					follows = t.SSMParameter
				}
			}
			from := ""
			for _, arch := range slices.Sorted(maps.Keys(sel.Launched)) {
				if id := sel.Launched[arch].ID; d.specAMIs[region][id] && from == "" {
					from = id
				}
			}
			if from == "" {
				continue
			}
			to := d.plan.To[region]
			t := Target{Kind: KindKarpenter, Name: nc.Name, Region: region, Cluster: d.o.Cluster, Follows: follows, From: from, To: to}
			if from != to {
				pinned := -1
				for _, n := range sel.Named {
					if n.ID == from && n.Field == "id" {
						pinned = n.Term
						break
					}
				}
				if pinned < 0 {
					why := "its name or tag terms select it"
					if follows != "" {
						why = "it follows " + follows + ", which names " + from + " (publish " + to + " there, or pass --to ssm:" + follows + ")"
					}
					d.plan.Warnings = append(d.plan.Warnings, fmt.Sprintf("Karpenter EC2NodeClass %s launches %s in %s, not %s: %s; rollout rewrites only amiSelectorTerms[].id", nc.Name, from, region, to, why))
					continue
				}
				t.NeedsYes = true
				t.Change = fmt.Sprintf("amiSelectorTerms[%d].id %s → %s (only with --yes)", pinned, from, to)
			}
			if nodes == nil {
				if nodes, err = d.karpenterNodes(ctx); err != nil {
					return err
				}
			}
			var ids []string
			for _, n := range nodes[nc.Name] {
				if n.region == region {
					ids = append(ids, n.instance)
				}
			}
			t.Capacity = len(ids)
			if t.Running, err = d.instanceImages(ctx, region, ids); err != nil {
				return err
			}
			d.add(t)
		}
	}
	return nil
}

type nodeRef struct{ region, instance string }

// karpenterNodes are the cluster's nodes by EC2NodeClass (their karpenter.k8s.aws/
// ec2nodeclass label), every page read.
func (d *discoverer) karpenterNodes(ctx context.Context) (map[string][]nodeRef, error) {
	out := map[string][]nodeRef{}
	if d.o.Kube.Client == nil {
		return out, nil
	}
	opts := metav1.ListOptions{Limit: 500, LabelSelector: NodeClassLabel}
	for {
		list, err := d.o.Kube.Client.CoreV1().Nodes().List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("listing the cluster's Karpenter nodes: %w", err)
		}
		for _, n := range list.Items {
			if region, id, ok := prune.ParseProviderID(n.Spec.ProviderID); ok {
				nc := n.Labels[NodeClassLabel]
				out[nc] = append(out[nc], nodeRef{region, id})
			}
		}
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}

// narrow keeps only the groups --asg and the node groups --node-group name, when either
// is given; each name must be a target.
func (d *discoverer) narrow() error {
	o := d.o
	if len(o.AutoScalingGroups) == 0 && len(o.NodeGroups) == 0 {
		return nil
	}
	want := map[Kind]map[string]bool{KindAutoScalingGroup: {}, KindNodeGroup: {}}
	for _, n := range o.AutoScalingGroups {
		want[KindAutoScalingGroup][n] = true
	}
	for _, n := range o.NodeGroups {
		want[KindNodeGroup][n] = true
	}
	found := map[Kind]map[string]bool{KindAutoScalingGroup: {}, KindNodeGroup: {}}
	var kept []Target
	for _, t := range d.plan.Targets {
		if want[t.Kind][t.Name] {
			kept = append(kept, t)
			found[t.Kind][t.Name] = true
		}
	}
	check := func(flag string, kind Kind, names []string, seen map[string]bool, what string) error {
		for _, n := range names {
			if found[kind][n] {
				continue
			}
			exists := false
			for _, r := range o.Regions {
				exists = exists || seen[r+"/"+n]
			}
			var targets []string
			for _, t := range d.plan.Targets {
				if t.Kind == kind {
					targets = append(targets, t.Name)
				}
			}
			accepted := "none does"
			if len(targets) > 0 {
				accepted = "use " + strings.Join(slices.Compact(slices.Sorted(slices.Values(targets))), ", ")
			}
			if exists {
				return inputf(flag, "%s %s does not launch an AMI of spec %s (%s)", what, n, o.Spec, accepted)
			}
			return inputf(flag, "no %s %s in %s (of those that launch an AMI of spec %s, %s)", what, n, strings.Join(o.Regions, ", "), o.Spec, accepted)
		}
		return nil
	}
	what := "node group of cluster " + o.Cluster + " named"
	if err := check("--asg", KindAutoScalingGroup, o.AutoScalingGroups, d.seenASG, "Auto Scaling group"); err != nil {
		return err
	}
	if err := check("--node-group", KindNodeGroup, o.NodeGroups, d.seenNG, what); err != nil {
		return err
	}
	d.plan.Targets = kept
	return nil
}

// canaryCount is how many nodes of a target of capacity n move first (0: no canary).
func canaryCount(c Canary, n int) int {
	switch {
	case c.Count > 0:
		return min(c.Count, n)
	case c.Percent > 0:
		return min(n, max(1, (n*c.Percent+99)/100))
	}
	return 0
}

// CanaryTarget is the target whose first nodes move first: the first that is not up to
// date and not Karpenter's (Karpenter replaces its nodes at its own pace); nil when none.
func (p *Plan) CanaryTarget() *Target {
	for i := range p.Targets {
		if t := &p.Targets[i]; !t.UpToDate && t.Kind != KindKarpenter {
			return t
		}
	}
	return nil
}

// CanaryCount is how many nodes of CanaryTarget move first: Canary.Count, or
// Canary.Percent of its capacity rounded up (at least one), never more than it has.
func (p *Plan) CanaryCount() int {
	if t := p.CanaryTarget(); t != nil {
		return canaryCount(p.Canary, t.Capacity)
	}
	return 0
}

// describeChanges sets each target's Change, as the plan prints it.
func (d *discoverer) describeChanges() {
	p := d.plan
	canaryDone := false
	for i := range p.Targets {
		t := &p.Targets[i]
		if t.UpToDate {
			t.Change = ""
			continue
		}
		canary := ""
		if !canaryDone && t.Kind != KindKarpenter {
			canaryDone = true
			if n := canaryCount(p.Canary, t.Capacity); n > 0 {
				canary = fmt.Sprintf("; canary: %d of %d first", n, t.Capacity)
			}
		}
		switch t.Kind {
		case KindAutoScalingGroup, KindNodeGroup:
			var steps []string
			lt := t.LaunchTemplate
			if t.From != t.To && t.Follows == "" {
				steps = append(steps, fmt.Sprintf("launch template %s: new version from %d with ImageId %s", lt.Name, lt.Number, t.To))
				if t.Kind == KindAutoScalingGroup {
					switch lt.Version {
					case "$Default":
						steps = append(steps, "made the default version")
					case "$Latest":
					default:
						steps = append(steps, "the group pointed at it")
					}
				}
			} else if t.Follows != "" && t.From != t.To {
				steps = append(steps, fmt.Sprintf("launch template %s follows %s, which names %s", lt.Name, t.Follows, t.From))
			}
			if t.Kind == KindAutoScalingGroup {
				steps = append(steps, fmt.Sprintf("instance refresh (min healthy %d%%)", 100-p.MaxUnavailablePercent))
			} else {
				steps = append(steps, fmt.Sprintf("UpdateNodegroupVersion (max unavailable %d%%)", p.MaxUnavailablePercent))
			}
			t.Change = strings.Join(steps, "; ") + canary
		case KindKarpenter:
			if t.Change == "" {
				src := "its amiSelectorTerms select " + t.To
				if t.Follows != "" {
					src = "it follows " + t.Follows
				}
				t.Change = fmt.Sprintf("nothing to write (%s): Karpenter's drift replaces the nodes, rollout watches them", src)
			}
		}
		if t.Capacity == 0 && t.Kind != KindKarpenter {
			t.Change += " (no instances now)"
		}
	}
}

// Summary says in one line what the plan does: "3 targets: 2 to move, 1 up to date".
func (p *Plan) Summary() string {
	move, upToDate, yes := 0, 0, 0
	for _, t := range p.Targets {
		switch {
		case t.UpToDate:
			upToDate++
		case t.NeedsYes:
			yes++
			move++
		default:
			move++
		}
	}
	if len(p.Targets) == 0 {
		return "no target launches an AMI of the spec"
	}
	s := fmt.Sprintf("%s: %d to move, %d up to date", plural(len(p.Targets), "target"), move, upToDate)
	if yes > 0 {
		s += fmt.Sprintf(" (%d only with --yes)", yes)
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
