package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/winami/winami/awsapi"
)

// DefaultCommandTimeout bounds a command that has no bound of its own, so that nothing
// waits forever (every request has its own timeout besides, awsapi.DefaultRequestTimeout
// and images.DefaultAttemptTimeout).
const DefaultCommandTimeout = 30 * time.Minute

// ownBound are the commands that wait on purpose and bound the wait with their own
// --timeout (build, fast-launch enable --wait, prune, rollout), or run until interrupted (sandbox):
// they have no overall bound unless --command-timeout gives one.
var ownBound = map[string]bool{"build": true, "sandbox": true, "prune": true, "enable": true, "disable": true, "rollout": true}

// commandTimeout is the bound of cmd: --command-timeout when given, else
// DefaultCommandTimeout for a command without a bound of its own.
func commandTimeout(cmd *cobra.Command, given time.Duration) time.Duration {
	if given > 0 {
		return given
	}
	if ownBound[cmd.Name()] {
		return 0
	}
	return DefaultCommandTimeout
}

// errCommandTimeout is the cause of a command's context when its bound ends.
var errCommandTimeout = errors.New("the command's time is up")

// NewRoot builds the winami command tree on f: its global flags set f's fields, and
// every command is built from f.
func NewRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "winami",
		Short: "Manage Amazon EKS-optimized Windows AMIs",
		Long: `winami resolves, builds, caches, fast-launches, publishes, audits and prunes
Amazon EKS-optimized Windows AMIs.

It reads the standard AWS settings (AWS_PROFILE, AWS_REGION, --region, --profile,
AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>). Data goes to stdout (-o table|json|yaml),
progress and errors to stderr. Exit codes: 0 success, 1 the operation failed or found a
problem, 2 bad input.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(f.Output); err != nil {
				return err
			}
			if err := checkRegionFlag(cmd, f); err != nil {
				return err
			}
			if f.RequestTimeout < 0 || f.CommandTimeout < 0 {
				return Usagef("--request-timeout and --command-timeout take a positive duration such as 30s or 10m")
			}
			ctx := cmd.Context()
			if f.RequestTimeout > 0 {
				ctx = awsapi.WithRequestTimeout(ctx, f.RequestTimeout)
			}
			if d := commandTimeout(cmd, f.CommandTimeout); d > 0 {
				f.deadline = d
				ctx, f.cancel = context.WithTimeoutCause(ctx, d, errCommandTimeout)
				f.ctx = ctx
			}
			cmd.SetContext(ctx)
			return nil
		},
	}
	root.SetOut(f.Stdout)
	root.SetErr(f.Stderr)
	if f.Stdin != nil {
		root.SetIn(f.Stdin)
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&f.Output, "output", "o", FormatTable, "output format: table, json or yaml")
	pf.StringVar(&f.Region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	pf.StringVar(&f.Profile, "profile", "", "AWS shared-config profile (default: AWS_PROFILE)")
	pf.DurationVar(&f.RequestTimeout, "request-timeout", awsapi.DefaultRequestTimeout, "bound of one attempt of one AWS request: connect, response headers and body (timed-out attempts are retried, up to 3)")
	pf.DurationVar(&f.CommandTimeout, "command-timeout", 0, "bound of the whole command (default 30m; none for build, prune, rollout, fast-launch enable/disable and sandbox, which bound their waits with --timeout)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return Usage(err) })
	root.AddCommand(
		newApplyCmd(f),
		newAuditCmd(f, nil),
		newBuildCmd(f, nil),
		newDoctorCmd(f),
		newFastLaunchCmd(f),
		newIAMPolicyCmd(f),
		newImagesCmd(f),
		newPlanCmd(f),
		newPruneCmd(f, nil),
		newRenderCmd(f, nil),
		newResolveCmd(f, nil),
		newRolloutCmd(f, nil),
		newSandboxCmd(f),
		newVersionCmd(f),
	)
	return root
}

// Run executes winami with args on the given streams (NewFactory) and returns the exit
// code. Errors are printed to stderr.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return Execute(ctx, NewFactory(stdin, stdout, stderr), args)
}

// Execute runs winami with args on f and returns the exit code. Errors are printed to
// f's stderr.
func Execute(ctx context.Context, f *Factory, args []string) int {
	stderr := f.Stderr
	root := NewRoot(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	// Only the command's own bound: a request's timeout is a DeadlineExceeded too.
	timedOut := f.ctx != nil && errors.Is(context.Cause(f.ctx), errCommandTimeout)
	if f.cancel != nil {
		f.cancel()
	}
	if err == nil {
		return ExitOK
	}
	if timedOut {
		err = fmt.Errorf("%w (winami stopped after --command-timeout %s)", err, f.deadline)
	}
	code := ExitCode(err)
	if isCobraUsage(err.Error()) {
		code = ExitUsage
	}
	var s *silentError
	switch {
	case errors.As(err, &s):
	case isInterrupted(err):
		_, _ = fmt.Fprintln(stderr, "winami: interrupted")
	default:
		msg := err.Error()
		if code == ExitUsage && isCobraUsage(msg) {
			msg += "\nRun '" + root.CommandPath() + " --help' for usage."
		}
		_, _ = fmt.Fprintln(stderr, "error: "+msg)
	}
	return code
}

func isCobraUsage(msg string) bool {
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown flag") ||
		strings.HasPrefix(msg, "unknown shorthand flag") || strings.Contains(msg, "accepts ") ||
		strings.HasPrefix(msg, "invalid argument")
}

// Main runs winami as a process would and exits.
func Main(ctx context.Context) {
	os.Exit(Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// exactArgs and noArgs wrap cobra's argument checks so that their errors exit 2.
func noArgs(cmd *cobra.Command, args []string) error {
	if err := fileArgHint(cmd, args); err != nil {
		return err
	}
	return Usage(cobra.NoArgs(cmd, args))
}
