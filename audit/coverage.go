package audit

import (
	"context"
	"fmt"
	"sort"

	"github.com/winami/winami/images"
)

// CoverageOptions turn on the cache coverage of Run.
type CoverageOptions struct {
	// Registry reads the images (credentials, timeouts).
	Registry images.Options
	// Discovery is the cluster's Windows images when the caller has it already; Run
	// discovers them (all namespaces) otherwise.
	Discovery *images.Discovery
}

// CacheCoverage is, for each AMI the cluster's Windows nodes run, its cache coverage of
// the images d lists (see [images.CacheCoverage]), with warnings for what could not be
// read. It lists the nodes and describes their instances and AMIs as Run does (o.Expect
// and o.CheckLatest are ignored; o.Coverage gives the registry options).
func CacheCoverage(ctx context.Context, o Options, d *images.Discovery) ([]images.Coverage, []string, error) {
	if o.Kube == nil {
		return nil, nil, fmt.Errorf("reading the cache coverage: no Kubernetes client")
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	co := CoverageOptions{Discovery: d}
	if o.Coverage != nil {
		co.Registry = o.Coverage.Registry
	}
	o.Coverage, o.CheckLatest, o.Expect = &co, false, Expectation{}
	progress := o.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	inv, err := takeInventory(ctx, o, &counter{m: map[string]int{}}, progress)
	if err != nil {
		return nil, nil, err
	}
	covs, warnings := coverage(ctx, o, inv.nodes, inv.regionOf)
	return covs, warnings, nil
}

// coverage groups the nodes by AMI and reads each AMI's coverage for the nodes' Windows
// build. Problems are warnings: the audit itself stands without the coverage.
func coverage(ctx context.Context, o Options, nodes []Node, regions map[string]*regionResult) ([]images.Coverage, []string) {
	var warnings []string
	d := o.Coverage.Discovery
	if d == nil {
		var err error
		if d, err = images.Discover(ctx, o.Kube, images.DiscoverOptions{}); err != nil {
			return nil, []string{fmt.Sprintf("cache coverage: discovering the Windows pods' images: %v", err)}
		}
		warnings = append(warnings, d.Warnings...)
	}
	type key struct{ region, image string }
	type group struct {
		nodes    int
		builds   map[string]int
		family   string
		kubelets map[string]int
	}
	groups := map[key]*group{}
	for _, n := range nodes {
		if n.ImageID == "" {
			continue
		}
		k := key{n.Region, n.ImageID}
		g := groups[k]
		if g == nil {
			g = &group{builds: map[string]int{}, kubelets: map[string]int{}}
			groups[k] = g
		}
		g.nodes++
		if n.OSBuild != "" {
			g.builds[n.OSBuild]++
		}
		if n.Windows != "" {
			g.family = n.Windows
		}
		if v, err := ParseVersion(n.KubeletVersion); err == nil {
			g.kubelets[v.MinorString()]++
		}
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].region != keys[j].region {
			return keys[i].region < keys[j].region
		}
		return keys[i].image < keys[j].image
	})
	var out []images.Coverage
	for _, k := range keys {
		g := groups[k]
		// The nodes' own build (the most common one), else the AMI family's version.
		windows, best := g.family, 0
		for b, n := range g.builds {
			if n > best || n == best && b < windows {
				windows, best = b, n
			}
		}
		if windows == "" {
			warnings = append(warnings, fmt.Sprintf("cache coverage of %s in %s: the nodes report no Windows build", k.image, k.region))
			continue
		}
		var cached []string
		known := false
		if r := regions[k.region]; r != nil {
			if img, ok := r.images[k.image]; ok {
				cached, known = img.cached, img.cacheKnown
			}
		}
		// The kubelet minor names the containerd of the EKS AMIs (catalog.EKSContainerd),
		// whose platform matcher chooses the entry a node pulls.
		reg := o.Coverage.Registry
		if reg.Kubernetes == "" && reg.Containerd == "" {
			reg.Kubernetes = mostCommon(g.kubelets)
		}
		cov, err := images.CacheCoverage(ctx, d.Images, cached, known, windows, reg)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("cache coverage of %s in %s: %v", k.image, k.region, err))
			continue
		}
		cov.ImageID, cov.Region, cov.Nodes = k.image, k.region, g.nodes
		out = append(out, *cov)
	}
	return out, warnings
}

// mostCommon is the key counted most often (the smallest on a tie), "" for none.
func mostCommon(counts map[string]int) string {
	best, n := "", 0
	for k, c := range counts {
		if c > n || c == n && k < best {
			best, n = k, c
		}
	}
	return best
}
