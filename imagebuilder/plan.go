package imagebuilder

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

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

func cloneRecipe(in *ib.CreateImageRecipeInput) *ib.CreateImageRecipeInput {
	out := *in
	out.Components = append([]types.ComponentConfiguration(nil), in.Components...)
	out.BlockDeviceMappings = append([]types.InstanceBlockDeviceMapping(nil), in.BlockDeviceMappings...)
	for i, m := range out.BlockDeviceMappings {
		if m.Ebs != nil {
			e := *m.Ebs
			out.BlockDeviceMappings[i].Ebs = &e
		}
	}
	return &out
}

// versioned is one existing version of a component or recipe.
type versioned struct {
	arn     string
	version string
	hash    string
}

func newest(vs []versioned) *versioned {
	var best *versioned
	var bv semver
	for i := range vs {
		v, ok := parseSemver(vs[i].version)
		if ok && (best == nil || bv.less(v)) {
			best, bv = &vs[i], v
		}
	}
	return best
}

// withHash returns the ARN of the version with content hash h ("" when none).
func withHash(vs []versioned, h string) string {
	for _, v := range vs {
		if v.hash == h {
			return v.arn
		}
	}
	return ""
}

func versionsOf(vs []versioned) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.version
	}
	return out
}

// ComponentHash is the hash of a component's content (everything but name-independent
// bookkeeping: version, token, tags, change description), the value of its ContentHashTag.
// winami render tags the requests it writes with it, so a component created from them is
// recognised by plan and apply.
func ComponentHash(in *ib.CreateComponentInput) string {
	c := *in
	c.ClientToken, c.SemanticVersion, c.Tags, c.ChangeDescription, c.DryRun = nil, nil, nil, nil, false
	return hashOf(c, 32)
}

// RecipeHash is the hash of a recipe's content, the value of its ContentHashTag;
// component ARNs count by name and version only (not account), so a plan's placeholder
// ARNs hash like the real ones. winami render tags the requests it writes with it.
func RecipeHash(in *ib.CreateImageRecipeInput) string {
	c := *in
	c.ClientToken, c.SemanticVersion, c.Tags = nil, nil, nil
	c.Components = append([]types.ComponentConfiguration(nil), in.Components...)
	for i, cc := range c.Components {
		if kind, name, version, ok := arnParts(aws.ToString(cc.ComponentArn)); ok && !strings.Contains(aws.ToString(cc.ComponentArn), ":aws:component/") {
			c.Components[i].ComponentArn = aws.String(kind + "/" + name + "/" + version)
		}
	}
	return hashOf(c, 32)
}

func (r *run) componentVersions(ctx context.Context, name string) ([]versioned, error) {
	var out []versioned
	p := ib.NewListComponentsPaginator(r.api, &ib.ListComponentsInput{
		Owner:   types.OwnershipSelf,
		Filters: nameFilter(name),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing versions of component %s: %w", name, err)
		}
		for _, cv := range page.ComponentVersionList {
			if aws.ToString(cv.Name) != name {
				continue
			}
			r.learn(aws.ToString(cv.Arn))
			out = append(out, versioned{arn: versionARN(aws.ToString(cv.Arn)), version: aws.ToString(cv.Version)})
		}
	}
	for i := range out {
		got, err := r.api.GetComponent(ctx, &ib.GetComponentInput{ComponentBuildVersionArn: aws.String(out[i].arn)})
		if err != nil {
			return nil, fmt.Errorf("reading component %s: %w", out[i].arn, err)
		}
		if got.Component != nil {
			out[i].hash = got.Component.Tags[ContentHashTag]
		}
	}
	return out, nil
}

// component plans or applies one of the spec's own components and returns its version ARN.
func (r *run) component(ctx context.Context, want *ib.CreateComponentInput) (string, error) {
	name := *want.Name
	hash := ComponentHash(want)
	return r.immutable(ctx, immutable{
		resource: ResourceComponent, name: name, hash: hash, semver: aws.ToString(want.SemanticVersion),
		versions:   r.componentVersions,
		setVersion: func(version string) { r.plan.ComponentVersions[name] = version },
		diff: func(ctx context.Context, last *versioned) string {
			got, err := r.api.GetComponent(ctx, &ib.GetComponentInput{ComponentBuildVersionArn: aws.String(last.arn)})
			if err != nil || got.Component == nil {
				return ""
			}
			w := toJSONMap(want, "clientToken", "name", "semanticVersion", "tags", "changeDescription", "dryRun", "uri")
			g := toJSONMap(got.Component)
			if why := describeDiff(diffSubset("", w, g), trimData(w), trimData(g)); why != "" {
				return why + dataChange(aws.ToString(got.Component.Data), aws.ToString(want.Data))
			}
			return ""
		},
		create: func(ctx context.Context, version string) (string, error) {
			in := *want
			in.SemanticVersion = aws.String(version)
			in.Tags = tagsWith(want.Tags, map[string]string{ManagedByTag: "winami", NameTag: r.d.Name, ContentHashTag: hash})
			in.ClientToken = nil
			in.ClientToken = aws.String(clientToken("CreateComponent", in))
			out, err := r.api.CreateComponent(ctx, &in)
			if err != nil {
				return "", err
			}
			return versionARN(aws.ToString(out.ComponentBuildVersionArn)), nil
		},
	})
}

// immutable is the common handling of the versioned resources (components and image
// recipes): a version is never changed, a new one is created.
type immutable struct {
	resource string
	name     string
	// hash is the desired content's hash, compared with each version's ContentHashTag.
	hash string
	// semver is the spec's semantic version, the lowest one used.
	semver string
	// versions lists the existing versions of the name.
	versions func(ctx context.Context, name string) ([]versioned, error)
	// setVersion, when not nil, records the version planned or used.
	setVersion func(version string)
	// diff says how the desired content differs from the last version ("" when it
	// cannot tell).
	diff func(ctx context.Context, last *versioned) string
	// create makes the version and returns its ARN.
	create func(ctx context.Context, version string) (string, error)
}

func (m immutable) set(version string) {
	if m.setVersion != nil {
		m.setVersion(version)
	}
}

func (r *run) immutable(ctx context.Context, m immutable) (string, error) {
	noun := strings.ReplaceAll(m.resource, "-", " ")
	existing, err := m.versions(ctx, m.name)
	if err != nil {
		return "", err
	}
	for _, v := range existing {
		if v.hash == m.hash {
			r.add(Change{Resource: m.resource, Name: m.name, Action: ActionUnchanged, Version: v.version, ARN: v.arn,
				Reason: "version " + v.version + " has this content"})
			m.set(v.version)
			return v.arn, nil
		}
	}
	version := nextVersion(m.semver, versionsOf(existing))
	ch := Change{Resource: m.resource, Name: m.name, Action: ActionCreate, Version: version,
		Reason: "no " + noun + " of this name"}
	if last := newest(existing); last != nil {
		ch.Action = ActionNewVersion
		ch.Reason = "content differs from every version"
		if why := m.diff(ctx, last); why != "" {
			ch.Reason = why + " since " + last.version
		}
	}
	m.set(version)
	if !r.apply {
		ch.ARN = r.placeholder(m.resource, m.name, version)
		r.add(ch)
		return ch.ARN, nil
	}
	for attempt := 1; ; attempt++ {
		arn, err := m.create(ctx, version)
		r.plan.Mutations++
		if err == nil {
			ch.ARN = arn
			break
		}
		if awsapi.ErrorCode(err) != "ResourceAlreadyExistsException" || attempt == 3 {
			return "", fmt.Errorf("creating %s %s %s: %w", noun, m.name, version, err)
		}
		// The version appeared after the listing (a concurrent apply, or a listing that
		// lagged): reuse it when it has this content, else take the next one.
		existing, lerr := m.versions(ctx, m.name)
		if lerr != nil {
			return "", lerr
		}
		if arn := withHash(existing, m.hash); arn != "" {
			ch.ARN = arn
			break
		}
		version = nextVersion(version, append(versionsOf(existing), version))
		ch.Version = version
		m.set(version)
	}
	r.add(ch)
	r.opts.logf("%s %s: created %s", noun, m.name, version)
	return ch.ARN, nil
}

// quoted finds the single-quoted tokens of a component document.
var quoted = regexp.MustCompile(`'([^'\s]+)'`)

// imageRefs lists the quoted tokens of a document that look like image references.
func imageRefs(doc string) map[string]bool {
	out := map[string]bool{}
	for _, m := range quoted.FindAllStringSubmatch(doc, -1) {
		ref := m[1]
		if strings.ContainsAny(ref, ":@") && strings.ContainsAny(ref, "/.") && !strings.HasPrefix(ref, "$") && !strings.Contains(ref, "://") {
			out[ref] = true
		}
	}
	return out
}

// dataChange says which cached images a changed document adds and removes.
func dataChange(old, new string) string {
	if old == new {
		return ""
	}
	o, n := imageRefs(old), imageRefs(new)
	var added, removed []string
	for _, r := range slices.Sorted(maps.Keys(n)) {
		if !o[r] {
			added = append(added, r)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(o)) {
		if !n[r] {
			removed = append(removed, r)
		}
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "adds "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		parts = append(parts, "removes "+strings.Join(removed, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// trimData keeps the diff's reason short: a component document is named, not printed.
func trimData(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != "data" {
			out[k] = v
		}
	}
	return out
}

func (r *run) recipeVersions(ctx context.Context, name string) ([]versioned, error) {
	var out []versioned
	p := ib.NewListImageRecipesPaginator(r.api, &ib.ListImageRecipesInput{
		Owner:   types.OwnershipSelf,
		Filters: nameFilter(name),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing versions of image recipe %s: %w", name, err)
		}
		for _, s := range page.ImageRecipeSummaryList {
			if aws.ToString(s.Name) != name {
				continue
			}
			r.learn(aws.ToString(s.Arn))
			_, _, version, _ := arnParts(aws.ToString(s.Arn))
			v := versioned{arn: aws.ToString(s.Arn), version: version, hash: s.Tags[ContentHashTag]}
			if s.Tags == nil {
				got, err := r.api.GetImageRecipe(ctx, &ib.GetImageRecipeInput{ImageRecipeArn: s.Arn})
				if err != nil {
					return nil, fmt.Errorf("reading image recipe %s: %w", v.arn, err)
				}
				if got.ImageRecipe != nil {
					v.hash = got.ImageRecipe.Tags[ContentHashTag]
				}
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// recipe plans or applies the image recipe and returns its version ARN.
func (r *run) recipe(ctx context.Context, want *ib.CreateImageRecipeInput) (string, error) {
	hash := RecipeHash(want)
	return r.immutable(ctx, immutable{
		resource: ResourceRecipe, name: *want.Name, hash: hash, semver: aws.ToString(want.SemanticVersion),
		versions: r.recipeVersions,
		diff: func(ctx context.Context, last *versioned) string {
			got, err := r.api.GetImageRecipe(ctx, &ib.GetImageRecipeInput{ImageRecipeArn: aws.String(last.arn)})
			if err != nil || got.ImageRecipe == nil {
				return ""
			}
			w := toJSONMap(want, "clientToken", "name", "semanticVersion", "tags")
			g := toJSONMap(got.ImageRecipe)
			return describeDiff(diffSubset("", w, g), w, g)
		},
		create: func(ctx context.Context, version string) (string, error) {
			in := *want
			in.SemanticVersion = aws.String(version)
			in.Tags = tagsWith(want.Tags, map[string]string{ManagedByTag: "winami", NameTag: r.d.Name, ContentHashTag: hash})
			in.ClientToken = nil
			in.ClientToken = aws.String(clientToken("CreateImageRecipe", in))
			out, err := r.api.CreateImageRecipe(ctx, &in)
			if err != nil {
				return "", err
			}
			return aws.ToString(out.ImageRecipeArn), nil
		},
	})
}

// mutable is the common handling of the resources updated in place.
type mutable struct {
	resource string
	name     string
	// find returns the current resource's ARN and JSON view (arn "" when absent).
	find func(ctx context.Context) (arn string, current map[string]any, err error)
	// want is the desired request's JSON view.
	want map[string]any
	// create and update make the calls; they return the ARN.
	create func(ctx context.Context) (string, error)
	update func(ctx context.Context, arn string, current map[string]any) error
}

func (r *run) mutable(ctx context.Context, m mutable) (string, error) {
	arn, current, err := m.find(ctx)
	if err != nil {
		return "", err
	}
	r.learn(arn)
	if arn == "" {
		ch := Change{Resource: m.resource, Name: m.name, Action: ActionCreate, Reason: "no " + strings.ReplaceAll(m.resource, "-", " ") + " of this name"}
		if !r.apply {
			ch.ARN = r.placeholder(m.resource, m.name, "")
			r.add(ch)
			return ch.ARN, nil
		}
		arn, err := m.create(ctx)
		r.plan.Mutations++
		if awsapi.ErrorCode(err) == "ResourceAlreadyExistsException" {
			// Created since the listing (a concurrent apply): compare with it instead.
			if arn, current, err = m.find(ctx); err != nil {
				return "", err
			}
		} else if err != nil {
			return "", fmt.Errorf("creating %s %s: %w", strings.ReplaceAll(m.resource, "-", " "), m.name, err)
		} else {
			ch.ARN = arn
			r.add(ch)
			r.opts.logf("%s %s: created", m.resource, m.name)
			return arn, nil
		}
		if arn == "" {
			return "", fmt.Errorf("creating %s %s: it already exists but cannot be found by name", strings.ReplaceAll(m.resource, "-", " "), m.name)
		}
	}
	paths := diffSubset("", m.want, current)
	if len(paths) == 0 {
		r.add(Change{Resource: m.resource, Name: m.name, Action: ActionUnchanged, ARN: arn, Reason: "matches the spec"})
		return arn, nil
	}
	ch := Change{Resource: m.resource, Name: m.name, Action: ActionUpdate, ARN: arn, Reason: describeDiff(paths, m.want, current)}
	if r.apply {
		err := m.update(ctx, arn, current)
		r.plan.Mutations++
		if err != nil {
			return "", fmt.Errorf("updating %s %s: %w", strings.ReplaceAll(m.resource, "-", " "), m.name, err)
		}
		r.opts.logf("%s %s: updated (%s)", m.resource, m.name, ch.Reason)
	}
	r.add(ch)
	return arn, nil
}

// nameFilter is the list filter for one name.
func nameFilter(name string) []types.Filter {
	return []types.Filter{{Name: aws.String("name"), Values: []string{name}}}
}

// pager is an Image Builder list paginator.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(*ib.Options)) (O, error)
}

// findNamed walks a listing (of what) for the item called name and returns its ARN and
// the JSON view read returns for it (ARN "" when there is none).
func findNamed[O, S any](ctx context.Context, p pager[O], what, name string, items func(O) []S,
	id func(S) (name, arn *string), read func(context.Context, S) (map[string]any, error)) (string, map[string]any, error) {
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", nil, fmt.Errorf("listing %s: %w", what, err)
		}
		for _, s := range items(page) {
			n, arn := id(s)
			if aws.ToString(n) != name {
				continue
			}
			current, err := read(ctx, s)
			if err != nil {
				return "", nil, err
			}
			return aws.ToString(arn), current, nil
		}
	}
	return "", nil, nil
}

var mutableSkip = []string{"clientToken", "name", "tags", "dryRun"}

func (r *run) infrastructure(ctx context.Context) (string, error) {
	want := r.d.Infrastructure
	name := *want.Name
	tags := tagsWith(want.Tags, map[string]string{ManagedByTag: "winami", NameTag: r.d.Name})
	return r.mutable(ctx, mutable{
		resource: ResourceInfrastructure, name: name,
		want: toJSONMap(want, mutableSkip...),
		find: func(ctx context.Context) (string, map[string]any, error) {
			p := ib.NewListInfrastructureConfigurationsPaginator(r.api, &ib.ListInfrastructureConfigurationsInput{Filters: nameFilter(name)})
			return findNamed(ctx, p, "infrastructure configurations", name,
				func(page *ib.ListInfrastructureConfigurationsOutput) []types.InfrastructureConfigurationSummary {
					return page.InfrastructureConfigurationSummaryList
				},
				func(s types.InfrastructureConfigurationSummary) (*string, *string) { return s.Name, s.Arn },
				func(ctx context.Context, s types.InfrastructureConfigurationSummary) (map[string]any, error) {
					got, err := r.api.GetInfrastructureConfiguration(ctx, &ib.GetInfrastructureConfigurationInput{InfrastructureConfigurationArn: s.Arn})
					if err != nil {
						return nil, fmt.Errorf("reading infrastructure configuration %s: %w", name, err)
					}
					return toJSONMap(got.InfrastructureConfiguration), nil
				})
		},
		create: func(ctx context.Context) (string, error) {
			in := *want
			in.Tags = tags
			in.ClientToken = nil
			in.ClientToken = aws.String(clientToken("CreateInfrastructureConfiguration", in))
			out, err := r.api.CreateInfrastructureConfiguration(ctx, &in)
			if err != nil {
				return "", err
			}
			return aws.ToString(out.InfrastructureConfigurationArn), nil
		},
		update: func(ctx context.Context, arn string, current map[string]any) error {
			in := ib.UpdateInfrastructureConfigurationInput{
				InfrastructureConfigurationArn: aws.String(arn),
				InstanceProfileName:            want.InstanceProfileName,
				Description:                    want.Description,
				InstanceMetadataOptions:        want.InstanceMetadataOptions,
				InstanceTypes:                  want.InstanceTypes,
				KeyPair:                        want.KeyPair,
				Logging:                        want.Logging,
				Placement:                      want.Placement,
				ResourceTags:                   want.ResourceTags,
				SecurityGroupIds:               want.SecurityGroupIds,
				SnsTopicArn:                    want.SnsTopicArn,
				SubnetId:                       want.SubnetId,
				TerminateInstanceOnFailure:     want.TerminateInstanceOnFailure,
			}
			in.ClientToken = aws.String(clientToken("UpdateInfrastructureConfiguration", in, current))
			_, err := r.api.UpdateInfrastructureConfiguration(ctx, &in)
			return err
		},
	})
}

// withPublish returns the distributions with the publish parameter added to each
// region's ssmParameterConfigurations (where it is not there already).
func (r *run) withPublish() []types.Distribution {
	out := make([]types.Distribution, len(r.d.Distribution.Distributions))
	for i, dist := range r.d.Distribution.Distributions {
		out[i] = dist
		if r.d.PublishParameter == "" {
			continue
		}
		found := false
		for _, p := range dist.SsmParameterConfigurations {
			if aws.ToString(p.ParameterName) == r.d.PublishParameter {
				found = true
			}
		}
		if !found {
			out[i].SsmParameterConfigurations = append(append([]types.SsmParameterConfiguration(nil), dist.SsmParameterConfigurations...),
				types.SsmParameterConfiguration{ParameterName: aws.String(r.d.PublishParameter), DataType: types.SsmParameterDataTypeAwsEc2Image})
		}
	}
	return out
}

func (r *run) distribution(ctx context.Context) (string, error) {
	want := *r.d.Distribution
	want.Distributions = r.withPublish()
	name := *want.Name
	tags := tagsWith(want.Tags, map[string]string{ManagedByTag: "winami", NameTag: r.d.Name})
	return r.mutable(ctx, mutable{
		resource: ResourceDistribution, name: name,
		want: toJSONMap(want, mutableSkip...),
		find: func(ctx context.Context) (string, map[string]any, error) {
			p := ib.NewListDistributionConfigurationsPaginator(r.api, &ib.ListDistributionConfigurationsInput{Filters: nameFilter(name)})
			return findNamed(ctx, p, "distribution configurations", name,
				func(page *ib.ListDistributionConfigurationsOutput) []types.DistributionConfigurationSummary {
					return page.DistributionConfigurationSummaryList
				},
				func(s types.DistributionConfigurationSummary) (*string, *string) { return s.Name, s.Arn },
				func(ctx context.Context, s types.DistributionConfigurationSummary) (map[string]any, error) {
					got, err := r.api.GetDistributionConfiguration(ctx, &ib.GetDistributionConfigurationInput{DistributionConfigurationArn: s.Arn})
					if err != nil {
						return nil, fmt.Errorf("reading distribution configuration %s: %w", name, err)
					}
					return toJSONMap(got.DistributionConfiguration), nil
				})
		},
		create: func(ctx context.Context) (string, error) {
			in := want
			in.Tags = tags
			in.ClientToken = nil
			in.ClientToken = aws.String(clientToken("CreateDistributionConfiguration", in))
			out, err := r.api.CreateDistributionConfiguration(ctx, &in)
			if err != nil {
				return "", err
			}
			return aws.ToString(out.DistributionConfigurationArn), nil
		},
		update: func(ctx context.Context, arn string, current map[string]any) error {
			in := ib.UpdateDistributionConfigurationInput{
				DistributionConfigurationArn: aws.String(arn),
				Distributions:                want.Distributions,
				Description:                  want.Description,
			}
			in.ClientToken = aws.String(clientToken("UpdateDistributionConfiguration", in, current))
			_, err := r.api.UpdateDistributionConfiguration(ctx, &in)
			return err
		},
	})
}

func (r *run) pipeline(ctx context.Context) (string, error) {
	want := *r.d.Pipeline
	want.ImageRecipeArn = aws.String(r.plan.RecipeARN)
	want.InfrastructureConfigurationArn = aws.String(r.plan.InfrastructureARN)
	want.DistributionConfigurationArn = aws.String(r.plan.DistributionARN)
	name := *want.Name
	tags := tagsWith(want.Tags, map[string]string{ManagedByTag: "winami", NameTag: r.d.Name})
	return r.mutable(ctx, mutable{
		resource: ResourcePipeline, name: name,
		want: toJSONMap(want, mutableSkip...),
		find: func(ctx context.Context) (string, map[string]any, error) {
			p := ib.NewListImagePipelinesPaginator(r.api, &ib.ListImagePipelinesInput{Filters: nameFilter(name)})
			return findNamed(ctx, p, "image pipelines", name,
				func(page *ib.ListImagePipelinesOutput) []types.ImagePipeline { return page.ImagePipelineList },
				func(pl types.ImagePipeline) (*string, *string) { return pl.Name, pl.Arn },
				func(_ context.Context, pl types.ImagePipeline) (map[string]any, error) {
					current := toJSONMap(pl)
					// The execution role is a name or an ARN; the same role written the other
					// way is no change (the API reference does not say which form
					// GetImagePipeline returns).
					if got, ok := current["executionRole"].(string); ok && want.ExecutionRole != nil && got != *want.ExecutionRole {
						gn, _ := RoleNameAndPath(got)
						wn, _ := RoleNameAndPath(*want.ExecutionRole)
						if gn == wn && (!strings.HasPrefix(got, "arn:") || !strings.HasPrefix(*want.ExecutionRole, "arn:")) {
							current["executionRole"] = *want.ExecutionRole
						}
					}
					return current, nil
				})
		},
		create: func(ctx context.Context) (string, error) {
			in := want
			in.Tags = tags
			in.ClientToken = nil
			in.ClientToken = aws.String(clientToken("CreateImagePipeline", in))
			out, err := r.api.CreateImagePipeline(ctx, &in)
			if err != nil {
				return "", err
			}
			return aws.ToString(out.ImagePipelineArn), nil
		},
		update: func(ctx context.Context, arn string, current map[string]any) error {
			in := ib.UpdateImagePipelineInput{
				ImagePipelineArn:               aws.String(arn),
				InfrastructureConfigurationArn: want.InfrastructureConfigurationArn,
				ContainerRecipeArn:             want.ContainerRecipeArn,
				Description:                    want.Description,
				DistributionConfigurationArn:   want.DistributionConfigurationArn,
				EnhancedImageMetadataEnabled:   want.EnhancedImageMetadataEnabled,
				ExecutionRole:                  want.ExecutionRole,
				ImageRecipeArn:                 want.ImageRecipeArn,
				ImageScanningConfiguration:     want.ImageScanningConfiguration,
				ImageTags:                      want.ImageTags,
				ImageTestsConfiguration:        want.ImageTestsConfiguration,
				LoggingConfiguration:           want.LoggingConfiguration,
				Schedule:                       want.Schedule,
				Status:                         want.Status,
				Workflows:                      want.Workflows,
			}
			in.ClientToken = aws.String(clientToken("UpdateImagePipeline", in, current))
			_, err := r.api.UpdateImagePipeline(ctx, &in)
			return err
		},
	})
}
