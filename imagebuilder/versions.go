package imagebuilder

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winami/winami/awsapi"
)

// versioned is one existing version of a component or recipe.
type versioned struct {
	arn     string
	version string
	hash    string
}

func newest(vs []versioned) *versioned {
	var best *versioned
	var bv semver
	for i := range vs {
		v, ok := parseSemver(vs[i].version)
		if ok && (best == nil || bv.less(v)) {
			best, bv = &vs[i], v
		}
	}
	return best
}

// withHash returns the ARN of the version with content hash h ("" when none).
func withHash(vs []versioned, h string) string {
	for _, v := range vs {
		if v.hash == h {
			return v.arn
		}
	}
	return ""
}

func versionsOf(vs []versioned) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.version
	}
	return out
}

// ComponentHash is the hash of a component's content (everything but name-independent
// bookkeeping: version, token, tags, change description), the value of its ContentHashTag.
// winami render tags the requests it writes with it, so a component created from them is
// recognised by plan and apply.
func ComponentHash(in *ib.CreateComponentInput) string {
	c := *in
	c.ClientToken, c.SemanticVersion, c.Tags, c.ChangeDescription, c.DryRun = nil, nil, nil, nil, false
	return hashOf(c, 32)
}

// RecipeHash is the hash of a recipe's content, the value of its ContentHashTag;
// component ARNs count by name and version only (not account), so a plan's placeholder
// ARNs hash like the real ones. winami render tags the requests it writes with it.
func RecipeHash(in *ib.CreateImageRecipeInput) string {
	c := *in
	c.ClientToken, c.SemanticVersion, c.Tags = nil, nil, nil
	c.Components = append([]types.ComponentConfiguration(nil), in.Components...)
	for i, cc := range c.Components {
		if kind, name, version, ok := arnParts(aws.ToString(cc.ComponentArn)); ok && !strings.Contains(aws.ToString(cc.ComponentArn), ":aws:component/") {
			c.Components[i].ComponentArn = aws.String(kind + "/" + name + "/" + version)
		}
	}
	return hashOf(c, 32)
}

// immutable is the common handling of the versioned resources (components and image
// recipes): a version is never changed, a new one is created.
type immutable struct {
	resource string
	name     string
	// hash is the desired content's hash, compared with each version's ContentHashTag.
	hash string
	// semver is the spec's semantic version, the lowest one used.
	semver string
	// versions lists the existing versions of the name.
	versions func(ctx context.Context, name string) ([]versioned, error)
	// setVersion, when not nil, records the version planned or used.
	setVersion func(version string)
	// diff says how the desired content differs from the last version ("" when it
	// cannot tell).
	diff func(ctx context.Context, last *versioned) string
	// create makes the version and returns its ARN.
	create func(ctx context.Context, version string) (string, error)
}

func (m immutable) set(version string) {
	if m.setVersion != nil {
		m.setVersion(version)
	}
}

func (r *run) immutable(ctx context.Context, m immutable) (string, error) {
	noun := strings.ReplaceAll(m.resource, "-", " ")
	existing, err := m.versions(ctx, m.name)
	if err != nil {
		return "", err
	}
	for _, v := range existing {
		if v.hash == m.hash {
			r.add(Change{Resource: m.resource, Name: m.name, Action: ActionUnchanged, Version: v.version, ARN: v.arn,
				Reason: "version " + v.version + " has this content"})
			m.set(v.version)
			return v.arn, nil
		}
	}
	version := nextVersion(m.semver, versionsOf(existing))
	ch := Change{Resource: m.resource, Name: m.name, Action: ActionCreate, Version: version,
		Reason: "no " + noun + " of this name"}
	if last := newest(existing); last != nil {
		ch.Action = ActionNewVersion
		ch.Reason = "content differs from every version"
		if why := m.diff(ctx, last); why != "" {
			ch.Reason = why + " since " + last.version
		}
	}
	m.set(version)
	if !r.apply {
		ch.ARN = r.placeholder(m.resource, m.name, version)
		r.add(ch)
		return ch.ARN, nil
	}
	for attempt := 1; ; attempt++ {
		arn, err := m.create(ctx, version)
		r.plan.Mutations++
		if err == nil {
			ch.ARN = arn
			break
		}
		if awsapi.ErrorCode(err) != "ResourceAlreadyExistsException" || attempt == 3 {
			return "", fmt.Errorf("creating %s %s %s: %w", noun, m.name, version, err)
		}
		// The version appeared after the listing (a concurrent apply, or a listing that
		// lagged): reuse it when it has this content, else take the next one.
		existing, lerr := m.versions(ctx, m.name)
		if lerr != nil {
			return "", lerr
		}
		if arn := withHash(existing, m.hash); arn != "" {
			ch.ARN = arn
			break
		}
		version = nextVersion(version, append(versionsOf(existing), version))
		ch.Version = version
		m.set(version)
	}
	r.add(ch)
	r.opts.logf("%s %s: created %s", noun, m.name, version)
	return ch.ARN, nil
}
