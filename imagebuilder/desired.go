package imagebuilder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/spec"
)

// Tags winami puts on the resources and AMIs it creates.
const (
	// ManagedByTag marks a resource as created by winami (value "winami").
	ManagedByTag = "winami:managed-by"
	// NameTag carries the spec's metadata.name.
	NameTag = "winami:name"
	// ContentHashTag carries the hash of a component's or recipe's content (ComponentHash,
	// RecipeHash), on what apply creates and on what winami render writes.
	ContentHashTag = "winami:content-hash"
	// InputsHashTag (on AMIs) is the hash of every input of the build.
	InputsHashTag = "winami:inputs-hash"
	// ParentImageTag (on AMIs) is the resolved parent AMI id.
	ParentImageTag = "winami:parent-image"
	// ComponentsTag (on AMIs) lists the components as name@version, comma separated.
	ComponentsTag = "winami:components"
	// ImagesTag (on AMIs) is the hash of the cached image references (digests where known).
	ImagesTag = "winami:images"
	// SpecHashTag (on AMIs) is the hash of the spec file.
	SpecHashTag = "winami:spec-hash"
	// CachedImagesTag (on AMIs) is the number of cached images; their references (with
	// the digest the build resolved, where known) are listed, space separated, in the
	// parts CachedImagesTag+":1", ":2", … (see CachedImagesTags).
	CachedImagesTag = "winami:cached-images"
)

// Desired is the state Apply converges to: one typed create request per resource.
// The requests' names, semantic versions and client tokens are managed by this package:
// versions of components and recipes are chosen from their content, the recipe's
// references to the spec's own components and the pipeline's references to the recipe
// and configurations are filled with the real ARNs.
type Desired struct {
	// Name is the spec's metadata.name (the prefix of every resource).
	Name string
	// Region is where the Image Builder resources live.
	Region string
	// Components are the spec's own components (the image cache), in recipe order.
	Components []*ib.CreateComponentInput
	// Recipe is the image recipe. A component ARN whose name is one of Components' names
	// (any account, any version) is replaced with the ARN of the applied version.
	Recipe *ib.CreateImageRecipeInput
	// Infrastructure is the infrastructure configuration.
	Infrastructure *ib.CreateInfrastructureConfigurationInput
	// Distribution is the distribution configuration.
	Distribution *ib.CreateDistributionConfigurationInput
	// Pipeline is the image pipeline; its recipe and configuration ARNs are filled in.
	Pipeline *ib.CreateImagePipelineInput
	// PublishParameter is the SSM parameter that receives the AMI id in every distribution
	// region ("" for none). Apply adds it to each distribution's ssmParameterConfigurations.
	PublishParameter string
	// PublishAccounts are the accounts besides the build account in which PublishParameter
	// is written (the spec's target accounts), in every distribution region.
	PublishAccounts []string
	// PublishAfterScan is set when the image is scanned (spec.build.imageScanning): the
	// distribution then writes no parameter, and Build publishes after the scan's verdict.
	PublishAfterScan bool
	// RootVolumeAuto sizes the recipe's root volume from the parent AMI and CacheImages.
	RootVolumeAuto bool
	// CacheImages are the image references cached in the AMI (digests where resolved).
	CacheImages []string
	// SpecHash is the hash of the spec the requests were rendered from.
	SpecHash string
}

// DistributedParameter is the parameter the distribution itself writes: PublishParameter,
// or "" when PublishAfterScan (the rule is spec.DistributedParameter's). The execution
// role's inline ssm:PutParameter policy and the distributions' ssmParameterConfigurations
// follow it.
func (d *Desired) DistributedParameter() string {
	return spec.DistributedParameter(d.PublishParameter, d.PublishAfterScan)
}

// ExecutionRole is the pipeline's execution role, a role name or ARN ("" when Image
// Builder acts as its service-linked role).
func (d *Desired) ExecutionRole() string {
	if d.Pipeline == nil {
		return ""
	}
	return aws.ToString(d.Pipeline.ExecutionRole)
}

// Regions lists the distribution regions (the build region when none are listed).
func (d *Desired) Regions() []string {
	var out []string
	seen := map[string]bool{}
	if d.Distribution != nil {
		for _, dist := range d.Distribution.Distributions {
			if dist.Region != nil && !seen[*dist.Region] {
				seen[*dist.Region] = true
				out = append(out, *dist.Region)
			}
		}
	}
	if len(out) == 0 {
		out = []string{d.Region}
	}
	return out
}

// validate checks that every request needed is present and named.
func (d *Desired) validate() error {
	switch {
	case d.Name == "":
		return fmt.Errorf("checking desired state: no name")
	case d.Region == "":
		return fmt.Errorf("checking desired state: no region")
	case d.Recipe == nil || d.Recipe.Name == nil:
		return fmt.Errorf("checking desired state: no image recipe")
	case d.Infrastructure == nil || d.Infrastructure.Name == nil:
		return fmt.Errorf("checking desired state: no infrastructure configuration")
	case d.Distribution == nil || d.Distribution.Name == nil:
		return fmt.Errorf("checking desired state: no distribution configuration")
	case d.Pipeline == nil || d.Pipeline.Name == nil:
		return fmt.Errorf("checking desired state: no image pipeline")
	}
	for i, c := range d.Components {
		if c == nil || c.Name == nil {
			return fmt.Errorf("checking desired state: component %d has no name", i)
		}
	}
	return nil
}

// Clients gives per-region service clients; *awsapi.Clients satisfies it.
type Clients interface {
	ImageBuilder(region string) awsapi.ImageBuilder
	EC2(region string) awsapi.EC2
	SSM(region string) awsapi.SSM
	IAM(region string) awsapi.IAM
}

// hashOf is the hex SHA-256 of v's JSON encoding, cut to n characters.
func hashOf(v any, n int) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Every value hashed here is a plain SDK request struct; this cannot fail.
		panic(fmt.Sprintf("encoding %T for hashing: %v", v, err))
	}
	sum := sha256.Sum256(b)
	s := hex.EncodeToString(sum[:])
	if n > 0 && n < len(s) {
		s = s[:n]
	}
	return s
}

// clientToken derives an idempotency token (≤ 64 characters) from an operation name and
// the content of its request (without the token itself) and, for updates, the state
// being updated.
func clientToken(op string, parts ...any) string {
	return hashOf(append([]any{op}, parts...), 32)
}

// semver is a parsed major.minor.patch version.
type semver [3]int

func parseSemver(s string) (semver, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return semver{}, false
	}
	var v semver
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return semver{}, false
		}
		v[i] = n
	}
	return v, true
}

// String writes the version as major.minor.patch.
func (v semver) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

func (v semver) less(w semver) bool {
	for i := range v {
		if v[i] != w[i] {
			return v[i] < w[i]
		}
	}
	return false
}

// nextVersion returns the version for new content: base when nothing exists, else the
// next patch after the highest existing version (or base when base is higher).
func nextVersion(base string, existing []string) string {
	b, ok := parseSemver(base)
	if !ok {
		b = semver{1, 0, 0}
	}
	var max semver
	found := false
	for _, e := range existing {
		if v, ok := parseSemver(e); ok && (!found || max.less(v)) {
			max, found = v, true
		}
	}
	if !found || max.less(b) {
		return b.String()
	}
	return semver{max[0], max[1], max[2] + 1}.String()
}

// arnName is how Image Builder writes a resource name in an ARN: lower case, spaces as dashes.
func arnName(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), " ", "-")
}

// arnParts splits an Image Builder ARN into its resource type, name and version
// ("" when absent); ok is false for anything else.
func arnParts(arn string) (kind, name, version string, ok bool) {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[2] != "imagebuilder" {
		return "", "", "", false
	}
	p := strings.Split(f[5], "/")
	if len(p) < 2 {
		return "", "", "", false
	}
	if len(p) >= 3 {
		version = p[2]
	}
	return p[0], p[1], version, true
}

// versionARN strips a build number (".../1.0.2/1") from an ARN.
func versionARN(arn string) string {
	f := strings.Split(arn, "/")
	if len(f) == 4 {
		return strings.Join(f[:3], "/")
	}
	return arn
}

func tagsWith(base map[string]string, extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}
