package spec

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// APIVersion and Kind identify a winami spec file.
const (
	APIVersion = "winami.io/v1alpha1"
	Kind       = "WindowsImage"
)

// Parent image routes.
const (
	// SourceEKSOptimized builds on the EKS-optimized Windows AMI plus update-windows.
	SourceEKSOptimized = "eks-optimized"
	// SourceWindowsBase builds on the Windows Server base AMI plus eks-optimized-ami-windows.
	SourceWindowsBase = "windows-base"
)

// Defaults written into the effective spec.
const (
	DefaultInstanceType        = "m6i.2xlarge"
	DefaultInstanceProfile     = "EC2InstanceProfileForImageBuilder"
	DefaultTargetSnapshots     = 10
	DefaultMaxParallelLaunches = 6
	DefaultKeep                = 3
	// DefaultHTTPTokens makes the build instance answer IMDSv2 (token) requests only.
	DefaultHTTPTokens = "required"
	// DefaultHopLimit lets a container on the build instance reach IMDSv2.
	DefaultHopLimit = 2
	// ExecutionRoleSuffix is appended to metadata.name to name the default execution role.
	ExecutionRoleSuffix = "-imagebuilder-execution"
	// ServiceLinkedParameterPrefix is the only SSM parameter path that Image Builder's
	// service-linked role may write (see WindowsImage.NeedsExecutionRole).
	ServiceLinkedParameterPrefix = "/imagebuilder/"
	// BuildDateVariable is the Image Builder variable that makes each AMI name unique.
	BuildDateVariable = "{{imagebuilder:buildDate}}"
)

// WindowsImage is a winami.yaml file.
type WindowsImage struct {
	// APIVersion is winami.io/v1alpha1.
	APIVersion string `json:"apiVersion"`
	// Kind is WindowsImage.
	Kind string `json:"kind"`
	// Metadata names the image and its region.
	Metadata Metadata `json:"metadata"`
	// Spec is what to build.
	Spec Spec `json:"spec"`

	// file and lines locate fields for error messages; given holds the paths the file
	// gave a value (Given); not part of the spec.
	file  string
	lines map[string]int
	given map[string]bool
}

// Metadata names the image and where its Image Builder resources live.
type Metadata struct {
	// Name prefixes every Image Builder resource.
	Name string `json:"name"`
	// Region is where the Image Builder resources live.
	Region string `json:"region"`
}

// Spec is what to build.
type Spec struct {
	// KubernetesVersion is "1.NN".
	KubernetesVersion string `json:"kubernetesVersion"`
	// Windows is the Windows Server version and edition.
	Windows Windows `json:"windows"`
	// Parent selects the parent image route and pins.
	Parent Parent `json:"parent"`
	// Cache lists the container images baked in.
	Cache Cache `json:"cache"`
	// Build configures the build instances.
	Build Build `json:"build"`
	// Distribution says where the AMI goes.
	Distribution Distribution `json:"distribution"`
	// Keep is how many AMIs prune keeps.
	Keep *int `json:"keep,omitempty"`
}

// Windows selects the Windows Server version and edition.
type Windows struct {
	// Version is "2019", "2022" or "2025".
	Version string `json:"version"`
	// Edition is Core or Full.
	Edition string `json:"edition"`
}

// Parent selects the parent image and optional pins.
type Parent struct {
	// Source is eks-optimized (default) or windows-base.
	Source string `json:"source"`
	// ReleaseDate pins the parent AMI release ("2026.10.15" or "1.31-2026.10.15").
	ReleaseDate string `json:"releaseDate,omitempty"`
	// OSBuild pins the parent's Windows build ("10.0.20348.2700").
	OSBuild string `json:"osBuild,omitempty"`
	// ImageID pins the parent AMI id; it excludes the other pins.
	ImageID string `json:"imageId,omitempty"`
}

// Cache lists the container images baked into the AMI.
type Cache struct {
	// Images are references pinned by tag or digest.
	Images []string `json:"images,omitempty"`
	// PinDigests makes render/apply pull by digest instead of tag.
	PinDigests bool `json:"pinDigests,omitempty"`
	// Enabled defaults to true when images are given.
	Enabled *bool `json:"enabled,omitempty"`
}

// IsEnabled tells whether images are cached.
func (c Cache) IsEnabled() bool {
	if c.Enabled != nil {
		return *c.Enabled
	}
	return len(c.Images) > 0
}

// Build is the Image Builder infrastructure configuration.
type Build struct {
	// InstanceTypes default to [m6i.2xlarge].
	InstanceTypes []string `json:"instanceTypes,omitempty"`
	// InstanceProfile defaults to EC2InstanceProfileForImageBuilder.
	InstanceProfile string `json:"instanceProfile,omitempty"`
	// ExecutionRole is the IAM role (name or ARN) Image Builder assumes to run the
	// pipeline's workflow instead of its service-linked role. It defaults to
	// "<metadata.name>-imagebuilder-execution" when the distribution writes
	// spec.distribution.publishParameter outside /imagebuilder/ — not when the image is
	// scanned, since winami build then publishes (see NeedsExecutionRole); otherwise there
	// is no default.
	ExecutionRole string `json:"executionRole,omitempty"`
	// RootVolumeSize is GiB (30..16384) or auto (the default).
	RootVolumeSize RootVolumeSize `json:"rootVolumeSize"`
	// SubnetID is the build subnet (default: the default VPC's).
	SubnetID string `json:"subnetId,omitempty"`
	// SecurityGroupIDs need SubnetID.
	SecurityGroupIDs []string `json:"securityGroupIds,omitempty"`
	// KeyPair is an optional EC2 key pair for debugging builds.
	KeyPair string `json:"keyPair,omitempty"`
	// TerminateOnFailure defaults to true.
	TerminateOnFailure *bool `json:"terminateOnFailure,omitempty"`
	// InstanceMetadata sets the build instance's IMDS options; absent, IMDSv2 is required
	// with a hop limit of 2 (DefaultHTTPTokens, DefaultHopLimit).
	InstanceMetadata *InstanceMetadata `json:"instanceMetadata,omitempty"`
	// ResourceTags tag the instances, volumes and snapshots Image Builder launches during
	// the build (at most MaxResourceTags); winami adds its winami:managed-by and
	// winami:name tags to them.
	ResourceTags map[string]string `json:"resourceTags,omitempty"`
	// Encryption encrypts the recipe's root volume, and so the AMI in the build region.
	Encryption *Encryption `json:"encryption,omitempty"`
	// Logging sends the build's logs to S3 (the infrastructure configuration's s3Logs).
	Logging *Logging `json:"logging,omitempty"`
	// Notifications name the SNS topic Image Builder notifies of each build's end.
	Notifications *Notifications `json:"notifications,omitempty"`
	// ImageScanning scans the build's image with Amazon Inspector.
	ImageScanning *ImageScanning `json:"imageScanning,omitempty"`
}

// Encryption is the recipe's root volume encryption.
type Encryption struct {
	// Encrypted defaults to true when the block is given.
	Encrypted *bool `json:"encrypted,omitempty"`
	// KMSKeyID is a KMS key ARN or alias ARN in the build region; absent, EBS uses the
	// account's AWS managed key aws/ebs (an AMI encrypted with it cannot be shared or
	// copied to other accounts).
	KMSKeyID string `json:"kmsKeyId,omitempty"`
}

// IsEncrypted tells whether the root volume is encrypted.
func (e *Encryption) IsEncrypted() bool {
	if e == nil {
		return false
	}
	return e.Encrypted == nil || *e.Encrypted
}

// Logging is where Image Builder writes the build's logs.
type Logging struct {
	// S3BucketName is the bucket (it must exist; the instance role writes to it).
	S3BucketName string `json:"s3BucketName"`
	// S3KeyPrefix is an optional key prefix inside the bucket.
	S3KeyPrefix string `json:"s3KeyPrefix,omitempty"`
}

// Notifications is the SNS topic Image Builder publishes build results to.
type Notifications struct {
	// SNSTopicARN is the topic's ARN, in the build region.
	SNSTopicARN string `json:"snsTopicArn,omitempty"`
}

// ImageScanning is Image Builder's image scanning with Amazon Inspector.
type ImageScanning struct {
	// Enabled turns scanning on. The published parameter is then written by winami build
	// after the scan's verdict (build --fail-on), not by Image Builder's distribution.
	Enabled bool `json:"enabled"`
}

// CrossAccountRoleName is the role Image Builder assumes in each target account to copy
// the AMI there; the target account creates it.
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html
const CrossAccountRoleName = "EC2ImageBuilderDistributionCrossAccountRole"

// InstanceMetadata is the build instance's instance metadata service (IMDS) settings.
type InstanceMetadata struct {
	// HTTPTokens is required (IMDSv2 only, the default) or optional (IMDSv1 also answers).
	HTTPTokens string `json:"httpTokens,omitempty"`
	// HTTPPutResponseHopLimit is 1..64 (default 2: the build's containers are one hop
	// further than the instance).
	HTTPPutResponseHopLimit *int `json:"httpPutResponseHopLimit,omitempty"`
}

// Tokens is the httpTokens setting, DefaultHTTPTokens when absent.
func (m *InstanceMetadata) Tokens() string {
	if m == nil || m.HTTPTokens == "" {
		return DefaultHTTPTokens
	}
	return m.HTTPTokens
}

// HopLimit is the httpPutResponseHopLimit setting, DefaultHopLimit when absent.
func (m *InstanceMetadata) HopLimit() int {
	if m == nil || m.HTTPPutResponseHopLimit == nil {
		return DefaultHopLimit
	}
	return *m.HTTPPutResponseHopLimit
}

// Distribution is where the AMI goes and how it is published.
type Distribution struct {
	// Regions default to [metadata.region].
	Regions []string `json:"regions,omitempty"`
	// AMIName defaults to "<name>-{{imagebuilder:buildDate}}".
	AMIName string `json:"amiName,omitempty"`
	// AMITags are added to every distributed AMI (at most MaxAMITags).
	AMITags map[string]string `json:"amiTags,omitempty"`
	// LaunchPermissions share the AMI with accounts and organizations.
	LaunchPermissions *LaunchPermissions `json:"launchPermissions,omitempty"`
	// FastLaunch enables EC2 Fast Launch in every distribution region.
	FastLaunch *FastLaunch `json:"fastLaunch,omitempty"`
	// PublishParameter is an SSM parameter that receives the AMI id in every region (and
	// in every target account).
	PublishParameter string `json:"publishParameter,omitempty"`
	// TargetAccountIDs are accounts Image Builder copies the AMI into in every region (the
	// AMI is then owned there); each needs CrossAccountRoleName.
	TargetAccountIDs []string `json:"targetAccountIds,omitempty"`
	// KMSKeyIDs maps a distribution region to the KMS key (ARN) that encrypts the AMI's
	// copies in that region and in the target accounts (not the build region's own AMI:
	// that is spec.build.encryption).
	KMSKeyIDs map[string]string `json:"kmsKeyIds,omitempty"`
}

// LaunchPermissions shares the AMI.
type LaunchPermissions struct {
	// Accounts are 12-digit AWS account ids.
	Accounts []string `json:"accounts,omitempty"`
	// OrganizationARNs are AWS Organizations ARNs.
	OrganizationARNs []string `json:"organizationArns,omitempty"`
}

// FastLaunch enables EC2 Fast Launch for the AMI in every distribution region.
type FastLaunch struct {
	// Enabled turns Fast Launch on.
	Enabled bool `json:"enabled"`
	// TargetSnapshots is the number of pre-provisioned snapshots (1..10000, default 10).
	TargetSnapshots int `json:"targetSnapshots,omitempty"`
	// MaxParallelLaunches is at least 6 (the default).
	MaxParallelLaunches int `json:"maxParallelLaunches,omitempty"`
	// LaunchTemplate optionally names the launch template Fast Launch uses.
	LaunchTemplate *LaunchTemplateSpec `json:"launchTemplate,omitempty"`
}

// LaunchTemplateSpec names a launch template by id or by name (not both).
type LaunchTemplateSpec struct {
	// ID is lt-… (one region only).
	ID string `json:"id,omitempty"`
	// Name is the template's name (the same name in every region).
	Name string `json:"name,omitempty"`
	// Version is a number, $Latest or $Default (the default).
	Version string `json:"version,omitempty"`
}

// RootVolumeSize is a size in GiB or "auto" (the zero value).
type RootVolumeSize struct {
	// GiB is the size; 0 means auto, and a negative value a size that is not positive.
	GiB int
	raw string
}

// Auto tells whether the size is derived from the cache.
func (r RootVolumeSize) Auto() bool { return r.GiB == 0 }

// String is "auto" or the number of GiB.
func (r RootVolumeSize) String() string {
	if r.Auto() {
		return "auto"
	}
	if r.GiB < 0 {
		return r.raw
	}
	return strconv.Itoa(r.GiB)
}

// MarshalJSON writes "auto" or a number.
func (r RootVolumeSize) MarshalJSON() ([]byte, error) {
	if r.Auto() {
		return []byte(`"auto"`), nil
	}
	return []byte(strconv.Itoa(r.GiB)), nil
}

// UnmarshalJSON reads "auto" or a number.
func (r *RootVolumeSize) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		return r.set(s)
	}
	return r.set(string(b))
}

// UnmarshalYAML reads "auto" or a number.
func (r *RootVolumeSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a number of GiB or auto")
	}
	return r.set(n.Value)
}

func (r *RootVolumeSize) set(s string) error {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "auto") {
		r.GiB = 0
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not a number of GiB or auto", s)
	}
	r.GiB, r.raw = n, s
	if n <= 0 {
		r.GiB = -1 // not auto: validation reports r.raw
	}
	return nil
}

// MaxAMITags is how many spec.distribution.amiTags an AMI has room for: EC2 allows 50
// user tags per resource (EC2 User Guide, "Tag restrictions"); Image Builder tags every
// output AMI CreatedBy and Ec2ImageBuilderArn (Image Builder User Guide, "Tag Image
// Builder output resources"), and winami build adds its 8 winami:* input tags (package
// imagebuilder, Inputs.Tags; the cached image list takes only the room left).
const MaxAMITags = 50 - 2 - 8

// MaxResourceTags is how many spec.build.resourceTags a spec may give: Image Builder
// takes at most 30 resourceTags (API reference, InfrastructureConfigurationSummary
// resourceTags, "Maximum number of 30 items",
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_InfrastructureConfigurationSummary.html)
// and winami adds winami:managed-by and winami:name.
const MaxResourceTags = 30 - 2
