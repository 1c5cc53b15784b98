package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/prune"
	"github.com/winami/winami/resolve"
	"github.com/winami/winami/spec"
)

type pruneOptions struct {
	file          string
	keep          int
	olderThan     string
	yes           bool
	kubeconfig    string
	kubeContext   string
	timeout       time.Duration
	interval      time.Duration
	includeShared bool
	concurrency   int
	// keepSet is whether --keep was given (else the spec's keep wins).
	keepSet bool
}

// newPruneCmd builds the command; runF, when given, runs instead of the command with the
// options its flags parsed into (tests of the flags, as cli/cli's NewCmd*).
func newPruneCmd(g *Factory, runF func(*pruneOptions) error) *cobra.Command {
	o := &pruneOptions{}
	cmd := &cobra.Command{
		Use:   "prune -f winami.yaml",
		Short: "Remove the spec's old AMIs safely: never one in use, Fast Launch off first, snapshots after",
		Long: `Prune removes the old AMIs of the spec's pipeline in every distribution region.

Candidates are only the account's AMIs tagged by this spec's pipeline (winami:name,
winami:managed-by and Ec2ImageBuilderArn). Always kept: the newest --keep (spec keep, 3 by
default); AMIs younger than --older-than; AMIs used by an instance in any state but
terminated, by any version of any launch template, by an Auto Scaling group's mixed
instances policy or by a launch configuration, by a live Spot Fleet request, EC2 Fleet or
Spot Instance request, as the parent image of an Image Builder recipe, published in the
spec's SSM parameter, or run by a node of the cluster (--kubeconfig). Disabled AMIs are
considered too. AMIs shared with other accounts, organizations or OUs (launch
permissions) are kept, and the plan says with whom, unless --include-shared.

With --kubeconfig, prune also reads every Karpenter EC2NodeClass (karpenter.k8s.aws/v1;
it needs list on ec2nodeclasses) and keeps, in every region: the AMIs its amiSelectorTerms
name (id, ssmParameter, the windows2019/2022/2025@latest alias's SSM parameter for the
cluster's Kubernetes version), the AMI Karpenter launches from among those its name, tags
and owner terms select (per architecture, the newest not deprecated), and the AMIs in its
status.amis. If the EC2NodeClasses cannot be read, prune stops (exit 1) and deletes
nothing. Without --kubeconfig it says that Karpenter was not checked.

Without --yes it prints the plan (what goes, what stays and why) and changes nothing.
With --yes, for each AMI that goes: disable Fast Launch and wait until its snapshots are
gone, deregister, then delete its snapshots that no other AMI uses. Regions, and the AMIs
of each region, are handled at once (--concurrency of each), so a prune takes about as
long as its slowest AMI. A failure on one AMI is reported and the rest continue (exit 1);
running prune again finishes the job.`,
		Example: `  winami prune -f winami.yaml
  winami prune -f winami.yaml --keep 2 --older-than 30d --yes
  winami prune -f winami.yaml --region us-west-2 --kubeconfig ~/.kube/prod -o json
  winami prune -f winami.yaml --include-shared --poll-interval 5s --yes`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.keepSet = cmd.Flags().Changed("keep")
			if runF != nil {
				return runF(o)
			}
			return runPrune(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "the spec file (winami.yaml)")
	f.IntVar(&o.keep, "keep", spec.DefaultKeep, "newest AMIs to keep in each region (default: the spec's keep)")
	f.StringVar(&o.olderThan, "older-than", "", "keep AMIs younger than this (30d, 2w, 12h)")
	f.BoolVar(&o.yes, "yes", false, "delete; without it prune only prints the plan")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "keep the AMIs the nodes of this cluster run and its Karpenter EC2NodeClasses select")
	f.StringVar(&o.kubeContext, "context", "", "kubeconfig context (with --kubeconfig)")
	f.DurationVar(&o.timeout, "timeout", 30*time.Minute, "how long to wait for Fast Launch to be disabled, per AMI")
	f.DurationVar(&o.interval, "poll-interval", 15*time.Second, "first pause between Fast Launch polls (grows by half up to 8×)")
	f.BoolVar(&o.includeShared, "include-shared", false, "also prune AMIs shared with other accounts, organizations or OUs")
	f.IntVar(&o.concurrency, "concurrency", prune.DefaultConcurrency, "regions, and AMIs in each region, handled at once")
	return cmd
}

// specRegions is --region (a list, or all for every distribution region) or the spec's
// distribution regions.
func specRegions(g *Factory, img *spec.WindowsImage) []string {
	axis := resolve.ParseAxis([]string{g.Region})
	if axis.All || len(axis.Values) == 0 {
		return img.Spec.Distribution.Regions
	}
	return axis.Values
}

func runPrune(ctx context.Context, g *Factory, o *pruneOptions) error {
	img, err := loadSpec(g, o.file)
	if err != nil {
		return err
	}
	age, err := prune.ParseAge(o.olderThan)
	if err != nil {
		return Usage(fmt.Errorf("flag --older-than: %w", err))
	}
	keep := o.keep
	if !o.keepSet && img.Spec.Keep != nil {
		keep = *img.Spec.Keep
	}
	if msg := spec.CheckKeep(keep); msg != "" {
		return Usagef("flag --keep: %s (spec.keep takes the same: prune never deletes the newest AMI)", msg)
	}
	if o.timeout <= 0 {
		return Usagef("flag --timeout %s: use a positive duration such as 30m", o.timeout)
	}
	if o.interval <= 0 {
		return Usagef("flag --poll-interval %s: use a positive duration such as 15s", o.interval)
	}
	if o.concurrency < 1 {
		return Usagef("flag --concurrency %d: use 1 or more", o.concurrency)
	}
	regions := specRegions(g, img)
	if len(regions) == 0 {
		return Usagef("no region to prune: the spec has no metadata.region or distribution.regions, and --region is empty")
	}
	clients, err := g.AWS(ctx, regions[0])
	if err != nil {
		return err
	}
	opts := prune.Options{Name: img.Metadata.Name, Regions: regions, Keep: keep, OlderThan: age,
		PublishParameter: img.Spec.Distribution.PublishParameter, IncludeShared: o.includeShared}
	if o.kubeconfig != "" {
		cs, dyn, err := g.kubeClients(o.kubeconfig, o.kubeContext)
		if err != nil {
			return err
		}
		cl, err := prune.ReadCluster(ctx, cs, dyn, clients)
		if err != nil {
			return describeAWSError(g, clients, err)
		}
		if cl.KarpenterInstalled {
			n := fmt.Sprintf("%d EC2NodeClasses", len(cl.Karpenter.NodeClasses))
			if len(cl.Karpenter.NodeClasses) == 1 {
				n = "1 EC2NodeClass"
			}
			g.Infof("Karpenter: read %s; the AMIs they select stay", n)
		} else {
			g.Infof("Karpenter: the cluster does not serve karpenter.k8s.aws, so no EC2NodeClass selects an AMI")
		}
		cl.Apply(&opts)
	} else {
		g.Infof("Karpenter not checked: without --kubeconfig prune cannot see the AMIs a cluster's EC2NodeClasses select (pass --kubeconfig to keep them)")
	}
	p := &prune.Pruner{Clients: clients, Concurrency: o.concurrency,
		Wait:     fastlaunch.WaitOptions{Timeout: o.timeout, Interval: o.interval, MaxInterval: 8 * o.interval},
		Progress: func(s string) { g.Infof("%s", s) }}
	plan, err := p.Plan(ctx, opts)
	if err != nil {
		return describeAWSError(g, clients, err)
	}
	if !o.yes {
		if err := g.Print(plan, func() Table { return pruneTable(plan) }); err != nil {
			return err
		}
		if n := plan.Deletes() + len(plan.Orphans); n > 0 {
			orphans := ""
			if len(plan.Orphans) > 0 {
				orphans = fmt.Sprintf(", %d snapshot(s) left by an earlier prune go", len(plan.Orphans))
			}
			g.Infof("plan: %d AMIs go, %d stay%s; nothing was changed: run again with --yes to delete", plan.Deletes(), len(plan.Images)-plan.Deletes(), orphans)
		} else {
			g.Infof("nothing to prune: %d AMIs stay", len(plan.Images))
		}
		return nil
	}
	p.Execute(ctx, plan)
	if err := g.Print(plan, func() Table { return pruneTable(plan) }); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if n := plan.Failed(); n > 0 {
		return &ProblemError{Msg: fmt.Sprintf("prune: %d of %d deletions failed (see above); run it again to finish", n, plan.Deletes()+len(plan.Orphans))}
	}
	return nil
}

func pruneTable(plan *prune.Plan) Table {
	t := Table{Header: []string{"REGION", "IMAGE", "NAME", "CREATED", "ACTION", "FAST LAUNCH", "WHY", "RESULT"}}
	for _, im := range plan.Images {
		result := im.Result
		if im.Error != "" {
			result += ": " + im.Error
		}
		created := im.Created
		name := im.Name
		if im.State != "" {
			name += " (" + im.State + ")"
		}
		t.Rows = append(t.Rows, []string{im.Region, im.ImageID, name, stamp(&created), im.Action, orDash(im.FastLaunch), strings.Join(im.Reasons, "; "), orDash(result)})
	}
	for _, o := range plan.Orphans {
		result := o.Result
		if o.Error != "" {
			result += ": " + o.Error
		}
		t.Rows = append(t.Rows, []string{o.Region, o.SnapshotID, "-", "-", prune.ActionDelete, "-", "snapshot left by an earlier prune", orDash(result)})
	}
	return t
}
