package preflight

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/check"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/spec"
)

// Names of the doctor's checks.
const (
	CheckCredentials     = "credentials"
	CheckPermissions     = "permissions"
	CheckInstanceProfile = "instance-profile"
	CheckRolePolicy      = "instance-role-policy"
	CheckECRRead         = "instance-role-ecr"
	CheckNetwork         = "network"
	CheckParentImage     = "parent-image"
	CheckCachedImages    = "cached-images"
	CheckFastLaunch      = "fast-launch"
	// CheckInstanceTypes: spec.build.instanceTypes exist and are offered in the build
	// region and the subnet's Availability Zone.
	CheckInstanceTypes = "instance-types"
	// CheckExecutionRole: who writes the published parameter (the service-linked role only
	// under /imagebuilder/, else spec.build.executionRole: exists, trusted, allowed).
	CheckExecutionRole = "execution-role"
	// CheckEKSComponent: for the windows-base route, Amazon's eks-optimized-ami-windows
	// has a version for the Kubernetes minor in the build region.
	CheckEKSComponent = "eks-component"
	// CheckFastLaunchRights: whoever enables Fast Launch at distribution (Image Builder's
	// service-linked role or the execution role) may do it with the launch template.
	CheckFastLaunchRights = "fast-launch-rights"
	// CheckKMSKey: a KMS key the spec names (spec.build.encryption.kmsKeyId,
	// spec.distribution.kmsKeyIds) exists in the region it serves, is enabled and
	// symmetric, and its key policy or grants let Image Builder (and the target accounts'
	// cross-account role) make EBS use it. One check per key.
	CheckKMSKey = "kms-key"
	// CheckLogBucket: spec.build.logging.s3BucketName exists, in the build region.
	CheckLogBucket = "log-bucket"
	// CheckLogWrite: the build instance's role may write the build logs there
	// (s3:PutObject under the prefix).
	CheckLogWrite = "instance-role-logs"
	// CheckTargetAccounts: no spec.distribution.targetAccountIds entry is the build
	// account (the caller's, from the credentials check): only with target accounts.
	CheckTargetAccounts = "target-accounts"
)

// Clients gives the per-region clients the checks call (*awsapi.Clients satisfies it):
// those of package fastlaunch's and package imagebuilder's checks, KMS for the spec's
// keys and S3 for its log bucket.
type Clients interface {
	fastlaunch.Clients
	ImageBuilder(region string) awsapi.ImageBuilder
	KMS(region string) awsapi.KMS
	S3(region string) awsapi.S3
}

// Doctor checks, before a build, what would make it fail half an hour in.
type Doctor struct {
	// Clients gives each region's clients.
	Clients Clients
	// CheckImages, when set, checks the cached images against the spec's Windows version
	// and Kubernetes minor, which names the AMI's containerd (package images); without it
	// the check is skipped with a pointer to `winami images check`.
	CheckImages func(ctx context.Context, refs []string, windows, kubernetes string) check.Check
	// Options are what the command is about to create itself.
	Options Options
}

// Options tell the checks what the command is about to create, so that its absence is not
// a problem.
type Options struct {
	// CreatesInstanceProfile: apply creates the build instance profile and its role when
	// missing (--create-instance-profile).
	CreatesInstanceProfile bool
	// CreatesRoles: apply creates the execution role when missing (--create-roles).
	CreatesRoles bool
	// Fast leaves out the checks that read container registries (the cached images):
	// build and apply run Preflight before they change anything, and they measure the
	// images themselves.
	Fast bool
}

// Preflight runs doctor's checks, without the registry reads, as build and apply do
// before their first change: it returns every check, and an error only when checks could
// not run at all.
func Preflight(ctx context.Context, clients Clients, img *spec.WindowsImage, opts Options) ([]check.Check, error) {
	opts.Fast = true
	return (&Doctor{Clients: clients, Options: opts}).Run(ctx, img)
}

// Run runs every check for the spec, in order. It stops after the credentials check when
// that fails (nothing else can run). The error is for checks that could not run at all.
func (d *Doctor) Run(ctx context.Context, img *spec.WindowsImage) ([]check.Check, error) {
	region := img.Metadata.Region
	var checks []check.Check
	add := func(c check.Check) { checks = append(checks, c) }

	ident, err := d.Clients.STS(region).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		add(check.Check{Name: CheckCredentials, Status: check.Fail, Message: "no usable AWS credentials: " + awsapi.Message(err),
			Fix: "refresh the credentials (aws sso login, new keys) or pick the profile with --profile / AWS_PROFILE"})
		return checks, nil
	}
	callerARN := aws.ToString(ident.Arn)
	add(check.Check{Name: CheckCredentials, Status: check.Pass, Message: fmt.Sprintf("account %s as %s", aws.ToString(ident.Account), callerARN)})
	checks = append(checks, targetAccounts(img, aws.ToString(ident.Account))...)

	perm, err := d.permissions(ctx, img, callerARN)
	if err != nil {
		return checks, err
	}
	add(perm)

	profileChecks, err := d.instanceProfile(ctx, img)
	if err != nil {
		return checks, err
	}
	checks = append(checks, profileChecks...)

	net, err := d.network(ctx, img)
	if err != nil {
		return checks, err
	}
	add(net)

	types, err := d.instanceTypes(ctx, img)
	if err != nil {
		return checks, err
	}
	add(types)

	parent, err := d.parent(ctx, img)
	if err != nil {
		return checks, err
	}
	add(parent)

	if img.Spec.Parent.Source == spec.SourceWindowsBase {
		comp, err := d.eksComponent(ctx, img)
		if err != nil {
			return checks, err
		}
		add(comp)
	}

	checks = append(checks, d.executionRole(ctx, img, accountOf(callerARN))...)
	checks = append(checks, d.kmsKeys(ctx, img, accountOf(callerARN))...)
	checks = append(checks, d.logBucket(ctx, img)...)

	switch {
	case d.Options.Fast:
	case !img.Spec.Cache.IsEnabled():
		add(check.Check{Name: CheckCachedImages, Status: check.Pass, Message: "no images cached"})
	case d.CheckImages != nil:
		add(d.CheckImages(ctx, img.Spec.Cache.Images, img.Spec.Windows.Version, img.Spec.KubernetesVersion))
	default:
		add(check.Check{Name: CheckCachedImages, Status: check.Skip, Message: fmt.Sprintf("%d cached images not checked here", len(img.Spec.Cache.Images)),
			Fix: "run `winami images check -f` on the spec"})
	}

	fl, err := d.fastLaunch(ctx, img, accountOf(callerARN))
	if err != nil {
		return checks, err
	}
	return append(checks, fl...), nil
}
