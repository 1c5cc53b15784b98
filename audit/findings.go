package audit

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/winami/winami/catalog"
)

// findings runs every check over the nodes. Errors come first, then warnings; within a
// severity the checks keep a fixed order.
func findings(nodes []Node, server Version, exp Expectation, regions map[string]*regionResult) []Finding {
	out := []Finding{}
	add := func(f *Finding) {
		if f != nil && len(f.Nodes) > 0 {
			out = append(out, *f)
		}
	}
	// Nodes whose instance and AMI are known take part in the AMI checks.
	var mapped []Node
	for _, n := range nodes {
		if n.ImageID != "" && isLive(n.InstanceState) {
			mapped = append(mapped, n)
		}
	}
	add(instanceGone(nodes))
	add(instanceStopped(nodes))
	add(nodeNotReady(nodes))
	add(nodeCordoned(nodes))
	for _, f := range unresolvedExpectations(nodes, regions) {
		add(&f)
	}
	add(unexpectedAMI(mapped, exp, regions))
	add(multipleAMIs(mapped, exp))
	add(unexpectedKubelet(nodes, exp))
	add(multipleKubelets(nodes))
	for _, f := range kubeletSkew(nodes, server) {
		add(&f)
	}
	add(osBuildMismatch(mapped, exp))
	for _, f := range notLatest(mapped, regions) {
		add(&f)
	}
	add(amiUnavailable(mapped, regions))
	add(noInstance(nodes))
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i].Severity) < rank(out[j].Severity) })
	return out
}

func rank(s Severity) int {
	if s == SeverityError {
		return 0
	}
	return 1
}

// isLive tells whether an instance state still runs (or will run) the node.
func isLive(state string) bool {
	switch state {
	case "", stateNotFound, "terminated", "shutting-down":
		return false
	}
	return true
}

func names(nodes []Node, keep func(Node) bool) []string {
	out := []string{}
	for _, n := range nodes {
		if keep(n) {
			out = append(out, n.Name)
		}
	}
	return out
}

func instanceGone(nodes []Node) *Finding {
	gone := names(nodes, func(n Node) bool {
		return n.InstanceID != "" && n.Region != "" && !isLive(n.InstanceState)
	})
	if len(gone) == 0 {
		return nil
	}
	return &Finding{
		Check:    CheckInstanceGone,
		Severity: SeverityError,
		Message: fmt.Sprintf("%s %s no running EC2 instance (terminated, or unknown to EC2): %s",
			plural(len(gone), "node"), hasHave(len(gone)), someNodes(gone)),
		Action: "delete the stale Node objects (kubectl delete node NAME) and find out why the cloud " +
			"controller kept them; pods bound to them are not running",
		Nodes: gone,
	}
}

// isStopped tells whether an instance state is stopped or on its way there: the node's
// instance exists (and keeps its AMI) but runs nothing.
func isStopped(state string) bool { return state == "stopped" || state == "stopping" }

func instanceStopped(nodes []Node) *Finding {
	off := names(nodes, func(n Node) bool { return isStopped(n.InstanceState) })
	if len(off) == 0 {
		return nil
	}
	return &Finding{
		Check:    CheckInstanceStopped,
		Severity: SeverityError,
		Message: fmt.Sprintf("%s %s a stopped (or stopping) EC2 instance: %s",
			plural(len(off), "node"), hasHave(len(off)), someNodes(off)),
		Action: "start the instances (aws ec2 start-instances) or delete the Node objects and let the node group or Karpenter replace them; " +
			"pods bound to these nodes are not running",
		Nodes: off,
	}
}

// nodeNotReady reports nodes whose Ready condition is not True (False, Unknown when the
// kubelet stopped reporting, or missing). A node whose instance is gone is reported by
// instance-gone instead.
func nodeNotReady(nodes []Node) *Finding {
	off := names(nodes, func(n Node) bool {
		gone := n.InstanceID != "" && n.Region != "" && !isLive(n.InstanceState)
		return !n.IsReady() && !gone
	})
	if len(off) == 0 {
		return nil
	}
	return &Finding{
		Check:    CheckNodeNotReady,
		Severity: SeverityError,
		Message: fmt.Sprintf("%s %s not Ready (the Ready condition is False, Unknown or missing): %s",
			plural(len(off), "node"), isAre(len(off)), someNodes(off)),
		Action: "kubectl describe node NAME shows the Ready condition's reason (kubelet, containerd, networking); " +
			"replace the node if it does not recover",
		Nodes: off,
	}
}

func nodeCordoned(nodes []Node) *Finding {
	off := names(nodes, func(n Node) bool { return n.Unschedulable })
	if len(off) == 0 {
		return nil
	}
	return &Finding{
		Check:    CheckNodeCordoned,
		Severity: SeverityWarning,
		Message: fmt.Sprintf("%s %s cordoned (spec.unschedulable): no new pods are scheduled there: %s",
			plural(len(off), "node"), isAre(len(off)), someNodes(off)),
		Action: "if no drain or replacement is under way, uncordon the nodes (kubectl uncordon NAME) or replace them",
		Nodes:  off,
	}
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

func unresolvedExpectations(nodes []Node, regions map[string]*regionResult) []Finding {
	out := []Finding{}
	for _, region := range slices.Sorted(maps.Keys(regions)) {
		e := regions[region].expected
		if e.Error == "" {
			continue
		}
		ns := names(nodes, func(n Node) bool { return n.Region == region && n.InstanceID != "" })
		out = append(out, Finding{
			Check:    CheckExpectedUnresolved,
			Severity: SeverityError,
			Message:  fmt.Sprintf("the expected AMI for %s cannot be read: %s; the %s there cannot be checked", region, e.Error, plural(len(ns), "node")),
			Action:   "publish the AMI to the parameter in " + region + " (winami build publishes it in every distribution region) or pass --expect-image ami-…",
			Nodes:    ns,
		})
	}
	return out
}

func unexpectedAMI(mapped []Node, exp Expectation, regions map[string]*regionResult) *Finding {
	if exp.Image == "" {
		return nil
	}
	var off []string
	wants := map[string]bool{}
	for _, n := range mapped {
		want := regions[n.Region].expected.ImageID
		if want == "" {
			continue // reported by expected-ami-unresolved
		}
		if n.ImageID != want {
			off = append(off, n.Name)
			label := want + " in " + n.Region
			if img, ok := regions[n.Region].images[want]; ok && img.name != "" {
				label = want + " (" + img.name + ") in " + n.Region
			}
			wants[label] = true
		}
	}
	if len(off) == 0 {
		return nil
	}
	src := exp.Source
	if src == "" {
		src = defaultExpectationSource
	}
	return &Finding{
		Check:    CheckUnexpectedAMI,
		Severity: SeverityError,
		Message: fmt.Sprintf("%s %s not on the expected AMI (%s, from %s %s): %s",
			plural(len(off), "node"), isAre(len(off)), strings.Join(slices.Sorted(maps.Keys(wants)), "; "), src, exp.Image, someNodes(off)),
		Action: "point the node groups' launch templates or Karpenter EC2NodeClass amiSelectorTerms at the expected AMI " +
			"(or its SSM parameter) and replace these nodes (Karpenter drift, or a managed node group update)",
		Nodes: off,
	}
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// amiKey identifies an AMI across regions: copies of one AMI share its name.
func amiKey(n Node) string {
	if n.ImageName != "" {
		return n.ImageName
	}
	return n.ImageID
}

// majority returns the value most nodes have (ties: the smallest value), and the count
// of each value.
func majority(nodes []Node, key func(Node) string) (string, map[string]int) {
	counts := map[string]int{}
	for _, n := range nodes {
		counts[key(n)]++
	}
	best := ""
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		if best == "" || counts[k] > counts[best] {
			best = k
		}
	}
	return best, counts
}

func describeCounts(counts map[string]int, label func(string) string) string {
	keys := slices.Sorted(maps.Keys(counts))
	sort.SliceStable(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s on %s", label(k), plural(counts[k], "node"))
	}
	return strings.Join(parts, ", ")
}

func multipleAMIs(mapped []Node, exp Expectation) *Finding {
	best, counts := majority(mapped, amiKey)
	if len(counts) < 2 {
		return nil
	}
	ids := map[string][]string{}
	for _, n := range mapped {
		k := amiKey(n)
		if !slices.Contains(ids[k], n.ImageID) {
			ids[k] = append(ids[k], n.ImageID)
		}
	}
	label := func(k string) string {
		if k == ids[k][0] && len(ids[k]) == 1 {
			return k
		}
		return fmt.Sprintf("%s (%s)", k, strings.Join(ids[k], ", "))
	}
	off := names(mapped, func(n Node) bool { return amiKey(n) != best })
	target := "onto " + label(best)
	if exp.Image != "" {
		target = "onto the expected AMI"
	}
	return &Finding{
		Check:    CheckMultipleAMIs,
		Severity: SeverityError,
		Message:  fmt.Sprintf("Windows nodes run %d AMIs: %s", len(counts), describeCounts(counts, label)),
		Action: fmt.Sprintf("run one AMI on every Windows node: point every node group and Karpenter node pool at the same AMI "+
			"or SSM parameter, then replace the %s not on it (%s)", plural(len(off), "node"), target),
		Nodes: off,
	}
}

func unexpectedKubelet(nodes []Node, exp Expectation) *Finding {
	if exp.Kubernetes == "" {
		return nil
	}
	want, err := ParseVersion(exp.Kubernetes)
	if err != nil {
		return nil
	}
	off := names(nodes, func(n Node) bool {
		v, err := ParseVersion(n.KubeletVersion)
		return err == nil && (v.Major != want.Major || v.Minor != want.Minor)
	})
	if len(off) == 0 {
		return nil
	}
	return &Finding{
		Check:    CheckUnexpectedKubelet,
		Severity: SeverityError,
		Message: fmt.Sprintf("%s %s a kubelet other than the spec's Kubernetes %s: %s",
			plural(len(off), "node"), runRuns(len(off)), want.MinorString(), someNodes(off)),
		Action: "replace these nodes with nodes on the AMI built from the spec (winami build), or update spec.kubernetesVersion",
		Nodes:  off,
	}
}

func runRuns(n int) string {
	if n == 1 {
		return "runs"
	}
	return "run"
}

func multipleKubelets(nodes []Node) *Finding {
	var known []Node
	for _, n := range nodes {
		if n.KubeletVersion != "" {
			known = append(known, n)
		}
	}
	best, counts := majority(known, func(n Node) string { return n.KubeletVersion })
	if len(counts) < 2 {
		return nil
	}
	minors := map[string]bool{}
	for v := range counts {
		if pv, err := ParseVersion(v); err == nil {
			minors[pv.MinorString()] = true
		} else {
			minors[v] = true
		}
	}
	sev := SeverityWarning
	what := "patch releases"
	if len(minors) > 1 {
		sev, what = SeverityError, "minor versions"
	}
	off := names(known, func(n Node) bool { return n.KubeletVersion != best })
	return &Finding{
		Check:    CheckMultipleKubelets,
		Severity: sev,
		Message: fmt.Sprintf("Windows nodes run %d kubelet versions (differing %s): %s",
			len(counts), what, describeCounts(counts, func(k string) string { return k })),
		Action: fmt.Sprintf("run one kubelet version: the kubelet comes with the AMI, so move the %s not on %s onto the AMI the others run",
			plural(len(off), "node"), best),
		Nodes: off,
	}
}

// kubeletSkew applies the Kubernetes version-skew policy: a kubelet must not be newer
// than the API server, nor more than three minors older.
func kubeletSkew(nodes []Node, server Version) []Finding {
	var newer, old, limit []string
	for _, n := range nodes {
		v, err := ParseVersion(n.KubeletVersion)
		if err != nil {
			continue
		}
		behind := (server.Major-v.Major)*1000 + server.Minor - v.Minor
		switch {
		case behind < 0:
			newer = append(newer, n.Name)
		case behind > kubernetesVersionSkewSpan:
			old = append(old, n.Name)
		case behind == kubernetesVersionSkewSpan:
			limit = append(limit, n.Name)
		}
	}
	sm := server.MinorString()
	var out []Finding
	if len(newer) > 0 {
		out = append(out, Finding{
			Check:    CheckKubeletNewer,
			Severity: SeverityError,
			Message: fmt.Sprintf("%s %s a kubelet newer than the API server (%s): %s",
				plural(len(newer), "node"), runRuns(len(newer)), sm, someNodes(newer)),
			Action: "a kubelet must never be newer than the control plane: upgrade the control plane first, or replace these nodes with nodes on an AMI for Kubernetes " + sm,
			Nodes:  newer,
		})
	}
	if len(old) > 0 {
		out = append(out, Finding{
			Check:    CheckKubeletTooOld,
			Severity: SeverityError,
			Message: fmt.Sprintf("%s %s a kubelet more than %d minor versions older than the API server (%s), outside the Kubernetes skew policy: %s",
				plural(len(old), "node"), runRuns(len(old)), kubernetesVersionSkewSpan, sm, someNodes(old)),
			Action: fmt.Sprintf("replace these nodes with nodes on an AMI whose kubelet is %d.%d to %s (the API server's minor or up to %d older)",
				server.Major, server.Minor-kubernetesVersionSkewSpan, sm, kubernetesVersionSkewSpan),
			Nodes: old,
		})
	}
	if len(limit) > 0 {
		out = append(out, Finding{
			Check:    CheckKubeletAtSkewLimit,
			Severity: SeverityWarning,
			Message: fmt.Sprintf("%s %s a kubelet exactly %d minor versions older than the API server (%s): the next control-plane upgrade takes them outside the skew policy: %s",
				plural(len(limit), "node"), runRuns(len(limit)), kubernetesVersionSkewSpan, sm, someNodes(limit)),
			Action: "move these nodes to a newer AMI before upgrading the control plane",
			Nodes:  limit,
		})
	}
	return out
}

// osBuildMismatch reports nodes whose Windows build is not their AMI family's (or, with
// a spec, not the spec's Windows version's): containers built for one build do not run
// process-isolated on another.
func osBuildMismatch(mapped []Node, exp Expectation) *Finding {
	var off, details []string
	for _, n := range mapped {
		if n.OSBuild == "" {
			continue
		}
		win := n.Windows
		from := "its AMI"
		if win == "" && exp.Windows != "" {
			win, from = exp.Windows, "the spec"
		}
		if win == "" {
			continue
		}
		w, err := catalog.Windows(win)
		if err != nil {
			continue
		}
		if n.OSBuild != w.Build {
			off = append(off, n.Name)
			if len(details) < maxNodesInMessage {
				details = append(details, fmt.Sprintf("%s runs %s, %s is Windows Server %s (%s)", n.Name, n.OSBuild, from, w.Version, w.Build))
			}
		}
	}
	if len(off) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%s %s an OS build other than the Windows Server version expected: %s",
		plural(len(off), "node"), runRuns(len(off)), strings.Join(details, "; "))
	if len(off) > len(details) {
		msg += fmt.Sprintf(" and %d more", len(off)-len(details))
	}
	return &Finding{
		Check:    CheckOSBuildMismatch,
		Severity: SeverityError,
		Message:  msg,
		Action: "process-isolated containers run only on their own Windows build: check the node.kubernetes.io/windows-build label " +
			"and the AMI, and replace these nodes with nodes on the intended AMI",
		Nodes: off,
	}
}

func notLatest(mapped []Node, regions map[string]*regionResult) []Finding {
	type famKey struct{ region, pattern string }
	groups := map[famKey][]Node{}
	var keys []famKey
	for _, n := range mapped {
		r := regions[n.Region]
		if r == nil || len(r.latest) == 0 {
			continue
		}
		img, ok := r.images[n.ImageID]
		if !ok {
			continue
		}
		p := familyPattern(img)
		l, ok := r.latest[p]
		if p == "" || !ok || l.id == n.ImageID {
			continue
		}
		k := famKey{n.Region, p}
		if _, seen := groups[k]; !seen {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], n)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].region+keys[i].pattern < keys[j].region+keys[j].pattern
	})
	var out []Finding
	for _, k := range keys {
		ns := groups[k]
		l := regions[k.region].latest[k.pattern]
		img := regions[k.region].images[ns[0].ImageID]
		olds := map[string]bool{}
		for _, n := range ns {
			olds[fmt.Sprintf("%s (%s)", n.ImageID, n.ImageName)] = true
		}
		out = append(out, Finding{
			Check:    CheckNotLatest,
			Severity: SeverityWarning,
			Message: fmt.Sprintf("%s in %s %s not on the newest EKS-optimized AMI for Windows Server %s %s, Kubernetes %s: %s %s; the newest is %s (%s)",
				plural(len(ns), "node"), k.region, isAre(len(ns)), img.eks.Windows, img.eks.Edition, img.eks.Kubernetes,
				itThey(len(ns)), runRuns(len(ns))+" "+strings.Join(slices.Sorted(maps.Keys(olds)), ", "), l.id, l.name),
			Action: "rebuild your AMI on the newest parent (winami build) or move the nodes to " + l.id + " to pick up the latest Windows and EKS fixes",
			Nodes:  names(ns, func(Node) bool { return true }),
		})
	}
	return out
}

func amiUnavailable(mapped []Node, regions map[string]*regionResult) *Finding {
	var off []string
	amis := map[string]bool{}
	for _, n := range mapped {
		r := regions[n.Region]
		if r == nil {
			continue
		}
		if _, ok := r.images[n.ImageID]; !ok {
			off = append(off, n.Name)
			amis[n.ImageID+" in "+n.Region] = true
		}
	}
	if len(off) == 0 {
		return nil
	}
	return &Finding{
		Check:    CheckAMIUnavailable,
		Severity: SeverityWarning,
		Message: fmt.Sprintf("%s %s on AMIs that can no longer be described (deregistered, or public AMIs made private; public EKS Windows AMIs turn private about 4 months after release): %s; nodes: %s",
			plural(len(off), "node"), isAre(len(off)), strings.Join(slices.Sorted(maps.Keys(amis)), ", "), someNodes(off)),
		Action: "new nodes cannot launch from these AMIs: build an AMI your account owns (winami build) and move the nodes to it",
		Nodes:  off,
	}
}

func noInstance(nodes []Node) *Finding {
	off := names(nodes, func(n Node) bool { return n.InstanceID == "" || n.Region == "" })
	if len(off) == 0 {
		return nil
	}
	return &Finding{
		Check:    CheckNoInstance,
		Severity: SeverityWarning,
		Message: fmt.Sprintf("%s %s no AWS providerID (aws:///ZONE/i-…) that names an EC2 instance and its region, so %s AMI is not checked: %s",
			plural(len(off), "node"), hasHave(len(off)), theirIts(len(off)), someNodes(off)),
		Action: "run the AWS cloud provider so that spec.providerID is set, or pass --region for providerIDs without a zone",
		Nodes:  off,
	}
}

func itThey(n int) string {
	if n == 1 {
		return "it"
	}
	return "they"
}

func theirIts(n int) string {
	if n == 1 {
		return "its"
	}
	return "their"
}
