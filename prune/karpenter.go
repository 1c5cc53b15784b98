package prune

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/winami/winami/awsapi"
)

// The Karpenter guard follows Karpenter's own AMI resolution, as aws/karpenter-provider-aws
// v1.14.1 implements it (read at commit 1d927085d, "v1.14.0-68"):
//   - pkg/apis/v1/ec2nodeclass.go: AMISelectorTerm {alias, id, name, owner, ssmParameter,
//     tags}; fields of one term are ANDed, terms are ORed; an alias term excludes every
//     other term (CEL); Windows aliases accept only the version "latest".
//   - pkg/apis/v1/ec2nodeclass_status.go: status.amis[] {id, name, deprecated, requirements}.
//   - pkg/providers/amifamily/ami.go (DescribeImageQueries, amis, compareAMI): id and
//     ssmParameter terms become one image-id filter (a parameter that does not exist, or
//     does not hold "ami-…", selects nothing); a name term defaults its owners to
//     "self,amazon"; tags "*" becomes a tag-key filter, other values tag:KEY filters; every
//     query adds state=available and IncludeDeprecated. Of all the images the queries return,
//     Karpenter launches, per set of requirements (for non-alias terms: the architecture),
//     the non-deprecated one before a deprecated one, then the newest by CreationDate, then
//     the greatest name.
//   - pkg/providers/amifamily/windows.go: the windows2019/2022/2025 aliases resolve the SSM
//     parameter /aws/service/ami-windows-latest/Windows_Server-<version>-English-Core-
//     EKS_Optimized-<kubernetes minor>/image_id; pkg/providers/version/version.go reads the
//     Kubernetes minor from EKS DescribeCluster or the API server (Discovery ServerVersion,
//     "+" trimmed from the minor); the guard reads the API server's.
//   - pkg/apis/v1/labels.go: AWSToKubeArchitectures (x86_64 → amd64, arm64).
//
// The guard keeps, in every region prune works on (Karpenter evaluates the terms only in
// its cluster's region; prune does not know which one that is, so it keeps more rather than
// less): every AMI an id, ssmParameter or alias term names; the AMI Karpenter launches from
// among those the terms select; and every AMI in status.amis.

// EC2NodeClassResource is Karpenter's EC2NodeClass (cluster-scoped) as the guard reads it.
var EC2NodeClassResource = schema.GroupVersionResource{Group: "karpenter.k8s.aws", Version: "v1", Resource: "ec2nodeclasses"}

// AMISelectorTerm is one of an EC2NodeClass's spec.amiSelectorTerms (karpenter.k8s.aws/v1).
type AMISelectorTerm struct {
	Alias        string            `json:"alias,omitempty"`
	ID           string            `json:"id,omitempty"`
	Name         string            `json:"name,omitempty"`
	Owner        string            `json:"owner,omitempty"`
	SSMParameter string            `json:"ssmParameter,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
}

// EC2NodeClass is what the guard reads of one EC2NodeClass.
type EC2NodeClass struct {
	Name string
	// Terms are spec.amiSelectorTerms.
	Terms []AMISelectorTerm
	// StatusAMIs are the ids in status.amis: the AMIs Karpenter last resolved.
	StatusAMIs []string
}

// ec2NodeClassObject is the part of the unstructured object the guard decodes.
type ec2NodeClassObject struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		AMISelectorTerms []AMISelectorTerm `json:"amiSelectorTerms"`
	} `json:"spec"`
	Status struct {
		AMIs []struct {
			ID string `json:"id"`
		} `json:"amis"`
	} `json:"status"`
}

// ErrKarpenterNotV1 is returned when the cluster serves Karpenter's API group but not
// karpenter.k8s.aws/v1, the version the guard reads.
var ErrKarpenterNotV1 = errors.New("the cluster serves karpenter.k8s.aws but not its v1 EC2NodeClasses")

// ReadEC2NodeClasses lists every EC2NodeClass, 500 a page. A cluster that does not serve
// the API group karpenter.k8s.aws at all has none (installed is false); one that serves it
// in other versions only is ErrKarpenterNotV1 (disc may be nil: then that check is skipped
// and a missing v1 resource is an error). Any other failure is an error: an EC2NodeClass
// that could not be read may select any AMI.
func ReadEC2NodeClasses(ctx context.Context, dyn dynamic.Interface, disc discovery.DiscoveryInterface) (classes []EC2NodeClass, installed bool, err error) {
	opts := metav1.ListOptions{Limit: 500}
	for {
		list, err := dyn.Resource(EC2NodeClassResource).List(ctx, opts)
		if apierrors.IsNotFound(err) && disc != nil {
			served, derr := servedVersions(disc, EC2NodeClassResource.Group)
			switch {
			case derr != nil:
				return nil, false, fmt.Errorf("listing EC2NodeClasses: %w; and reading the served API groups: %w", err, derr)
			case len(served) == 0:
				return nil, false, nil
			default:
				return nil, true, fmt.Errorf("listing EC2NodeClasses: %w (it serves %s; winami reads karpenter.k8s.aws/v1, Karpenter 1.0 and later)",
					ErrKarpenterNotV1, strings.Join(served, ", "))
			}
		}
		if err != nil {
			return nil, false, fmt.Errorf("listing EC2NodeClasses (karpenter.k8s.aws/v1): %w", err)
		}
		for i := range list.Items {
			var obj ec2NodeClassObject
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(list.Items[i].Object, &obj); err != nil {
				return nil, true, fmt.Errorf("reading EC2NodeClass %s: %w", list.Items[i].GetName(), err)
			}
			nc := EC2NodeClass{Name: obj.Metadata.Name, Terms: obj.Spec.AMISelectorTerms}
			for _, a := range obj.Status.AMIs {
				if a.ID != "" {
					nc.StatusAMIs = append(nc.StatusAMIs, a.ID)
				}
			}
			classes = append(classes, nc)
		}
		if list.GetContinue() == "" {
			sort.Slice(classes, func(i, j int) bool { return classes[i].Name < classes[j].Name })
			return classes, true, nil
		}
		opts.Continue = list.GetContinue()
	}
}

// servedVersions lists the versions of group the API server serves ("karpenter.k8s.aws/v1beta1").
func servedVersions(disc discovery.DiscoveryInterface, group string) ([]string, error) {
	groups, err := disc.ServerGroups()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, g := range groups.Groups {
		if g.Name != group {
			continue
		}
		for _, v := range g.Versions {
			out = append(out, v.GroupVersion)
		}
	}
	return out, nil
}

// KarpenterAWS gives the per-region clients the guard calls; *awsapi.Clients satisfies it.
type KarpenterAWS interface {
	EC2(region string) awsapi.EC2
	SSM(region string) awsapi.SSM
}

// KarpenterGuard is a Guard that keeps the AMIs Karpenter's EC2NodeClasses select. It is
// safe for concurrent use once built.
type KarpenterGuard struct {
	// NodeClasses are the cluster's EC2NodeClasses (ReadEC2NodeClasses).
	NodeClasses []EC2NodeClass
	// AWS resolves the terms in each region.
	AWS KarpenterAWS
	// Kubernetes is the cluster's Kubernetes minor ("1.35"), which Windows aliases need.
	Kubernetes string
	// Now is the time deprecation is judged at (time.Now when zero).
	Now time.Time
}

// NewKarpenterGuard reads the cluster's EC2NodeClasses and its Kubernetes version.
// installed is false when the cluster does not serve Karpenter's API (then the guard
// keeps nothing, and says so through installed).
func NewKarpenterGuard(ctx context.Context, dyn dynamic.Interface, disc discovery.DiscoveryInterface, clients KarpenterAWS) (g *KarpenterGuard, installed bool, err error) {
	classes, installed, err := ReadEC2NodeClasses(ctx, dyn, disc)
	if err != nil {
		return nil, installed, err
	}
	g = &KarpenterGuard{NodeClasses: classes, AWS: clients}
	if disc != nil && needsKubernetesVersion(classes) {
		v, err := disc.ServerVersion()
		if err != nil {
			return nil, installed, fmt.Errorf("reading the API server version (for EC2NodeClass aliases): %w", err)
		}
		minor := strings.TrimRight(v.Minor, "+")
		g.Kubernetes = strings.TrimPrefix(v.Major, "v") + "." + minor
	}
	return g, installed, nil
}

func needsKubernetesVersion(classes []EC2NodeClass) bool {
	for _, nc := range classes {
		if _, ok := aliasOf(nc); ok {
			return true
		}
	}
	return false
}

// aliasOf returns the index of the node class's first alias term (Karpenter's
// EC2NodeClass.Alias() takes the first; CEL allows only one).
func aliasOf(nc EC2NodeClass) (int, bool) {
	for i, t := range nc.Terms {
		if t.Alias != "" {
			return i, true
		}
	}
	return 0, false
}

// windowsAliasVersions maps Karpenter's Windows alias families to the Windows Server
// version in the SSM parameter name.
var windowsAliasVersions = map[string]string{"windows2019": "2019", "windows2022": "2022", "windows2025": "2025"}

// InUse implements Guard: the AMIs the node classes select in region, with the reasons.
func (g *KarpenterGuard) InUse(ctx context.Context, region string, _ []Candidate) (map[string][]string, error) {
	out := map[string][]string{}
	add := func(id, why string) {
		if id != "" {
			out[id] = append(out[id], why)
		}
	}
	for _, nc := range g.NodeClasses {
		for _, id := range nc.StatusAMIs {
			add(id, fmt.Sprintf("in status.amis of Karpenter EC2NodeClass %s", nc.Name))
		}
		if err := g.selected(ctx, region, nc, add); err != nil {
			return nil, fmt.Errorf("resolving the amiSelectorTerms of EC2NodeClass %s in %s: %w", nc.Name, region, err)
		}
	}
	return out, nil
}

// selectedImage is an image a node class's queries returned.
type selectedImage struct {
	id, name, arch string
	created        time.Time
	deprecated     bool
	terms          []int
}

// NamedAMI is an AMI an id, ssmParameter or alias term of an EC2NodeClass names.
type NamedAMI struct {
	ID string
	// Term is the index of the term in amiSelectorTerms; Field names it ("id",
	// "ssmParameter /winami/prod/image_id", "alias windows2022@latest").
	Term  int
	Field string
	// Through is the SSM parameter an alias term resolves through ("" for other terms).
	Through string
}

// LaunchedAMI is the AMI Karpenter launches for one architecture, and the terms that
// select it.
type LaunchedAMI struct {
	ID    string
	Terms []int
}

// Selection is what one EC2NodeClass's amiSelectorTerms select in a region, resolved as
// Karpenter resolves them (see the top of this file).
type Selection struct {
	// Named are the AMIs its id, ssmParameter and alias terms name, in term order.
	Named []NamedAMI
	// Launched is, per Kubernetes architecture (amd64, arm64), the AMI Karpenter launches
	// from among those the terms select (none for an alias term: Karpenter launches the
	// alias's parameter, in Named).
	Launched map[string]LaunchedAMI
}

// selected resolves one node class's terms in region, as Karpenter does, and adds each
// AMI with its reason.
func (g *KarpenterGuard) selected(ctx context.Context, region string, nc EC2NodeClass, add func(id, why string)) error {
	sel, err := g.Select(ctx, region, nc)
	if err != nil {
		return err
	}
	term := func(i int, field string) string {
		return fmt.Sprintf("Karpenter EC2NodeClass %s (amiSelectorTerms[%d].%s)", nc.Name, i, field)
	}
	for _, n := range sel.Named {
		why := "named by " + term(n.Term, n.Field)
		if n.Through != "" {
			why += " through " + n.Through
		}
		add(n.ID, why)
	}
	for _, arch := range slices.Sorted(maps.Keys(sel.Launched)) {
		c := sel.Launched[arch]
		terms := make([]string, 0, len(c.Terms))
		for _, i := range c.Terms {
			terms = append(terms, describeTerm(i, nc.Terms[i]))
		}
		add(c.ID, fmt.Sprintf("launched by Karpenter EC2NodeClass %s (%s): the %s AMI it selects", nc.Name, strings.Join(terms, "; "), arch))
	}
	return nil
}

// Select resolves one node class's amiSelectorTerms in region as Karpenter does: the AMIs
// its terms name and the AMI it launches per architecture.
func (g *KarpenterGuard) Select(ctx context.Context, region string, nc EC2NodeClass) (Selection, error) {
	sel := Selection{Launched: map[string]LaunchedAMI{}}
	add := func(id string, i int, field, through string) {
		if id != "" {
			sel.Named = append(sel.Named, NamedAMI{ID: id, Term: i, Field: field, Through: through})
		}
	}
	if i, ok := aliasOf(nc); ok {
		alias := nc.Terms[i].Alias
		family, version, _ := strings.Cut(alias, "@")
		win, isWindows := windowsAliasVersions[family]
		if !isWindows {
			// al2, al2023, bottlerocket: Amazon's Linux AMIs, never an AMI of this account.
			return sel, nil
		}
		if g.Kubernetes == "" {
			return sel, fmt.Errorf("alias %s needs the cluster's Kubernetes version, which was not read", alias)
		}
		if version != "latest" {
			return sel, fmt.Errorf("alias %s: Karpenter accepts only windows…@latest", alias)
		}
		name := fmt.Sprintf("/aws/service/ami-windows-latest/Windows_Server-%s-English-Core-EKS_Optimized-%s/image_id", win, g.Kubernetes)
		id, found, err := g.parameter(ctx, region, name)
		if err != nil {
			return sel, err
		}
		if found {
			add(id, i, "alias "+alias, name)
		}
		return sel, nil
	}

	var ids []string
	idTerms := map[string][]int{}
	type query struct {
		in    *ec2.DescribeImagesInput
		terms []int
	}
	var queries []query
	for i, t := range nc.Terms {
		switch {
		case t.ID != "":
			add(t.ID, i, "id", "")
			ids = append(ids, t.ID)
			idTerms[t.ID] = append(idTerms[t.ID], i)
		case t.SSMParameter != "":
			id, found, err := g.parameter(ctx, region, t.SSMParameter)
			if err != nil {
				return sel, err
			}
			if found {
				add(id, i, "ssmParameter "+t.SSMParameter, "")
				ids = append(ids, id)
				idTerms[id] = append(idTerms[id], i)
			}
		default:
			in := &ec2.DescribeImagesInput{}
			if t.Owner != "" {
				in.Owners = []string{t.Owner}
			}
			if t.Name != "" {
				if t.Owner == "" {
					in.Owners = []string{"self", "amazon"}
				}
				in.Filters = append(in.Filters, types.Filter{Name: aws.String("name"), Values: []string{t.Name}})
			}
			keys := make([]string, 0, len(t.Tags))
			for k := range t.Tags {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if v := t.Tags[k]; v == "*" {
					in.Filters = append(in.Filters, types.Filter{Name: aws.String("tag-key"), Values: []string{k}})
				} else {
					in.Filters = append(in.Filters, types.Filter{Name: aws.String("tag:" + k), Values: []string{v}})
				}
			}
			queries = append(queries, query{in: in, terms: []int{i}})
		}
	}
	if len(ids) > 0 {
		queries = append(queries, query{in: &ec2.DescribeImagesInput{Filters: []types.Filter{{Name: aws.String("image-id"), Values: ids}}}})
	}

	now := g.Now
	if now.IsZero() {
		now = time.Now()
	}
	best := map[string]selectedImage{} // by architecture
	for _, q := range queries {
		in := q.in
		in.Filters = append(in.Filters, types.Filter{Name: aws.String("state"), Values: []string{string(types.ImageStateAvailable)}})
		in.IncludeDeprecated = aws.Bool(true)
		in.MaxResults = aws.Int32(1000)
		p := ec2.NewDescribeImagesPaginator(g.AWS.EC2(region), in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return sel, fmt.Errorf("describing the images they select: %w", err)
			}
			for _, im := range page.Images {
				arch, ok := karpenterArch[string(im.Architecture)]
				if !ok {
					continue
				}
				id := aws.ToString(im.ImageId)
				terms := q.terms
				if terms == nil {
					terms = idTerms[id]
				}
				c := selectedImage{id: id, name: aws.ToString(im.Name), arch: arch, terms: terms}
				c.created, _ = time.Parse(time.RFC3339, aws.ToString(im.CreationDate))
				if d := aws.ToString(im.DeprecationTime); d != "" {
					if t, err := time.Parse(time.RFC3339, d); err == nil && !t.After(now) {
						c.deprecated = true
					}
				}
				if cur, ok := best[arch]; !ok || karpenterPrefers(c, cur) {
					best[arch] = c
				}
			}
		}
	}
	for arch, c := range best {
		sel.Launched[arch] = LaunchedAMI{ID: c.id, Terms: c.terms}
	}
	return sel, nil
}

// describeTerm names term i and its fields: "amiSelectorTerms[1].name team-win2022-*".
func describeTerm(i int, t AMISelectorTerm) string {
	var parts []string
	if t.ID != "" {
		parts = append(parts, "id "+t.ID)
	}
	if t.SSMParameter != "" {
		parts = append(parts, "ssmParameter "+t.SSMParameter)
	}
	if t.Name != "" {
		parts = append(parts, "name "+t.Name)
	}
	if t.Owner != "" {
		parts = append(parts, "owner "+t.Owner)
	}
	if len(t.Tags) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(t.Tags)) {
			kv = append(kv, k+"="+t.Tags[k])
		}
		parts = append(parts, "tags "+strings.Join(kv, ","))
	}
	return fmt.Sprintf("amiSelectorTerms[%d] %s", i, strings.Join(parts, ", "))
}

// karpenterArch is Karpenter's AWSToKubeArchitectures (pkg/apis/v1/labels.go).
var karpenterArch = map[string]string{"x86_64": "amd64", "arm64": "arm64"}

// karpenterPrefers orders like Karpenter's compareAMI: not deprecated first, then the
// newer creation date (to the second), then the greater name.
func karpenterPrefers(a, b selectedImage) bool {
	if a.deprecated != b.deprecated {
		return !a.deprecated
	}
	if a.created.Unix() != b.created.Unix() {
		return a.created.Unix() > b.created.Unix()
	}
	return a.name > b.name
}

// parameter reads an SSM parameter holding an AMI id. found is false when the parameter
// does not exist or does not hold an AMI id (Karpenter then selects nothing by it).
func (g *KarpenterGuard) parameter(ctx context.Context, region, name string) (id string, found bool, err error) {
	out, err := g.AWS.SSM(region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	switch {
	case awsapi.ErrorCode(err) == "ParameterNotFound":
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("reading SSM parameter %s: %w", name, err)
	}
	v := strings.TrimSpace(aws.ToString(out.Parameter.Value))
	if !strings.HasPrefix(v, "ami-") {
		return "", false, nil
	}
	return v, true, nil
}
