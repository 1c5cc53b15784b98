package cli

import (
	"fmt"
	"regexp"
	"time"

	"github.com/spf13/cobra"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/seed"
)

var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

type sandboxOptions struct {
	listen    string
	timeScale float64
	account   string
	latency   time.Duration
}

func newSandboxCmd(g *Factory) *cobra.Command {
	o := &sandboxOptions{}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve a loopback AWS endpoint with a seeded world, to try winami with no AWS account",
		Long: `Sandbox serves, on a loopback address, the AWS APIs winami calls (SSM, EC2, EC2 Image
Builder, STS, IAM, ECR, EKS, Auto Scaling, Service Quotas) over their real wire protocols,
seeded with a public world:
the SSM public parameters of every EKS-optimized Windows AMI and the Amazon-owned AMIs
they name, in several regions. Export the variables it prints and run any winami command,
the AWS CLI or your own SDK code against it. Image builds and Fast Launch run on a clock
sped up by --time-scale. It runs until interrupted (Ctrl-C).`,
		Example: `  winami sandbox &
  export AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
         AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox
  winami resolve --windows 2022`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.timeScale < 1 {
				return Usagef("flag --time-scale %g: use 1 (real time) or more", o.timeScale)
			}
			if o.account != "" && !accountRE.MatchString(o.account) {
				return Usagef("flag --account %q: use a 12-digit AWS account id", o.account)
			}
			opts := []emulator.Option{emulator.WithClock(awsemu.RealClock{Scale: o.timeScale, Start: time.Now().UTC()})}
			if o.account != "" {
				opts = append(opts, emulator.WithAccount(o.account))
			}
			if o.latency > 0 {
				opts = append(opts, emulator.WithLatency(o.latency))
			}
			srv := emulator.New(opts...)
			if err := srv.Start(o.listen); err != nil {
				return Usage(err)
			}
			defer func() { _ = srv.Close() }() // stopping: nothing left to lose
			region := g.Region
			if region == "" {
				region = "us-east-1"
			}
			// AWS_DEFAULT_REGION too: the AWS CLI v1 (and boto3) read only that one.
			if _, err := fmt.Fprintf(g.Stdout, "export AWS_ENDPOINT_URL=%s\nexport AWS_REGION=%s\nexport AWS_DEFAULT_REGION=%s\nexport AWS_ACCESS_KEY_ID=sandbox\nexport AWS_SECRET_ACCESS_KEY=sandbox\n", srv.URL(), region, region); err != nil {
				return fmt.Errorf("writing the environment: %w", err)
			}
			g.Infof("winami sandbox: serving %v for account %s at %s; seeded regions %v; time runs ×%g. Ctrl-C to stop.",
				srv.Services(), srv.Account, srv.URL(), seed.Regions(), o.timeScale)
			<-cmd.Context().Done()
			g.Infof("winami sandbox: stopped")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:4566", "loopback address to listen on (port 0 picks a free one)")
	f.Float64Var(&o.timeScale, "time-scale", 60, "how much faster than real time builds and Fast Launch run")
	f.StringVar(&o.account, "account", "", "the caller's account id (default "+awsemu.DefaultAccount+")")
	f.DurationVar(&o.latency, "latency", 0, "delay every request, as a distant region would")
	return cmd
}
