package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/check"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/images"
	"github.com/winami/winami/preflight"
	"github.com/winami/winami/render"
	"github.com/winami/winami/spec"
)

// Clients gives the per-region clients the workflows call (*awsapi.Clients satisfies
// it): Image Builder, EC2, SSM and IAM for plan, apply and build, STS and Service Quotas
// for the preflight, ECR for the registry tokens of ECR registries.
type Clients interface {
	preflight.Clients
	ECR(region string) awsapi.ECR
}

// Options tune [Load].
type Options struct {
	// CreateInstanceProfile makes the build instance's profile and its role part of the
	// plan (created by Apply when missing).
	CreateInstanceProfile bool
	// CreateRoles makes the instance profile and the pipeline's execution role part of the
	// plan.
	CreateRoles bool
	// NoRegistry keeps winami away from container registries: the root volume is sized
	// from the documented estimate and images are taken by reference (tests, air gaps).
	NoRegistry bool
	// Registry are the options of the registry reads (credentials, transport, retries);
	// Load sets their Kubernetes version and ECR clients itself.
	Registry images.Options
	// Logf receives Apply's and Build's progress lines; nil discards them.
	Logf func(format string, args ...any)
	// Warnf receives warnings (an unresolved pin, images pulled as given, sizes
	// estimated); nil discards them.
	Warnf func(format string, args ...any)
}

func (o Options) warnf(format string, args ...any) {
	if o.Warnf != nil {
		o.Warnf(format, args...)
	}
}

// InputError is a problem of the spec itself found by Load (it does not render, or its
// pinned release names another Kubernetes version): bad input, not a failure of AWS.
type InputError struct{ Err error }

// Error returns the problem.
func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the problem (a spec.Errors when the spec does not render).
func (e *InputError) Unwrap() error { return e.Err }

// Pipeline is a spec with its desired Image Builder state, resolved against AWS and the
// registries by Load.
type Pipeline struct {
	// Spec is the spec loaded.
	Spec *spec.WindowsImage
	// Desired is the spec rendered, the state Plan compares with the account.
	Desired *imagebuilder.Desired
	// Options are the options Plan, Apply and Build pass to package imagebuilder.
	Options imagebuilder.Options

	clients Clients
	opts    Options
	cache   *cacheReader
}

// Load resolves what rendering offline cannot (a parent pinned to a release date, with
// imagebuilder.FindReleaseAMI; the cached images' digests and platform manifests, read
// from their registries unless opts.NoRegistry) and renders img into the desired state. A
// spec that does not render, or whose pin cannot be read, is an *InputError; a pinned
// release that does not exist is a *check.PreflightError.
func Load(ctx context.Context, clients Clients, img *spec.WindowsImage, opts Options) (*Pipeline, error) {
	region := img.Metadata.Region
	// apply counts versions from 1.0.0 (the next patch for new content); rendered files
	// carry versions derived from the content instead.
	ro := render.Options{ComponentVersion: render.DefaultVersion, RecipeVersion: render.DefaultVersion}
	if p := img.Spec.Parent; p.ImageID == "" && p.ReleaseDate != "" {
		id, err := parentForRelease(ctx, clients.EC2(region), img, region)
		if err != nil {
			return nil, err
		}
		ro.ParentImage = id
	} else if p.ImageID == "" && p.OSBuild != "" {
		opts.warnf("spec.parent.osBuild %s is not resolved by apply yet: the parent is the newest release (pin spec.parent.releaseDate instead)", p.OSBuild)
	}
	refs := img.Images()
	cacheRefs := refs
	if img.Spec.Cache.PinDigests && len(refs) > 0 && opts.NoRegistry {
		opts.warnf("spec.cache.pinDigests: --no-registry reads no digest, so the %d cached image(s) are pulled by tag", len(refs))
	}
	cache := newCacheReader(clients, img, opts.Registry)
	if len(refs) > 0 && !opts.NoRegistry {
		read, err := readCache(ctx, cache, img)
		if err != nil {
			return nil, err
		}
		if len(read.Skipped) > 0 {
			opts.warnf("%d cached image(s) are pulled by tag or digest as given, since their windows/amd64 manifest for Windows Server %s could not be read: %s (`winami images check -f …` says more)",
				len(read.Skipped), img.Spec.Windows.Version, strings.Join(read.Skipped, "; "))
		}
		ro.Digests, ro.Platforms, cacheRefs = read.Digests, read.Platforms, read.Refs
	}
	res, err := render.Render(img, ro)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	d := &imagebuilder.Desired{
		Name:             img.Metadata.Name,
		Region:           region,
		Recipe:           res.ImageRecipe,
		Infrastructure:   res.InfrastructureConfiguration,
		Distribution:     res.DistributionConfiguration,
		Pipeline:         res.ImagePipeline,
		PublishParameter: img.Spec.Distribution.PublishParameter,
		PublishAccounts:  img.PublishAccounts(),
		PublishAfterScan: img.PublishAfterScan(),
		RootVolumeAuto:   img.Spec.Build.RootVolumeSize.Auto(),
		CacheImages:      cacheRefs,
		SpecHash:         img.Hash(),
	}
	for _, c := range res.Components {
		d.Components = append(d.Components, c.Input)
	}
	p := &Pipeline{Spec: img, Desired: d, clients: clients, opts: opts, cache: cache,
		Options: imagebuilder.Options{Logf: opts.Logf,
			ManageInstanceProfile: opts.CreateInstanceProfile || opts.CreateRoles, ManageExecutionRole: opts.CreateRoles}}
	if !opts.NoRegistry {
		p.Options.Sizer = registrySizer(opts.warnf, cache)
	}
	return p, nil
}

// parentForRelease finds the parent AMI of a spec pinned to a release date by its name,
// with the lookup doctor uses too (imagebuilder.FindReleaseAMI: deprecated AMIs included,
// since public EKS AMIs are deprecated before they turn private).
func parentForRelease(ctx context.Context, api awsapi.EC2, img *spec.WindowsImage, region string) (string, error) {
	name, err := img.ParentReleaseName()
	if err != nil {
		return "", &InputError{Err: err}
	}
	id, err := imagebuilder.FindReleaseAMI(ctx, api, region, name)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", check.Errorf("checking before apply", preflight.CheckParentImage, fmt.Sprintf(
			"spec.parent.releaseDate %s: no AMI named %s in %s (public EKS-optimized AMIs turn private after about 4 months; `winami resolve --history` lists the releases)",
			img.Spec.Parent.ReleaseDate, name, region))
	}
	return id, nil
}

// Plan compares the desired state with the account and changes nothing
// (imagebuilder.PlanChanges, without progress lines).
func (p *Pipeline) Plan(ctx context.Context) (*imagebuilder.Plan, error) {
	quiet := p.Options
	quiet.Logf = nil
	return imagebuilder.PlanChanges(ctx, p.clients, p.Desired, quiet)
}

// Apply converges the account to the desired state (imagebuilder.Apply).
func (p *Pipeline) Apply(ctx context.Context) (*imagebuilder.Plan, error) {
	return imagebuilder.Apply(ctx, p.clients, p.Desired, p.Options)
}

// Preflight runs doctor's checks without the registry reads (preflight.Preflight), as
// plan, apply and build do before their first change. applies tells whether the caller
// applies the spec first: what Options.CreateRoles and CreateInstanceProfile will create
// is then no problem.
func (p *Pipeline) Preflight(ctx context.Context, applies bool) ([]check.Check, error) {
	var opts preflight.Options
	if applies {
		opts = preflight.Options{CreatesInstanceProfile: p.opts.CreateInstanceProfile || p.opts.CreateRoles, CreatesRoles: p.opts.CreateRoles}
	}
	return preflight.Preflight(ctx, p.clients, p.Spec, opts)
}

// PinCacheDigests records in Desired.CacheImages the digest each cached image's tag names
// now (tags move: a build records, and with IfChanged compares, what they pointed to).
// It reads nothing new: the report Load read is used. Without registry reads
// (Options.NoRegistry) or with spec.cache.pinDigests (the references carry their digest
// already) it does nothing. When the digests cannot be resolved the references stay as
// they are and the error says why.
func (p *Pipeline) PinCacheDigests(ctx context.Context) error {
	if p.opts.NoRegistry || len(p.Desired.CacheImages) == 0 || p.Spec.Spec.Cache.PinDigests {
		return nil
	}
	rep, err := p.cache.check(ctx, p.Desired.CacheImages)
	if err != nil {
		return err // the registry check's own error, which names what it was reading
	}
	var refs []string
	for i, r := range p.Desired.CacheImages {
		if d := rep.Images[i].Digest; d != "" && !strings.Contains(r, "@") {
			r += "@" + d
		}
		refs = append(refs, r)
	}
	p.Desired.CacheImages = refs
	return nil
}

// Build starts the image pipeline as plan (the result of Plan or Apply) left it, follows
// the image to its AMIs and publishes them (imagebuilder.Build); opts.Options is the
// Pipeline's.
func (p *Pipeline) Build(ctx context.Context, plan *imagebuilder.Plan, opts imagebuilder.BuildOptions) (*imagebuilder.BuildResult, error) {
	opts.Options = p.Options
	return imagebuilder.Build(ctx, p.clients, p.Desired, plan, opts)
}

// Cancel cancels the creation of an image of the pipeline (imagebuilder.Cancel).
func (p *Pipeline) Cancel(ctx context.Context, image string) error {
	return imagebuilder.Cancel(ctx, p.clients.ImageBuilder(p.Desired.Region), image)
}
