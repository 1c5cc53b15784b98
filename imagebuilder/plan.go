package imagebuilder

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/rootvolume"
)

// Action is what Apply does, or would do, to one resource.
type Action string

// Actions.
const (
	// ActionCreate: the resource does not exist.
	ActionCreate Action = "create"
	// ActionUpdate: a mutable resource exists and differs; it is updated in place.
	ActionUpdate Action = "update"
	// ActionNewVersion: an immutable resource (component, recipe) exists, but no version
	// has the desired content; the next patch version is created.
	ActionNewVersion Action = "new-version"
	// ActionUnchanged: the resource matches.
	ActionUnchanged Action = "unchanged"
)

// Resource types as Plan names them.
const (
	ResourceComponent      = "component"
	ResourceRecipe         = "image-recipe"
	ResourceInfrastructure = "infrastructure-configuration"
	ResourceDistribution   = "distribution-configuration"
	ResourcePipeline       = "image-pipeline"
)

// Change is the plan for one resource. Its JSON form is a contract:
// {"resource","name","action","reason"} (fields are only ever added).
type Change struct {
	Resource string `json:"resource"`
	Name     string `json:"name"`
	Action   Action `json:"action"`
	Reason   string `json:"reason"`
	// Version is the semantic version used (components and recipes).
	Version string `json:"version,omitempty"`
	// ARN is the resource's ARN once it exists (after Apply, or when unchanged).
	ARN string `json:"arn,omitempty"`
}

// Plan is the result of comparing the desired state with the account.
type Plan struct {
	// Changes lists every resource in the order Apply handles them.
	Changes []Change `json:"changes"`
	// Parent is the resolved parent image.
	Parent ParentImage `json:"parent"`
	// RootVolumeGiB is the recipe's root volume size (auto-sized or as rendered; 0 when
	// the recipe leaves the parent's).
	RootVolumeGiB int32 `json:"rootVolumeGiB,omitempty"`
	// RootVolumeEstimated is set when the auto size came from an estimate.
	RootVolumeEstimated bool `json:"rootVolumeEstimated,omitempty"`
	// RootVolume is the auto size with its inputs (parent, measured bytes, images
	// estimated and why, headroom, free, minimum); nil unless rootVolumeSize is auto.
	RootVolume *rootvolume.Size `json:"rootVolume,omitempty"`
	// Mutations counts the mutating calls Apply made (0 for a plan).
	Mutations int `json:"mutations"`

	// ARNs of the applied (or, in a plan, matching) resources.
	RecipeARN         string            `json:"recipeArn,omitempty"`
	InfrastructureARN string            `json:"infrastructureArn,omitempty"`
	DistributionARN   string            `json:"distributionArn,omitempty"`
	PipelineARN       string            `json:"pipelineArn,omitempty"`
	ComponentVersions map[string]string `json:"componentVersions,omitempty"`

	// pipelineExists is set when the pipeline exists in AWS (found, or created by Apply).
	pipelineExists bool
}

// Changed reports whether any resource is not unchanged.
func (p *Plan) Changed() bool {
	for _, c := range p.Changes {
		if c.Action != ActionUnchanged {
			return true
		}
	}
	return false
}

// Options tune Plan, Apply and Build.
type Options struct {
	// Sizer measures the cached images for rootVolumeSize: auto (EstimateSizer when nil).
	Sizer Sizer
	// Logf receives progress lines (nil: silent).
	Logf func(format string, args ...any)
	// ManageInstanceProfile makes the build instance's profile and role (of the same name,
	// with the policies InstancePolicies lists) part of the plan: created when missing.
	// Without it a missing instance profile is a PreflightError.
	ManageInstanceProfile bool
	// ManageExecutionRole makes the pipeline's execution role (Desired.ExecutionRole) part
	// of the plan: created when missing, trusted by Image Builder, with the policies
	// ExecutionRolePolicies lists and the inline policy PublishParameterPolicy.
	ManageExecutionRole bool
}

func (o Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// PlanChanges compares the desired state with the account and changes nothing.
func PlanChanges(ctx context.Context, c Clients, d *Desired, opts Options) (*Plan, error) {
	return reconcile(ctx, c, d, opts, false)
}

// Apply converges the account to the desired state. It checks the parent image and the
// instance profile before any change.
func Apply(ctx context.Context, c Clients, d *Desired, opts Options) (*Plan, error) {
	return reconcile(ctx, c, d, opts, true)
}

// run carries one Plan or Apply.
type run struct {
	c     Clients
	api   awsapi.ImageBuilder
	opts  Options
	apply bool
	d     *Desired
	plan  *Plan
	// account is learnt from the ARNs of existing resources, for a plan's placeholders.
	account string
}

// placeholderAccount stands for the account in ARNs of resources a plan would create.
const placeholderAccount = "<account>"

func reconcile(ctx context.Context, c Clients, d *Desired, opts Options, apply bool) (*Plan, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	r := &run{c: c, api: c.ImageBuilder(d.Region), opts: opts, apply: apply, d: d,
		plan: &Plan{ComponentVersions: map[string]string{}}}

	// Checks that must pass before anything is created.
	parent, err := preflight(ctx, c, d, !opts.ManageInstanceProfile)
	if err != nil {
		return nil, err
	}
	r.plan.Parent = parent
	if opts.ManageInstanceProfile {
		if err := r.instanceProfile(ctx); err != nil {
			return nil, err
		}
	}
	if opts.ManageExecutionRole {
		if err := r.executionRole(ctx); err != nil {
			return nil, err
		}
	}

	recipe := cloneRecipe(d.Recipe)
	if err := r.sizeRootVolume(ctx, recipe, parent); err != nil {
		return nil, err
	}

	own := map[string]string{} // ARN name of an own component → version ARN
	for _, comp := range d.Components {
		arn, err := r.component(ctx, comp)
		if err != nil {
			return nil, err
		}
		own[arnName(*comp.Name)] = arn
	}
	for i, cc := range recipe.Components {
		if kind, name, _, ok := arnParts(aws.ToString(cc.ComponentArn)); ok && kind == "component" {
			if arn, ok := own[name]; ok {
				recipe.Components[i].ComponentArn = aws.String(arn)
			}
		}
	}
	if r.plan.RecipeARN, err = r.recipe(ctx, recipe); err != nil {
		return nil, err
	}
	if r.plan.InfrastructureARN, err = r.infrastructure(ctx); err != nil {
		return nil, err
	}
	if r.plan.DistributionARN, err = r.distribution(ctx); err != nil {
		return nil, err
	}
	if r.plan.PipelineARN, err = r.pipeline(ctx); err != nil {
		return nil, err
	}
	last := r.plan.Changes[len(r.plan.Changes)-1]
	r.plan.pipelineExists = apply || last.Action != ActionCreate
	return r.plan, nil
}

func (r *run) add(ch Change) { r.plan.Changes = append(r.plan.Changes, ch) }

// learn remembers the account of an existing resource's ARN.
func (r *run) learn(arn string) {
	if f := strings.SplitN(arn, ":", 6); r.account == "" && len(f) == 6 && len(f[4]) == 12 {
		r.account = f[4]
	}
}

func (r *run) placeholder(kind, name, version string) string {
	account := r.account
	if account == "" {
		account = placeholderAccount
	}
	s := fmt.Sprintf("arn:%s:imagebuilder:%s:%s:%s/%s", catalog.Partition(r.d.Region), r.d.Region, account, kind, arnName(name))
	if version != "" {
		s += "/" + version
	}
	return s
}
