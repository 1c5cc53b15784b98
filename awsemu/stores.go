package awsemu

import (
	"crypto/sha256"
	"strings"
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
	State           string    // available, pending, failed, disabled, deregistered
	Public          bool
	// LaunchPermissions lists the accounts (besides the owner) that may use the image.
	LaunchPermissions []string
	// LaunchOrganizations and LaunchOrganizationalUnits are the AWS Organizations and
	// OU ARNs the image is shared with (DescribeImageAttribute launchPermission).
	LaunchOrganizations       []string
	LaunchOrganizationalUnits []string
	Platform                  string // "windows" or ""
	PlatformDetails           string // "Windows", "Linux/UNIX"
	Architecture              string // x86_64
	RootDeviceName            string
	BlockDevices              []BlockDevice
	Tags                      map[string]string
	// SnapshotTags are the tags of the snapshots PutImage makes for BlockDevices (Image
	// Builder tags them CreatedBy: EC2 Image Builder).
	SnapshotTags map[string]string
}

// BlockDevice is one EBS mapping of an image.
type BlockDevice struct {
	DeviceName string
	SnapshotID string
	VolumeSize int32 // GiB
	VolumeType string
	// Encrypted and KmsKeyID (the key ARN) are the EBS encryption of the device's snapshot
	// (issue 16: Image Builder encrypts its AMIs with the recipe's or the distribution's key).
	Encrypted bool
	KmsKeyID  string
}

// FastLaunchSettings is a request to turn on Fast Launch for an image.
type FastLaunchSettings struct {
	TargetResourceCount   int32
	MaxParallelLaunches   int32
	LaunchTemplateID      string
	LaunchTemplateName    string
	LaunchTemplateVersion string
	// Principal is the IAM principal (user or role ARN) on whose behalf Fast Launch is
	// enabled; EC2 checks its permissions as for the EnableFastLaunch operation. Empty:
	// nothing is checked.
	Principal string
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
	// LastModifiedUser is the ARN of the principal that wrote the version.
	LastModifiedUser string
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
	// InstanceTypeOffered reports whether EC2 offers instanceType in region, and in the
	// availability zone az (a zone name, us-east-1e) when az is not "", as
	// DescribeInstanceTypeOfferings answers it.
	InstanceTypeOffered(region, az, instanceType string) bool
	// Subnet returns a subnet of the account in region by id.
	Subnet(region, subnetID string) (Subnet, bool)
	// SecurityGroup returns a security group of the account in region by id.
	SecurityGroup(region, groupID string) (SecurityGroup, bool)
	// DefaultSubnet returns the default VPC's default subnet of region in az (the first
	// zone's when az is ""), as RunInstances picks it without a SubnetId; false when the
	// Region has no default VPC or no default subnet there.
	DefaultSubnet(region, az string) (Subnet, bool)
	// KeyPairExists reports whether the account has a key pair of that name in region.
	KeyPairExists(region, name string) bool
	// LaunchTemplate returns a launch template of region by id (lt-…) or by name.
	LaunchTemplate(region, idOrName string) (LaunchTemplate, bool)
}

// LaunchTemplateVersionReader is implemented by an EC2Store that can tell what a launch
// template version holds (checked with a type assertion on Server.EC2, like
// SSMParameterReader). EKS reads a node group's template version: a template that names
// an AMI makes the node group's amiType CUSTOM and its releaseVersion that AMI, and forbids
// version, releaseVersion and amiType in the request.
// https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html#mng-ami-id-conditions
type LaunchTemplateVersionReader interface {
	// LaunchTemplateVersion returns a version of a launch template of region given by id
	// (lt-…) or name; version is "", "$Default", "$Latest" or a number. false when the
	// template or the version does not exist.
	LaunchTemplateVersion(region, idOrName, version string) (LaunchTemplateVersionData, bool)
}

// LaunchTemplateVersionData is one launch template version as other services see it.
type LaunchTemplateVersionData struct {
	TemplateID   string
	TemplateName string
	Number       int64
	// ImageID is the version's ImageId ("" when it names none; may be resolve:ssm:…).
	ImageID      string
	InstanceType string
	// IamInstanceProfile is the profile's ARN or name, "" when the version sets none.
	IamInstanceProfile string
}

// LaunchTemplateWriter is implemented by an EC2Store that can create launch templates for
// another service (checked with a type assertion on Server.EC2): EKS makes the launch
// template of a managed node group created without one ("When you don't provide a launch
// template, the Amazon EKS API creates one automatically with default values in your
// account").
// https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html
type LaunchTemplateWriter interface {
	// CreateLaunchTemplate creates a template named name in region (version 1, the default)
	// and returns its id.
	CreateLaunchTemplate(region, name string, d LaunchTemplateContent) (string, error)
	// CreateLaunchTemplateVersion adds a version to template id and returns its number.
	CreateLaunchTemplateVersion(region, id string, d LaunchTemplateContent) (int64, error)
	// DeleteLaunchTemplate deletes template id and its versions.
	DeleteLaunchTemplate(region, id string) error
}

// LaunchTemplateContent is what another service writes in a launch template version.
type LaunchTemplateContent struct {
	ImageID      string
	InstanceType string
	// RootDeviceName and RootVolumeGiB, when set, map a gp3 root volume of that size.
	RootDeviceName string
	RootVolumeGiB  int64
	// Tags go on the template.
	Tags map[string]string
}

// Subnet is an EC2 subnet as other services see it.
type Subnet struct {
	ID                 string
	VpcID              string
	AvailabilityZone   string // us-east-1a
	AvailabilityZoneID string // use1-az1
	Tags               map[string]string
}

// SecurityGroup is an EC2 security group as other services see it.
type SecurityGroup struct {
	ID    string
	Name  string
	VpcID string
	Tags  map[string]string
}

// LaunchTemplate is an EC2 launch template as other services see it.
type LaunchTemplate struct {
	ID             string
	Name           string
	Region         string
	OwnerID        string
	DefaultVersion int64
	LatestVersion  int64
	Tags           map[string]string
}

// ARN is the launch template's ARN, arn:aws:ec2:<region>:<account>:launch-template/<id>,
// the resource IAM policies name.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-resources-for-iam-policies
func (t LaunchTemplate) ARN() string {
	return "arn:aws:ec2:" + t.Region + ":" + t.OwnerID + ":launch-template/" + t.ID
}

// ImageARN is the ARN IAM policies name an AMI by: arn:aws:ec2:<region>::image/<id> (no account).
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-resources-for-iam-policies
func ImageARN(region, imageID string) string {
	return "arn:aws:ec2:" + region + "::image/" + imageID
}

// SSMStore is what other services need of SSM's state.
type SSMStore interface {
	// PutParameter writes a new version of a parameter (creating it when absent) as the
	// principal user (an ARN, recorded as the version's LastModifiedUser; "" for the
	// endpoint's caller).
	PutParameter(region, name, value, dataType, user string) error
}

// IAMStore is what other services need of IAM's state.
type IAMStore interface {
	// InstanceProfileExists reports whether an instance profile of that name exists.
	InstanceProfileExists(name string) bool
	// Authorize evaluates action on resource for the IAM user or role principalARN with
	// its identity-based policies and the request context (condition keys, case-insensitive,
	// e.g. "ec2:ResourceTag/CreatedBy", "aws:RequestTag/CreatedBy", "ec2:CreateAction",
	// "iam:PassedToService"): an explicit Deny wins, then an Allow, else the implicit deny.
	// reason is "" when allowed, else an AccessDenied message naming principal, action and
	// resource.
	Authorize(principalARN, action, resource string, context map[string][]string) (allowed bool, reason string)
	// RoleTrusts reports whether a role (name or ARN) exists and whether its trust policy
	// lets service (a service principal such as imagebuilder.amazonaws.com) call
	// sts:AssumeRole.
	RoleTrusts(roleNameOrARN, service string) (exists, trusted bool)
	// RoleARN returns the ARN (with its path) of a role given by name or ARN.
	RoleARN(roleNameOrARN string) (arn string, ok bool)
	// AssumeRoleTrust returns the role (name or ARN) of the account and whether its trust
	// policy lets principal (a user, role or assumed-role ARN of any account) call
	// sts:AssumeRole with the request context ctx; false when there is no such role.
	AssumeRoleTrust(roleNameOrARN, principal string, ctx map[string][]string) (role AssumableRole, ok bool)
}

// AssumableRole is a role as STS AssumeRole sees it.
type AssumableRole struct {
	// ARN is the role's ARN, with its path.
	ARN string
	// ID is the role's unique id (AROA…).
	ID string
	// MaxSessionDuration is the longest session, in seconds.
	MaxSessionDuration int
	// Trusted: the trust policy allows the principal and no statement denies it.
	Trusted bool
	// ByAccount: the trust comes only from naming the principal's account, so the
	// principal's own IAM policies must allow sts:AssumeRole on the role too.
	ByAccount bool
}

// AssumedRoleARN is the ARN of a session of a role, as STS and the services that record who
// acted (SSM's LastModifiedUser, CloudTrail's userIdentity.arn) show it:
// arn:aws:sts::<account>:assumed-role/<role name>/<session> (the role's path is dropped).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
func AssumedRoleARN(roleARN, session string) string {
	i := strings.Index(roleARN, ":role/")
	if i < 0 {
		return roleARN
	}
	head := strings.Replace(roleARN[:i], ":iam::", ":sts::", 1)
	name := roleARN[i+len(":role/"):]
	if j := strings.LastIndex(name, "/"); j >= 0 {
		name = name[j+1:]
	}
	return head + ":assumed-role/" + name + "/" + session
}

// ImageBuilderServiceRoleARN is the ARN of Image Builder's service-linked role in account.
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/image-builder-service-linked-role.html
func ImageBuilderServiceRoleARN(account string) string {
	return "arn:aws:iam::" + account + ":role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder"
}

// ResourceTagContext is the request context of an EC2 action on a resource with these tags:
// each tag as ec2:ResourceTag/<key> and aws:ResourceTag/<key> (EC2 accepts both).
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-policy-keys
func ResourceTagContext(tags map[string]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range tags {
		out["ec2:ResourceTag/"+k] = []string{v}
		out["aws:ResourceTag/"+k] = []string{v}
	}
	return out
}

// InstanceProfileRoles is implemented by an IAMStore that can tell an instance profile's
// role (checked with a type assertion on Server.IAM, like SSMParameterReader). Image Builder
// writes a build's S3 logs as that role (the build instance's credentials).
type InstanceProfileRoles interface {
	// InstanceProfileRole returns the ARN of the role in the instance profile called name;
	// false when the profile does not exist or holds no role.
	InstanceProfileRole(name string) (roleARN string, ok bool)
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

// KMSKey is a KMS key as other services see it.
type KMSKey struct {
	// ARN is arn:aws:kms:<region>:<account>:key/<id>.
	ARN     string
	ID      string
	Account string
	Region  string
	// State is the key's KeyState: Enabled, Disabled, PendingDeletion, …
	State string
}

// KMSStore is what other services need of KMS's state.
type KMSStore interface {
	// Key resolves a key id, key ARN, alias name (alias/…) or alias ARN in region, as
	// DescribeKey does; false when there is no such key.
	Key(region, keyID string) (KMSKey, bool)
	// Authorize reports whether principalARN may call action (kms:Decrypt, kms:CreateGrant,
	// …) on key through the key policy (and, where the policy delegates to the account, the
	// principal's IAM policies) or a grant. reason is "" when allowed, else what is missing.
	Authorize(key KMSKey, principalARN, action string) (allowed bool, reason string)
	// AuthorizeContext is Authorize with request context for the key policy's and IAM
	// policies' conditions: a service acting for the principal passes kms:ViaService
	// (ec2.<region>.amazonaws.com), kms:GrantIsForAWSResource ("true") for CreateGrant,
	// kms:EncryptionContextKeys (aws:ebs:id); kms:CallerAccount is added.
	AuthorizeContext(key KMSKey, principalARN, action string, context map[string][]string) (allowed bool, reason string)
}

// S3Store is what other services need of S3's state.
type S3Store interface {
	// BucketRegion returns the region of a bucket of the account; false when it does not exist.
	BucketRegion(bucket string) (region string, ok bool)
	// PutObject writes an object as principalARN; an error when the bucket does not exist.
	PutObject(bucket, key string, body []byte, principalARN string) error
}

// Instance is an EC2 instance as other services (Auto Scaling) see it.
type Instance struct {
	ID               string
	Region           string
	OwnerID          string
	ImageID          string
	InstanceType     string
	AvailabilityZone string
	SubnetID         string
	// State is the EC2 state name: pending, running, shutting-down, terminated, stopping,
	// stopped.
	State      string
	LaunchTime time.Time
	// LaunchTemplateID and LaunchTemplateVersion (a number) are the template version the
	// instance was launched from, "" when none.
	LaunchTemplateID      string
	LaunchTemplateVersion string
	Tags                  map[string]string
}

// InstanceLaunch is one instance Auto Scaling (or EKS, through its group) asks EC2 to
// launch: a launch template version, optionally overridden by a mixed instances policy.
type InstanceLaunch struct {
	Region  string
	Account string
	// LaunchTemplateID or LaunchTemplateName names the template; LaunchTemplateVersion is
	// "$Default", "$Latest" or a number ("" means $Default).
	LaunchTemplateID      string
	LaunchTemplateName    string
	LaunchTemplateVersion string
	// ImageID and InstanceType, when set, replace the template's (a mixed instances
	// policy override). An ImageId of resolve:ssm:<parameter> is resolved at launch.
	ImageID      string
	InstanceType string
	// SubnetID, else AvailabilityZone (the default subnet there), places the instance.
	SubnetID         string
	AvailabilityZone string
	// Tags go on the instance (Auto Scaling's propagated tags and aws:autoscaling:groupName).
	Tags map[string]string
}

// InstanceStore is implemented by the EC2Store of a server whose EC2 service can launch
// and terminate instances for other services (Auto Scaling). Auto Scaling reaches it with
// a type assertion on Server.EC2.
type InstanceStore interface {
	// LaunchInstance launches one instance as RunInstances would with the template, and
	// returns it (state pending). Its errors carry the EC2 error code as RunInstances
	// would answer (an *APIError).
	LaunchInstance(l InstanceLaunch) (Instance, error)
	// Instance returns an instance of region by id, terminated ones included while EC2
	// still describes them.
	Instance(region, id string) (Instance, bool)
	// TerminateInstance terminates an instance as TerminateInstances would.
	TerminateInstance(region, id string) error
}

// APIError is an error one service answers another with, carrying the code and message
// the AWS API would answer (InvalidAMIID.NotFound, ValidationError, …).
type APIError struct {
	Code    string
	Message string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// AutoScalingGroup is an Auto Scaling group as other services (EKS managed node groups)
// see it and create it.
type AutoScalingGroup struct {
	Name            string
	Region          string
	MinSize         int64
	MaxSize         int64
	DesiredCapacity int64
	// LaunchTemplateID and LaunchTemplateVersion ("$Default", "$Latest" or a number).
	LaunchTemplateID      string
	LaunchTemplateVersion string
	// SubnetIDs (VPCZoneIdentifier) and the zones they are in.
	SubnetIDs         []string
	AvailabilityZones []string
	// Tags propagate to the instances.
	Tags      map[string]string
	Instances []AutoScalingInstance
}

// AutoScalingInstance is an instance of a group, as DescribeAutoScalingGroups lists it.
type AutoScalingInstance struct {
	ID                    string
	AvailabilityZone      string
	LifecycleState        string // Pending, InService, Terminating, Terminated, …
	HealthStatus          string // Healthy, Unhealthy
	LaunchTemplateVersion string
}

// InstanceRefreshSpec is how a caller that is not the Auto Scaling API (an EKS node group
// update) replaces a group's instances: the rolling replacement of StartInstanceRefresh.
type InstanceRefreshSpec struct {
	MinHealthyPercentage int
	MaxHealthyPercentage int
	InstanceWarmup       time.Duration
	// Hidden keeps the refresh out of DescribeInstanceRefreshes (EKS replaces its node
	// groups' instances without an instance refresh the account can see).
	Hidden bool
}

// InstanceRefreshInfo is the state of a refresh.
type InstanceRefreshInfo struct {
	ID                 string
	Status             string // Pending, InProgress, Successful, Failed, Cancelling, Cancelled, …
	StatusReason       string
	PercentageComplete int
	InstancesToUpdate  int
}

// AutoScalingStore is what other services (EKS) need of Auto Scaling's state.
type AutoScalingStore interface {
	// CreateGroup creates a group as CreateAutoScalingGroup would, for account.
	CreateGroup(account string, g AutoScalingGroup) error
	// Group returns a group with its instances.
	Group(region, name string) (AutoScalingGroup, bool)
	// UpdateGroup changes a group as UpdateAutoScalingGroup would. MinSize, MaxSize and
	// DesiredCapacity are set as given (0 is a size: an EKS node group scaled to zero), so
	// a caller reads the group with Group first to keep one; LaunchTemplateID,
	// LaunchTemplateVersion, SubnetIDs, AvailabilityZones and Tags change only when not
	// empty.
	UpdateGroup(g AutoScalingGroup) error
	// DeleteGroup deletes a group and terminates its instances (ForceDelete).
	DeleteGroup(region, name string) error
	// StartInstanceRefresh starts replacing the instances that do not run the group's
	// launch template version; InstanceRefresh tells how far it is.
	StartInstanceRefresh(region, name string, spec InstanceRefreshSpec) (string, error)
	InstanceRefresh(region, name, id string) (InstanceRefreshInfo, bool)
}

// Ticker is implemented by a service whose state moves with the clock on its own (Auto
// Scaling capacity and instance refreshes, EKS node group updates). Before serving any
// request, the server calls Tick of every registered Ticker of the world that answers, in
// registration order, outside any service's lock, so that a caller that only reads EC2
// sees the instances a group launched. Tick must be cheap when nothing is due.
type Ticker interface {
	Tick(now time.Time)
}
