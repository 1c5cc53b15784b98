package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/winami/winami/check"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/spec"
)

type buildOptions struct {
	specOptions
	skipPreflight bool
	noApply       bool
	ifChanged     bool
	yes           bool
	waitRunning   bool
	failOn        string
	timeout       time.Duration
	interval      time.Duration
}

// newBuildCmd builds the command; runF, when given, runs instead of the command with the
// options its flags parsed into (tests of the flags, as cli/cli's NewCmd*).
func newBuildCmd(g *Factory, runF func(*buildOptions) error) *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "build -f winami.yaml [--yes] [--no-apply] [--if-changed] [--wait-for-running] [--fail-on critical|high] [--timeout 3h]",
		Short: "Build the AMI with EC2 Image Builder, follow it to the end and publish it",
		Long: `build applies the spec (unless --no-apply), starts the image pipeline and follows the
image through its states (progress on stderr: state, elapsed time, regions distributed).

On success it prints the AMI of every distribution region with its Fast Launch state
(-o json: {"image","amis":[{"region","imageId","fastLaunch"}],"parameter"}), makes sure
spec.distribution.publishParameter names the new AMI in every region, and prints the
Karpenter EC2NodeClass that follows that parameter. Each AMI is tagged with the build's
inputs (parent AMI, component versions, images, the spec's hash): --if-changed starts
nothing when the newest AMI was built from the same inputs (for nightly CI).

Before any change build runs the preflight (doctor's checks, without the registry
reads): credentials and permissions, the instance profile and its role, the subnet and
security groups, the instance types offered in the region and the subnet's zone, the
parent image, Amazon's eks-optimized-ami-windows for the Kubernetes version (windows-base),
the execution role and the parameter it publishes, the Fast Launch launch template in every
distribution region and who may use it. A problem stops it, exit 1, before anything is
created or started, each with its fix; --skip-preflight goes ahead anyway.

Like apply, build asks before it applies changes to the Image Builder resources: on a
terminal it shows them and asks; --yes (required when stdin is not a terminal) applies
without asking. Declining changes nothing, starts nothing and exits 1.

One build runs at a time per pipeline. When the pipeline already has an image that has
not ended, build follows it if winami started it from the same inputs (a re-run after a
build was killed: no second build); otherwise build stops (exit 1) naming the image and
how to follow it, and --wait-for-running waits for it to end (with progress), then builds.

The parameter only moves forward: when it already names an AMI newer than the build's
(from an image Image Builder started later, or else created later), build leaves it and
says so. Who wrote the version the parameter holds (Image Builder's role or winami) is
read from the parameter's history.

With spec.build.imageScanning, Image Builder scans the image with Amazon Inspector and
the distribution publishes nothing: build waits for the scan to end, counts the
findings by severity (printed after the table; -o json: "scan": {"state", "findings":
{"critical","high","medium","low","informational","untriaged","total"}}) and then
publishes the parameter itself, in the build account's regions and, as the role
EC2ImageBuilderDistributionCrossAccountRole (session winami-publish), in every region of
each spec.distribution.targetAccountIds account. --fail-on critical (or high: critical
and high) exits 1 when findings reach that level, or the scan did not complete: the AMIs
are kept, nothing is published, and the message names the findings and the
aws imagebuilder list-image-scan-findings command that lists them. A re-run with
--if-changed completes the scan check and the publishing of such a build.

A build that FAILS prints Image Builder's reason and where the logs are (the S3
location of this build's logs with spec.build.logging, and CloudWatch Logs), and exits 1.
Ctrl-C asks whether to cancel the build or leave it running (without a terminal to ask,
it is left running); --timeout bounds the wait (the build keeps running).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(&o)
			}
			return runBuild(cmd.Context(), g, &o)
		},
	}
	o.add(cmd)
	f := cmd.Flags()
	f.BoolVar(&o.skipPreflight, "skip-preflight", false, "start without the preflight checks (doctor's), for those who must")
	f.BoolVar(&o.noApply, "no-apply", false, "build the pipeline as it is in AWS, without applying the spec first")
	f.BoolVar(&o.ifChanged, "if-changed", false, "start nothing when the newest AMI was built from the same inputs")
	f.BoolVarP(&o.yes, "yes", "y", false, "apply the spec's changes without asking (required when stdin is not a terminal)")
	f.BoolVar(&o.waitRunning, "wait-for-running", false, "when the pipeline has an image running from other inputs, wait for it to end, then build")
	f.StringVar(&o.failOn, "fail-on", "", "exit 1 and publish nothing when the image's scan findings reach this severity: critical or high (needs spec.build.imageScanning)")
	f.DurationVar(&o.timeout, "timeout", 3*time.Hour, "stop waiting after this long (the build keeps running; exit 1)")
	f.DurationVar(&o.interval, "poll-interval", buildPollInterval, "time between checks of the image's state")
	return cmd
}

func runBuild(ctx context.Context, g *Factory, o *buildOptions) error {
	if o.timeout <= 0 {
		return Usagef("flag --timeout %s: use a positive duration such as 3h", o.timeout)
	}
	if err := checkPollInterval(o.interval, buildPollInterval); err != nil {
		return err
	}
	if !imagebuilder.ValidFailOn(o.failOn) {
		return Usagef("flag --fail-on %q: use %s", o.failOn, strings.Join(imagebuilder.FailOnLevels, " or "))
	}
	// --fail-on needs a spec that scans: refused as soon as the spec is loaded, before the
	// registries and AWS are read.
	o.checkSpec = func(img *spec.WindowsImage) error {
		if o.failOn != "" && !img.PublishAfterScan() {
			return Usagef("flag --fail-on %s: %s does not scan its image: enable spec.build.imageScanning (enabled: true) so that Image Builder scans it with Amazon Inspector", o.failOn, o.file)
		}
		return nil
	}
	l, err := o.load(ctx, g)
	if err != nil {
		return err
	}
	if !o.skipPreflight {
		if err := runPreflight(ctx, g, l, "build", !o.noApply); err != nil {
			return err
		}
	}
	p, err := l.Plan(ctx)
	if err != nil {
		return problem(err)
	}
	if o.noApply {
		if p.Changed() {
			g.Warnf("the Image Builder resources differ from the spec (%s): --no-apply builds them as they are; `winami plan` shows the differences", summarize(p.Changes))
		}
	} else {
		if p.Changed() && !o.yes {
			// apply's rule: changes to AWS are confirmed on a terminal, or with --yes.
			if !g.prompter().CanPrompt() {
				return Usagef("build would apply changes (%s) before building: pass --yes to apply them without a prompt (stdin is not a terminal); `winami plan` shows them, --no-apply builds without them", summarize(p.Changes))
			}
			if err := changesTable(p.Changes)().Write(g.Stderr, g.stderrLayout()); err != nil {
				return err
			}
			if !g.prompter().Confirm("Apply these changes (" + summarize(p.Changes) + ") and build?") {
				g.Infof("build: nothing changed, no build started")
				return &silentError{code: ExitProblem}
			}
		}
		if p, err = l.Apply(ctx); err != nil {
			return problem(err)
		}
	}
	// Tags move: record (and, with --if-changed, compare) what they point to now, from the
	// registry report read when the spec was loaded.
	if err := l.PinCacheDigests(ctx); err != nil {
		g.Warnf("image digests could not be resolved (%v): the build's inputs record image references only", err)
	}

	wctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	bo := imagebuilder.BuildOptions{PollInterval: o.interval, IfChanged: o.ifChanged, WaitForRunning: o.waitRunning, FailOn: o.failOn, Progress: progressPrinter(g)}
	res, err := l.Build(wctx, p, bo)
	if ge := (*imagebuilder.ScanGateError)(nil); errors.As(err, &ge) && res != nil {
		// The gate stopped the build: the result (AMIs, counts) is data all the same.
		if perr := g.Print(res, buildTable(res)); perr != nil {
			return perr
		}
		printScan(g, res)
		return scanGateError(g, ge)
	}
	if err != nil {
		return buildError(ctx, g, l, o, err)
	}
	if res.Skipped {
		g.Infof("build: nothing changed since the newest AMI (inputs %s): no build started", res.InputsHash)
	}
	for _, pub := range res.Published {
		reportPublication(g, res, pub)
	}
	for _, a := range res.AMIs {
		if a.FastLaunch != "" && strings.HasSuffix(a.FastLaunch, "-failed") {
			g.Warnf("Fast Launch of %s in %s is %s: %s", a.ImageID, a.Region, a.FastLaunch, a.FastLaunchReason)
		}
	}
	if err := g.Print(res, buildTable(res)); err != nil {
		return err
	}
	printScan(g, res)
	snippet := karpenterSnippet(l.Spec, res)
	if g.tableOutput() {
		_, err := fmt.Fprint(g.Stdout, "\n"+snippet)
		return err
	}
	_, err = fmt.Fprint(g.Stderr, snippet)
	return err
}

// reportPublication says on stderr which AMI the parameter names in a region and who wrote
// that version, as its history shows.
func reportPublication(g *Factory, res *imagebuilder.BuildResult, pub imagebuilder.Publication) {
	var who string
	switch pub.By {
	case imagebuilder.ByImageBuilder:
		who = "by Image Builder's ssmParameterConfigurations as " + pub.ModifiedBy
	case imagebuilder.ByWinami:
		who = "by winami (this build) as " + pub.ModifiedBy
	default:
		who = "by " + dash(pub.ModifiedBy)
	}
	where := pub.Region
	if pub.Account != "" && pub.Account != buildAccount(res) {
		where += " of account " + pub.Account
	}
	if pub.Kept {
		ours := ""
		for _, a := range res.AMIs {
			if a.Region == pub.Region && (pub.Account == "" || a.Account == pub.Account) {
				ours = a.ImageID
			}
		}
		g.Warnf("%s in %s still names %s (version %d, written %s), newer than this build's %s: left as it is (a parameter never goes back): %s",
			res.Parameter, where, pub.ImageID, pub.Version, who, ours, pub.Reason)
		return
	}
	line := fmt.Sprintf("published %s in %s: %s (version %d, written %s)", res.Parameter, where, pub.ImageID, pub.Version, who)
	if pub.Reason != "" {
		line += "; it replaced an older AMI: " + pub.Reason
	}
	g.Infof("%s", line)
}

// runPreflight runs the build preflight (pipeline.Pipeline.Preflight: doctor's checks
// without the registry reads) before a command's first change. Warnings are shown;
// failures are listed on stderr, each with its fix, and stop the command (exit 1) with
// nothing changed. applies tells whether the command applies the spec first (what
// --create-roles and --create-instance-profile will create is then no problem).
func runPreflight(ctx context.Context, g *Factory, l *loaded, command string, applies bool) error {
	start := time.Now()
	checks, err := l.Preflight(ctx, applies)
	if err != nil {
		return describeAWSError(g, l.clients, fmt.Errorf("running the preflight checks: %w", err))
	}
	for _, c := range checks {
		if c.Status == check.Warn {
			msg := c.Name + ": " + c.Message
			if c.Fix != "" {
				msg += " (fix: " + c.Fix + ")"
			}
			g.Warnf("%s", msg)
		}
	}
	problems := check.Problems(checks)
	if len(problems) == 0 {
		g.Infof("preflight: %d checks passed (%s)", len(checks), time.Since(start).Round(time.Millisecond))
		return nil
	}
	if command == "plan" {
		g.Infof("preflight: %d problem(s); apply and build would stop before any change:", len(problems))
	} else {
		g.Infof("preflight: %d problem(s); %s changed nothing:", len(problems), command)
	}
	for _, c := range problems {
		g.Infof("  %s: %s", c.Name, c.Message)
		if c.Fix != "" {
			g.Infof("    fix: %s", c.Fix)
		}
	}
	if command == "plan" {
		return &ProblemError{Msg: fmt.Sprintf("plan: apply and build would be stopped by the preflight (%d problem(s) above): fix them (--skip-preflight skips the checks)", len(problems))}
	}
	return &ProblemError{Msg: fmt.Sprintf("%s: stopped by the preflight (%d problem(s) above); fix them, or pass --skip-preflight to go ahead anyway", command, len(problems))}
}

// progressPrinter writes one stderr line per change of state or of distributed regions.
func progressPrinter(g *Factory) func(imagebuilder.Progress) {
	seen := map[string]bool{}
	return func(p imagebuilder.Progress) {
		el := p.Elapsed.Round(time.Second)
		line := fmt.Sprintf("[%s] %s %s", el, p.State, p.Image)
		if p.Reason != "" {
			line += ": " + p.Reason
		}
		g.Infof("%s", line)
		own := buildAccount(&imagebuilder.BuildResult{Image: p.Image})
		for _, a := range p.Regions {
			// Per image: --wait-for-running follows another image before this build's own.
			if key := p.Image + " " + a.Account + " " + a.Region; !seen[key] {
				seen[key] = true
				where := a.Region
				if a.Account != "" && a.Account != own {
					where += " of account " + a.Account
				}
				g.Infof("[%s]   distributed to %s: %s", el, where, a.ImageID)
			}
		}
	}
}

// buildError reports a build that failed, was interrupted or timed out.
func buildError(ctx context.Context, g *Factory, l *loaded, o *buildOptions, err error) error {
	var fe *imagebuilder.FailedError
	var we *imagebuilder.WaitError
	var re *imagebuilder.RunningError
	switch {
	case errors.As(err, &re):
		g.Infof("build: image pipeline %s already has an image that has not ended: %s (%s, started %s)", re.Pipeline, re.Running.Image, re.Running.State, dash(re.Running.Created))
		if re.Running.InputsHash == "" {
			g.Infof("  it was not started by winami (a schedule, the console, another tool): its inputs are unknown")
		} else {
			g.Infof("  it was started from other inputs (%s; this build's are different): two builds would race to publish %s", re.Running.InputsHash, dash(l.Desired.PublishParameter))
		}
		g.Infof("  wait for it, then build:  winami build -f %s --wait-for-running", o.file)
		g.Infof("  follow it:                aws imagebuilder get-image --region %s --image-build-version-arn %s", l.Desired.Region, re.Running.Image)
		return &ProblemError{Msg: fmt.Sprintf("build: not started: image %s of pipeline %s is %s", re.Running.Image, re.Pipeline, re.Running.State)}
	case errors.As(err, &we) && we.Other:
		return &ProblemError{Msg: fmt.Sprintf("stopped waiting for image %s (another build's, last state %s): %v; no build started, that image keeps running",
			we.Image, dash(we.State), we.Err)}
	case errors.As(err, &we) && we.Scanning:
		// The image is AVAILABLE: there is nothing to cancel, and nothing was published.
		how := "stopped"
		if ctx.Err() == nil {
			how = "timed out after " + o.timeout.String()
		}
		return &ProblemError{Msg: fmt.Sprintf("%s waiting for the vulnerability scan of image %s (%s): its AMIs exist, nothing was published; `winami build -f %s --if-changed` checks the scan and publishes them",
			how, we.Image, dash(we.State), o.file)}
	case errors.As(err, &fe):
		g.Infof("build %s: %s", fe.State, fe.Image)
		g.Infof("  reason: %s", dash(fe.Reason))
		g.Infof("  logs:   %s", fe.Logs)
		if fe.S3Logs != "" {
			g.Infof("  read them: aws s3 cp --recursive %s ./%s-logs/", fe.S3Logs, l.Desired.Name)
		}
		return &ProblemError{Msg: fmt.Sprintf("image %s ended %s", fe.Image, fe.State)}
	case errors.As(err, &we) && ctx.Err() != nil:
		// Ctrl-C (the command's context ended, not the timeout).
		how := fmt.Sprintf("aws imagebuilder cancel-image-creation --region %s --image-build-version-arn %s", l.Desired.Region, we.Image)
		if !g.prompter().CanPrompt() {
			g.Infof("interrupted: the build keeps running (no terminal to ask whether to cancel it): %s", we.Image)
			g.Infof("cancel it with: %s", how)
			return &silentError{code: ExitProblem}
		}
		if g.prompter().Confirm(fmt.Sprintf("\ninterrupted: cancel the build %s?", we.Image)) {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if err := l.Cancel(cctx, we.Image); err != nil {
				return err
			}
			g.Infof("cancelled: %s", we.Image)
		} else {
			g.Infof("left running: %s (cancel it with: %s)", we.Image, how)
		}
		return &silentError{code: ExitProblem}
	case errors.As(err, &we) && errors.Is(err, context.DeadlineExceeded):
		return &ProblemError{Msg: fmt.Sprintf("timed out after %s waiting for image %s (last state %s); the build keeps running",
			o.timeout, we.Image, dash(we.State))}
	}
	return problem(err)
}

func buildTable(res *imagebuilder.BuildResult) func() Table {
	return func() Table {
		// The account column only when the AMI was copied into target accounts.
		own, accounts := buildAccount(res), false
		for _, a := range res.AMIs {
			if a.Account != "" && a.Account != own {
				accounts = true
			}
		}
		t := Table{Header: []string{"REGION", "IMAGE ID", "FAST LAUNCH", "PARAMETER"}}
		if accounts {
			t.Header = []string{"ACCOUNT", "REGION", "IMAGE ID", "FAST LAUNCH", "PARAMETER"}
		}
		for _, a := range res.AMIs {
			fl := a.FastLaunch
			if a.FastLaunchReason != "" {
				fl += " (" + a.FastLaunchReason + ")"
			}
			row := []string{a.Region, a.ImageID, dash(fl), dash(res.Parameter)}
			if accounts {
				row = append([]string{dash(a.Account)}, row...)
			}
			t.Rows = append(t.Rows, row)
		}
		return t
	}
}

// buildAccount is the build account: the image ARN's ("" when unknown).
func buildAccount(res *imagebuilder.BuildResult) string {
	parts := strings.SplitN(res.Image, ":", 6)
	if len(parts) == 6 {
		return parts[4]
	}
	return ""
}

// printScan prints the scan's counts: after the table on a terminal, on stderr otherwise
// (stdout then carries JSON or YAML, which has them).
func printScan(g *Factory, res *imagebuilder.BuildResult) {
	s := res.Scan
	if s == nil {
		return
	}
	var line string
	switch f := s.Findings; {
	case f != nil:
		line = fmt.Sprintf("vulnerability scan %s: %d finding(s): critical %d, high %d, medium %d, low %d, informational %d, untriaged %d",
			s.State, f.Total, f.Critical, f.High, f.Medium, f.Low, f.Informational, f.Untriaged)
	default:
		line = fmt.Sprintf("vulnerability scan %s: no findings counted", dash(s.State))
		if s.Reason != "" {
			line += " (" + s.Reason + ")"
		}
	}
	if g.tableOutput() {
		_, _ = fmt.Fprintln(g.Stdout, "\n"+line)
		return
	}
	g.Infof("%s", line)
}

// scanGateError reports a build the scan gate stopped: which findings, where to see them,
// that the AMIs stay and nothing was published (exit 1).
func scanGateError(g *Factory, ge *imagebuilder.ScanGateError) error {
	s := ge.Scan
	if s.Completed() {
		g.Infof("build: %d finding(s) reach --fail-on %s:", len(s.Blocking), s.FailOn)
		for i, f := range s.Blocking {
			if i == 20 {
				g.Infof("  … and %d more", len(s.Blocking)-20)
				break
			}
			g.Infof("  %s %s", f.Severity, f.Describe())
		}
	} else {
		reason := ""
		if s.Reason != "" {
			reason = " (" + s.Reason + ")"
		}
		g.Infof("build: the vulnerability scan ended %s%s: --fail-on %s cannot be checked", dash(s.State), reason, s.FailOn)
	}
	g.Infof("  see the findings: %s", imagebuilder.FindingsCommand(ge.Region, ge.Image))
	own := buildAccount(&imagebuilder.BuildResult{Image: ge.Image})
	for _, a := range ge.AMIs {
		acct := ""
		if a.Account != "" && a.Account != own {
			acct = " (account " + a.Account + ")"
		}
		g.Infof("  kept: %s in %s%s", a.ImageID, a.Region, acct)
	}
	what := "nothing was published"
	if ge.Parameter != "" {
		what = ge.Parameter + " was not published"
	}
	return &ProblemError{Msg: fmt.Sprintf("build: image %s stopped by --fail-on %s: %s; the AMI(s) were kept", ge.Image, s.FailOn, what)}
}

// karpenterSnippet is an EC2NodeClass that follows the published parameter (or, without
// one, selects the AMIs by id).
func karpenterSnippet(img *spec.WindowsImage, res *imagebuilder.BuildResult) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	family := "Windows" + img.Spec.Windows.Version
	w("# Karpenter EC2NodeClass for %s (built image %s).", img.Metadata.Name, res.Image)
	if res.Parameter != "" {
		w("# Nodes follow %s: the next `winami build` rolls them (Karpenter drift).", res.Parameter)
		w("# Launch templates can use the same parameter: ImageId resolve:ssm:%s", res.Parameter)
	}
	if img.Spec.Windows.Version == "2025" {
		w("# Check that your Karpenter version knows amiFamily %s.", family)
	}
	w("apiVersion: karpenter.k8s.aws/v1")
	w("kind: EC2NodeClass")
	w("metadata:")
	w("  name: %s", img.Metadata.Name)
	w("spec:")
	w("  amiFamily: %s", family)
	w("  amiSelectorTerms:")
	if res.Parameter != "" {
		w("    - ssmParameter: %s", res.Parameter)
	} else {
		own := buildAccount(res)
		for _, a := range res.AMIs {
			// Nodes of a target account select its own copy there.
			if a.Account == "" || own == "" || a.Account == own {
				w("    - id: %s   # %s", a.ImageID, a.Region)
			}
		}
	}
	w("  role: KarpenterNodeRole-CLUSTER          # your node role")
	w("  subnetSelectorTerms:")
	w("    - tags: {karpenter.sh/discovery: CLUSTER}")
	w("  securityGroupSelectorTerms:")
	w("    - tags: {karpenter.sh/discovery: CLUSTER}")
	return b.String()
}
