package imagebuilder

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
)

func (r *run) componentVersions(ctx context.Context, name string) ([]versioned, error) {
	var out []versioned
	p := ib.NewListComponentsPaginator(r.api, &ib.ListComponentsInput{
		Owner:   types.OwnershipSelf,
		Filters: nameFilter(name),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing versions of component %s: %w", name, err)
		}
		for _, cv := range page.ComponentVersionList {
			if aws.ToString(cv.Name) != name {
				continue
			}
			r.learn(aws.ToString(cv.Arn))
			out = append(out, versioned{arn: versionARN(aws.ToString(cv.Arn)), version: aws.ToString(cv.Version)})
		}
	}
	for i := range out {
		got, err := r.api.GetComponent(ctx, &ib.GetComponentInput{ComponentBuildVersionArn: aws.String(out[i].arn)})
		if err != nil {
			return nil, fmt.Errorf("reading component %s: %w", out[i].arn, err)
		}
		if got.Component != nil {
			out[i].hash = got.Component.Tags[ContentHashTag]
		}
	}
	return out, nil
}

// component plans or applies one of the spec's own components and returns its version ARN.
func (r *run) component(ctx context.Context, want *ib.CreateComponentInput) (string, error) {
	name := *want.Name
	hash := ComponentHash(want)
	return r.immutable(ctx, immutable{
		resource: ResourceComponent, name: name, hash: hash, semver: aws.ToString(want.SemanticVersion),
		versions:   r.componentVersions,
		setVersion: func(version string) { r.plan.ComponentVersions[name] = version },
		diff: func(ctx context.Context, last *versioned) string {
			got, err := r.api.GetComponent(ctx, &ib.GetComponentInput{ComponentBuildVersionArn: aws.String(last.arn)})
			if err != nil || got.Component == nil {
				return ""
			}
			w := toJSONMap(want, "clientToken", "name", "semanticVersion", "tags", "changeDescription", "dryRun", "uri")
			g := toJSONMap(got.Component)
			if why := describeDiff(diffSubset("", w, g), trimData(w), trimData(g)); why != "" {
				return why + dataChange(aws.ToString(got.Component.Data), aws.ToString(want.Data))
			}
			return ""
		},
		create: func(ctx context.Context, version string) (string, error) {
			in := *want
			in.SemanticVersion = aws.String(version)
			in.Tags = tagsWith(want.Tags, map[string]string{ManagedByTag: "winami", NameTag: r.d.Name, ContentHashTag: hash})
			in.ClientToken = nil
			in.ClientToken = aws.String(clientToken("CreateComponent", in))
			out, err := r.api.CreateComponent(ctx, &in)
			if err != nil {
				return "", err
			}
			return versionARN(aws.ToString(out.ComponentBuildVersionArn)), nil
		},
	})
}

// quoted finds the single-quoted tokens of a component document.
var quoted = regexp.MustCompile(`'([^'\s]+)'`)

// imageRefs lists the quoted tokens of a document that look like image references.
func imageRefs(doc string) map[string]bool {
	out := map[string]bool{}
	for _, m := range quoted.FindAllStringSubmatch(doc, -1) {
		ref := m[1]
		if strings.ContainsAny(ref, ":@") && strings.ContainsAny(ref, "/.") && !strings.HasPrefix(ref, "$") && !strings.Contains(ref, "://") {
			out[ref] = true
		}
	}
	return out
}

// dataChange says which cached images a changed document adds and removes.
func dataChange(old, new string) string {
	if old == new {
		return ""
	}
	o, n := imageRefs(old), imageRefs(new)
	var added, removed []string
	for _, r := range slices.Sorted(maps.Keys(n)) {
		if !o[r] {
			added = append(added, r)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(o)) {
		if !n[r] {
			removed = append(removed, r)
		}
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "adds "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		parts = append(parts, "removes "+strings.Join(removed, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// trimData keeps the diff's reason short: a component document is named, not printed.
func trimData(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != "data" {
			out[k] = v
		}
	}
	return out
}
