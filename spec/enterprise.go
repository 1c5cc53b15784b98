package spec

import (
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strings"

	"github.com/winami/winami/catalog"
)

// The checks of the fields issue 16 added: build.encryption, build.logging,
// build.notifications, build.imageScanning, distribution.targetAccountIds and
// distribution.kmsKeyIds. Every rule cites the AWS page it comes from.

// MaxTargetAccounts is how many accounts an AMI distribution copies the AMI into:
// AmiDistributionConfiguration.targetAccountIds holds 1 to 1536 account ids of 12 digits
// (EC2 Image Builder API Reference,
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_AmiDistributionConfiguration.html).
const MaxTargetAccounts = 1536

// AWSManagedEBSKeyAlias is the alias of the AWS managed key EBS encrypts with when no
// key is named (Amazon EBS User Guide, "Amazon EBS encryption").
const AWSManagedEBSKeyAlias = "alias/aws/ebs"

var (
	// KMS key ARNs and alias ARNs, the two forms Image Builder's kmsKeyId takes ("This can
	// be either the Key ARN or the Alias ARN", API Reference, AmiDistributionConfiguration,
	// at most 1024 characters). Key ids are UUIDs, or mrk-<32 hex> for multi-Region keys;
	// alias names are alias/ plus letters, digits, /, _ and - (1 to 256 characters in all)
	// (AWS KMS Developer Guide, "Key identifiers (KeyId)",
	// https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id, and
	// API Reference, CreateAlias AliasName,
	// https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html).
	kmsARNRE = regexp.MustCompile(`^arn:(aws[a-z-]*):kms:([a-z0-9-]+):([0-9]{12}):(key/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|alias/[A-Za-z0-9/_-]{1,250})$`)
	// Image Builder's SnsTopicArn pattern (API Reference, CreateInfrastructureConfiguration,
	// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_CreateInfrastructureConfiguration.html);
	// it admits no FIFO topic (.fifo).
	snsTopicARNRE = regexp.MustCompile(`^arn:(aws[^:]*):sns:([^:]+):([0-9]{12}):[a-zA-Z0-9-_]{1,256}$`)
	// General purpose bucket names: 3 to 63 lowercase letters, digits, '.' and '-',
	// beginning and ending with a letter or digit (Amazon S3 User Guide, "General purpose
	// bucket naming rules",
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
	bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	// The key prefix: S3's "safe characters" for object keys (letters, digits and
	// !-_.'()), with / between segments (Amazon S3 User Guide, "Naming Amazon S3 objects",
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html), without '*',
	// which in the instance role's s3:PutObject resource (winami iam-policy) would be a
	// wildcard and let the build write anywhere in the bucket.
	s3PrefixRE = regexp.MustCompile(`^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*$`)
)

// KMSKey is a KMS key ARN or alias ARN, split.
type KMSKey struct {
	// Partition, Region and Account are the ARN's (the account owning the key).
	Partition, Region, Account string
	// Resource is key/<id> or alias/<name>.
	Resource string
}

// IsAlias tells whether the key is named by an alias.
func (k KMSKey) IsAlias() bool { return strings.HasPrefix(k.Resource, "alias/") }

// ParseKMSKey splits a key ARN or alias ARN; ok is false for anything else (key ids and
// alias names without an ARN are refused: Image Builder distributes as another
// principal, in other Regions and accounts, where only an ARN names the key).
func ParseKMSKey(s string) (KMSKey, bool) {
	m := kmsARNRE.FindStringSubmatch(s)
	if m == nil {
		return KMSKey{}, false
	}
	return KMSKey{Partition: m[1], Region: m[2], Account: m[3], Resource: m[4]}, true
}

// IsAWSManagedEBSKey tells whether key (a spec's kmsKeyId, "" for none) is the AWS
// managed key aws/ebs: no key (EBS then encrypts with aws/ebs) or its alias ARN.
func IsAWSManagedEBSKey(key string) bool {
	if key == "" {
		return true
	}
	k, ok := ParseKMSKey(key)
	return ok && k.Resource == AWSManagedEBSKeyAlias
}

// isDynamicRef tells whether s holds a CloudFormation dynamic reference, which the
// rendered template would resolve (see checkTags).
func isDynamicRef(s string) bool { return strings.Contains(strings.ToLower(s), "{{resolve:") }

const dynamicRefMsg = "%q holds {{resolve:…}}, a CloudFormation dynamic reference: the template render writes would resolve it and put the parameter's or secret's value in a resource anyone who may describe it reads; give the value itself"

// checkKMSKey checks a key ARN given at path for the region it serves.
func checkKMSKey(c *collector, path, key, region string) {
	if isDynamicRef(key) {
		c.add(path, dynamicRefMsg, key)
		return
	}
	k, ok := ParseKMSKey(key)
	if !ok {
		c.add(path, "%q is not a KMS key ARN (arn:aws:kms:%s:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab) or alias ARN (arn:aws:kms:%s:111122223333:alias/winami-ami): Image Builder uses the key as another principal, in other Regions and accounts, where only an ARN names it", key, region, region)
		return
	}
	switch {
	case k.Region != region:
		// KMS keys are Regional; EBS encrypts a volume or snapshot only with a key of its
		// own Region, and CopyImage re-encrypts in the destination Region with a key of
		// that Region (Amazon EBS User Guide, "Amazon EBS encryption"; Amazon EC2 User
		// Guide, "Copy an AMI": "the KMS key must be in the destination Region").
		c.add(path, "%q is a key in %s, but it encrypts the AMI in %s: KMS keys are Regional, give a key (or a multi-Region replica) of %s", key, k.Region, region, region)
	case k.Partition != catalog.Partition(region):
		c.add(path, "%q is in partition %s, but %s is in %s", key, k.Partition, region, catalog.Partition(region))
	case k.IsAlias() && strings.HasPrefix(k.Resource, "alias/aws/") && k.Resource != AWSManagedEBSKeyAlias:
		// alias/aws/ names AWS managed keys; only aws/ebs encrypts EBS volumes.
		c.add(path, "%q is the AWS managed key of another service: EBS encrypts with %s or a customer managed key", key, AWSManagedEBSKeyAlias)
	}
}

// checkEnterprise checks the build's encryption, logging, notifications and scanning and
// the distribution's target accounts and KMS keys.
func (img *WindowsImage) checkEnterprise(c *collector, bad func(string) bool) {
	s := img.Spec
	b, d := s.Build, s.Distribution
	region := img.Metadata.Region
	regionOK := slices.Contains(Regions, region)
	shared := d.LaunchPermissions != nil && (len(d.LaunchPermissions.Accounts) > 0 || len(d.LaunchPermissions.OrganizationARNs) > 0)

	// build.encryption: EbsInstanceBlockDeviceSpecification {encrypted, kmsKeyId (1..1024)}
	// (API Reference, https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_EbsInstanceBlockDeviceSpecification.html).
	const ep = "spec.build.encryption"
	if e := b.Encryption; e != nil && !bad(ep) {
		switch {
		case e.KMSKeyID != "" && !e.IsEncrypted() && !bad(ep+".encrypted"):
			// EC2 encrypts with a named key only when the volume is encrypted ("If
			// KmsKeyId is specified, the encrypted state must be true", EC2 API Reference,
			// EbsBlockDevice, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EbsBlockDevice.html).
			c.add(ep+".kmsKeyId", "a key is given while spec.build.encryption.encrypted is false: EC2 encrypts with a key only an encrypted volume; set encrypted: true or remove kmsKeyId")
		case e.KMSKeyID != "" && regionOK && !bad(ep+".kmsKeyId"):
			checkKMSKey(c, ep+".kmsKeyId", e.KMSKeyID, region)
		}
		// An AMI encrypted with the AWS managed key cannot be shared or copied to another
		// account: "You can't share AMIs that are backed by snapshots that are encrypted
		// with the default AWS managed key" (Amazon EC2 User Guide, "Share an AMI with
		// specific AWS accounts",
		// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-explicit.html);
		// Image Builder's cross-account copy starts from the shared source AMI.
		if e.IsEncrypted() && IsAWSManagedEBSKey(e.KMSKeyID) && !bad(ep+".kmsKeyId") {
			var uses []string
			if shared {
				uses = append(uses, "spec.distribution.launchPermissions shares it")
			}
			if len(d.TargetAccountIDs) > 0 {
				uses = append(uses, "spec.distribution.targetAccountIds copies it to other accounts")
			}
			if len(uses) > 0 {
				at := ep + ".kmsKeyId"
				if e.KMSKeyID == "" {
					at = ep
				}
				what := "the AMI would be encrypted with the AWS managed key aws/ebs"
				if e.KMSKeyID == "" {
					what = "without kmsKeyId the AMI would be encrypted with the account's default EBS key, the AWS managed key aws/ebs unless the account changed it (which cannot be told offline),"
				}
				c.add(at, "%s and %s: an AMI backed by snapshots encrypted with the AWS managed key cannot be shared or copied to another account (EC2 User Guide, \"Share an AMI with specific AWS accounts\"); name a customer managed key: kmsKeyId: arn:%s:kms:%s:<account>:alias/<name>, whose key policy lets those accounts use it",
					what,
					strings.Join(uses, " and "), catalog.Partition(region), region)
			}
		}
	}

	// build.logging: S3Logs {s3BucketName, s3KeyPrefix} (1..1024 each, API Reference,
	// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_S3Logs.html).
	const lp = "spec.build.logging"
	if l := b.Logging; l != nil && !bad(lp) {
		switch n := l.S3BucketName; {
		case bad(lp + ".s3BucketName"):
		case n == "":
			c.add(lp+".s3BucketName", "missing: give the S3 bucket that receives the build's logs, such as winami-build-logs-111122223333")
		case isDynamicRef(n):
			c.add(lp+".s3BucketName", dynamicRefMsg, n)
		case strings.HasPrefix(n, "s3://") || strings.HasPrefix(n, "arn:"):
			c.add(lp+".s3BucketName", "%q: give the bucket's name only (winami-build-logs-111122223333), not a URL or ARN", n)
		default:
			if msg := CheckBucketName(n); msg != "" {
				c.add(lp+".s3BucketName", "%s", msg)
			}
		}
		if p := l.S3KeyPrefix; p != "" && !bad(lp+".s3KeyPrefix") {
			switch {
			case isDynamicRef(p):
				c.add(lp+".s3KeyPrefix", dynamicRefMsg, p)
			case len(p) > 1024:
				c.add(lp+".s3KeyPrefix", "%d characters: Image Builder takes at most 1024", len(p))
			case !s3PrefixRE.MatchString(strings.ReplaceAll(p, "/", "x")):
				c.add(lp+".s3KeyPrefix", "%q has characters outside S3's safe set: letters, digits, !-_.'() and / between segments (no * or ?, which in the instance role's s3:PutObject resource would be wildcards)", p)
			case !s3PrefixRE.MatchString(p):
				c.add(lp+".s3KeyPrefix", "%q has an empty path segment (a leading, trailing or doubled /): give segments joined by /, such as winami/prod", p)
			}
		}
	}

	// build.notifications: the infrastructure configuration's snsTopicArn.
	const np = "spec.build.notifications.snsTopicArn"
	if n := b.Notifications; n != nil && !bad("spec.build.notifications") && !bad(np) {
		t := n.SNSTopicARN
		m := snsTopicARNRE.FindStringSubmatch(t)
		switch {
		case t == "":
			c.add(np, "missing: give the ARN of the SNS topic Image Builder notifies, such as arn:aws:sns:%s:111122223333:winami-builds (or remove spec.build.notifications; winami render --create-sns-topic writes one into the CloudFormation template)", region)
		case isDynamicRef(t):
			c.add(np, dynamicRefMsg, t)
		case strings.HasSuffix(t, ".fifo"):
			c.add(np, "%q is a FIFO topic: Image Builder's snsTopicArn takes standard topics only (letters, digits, - and _ in the name)", t)
		case m == nil:
			c.add(np, "%q is not an SNS topic ARN such as arn:aws:sns:%s:111122223333:winami-builds (Image Builder's pattern: arn:aws…:sns:<region>:<12 digits>:<1 to 256 letters, digits, - and _>)", t, region)
		case regionOK && m[1] != catalog.Partition(region):
			c.add(np, "%q is in partition %s, but metadata.region %s is in %s", t, m[1], region, catalog.Partition(region))
		case !slices.Contains(Regions, m[2]):
			c.add(np, "%q names %q, which is not a known AWS region", t, m[2])
		}
	}

	// build.imageScanning has one boolean, checked by the parser; scanning moves the
	// parameter's publication from the distribution to winami build (PublishAfterScan).

	// distribution.targetAccountIds: 1..1536 ids of 12 digits (MaxTargetAccounts).
	const tp = "spec.distribution.targetAccountIds"
	if !bad(tp) {
		if len(d.TargetAccountIDs) > MaxTargetAccounts {
			c.add(tp, "%d accounts: Image Builder copies an AMI into at most %d", len(d.TargetAccountIDs), MaxTargetAccounts)
		}
		seen := map[string]int{}
		for i, a := range d.TargetAccountIDs {
			path := fmt.Sprintf("%s[%d]", tp, i)
			if bad(path) {
				continue
			}
			if !accountRE.MatchString(a) {
				c.add(path, "%q is not an AWS account id (12 digits, quoted in YAML so that a leading 0 is kept)", a)
				continue
			}
			if j, dup := seen[a]; dup {
				c.add(path, "%q is listed twice (also %s[%d])", a, tp, j)
			}
			seen[a] = i
		}
		// Whether a target is the build account itself cannot be told offline (the
		// account is the caller's); doctor compares them with sts:GetCallerIdentity.
		if fl := d.FastLaunch; len(d.TargetAccountIDs) > 0 && fl != nil && fl.Enabled && !bad("spec.distribution.fastLaunch.enabled") {
			// "Image Builder doesn't support cross-account distribution for AMIs with EC2
			// Fast Launch pre-enabled. EC2 Fast Launch must be enabled from the destination
			// account." (Image Builder User Guide, "Create and update AMI distribution
			// configurations", EC2 Fast Launch prerequisites,
			// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html)
			c.add("spec.distribution.fastLaunch.enabled", "Fast Launch is enabled while spec.distribution.targetAccountIds copies the AMI to other accounts, and Image Builder does not distribute AMIs with Fast Launch pre-enabled across accounts: set fastLaunch.enabled: false and, after winami build, run `winami fast-launch enable --image ami-… --region <region>` in the build account and, with --profile <target account's profile>, on each target account's copy")
		}
	}

	// distribution.kmsKeyIds: region → key of that region, for distribution regions.
	const kp = "spec.distribution.kmsKeyIds"
	if !bad(kp) {
		for _, r := range slices.Sorted(maps.Keys(d.KMSKeyIDs)) {
			path := kp + "." + r
			if bad(path) {
				continue
			}
			switch {
			case !slices.Contains(d.Regions, r):
				c.add(path, "%q is not a distribution region (spec.distribution.regions: %s): a key encrypts the AMI's copies in the region it is listed under", r, strings.Join(d.Regions, ", "))
			case d.KMSKeyIDs[r] == "":
				c.add(path, "empty: give the ARN of a KMS key (or alias) in %s", r)
			default:
				checkKMSKey(c, path, d.KMSKeyIDs[r], r)
				if IsAWSManagedEBSKey(d.KMSKeyIDs[r]) && (shared || len(d.TargetAccountIDs) > 0) {
					c.add(path, "%s is the AWS managed key, and an AMI encrypted with it cannot be shared (spec.distribution.launchPermissions) or copied to another account (spec.distribution.targetAccountIds) (EC2 User Guide, \"Share an AMI with specific AWS accounts\"): give a customer managed key", d.KMSKeyIDs[r])
				}
			}
		}
	}
	// A copy of an encrypted AMI is encrypted too: without a key Image Builder uses the
	// account's default EBS key (Image Builder User Guide, "Set up cross-account AMI
	// distribution", Limits: "You cannot create an unencrypted copy of an encrypted
	// snapshot. If you do not specify a customer managed key for the KmsKeyId parameter,
	// Image Builder uses the default key for Amazon EBS",
	// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cross-account-dist.html),
	// which is aws/ebs unless the account changed it — and such a copy cannot be shared
	// or copied to another account. So a shared or copied encrypted AMI needs a key for
	// every other region (the build region's own AMI has the recipe's key).
	if b.Encryption.IsEncrypted() && (shared || len(d.TargetAccountIDs) > 0) && !bad(kp) && !bad("spec.distribution.regions") {
		for _, r := range d.Regions {
			if r == region || d.KMSKeyIDs[r] != "" {
				continue
			}
			c.addAt(kp, kpLine(img, kp), "no key for %s: the AMI is encrypted and %s, and its copy to %s would be encrypted with that region's default EBS key (the AWS managed key aws/ebs unless the account changed it), which cannot be shared or copied to another account; add %s: arn:%s:kms:%s:<account>:alias/<name>",
				r, sharingWhat(shared, len(d.TargetAccountIDs) > 0), r, r, catalog.Partition(r), r)
		}
	}
}

// kpLine is the path whose line reports a missing kmsKeyIds entry: the map when given,
// else the regions that need it.
func kpLine(img *WindowsImage, kp string) string {
	if _, ok := img.lines[kp]; ok {
		return kp
	}
	return "spec.distribution.regions"
}

func sharingWhat(shared, copied bool) string {
	switch {
	case shared && copied:
		return "shared (launchPermissions) and copied to other accounts (targetAccountIds)"
	case shared:
		return "shared (launchPermissions)"
	}
	return "copied to other accounts (targetAccountIds)"
}

// CheckBucketName returns why n is not a general purpose S3 bucket name, or "" (Amazon
// S3 User Guide, "General purpose bucket naming rules",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
func CheckBucketName(n string) string {
	switch {
	case !bucketRE.MatchString(n):
		return fmt.Sprintf("%q is not an S3 bucket name: 3 to 63 lowercase letters, digits, '.' and '-', beginning and ending with a letter or digit", n)
	case strings.Contains(n, ".."):
		return fmt.Sprintf("%q has two adjacent periods, which bucket names may not have", n)
	case net.ParseIP(n) != nil:
		return fmt.Sprintf("%q is formatted as an IP address, which bucket names may not be", n)
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(n, p) {
			return fmt.Sprintf("%q starts with %s, which S3 reserves", n, p)
		}
	}
	for _, sfx := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(n, sfx) {
			return fmt.Sprintf("%q ends with %s, which S3 reserves for access points, directory and table buckets", n, sfx)
		}
	}
	return ""
}

// PublishAccounts are the accounts besides the build account in which the published
// parameter is written: the target accounts when spec.distribution.publishParameter is
// set (imagebuilder.Desired.PublishAccounts).
func (img *WindowsImage) PublishAccounts() []string {
	d := img.Spec.Distribution
	if d.PublishParameter == "" || len(d.TargetAccountIDs) == 0 {
		return nil
	}
	out := slices.Clone(d.TargetAccountIDs)
	slices.Sort(out)
	return out
}

// PublishAfterScan tells whether the image is scanned (spec.build.imageScanning), in
// which case the distribution writes no parameter and winami build publishes after the
// scan's verdict (imagebuilder.Desired.PublishAfterScan).
func (img *WindowsImage) PublishAfterScan() bool {
	sc := img.Spec.Build.ImageScanning
	return sc != nil && sc.Enabled
}
