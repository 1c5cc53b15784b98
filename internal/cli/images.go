package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/winami/winami/audit"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/images"
	"github.com/winami/winami/render"
)

func newImagesCmd(g *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "images",
		Short: "Check the images to cache against the AMI's Windows build; discover the images a cluster's Windows pods use",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return Usagef("images: name a subcommand: check or discover")
		},
	}
	cmd.AddCommand(newImagesCheckCmd(g), newImagesDiscoverCmd(g, nil))
	return cmd
}

type imagesCheckOptions struct {
	file, windows string
	kubernetes    string
	containerd    string
	parentGiB     int
	headroom      float64
	freeGiB       int
	measure       bool
	concurrency   int
	timeout       time.Duration
	attempts      int
}

func newImagesCheckCmd(g *Factory) *cobra.Command {
	o := &imagesCheckOptions{}
	cmd := &cobra.Command{
		Use:   "check (-f winami.yaml | --windows VERSION REF...)",
		Short: "Check that each image runs on the AMI's Windows build, and size the cache",
		Long: `Check reads each image's manifest or index from its registry and works out what a node
of the AMI would do with it:

  - which entry the node's containerd pulls: its Windows platform matcher accepts the
    windows/amd64 entries whose os.version the host runs, and those with no os.version
    (whatever their build); containerd 1.7 to 2.1.5 then takes the first in index order,
    2.1.6 and later the greatest os.version. The containerd version is the one the
    EKS-optimized Windows AMIs ship for the Kubernetes minor (spec.kubernetesVersion,
    --kubernetes), or --containerd; without either, every version those AMIs ship for the
    Windows version is checked;
  - whether the host runs that entry, by hcsshim's rule for process isolation: 2019
    (10.0.17763) runs only ltsc2019 images; 2022 (10.0.20348) only ltsc2022; 2025
    (10.0.26100) ltsc2022 and ltsc2025. Builds of entries without os.version are read
    from their configs.

For each image it reports the digest the reference resolves to, the entry pulled and why,
its os.version, whether it is compatible, the LTSC hosts it runs on (and, for an
incompatible image, a sibling ltsc tag that runs when the registry has one, else the
digest of the entry that runs), and its compressed and uncompressed sizes. An uncompressed size is exact for layers stored
uncompressed and with --measure (which downloads each distinct layer once); otherwise it
is an estimate (compressed × 2.5), marked with "~".

Totals count a layer shared by several images once and recommend a root volume, with the
formula plan and apply use for rootVolumeSize: auto (same spec, same answer):
  max(50, parent volume + ceil(cache × headroom) + free)
where the cache is the readable images' uncompressed size plus 8 GiB for each image that
could not be read (missing, unreadable; an incompatible image counts nothing). Parent: the
spec parent's documented root volume with -f (eks-optimized 50 GiB, windows-base 30 GiB),
else 50; headroom 1.5 (room for the compressed blobs containerd keeps next to the unpacked
layers); free 20 GiB for Windows updates, logs and pods. -o json carries every input under
totals.rootVolume.

Registries: ECR through the AWS SDK (GetAuthorizationToken for the registry's account,
in its region), others through the Docker config (~/.docker/config.json, credential
helpers), anonymous otherwise. Foreign layers are never downloaded.

Only the reference itself can be missing (no such tag, digest or repository); an index
entry or config blob the registry does not have makes the image broken: an error.

Exit 1 when an image is incompatible, missing or unreadable.`,
		Example: `  winami images check -f winami.yaml
  winami images check --windows 2025 --kubernetes 1.35 myregistry.example.com/app:1.2-ltsc2022
  winami images check --windows 2022 mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022
  winami images check --windows 2019 -o json myregistry.example.com/app:1.2`,
		RunE: func(cmd *cobra.Command, args []string) error { return runImagesCheck(cmd, g, o, args) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "the spec file: checks spec.cache.images against spec.windows.version")
	f.StringVar(&o.windows, "windows", "", "Windows Server version of the AMI: 2019, 2022, 2025 (or an OS build such as 10.0.20348)")
	f.StringVar(&o.kubernetes, "kubernetes", "", "Kubernetes minor of the AMI, such as 1.33: picks the containerd version (default: every version the EKS AMIs ship)")
	f.StringVar(&o.containerd, "containerd", "", "containerd version of the node, such as 1.7.30 (wins over --kubernetes)")
	f.IntVar(&o.parentGiB, "parent-volume", images.DefaultParentVolumeGiB, "root volume of the parent AMI, GiB (with -f: the spec parent's, 50 for eks-optimized, 30 for windows-base)")
	f.Float64Var(&o.headroom, "headroom", images.DefaultHeadroom, "multiplier of the uncompressed cache size in the root volume formula")
	f.IntVar(&o.freeGiB, "free", images.DefaultFreeGiB, "GiB left free on the root volume")
	f.BoolVar(&o.measure, "measure", false, "download each distinct layer once to measure its uncompressed size exactly (slow)")
	f.IntVar(&o.concurrency, "concurrency", images.DefaultConcurrency, "registry requests in flight")
	f.DurationVar(&o.timeout, "request-timeout", images.DefaultAttemptTimeout, "timeout of one registry request attempt")
	f.IntVar(&o.attempts, "attempts", images.DefaultAttempts, "attempts per registry request")
	return cmd
}

func runImagesCheck(cmd *cobra.Command, g *Factory, o *imagesCheckOptions, args []string) error {
	var refs []string
	windows := o.windows
	switch {
	case o.file != "" && len(args) > 0:
		return Usagef("give either -f winami.yaml or image references, not both")
	case o.file != "" && o.windows != "":
		return Usagef("flag --windows: the spec's spec.windows.version is used with -f; drop --windows")
	case o.file != "" && o.kubernetes != "":
		return Usagef("flag --kubernetes: the spec's spec.kubernetesVersion is used with -f; drop --kubernetes")
	case o.file != "":
		img, err := loadSpec(g, o.file)
		if err != nil {
			return err
		}
		refs, windows = img.Images(), img.Spec.Windows.Version
		o.kubernetes = img.Spec.KubernetesVersion
		if !cmd.Flags().Changed("parent-volume") {
			// The parent's documented root volume, as render and plan --no-registry count it.
			o.parentGiB = int(render.ParentRootVolumeGiB(img))
		}
		if len(refs) == 0 {
			g.Infof("%s: spec.cache has no images (or is disabled): nothing to check", o.file)
		}
	case len(args) == 0:
		return Usagef("give -f winami.yaml, or --windows VERSION and one or more image references")
	case o.windows == "":
		return Usagef("flag --windows is required with image references: use 2019, 2022 or 2025")
	default:
		refs = args
	}
	if _, err := images.Target(windows); err != nil {
		if o.file != "" {
			return Usagef("%s: spec.windows.version: %v", o.file, err)
		}
		return Usagef("flag --windows: %v", err)
	}
	if _, err := images.ParseRefs(refs); err != nil {
		return Usage(err)
	}
	if o.kubernetes != "" && o.file == "" {
		if _, err := catalog.ParseKubernetes(o.kubernetes); err != nil {
			return Usagef("flag --kubernetes: %v", err)
		}
	}
	if o.containerd != "" {
		if _, err := catalog.ContainerdOrder(o.containerd); err != nil {
			return Usagef("flag --containerd: %v", err)
		}
	}
	if o.headroom < 1 {
		return Usagef("flag --headroom %v: use a multiplier of 1 or more, such as 1.5", o.headroom)
	}
	if o.parentGiB < 1 {
		return Usagef("flag --parent-volume %d: use the parent AMI's root volume in GiB, such as 50", o.parentGiB)
	}
	if o.freeGiB < 0 {
		return Usagef("flag --free %d: use 0 or more GiB", o.freeGiB)
	}
	if o.concurrency < 1 || o.attempts < 1 || o.timeout <= 0 {
		return Usagef("flags --concurrency, --attempts and --request-timeout must be positive")
	}
	ctx := cmd.Context()
	opts := g.registryFor(ctx, refs)
	opts.ParentVolumeGiB, opts.Headroom, opts.FreeGiB, opts.MeasureUncompressed = o.parentGiB, o.headroom, o.freeGiB, o.measure
	opts.Concurrency, opts.AttemptTimeout, opts.Attempts = o.concurrency, o.timeout, o.attempts
	opts.Kubernetes, opts.Containerd = o.kubernetes, o.containerd
	if opts.FreeGiB == 0 {
		opts.FreeGiB = -1 // the library's "none"
	}
	rep, err := images.Check(ctx, refs, windows, opts)
	if err != nil {
		return err
	}
	if err := g.Print(rep, func() Table { return checkTable(rep) }); err != nil {
		return err
	}
	for _, im := range rep.Images {
		if im.Status != images.StatusCompatible {
			g.Infof("%s: %s: %s", im.Ref, im.Status, im.Message)
		}
		for _, w := range im.Warnings {
			g.Warnf("%s: %s", im.Ref, w)
		}
	}
	if rep.OK() {
		return nil
	}
	t := rep.Totals
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{t.Incompatible, "incompatible with Windows Server " + rep.Windows + " (" + rep.Build + ")"}, {t.Missing, "missing"}, {t.Errors, "unreadable"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	return &ProblemError{Msg: fmt.Sprintf("%d of %d image(s) cannot be cached: %s", t.Images-t.Compatible, t.Images, strings.Join(parts, ", "))}
}

// registryFor returns the options of registry reads of refs: with ECR tokens when one of
// them is in ECR and the AWS configuration loads (else a warning: the Docker config only).
func (g *Factory) registryFor(ctx context.Context, refs []string) images.Options {
	if !needsECR(refs) {
		return g.Registry(nil)
	}
	clients, err := g.AWS(ctx, "")
	if err != nil {
		g.Warnf("ECR registries will be read with the Docker config only: %v", err)
		return g.Registry(nil)
	}
	return g.Registry(clients)
}

func needsECR(refs []string) bool {
	parsed, err := images.ParseRefs(refs)
	if err != nil {
		return false
	}
	for _, r := range parsed {
		if _, ok := images.ParseECRHost(r.Context().RegistryStr()); ok {
			return true
		}
	}
	return false
}

func checkTable(rep *images.Report) Table {
	t := Table{Header: []string{"IMAGE", "STATUS", "OS.VERSION", "DIGEST", "PULLED", "COMPRESSED", "UNCOMPRESSED", "NOTE"},
		Wrap: []string{"NOTE"}, Detail: []string{"NOTE"}}
	for _, im := range rep.Images {
		note := ""
		switch im.Status {
		case images.StatusCompatible:
			note = "runs on " + strings.Join(im.CompatibleWith, ", ")
		case images.StatusIncompatible:
			note = "runs on " + ltscOrNone(strings.Join(im.CompatibleWith, ", "))
			if im.Suggestion != "" {
				note += "; use " + im.Suggestion
			}
		default:
			note = im.Message
		}
		t.Rows = append(t.Rows, []string{
			im.Ref, string(im.Status), dash(pulledOS(im)), dash(shortDigest(im.Digest)), pulled(im),
			sizeOrDash(im.CompressedBytes, false, im.Status), sizeOrDash(im.UncompressedBytes, im.UncompressedEstimated, im.Status), note,
		})
	}
	tot := rep.Totals
	t.Rows = append(t.Rows, []string{
		fmt.Sprintf("TOTAL (%d unique layers)", tot.UniqueLayers),
		fmt.Sprintf("%d/%d compatible", tot.Compatible, tot.Images), "", "", "",
		humanBytes(tot.CompressedBytes, false), humanBytes(tot.UncompressedBytes, tot.UncompressedEstimated),
		fmt.Sprintf("root volume %s; shared layers saved %s", tot.Formula, humanBytes(tot.SharedBytes, false)),
	})
	return t
}

// pulled says which entry the node's containerd pulls ("entry 2", "manifest"), one per
// containerd version checked when they differ.
func pulled(im images.Image) string {
	var base, full []string
	for _, p := range im.Pulls {
		s := "-"
		switch {
		case p.ManifestDigest == "":
		case p.Index < 0:
			s = "manifest"
		default:
			s = fmt.Sprintf("entry %d", p.Index)
		}
		if !slices.Contains(base, s) {
			base = append(base, s)
		}
		full = append(full, s+" (containerd "+p.Containerd+")")
	}
	switch len(base) {
	case 0:
		return "-"
	case 1:
		return base[0]
	}
	return strings.Join(full, ", ")
}

// pulledOS is the os.version of the entry pulled: the chosen one for a compatible image,
// the one that does not run for an incompatible one.
func pulledOS(im images.Image) string {
	if im.OSVersion != "" {
		return im.OSVersion
	}
	for _, p := range im.Pulls {
		if !p.Runs && p.OSVersion != "" {
			return p.OSVersion
		}
	}
	return ""
}

func ltscOrNone(s string) string {
	if s == "" {
		return "no LTSC Windows build"
	}
	return s
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

func sizeOrDash(n int64, est bool, st images.Status) string {
	if st != images.StatusCompatible {
		return "-"
	}
	return humanBytes(n, est)
}

// humanBytes prints n in binary units, "~" first when it is an estimate.
func humanBytes(n int64, estimated bool) string {
	s := ""
	switch {
	case n >= 1<<30:
		s = strconv.FormatFloat(float64(n)/(1<<30), 'f', 2, 64) + " GiB"
	case n >= 1<<20:
		s = strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		s = strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	default:
		s = strconv.FormatInt(n, 10) + " B"
	}
	if estimated {
		s = "~" + s
	}
	return s
}

type imagesDiscoverOptions struct {
	kubeconfig, context, namespace string
	noPin, noCoverage              bool
}

// cacheBlock is the spec fragment `images discover -o yaml` prints.
type cacheBlock struct {
	Spec struct {
		Cache struct {
			Images []string `json:"images"`
		} `json:"cache"`
	} `json:"spec"`
}

// newImagesDiscoverCmd builds the command; runF, when given, runs instead of the command with the
// options its flags parsed into (tests of the flags, as cli/cli's NewCmd*).
func newImagesDiscoverCmd(g *Factory, runF func(*imagesDiscoverOptions) error) *cobra.Command {
	o := &imagesDiscoverOptions{}
	cmd := &cobra.Command{
		Use:   "discover [--kubeconfig FILE] [--context NAME] [--namespace NS]",
		Short: "List the images used by the cluster's Windows pods and workloads",
		Long: `Discover lists the images of the cluster's Windows workloads: pods scheduled on Windows
nodes, pods that select Windows (nodeSelector kubernetes.io/os=windows, a required node
affinity on it, or spec.os.name: windows), init containers included, and the pod templates
of Deployments, StatefulSets, DaemonSets, Jobs and CronJobs that would run on Windows, with
how many live pods use each image.

-o yaml prints a spec.cache.images block ready for winami.yaml, pinned to digests: the digest
a node pulled (from the pods' status) or, for images no pod runs yet, the digest the
registry resolves the tag to now (--no-pin skips the registry). All namespaces unless
--namespace.

The cluster is chosen like kubectl: --kubeconfig, else KUBECONFIG, else ~/.kube/config,
else the in-cluster service account; --context, else the current context. It needs list on
pods, nodes, deployments, statefulsets, daemonsets, jobs and cronjobs; a kind it may not
list is skipped with a warning (without nodes, pods are judged by their spec alone).

Cache coverage (table and JSON, unless --no-coverage): for each AMI the Windows nodes run
(their spec.providerID → EC2 instance → AMI: ec2:DescribeInstances, ec2:DescribeImages), what
it caches of these images (the winami:cached-images tags winami build writes; an AMI without
them is taken to cache nothing) and the compressed bytes a new node must pull before every
pod can start (layers shared with a cached image count as cached; 0: every pod starts from
the cache), with the references to add to spec.cache.images. The images are read for the
nodes' Windows build. Without AWS credentials the coverage is skipped with a warning.`,
		Example: `  winami images discover
  winami images discover --context prod -o yaml > cache.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runImagesDiscover(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: KUBECONFIG or ~/.kube/config)")
	f.StringVar(&o.context, "context", "", "kubeconfig context (default: the current context)")
	f.StringVarP(&o.namespace, "namespace", "n", "", "only this namespace (default: all namespaces)")
	f.BoolVar(&o.noPin, "no-pin", false, "with -o yaml, do not resolve digests through the registries")
	f.BoolVar(&o.noCoverage, "no-coverage", false, "skip the cache coverage of the nodes' AMIs (no AWS call, no registry read)")
	return cmd
}

func runImagesDiscover(cmd *cobra.Command, g *Factory, o *imagesDiscoverOptions) error {
	ctx := cmd.Context()
	if err := kubeconfigFlag(o.kubeconfig); err != nil {
		return err
	}
	cs, err := g.Kube(o.kubeconfig, o.context)
	if err != nil {
		return err
	}
	d, err := images.Discover(ctx, cs, images.DiscoverOptions{Namespace: o.namespace})
	if err != nil {
		return err
	}
	for _, w := range d.Warnings {
		g.Warnf("%s", w)
	}
	if len(d.Images) == 0 {
		g.Infof("no Windows pods or workloads found (%d Windows nodes)", d.WindowsNodes)
	}
	if g.Output == FormatYAML {
		if !o.noPin {
			var refs []string
			for _, im := range d.Images {
				refs = append(refs, im.Image)
			}
			for _, err := range d.Pin(ctx, g.registryFor(ctx, refs)) {
				g.Warnf("left unpinned: %v", err)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var b cacheBlock
		b.Spec.Cache.Images = d.CacheImages()
		return g.Print(b, nil)
	}
	if !o.noCoverage && len(d.Images) > 0 {
		if clients, err := g.AWS(ctx, ""); err != nil {
			g.Warnf("cache coverage skipped: %v", err)
		} else {
			covs, warns, err := audit.CacheCoverage(ctx, audit.Options{Kube: cs, AWS: clients, DefaultRegion: clients.Region(),
				Coverage: &audit.CoverageOptions{Registry: g.Registry(clients)}}, d)
			if err != nil {
				g.Warnf("cache coverage skipped: %v", err)
			}
			for _, w := range warns {
				g.Warnf("%s", w)
			}
			d.Coverage = covs
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if g.tableOutput() {
		if err := g.Print(d, discoverTable(d)); err != nil {
			return err
		}
		if len(d.Coverage) > 0 {
			if _, err := fmt.Fprintln(g.Stdout); err != nil {
				return err
			}
			return writeCoverage(g.Stdout, g.layout(), d.Coverage, nil)
		}
		return nil
	}
	return g.Print(d, discoverTable(d))
}

func discoverTable(d *images.Discovery) func() Table {
	return func() Table {
		t := Table{Header: []string{"IMAGE", "PODS", "WORKLOADS", "INIT", "DIGEST"}, Wrap: []string{"WORKLOADS"}}
		for _, im := range d.Images {
			init := ""
			if im.Init {
				init = "yes"
			}
			t.Rows = append(t.Rows, []string{im.Image, strconv.Itoa(im.Pods), dash(strings.Join(im.Workloads, ",")), init, dash(shortDigest(im.Digest))})
		}
		return t
	}
}
