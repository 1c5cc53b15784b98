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
