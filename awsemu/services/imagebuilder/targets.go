package imagebuilder

import (
	"errors"
	"fmt"
	"strings"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/world"
)

// CrossAccountRole is the role a target account creates so that Image Builder may copy
// AMIs into it: "the destination account owner must create a new IAM role in their account
// called EC2ImageBuilderDistributionCrossAccountRole", attach the managed policy
// Ec2ImageBuilderCrossAccountDistributionAccess, and trust the source account (User Guide,
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cross-account-dist.html).
// Image Builder's service-linked role may assume roles of that name in any account whose
// trust policy permits it (security-iam-awsmanpol.html, AWS STS).
const CrossAccountRole = "EC2ImageBuilderDistributionCrossAccountRole"

// sourceKMSActions are what the target account's role needs of the source image's key to
// decrypt it for the copy (the inline policy the cross-account guide asks for lists
// kms:Decrypt, kms:ReEncrypt*, kms:DescribeKey and kms:CreateGrant among others).
var sourceKMSActions = []string{"kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:ReEncryptFrom"}

// distributionJobError is a failed copy of the image (to another Region or account), worded
// as Image Builder reports it in the image's state reason: "Not all distribution jobs are
// completed. 1) <cause> when distributing the image from the source account (ID: <id>) to
// the destination account (ID: <id>) in Region <region>." — the form users quote from AWS
// (e.g. "1) EC2 Client Error: '…' when distributing the image from the source account …",
// https://github.com/aws-deepracer-community/deepracer-on-the-spot/issues/106, and "1) AMI
// Copy Reported Failure For …", https://github.com/aws-samples/cdk-image-pipeline/pull/76);
// AWS documents no such text, and the causes after "1)" are awsemu's (DIFFERENCES.md).
type distributionJobError struct {
	cause, source, dest, region string
}

func (e *distributionJobError) Error() string {
	return fmt.Sprintf("Not all distribution jobs are completed. 1) %s when distributing the image from the source account (ID: %s) to the destination account (ID: %s) in Region %s.",
		strings.TrimSuffix(e.cause, "."), e.source, e.dest, e.region)
}

// distributeToTargets copies the Region's own AMI (src, made just before) into each of the
// Region's targetAccountIds, as Image Builder does "on behalf of the target account" through
// its EC2ImageBuilderDistributionCrossAccountRole, and writes the Region's SSM parameters
// whose amiAccountId is that account in that account. The first refusal is the error.
func (s *Service) distributeToTargets(img *image, d distribution, src awsemu.Image, name, desc string, tags map[string]string) error {
	if d.AMI == nil {
		return nil
	}
	for _, acct := range d.AMI.TargetAccountIDs {
		if err := s.copyToAccount(img, d, acct, src, name, desc, tags); err != nil {
			return &distributionJobError{cause: err.Error(), source: img.account, dest: acct, region: d.Region}
		}
	}
	return nil
}

func (s *Service) copyToAccount(img *image, d distribution, acct string, src awsemu.Image, name, desc string, tags map[string]string) error {
	partition := world.Partition(d.Region)
	roleARN := "arn:" + partition + ":iam::" + acct + ":role/" + CrossAccountRole
	peer, ok := s.srv.Peer(acct)
	if !ok || peer.EC2 == nil {
		return fmt.Errorf("could not assume %s: awsemu serves no account %s", roleARN, acct)
	}
	// Assuming the role: its trust policy must let Image Builder's role in the build account
	// in; when it trusts only the account, that role's own policy must allow sts:AssumeRole
	// on it too (AWSServiceRoleForImageBuilder's does, for roles of this name).
	acting := s.actingPrincipal(img)
	if peer.IAM != nil {
		role, found := peer.IAM.AssumeRoleTrust(CrossAccountRole, acting, nil)
		switch {
		case !found:
			return fmt.Errorf("could not assume %s: the role does not exist in account %s; create it there (trusting account %s, with the managed policy Ec2ImageBuilderCrossAccountDistributionAccess)", roleARN, acct, img.account)
		case !role.Trusted:
			return fmt.Errorf("could not assume %s: its trust policy does not allow %s (account %s) to call sts:AssumeRole", roleARN, acting, img.account)
		}
		roleARN = role.ARN
		if role.ByAccount {
			if err := s.authorize(img, "sts:AssumeRole", roleARN, nil); err != nil {
				return fmt.Errorf("could not assume %s: %w", roleARN, err)
			}
		}
	}
	// As that role in the target account: copy and tag the image
	// (Ec2ImageBuilderCrossAccountDistributionAccess: ec2:CopyImage, ec2:CreateTags on images).
	for _, a := range []struct{ action, resource string }{
		{"ec2:CopyImage", awsemu.ImageARN(d.Region, "*")},
		{"ec2:CreateTags", awsemu.ImageARN(d.Region, "*")},
	} {
		if peer.IAM == nil {
			break
		}
		if ok, reason := peer.IAM.Authorize(roleARN, a.action, a.resource, nil); !ok {
			return errors.New("AccessDenied: " + reason)
		}
	}
	// Encryption: an image encrypted with the AWS managed key cannot be copied to another
	// account ("You can't share AMIs that are backed by snapshots that are encrypted with the
	// default AWS managed key", Amazon EC2 User Guide, Share an AMI with specific AWS accounts,
	// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-explicit.html);
	// the target's role must be able to use the source key, and the copy's key.
	for _, b := range src.BlockDevices {
		if !b.Encrypted {
			continue
		}
		if awsManagedEBS(b.KmsKeyID) || s.isAWSManagedKeyARN(d.Region, b.KmsKeyID, img.account) {
			return fmt.Errorf("the AMI %s is encrypted with the AWS managed key aws/ebs, which cannot be shared with or copied to another account: encrypt it with a customer managed key (the recipe's kmsKeyId, and the distribution's kmsKeyId for copies)", src.ID)
		}
		store, _ := s.kmsFor(b.KmsKeyID, img.account)
		if store == nil {
			return fmt.Errorf("awsemu serves no KMS to find the key %s in", b.KmsKeyID)
		}
		k, found := store.Key(d.Region, b.KmsKeyID)
		if !found {
			return fmt.Errorf("the KMS key %s of %s no longer exists", b.KmsKeyID, src.ID)
		}
		for _, a := range sourceKMSActions {
			if ok, why := store.AuthorizeContext(k, roleARN, a, ebsContext(d.Region, acct)); !ok {
				return fmt.Errorf("%s may not use the source image's KMS key %s (%s): %s", roleARN, k.ARN, a, why)
			}
		}
	}
	devices, reason := s.copyEncryption(src.BlockDevices, d.AMI.KmsKeyID, d.Region, acct, roleARN)
	if reason != "" {
		return errors.New(reason)
	}
	out := peer.EC2.PutImage(awsemu.Image{
		Region: d.Region, Name: name, Description: desc, OwnerID: acct, CreationDate: src.CreationDate,
		State: "available", Platform: src.Platform, PlatformDetails: src.PlatformDetails, Architecture: src.Architecture,
		RootDeviceName: src.RootDeviceName, BlockDevices: devices, Tags: copyMap(tags),
		SnapshotTags: map[string]string{"CreatedBy": "EC2 Image Builder"},
	})
	img.amis = append(img.amis, map[string]any{
		"region": d.Region, "image": out.ID, "name": name, "description": desc,
		"state": map[string]any{"status": "AVAILABLE"}, "accountId": acct,
	})
	for _, sp := range d.SSMParameters {
		if sp.AmiAccountID != acct {
			continue
		}
		if err := s.putTargetParameter(peer, roleARN, d.Region, acct, sp.ParameterName, sp.DataType, out.ID); err != nil {
			return err
		}
	}
	return nil
}

// putTargetParameter writes an amiAccountId parameter in the target account as its
// EC2ImageBuilderDistributionCrossAccountRole: "This is the name of the Parameter in the
// target Region or account" (API Reference, SsmParameterConfiguration). The role needs
// ssm:PutParameter on it (and ec2:DescribeImages for aws:ec2:image), which the managed policy
// does not grant.
func (s *Service) putTargetParameter(peer *awsemu.Server, roleARN, region, acct, name, dataType, amiID string) error {
	if peer.SSM == nil {
		return errors.New("awsemu has no SSM service in account " + acct + " to write parameters to")
	}
	if dataType == "" {
		dataType = "aws:ec2:image"
	}
	paramARN := "arn:" + world.Partition(region) + ":ssm:" + region + ":" + acct + ":parameter/" + strings.TrimPrefix(name, "/")
	if peer.IAM != nil {
		if ok, reason := peer.IAM.Authorize(roleARN, "ssm:PutParameter", paramARN, nil); !ok {
			return fmt.Errorf("writing SSM parameter %s: AccessDenied: %s", name, reason)
		}
		if dataType == "aws:ec2:image" {
			if ok, reason := peer.IAM.Authorize(roleARN, "ec2:DescribeImages", "*", nil); !ok {
				return fmt.Errorf("writing SSM parameter %s (data type aws:ec2:image): AccessDenied: %s", name, reason)
			}
		}
	}
	if err := peer.SSM.PutParameter(region, name, amiID, dataType, awsemu.AssumedRoleARN(roleARN, ImageBuilderSession)); err != nil {
		return fmt.Errorf("writing SSM parameter %s: %w", name, err)
	}
	return nil
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
