package prune

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

var regionPrefix = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+`)

// ParseProviderID splits a node's spec.providerID (aws:///us-east-1a/i-0abc…) into the
// instance's region and ID; ok is false for other providers.
func ParseProviderID(id string) (region, instanceID string, ok bool) {
	rest, found := strings.CutPrefix(id, "aws://")
	if !found {
		return "", "", false
	}
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	if len(parts) < 2 || !strings.HasPrefix(parts[len(parts)-1], "i-") {
		return "", "", false
	}
	zone := parts[len(parts)-2]
	if zone == "" {
		return "", "", false
	}
	// us-east-1a → us-east-1; Local Zones (us-west-2-lax-1a) keep their parent region.
	m := regionPrefix.FindString(zone)
	if m == "" {
		return "", "", false
	}
	region = m
	return region, parts[len(parts)-1], true
}

// NodeImages returns the AMI IDs every node of the cluster runs, every page of nodes read,
// each node's instance looked up in its region.
func NodeImages(ctx context.Context, kube kubernetes.Interface, clients EC2Clients) (map[string]bool, error) {
	byRegion := map[string][]string{}
	opts := metav1.ListOptions{Limit: 500}
	for {
		list, err := kube.CoreV1().Nodes().List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("listing the cluster's nodes: %w", err)
		}
		for _, n := range list.Items {
			if region, id, ok := ParseProviderID(n.Spec.ProviderID); ok {
				byRegion[region] = append(byRegion[region], id)
			}
		}
		if list.Continue == "" {
			break
		}
		opts.Continue = list.Continue
	}
	out := map[string]bool{}
	for region, ids := range byRegion {
		for start := 0; start < len(ids); start += 200 {
			batch := ids[start:min(start+200, len(ids))]
			p := ec2.NewDescribeInstancesPaginator(clients.EC2(region), &ec2.DescribeInstancesInput{
				// A filter, not InstanceIds: a node whose instance is gone is no error.
				Filters:    []types.Filter{{Name: aws.String("instance-id"), Values: batch}},
				MaxResults: aws.Int32(1000),
			})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("describing the nodes' instances in %s: %w", region, err)
				}
				for _, r := range page.Reservations {
					for _, in := range r.Instances {
						out[aws.ToString(in.ImageId)] = true
					}
				}
			}
		}
	}
	return out, nil
}

// ClusterAWS gives the per-region clients ReadCluster calls (*awsapi.Clients satisfies
// it): EC2 for the nodes' instances, EC2 and SSM for the EC2NodeClasses' terms.
type ClusterAWS interface {
	EC2Clients
	KarpenterAWS
}

// Cluster is what a cluster tells prune: the AMIs its nodes run (Options.NodeImages) and
// the guard that keeps the AMIs its Karpenter EC2NodeClasses select (Options.Guards).
type Cluster struct {
	// NodeImages are the AMI IDs the cluster's nodes run.
	NodeImages map[string]bool
	// Karpenter keeps what the EC2NodeClasses select (none when Karpenter is not installed).
	Karpenter *KarpenterGuard
	// KarpenterInstalled tells whether the cluster serves Karpenter's API.
	KarpenterInstalled bool
}

// ReadCluster reads what a cluster uses, as `winami prune --kubeconfig` does: the AMIs
// its nodes run (NodeImages) and its EC2NodeClasses (NewKarpenterGuard). An error reading
// the EC2NodeClasses says that nothing was planned: an AMI they may select is never
// deleted unchecked.
func ReadCluster(ctx context.Context, kube kubernetes.Interface, dyn dynamic.Interface, clients ClusterAWS) (*Cluster, error) {
	nodes, err := NodeImages(ctx, kube, clients)
	if err != nil {
		return nil, err
	}
	guard, installed, err := NewKarpenterGuard(ctx, dyn, kube.Discovery(), clients)
	if err != nil {
		return nil, fmt.Errorf("checking Karpenter's EC2NodeClasses (nothing was planned or deleted: an AMI they may select is never deleted unchecked): %w", err)
	}
	return &Cluster{NodeImages: nodes, Karpenter: guard, KarpenterInstalled: installed}, nil
}

// Apply sets the cluster's findings on opts (NodeImages, and the Karpenter guard).
func (c *Cluster) Apply(opts *Options) {
	opts.NodeImages = c.NodeImages
	opts.Guards = append(opts.Guards, c.Karpenter)
}
