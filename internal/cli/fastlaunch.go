package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/check"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/resolve"
	"github.com/winami/winami/spec"
)

// waitFlags are the flags of commands that can wait for Fast Launch to settle.
type waitFlags struct {
	wait     bool
	timeout  time.Duration
	interval time.Duration
}

func (w *waitFlags) add(cmd *cobra.Command, what string) {
	f := cmd.Flags()
	f.BoolVar(&w.wait, "wait", false, "wait until Fast Launch is "+what+" (progress on stderr)")
	f.DurationVar(&w.timeout, "timeout", 30*time.Minute, "with --wait: give up after this long (exit 1, last state shown)")
	f.DurationVar(&w.interval, "poll-interval", 15*time.Second, "with --wait: first pause between polls (grows to 8× that)")
	_ = f.MarkHidden("poll-interval")
}

func (w *waitFlags) validate() error {
	if w.timeout <= 0 {
		return Usagef("flag --timeout %s: use a positive duration such as 30m", w.timeout)
	}
	if w.interval <= 0 {
		return Usagef("flag --poll-interval %s: use a positive duration such as 15s", w.interval)
	}
	return nil
}

func (w *waitFlags) options(g *Factory) fastlaunch.WaitOptions {
	start := time.Now()
	return fastlaunch.WaitOptions{
		Timeout:     w.timeout,
		Interval:    w.interval,
		MaxInterval: 8 * w.interval,
		Progress: func(st fastlaunch.Status) {
			msg := fmt.Sprintf("%s %s: %s", st.Region, st.ImageID, st.State)
			if st.StateReason != "" {
				msg += " (" + st.StateReason + ")"
			}
			g.Infof("%s [%s]", msg, time.Since(start).Round(time.Second))
		},
	}
}

func newFastLaunchCmd(g *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fast-launch",
		Short: "Enable, disable and watch EC2 Windows Fast Launch for an AMI you own",
		Long: `Fast Launch keeps pre-provisioned snapshots of a Windows AMI that already went through
Sysprep specialize, OOBE and the reboot, so new Windows nodes boot much faster.

EC2 accepts it only for AMIs your account owns (never the public Amazon EKS AMI), with at
least 6 parallel launches, a launch template or a default VPC, the right to launch
instances from the AMI with the launch template (ec2:RunInstances, ec2:CreateTags on
launch, iam:PassRole of its instance profile's role: ` + "`winami iam-policy --for operator`" + ` grants
them) and, the first time, the right to create its service-linked role. "enable" checks
each of those first and says how to fix what fails. --image takes an AMI ID or a published SSM parameter (ssm:/winami/…/image_id),
resolved in the region.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return Usagef("fast-launch: name a subcommand: enable, disable or status")
		},
	}
	cmd.AddCommand(newFastLaunchEnableCmd(g, nil), newFastLaunchDisableCmd(g, nil), newFastLaunchStatusCmd(g, nil))
	return cmd
}

type fastLaunchEnableOptions struct {
	image          string
	snapshots      int32
	maxParallel    int32
	launchTemplate string
	dryRun         bool
	waitFlags
}

// newFastLaunchEnableCmd builds the command; runF, when given, runs instead of the command with the
// options its flags parsed into (tests of the flags, as cli/cli's NewCmd*).
func newFastLaunchEnableCmd(g *Factory, runF func(*fastLaunchEnableOptions) error) *cobra.Command {
	o := &fastLaunchEnableOptions{}
	cmd := &cobra.Command{
		Use:   "enable --image ami-…|ssm:/name",
		Short: "Check the prerequisites and turn Fast Launch on",
		Example: `  winami fast-launch enable --image ami-0123456789abcdef0 --wait
  winami fast-launch enable --image ssm:/winami/prod-win2022/image_id --region us-west-2 --snapshots 5
  winami fast-launch enable --image ami-0123456789abcdef0 --launch-template win-nodes:3 --dry-run`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runFastLaunchEnable(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.image, "image", "", "AMI ID (ami-…) or SSM parameter (ssm:/name) holding it")
	f.Int32Var(&o.snapshots, "snapshots", fastlaunch.DefaultTargetSnapshots, "pre-provisioned snapshots to keep (TargetResourceCount)")
	f.Int32Var(&o.maxParallel, "max-parallel", fastlaunch.MinParallelLaunches, "instances launched at once to make snapshots (6 or more)")
	f.StringVar(&o.launchTemplate, "launch-template", "", "launch template for the snapshot instances: lt-… or name, optionally :version (default: the default VPC)")
	f.BoolVar(&o.dryRun, "dry-run", false, "run the preflight and EC2's DryRun; change nothing")
	o.add(cmd, "enabled")
	return cmd
}

// singleRegion checks that --region names one region at most.
func singleRegion(g *Factory) error {
	if strings.Contains(g.Region, ",") || strings.EqualFold(g.Region, "all") {
		return Usagef("flag --region %q: this command works in one region; pass one", g.Region)
	}
	return nil
}

func checkImageRef(ref string) error {
	if ref == "" {
		return Usagef("flag --image is required: pass ami-… or ssm:/parameter/name")
	}
	if !strings.HasPrefix(ref, "ami-") && !strings.HasPrefix(ref, "ssm:/") {
		return Usagef("flag --image %q: pass an AMI ID (ami-…) or an SSM parameter (ssm:/parameter/name)", ref)
	}
	return nil
}

// fastLaunchClient loads the AWS configuration for one region and resolves the image there.
func fastLaunchClient(ctx context.Context, g *Factory, imageRef string) (*fastlaunch.Client, *awsapi.Clients, string, error) {
	if err := singleRegion(g); err != nil {
		return nil, nil, "", err
	}
	clients, err := g.AWS(ctx, "")
	if err != nil {
		return nil, nil, "", err
	}
	if clients.Region() == "" {
		return nil, nil, "", Usage(awsapi.ErrNoRegion)
	}
	c := fastlaunch.New(clients, clients.Region())
	imageID, err := c.ResolveImage(ctx, imageRef)
	if err != nil {
		return nil, nil, "", describeAWSError(g, clients, err)
	}
	if imageID != imageRef {
		g.Infof("%s: %s is %s", c.Region, imageRef, imageID)
	}
	return c, clients, imageID, nil
}

func runFastLaunchEnable(ctx context.Context, g *Factory, o *fastLaunchEnableOptions) error {
	if err := checkImageRef(o.image); err != nil {
		return err
	}
	if err := checkLaunchTemplateFlag(o.launchTemplate); err != nil {
		return err
	}
	// The same rules as the spec's fastLaunch fields these flags mirror.
	if msg := spec.CheckTargetSnapshots(int(o.snapshots)); msg != "" {
		return Usagef("flag --snapshots: %s (spec.distribution.fastLaunch.targetSnapshots takes the same)", msg)
	}
	if msg := spec.CheckMaxParallelLaunches(int(o.maxParallel)); msg != "" {
		return Usagef("flag --max-parallel: %s (spec.distribution.fastLaunch.maxParallelLaunches takes the same)", msg)
	}
	if err := o.validate(); err != nil {
		return err
	}
	if o.dryRun && o.wait {
		return Usagef("flags --dry-run and --wait: a dry run changes nothing, so there is nothing to wait for")
	}
	c, clients, imageID, err := fastLaunchClient(ctx, g, o.image)
	if err != nil {
		return err
	}
	settings := fastlaunch.Settings{TargetSnapshots: o.snapshots, MaxParallelLaunches: o.maxParallel, LaunchTemplate: o.launchTemplate}
	res, err := c.Enable(ctx, imageID, settings, fastlaunch.EnableOptions{DryRun: o.dryRun})
	if res != nil {
		printChecks(g, res.Checks)
	}
	var pe *check.PreflightError
	if errors.As(err, &pe) {
		if err := launchTemplateMissing(pe, o.launchTemplate); err != nil {
			return err
		}
		return &ProblemError{Msg: preflightMessage(pe)}
	}
	if err != nil {
		return describeAWSError(g, clients, err)
	}
	if o.dryRun {
		g.Infof("dry run: the preflight and EC2's DryRun passed; nothing was changed")
		return g.Print(res, func() Table { return checksTable(res.Checks) })
	}
	if o.wait {
		return waitAndPrint(ctx, g, c, imageID, fastlaunch.UntilEnabled, o.waitFlags)
	}
	return printStatus(g, *res.Status)
}

// waitAndPrint waits for the image's Fast Launch to reach target, prints the last state
// and maps Wait's error (waitError).
func waitAndPrint(ctx context.Context, g *Factory, c *fastlaunch.Client, imageID string, target fastlaunch.Target, w waitFlags) error {
	st, err := c.Wait(ctx, imageID, target, w.options(g))
	if perr := printStatus(g, st); perr != nil {
		return perr
	}
	return waitError(err)
}

// printStatus prints one image's Fast Launch status.
func printStatus(g *Factory, st fastlaunch.Status) error {
	return g.Print(st, func() Table { return statusTable([]fastlaunch.Status{st}) })
}

// waitError maps Wait's errors to exit 1 with the message (the last state is already printed).
func waitError(err error) error {
	if err == nil {
		return nil
	}
	var fe *fastlaunch.FailedError
	var te *fastlaunch.TimeoutError
	if errors.As(err, &fe) || errors.As(err, &te) {
		return &ProblemError{Msg: err.Error()}
	}
	return err
}

func preflightMessage(pe *check.PreflightError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Fast Launch cannot be enabled for %s in %s:", pe.ImageID, pe.Region)
	for _, c := range pe.Checks {
		if c.Status != check.Fail {
			continue
		}
		fmt.Fprintf(&b, "\n  - %s", c.Message)
		if c.Fix != "" {
			fmt.Fprintf(&b, "\n    fix: %s", c.Fix)
		}
	}
	return b.String()
}

// printChecks writes the preflight, one check a line, to stderr.
func printChecks(g *Factory, checks []check.Check) {
	for _, c := range checks {
		line := fmt.Sprintf("%-4s  %s", c.Status, c.Message)
		if c.Status != check.Pass && c.Fix != "" {
			line += " — " + c.Fix
		}
		g.Infof("%s", line)
	}
}

func checksTable(checks []check.Check) Table {
	t := Table{Header: []string{"CHECK", "STATUS", "MESSAGE", "FIX"}}
	for _, c := range checks {
		t.Rows = append(t.Rows, []string{c.Name, c.Status, c.Message, orDash(c.Fix)})
	}
	return t
}

type fastLaunchDisableOptions struct {
	image  string
	force  bool
	dryRun bool
	waitFlags
}

// newFastLaunchDisableCmd builds the command; runF, when given, runs instead of the command with the
// options its flags parsed into (tests of the flags, as cli/cli's NewCmd*).
func newFastLaunchDisableCmd(g *Factory, runF func(*fastLaunchDisableOptions) error) *cobra.Command {
	o := &fastLaunchDisableOptions{}
	cmd := &cobra.Command{
		Use:   "disable --image ami-…|ssm:/name",
		Short: "Turn Fast Launch off and let EC2 remove the pre-provisioned snapshots",
		Example: `  winami fast-launch disable --image ami-0123456789abcdef0 --wait
  winami fast-launch disable --image ami-0123456789abcdef0 --force`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runFastLaunchDisable(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.image, "image", "", "AMI ID (ami-…) or SSM parameter (ssm:/name) holding it")
	f.BoolVar(&o.force, "force", false, "ask EC2 to ignore errors while it cleans up the snapshots")
	f.BoolVar(&o.dryRun, "dry-run", false, "run EC2's DryRun; change nothing")
	o.add(cmd, "disabled and its snapshots are gone")
	return cmd
}

func runFastLaunchDisable(ctx context.Context, g *Factory, o *fastLaunchDisableOptions) error {
	if err := checkImageRef(o.image); err != nil {
		return err
	}
	if err := o.validate(); err != nil {
		return err
	}
	c, clients, imageID, err := fastLaunchClient(ctx, g, o.image)
	if err != nil {
		return err
	}
	st, err := c.Disable(ctx, imageID, o.force, o.dryRun)
	if err != nil {
		return describeAWSError(g, clients, err)
	}
	switch {
	case st.State == fastlaunch.StateGone:
		g.Infof("%s %s: Fast Launch is not enabled; nothing to do", c.Region, imageID)
	case o.dryRun:
		g.Infof("dry run: EC2's DryRun passed; nothing was changed")
	case o.wait:
		return waitAndPrint(ctx, g, c, imageID, fastlaunch.UntilGone, o.waitFlags)
	}
	return printStatus(g, st)
}

type fastLaunchStatusOptions struct {
	image string
}

// newFastLaunchStatusCmd builds the command; runF, when given, runs instead of the command with the
// options its flags parsed into (tests of the flags, as cli/cli's NewCmd*).
func newFastLaunchStatusCmd(g *Factory, runF func(*fastLaunchStatusOptions) error) *cobra.Command {
	o := &fastLaunchStatusOptions{}
	cmd := &cobra.Command{
		Use:   "status [--image ami-…|ssm:/name] [--region r1,…|all]",
		Short: "Show the Fast Launch state of an image, or of every Fast Launch image, per region",
		Long: `Status shows, per region, the state, target snapshots, max parallel launches, launch
template, state reason and since when. Without --image it lists every image of the account
with Fast Launch settings. --region takes a list or all; an ssm: image is resolved in each.
Exit 1 when a region could not be read or an image is in a *-failed state.`,
		Example: `  winami fast-launch status
  winami fast-launch status --image ssm:/winami/prod-win2022/image_id --region us-east-1,us-west-2 -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runFastLaunchStatus(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.image, "image", "", "AMI ID (ami-…) or SSM parameter (ssm:/name); default: every Fast Launch image")
	return cmd
}

func runFastLaunchStatus(ctx context.Context, g *Factory, o *fastLaunchStatusOptions) error {
	if o.image != "" {
		if err := checkImageRef(o.image); err != nil {
			return err
		}
		if strings.HasPrefix(o.image, "ami-") && (strings.Contains(g.Region, ",") || strings.EqualFold(g.Region, "all")) {
			g.Warnf("AMI IDs are regional: %s exists in one region at most (use ssm:/… to follow a published image across regions)", o.image)
		}
	}
	axis := resolve.ParseAxis([]string{g.Region})
	clients, err := g.AWS(ctx, "")
	if err != nil {
		return err
	}
	regions := axis.Values
	if axis.All {
		if clients.Region() == "" {
			return Usagef("flag --region all: set AWS_REGION (or a region in the profile) so winami can list the regions")
		}
		regions, err = resolve.AllRegions(ctx, clients.EC2(clients.Region()))
		if err != nil {
			return describeAWSError(g, clients, err)
		}
	}
	if len(regions) == 0 {
		if clients.Region() == "" {
			return Usage(awsapi.ErrNoRegion)
		}
		regions = []string{clients.Region()}
	}
	all := fastlaunch.StatusAll(ctx, clients, regions, o.image)
	bad := 0
	for _, st := range all {
		if st.Bad() {
			bad++
		}
	}
	if err := g.Print(all, func() Table { return statusTable(all) }); err != nil {
		return err
	}
	if bad > 0 {
		for _, st := range all {
			switch {
			case st.Error != "":
				g.Infof("%s: %s", st.Region, st.Error)
			case fastlaunch.Failed(st.State):
				g.Infof("%s %s: %s: %s", st.Region, st.ImageID, st.State, orDash(st.StateReason))
			}
		}
		return &ProblemError{Msg: fmt.Sprintf("%d Fast Launch entries failed or could not be read", bad)}
	}
	if len(all) == 0 {
		g.Infof("no image has Fast Launch settings in %s", strings.Join(regions, ", "))
	}
	return nil
}

func statusTable(sts []fastlaunch.Status) Table {
	t := Table{Header: []string{"REGION", "IMAGE", "STATE", "SNAPSHOTS", "MAX PARALLEL", "LAUNCH TEMPLATE", "REASON", "SINCE"}}
	for _, s := range sts {
		n := func(v int32) string {
			if v == 0 {
				return "-"
			}
			return strconv.Itoa(int(v))
		}
		reason := s.StateReason
		if s.Error != "" {
			reason = s.Error
		}
		t.Rows = append(t.Rows, []string{s.Region, s.ImageID, s.State, n(s.TargetSnapshots), n(s.MaxParallelLaunches), orDash(s.LaunchTemplate), orDash(reason), stamp(s.Since)})
	}
	return t
}
