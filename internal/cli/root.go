package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/winami/winami/awsapi"
)

// Globals are the settings every command takes.
type Globals struct {
	// Output is the format of data on stdout: table, json or yaml.
	Output string
	// Region is --region (the SDK's AWS_REGION when empty).
	Region string
	// Profile is --profile (AWS_PROFILE when empty).
	Profile string
	// Stdout and Stderr are where data and messages go.
	Stdout io.Writer
	Stderr io.Writer
	// Stdin is where prompts read from.
	Stdin io.Reader
}

// AWS loads the AWS configuration for the command's region and profile.
func (g *Globals) AWS(ctx context.Context) (*awsapi.Clients, error) {
	c, err := awsapi.Load(ctx, awsapi.Settings{Profile: g.Profile, Region: g.Region})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Print writes data in the chosen format; table builds the table form.
func (g *Globals) Print(data any, table func() Table) error {
	return printData(g.Stdout, g.Output, data, table)
}

// Warnf writes a warning line to stderr.
func (g *Globals) Warnf(format string, args ...any) {
	fmt.Fprintf(g.Stderr, "warning: "+format+"\n", args...)
}

// Infof writes a progress line to stderr.
func (g *Globals) Infof(format string, args ...any) {
	fmt.Fprintf(g.Stderr, format+"\n", args...)
}

// commands lists the constructors of the top-level commands; files add to it in init.
var commands []func(*Globals) *cobra.Command

// NewRoot builds the winami command tree writing to the given streams.
func NewRoot(g *Globals) *cobra.Command {
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
			return checkFormat(g.Output)
		},
	}
	root.SetOut(g.Stdout)
	root.SetErr(g.Stderr)
	if g.Stdin != nil {
		root.SetIn(g.Stdin)
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&g.Output, "output", "o", FormatTable, "output format: table, json or yaml")
	pf.StringVar(&g.Region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	pf.StringVar(&g.Profile, "profile", "", "AWS shared-config profile (default: AWS_PROFILE)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return Usage(err) })
	for _, mk := range commands {
		root.AddCommand(mk(g))
	}
	return root
}

// Run executes winami with args and returns the exit code. Errors are printed to stderr.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &Globals{Stdout: stdout, Stderr: stderr, Stdin: stdin}
	root := NewRoot(g)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := ExitCode(err)
	if isCobraUsage(err.Error()) {
		code = ExitUsage
	}
	var s *silentError
	switch {
	case errors.As(err, &s):
	case isInterrupted(err):
		fmt.Fprintln(stderr, "winami: interrupted")
	default:
		msg := err.Error()
		if code == ExitUsage && isCobraUsage(msg) {
			msg += "\nRun '" + root.CommandPath() + " --help' for usage."
		}
		fmt.Fprintln(stderr, "error: "+msg)
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
func noArgs(cmd *cobra.Command, args []string) error { return Usage(cobra.NoArgs(cmd, args)) }
