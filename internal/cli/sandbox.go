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
	peers     []string
	latency   time.Duration
}

func newSandboxCmd(g *Factory) *cobra.Command {
	o := &sandboxOptions{}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve a loopback AWS endpoint with a seeded world, to try winami with no AWS account",
		Long: `Sandbox serves, on a loopback address, the AWS APIs winami calls (SSM, EC2, EC2 Image
Builder, STS, IAM, KMS, S3, ECR, EKS, Auto Scaling, Service Quotas) over their real wire
protocols, seeded with a public world:
the SSM public parameters of every EKS-optimized Windows AMI and the Amazon-owned AMIs
they name, in several regions. Export the variables it prints and run any winami command,
the AWS CLI or your own SDK code against it. Image builds and Fast Launch run on a clock
sped up by --time-scale. It runs until interrupted (Ctrl-C).

Besides the build account (--account, default ` + awsemu.DefaultAccount + `) it serves a second
account (--peer-account, default ` + emulator.SandboxPeerAccount + `), a world of its own, for
cross-account distribution: sign with the access key id it prints for that account (any
secret), e.g. in an AWS CLI profile (the snippet it prints after the exports), or assume
one of its roles with aws sts assume-role from the build account.`,
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
			peers, err := sandboxPeers(o.account, o.peers, cmd.Flags().Changed("peer-account"))
			if err != nil {
				return err
			}
			o.peers = peers
			opts := []emulator.Option{emulator.WithClock(awsemu.RealClock{Scale: o.timeScale, Start: time.Now().UTC()})}
			if o.account != "" {
				opts = append(opts, emulator.WithAccount(o.account))
			}
			if o.latency > 0 {
				opts = append(opts, emulator.WithLatency(o.latency))
			}
			opts = append(opts, emulator.WithPeerAccounts(o.peers...))
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
			if err := writePeerProfiles(g, srv.URL(), region, o.peers); err != nil {
				return err
			}
			g.Infof("winami sandbox: serving %v for account %s and %v at %s; seeded regions %v; time runs ×%g. Ctrl-C to stop.",
				srv.Services(), srv.Account, o.peers, srv.URL(), seed.Regions(), o.timeScale)
			<-cmd.Context().Done()
			g.Infof("winami sandbox: stopped")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:4566", "loopback address to listen on (port 0 picks a free one)")
	f.Float64Var(&o.timeScale, "time-scale", 60, "how much faster than real time builds and Fast Launch run")
	f.StringVar(&o.account, "account", "", "the caller's account id (default "+awsemu.DefaultAccount+")")
	f.StringSliceVar(&o.peers, "peer-account", []string{emulator.SandboxPeerAccount}, "another account the sandbox serves (a world of its own, reached with its access key); repeat for more")
	f.DurationVar(&o.latency, "latency", 0, "delay every request, as a distant region would")
	return cmd
}

// sandboxPeers checks the --peer-account values against the build account (--account, or
// awsemu.DefaultAccount). When --peer-account was not given and --account is the default
// peer account, the peer is awsemu.DefaultAccount instead, so `--account 210987654321`
// still serves two accounts.
func sandboxPeers(account string, peers []string, given bool) ([]string, error) {
	build := account
	if build == "" {
		build = awsemu.DefaultAccount
	}
	if !given && build == emulator.SandboxPeerAccount {
		return []string{awsemu.DefaultAccount}, nil
	}
	if len(peers) == 0 {
		return nil, Usagef("flag --peer-account: give at least one 12-digit AWS account id")
	}
	for _, p := range peers {
		if !accountRE.MatchString(p) {
			return nil, Usagef("flag --peer-account %q: use a 12-digit AWS account id", p)
		}
		if p == build {
			return nil, Usagef("flag --peer-account %q: the build account (--account) already is %s; name another account", p, build)
		}
	}
	return peers, nil
}

// writePeerProfiles prints, as shell comments after the exports (so the output still
// evaluates), how to reach each peer account: its access key id and an AWS CLI profile.
func writePeerProfiles(g *Factory, endpoint, region string, peers []string) error {
	for _, p := range peers {
		if _, err := fmt.Fprintf(g.Stdout, "# account %s: sign with access key id %s (any secret), e.g. this profile in ~/.aws/config, then --profile sandbox-%s:\n"+
			"# [profile sandbox-%s]\n# endpoint_url = %s\n# region = %s\n# aws_access_key_id = %s\n# aws_secret_access_key = sandbox\n",
			p, awsemu.AccessKeyFor(p), p, p, endpoint, region, awsemu.AccessKeyFor(p)); err != nil {
			return fmt.Errorf("writing the second account's profile: %w", err)
		}
	}
	return nil
}
