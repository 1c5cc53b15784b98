package cli

import (
	"github.com/spf13/cobra"
)

func newApplyCmd(g *Factory) *cobra.Command {
	var (
		o             specOptions
		yes           bool
		skipPreflight bool
	)
	cmd := &cobra.Command{
		Use:   "apply -f winami.yaml [--yes]",
		Short: "Converge the EC2 Image Builder resources to the spec",
		Long: `apply makes the account's Image Builder resources match the spec, as plan shows:

  - components and image recipes are immutable: each version winami creates carries
    a content hash tag (winami:content-hash); a version with the same content is
    reused, a changed content gets the next patch version (1.0.0 → 1.0.1);
  - the infrastructure and distribution configurations and the pipeline are updated
    in place;
  - each call carries a ClientToken derived from its content, so running apply again
    after a crash neither duplicates nor orphans anything, and an apply with nothing
    to change makes no change at all.

Before anything else apply runs the preflight, as build does (doctor's checks without
the registry reads: permissions, instance profile, network, instance types, parent image,
execution role, Fast Launch launch templates…): a problem stops it, exit 1, with nothing
changed and the fix of each; --skip-preflight goes ahead anyway. What --create-roles or
--create-instance-profile will create is not a problem.
With changes to make, apply asks for confirmation on a terminal (declining changes
nothing and exits 1); --yes (required when stdin is not a terminal) applies without
asking.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			l, err := o.load(ctx, g)
			if err != nil {
				return err
			}
			if !skipPreflight {
				if err := runPreflight(ctx, g, l, "apply", true); err != nil {
					return err
				}
			}
			p, err := l.Plan(ctx)
			if err != nil {
				return problem(err)
			}
			reportParent(g, p)
			if !p.Changed() {
				g.Infof("apply: nothing to change")
				return g.Print(p.Changes, changesTable(p.Changes))
			}
			if !yes {
				if !g.prompter().CanPrompt() {
					return Usagef("apply would make changes (%s): pass --yes to apply without a prompt (stdin is not a terminal); `winami plan` shows them", summarize(p.Changes))
				}
				if err := changesTable(p.Changes)().Write(g.Stderr, g.stderrLayout()); err != nil {
					return err
				}
				if !g.prompter().Confirm("Apply these changes (" + summarize(p.Changes) + ")?") {
					// Declined: what was asked for did not happen (exit 1, as CI expects).
					g.Infof("apply: nothing changed")
					return &silentError{code: ExitProblem}
				}
			}
			applied, err := l.Apply(ctx)
			if err != nil {
				return problem(err)
			}
			if err := g.Print(applied.Changes, changesTable(applied.Changes)); err != nil {
				return err
			}
			g.Infof("apply: %s; %d change(s) made", summarize(applied.Changes), applied.Mutations)
			return nil
		},
	}
	o.add(cmd)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "apply without asking")
	cmd.Flags().BoolVar(&skipPreflight, "skip-preflight", false, "apply without the preflight checks (doctor's), for those who must")
	return cmd
}
