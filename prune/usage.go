package prune

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	ibtypes "github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsapi"
)

// usage maps an AMI ID to the reasons it is in use.
type usage map[string][]string

func (u usage) add(id, why string) {
	if strings.HasPrefix(id, "ami-") {
		u[id] = append(u[id], why)
	}
}

// resolver reads the AMI IDs that resolve:ssm: and ssm: references name, each parameter
// once; it is safe for concurrent use.
type resolver struct {
	ssm    awsapi.SSM
	region string
	mu     sync.Mutex
	cache  map[string]string
}

// param is the value of the SSM parameter name ("" when it does not exist). One that
// cannot be read is an error, not an absent reference (the AMI it names may be in use).
func (r *resolver) param(ctx context.Context, name string) (string, error) {
	r.mu.Lock()
	v, ok := r.cache[name]
	r.mu.Unlock()
	if ok {
		return v, nil
	}
	out, err := r.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	switch {
	case err == nil:
		v = aws.ToString(out.Parameter.Value)
	case awsapi.ErrorCode(err) != "ParameterNotFound":
		return "", fmt.Errorf("reading SSM parameter %s in %s: %w", name, r.region, err)
	}
	r.mu.Lock()
	r.cache[name] = v
	r.mu.Unlock()
	return v, nil
}

// imageRef is the AMI a launch template or Auto Scaling reference names: an AMI ID, or
// resolve:ssm:<parameter>.
func (r *resolver) imageRef(ctx context.Context, ref string) (string, error) {
	name, ok := strings.CutPrefix(ref, "resolve:ssm:")
	if !ok {
		return ref, nil
	}
	return r.param(ctx, name)
}

// usage finds every reference to an AMI in the region: instances in any state but
// terminated, every version of every launch template, Auto Scaling groups and launch
// configurations, Spot Fleet requests, EC2 Fleets and Spot Instance requests that are not
// over, Image Builder recipes whose parent the AMI is, and the published SSM parameter.
// The sources are read at once (at most Concurrency); every list is paginated. The
// reasons of an AMI come in that order, whatever order the answers arrive in.
func (p *Pruner) usage(ctx context.Context, o Options, region string, candidates []types.Image) (usage, error) {
	r := &resolver{ssm: p.Clients.SSM(region), region: region, cache: map[string]string{}}
	sources := []func(context.Context, usage) error{
		func(ctx context.Context, u usage) error { return p.instances(ctx, o, region, u) },
		func(ctx context.Context, u usage) error { return p.launchTemplates(ctx, o, region, r, u) },
		func(ctx context.Context, u usage) error { return p.autoScaling(ctx, o, region, r, u) },
		func(ctx context.Context, u usage) error { return p.spotFleets(ctx, o, region, u) },
		func(ctx context.Context, u usage) error { return p.fleets(ctx, o, region, u) },
		func(ctx context.Context, u usage) error { return p.spotRequests(ctx, o, region, u) },
		func(ctx context.Context, u usage) error { return p.recipes(ctx, region, r, candidates, u) },
		func(ctx context.Context, u usage) error {
			if o.PublishParameter == "" {
				return nil
			}
			v, err := r.param(ctx, o.PublishParameter)
			u.add(v, fmt.Sprintf("published in %s", o.PublishParameter))
			return err
		},
	}
	found := make([]usage, len(sources))
	err := forEach(ctx, len(sources), p.concurrency(), func(ctx context.Context, i int) error {
		found[i] = usage{}
		return sources[i](ctx, found[i])
	})
	if err != nil {
		return nil, err
	}
	u := usage{}
	for _, f := range found {
		for id, whys := range f {
			u[id] = append(u[id], whys...)
		}
	}
	return u, nil
}

func (p *Pruner) instances(ctx context.Context, o Options, region string, u usage) error {
	states := []string{"pending", "running", "shutting-down", "stopping", "stopped"}
	inp := ec2.NewDescribeInstancesPaginator(p.Clients.EC2(region), &ec2.DescribeInstancesInput{
		Filters:    []types.Filter{{Name: aws.String("instance-state-name"), Values: states}},
		MaxResults: size(o, 1000),
	})
	for inp.HasMorePages() {
		page, err := inp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing instances in %s: %w", region, err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				state := ""
				if in.State != nil {
					state = string(in.State.Name)
				}
				if state == "terminated" {
					continue
				}
				u.add(aws.ToString(in.ImageId), fmt.Sprintf("used by instance %s (%s)", aws.ToString(in.InstanceId), state))
			}
		}
	}
	return nil
}

func (p *Pruner) launchTemplates(ctx context.Context, o Options, region string, r *resolver, u usage) error {
	api := p.Clients.EC2(region)
	ltp := ec2.NewDescribeLaunchTemplatesPaginator(api, &ec2.DescribeLaunchTemplatesInput{MaxResults: size(o, 200)})
	for ltp.HasMorePages() {
		page, err := ltp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing launch templates in %s: %w", region, err)
		}
		for _, lt := range page.LaunchTemplates {
			vp := ec2.NewDescribeLaunchTemplateVersionsPaginator(api, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: lt.LaunchTemplateId, MaxResults: size(o, 200)})
			for vp.HasMorePages() {
				vpage, err := vp.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("listing the versions of launch template %s in %s: %w", aws.ToString(lt.LaunchTemplateName), region, err)
				}
				for _, v := range vpage.LaunchTemplateVersions {
					if v.LaunchTemplateData == nil {
						continue
					}
					ref := aws.ToString(v.LaunchTemplateData.ImageId)
					why := fmt.Sprintf("in launch template %s (%s) version %d", aws.ToString(lt.LaunchTemplateName), aws.ToString(lt.LaunchTemplateId), aws.ToInt64(v.VersionNumber))
					if aws.ToBool(v.DefaultVersion) {
						why += " (default)"
					}
					if strings.HasPrefix(ref, "resolve:ssm:") {
						why += " through " + ref
					}
					id, err := r.imageRef(ctx, ref)
					if err != nil {
						return fmt.Errorf("resolving the image of launch template %s version %d: %w", aws.ToString(lt.LaunchTemplateName), aws.ToInt64(v.VersionNumber), err)
					}
					u.add(id, why)
				}
			}
		}
	}
	return nil
}

func (p *Pruner) autoScaling(ctx context.Context, o Options, region string, r *resolver, u usage) error {
	as := p.Clients.AutoScaling(region)
	gp := autoscaling.NewDescribeAutoScalingGroupsPaginator(as, &autoscaling.DescribeAutoScalingGroupsInput{MaxRecords: size(o, 100)})
	for gp.HasMorePages() {
		page, err := gp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing Auto Scaling groups in %s: %w", region, err)
		}
		for _, g := range page.AutoScalingGroups {
			name := aws.ToString(g.AutoScalingGroupName)
			if mp := g.MixedInstancesPolicy; mp != nil && mp.LaunchTemplate != nil {
				for _, ov := range mp.LaunchTemplate.Overrides {
					id, err := r.imageRef(ctx, aws.ToString(ov.ImageId))
					if err != nil {
						return fmt.Errorf("resolving the image of Auto Scaling group %s: %w", name, err)
					}
					u.add(id, fmt.Sprintf("in the mixed instances policy of Auto Scaling group %s (override %s)", name, aws.ToString(ov.InstanceType)))
				}
			}
		}
	}
	lp := autoscaling.NewDescribeLaunchConfigurationsPaginator(as, &autoscaling.DescribeLaunchConfigurationsInput{MaxRecords: size(o, 100)})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing launch configurations in %s: %w", region, err)
		}
		for _, lc := range page.LaunchConfigurations {
			u.add(aws.ToString(lc.ImageId), fmt.Sprintf("in launch configuration %s", aws.ToString(lc.LaunchConfigurationName)))
		}
	}
	return nil
}

// spotFleets: Spot Fleet requests that are not over name AMIs in their launch
// specifications (their launch template configurations name launch templates, which
// launchTemplates covers; Spot Fleet's template overrides have no ImageId). A request
// cancelled with its instances left running (cancelled_running) still counts: the
// instances are covered by instances, the request by the state it says.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSpotFleetRequests.html
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SpotFleetRequestConfig.html
func (p *Pruner) spotFleets(ctx context.Context, o Options, region string, u usage) error {
	over := map[types.BatchState]bool{types.BatchStateCancelled: true, types.BatchStateFailed: true, types.BatchStateCancelledTerminatingInstances: true}
	pg := ec2.NewDescribeSpotFleetRequestsPaginator(p.Clients.EC2(region), &ec2.DescribeSpotFleetRequestsInput{MaxResults: size(o, 1000)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing Spot Fleet requests in %s: %w", region, err)
		}
		for _, f := range page.SpotFleetRequestConfigs {
			if over[f.SpotFleetRequestState] || f.SpotFleetRequestConfig == nil {
				continue
			}
			for _, ls := range f.SpotFleetRequestConfig.LaunchSpecifications {
				u.add(aws.ToString(ls.ImageId), fmt.Sprintf("in Spot Fleet request %s (%s)", aws.ToString(f.SpotFleetRequestId), f.SpotFleetRequestState))
			}
		}
	}
	return nil
}

// fleets: EC2 Fleets that are not over name AMIs in their launch template overrides.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFleets.html
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_FleetLaunchTemplateOverrides.html
func (p *Pruner) fleets(ctx context.Context, o Options, region string, u usage) error {
	over := map[types.FleetStateCode]bool{types.FleetStateCodeDeleted: true, types.FleetStateCodeFailed: true, types.FleetStateCodeDeletedTerminatingInstances: true}
	pg := ec2.NewDescribeFleetsPaginator(p.Clients.EC2(region), &ec2.DescribeFleetsInput{MaxResults: size(o, 1000)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing EC2 Fleets in %s: %w", region, err)
		}
		for _, f := range page.Fleets {
			if over[f.FleetState] {
				continue
			}
			for _, c := range f.LaunchTemplateConfigs {
				for _, ov := range c.Overrides {
					u.add(aws.ToString(ov.ImageId), fmt.Sprintf("in EC2 Fleet %s (%s, override %s)", aws.ToString(f.FleetId), f.FleetState, ov.InstanceType))
				}
			}
		}
	}
	return nil
}

// spotRequests: Spot Instance requests that are open, active or disabled (a persistent
// request launches again) name their AMI in their launch specification.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSpotInstanceRequests.html
func (p *Pruner) spotRequests(ctx context.Context, o Options, region string, u usage) error {
	pg := ec2.NewDescribeSpotInstanceRequestsPaginator(p.Clients.EC2(region), &ec2.DescribeSpotInstanceRequestsInput{
		Filters:    []types.Filter{{Name: aws.String("state"), Values: []string{"open", "active", "disabled"}}},
		MaxResults: size(o, 1000),
	})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing Spot Instance requests in %s: %w", region, err)
		}
		for _, r := range page.SpotInstanceRequests {
			if r.LaunchSpecification == nil {
				continue
			}
			u.add(aws.ToString(r.LaunchSpecification.ImageId), fmt.Sprintf("in Spot Instance request %s (%s)", aws.ToString(r.SpotInstanceRequestId), r.State))
		}
	}
	return nil
}

// imageARN splits an Image Builder image ARN: the image's name and its version
// (1.0.0/3 with a build number, 1.0.0 or x.x.x without).
var imageARN = regexp.MustCompile(`^arn:aws[a-z-]*:imagebuilder:[a-z0-9-]+:[0-9]{12}:image/([^/]+)/([0-9x]+\.[0-9x]+\.[0-9x]+)(?:/([0-9]+))?$`)

// recipes: the account's Image Builder recipes whose parentImage is a candidate, by AMI
// ID, through ssm:<parameter>, or as an Image Builder image ARN whose output the candidate
// is (its Ec2ImageBuilderArn tag; a version with x wildcards, or without a build number,
// names the newest candidate it matches).
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ImageRecipeSummary.html
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_CreateImageRecipe.html (parentImage)
func (p *Pruner) recipes(ctx context.Context, region string, r *resolver, candidates []types.Image, u usage) error {
	pg := ib.NewListImageRecipesPaginator(p.Clients.ImageBuilder(region), &ib.ListImageRecipesInput{Owner: ibtypes.OwnershipSelf, MaxResults: aws.Int32(25)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing Image Builder recipes in %s: %w", region, err)
		}
		for _, rec := range page.ImageRecipeSummaryList {
			parent := aws.ToString(rec.ParentImage)
			why := fmt.Sprintf("parent image of Image Builder recipe %s", aws.ToString(rec.Arn))
			switch {
			case strings.HasPrefix(parent, "ssm:"):
				id, err := r.param(ctx, strings.TrimPrefix(parent, "ssm:"))
				if err != nil {
					return fmt.Errorf("resolving the parent image of recipe %s: %w", aws.ToString(rec.Arn), err)
				}
				u.add(id, why+" through "+parent)
			case strings.HasPrefix(parent, "arn:"):
				if id := builtBy(parent, candidates); id != "" {
					u.add(id, why+" through "+parent)
				}
			default:
				u.add(parent, why)
			}
		}
	}
	return nil
}

// builtBy is the candidate (candidates are newest first) that the Image Builder image ARN
// names, "" when none.
func builtBy(arn string, candidates []types.Image) string {
	m := imageARN.FindStringSubmatch(arn)
	if m == nil {
		return ""
	}
	for _, im := range candidates {
		t := imageARN.FindStringSubmatch(tags(im.Tags)[ImageBuilderTag])
		if t == nil || t[1] != m[1] || !versionMatches(m[2], t[2]) || m[3] != "" && m[3] != t[3] {
			continue
		}
		if strings.SplitN(t[0], ":", 6)[4] != strings.SplitN(m[0], ":", 6)[4] {
			continue // another account's image of the same name
		}
		return aws.ToString(im.ImageId)
	}
	return ""
}

// versionMatches reports whether the semantic version v matches pattern, whose parts may
// be x.
func versionMatches(pattern, v string) bool {
	pp, vp := strings.Split(pattern, "."), strings.Split(v, ".")
	for i := range pp {
		if pp[i] != "x" && pp[i] != vp[i] {
			return false
		}
	}
	return true
}
