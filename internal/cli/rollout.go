package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/winami/winami/rollout"
)

type rolloutOptions struct {
	file           string
	to             string
	cluster        string
	kubeconfig     string
	kubeContext    string
	asgs           []string
	nodeGroups     []string
	canary         string
	maxUnavailable string
	gateTimeout    time.Duration
	timeout        time.Duration
	interval       time.Duration
	dryRun         bool
	yes            bool
	noRollback     bool
}

// rolloutOutput is what rollout prints as data: the plan, and what the run did (absent
// with --dry-run, or when nothing was run).
type rolloutOutput struct {
	Plan   *rollout.Plan   `json:"plan"`
	Result *rollout.Result `json:"result,omitempty"`
}

// newRolloutCmd builds the command; runF, when given, runs instead of the command with
// the options its flags parsed into (tests of the flags).
func newRolloutCmd(g *Factory, runF func(*rolloutOptions) error) *cobra.Command {
	o := &rolloutOptions{}
	cmd := &cobra.Command{
		Use:   "rollout -f winami.yaml [--to ami-…|ssm:/…] [--cluster NAME] [--kubeconfig … --context …] [--asg NAME,…] [--node-group NAME,…] [--canary 1|10%] [--max-unavailable 10%] [--dry-run] [--yes]",
		Short: "Move the Windows nodes to the spec's new AMI: canary first, gated on the cluster's health, rolled back on failure",
		Long: `Rollout moves the nodes that launch an AMI of the spec to the new one (--to, or the AMI
the spec's published parameter names in each region).

Targets, discovered in each region of the spec (--region narrows):
  - Auto Scaling groups (not those of managed node groups) whose launch template version
    (the group's or its mixed instances policy's) launches an AMI of the spec (tagged
    winami:name=<metadata.name>) or resolves the spec's parameter (resolve:ssm:); a
    mixed-instances override that names an AMI of the spec is a warning (rollout does not
    rewrite overrides);
  - with --cluster, the cluster's EKS managed node groups whose launch template does;
  - with --kubeconfig, the Karpenter EC2NodeClasses whose amiSelectorTerms select one.
--asg and --node-group narrow the targets to those named.

How each moves: an Auto Scaling group gets a new launch template version with the new
ImageId (none when it resolves the parameter), is pointed at it, and is replaced by an
instance refresh (min healthy percentage 100 - --max-unavailable, a checkpoint after the
canary). --gate-timeout is a limit, not a bake time: the checkpoint pauses for the
longest Auto Scaling allows (48 hours, so that the rest never goes on ungated, even if
rollout stops: run it again to follow the refresh), and once the canary passes its gate
rollout ends it early (Auto Scaling has no call for that: CancelInstanceRefresh, which
keeps the canary's instances, then a refresh of the rest toward the same configuration,
skipping matching instances; that second refresh is the one a rollback or a re-run
follows). A template whose ImageId is resolve:ssm: cannot skip matching instances, so
there the checkpoint pauses for --gate-timeout plus three polls and a minute, and the
canary waits it out. A node group gets a new launch template version and UpdateNodegroupVersion; an
EC2NodeClass that follows the parameter needs no write (Karpenter's drift replaces its
nodes and rollout watches them); one that pins the old AMI by id is patched only with
--yes.

The first target that moves is the canary's: --canary nodes (or a percentage of its
capacity) move first, then the gate: the new nodes are Ready, run the new AMI and the
expected kubelet, and their Windows pods are Running and Ready within --gate-timeout
(with --kubeconfig; without it the gate is EC2 and Auto Scaling health only). Then the
rest, target by target, each gated. A failed gate, a failed instance refresh or Ctrl-C
(after asking) rolls back what rollout changed (the instance refresh, the launch template
default version, the node group's version, the published parameter's previous value);
--no-rollback leaves things as they are.

Without --yes, rollout prints the plan and asks on a terminal (declining changes nothing
and exits 1); --yes (required when stdin is not a terminal) rolls out without asking.
--dry-run prints the plan and changes nothing. Progress goes to stderr. Running it again
resumes what is in progress, or says there is nothing to do.

Exit codes: 0 every target runs the new AMI; 1 a gate failed, the rollout was rolled back
or did not finish; 2 bad input (nothing changed).`,
		Example: `  winami rollout -f winami.yaml --dry-run
  winami rollout -f winami.yaml --cluster prod --kubeconfig ~/.kube/prod --yes
  winami rollout -f winami.yaml --asg web-windows --canary 10% --max-unavailable 25% --yes
  winami rollout -f winami.yaml --to ami-0abc1234def567890 --region us-east-1 -o json --dry-run`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runRollout(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "the spec file (winami.yaml)")
	f.StringVar(&o.to, "to", "", "the AMI to move to: ami-… (one region) or ssm:/parameter (default: the spec's published parameter)")
	f.StringVar(&o.cluster, "cluster", "", "the EKS cluster whose managed node groups are targets")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "the cluster's kubeconfig: Karpenter EC2NodeClasses are targets and the gate checks nodes and pods")
	f.StringVar(&o.kubeContext, "context", "", "kubeconfig context (with --kubeconfig)")
	f.StringSliceVar(&o.asgs, "asg", nil, "move only these Auto Scaling groups (and the node groups --node-group names)")
	f.StringSliceVar(&o.nodeGroups, "node-group", nil, "move only these managed node groups of --cluster (and the groups --asg names)")
	f.StringVar(&o.canary, "canary", "1", "nodes of the first target that move first: a number, or a percentage of its capacity (10%); 0: no canary")
	f.StringVar(&o.maxUnavailable, "max-unavailable", "10%", "percentage of a target's nodes out of service at once")
	f.DurationVar(&o.gateTimeout, "gate-timeout", 15*time.Minute, "how long the new nodes of a step have to be Ready and healthy")
	f.DurationVar(&o.timeout, "timeout", 2*time.Hour, "bound of the whole rollout")
	f.DurationVar(&o.interval, "poll-interval", waitPollInterval, "time between checks while waiting")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan and change nothing")
	f.BoolVarP(&o.yes, "yes", "y", false, "roll out without asking (required when stdin is not a terminal); also patches EC2NodeClasses that pin an AMI")
	f.BoolVar(&o.noRollback, "no-rollback", false, "when a gate fails, stop and leave things as they are")
	return cmd
}

// parseCanary reads --canary: a number of nodes, or a percentage (10%).
func parseCanary(s string) (rollout.Canary, error) {
	bad := Usagef("flag --canary %q: use a number of nodes (1), or a percentage of the first target's nodes from 1%% to 100%% (10%%); 0 for no canary", s)
	if p, ok := strings.CutSuffix(strings.TrimSpace(s), "%"); ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 100 {
			return rollout.Canary{}, bad
		}
		return rollout.Canary{Percent: n}, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return rollout.Canary{}, bad
	}
	return rollout.Canary{Count: n}, nil
}

// parsePercent reads --max-unavailable: a percentage from 1% to 100%.
func parsePercent(flag, s string) (int, error) {
	p, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	n, err := strconv.Atoi(p)
	if !ok || err != nil || n < 1 || n > 100 {
		return 0, Usagef("flag %s %q: use a percentage from 1%% to 100%% (10%%)", flag, s)
	}
	return n, nil
}

// checkRolloutFlags checks what needs neither the spec nor AWS.
func checkRolloutFlags(o *rolloutOptions) (rollout.Canary, int, error) {
	canary, err := parseCanary(o.canary)
	if err != nil {
		return canary, 0, err
	}
	maxUnavailable, err := parsePercent("--max-unavailable", o.maxUnavailable)
	if err != nil {
		return canary, 0, err
	}
	switch {
	case o.timeout <= 0:
		return canary, 0, Usagef("flag --timeout %s: use a positive duration such as 2h", o.timeout)
	case o.gateTimeout <= 0:
		return canary, 0, Usagef("flag --gate-timeout %s: use a positive duration such as 15m", o.gateTimeout)
	case checkPollInterval(o.interval, waitPollInterval) != nil:
		return canary, 0, checkPollInterval(o.interval, waitPollInterval)
	case o.dryRun && o.yes:
		return canary, 0, Usagef("flags --dry-run and --yes: --dry-run changes nothing, --yes rolls out; pass one")
	case o.kubeContext != "" && o.kubeconfig == "":
		return canary, 0, Usagef("flag --context %s: it chooses a context of --kubeconfig; pass --kubeconfig too", o.kubeContext)
	case len(o.nodeGroups) > 0 && o.cluster == "":
		return canary, 0, Usagef("flag --node-group: managed node groups belong to a cluster: pass --cluster NAME")
	}
	for _, l := range []struct {
		flag  string
		names []string
	}{{"--asg", o.asgs}, {"--node-group", o.nodeGroups}} {
		for _, n := range l.names {
			if strings.TrimSpace(n) == "" {
				return canary, 0, Usagef("flag %s: an empty name; give names separated by commas (web,api)", l.flag)
			}
		}
	}
	return canary, maxUnavailable, nil
}

// inputError turns Discover's bad input into a usage error naming the flag or field.
func inputError(file string, err error) error {
	var ie *rollout.InputError
	if !errors.As(err, &ie) {
		return err
	}
	if strings.HasPrefix(ie.Flag, "--") {
		return Usage(fmt.Errorf("flag %s: %w", ie.Flag, ie.Err))
	}
	return Usage(fmt.Errorf("%s: %s: %w", file, ie.Flag, ie.Err))
}

func runRollout(ctx context.Context, g *Factory, o *rolloutOptions) error {
	canary, maxUnavailable, err := checkRolloutFlags(o)
	if err != nil {
		return err
	}
	img, err := loadSpec(g, o.file)
	if err != nil {
		return err
	}
	regions := specRegions(g, img)
	dopts := rollout.DiscoverOptions{Regions: regions, Cluster: o.cluster, Spec: img.Metadata.Name,
		Parameter: img.Spec.Distribution.PublishParameter, To: o.to, AutoScalingGroups: o.asgs, NodeGroups: o.nodeGroups,
		Canary: canary, MaxUnavailablePercent: maxUnavailable}
	if err := rollout.CheckOptions(dopts); err != nil {
		return inputError(o.file, err)
	}
	clients, err := g.AWS(ctx, regions[0])
	if err != nil {
		return err
	}
	dopts.AWS = clients
	if o.kubeconfig != "" {
		cs, dyn, err := g.kubeClients(o.kubeconfig, o.kubeContext)
		if err != nil {
			return err
		}
		dopts.Kube = rollout.Kube{Client: cs, Dynamic: dyn, Discovery: cs.Discovery()}
	}
	plan, err := rollout.Discover(ctx, dopts)
	if err != nil {
		return describeAWSError(g, clients, inputError(o.file, err))
	}
	for _, w := range plan.Warnings {
		g.Warnf("%s", w)
	}
	// Run says how it gates when it runs; the plan alone says it here.
	gateNote := func() {
		if !plan.KubernetesGate {
			g.Infof("gate: EC2 and Auto Scaling health only (pass --kubeconfig to check the nodes and their pods)")
		}
	}
	out := &rolloutOutput{Plan: plan}
	moving := 0
	for _, t := range plan.Targets {
		if !t.UpToDate {
			moving++
		}
	}
	switch {
	case o.dryRun:
		if err := g.Print(out, func() Table { return planTable(plan) }); err != nil {
			return err
		}
		gateNote()
		g.Infof("plan: %s%s; dry run: nothing was changed", plan.Summary(), canaryNote(plan))
		return nil
	case moving == 0:
		if err := g.Print(out, func() Table { return planTable(plan) }); err != nil {
			return err
		}
		g.Infof("rollout: nothing to do (%s)", plan.Summary())
		return nil
	case !o.yes:
		if !g.prompter().CanPrompt() {
			return Usagef("rollout would move %s: pass --yes to roll out without a prompt (stdin is not a terminal); --dry-run prints the plan", plan.Summary())
		}
		if err := planTable(plan).Write(g.Stderr, g.stderrLayout()); err != nil {
			return err
		}
		gateNote()
		if !g.prompter().Confirm(fmt.Sprintf("Roll out (%s%s)?", plan.Summary(), canaryNote(plan))) {
			g.Infof("rollout: nothing changed")
			return &silentError{code: ExitProblem}
		}
	default:
		if g.tableOutput() {
			if err := planTable(plan).Write(g.Stderr, g.stderrLayout()); err != nil {
				return err
			}
		}
	}
	g.Infof("rollout: %s%s", plan.Summary(), canaryNote(plan))
	ropts := rollout.RunOptions{AWS: clients, Kube: dopts.Kube, Yes: o.yes, NoRollback: o.noRollback, Kubernetes: img.Spec.KubernetesVersion,
		Timeout: o.timeout, GateTimeout: o.gateTimeout, Poll: o.interval, Now: g.Now, Sleep: g.Sleep,
		Progress: func(format string, args ...any) { g.Infof(format, args...) },
		Interrupted: func() bool {
			if !g.prompter().CanPrompt() {
				g.Infof("interrupted: rolling back what rollout changed (no terminal to ask; --no-rollback leaves it)")
				return true
			}
			return g.prompter().Confirm("\ninterrupted: roll back what rollout changed?")
		}}
	res, runErr := rollout.Run(ctx, plan, ropts)
	out.Result = res
	if res != nil {
		if err := g.Print(out, func() Table { return resultTable(res) }); err != nil {
			return err
		}
		for _, step := range res.RolledBack {
			g.Infof("rolled back: %s", step)
		}
	}
	return rolloutExit(ctx, o, res, runErr)
}

// canaryNote says which nodes move first: "; canary: 1 node of web first".
func canaryNote(p *rollout.Plan) string {
	n := p.CanaryCount()
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; canary: %s of %s first", plural(n, "node"), p.CanaryTarget().Name)
}

// rolloutExit maps what Run did to the exit code: 0 when every target moved (or was up
// to date), 1 on a failed gate, a rollback, a target not moved, or an error.
func rolloutExit(ctx context.Context, o *rolloutOptions, res *rollout.Result, err error) error {
	if err != nil && ctx.Err() != nil {
		return err
	}
	if res != nil && res.Gate != "" {
		what := "rolled back"
		if o.noRollback {
			what = "left as it is (--no-rollback)"
		}
		return &ProblemError{Msg: fmt.Sprintf("rollout stopped: %s; %s", res.Gate, what)}
	}
	if err != nil {
		return fmt.Errorf("rolling out: %w", err)
	}
	if res == nil {
		return nil
	}
	var notMoved []string
	for _, t := range res.Targets {
		switch t.State {
		case rollout.StateMoved, rollout.StateUpToDate:
		case rollout.StateSkipped:
			notMoved = append(notMoved, t.Name+" (skipped: pass --yes to patch it)")
		default:
			notMoved = append(notMoved, t.Name+" ("+t.State+")")
		}
	}
	if len(notMoved) > 0 {
		return &ProblemError{Msg: fmt.Sprintf("rollout: not every target runs the new AMI: %s", strings.Join(notMoved, ", "))}
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// planTable is the plan for people: one row per target, in the order rollout moves them.
func planTable(p *rollout.Plan) Table {
	t := Table{Header: []string{"KIND", "NAME", "REGION", "LAUNCH TEMPLATE", "FROM", "RUNNING", "TO", "NODES", "CHANGE"},
		Wrap: []string{"FROM", "CHANGE"}, Detail: []string{"CHANGE"}}
	for _, tg := range p.Targets {
		lt := "-"
		if tg.LaunchTemplate != nil {
			lt = fmt.Sprintf("%s %s (%d)", tg.LaunchTemplate.Name, tg.LaunchTemplate.Version, tg.LaunchTemplate.Number)
			if tg.LaunchTemplate.Version == strconv.FormatInt(tg.LaunchTemplate.Number, 10) {
				lt = tg.LaunchTemplate.Name + " " + tg.LaunchTemplate.Version
			}
		}
		from := tg.From
		if tg.Follows != "" {
			from += " (" + tg.Follows + ")"
		}
		change := tg.Change
		if tg.UpToDate {
			change = "up to date"
		}
		t.Rows = append(t.Rows, []string{string(tg.Kind), tg.Name, tg.Region, lt, from, orDash(strings.Join(tg.Running, ",")), tg.To, strconv.Itoa(tg.Capacity), change})
	}
	return t
}

// resultTable is what the run did, target by target.
func resultTable(r *rollout.Result) Table {
	t := Table{Header: []string{"KIND", "NAME", "REGION", "REPLACED", "STATE", "LAUNCH TEMPLATE VERSION", "REFRESH/UPDATE", "ELAPSED"},
		Detail: []string{"REFRESH/UPDATE"}}
	for _, tr := range r.Targets {
		v := "-"
		if tr.LaunchTemplateVersion > 0 {
			v = strconv.FormatInt(tr.LaunchTemplateVersion, 10)
		}
		t.Rows = append(t.Rows, []string{string(tr.Kind), tr.Name, tr.Region, fmt.Sprintf("%d/%d", tr.Replaced, tr.Total), tr.State, v,
			orDash(tr.InstanceRefreshID + tr.UpdateID), orDash(tr.Elapsed)})
	}
	return t
}
