package imagebuilder

import (
	"fmt"
	"strings"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/world"
)

// EBS encryption of the images a build makes (issue 16).
//
// The recipe's blockDeviceMappings ebs {encrypted, kmsKeyId} encrypt the build instance's
// volumes and so the AMI Image Builder creates in the build Region; the distribution's
// amiDistributionConfiguration.kmsKeyId "doesn't apply for the original AMI that the build
// creates under your account in the source Region": it encrypts the copies to other Regions
// and to target accounts (User Guide, Create an AMI distribution configuration,
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html).
// A copy of an encrypted image without a kmsKeyId is encrypted with the destination's
// default key for Amazon EBS: "You cannot create an unencrypted copy of an encrypted
// snapshot. If you do not specify a … KmsKeyId …, Image Builder uses the default key for
// Amazon EBS" (https://docs.aws.amazon.com/imagebuilder/latest/userguide/cross-account-dist.html).

// ebsKMSActions are what a principal needs of a customer managed key to launch an instance
// with, or copy an image into, volumes it encrypts: "You must grant users permission to call
// the following actions in order to use EBS encryption: kms:CreateGrant, kms:Decrypt,
// kms:DescribeKey, kms:GenerateDataKeyWithoutPlainText, kms:ReEncrypt" (Amazon EBS User
// Guide, Requirements for Amazon EBS encryption,
// https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html#ebs-encryption-permissions);
// ReEncrypt as the two actions AWSServiceRoleForImageBuilder's policy grants via EC2
// (https://docs.aws.amazon.com/imagebuilder/latest/userguide/security-iam-awsmanpol.html).
var ebsKMSActions = []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey",
	"kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"}

// ebsContext is the request context of EC2 using a key for EBS in region on a principal's
// behalf: the conditions of AWSServiceRoleForImageBuilder's KMS statements (kms:ViaService
// ec2.*.amazonaws.com, kms:GrantIsForAWSResource, kms:EncryptionContextKeys aws:ebs:id).
func ebsContext(region, account string) map[string][]string {
	return map[string][]string{
		"kms:ViaService":            {"ec2." + region + ".amazonaws.com"},
		"kms:GrantIsForAWSResource": {"true"},
		"kms:EncryptionContextKeys": {"aws:ebs:id"},
		"kms:CallerAccount":         {account},
	}
}

// volumeKey is the encryption of a device: the key's ARN, and whether it is the AWS managed
// key aws/ebs.
type volumeKey struct {
	arn        string
	awsManaged bool
}

// awsManagedEBS tells whether keyID names the AWS managed key for Amazon EBS.
func awsManagedEBS(keyID string) bool {
	return keyID == "alias/aws/ebs" || strings.HasSuffix(keyID, ":alias/aws/ebs")
}

// kmsFor is the KMS of the account a key belongs to: the account in a key or alias ARN,
// else account.
func (s *Service) kmsFor(keyID, account string) (awsemu.KMSStore, string) {
	if p := strings.Split(keyID, ":"); len(p) >= 6 && p[0] == "arn" && p[2] == "kms" && p[4] != "" {
		account = p[4]
	}
	w, ok := s.srv.Peer(account)
	if !ok || w.KMS == nil {
		return nil, account
	}
	return w.KMS, account
}

// usableKey resolves keyID in region for use by principal (in account) through EC2: the key
// must exist, be Enabled, and let principal call every ebsKMSActions action (key policy,
// IAM, grants: Server.KMS). The AWS managed key aws/ebs is the account's own and its policy
// lets the account's principals use it through EBS: it is taken as usable. reason is "" or
// what is wrong.
func (s *Service) usableKey(region, keyID, account, principal string) (volumeKey, string) {
	if awsManagedEBS(keyID) {
		if store, _ := s.kmsFor(keyID, account); store != nil {
			if k, ok := store.Key(region, "alias/aws/ebs"); ok {
				return volumeKey{arn: k.ARN, awsManaged: true}, ""
			}
		}
		return volumeKey{arn: "arn:" + world.Partition(region) + ":kms:" + region + ":" + account + ":alias/aws/ebs", awsManaged: true}, ""
	}
	store, owner := s.kmsFor(keyID, account)
	if store == nil {
		return volumeKey{}, fmt.Sprintf("awsemu serves no KMS for account %s to find the key %s in", owner, keyID)
	}
	k, ok := store.Key(region, keyID)
	if !ok {
		return volumeKey{}, fmt.Sprintf("the KMS key %s does not exist in %s", keyID, region)
	}
	if k.State != "Enabled" {
		return volumeKey{}, fmt.Sprintf("the KMS key %s is %s, not Enabled", k.ARN, k.State)
	}
	ctx := ebsContext(region, account)
	for _, a := range ebsKMSActions {
		if ok, why := store.AuthorizeContext(k, principal, a, ctx); !ok {
			return volumeKey{}, fmt.Sprintf("%s may not use the KMS key %s (%s): %s", principal, k.ARN, a, why)
		}
	}
	return volumeKey{arn: k.ARN}, ""
}

// checkEncryption runs, with the build instance's launch, what EC2 checks of the recipe's
// encrypted volumes: a kmsKeyId needs encrypted true (RunInstances' InvalidParameterDependency,
// "The parameter KmsKeyId requires the parameter Encrypted to be set"), and the key must be
// usable by the principal Image Builder launches as (else EC2 terminates the instance at
// launch with Client.InvalidKMSKey.InvalidState, "The KMS key provided is in an incorrect
// state", whatever is wrong with the key or its policy). The resolved keys are kept for the
// AMI. It returns the failure reason, or "". The wording after EC2's code is awsemu's
// (DIFFERENCES.md).
func (s *Service) checkEncryption(img *image) string {
	img.volumeKeys = map[string]volumeKey{}
	for i, d := range img.recipe.devices {
		if d.Ebs == nil || d.NoDevice != nil {
			continue
		}
		field := fmt.Sprintf("blockDeviceMappings[%d].ebs", i)
		encrypted := d.Ebs.Encrypted != nil && *d.Ebs.Encrypted
		if d.Ebs.KmsKeyID != nil && !encrypted {
			return fmt.Sprintf("Instance launch failed: InvalidParameterDependency: The parameter KmsKeyId requires the parameter Encrypted to be set. Check the recipe's %s.encrypted.", field)
		}
		if !encrypted {
			continue
		}
		keyID := "alias/aws/ebs"
		if d.Ebs.KmsKeyID != nil {
			keyID = *d.Ebs.KmsKeyID
		}
		k, reason := s.usableKey(img.region, keyID, img.account, s.actingPrincipal(img))
		if reason != "" {
			return fmt.Sprintf("Instance launch failed: Client.InvalidKMSKey.InvalidState: The KMS key provided is in an incorrect state (%s). Check the recipe's %s.kmsKeyId and the key's policy.", reason, field)
		}
		img.volumeKeys[d.DeviceName] = k
	}
	return ""
}

// encryptBuilt applies the build's volume keys to the AMI's devices in the build Region.
func (img *image) encryptBuilt(devs []awsemu.BlockDevice) []awsemu.BlockDevice {
	out := append([]awsemu.BlockDevice(nil), devs...)
	for i, d := range out {
		if k, ok := img.volumeKeys[d.DeviceName]; ok {
			out[i].Encrypted, out[i].KmsKeyID = true, k.arn
		}
	}
	return out
}

// copyEncryption is the encryption of a copy of src into region of account made by
// principal: every device encrypted with kmsKeyID when given (CopyImage with Encrypted and
// KmsKeyId), else the encrypted ones with the destination's aws/ebs key. It returns the
// copy's devices, or the reason the key cannot be used.
func (s *Service) copyEncryption(src []awsemu.BlockDevice, kmsKeyID *string, region, account, principal string) ([]awsemu.BlockDevice, string) {
	out := append([]awsemu.BlockDevice(nil), src...)
	for i := range out {
		out[i].SnapshotID = ""
	}
	if kmsKeyID != nil {
		k, reason := s.usableKey(region, *kmsKeyID, account, principal)
		if reason != "" {
			return nil, reason
		}
		for i := range out {
			out[i].Encrypted, out[i].KmsKeyID = true, k.arn
		}
		return out, ""
	}
	var def volumeKey
	for i := range out {
		if !out[i].Encrypted {
			continue
		}
		if def.arn == "" {
			def, _ = s.usableKey(region, "alias/aws/ebs", account, principal)
		}
		out[i].KmsKeyID = def.arn
	}
	return out, ""
}

// isAWSManagedKeyARN tells whether keyARN (a device's key) is account's AWS managed key
// aws/ebs in region as the KMS store resolves it.
func (s *Service) isAWSManagedKeyARN(region, keyARN, account string) bool {
	if keyARN == "" {
		return false
	}
	store, _ := s.kmsFor(keyARN, account)
	if store == nil {
		return false
	}
	ebs, ok := store.Key(region, "alias/aws/ebs")
	return ok && ebs.ARN == keyARN
}
