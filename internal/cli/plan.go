package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/check"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/pipeline"
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
	// checkSpec, when set, checks the command's flags against the spec right after it
	// loads, before any AWS or registry request (bad input changes and reads nothing).
	checkSpec func(*spec.WindowsImage) error
}

func (o *specOptions) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "winami.yaml", "the spec file")
	f.BoolVar(&o.createProfile, "create-instance-profile", false, "manage spec.build.instanceProfile too: create it and its role (same name) with the policies the build needs when missing")
	f.BoolVar(&o.createRoles, "create-roles", false, "manage the IAM roles too: the instance profile (as --create-instance-profile) and spec.build.executionRole, created when missing, trusted by Image Builder, with the policies the pipeline needs")
	f.BoolVar(&o.noRegistry, "no-registry", false, "contact no container registry: size rootVolumeSize: auto from the estimate (8 GiB per image), pull images by reference (not by their windows/amd64 manifest)")
}

// loaded is a spec's pipeline (pipeline.Load) with the AWS clients it uses.
type loaded struct {
	*pipeline.Pipeline
	clients *awsapi.Clients
}

// load reads and checks the spec file (bad input exits 2), then the flags against it
// (checkSpec), and loads its pipeline
// (pipeline.Load: a parent pinned to a release date resolved, image digests read when
// pinned, the desired state rendered).
func (o *specOptions) load(ctx context.Context, g *Factory) (*loaded, error) {
	img, err := loadSpec(g, o.file)
	if err != nil {
		return nil, err
	}
	if o.checkSpec != nil {
		if err := o.checkSpec(img); err != nil {
			return nil, err
		}
	}
	clients, err := g.AWS(ctx, "")
	if err != nil {
		return nil, err
	}
	if err := checkNewKubernetes(ctx, g, clients, img); err != nil {
		return nil, err
	}
	p, err := pipeline.Load(ctx, clients, img, pipeline.Options{
		CreateInstanceProfile: o.createProfile, CreateRoles: o.createRoles, NoRegistry: o.noRegistry,
		Registry: g.Registry(nil), Logf: g.Infof, Warnf: g.Warnf})
	if ie := (*pipeline.InputError)(nil); errors.As(err, &ie) {
		return nil, specError(o.file, ie.Err)
	}
	if err != nil {
		return nil, err
	}
	return &loaded{Pipeline: p, clients: clients}, nil
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
	var pe *check.PreflightError
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
			p, err := l.Plan(cmd.Context())
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
			return runPreflight(cmd.Context(), g, l, "plan", true)
		},
	}
	o.add(cmd)
	cmd.Flags().BoolVar(&skipPreflight, "skip-preflight", false, "plan without the checks apply and build run first (doctor's)")
	return cmd
}
