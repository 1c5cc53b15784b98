package audit

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/winami/winami/catalog"
)

// maxListRestarts bounds how often a listing restarts after its continue token expired.
const maxListRestarts = 3

// listWindowsNodes lists the nodes labelled kubernetes.io/os=windows page by page and
// keeps only what the audit needs of each, so memory follows the node count and not
// the size of the Node objects. When a continue token expires (410 Gone, the list took
// longer than etcd's compaction window) the listing starts over.
func listWindowsNodes(ctx context.Context, kube kubernetes.Interface, pageSize int64, defaultRegion string, reqs *counter) ([]Node, error) {
	for restart := 0; ; restart++ {
		nodes, err := listOnce(ctx, kube, pageSize, defaultRegion, reqs)
		if err != nil && apierrors.IsResourceExpired(err) && restart < maxListRestarts {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("listing Windows nodes: %w", err)
		}
		sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
		return nodes, nil
	}
}

func listOnce(ctx context.Context, kube kubernetes.Interface, pageSize int64, defaultRegion string, reqs *counter) ([]Node, error) {
	out := []Node{}
	opts := metav1.ListOptions{LabelSelector: LabelOS + "=windows", Limit: pageSize}
	for {
		list, err := kube.CoreV1().Nodes().List(ctx, opts)
		reqs.add("kubernetes:listNodes")
		if err != nil {
			return nil, err
		}
		for i := range list.Items {
			out = append(out, nodeOf(&list.Items[i], defaultRegion))
		}
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}

// nodeOf extracts what the audit reads of a node.
func nodeOf(n *corev1.Node, defaultRegion string) Node {
	info := n.Status.NodeInfo
	out := Node{
		Name:           n.Name,
		ProviderID:     n.Spec.ProviderID,
		KubeletVersion: info.KubeletVersion,
		OSImage:        info.OSImage,
		KernelVersion:  info.KernelVersion,
		NodeGroup:      n.Labels[LabelNodeGroup],
		NodePool:       n.Labels[LabelNodePool],
		Unschedulable:  n.Spec.Unschedulable,
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			out.Ready = string(c.Status)
		}
	}
	switch {
	case n.Labels[LabelWindowsBuild] != "":
		out.OSBuild = catalog.MajorMinorBuild(n.Labels[LabelWindowsBuild])
	case info.KernelVersion != "":
		out.OSBuild = catalog.MajorMinorBuild(info.KernelVersion)
	}
	if zone, region, inst, ok := ParseProviderID(n.Spec.ProviderID); ok && instanceIDRE.MatchString(inst) {
		if region == "" {
			region = defaultRegion
		}
		out.Zone, out.Region, out.InstanceID = zone, region, inst
	}
	return out
}
