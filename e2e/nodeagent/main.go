// Command nodeagent stands in for the kubelets of an EKS cluster's Windows instances in
// the sandbox: it polls the instances of the cluster in awsemu (AWS_ENDPOINT_URL) and
// registers, readies and removes their Windows Nodes, with a stand-in DaemonSet pod on
// each, in a test API server (e2e/setup.sh up). It can be told to fail readiness on
// new nodes, to test `winami rollout`'s gate and rollback:
//
//	go run ./e2e/nodeagent --cluster NAME [--region us-east-1] [--kubeconfig … --context …]
//	    [--fail-readiness-ami ami-…,…] [--fail-new] [--poll 1s] [--ready-after 2s] [--once]
//
// It refuses an AWS endpoint or an API server that is not on the loopback interface: it
// writes fake nodes and must never reach a real cluster. Exit 2 on bad input.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"k8s.io/client-go/kubernetes"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/e2e"
	"github.com/winami/winami/kube"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is bad input: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type options struct {
	cluster, region, kubeconfig, context string
	failAMIs                             []string
	failNew, once                        bool
	poll, readyAfter                     time.Duration
	// endpoint is the checked loopback AWS endpoint, passed to the SDK explicitly so that
	// nothing in the shared config (or AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) sends the
	// agent's requests elsewhere.
	endpoint string
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("nodeagent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.cluster, "cluster", "", "the EKS cluster whose instances get nodes (required)")
	fs.StringVar(&o.region, "region", "", "the instances' region (default AWS_REGION, else us-east-1)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the test API server (default WINAMI_E2E_KUBECONFIG, then KUBECONFIG)")
	fs.StringVar(&o.context, "context", "", "kubeconfig context (default admin with WINAMI_E2E_KUBECONFIG, else current)")
	fail := fs.String("fail-readiness-ami", "", "comma-separated AMI ids whose nodes never turn Ready")
	fs.BoolVar(&o.failNew, "fail-new", false, "nodes of instances not there when the agent starts never turn Ready (not with --once)")
	fs.BoolVar(&o.once, "once", false, "sync once and exit")
	fs.DurationVar(&o.poll, "poll", time.Second, "how often to poll EC2")
	fs.DurationVar(&o.readyAfter, "ready-after", 2*time.Second, "how long after registering a node turns Ready")
	if err := fs.Parse(args); err != nil {
		return o, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Sprintf("unexpected argument %q: nodeagent takes only flags", fs.Arg(0))}
	}
	if o.cluster == "" {
		return o, usageError{"--cluster is required: the EKS cluster name the instances are tagged with (eks:cluster-name or kubernetes.io/cluster/NAME)"}
	}
	if *fail != "" {
		for _, id := range strings.Split(*fail, ",") {
			id = strings.TrimSpace(id)
			if !strings.HasPrefix(id, "ami-") {
				return o, usageError{fmt.Sprintf("--fail-readiness-ami: %q is not an AMI id (ami-…)", id)}
			}
			o.failAMIs = append(o.failAMIs, id)
		}
	}
	if o.failNew && o.once {
		return o, usageError{"--fail-new with --once: every instance is there when a single sync starts, so none would fail; run the agent without --once, or use --fail-readiness-ami"}
	}
	if o.poll <= 0 {
		return o, usageError{fmt.Sprintf("--poll %s: want a positive duration such as 500ms or 1s", o.poll)}
	}
	if o.readyAfter < 0 {
		return o, usageError{fmt.Sprintf("--ready-after %s: want 0 or a positive duration", o.readyAfter)}
	}
	if o.region == "" {
		o.region = getenv("AWS_REGION")
	}
	if o.region == "" {
		o.region = "us-east-1"
	}
	if o.kubeconfig == "" && getenv(e2e.KubeconfigEnv) != "" {
		o.kubeconfig = getenv(e2e.KubeconfigEnv)
		if o.context == "" {
			o.context = e2e.AdminContext
		}
	}
	endpoint := getenv("AWS_ENDPOINT_URL_EC2")
	if endpoint == "" {
		endpoint = getenv("AWS_ENDPOINT_URL")
	}
	if err := loopback("the AWS endpoint (AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_EC2)", endpoint); err != nil {
		return o, err
	}
	o.endpoint = endpoint
	return o, nil
}

// loopback refuses an empty URL or one whose host is not a loopback address or localhost.
func loopback(what, raw string) error {
	if raw == "" {
		return usageError{what + " is not set: the node agent only talks to a loopback sandbox (winami sandbox, awsemu)"}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return usageError{fmt.Sprintf("%s %q is not a URL", what, raw)}
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return usageError{fmt.Sprintf("%s %s is not on the loopback interface: the node agent writes fake nodes and runs only against a local sandbox and test API server", what, raw)}
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	o, err := parse(args, getenv, stderr)
	if err == nil {
		err = agent(ctx, o, stderr)
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		_, _ = fmt.Fprintln(stderr, "nodeagent:", err)
		return 2
	default:
		_, _ = fmt.Fprintln(stderr, "nodeagent:", err)
		return 1
	}
}

func agent(ctx context.Context, o options, stderr io.Writer) error {
	cfg, _, err := kube.RESTConfig(kube.Options{Kubeconfig: o.kubeconfig, Context: o.context, UserAgent: "winami-e2e-nodeagent"})
	if err != nil {
		var nf *kube.ContextNotFoundError
		if errors.As(err, &nf) {
			return usageError{"--context: " + err.Error()}
		}
		return err
	}
	if err := loopback("the API server", cfg.Host); err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating the Kubernetes client: %w", err)
	}
	clients, err := awsapi.Load(ctx, awsapi.Settings{Region: o.region,
		LoadOptions: []func(*config.LoadOptions) error{config.WithBaseEndpoint(o.endpoint)}})
	if err != nil {
		return err
	}
	a, err := e2e.NewNodeAgent(e2e.NodeAgentOptions{Cluster: o.cluster, Region: o.region, EC2: clients.EC2(o.region), Kube: cs,
		ReadyAfter: o.readyAfter, FailReadinessAMIs: o.failAMIs, FailNew: o.failNew, Log: stderr})
	if err != nil {
		return usageError{err.Error()}
	}
	if o.once {
		res, err := a.Sync(ctx)
		_, _ = fmt.Fprintf(stderr, "nodeagent: %d instances, %d nodes (%d registered, %d turned Ready, %d failing, %d deleted)\n",
			res.Instances, res.Nodes, len(res.Registered), len(res.Readied), len(res.Failing), len(res.Deleted))
		return err
	}
	_, _ = fmt.Fprintf(stderr, "nodeagent: cluster %s in %s, API server %s, polling every %s\n", o.cluster, o.region, cfg.Host, o.poll)
	return a.Run(ctx, o.poll)
}
