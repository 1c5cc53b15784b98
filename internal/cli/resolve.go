package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/resolve"
)

type resolveOptions struct {
	windows, editions, kubernetes []string
	details, history              bool
	concurrency                   int
}

// newResolveCmd builds the command; runF, when given, runs instead of the command with the
// options its flags parsed into (tests of the flags, as cli/cli's NewCmd*).
func newResolveCmd(g *Factory, runF func(*resolveOptions) error) *cobra.Command {
	o := &resolveOptions{}
	cmd := &cobra.Command{
		Use:   "resolve",
		Short: "Find the EKS-optimized Windows AMIs for Windows versions, editions, Kubernetes versions and regions",
		Long: `Resolve looks up the EKS-optimized Windows AMIs from the SSM public parameters
/aws/service/ami-windows-latest/Windows_Server-<YYYY>-English-<Core|Full>-EKS_Optimized-<k8s>/image_id,
ten names a request, every region at once.

Defaults: every Windows version, both editions, the newest Kubernetes version EKS offers in
standard support, the configured region. --region takes a list or all. "all" asks EKS for every supported Kubernetes
version and EC2 for every enabled region. Combinations with no AMIs (Windows 2025 before
Kubernetes 1.35) are left out of "all" and refused when named.

Exit codes: 0 every AMI resolved, 1 some parameter is missing (its entry carries "error"),
2 bad flags.`,
		Example: `  winami resolve --windows 2022 --edition core --kubernetes 1.33
  winami resolve --kubernetes all --region us-east-1,us-west-2 -o json
  winami resolve --windows 2019 --kubernetes 1.34 --details --history`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runResolve(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.windows, "windows", nil, "Windows Server versions: 2019, 2022, 2025 or all (default all)")
	f.StringSliceVar(&o.editions, "edition", nil, "editions: core, full or all (default all)")
	f.StringSliceVar(&o.kubernetes, "kubernetes", nil, "Kubernetes versions (1.NN) or all (default: the newest in standard support)")
	f.BoolVar(&o.details, "details", false, "add each AMI's name, creation date and release version (DescribeImages; -o wide adds them too)")
	f.BoolVar(&o.history, "history", false, "list every version of each parameter with the date it became current")
	f.IntVar(&o.concurrency, "concurrency", 16, "requests in flight at most")
	return cmd
}

func runResolve(cmd *cobra.Command, g *Factory, o *resolveOptions) error {
	ctx := cmd.Context()
	// --region is global; resolve also takes a list there (--region us-east-1,us-west-2 or all).
	regionAxis := resolve.ParseAxis([]string{g.Region})
	sel := resolve.Selection{
		Windows:    resolve.ParseAxis(o.windows),
		Editions:   resolve.ParseAxis(o.editions),
		Kubernetes: resolve.ParseAxis(o.kubernetes),
		Regions:    regionAxis,
	}
	if o.concurrency < 1 {
		return Usagef("flag --concurrency %d: use 1 or more", o.concurrency)
	}
	if err := sel.Validate(); err != nil {
		return Usage(err)
	}
	clients, err := g.AWS(ctx, "")
	if err != nil {
		return err
	}
	exp, err := resolve.Expand(ctx, clients, sel, clients.Region())
	if err != nil {
		var fe *resolve.FieldError
		if errors.As(err, &fe) {
			return Usage(err)
		}
		return err
	}
	for _, w := range exp.Warnings {
		g.Warnf("%s", w)
	}
	if g.Output == FormatWide {
		o.details = true // -o wide is the table with its details
	}
	entries, err := resolve.Resolve(ctx, clients, exp.Targets, resolve.Options{Details: o.details, History: o.history, Concurrency: o.concurrency})
	if err != nil && !errors.Is(err, resolve.ErrMissing) {
		return err
	}
	if perr := g.Print(entries, func() Table { return resolveTable(entries, o) }); perr != nil {
		return perr
	}
	if err != nil {
		for _, e := range entries {
			if e.Error != "" {
				g.Infof("missing: %s in %s", e.Parameter, e.Region)
			}
		}
		return &ProblemError{Msg: awsapi.Message(err)}
	}
	if o.details {
		bad := 0
		for _, e := range entries {
			if e.Details != nil && e.Details.Error != "" {
				g.Infof("not found: %s (%s in %s): %s", e.ImageID, e.Parameter, e.Region, e.Details.Error)
				bad++
			}
		}
		if bad > 0 {
			return &ProblemError{Msg: fmt.Sprintf("%d AMIs named by SSM are not visible in DescribeImages", bad)}
		}
	}
	return nil
}

func resolveTable(entries []resolve.Entry, o *resolveOptions) Table {
	t := Table{Header: []string{"REGION", "WINDOWS", "EDITION", "KUBERNETES", "IMAGE", "VERSION", "LAST MODIFIED"}, Detail: []string{"NAME"}}
	if o.details {
		t.Header = append(t.Header, "RELEASE", "CREATED", "NAME")
	}
	for _, e := range entries {
		img, ver, mod := e.ImageID, strconv.FormatInt(e.Version, 10), stamp(e.LastModified)
		if e.Error != "" {
			img, ver, mod = "MISSING", "-", "-"
		}
		row := []string{e.Region, e.Windows, string(e.Edition), e.Kubernetes, img, ver, mod}
		if o.details {
			rel, created, name := "-", "-", "-"
			if e.Details != nil {
				rel, created, name = orDash(e.Details.ReleaseVersion), amiDate(e.Details.CreationDate), orDash(e.Details.Name)
				if e.Details.Error != "" {
					rel, created, name = "NOT FOUND", "-", "-"
				}
			}
			row = append(row, rel, created, name)
		}
		t.Rows = append(t.Rows, row)
		for _, h := range e.History {
			hr := []string{"", "", "", "", "  " + h.ImageID, strconv.FormatInt(h.Version, 10), stamp(h.CurrentSince)}
			if o.details {
				hr = append(hr, orDash(h.ReleaseVersion), "", "")
			}
			t.Rows = append(t.Rows, hr)
		}
	}
	return t
}

func stamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// amiDate shows an AMI's CreationDate (RFC 3339, "2026-11-12T09:00:00.000Z") as the
// table's other dates are shown; anything else as it came.
func amiDate(s string) string {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return stamp(&t)
	}
	return orDash(s)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
