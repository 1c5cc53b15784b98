package preflight

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/check"
	"github.com/winami/winami/spec"
)

// ImageBuilderServiceLinkedRole is the name and path of the role Image Builder acts as
// without an execution role (EC2 Image Builder User Guide, "Using service-linked roles
// for Image Builder",
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/image-builder-service-linked-role.html).
const ImageBuilderServiceLinkedRole = "aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder"

// FastLaunchServiceLinkedRole is the role EC2 Fast Launch acts as. When Fast Launch is
// enabled for an AMI encrypted with a customer managed key, EC2 grants this role use of
// the key with the kms:CreateGrant permission of whoever enables it (EC2 User Guide,
// "Service-linked role for EC2 Fast Launch", Access to customer managed keys for use with
// encrypted AMIs and EBS snapshots,
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/slr-windows-fast-launch.html).
const FastLaunchServiceLinkedRole = "aws-service-role/ec2fastlaunch.amazonaws.com/AWSServiceRoleForEC2FastLaunch"

// specKey is a KMS key the spec names, and what it encrypts.
type specKey struct {
	// Field is the spec field ("spec.build.encryption.kmsKeyId").
	Field string
	// ID is the key ARN or alias ARN; Region the region it serves.
	ID, Region string
	// Users are who make EBS use it.
	Users []keyUser
	// FastLaunch is set when Fast Launch is enabled for an AMI the key encrypts.
	FastLaunch bool
	// Enabler is who enables Fast Launch at distribution.
	Enabler string
}

// specKeys lists the spec's keys and who uses each:
//
//   - spec.build.encryption.kmsKeyId encrypts the build instance's root volume and so the
//     AMI in the build region: Image Builder (its service-linked role, or the pipeline's
//     execution role) launches the instance and creates the AMI, and copies it from there
//     to every other region; each target account's EC2ImageBuilderDistributionCrossAccountRole
//     copies it into that account (the copy decrypts the source snapshot).
//   - spec.distribution.kmsKeyIds[region] encrypts the copies in that region: the
//     build account's copy (by Image Builder; none in the build region, whose AMI is the
//     recipe's) and each target account's (by its cross-account role), which use a key
//     of the build account across accounts (EC2 Image Builder User Guide,
//     cr-upd-ami-distribution-settings and "Set up cross-account AMI distribution",
//     https://docs.aws.amazon.com/imagebuilder/latest/userguide/cross-account-dist.html).
func specKeys(img *spec.WindowsImage, account string) []specKey {
	build := img.Metadata.Region
	p := catalog.Partition(build)
	ib := imageBuilderUser(img, account)
	var targets []keyUser
	for _, a := range img.Spec.Distribution.TargetAccountIDs {
		targets = append(targets, keyUser{ARN: awsapi.RoleARN(p, a, spec.CrossAccountRoleName), Account: a,
			Who:     fmt.Sprintf("target account %s's %s", a, spec.CrossAccountRoleName),
			Why:     "copies the AMI into that account",
			IAMNote: "if they allow it, as the inline policy of `winami iam-policy --for target-account` does; doctor cannot read another account's"})
	}
	fl := img.Spec.Distribution.FastLaunch
	fastLaunch := func(region string) bool {
		return fl != nil && fl.Enabled && contains(img.Spec.Distribution.Regions, region)
	}
	var out []specKey
	if enc := img.Spec.Build.Encryption; enc.IsEncrypted() && enc.KMSKeyID != "" {
		u := ib
		u.Why = "launches the build instance with the encrypted root volume, creates the AMI and copies it to the other regions"
		out = append(out, specKey{Field: "spec.build.encryption.kmsKeyId", ID: enc.KMSKeyID, Region: build,
			Users: append([]keyUser{u}, targets...), FastLaunch: fastLaunch(build), Enabler: ib.Who})
	}
	regions := make([]string, 0, len(img.Spec.Distribution.KMSKeyIDs))
	for r := range img.Spec.Distribution.KMSKeyIDs {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	for _, r := range regions {
		k := specKey{Field: "spec.distribution.kmsKeyIds." + r, ID: img.Spec.Distribution.KMSKeyIDs[r], Region: r}
		if r != build {
			u := ib
			u.Why = "copies the AMI into " + r
			k.Users = append(k.Users, u)
			k.FastLaunch, k.Enabler = fastLaunch(r), ib.Who
		}
		k.Users = append(k.Users, targets...)
		out = append(out, k)
	}
	return out
}

// imageBuilderUser is the principal Image Builder acts as: the pipeline's execution role,
// else its service-linked role, whose AWS managed policy AWSServiceRoleForImageBuilder
// allows the EBS actions on any key through EC2 (kms:ViaService ec2.*.amazonaws.com)
// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSServiceRoleForImageBuilder.html).
func imageBuilderUser(img *spec.WindowsImage, account string) keyUser {
	p := catalog.Partition(img.Metadata.Region)
	if role := executionRoleOf(img); role != "" {
		arn := role
		if !strings.HasPrefix(role, "arn:") {
			arn = awsapi.RoleARN(p, account, role)
		}
		return keyUser{ARN: arn, Account: accountOfRole(arn, account), Who: "the pipeline's execution role " + spec.RoleName(role),
			IAMNote: "the role's policies allow it", Simulate: true}
	}
	return keyUser{ARN: awsapi.RoleARN(p, account, ImageBuilderServiceLinkedRole), Account: account, Who: "Image Builder's service-linked role",
		IAMNote: "AWSServiceRoleForImageBuilder allows it through EC2"}
}

// kmsKeys checks every KMS key the spec names: it exists in the region it serves, is
// enabled, is a symmetric encryption key (Amazon EBS supports only those: EC2 API
// Reference, ModifyEbsDefaultKmsKeyId, "Amazon EBS does not support asymmetric KMS keys",
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyEbsDefaultKmsKeyId.html),
// is not an AWS managed key when other accounts use it (its policy cannot be changed to
// let them), and that its key policy or grants let each of its users make EBS use it.
func (d *Doctor) kmsKeys(ctx context.Context, img *spec.WindowsImage, account string) []check.Check {
	var out []check.Check
	apis := map[string]awsapi.KMS{}
	for _, k := range specKeys(img, account) {
		out = append(out, d.kmsKey(ctx, k, account, apis))
	}
	return out
}

// readOnce is a KMS client that answers a read it has made before from memory: a spec
// names the build region's key in two fields (spec.build.encryption.kmsKeyId and
// spec.distribution.kmsKeyIds.<build region>), each checked with its own users, and the
// key, its policy and its grants are read once for both.
type readOnce struct {
	api  awsapi.KMS
	memo map[string]memoed
}

type memoed struct {
	out any
	err error
}

// remember answers key from memory, or calls call and remembers its answer.
func remember[T any](r *readOnce, key string, call func() (T, error)) (T, error) {
	if m, ok := r.memo[key]; ok {
		out, _ := m.out.(T)
		return out, m.err
	}
	out, err := call()
	r.memo[key] = memoed{out, err}
	return out, err
}

// DescribeKey describes a key once per key id.
func (r *readOnce) DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, opts ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	return remember(r, "DescribeKey\x00"+aws.ToString(in.KeyId), func() (*kms.DescribeKeyOutput, error) { return r.api.DescribeKey(ctx, in, opts...) })
}

// GetKeyPolicy reads a key's policy once per key and policy name.
func (r *readOnce) GetKeyPolicy(ctx context.Context, in *kms.GetKeyPolicyInput, opts ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
	return remember(r, "GetKeyPolicy\x00"+aws.ToString(in.KeyId)+"\x00"+aws.ToString(in.PolicyName), func() (*kms.GetKeyPolicyOutput, error) { return r.api.GetKeyPolicy(ctx, in, opts...) })
}

// ListGrants lists a page of a key's grants once per key and marker.
func (r *readOnce) ListGrants(ctx context.Context, in *kms.ListGrantsInput, opts ...func(*kms.Options)) (*kms.ListGrantsOutput, error) {
	return remember(r, "ListGrants\x00"+aws.ToString(in.KeyId)+"\x00"+aws.ToString(in.Marker), func() (*kms.ListGrantsOutput, error) { return r.api.ListGrants(ctx, in, opts...) })
}

// kmsKey checks one field's key; apis holds the region's KMS client that reads each key once
// (readOnce), made on first use.
func (d *Doctor) kmsKey(ctx context.Context, k specKey, account string, apis map[string]awsapi.KMS) check.Check {
	region := k.Region
	if r := arnRegion(k.ID); r != "" {
		region = r
	}
	name := fmt.Sprintf("%s %s", k.Field, k.ID)
	fail := func(msg, fix string) check.Check {
		return check.Check{Name: CheckKMSKey, Status: check.Fail, Message: name + ": " + msg, Fix: fix}
	}
	if region != k.Region {
		return fail(fmt.Sprintf("is in %s, not %s: a key encrypts only in its own region", region, k.Region),
			fmt.Sprintf("name a key of %s (aws kms create-key --region %s)", k.Region, k.Region))
	}
	api := apis[region]
	if api == nil {
		api = &readOnce{api: d.Clients.KMS(region), memo: map[string]memoed{}}
		apis[region] = api
	}
	desc, err := api.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(k.ID)})
	switch {
	case err != nil && awsapi.ErrorCode(err) == "NotFoundException":
		return fail(fmt.Sprintf("does not exist in %s", region),
			fmt.Sprintf("create it (aws kms create-key --region %s, then aws kms create-alias for an alias ARN) or correct %s", region, k.Field))
	case err != nil && awsapi.IsAccessDenied(err):
		return check.Check{Name: CheckKMSKey, Status: check.Warn, Message: fmt.Sprintf("%s: not read: %v", name, err),
			Fix: "allow the caller kms:DescribeKey, kms:GetKeyPolicy and kms:ListGrants on it (`winami iam-policy --for operator -f`) and the key policy to let it"}
	case err != nil:
		return check.Check{Name: CheckKMSKey, Status: check.Warn, Message: fmt.Sprintf("%s: not read: %v", name, err)}
	}
	md := desc.KeyMetadata
	keyARN := aws.ToString(md.Arn)
	if md.KeyState != kmstypes.KeyStateEnabled {
		fix := fmt.Sprintf("aws kms enable-key --region %s --key-id %s", region, keyARN)
		if md.KeyState == kmstypes.KeyStatePendingDeletion {
			fix = fmt.Sprintf("aws kms cancel-key-deletion --region %s --key-id %s, then %s", region, keyARN, fix)
		}
		return fail(fmt.Sprintf("key %s is %s: EBS cannot use it, so the build would fail", keyARN, md.KeyState), fix)
	}
	if md.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt || md.KeySpec != kmstypes.KeySpecSymmetricDefault {
		return fail(fmt.Sprintf("key %s is %s %s: Amazon EBS supports only symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)", keyARN, md.KeySpec, md.KeyUsage),
			fmt.Sprintf("name a symmetric encryption key (aws kms create-key --region %s --key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT)", region))
	}
	keyAccount := accountOf(keyARN)
	others := otherAccounts(k.Users, keyAccount)
	if md.KeyManager == kmstypes.KeyManagerTypeAws && len(others) > 0 {
		// AWS managed keys' policies cannot be changed, so no other account may use them:
		// an AMI encrypted with one cannot be copied to or shared with other accounts
		// (EC2 User Guide, "Share an AMI": encrypted AMIs,
		// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-explicit.html).
		return fail(fmt.Sprintf("key %s is an AWS managed key, whose policy cannot let accounts %s use it", keyARN, strings.Join(others, ", ")),
			"name a customer managed key (aws kms create-key) whose key policy allows those accounts")
	}
	desc0 := fmt.Sprintf("%s: key %s is enabled, symmetric", name, keyARN)
	if len(k.Users) == 0 {
		// The build region's distribution key encrypts only copies into target accounts
		// (the build region's own AMI is the recipe's: EC2 Image Builder User Guide,
		// cr-upd-ami-distribution-settings, kmsKeyId).
		return check.Check{Name: CheckKMSKey, Status: check.Pass,
			Message: desc0 + "; unused: in the build region it would encrypt only copies into target accounts, and the spec has none (spec.build.encryption.kmsKeyId encrypts the AMI there)"}
	}

	// The key policy is readable only in the key's own account (GetKeyPolicy is not a
	// cross-account operation: AWS KMS API Reference, GetKeyPolicy,
	// https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html).
	stmt := keyPolicyStatement(k.Users)
	if keyAccount != account {
		return check.Check{Name: CheckKMSKey, Status: check.Warn,
			Message: fmt.Sprintf("%s; it belongs to account %s, whose key policy only that account can read: not checked that %s may use it", desc0, keyAccount, whoList(k.Users)),
			Fix:     fmt.Sprintf("make sure the key policy in account %s has a statement like %s", keyAccount, stmt)}
	}
	pol, err := api.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String("default")})
	if err != nil {
		return check.Check{Name: CheckKMSKey, Status: check.Warn, Message: fmt.Sprintf("%s; key policy not read: %v", desc0, err),
			Fix: "allow the caller kms:GetKeyPolicy (`winami iam-policy --for operator -f`), or make sure the key policy has a statement like " + stmt}
	}
	policy, err := parseKeyPolicy(aws.ToString(pol.Policy))
	if err != nil {
		return check.Check{Name: CheckKMSKey, Status: check.Warn, Message: fmt.Sprintf("%s; %v", desc0, err)}
	}
	grants, grantErr := d.keyGrants(ctx, api, keyARN)

	var missing, unsure []keyUser
	var lines []string
	for _, u := range k.Users {
		var no, maybe, vias []string
		var simErr error
		for _, a := range EBSKeyActions {
			v, via, delegated := mayUse(policy, grants, u, region, a)
			if v == allowed && delegated && u.Simulate {
				if simErr == nil {
					v, via, simErr = d.iamAllowsKeyUse(ctx, u, keyARN, region, a, via)
				}
				if simErr != nil {
					v, via = d.unsimulated(u, simErr)
				}
			}
			switch v {
			case notAllowed:
				no = append(no, a)
			case unknown:
				maybe = append(maybe, a)
			}
			if via != "" && !contains(vias, via) && v != notAllowed {
				vias = append(vias, via)
			}
		}
		switch {
		case len(no) > 0:
			missing = append(missing, u)
			lines = append(lines, fmt.Sprintf("%s (%s, which %s) may not call %s on it", u.Who, u.ARN, u.Why, strings.Join(no, ", ")))
		case len(maybe) > 0:
			unsure = append(unsure, u)
			lines = append(lines, fmt.Sprintf("%s (%s) may call %s only under %s", u.Who, u.ARN, strings.Join(maybe, ", "), strings.Join(vias, "; ")))
		default:
			lines = append(lines, fmt.Sprintf("%s may use it (%s)", u.Who, strings.Join(vias, "; ")))
		}
	}
	if k.FastLaunch {
		lines = append(lines, fmt.Sprintf("Fast Launch: EC2 grants %s use of the key with the kms:CreateGrant of whoever enables it (%s at distribution; you with `winami fast-launch enable`)",
			FastLaunchServiceLinkedRole[strings.LastIndex(FastLaunchServiceLinkedRole, "/")+1:], k.Enabler))
	}
	if grantErr != nil {
		lines = append(lines, fmt.Sprintf("grants not read (%v)", grantErr))
	}
	msg := desc0 + "; " + strings.Join(lines, "; ")
	switch {
	case len(missing) > 0:
		return check.Check{Name: CheckKMSKey, Status: check.Fail, Message: msg,
			Fix: fmt.Sprintf("add to the key policy of %s (aws kms get-key-policy / put-key-policy --region %s --policy-name default) the statement %s", keyARN, region, keyPolicyStatement(missing))}
	case len(unsure) > 0:
		return check.Check{Name: CheckKMSKey, Status: check.Warn, Message: msg,
			Fix: "make sure those conditions hold for EBS's use through EC2, or add the statement " + keyPolicyStatement(unsure)}
	}
	return check.Check{Name: CheckKMSKey, Status: check.Pass, Message: msg}
}

// iamAllowsKeyUse asks IAM whether u's own policies allow action on the key as EBS calls
// it for u (through EC2 in the key's region, with EBS's encryption context and, for
// CreateGrant, a grant for an AWS resource): the key policy delegates to the account, so
// both must allow it. A role doctor cannot simulate (missing: the execution-role check
// says so; simulation denied) leaves the answer unknown.
func (d *Doctor) iamAllowsKeyUse(ctx context.Context, u keyUser, keyARN, region, action, via string) (verdict, string, error) {
	entries := []iamtypes.ContextEntry{stringEntry("kms:ViaService", "ec2."+region+".amazonaws.com"), stringEntry("kms:CallerAccount", u.Account)}
	if action != "kms:DescribeKey" {
		entries = append(entries, iamtypes.ContextEntry{ContextKeyName: aws.String("kms:EncryptionContextKeys"), ContextKeyType: iamtypes.ContextKeyTypeEnumStringList, ContextKeyValues: []string{"aws:ebs:id"}})
	}
	if action == "kms:CreateGrant" {
		entries = append(entries, iamtypes.ContextEntry{ContextKeyName: aws.String("kms:GrantIsForAWSResource"), ContextKeyType: iamtypes.ContextKeyTypeEnumBoolean, ContextKeyValues: []string{"true"}})
	}
	denied, err := simulate(ctx, d.Clients.IAM(region), u.ARN, []string{action}, []string{keyARN}, entries)
	switch {
	case err != nil:
		return unknown, "", err
	case len(denied) > 0:
		return notAllowed, "", nil
	}
	return allowed, via, nil
}

// unsimulated is the verdict on a role whose IAM policies could not be simulated: a role
// apply is about to create (--create-roles) gets EC2ImageBuilderExecutionPolicy, which
// allows EBS use through EC2; a missing one is the execution-role check's failure;
// anything else leaves the answer unknown.
func (d *Doctor) unsimulated(u keyUser, err error) (verdict, string) {
	switch {
	case awsapi.ErrorCode(err) == "NoSuchEntity" && d.Options.CreatesRoles:
		return allowed, "the key policy's delegation to the account, and apply creates the role with EC2ImageBuilderExecutionPolicy"
	case awsapi.ErrorCode(err) == "NoSuchEntity":
		return unknown, "the key policy's delegation to the account, if the role's policies allow it (the role does not exist: see the execution-role check)"
	}
	return unknown, fmt.Sprintf("the key policy's delegation to the account, if the role's policies allow it (not simulated: %v)", err)
}

// keyGrants lists the key's grants (every page).
func (d *Doctor) keyGrants(ctx context.Context, api awsapi.KMS, keyARN string) ([]grant, error) {
	var out []grant
	in := &kms.ListGrantsInput{KeyId: aws.String(keyARN)}
	for {
		page, err := api.ListGrants(ctx, in)
		if err != nil {
			return out, err
		}
		for _, g := range page.Grants {
			ops := make([]string, 0, len(g.Operations))
			for _, o := range g.Operations {
				ops = append(ops, string(o))
			}
			out = append(out, grant{Grantee: aws.ToString(g.GranteePrincipal), Operations: ops})
		}
		if !page.Truncated || aws.ToString(page.NextMarker) == "" {
			return out, nil
		}
		in.Marker = page.NextMarker
	}
}

// arnRegion is the region of an ARN ("" when s is not an ARN).
func arnRegion(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		return parts[3]
	}
	return ""
}

func otherAccounts(users []keyUser, account string) []string {
	var out []string
	for _, u := range users {
		if u.Account != account && !contains(out, u.Account) {
			out = append(out, u.Account)
		}
	}
	return out
}

func whoList(users []keyUser) string {
	var out []string
	for _, u := range users {
		out = append(out, u.Who)
	}
	return strings.Join(out, ", ")
}
