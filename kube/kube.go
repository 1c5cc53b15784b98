package kube

import (
	"fmt"

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

// RESTConfig returns the REST config for the selected cluster and the namespace the
// kubeconfig context names ("default" when none).
func RESTConfig(o Options) (*rest.Config, string, error) {
	cc := o.clientConfig()
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
