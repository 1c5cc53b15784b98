package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/images"
	"github.com/winami/winami/kube"
)

// Factory is what every command is built from, as cli/cli's cmdutil.Factory: the global
// flags, the streams, and how to reach AWS, Kubernetes, the registries, the user and the
// clock. Run builds the real one (NewFactory); tests build theirs and replace a field
// (an emulator's endpoint, a fake clientset, a terminal), so no package variable is
// swapped and tests run in parallel. One Factory serves one command run.
type Factory struct {
	// IOStreams are the command's streams (f.Stdout, f.Stderr, f.Stdin).
	*IOStreams

	// Output is the format of data on stdout: table, json or yaml.
	Output string
	// Region is --region (the SDK's AWS_REGION when empty). Commands that work in
	// several regions take a list here (us-east-1,us-west-2) or all.
	Region string
	// Profile is --profile (AWS_PROFILE when empty).
	Profile string
	// RequestTimeout is --request-timeout: the bound of one attempt of one AWS request.
	RequestTimeout time.Duration
	// CommandTimeout is --command-timeout: the bound of the whole command (0: its default,
	// DefaultCommandTimeout or none, see commandTimeout).
	CommandTimeout time.Duration

	// Prompter asks the user questions (nil: on the streams, when stdin and stderr are
	// terminals).
	Prompter Prompter
	// Now is the clock support warnings are judged by, and rollout's elapsed times and
	// deadlines (nil: time.Now).
	Now func() time.Time
	// Sleep is how rollout waits between polls (nil: a timer); tests advance a manual
	// clock with it, as they set Now.
	Sleep func(ctx context.Context, d time.Duration) error
	// LoadAWS loads the AWS configuration (nil: awsapi.Load, the shared config and the
	// environment). Only AWS calls it, with the region already chosen.
	LoadAWS func(context.Context, awsapi.Settings) (*awsapi.Clients, error)
	// KubeClient builds the Kubernetes client of a kubeconfig and context (nil: the
	// kubeconfig's cluster, see Kube).
	KubeClient func(kube.Options) (kubernetes.Interface, error)
	// DockerKeychain is the registry credentials tried after ECR's (nil: the Docker
	// config, authn.DefaultKeychain).
	DockerKeychain authn.Keychain

	// regionUse is how the running command uses --region (checkRegionFlag).
	regionUse regionUse

	// deadline is the command's bound (zero: none), ctx the context it bounds.
	deadline time.Duration
	ctx      context.Context
	cancel   context.CancelFunc
}

// NewFactory returns the Factory of a winami process on the given streams: terminals
// detected from the files, the real AWS, Kubernetes, registries and clock.
func NewFactory(stdin io.Reader, stdout, stderr io.Writer) *Factory {
	return &Factory{IOStreams: NewIOStreams(stdin, stdout, stderr)}
}

// Registry returns the options of the command's registry reads: ECR tokens from clients
// (nil: none), then the factory's Docker keychain.
func (f *Factory) Registry(clients images.ECRClients) images.Options {
	return images.Options{AWS: clients, DockerKeychain: f.DockerKeychain}
}

// AWSRegion is the one rule by which every command picks the region its AWS
// configuration is loaded for (the clients' default region; per-region calls name
// theirs):
//
//  1. region, when the command names one: the region its data lives in (doctor: the
//     spec's metadata.region; prune: the first region it prunes);
//  2. else --region when it names a region: the region, or the first of a list
//     (us-east-1,us-west-2); "all" names none;
//  3. else "": the SDK's default, AWS_REGION, then the profile's region.
func (f *Factory) AWSRegion(region string) string {
	if region != "" {
		return region
	}
	for _, r := range strings.Split(f.Region, ",") {
		if r = strings.TrimSpace(r); r != "" {
			if strings.EqualFold(r, "all") {
				return ""
			}
			return r
		}
	}
	return ""
}

// offlineRegion is the region AWSRegion picks, else AWS_REGION, for a command that
// calls no AWS and loads no profile (iam-policy's partition).
func (f *Factory) offlineRegion() string {
	if r := f.AWSRegion(""); r != "" {
		return r
	}
	return os.Getenv("AWS_REGION")
}

// AWS loads the AWS configuration with --profile for the region AWSRegion picks.
func (f *Factory) AWS(ctx context.Context, region string) (*awsapi.Clients, error) {
	load := f.LoadAWS
	if load == nil {
		load = awsapi.Load
	}
	c, err := load(ctx, awsapi.Settings{Profile: f.Profile, Region: f.AWSRegion(region)})
	if perr := profileError(f, err); perr != nil {
		return nil, perr
	}
	return c, err
}

// Kube returns the Kubernetes client of the kubeconfig's context ("": KUBECONFIG, then
// ~/.kube/config; the current context). Nodes, pods and workloads are built-in types,
// so the client asks for protobuf: at thousands of nodes it is smaller on the wire and
// cheaper to decode than JSON. A context the kubeconfig lacks is a
// *kube.ContextNotFoundError.
func (f *Factory) Kube(kubeconfig, context string) (kubernetes.Interface, error) {
	o := kube.Options{Kubeconfig: kubeconfig, Context: context}
	if f.KubeClient != nil {
		return f.KubeClient(o)
	}
	cfg, _, err := kube.RESTConfig(o)
	if err != nil {
		return nil, err
	}
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the Kubernetes client: %w", err)
	}
	return cs, nil
}

// KubeDynamic returns the dynamic client (custom resources such as Karpenter's
// EC2NodeClasses) of the kubeconfig's context.
func (f *Factory) KubeDynamic(kubeconfig, context string) (dynamic.Interface, error) {
	return kube.NewDynamicClient(kube.Options{Kubeconfig: kubeconfig, Context: context})
}

// kubeClients are the typed (Kube) and the dynamic (KubeDynamic) clients of the
// kubeconfig's context; a kubeconfig or context that does not load is a usage error naming
// its flag (kubeconfigError).
func (f *Factory) kubeClients(kubeconfig, context string) (kubernetes.Interface, dynamic.Interface, error) {
	cs, err := f.Kube(kubeconfig, context)
	if err != nil {
		return nil, nil, kubeconfigError(err)
	}
	dyn, err := f.KubeDynamic(kubeconfig, context)
	if err != nil {
		return nil, nil, kubeconfigError(err)
	}
	return cs, dyn, nil
}

// prompter is Prompter, or the streams' when nil.
func (f *Factory) prompter() Prompter {
	if f.Prompter != nil {
		return f.Prompter
	}
	return streamPrompter{io: f.IOStreams}
}

// now is the time by Now (time.Now by default).
func (f *Factory) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// Print writes data in the chosen format; table builds the table form.
func (f *Factory) Print(data any, table func() Table) error {
	return printData(f.Stdout, f.Output, data, table)
}

// Warnf writes a warning line to stderr (a failed write to stderr has nowhere to go).
func (f *Factory) Warnf(format string, args ...any) {
	_, _ = fmt.Fprintf(f.Stderr, "warning: "+format+"\n", args...)
}

// Infof writes a progress line to stderr (a failed write to stderr has nowhere to go).
func (f *Factory) Infof(format string, args ...any) {
	_, _ = fmt.Fprintf(f.Stderr, format+"\n", args...)
}
