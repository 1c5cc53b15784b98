package awsemu

import (
	"crypto/sha256"
	"time"
)

// Image is an EC2 machine image as the endpoint stores it.
type Image struct {
	ID              string
	Region          string
	Name            string
	Description     string
	OwnerID         string
	CreationDate    time.Time
	DeprecationTime time.Time // zero: not deprecated
	State           string    // available, pending, failed, deregistered
	Public          bool
	// LaunchPermissions lists the accounts (besides the owner) that may use the image.
	LaunchPermissions []string
	Platform          string // "windows" or ""
	PlatformDetails   string // "Windows", "Linux/UNIX"
	Architecture      string // x86_64
	RootDeviceName    string
	BlockDevices      []BlockDevice
	Tags              map[string]string
}

// BlockDevice is one EBS mapping of an image.
type BlockDevice struct {
	DeviceName string
	SnapshotID string
	VolumeSize int32 // GiB
	VolumeType string
}

// FastLaunchSettings is a request to turn on Fast Launch for an image.
type FastLaunchSettings struct {
	TargetResourceCount   int32
	MaxParallelLaunches   int32
	LaunchTemplateID      string
	LaunchTemplateName    string
	LaunchTemplateVersion string
}

// Parameter is an SSM parameter with its history, oldest version first.
type Parameter struct {
	Name    string
	Region  string
	Type    string // String, StringList, SecureString
	History []ParameterVersion
}

// ParameterVersion is one version of a parameter.
type ParameterVersion struct {
	Value        string
	DataType     string // text or aws:ec2:image
	LastModified time.Time
	Description  string
}

// EC2Store is what other services need of EC2's state.
type EC2Store interface {
	// GetImage returns an image in a region, if it exists and is not deregistered.
	GetImage(region, imageID string) (Image, bool)
	// PutImage stores an image (and creates snapshots for its block devices when they have no
	// snapshot id), returning the image with its id and snapshot ids filled in.
	PutImage(img Image) Image
	// EnableFastLaunch turns Fast Launch on for an owned image, as EnableFastLaunch would.
	EnableFastLaunch(region, imageID, account string, s FastLaunchSettings) error
}

// SSMStore is what other services need of SSM's state.
type SSMStore interface {
	// PutParameter writes a new version of a parameter (creating it when absent).
	PutParameter(region, name, value, dataType string) error
}

// IAMStore is what other services need of IAM's state.
type IAMStore interface {
	// InstanceProfileExists reports whether an instance profile of that name exists.
	InstanceProfileExists(name string) bool
}

// SSMParameterReader is implemented by an SSMStore that can also read parameters. Image
// Builder resolves a recipe's `ssm:` parent image through it (checked with a type
// assertion on Server.SSM, so an SSMStore without it still satisfies SSMStore).
type SSMParameterReader interface {
	// GetParameter returns a parameter with its history, if it exists in region.
	GetParameter(region, name string) (Parameter, bool)
}

// CallerUserName is the IAM user every caller of the endpoint is: STS GetCallerIdentity
// answers it, IAM holds it (so SimulatePrincipalPolicy on the caller works) and writes are
// stamped with it.
const CallerUserName = "awsemu"

// CallerARN is the ARN of the caller: arn:aws:iam::<account>:user/awsemu.
func (s *Server) CallerARN() string {
	return "arn:aws:iam::" + s.Account + ":user/" + CallerUserName
}

// CallerUserID is the caller's unique id ("AIDA…"), derived from the account.
func (s *Server) CallerUserID() string {
	return UniqueID("AIDA", s.Account+"/user/"+CallerUserName)
}

// UniqueID derives a deterministic IAM-style unique id (prefix plus 17 upper-case
// letters and digits) from seed, as IAM's "AIDA…", "AROA…", "AIPA…" and "ANPA…" ids.
func UniqueID(prefix, seed string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	h := sha256.Sum256([]byte(seed))
	b := make([]byte, 17)
	for i := range b {
		b[i] = alphabet[h[i]%32]
	}
	return prefix + string(b)
}
