package kube

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Default client-side rate limits. client-go's own defaults (5 QPS, burst 10) make a
// cluster-wide listing crawl; these match what kubectl uses for discovery.
const (
	DefaultQPS   float32 = 50
	DefaultBurst int     = 100
)

// Options select the cluster and shape the client.
type Options struct {
	// Kubeconfig is a kubeconfig path (--kubeconfig). Empty means KUBECONFIG (a
	// list of paths, merged like kubectl), then ~/.kube/config, then in-cluster.
	Kubeconfig string
	// Context is the kubeconfig context to use (--context); empty means current-context.
	Context string
	// QPS and Burst are client-side rate limits (DefaultQPS/DefaultBurst when zero).
	QPS   float32
	Burst int
	// UserAgent is sent with every request ("winami" when empty).
	UserAgent string
}

func (o Options) clientConfig() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.Kubeconfig != "" {
		rules.ExplicitPath = o.Kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
}

// ContextNotFoundError is returned when Options.Context names a context the kubeconfig
// does not have: bad input, which the caller reports with the contexts that exist.
type ContextNotFoundError struct {
	// Context is the name asked for.
	Context string
	// Available are the kubeconfig's contexts, sorted.
	Available []string
}

func (e *ContextNotFoundError) Error() string {
	have := "the kubeconfig has no contexts"
	if len(e.Available) > 0 {
		have = "the kubeconfig has " + strings.Join(e.Available, ", ")
	}
	return fmt.Sprintf("context %q does not exist: %s", e.Context, have)
}

// RESTConfig returns the REST config for the selected cluster and the namespace the
// kubeconfig context names ("default" when none). A --context the kubeconfig lacks is a
// *ContextNotFoundError.
func RESTConfig(o Options) (*rest.Config, string, error) {
	cc := o.clientConfig()
	if o.Context != "" {
		raw, err := cc.RawConfig()
		if err != nil {
			return nil, "", fmt.Errorf("loading kubeconfig: %w", err)
		}
		if _, ok := raw.Contexts[o.Context]; !ok {
			names := make([]string, 0, len(raw.Contexts))
			for n := range raw.Contexts {
				names = append(names, n)
			}
			sort.Strings(names)
			return nil, "", &ContextNotFoundError{Context: o.Context, Available: names}
		}
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("loading kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("reading the kubeconfig namespace: %w", err)
	}
	cfg.QPS, cfg.Burst = o.QPS, o.Burst
	if cfg.QPS == 0 {
		cfg.QPS = DefaultQPS
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	cfg.UserAgent = o.UserAgent
	if cfg.UserAgent == "" {
		cfg.UserAgent = "winami"
	}
	return cfg, ns, nil
}

// NewClientset returns a clientset for the selected cluster and the context's namespace.
func NewClientset(o Options) (kubernetes.Interface, string, error) {
	cfg, ns, err := RESTConfig(o)
	if err != nil {
		return nil, "", err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("creating the Kubernetes client: %w", err)
	}
	return cs, ns, nil
}

// NewDynamicClient returns a dynamic client (for custom resources such as Karpenter's
// EC2NodeClasses) for the selected cluster.
func NewDynamicClient(o Options) (dynamic.Interface, error) {
	cfg, _, err := RESTConfig(o)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the Kubernetes dynamic client: %w", err)
	}
	return dyn, nil
}
