package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/winami/winami/audit"
	"github.com/winami/winami/kube"
)

type auditOptions struct {
	kubeconfig, context string
	file, expectImage   string
	checkLatest         bool
	pageSize            int64
	noCoverage          bool
}

var amiIDRE = regexp.MustCompile(`^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$`)

// newAuditCmd builds the command; runF, when given, runs instead of the command with the
// options its flags parsed into (tests of the flags, as cli/cli's NewCmd*).
func newAuditCmd(g *Factory, runF func(*auditOptions) error) *cobra.Command {
	o := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check that every Windows node runs the same (expected) AMI and kubelet, within the skew policy",
		Long: `Audit lists the cluster's Windows nodes (kubernetes.io/os=windows, paginated), maps each
spec.providerID (aws:///us-east-1a/i-…) to its EC2 instance and AMI (DescribeInstances,
1,000 instance IDs a request, regions in parallel; DescribeImages for the AMIs' names) and
reports, each with the nodes concerned and what to do:

  multiple-amis                 nodes on more than one AMI (copies of one AMI in several
                                regions share its name and count as one)
  unexpected-ami                nodes not on the expected AMI (--expect-image, or the spec's
                                distribution.publishParameter read in each node's region)
  expected-ami-unresolved       the expected AMI's SSM parameter is missing in a region
  multiple-kubelet-versions     more than one kubelet version (error when minors differ)
  unexpected-kubelet-version    kubelet minor other than the spec's kubernetesVersion (-f)
  kubelet-newer-than-apiserver  the skew policy forbids it
  kubelet-too-old               more than 3 minors older than the API server
  kubelet-at-skew-limit         exactly 3 minors older (warning)
  os-build-mismatch             Windows build other than the AMI family's (or the spec's)
  not-latest-ami                not the newest EKS-optimized AMI of its family (--check-latest)
  instance-gone                 the node's instance is terminated or unknown to EC2 (such
                                nodes are not counted under any AMI in the summary)
  instance-stopped              the node's instance is stopped or stopping
  node-not-ready                the node's Ready condition is False, Unknown or missing
  node-cordoned                 the node is cordoned (spec.unschedulable) (warning)
  ami-unavailable               the AMI can no longer be described (warning)
  no-instance                   no AWS providerID (warning)

The summary groups the nodes by (AMI, kubelet, OS build) and counts, per group, the nodes
that are not Ready and those cordoned. The Kubernetes identity needs only
"list" on nodes; the AWS identity ec2:DescribeInstances, ec2:DescribeImages and, for an SSM
expectation, ssm:GetParameter.

Cache coverage (unless --no-coverage): for each AMI the nodes run, the images the cluster's
Windows pods and workloads use (as winami images discover lists them; it needs list on pods,
deployments, statefulsets, daemonsets, jobs and cronjobs) are read from their registries for
the nodes' Windows build and compared with what the AMI caches (the winami:cached-images tags
winami build writes; an AMI without them is taken to cache nothing). Each image is cached
(same name or digest), partly-cached (some layers, a shared base, are on the AMI),
not-cached, incompatible or unknown (registry not read); the headline is the compressed
bytes a new node must pull before every pod can start (distinct layers once; 0 when every
pod starts from the cache), followed by the references to add to spec.cache.images. The
coverage never changes the exit code.

Exit codes: 0 no finding of severity error, 1 some error finding (or the audit failed),
2 bad flags or spec file.`,
		Example: `  winami audit
  winami audit --context prod --expect-image ssm:/winami/prod-win2022/image_id -o json
  winami audit -f winami.yaml --check-latest`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runAudit(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: KUBECONFIG, then ~/.kube/config)")
	f.StringVar(&o.context, "context", "", "kubeconfig context (default: the current context)")
	f.StringVarP(&o.file, "file", "f", "", "winami.yaml: expect its published AMI parameter, Kubernetes version and Windows version")
	f.StringVar(&o.expectImage, "expect-image", "", "expected AMI: ami-… or ssm:/parameter/name (read in each node's region)")
	f.BoolVar(&o.checkLatest, "check-latest", false, "report EKS-optimized AMIs that are not the newest of their family")
	f.Int64Var(&o.pageSize, "page-size", audit.DefaultPageSize, "nodes per List request")
	f.BoolVar(&o.noCoverage, "no-coverage", false, "skip the cache coverage (no pod listing, no registry read)")
	return cmd
}

func runAudit(cmd *cobra.Command, g *Factory, o *auditOptions) error {
	ctx := cmd.Context()
	exp, err := o.expectation(g)
	if err != nil {
		return err
	}
	if o.pageSize < 1 {
		return Usagef("flag --page-size %d: use 1 or more", o.pageSize)
	}
	if err := kubeconfigFlag(o.kubeconfig); err != nil {
		return err
	}
	kc, err := g.Kube(o.kubeconfig, o.context)
	var noContext *kube.ContextNotFoundError
	if errors.As(err, &noContext) {
		return kubeconfigError(err)
	}
	if err != nil {
		return fmt.Errorf("%w (pass --kubeconfig and --context, or set KUBECONFIG)", err)
	}
	clients, err := g.AWS(ctx, "")
	if err != nil {
		return err
	}
	opts := audit.Options{
		Kube:          kc,
		AWS:           clients,
		DefaultRegion: clients.Region(),
		Expect:        exp,
		CheckLatest:   o.checkLatest,
		PageSize:      o.pageSize,
		Progress:      g.Infof,
	}
	if !o.noCoverage {
		opts.Coverage = &audit.CoverageOptions{Registry: g.Registry(clients)}
	}
	rep, err := audit.Run(ctx, opts)
	if err != nil {
		return err
	}
	if g.tableOutput() {
		err = writeAuditTable(g.Stdout, g.layout(), rep)
	} else {
		err = g.Print(rep, nil)
	}
	if err != nil {
		return err
	}
	if rep.Errors > 0 {
		return &ProblemError{Msg: fmt.Sprintf("audit: %d %s, %d %s across %d Windows nodes",
			rep.Errors, pluralWord(rep.Errors, "error"), rep.Warnings, pluralWord(rep.Warnings, "warning"), rep.WindowsNodes)}
	}
	return nil
}

// expectation reads --expect-image or the spec file into what every node should run.
func (o *auditOptions) expectation(g *Factory) (audit.Expectation, error) {
	switch {
	case o.file != "" && o.expectImage != "":
		return audit.Expectation{}, Usagef("flags -f/--file and --expect-image: give one of them")
	case o.expectImage != "":
		v := strings.TrimSpace(o.expectImage)
		if name, ok := audit.ParameterName(v); ok {
			if len(name) < 2 || strings.ContainsAny(name, " \t") {
				return audit.Expectation{}, Usagef("flag --expect-image %q: an SSM parameter name such as ssm:/winami/prod/image_id", o.expectImage)
			}
			return audit.Expectation{Image: "ssm:" + name, Source: "--expect-image"}, nil
		}
		if !amiIDRE.MatchString(v) {
			return audit.Expectation{}, Usagef("flag --expect-image %q: use an AMI id (ami- and 8 or 17 hex digits) or an SSM parameter (ssm:/name)", o.expectImage)
		}
		return audit.Expectation{Image: v, Source: "--expect-image"}, nil
	case o.file != "":
		s, err := loadSpec(g, o.file)
		if err != nil {
			return audit.Expectation{}, err
		}
		exp := audit.Expectation{Kubernetes: s.Spec.KubernetesVersion, Windows: s.Spec.Windows.Version}
		if p := s.Spec.Distribution.PublishParameter; p != "" {
			exp.Image, exp.Source = "ssm:"+p, o.file+" spec.distribution.publishParameter"
		}
		return exp, nil
	}
	return audit.Expectation{}, nil
}

// kubeconfigFlag checks a --kubeconfig path before it is loaded: a file that cannot be
// read is bad input (exit 2), like any other flag value.
func kubeconfigFlag(path string) error {
	if path == "" {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return Usagef("flag --kubeconfig %s: %v", path, err)
	}
	if st.IsDir() {
		return Usagef("flag --kubeconfig %s: is a directory, want a kubeconfig file", path)
	}
	return nil
}

func pluralWord(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}

// writeAuditTable prints the audit for people: a header line, the summary and the findings.
func writeAuditTable(w io.Writer, l Layout, rep *audit.Report) error {
	ew := &errWriter{w: w}
	ew.printf("%d Windows %s; API server %s; regions %s\n\n", rep.WindowsNodes, pluralWord(rep.WindowsNodes, "node"), rep.ServerVersion, orNone(strings.Join(rep.Regions, ", ")))
	if len(rep.Summary) > 0 {
		t := Table{Header: []string{"AMI", "NAME", "KUBELET", "OS BUILD", "NODES", "NOT READY", "CORDONED", "NODE GROUPS / POOLS"},
			Wrap: []string{"NAME", "NODE GROUPS / POOLS"}, Detail: []string{"NAME", "NODE GROUPS / POOLS"}}
		for _, s := range rep.Summary {
			groups := append(append([]string(nil), s.NodeGroups...), s.NodePools...)
			name := s.ImageName
			if s.InstanceState != "" {
				name = "(instance " + s.InstanceState + ")"
			}
			t.Rows = append(t.Rows, []string{orDash(s.ImageID), orDash(name), orDash(s.KubeletVersion), orDash(s.OSBuild),
				strconv.Itoa(s.Nodes), strconv.Itoa(s.NotReady), strconv.Itoa(s.Cordoned), orDash(strings.Join(groups, ", "))})
		}
		if err := t.Write(ew, l); err != nil {
			return err
		}
		ew.println()
	}
	if rep.WindowsNodes == 0 && len(rep.Findings) == 0 {
		_, err := fmt.Fprintln(ew, "No findings: the cluster has no Windows nodes (label kubernetes.io/os=windows); check --kubeconfig and --context.")
		return err
	}
	if len(rep.Findings) == 0 {
		if _, err := fmt.Fprintln(ew, "No findings: every Windows node runs the same AMI and kubelet, within the skew policy."); err != nil {
			return err
		}
		return writeAuditCoverage(ew, l, rep)
	}
	for _, f := range rep.Findings {
		ew.printf("%s", l.Paragraph(fmt.Sprintf("%-7s ", strings.ToUpper(string(f.Severity))), f.Check+": "+f.Message))
		ew.printf("%s", l.Paragraph(fmt.Sprintf("        nodes (%d): ", len(f.Nodes)), firstNames(f.Nodes, 10)))
		ew.printf("%s", l.Paragraph("        fix: ", f.Action))
	}
	if _, err := fmt.Fprintf(ew, "\n%d %s, %d %s\n", rep.Errors, pluralWord(rep.Errors, "error"), rep.Warnings, pluralWord(rep.Warnings, "warning")); err != nil {
		return err
	}
	return writeAuditCoverage(ew, l, rep)
}

func writeAuditCoverage(w io.Writer, l Layout, rep *audit.Report) error {
	if len(rep.Coverage) == 0 && len(rep.CoverageWarnings) == 0 {
		return nil
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	return writeCoverage(w, l, rep.Coverage, rep.CoverageWarnings)
}

func firstNames(ns []string, n int) string {
	if len(ns) <= n {
		return strings.Join(ns, ", ")
	}
	return strings.Join(ns[:n], ", ") + fmt.Sprintf(" … and %d more (-o json lists them all)", len(ns)-n)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// kubeconfigError is bad input in --kubeconfig or --context (exit 2), naming the flag: a
// context the kubeconfig does not have (the message lists those it has) or a kubeconfig
// that cannot be read.
func kubeconfigError(err error) error {
	var noContext *kube.ContextNotFoundError
	if errors.As(err, &noContext) {
		return Usage(fmt.Errorf("flag --context: %w", err))
	}
	return Usage(fmt.Errorf("flag --kubeconfig: %w", err))
}
