package kube

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"k8s.io/client-go/tools/clientcmd"
)

// MaxKubeconfigSize bounds each kubeconfig file Contexts reads: a kubeconfig is a few
// kilobytes; a larger file is not read.
const MaxKubeconfigSize = 16 << 20

// Contexts lists the context names of a kubeconfig, sorted, and its current context, for
// shell completion of --context. kubeconfig is the --kubeconfig path; empty means the files
// of KUBECONFIG (merged: the first current-context wins, as clientcmd merges), else
// ~/.kube/config. It only reads regular files of at most MaxKubeconfigSize: unlike
// clientcmd's default loading rules it never migrates ~/.kube/.kubeconfig to
// ~/.kube/config, and it runs no credential plugin and connects nowhere. A file of
// KUBECONFIG that is missing, too large or unparsable is skipped, as kubectl skips
// missing ones; the explicit --kubeconfig file must be readable.
func Contexts(kubeconfig string) ([]string, string, error) {
	paths := []string{kubeconfig}
	if kubeconfig == "" {
		paths = filepath.SplitList(os.Getenv(clientcmd.RecommendedConfigPathEnvVar))
		if len(paths) == 0 {
			paths = []string{clientcmd.RecommendedHomeFile}
		}
	}
	seen := map[string]bool{}
	var names []string
	current := ""
	for _, p := range paths {
		if p == "" {
			continue
		}
		cfg, err := readKubeconfig(p)
		if err != nil {
			if kubeconfig != "" {
				return nil, "", err
			}
			continue
		}
		if current == "" {
			current = cfg.CurrentContext
		}
		for n := range cfg.Contexts {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names, current, nil
}

type contextsOnly struct {
	CurrentContext string
	Contexts       map[string]bool
}

func readKubeconfig(path string) (*contextsOnly, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("reading kubeconfig %s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxKubeconfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	if len(data) > MaxKubeconfigSize {
		return nil, fmt.Errorf("reading kubeconfig %s: larger than %d bytes", path, MaxKubeconfigSize)
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, fmt.Errorf("parsing kubeconfig %s: %w", path, err)
	}
	out := &contextsOnly{CurrentContext: cfg.CurrentContext, Contexts: map[string]bool{}}
	for n := range cfg.Contexts {
		out.Contexts[n] = true
	}
	return out, nil
}
