package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/images"
	"github.com/winami/winami/render"
	"github.com/winami/winami/rootvolume"
	"github.com/winami/winami/spec"
)

// specOptions are the flags plan, apply and build share.
type specOptions struct {
	file string
	// createProfile makes the build instance's profile and role part of the plan.
	createProfile bool
	// createRoles makes the instance profile and the pipeline's execution role part of the plan.
	createRoles bool
	// noRegistry keeps winami away from container registries: the root volume is sized
	// from the documented estimate and images are taken by reference (tests, air gaps).
	noRegistry bool
}

func (o *specOptions) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "winami.yaml", "the spec file")
	f.BoolVar(&o.createProfile, "create-instance-profile", false, "manage spec.build.instanceProfile too: create it and its role (same name) with the policies the build needs when missing")
	f.BoolVar(&o.createRoles, "create-roles", false, "manage the IAM roles too: the instance profile (as --create-instance-profile) and spec.build.executionRole, created when missing, trusted by Image Builder, with the policies the pipeline needs")
	f.BoolVar(&o.noRegistry, "no-registry", false, "contact no container registry: size rootVolumeSize: auto from the estimate (8 GiB per image), pull images by reference (not by their windows/amd64 manifest)")
}

// loaded is a spec with its desired Image Builder state and AWS clients.
type loaded struct {
	spec    *spec.WindowsImage
	desired *imagebuilder.Desired
	clients *awsapi.Clients
	opts    imagebuilder.Options
	// cache holds what the registries said about the cached images (read once).
	cache *cacheReader
}

// load reads and checks the spec file (bad input exits 2), resolves what rendering
// offline cannot (a parent pinned to a release date, image digests when pinned) and
// returns the desired state.
func (o *specOptions) load(ctx context.Context, g *Factory) (*loaded, error) {
	img, err := loadSpec(g, o.file)
	if err != nil {
		return nil, err
	}
	region := img.Metadata.Region
	clients, err := g.AWS(ctx, "")
	if err != nil {
		return nil, err
	}
	// apply counts versions from 1.0.0 (the next patch for new content); rendered files
	// carry versions derived from the content instead.
	ro := render.Options{ComponentVersion: render.DefaultVersion, RecipeVersion: render.DefaultVersion}
	if p := img.Spec.Parent; p.ImageID == "" && p.ReleaseDate != "" {
		if ro.ParentImage, err = parentForRelease(ctx, clients.EC2(region), img, region); err != nil {
			return nil, err
		}
	} else if p.ImageID == "" && p.OSBuild != "" {
		g.Warnf("spec.parent.osBuild %s is not resolved by apply yet: the parent is the newest release (pin spec.parent.releaseDate instead)", p.OSBuild)
	}
	refs := img.Images()
	cacheRefs := refs
	if img.Spec.Cache.PinDigests && len(refs) > 0 && o.noRegistry {
		g.Warnf("spec.cache.pinDigests: --no-registry reads no digest, so the %d cached image(s) are pulled by tag", len(refs))
	}
	cache := newCacheReader(g, clients, img)
	if len(refs) > 0 && !o.noRegistry {
		if ro.Digests, ro.Platforms, cacheRefs, err = readCache(ctx, g, cache, img, true); err != nil {
			return nil, err
		}
	}
	res, err := render.Render(img, ro)
	if err != nil {
		return nil, specError(o.file, err)
	}
	d := &imagebuilder.Desired{
		Name:             img.Metadata.Name,
		Region:           region,
		Recipe:           res.ImageRecipe,
		Infrastructure:   res.InfrastructureConfiguration,
		Distribution:     res.DistributionConfiguration,
		Pipeline:         res.ImagePipeline,
		PublishParameter: img.Spec.Distribution.PublishParameter,
		RootVolumeAuto:   img.Spec.Build.RootVolumeSize.Auto(),
		CacheImages:      cacheRefs,
		SpecHash:         img.Hash(),
	}
	for _, c := range res.Components {
		d.Components = append(d.Components, c.Input)
	}
	l := &loaded{spec: img, desired: d, clients: clients, cache: cache, opts: imagebuilder.Options{Logf: g.Infof,
		ManageInstanceProfile: o.createProfile || o.createRoles, ManageExecutionRole: o.createRoles}}
	if !o.noRegistry {
		l.opts.Sizer = registrySizer(g, cache)
	}
	return l, nil
}

// cacheReader reads the cached images from their registries once per command (package
// images): the same report gives the component its platform manifests, pins digests and
// sizes the root volume, so plan and apply read each image once (Factory.CheckImages).
type cacheReader struct {
	f                   *Factory
	clients             *awsapi.Clients
	windows, kubernetes string

	mu      sync.Mutex
	reports map[string]*images.Report // by the references read, joined with newlines
}

func newCacheReader(f *Factory, clients *awsapi.Clients, img *spec.WindowsImage) *cacheReader {
	return &cacheReader{f: f, clients: clients, windows: img.Spec.Windows.Version, kubernetes: img.Spec.KubernetesVersion, reports: map[string]*images.Report{}}
}

// check returns the report on refs, reading the registries the first time, and records
// it also under alias (the same images named by digest) when given.
func (c *cacheReader) check(ctx context.Context, refs []string, alias ...[]string) (*images.Report, error) {
	key := strings.Join(refs, "\n")
	c.mu.Lock()
	defer c.mu.Unlock()
	if rep, ok := c.reports[key]; ok {
		return rep, nil
	}
	rep, err := c.f.checkImages(ctx, c.clients, refs, c.windows, c.kubernetes)
	if err != nil {
		return nil, err
	}
	c.reports[key] = rep
	for _, a := range alias {
		c.reports[strings.Join(a, "\n")] = rep
	}
	return rep, nil
}

// readCache reads from the registries what the image-cache component pulls: with
// spec.cache.pinDigests the digest each reference names now (an image that cannot be read
// is an error), and for every image the windows/amd64 manifest the node's containerd
// pulls on the AMI's Windows build (images.Image.ManifestDigest) and its compressed size
// (an image that cannot be read or does not run there is pulled as given, with a warning
// when warn is set; render's own warning names them otherwise). It returns the references
// to record as the build's inputs (pinned ones with their digest).
func readCache(ctx context.Context, g *Factory, cache *cacheReader, img *spec.WindowsImage, warn bool) (map[string]string, map[string]render.Platform, []string, error) {
	refs := img.Images()
	lookups := refs // the build's inputs: pinned references with their digest
	pin := img.Spec.Cache.PinDigests
	if pin {
		lookups = make([]string, len(refs))
	}
	rep, err := cache.check(ctx, refs)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reading the cached images from their registries: %w", err)
	}
	var (
		digests   map[string]string
		unread    []string
		skipped   []string
		platforms = map[string]render.Platform{}
	)
	if pin {
		digests = map[string]string{}
	}
	for i, im := range rep.Images {
		r := refs[i]
		if pin {
			lookups[i] = r
			switch {
			case im.Digest == "":
				unread = append(unread, fmt.Sprintf("%s: %s", r, im.Status))
			case !strings.Contains(r, "@"):
				digests[r] = im.Digest
				lookups[i] = r + "@" + im.Digest
			}
		}
		if im.Status != images.StatusCompatible || im.ManifestDigest == "" {
			skipped = append(skipped, fmt.Sprintf("%s: %s", r, im.Status))
			continue
		}
		platforms[r] = render.Platform{Digest: im.ManifestDigest, CompressedBytes: im.CompressedBytes}
	}
	if len(unread) > 0 {
		return nil, nil, nil, fmt.Errorf("resolving image digests for spec.cache.pinDigests: %s (`winami images check -f …` says why)", strings.Join(unread, "; "))
	}
	if pin {
		// The root volume is sized from the same report (the images are named by digest there).
		cache.mu.Lock()
		cache.reports[strings.Join(lookups, "\n")] = rep
		cache.mu.Unlock()
	}
	if len(skipped) > 0 && warn {
		g.Warnf("%d cached image(s) are pulled by tag or digest as given, since their windows/amd64 manifest for Windows Server %s could not be read: %s (`winami images check -f …` says more)",
			len(skipped), img.Spec.Windows.Version, strings.Join(skipped, "; "))
	}
	return digests, platforms, lookups, nil
}

// registrySizer measures the cached images from the command's one registry report
// (cacheReader); an image that cannot be read counts the documented estimate, with a
// warning, and so do all of them when the check itself fails.
func registrySizer(g *Factory, cache *cacheReader) imagebuilder.Sizer {
	return imagebuilder.SizerFunc(func(ctx context.Context, refs []string) (rootvolume.Cache, error) {
		var c rootvolume.Cache
		rep, err := cache.check(ctx, refs)
		if err == nil {
			if rep.Totals.Incompatible > 0 {
				g.Warnf("%d cached image(s) do not run on Windows Server %s hosts: `winami images check -f …` names them and the tags that would", rep.Totals.Incompatible, cache.windows)
			}
			c = images.CacheOf(rep.Images)
		} else {
			if ctx.Err() != nil {
				return rootvolume.Cache{}, ctx.Err()
			}
			c = rootvolume.Estimated(len(refs), "not measured: "+err.Error())
		}
		if c.EstimatedImages > 0 {
			g.Warnf("sizing the root volume: %d of %d image(s) could not be read (%s); each counts the estimate of %d GiB (`winami images check -f …` says why)",
				c.EstimatedImages, c.Images, strings.Join(c.EstimateReasons, "; "), rootvolume.EstimatePerImageGiB)
		}
		return c, nil
	})
}

// parentForRelease finds the parent AMI of a spec pinned to a release date by its name,
// with the lookup doctor uses too (imagebuilder.FindReleaseAMI: deprecated AMIs included,
// since public EKS AMIs are deprecated before they turn private).
func parentForRelease(ctx context.Context, api awsapi.EC2, img *spec.WindowsImage, region string) (string, error) {
	name, err := img.ParentReleaseName()
	if err != nil {
		return "", Usage(err)
	}
	id, err := imagebuilder.FindReleaseAMI(ctx, api, region, name)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", &imagebuilder.PreflightError{Problems: []string{fmt.Sprintf(
			"spec.parent.releaseDate %s: no AMI named %s in %s (public EKS-optimized AMIs turn private after about 4 months; `winami resolve --history` lists the releases)",
			img.Spec.Parent.ReleaseDate, name, region)}}
	}
	return id, nil
}

func changesTable(cs []imagebuilder.Change) func() Table {
	return func() Table {
		t := Table{Header: []string{"RESOURCE", "NAME", "ACTION", "VERSION", "REASON"}}
		for _, c := range cs {
			t.Rows = append(t.Rows, []string{c.Resource, c.Name, string(c.Action), dash(c.Version), c.Reason})
		}
		return t
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// summarize is the one-line count of a plan's actions.
func summarize(cs []imagebuilder.Change) string {
	n := map[imagebuilder.Action]int{}
	for _, c := range cs {
		n[c.Action]++
	}
	return fmt.Sprintf("%d to create, %d to update, %d new version(s), %d unchanged",
		n[imagebuilder.ActionCreate], n[imagebuilder.ActionUpdate], n[imagebuilder.ActionNewVersion], n[imagebuilder.ActionUnchanged])
}

// reportParent writes what the checks found about the parent image and root volume.
func reportParent(g *Factory, p *imagebuilder.Plan) {
	parent := p.Parent.Ref
	if p.Parent.ImageID != "" && p.Parent.ImageID != p.Parent.Ref {
		parent += " → " + p.Parent.ImageID
	}
	if p.Parent.Name != "" {
		parent += " (" + p.Parent.Name + ")"
	}
	g.Infof("parent image: %s", parent)
	switch {
	case p.RootVolume != nil:
		g.Infof("root volume: %d GiB (rootVolumeSize: auto: %s)", p.RootVolumeGiB, p.RootVolume.Formula)
	case p.RootVolumeGiB > 0:
		g.Infof("root volume: %d GiB", p.RootVolumeGiB)
	}
}

// problem turns the library's errors that are findings (a missing parent image or
// instance profile) into exit 1 with their message; others pass through.
func problem(err error) error {
	var pe *imagebuilder.PreflightError
	if errors.As(err, &pe) {
		return &ProblemError{Msg: pe.Error()}
	}
	return err
}

func newPlanCmd(g *Factory) *cobra.Command {
	var o specOptions
	var skipPreflight bool
	cmd := &cobra.Command{
		Use:   "plan -f winami.yaml",
		Short: "Show what apply would change in EC2 Image Builder, and why",
		Long: `plan compares the Image Builder resources a spec renders to (image-cache components,
image recipe, infrastructure configuration, distribution configuration, image pipeline)
with the account, and prints per resource whether apply would create it, update it in
place, create a new version of it (components and recipes are immutable: a changed
content gets the next patch version) or leave it unchanged, and which field changed.

It first checks that the parent image and the instance profile exist. With
--create-roles (or --create-instance-profile) the instance profile, and the pipeline's
execution role (spec.build.executionRole), are planned too. After the table it runs the
preflight that apply and build run (doctor's checks; --skip-preflight skips it) and exits
1, listing each problem with its fix, when apply would be stopped by it. Nothing changes
in AWS.
-o json prints an array of {"resource","name","action","reason"}.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := o.load(cmd.Context(), g)
			if err != nil {
				return err
			}
			l.opts.Logf = nil
			p, err := imagebuilder.PlanChanges(cmd.Context(), l.clients, l.desired, l.opts)
			if err != nil {
				return problem(err)
			}
			reportParent(g, p)
			if err := g.Print(p.Changes, changesTable(p.Changes)); err != nil {
				return err
			}
			g.Infof("plan: %s", summarize(p.Changes))
			if skipPreflight {
				return nil
			}
			// The checks apply and build run first: a plan that apply would refuse says so
			// now (exit 1), not after the review.
			return runPreflight(cmd.Context(), g, l, &o, "plan", true)
		},
	}
	o.add(cmd)
	cmd.Flags().BoolVar(&skipPreflight, "skip-preflight", false, "plan without the checks apply and build run first (doctor's)")
	return cmd
}
