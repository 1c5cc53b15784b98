package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/winami/winami/catalog"
)

// Default fills every default so that the effective spec shows them, and writes
// Windows version and edition in their canonical form ("2022", "Core").
func (img *WindowsImage) Default() {
	s := &img.Spec
	if w, err := catalog.Windows(s.Windows.Version); err == nil {
		s.Windows.Version = w.Version
	}
	if s.Windows.Edition == "" {
		s.Windows.Edition = string(catalog.Core)
	} else if ed, err := catalog.ParseEdition(s.Windows.Edition); err == nil {
		s.Windows.Edition = string(ed)
	}
	if s.Parent.Source == "" {
		s.Parent.Source = SourceEKSOptimized
	}
	if s.Cache.Enabled == nil && len(s.Cache.Images) > 0 {
		s.Cache.Enabled = ptr(true)
	}
	if len(s.Build.InstanceTypes) == 0 {
		s.Build.InstanceTypes = []string{DefaultInstanceType}
	}
	if s.Build.InstanceProfile == "" {
		s.Build.InstanceProfile = DefaultInstanceProfile
	}
	if s.Build.ExecutionRole == "" && img.NeedsExecutionRole() && img.Metadata.Name != "" {
		s.Build.ExecutionRole = DefaultExecutionRole(img.Metadata.Name)
	}
	if s.Build.TerminateOnFailure == nil {
		s.Build.TerminateOnFailure = ptr(true)
	}
	if e := s.Build.Encryption; e != nil && e.Encrypted == nil {
		e.Encrypted = ptr(true)
	}
	if len(s.Distribution.Regions) == 0 && img.Metadata.Region != "" {
		s.Distribution.Regions = []string{img.Metadata.Region}
	}
	if s.Distribution.AMIName == "" && img.Metadata.Name != "" {
		s.Distribution.AMIName = img.Metadata.Name + "-" + BuildDateVariable
	}
	if fl := s.Distribution.FastLaunch; fl != nil {
		// An explicit 0 is what the user wrote, and validation refuses it; only an
		// absent field takes the default.
		const fp = "spec.distribution.fastLaunch."
		if fl.TargetSnapshots == 0 && !img.Given(fp+"targetSnapshots") {
			fl.TargetSnapshots = DefaultTargetSnapshots
		}
		if fl.MaxParallelLaunches == 0 && !img.Given(fp+"maxParallelLaunches") {
			fl.MaxParallelLaunches = DefaultMaxParallelLaunches
		}
		if lt := fl.LaunchTemplate; lt != nil && lt.Version == "" && (lt.ID != "" || lt.Name != "") {
			lt.Version = "$Default"
		}
	}
	if s.Keep == nil {
		s.Keep = ptr(DefaultKeep)
	}
}

func ptr[T any](v T) *T { return &v }

// DistributedParameter is the SSM parameter that Image Builder's distribution itself
// writes: spec.distribution.publishParameter, except when the image is scanned
// (PublishAfterScan), when the distribution writes none and winami build publishes as the
// user after the scan's verdict; "" for none. It is the one rule for what the pipeline's
// execution role must be allowed to write (NeedsExecutionRole, and the inline
// ssm:PutParameter policy render and apply --create-roles give the role).
func (img *WindowsImage) DistributedParameter() string {
	return DistributedParameter(img.Spec.Distribution.PublishParameter, img.PublishAfterScan())
}

// DistributedParameter is WindowsImage.DistributedParameter for a published parameter p
// ("" for none) and whether the image is scanned (imagebuilder.Desired carries both).
func DistributedParameter(p string, scanned bool) string {
	if scanned {
		return ""
	}
	return p
}

// NeedsExecutionRole tells whether the pipeline needs an execution role to write the
// parameter its distribution writes (DistributedParameter), and so whether
// spec.build.executionRole has a default. Without one, Image Builder distributes as its
// service-linked role, whose AWS managed policy AWSServiceRoleForImageBuilder (v25) allows
// ssm:GetParameter and ssm:PutParameter only on arn:aws:ssm:*:*:parameter/imagebuilder/*
// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSServiceRoleForImageBuilder.html).
// Any other name needs an Image Builder execution role allowed ssm:PutParameter on the
// parameter, and ec2:DescribeImages for the aws:ec2:image data type ("Prerequisites for
// SSM output parameters",
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html#ami-distribution-prereqs-ssm-param).
// Parameter names and ARN resource matching are case-sensitive, so /ImageBuilder/ needs one too.
// A scanned image's distribution writes no parameter (winami build publishes as the user),
// so it needs none: no role is created only to hold rights nobody uses.
func (img *WindowsImage) NeedsExecutionRole() bool {
	p := img.DistributedParameter()
	return p != "" && !strings.HasPrefix(p, ServiceLinkedParameterPrefix)
}

// DefaultExecutionRole is the role name spec.build.executionRole defaults to for an
// image named name, when the pipeline needs an execution role (NeedsExecutionRole).
func DefaultExecutionRole(name string) string { return name + ExecutionRoleSuffix }

// RoleName returns the role name in an IAM role name or role ARN
// (arn:aws:iam::111122223333:role/path/name gives name).
func RoleName(nameOrARN string) string {
	return nameOrARN[strings.LastIndex(nameOrARN, "/")+1:]
}

// YAML is the effective spec as YAML (defaults included), as `winami render -o yaml`
// prints it: fields in the order of the file format (apiVersion, kind, metadata, spec;
// kubernetesVersion, windows, parent, cache, build, distribution, keep).
func (img *WindowsImage) YAML() ([]byte, error) {
	b, err := json.Marshal(img)
	if err != nil {
		return nil, fmt.Errorf("encoding the spec: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := jsonToNode(dec)
	if err != nil {
		return nil, fmt.Errorf("encoding the spec: %w", err)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("encoding the spec: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding the spec: %w", err)
	}
	return buf.Bytes(), nil
}

// jsonToNode reads one JSON value into a YAML node, keeping the order of object keys.
func jsonToNode(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := jsonToNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k.(string)}, v)
			}
			_, err := dec.Token() // }
			return n, err
		case '[':
			n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for dec.More() {
				v, err := jsonToNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, v)
			}
			_, err := dec.Token() // ]
			return n, err
		}
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}, nil
	case json.Number:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: t.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// Hash is a stable hex SHA-256 of the effective spec: the same content, in any field
// order or formatting, gives the same hash.
func (img *WindowsImage) Hash() string {
	b, err := json.Marshal(img)
	if err != nil {
		panic(err) // the types are plain data
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// usesImages tells whether any image is cached.
func (img *WindowsImage) usesImages() bool {
	return img.Spec.Cache.IsEnabled() && len(img.Spec.Cache.Images) > 0
}

// Images returns the images to cache (none when the cache is disabled).
func (img *WindowsImage) Images() []string {
	if !img.usesImages() {
		return nil
	}
	return slices.Clone(img.Spec.Cache.Images)
}
