package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/winami/winami/prune"
)

// NodeClassTag is the tag Karpenter puts on every instance it launches, naming the
// EC2NodeClass it launched it from (karpenter-provider-aws: a reserved tag key of
// EC2NodeClass spec.tags, and the aws:RequestTag condition of its controller policy).
const NodeClassTag = "karpenter.k8s.aws/ec2nodeclass"

// moveKarpenter moves a Karpenter EC2NodeClass: one that follows the published parameter
// needs no write (the parameter moved at build time; Karpenter's drift replaces its
// nodes); one that pins an AMI gets its id terms naming From changed to To (run only
// calls this with --yes). Then rollout waits until no instance of the NodeClass runs another AMI (none at
// all: nothing to wait for) and gates the new ones.
func (r *runner) moveKarpenter(ctx context.Context, m *move) error {
	t := m.t
	if t.Follows != "" {
		v, err := parameterValue(ctx, r.o.AWS.SSM(t.Region), t.Follows)
		if err != nil {
			return err
		}
		if v != m.to {
			return fmt.Errorf("EC2NodeClass %s follows parameter %s, which names %s, not %s: publish %s to it first (winami build publishes it)", t.Name, t.Follows, v, m.to, m.to)
		}
		m.changed = true // the parameter it follows is what a rollback writes back
		r.o.Progress("%s: follows %s (%s): nothing to write; waiting for Karpenter's drift to replace its nodes", label(t), t.Follows, m.to)
	} else {
		if err := r.pinNodeClass(ctx, m); err != nil {
			return err
		}
	}
	var pl progressLine
	for {
		insts, err := r.nodeClassInstances(ctx, m)
		if err != nil {
			return err
		}
		var fresh, old []string
		for _, i := range insts {
			if aws.ToString(i.ImageId) == m.to {
				if i.State != nil && i.State.Name == ec2types.InstanceStateNameRunning {
					fresh = append(fresh, aws.ToString(i.InstanceId))
				}
			} else {
				old = append(old, aws.ToString(i.InstanceId))
			}
		}
		m.tr.Replaced, m.tr.Total = len(fresh), len(fresh)+len(old)
		if len(old) == 0 {
			r.report(&pl, m, "no instance on another AMI")
			return r.gate(ctx, m, fresh, "the NodeClass's nodes")
		}
		r.report(&pl, m, fmt.Sprintf("%d instances still on other AMIs (Karpenter drift)", len(old)))
		if err := r.sleep(ctx); err != nil {
			return err
		}
	}
}

// nodeClassInstances lists the pending and running instances Karpenter launched from the
// move's EC2NodeClass.
func (r *runner) nodeClassInstances(ctx context.Context, m *move) ([]ec2types.Instance, error) {
	in := &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + NodeClassTag), Values: []string{m.t.Name}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}},
	}}
	var out []ec2types.Instance
	for {
		page, err := r.o.AWS.EC2(m.t.Region).DescribeInstances(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describing the instances of EC2NodeClass %s: %w", m.t.Name, err)
		}
		for _, res := range page.Reservations {
			out = append(out, res.Instances...)
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// pinNodeClass points a pinning EC2NodeClass's amiSelectorTerms at To (a JSON merge patch
// replaces the list), remembering the terms it had.
func (r *runner) pinNodeClass(ctx context.Context, m *move) error {
	if r.o.Kube.Dynamic == nil {
		return fmt.Errorf("EC2NodeClass %s: no Kubernetes client to patch it with", m.t.Name)
	}
	res := r.o.Kube.Dynamic.Resource(prune.EC2NodeClassResource)
	obj, err := res.Get(ctx, m.t.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading EC2NodeClass %s: %w", m.t.Name, err)
	}
	terms, _, err := unstructured.NestedSlice(obj.Object, "spec", "amiSelectorTerms")
	if err != nil {
		return fmt.Errorf("reading EC2NodeClass %s's amiSelectorTerms: %w", m.t.Name, err)
	}
	// Every id term naming the AMI the class pins now (Target.From) names To instead;
	// the other terms are kept (Discover's plan says so in Target.Change).
	want := make([]any, len(terms))
	changed := 0
	for i, term := range terms {
		want[i] = term
		tm, ok := term.(map[string]any)
		if !ok || tm["id"] != m.t.From || m.t.From == "" {
			continue
		}
		nt := make(map[string]any, len(tm))
		for k, v := range tm {
			nt[k] = v
		}
		nt["id"] = m.to
		want[i] = nt
		changed++
	}
	if changed == 0 {
		if slices.ContainsFunc(terms, func(term any) bool { tm, ok := term.(map[string]any); return ok && tm["id"] == m.to }) {
			return nil // already pinned to To (a re-run)
		}
		return fmt.Errorf("EC2NodeClass %s has no amiSelectorTerms id term naming %s any more: not patched", m.t.Name, m.t.From)
	}
	if err := r.patchTerms(ctx, m.t.Name, want); err != nil {
		return err
	}
	m.prevTerms, m.changed = terms, true
	r.o.Progress("%s: amiSelectorTerms id %s → %s (%d terms)", label(m.t), m.t.From, m.to, changed)
	return nil
}

func (r *runner) patchTerms(ctx context.Context, name string, terms []any) error {
	body, err := json.Marshal(map[string]any{"spec": map[string]any{"amiSelectorTerms": terms}})
	if err != nil {
		return fmt.Errorf("encoding the patch of EC2NodeClass %s: %w", name, err)
	}
	if _, err := r.o.Kube.Dynamic.Resource(prune.EC2NodeClassResource).Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("patching EC2NodeClass %s's amiSelectorTerms: %w", name, err)
	}
	return nil
}
