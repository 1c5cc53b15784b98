package spec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/winami/winami/catalog"
)

// Regions is the list of AWS region names a spec may use.
var Regions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1",
	"cn-north-1", "cn-northwest-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
	"eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1",
	"me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-gov-east-1",
	"us-gov-west-1", "us-west-1", "us-west-2",
}

var (
	// Image Builder's resource name pattern.
	resourceNameRE = regexp.MustCompile(`^[-_A-Za-z-0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z-0-9]$`)
	regionRE       = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$`)
	subnetRE       = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	sgRE           = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
	amiRE          = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)
	ltIDRE         = regexp.MustCompile(`^lt-[0-9a-f]{17}$`)
	ltNameRE       = regexp.MustCompile(`^[a-zA-Z0-9().\-/_]{3,128}$`)
	ltVersionRE    = regexp.MustCompile(`^([1-9][0-9]*|\$Latest|\$Default)$`)
	instanceTypeRE = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	iamNameRE      = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	// IAM role names: 1 to 64 of [\w+=,.@-]
	// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
	roleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	// Role ARNs as Image Builder's executionRole accepts them
	// (^(?:arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/)?[a-zA-Z_0-9+=,.@\-_/]+$, at most 2048,
	// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_CreateImage.html; the
	// pipeline's executionRole is the same RoleNameOrArn shape),
	// narrowed to an IAM path (/…/, at most 512) and a role name.
	roleARNRE       = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/(([\w+=,.@-]+/)*)([\w+=,.@-]{1,64})$`)
	keyPairRE       = regexp.MustCompile(`^[\x20-\x7e]{1,255}$`)
	accountRE       = regexp.MustCompile(`^[0-9]{12}$`)
	orgARNRE        = regexp.MustCompile(`^arn:aws[a-z-]*:organizations::[0-9]{12}:organization/o-[a-z0-9]{10,32}$`)
	amiNameRE       = regexp.MustCompile(`^[-_A-Za-z0-9{][-_A-Za-z0-9\s:{}.]+[-_A-Za-z0-9}]$`)
	ssmNameRE       = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)
	osBuildRE       = regexp.MustCompile(`^10\.0\.[0-9]+(\.[0-9]+)?$`)
	imageVariableRE = regexp.MustCompile(`\{\{\s*imagebuilder:buildDate\s*\}\}`)
)

// Validate checks every field of a defaulted spec and returns all problems as Errors.
func (img *WindowsImage) Validate() error {
	if errs := img.validate(nil); len(errs) > 0 {
		return errs.sorted()
	}
	return nil
}

// MaxNameLength leaves room for the suffixes winami appends to metadata.name.
const MaxNameLength = 100

func (img *WindowsImage) validate(skip map[string]bool) Errors {
	c := &collector{img: img}
	// bad tells whether path, or a field it is inside, already failed to parse.
	bad := func(path string) bool {
		for p := path; p != ""; {
			if skip[p] {
				return true
			}
			i := strings.LastIndexAny(p, ".[")
			if i < 0 {
				break
			}
			p = p[:i]
		}
		return false
	}
	s := img.Spec

	if img.APIVersion != APIVersion && !bad("apiVersion") {
		c.add("apiVersion", "%s: want %s", quoteOrMissing(img.APIVersion), APIVersion)
	}
	if img.Kind != Kind && !bad("kind") {
		c.add("kind", "%s: want %s", quoteOrMissing(img.Kind), Kind)
	}

	// metadata
	switch n := img.Metadata.Name; {
	case bad("metadata.name"):
	case n == "":
		c.add("metadata.name", "missing: give the name that prefixes every Image Builder resource, such as prod-win2022")
	case !resourceNameRE.MatchString(n):
		c.add("metadata.name", "%q is not an Image Builder resource name: 3 to 128 letters, digits, '-', '_' (and inner spaces)", n)
	case len(n) > MaxNameLength:
		c.add("metadata.name", "%q is %d characters: at most %d, to leave room for the suffixes winami adds", n, len(n), MaxNameLength)
	}
	if !bad("metadata.region") {
		if img.Metadata.Region == "" {
			c.add("metadata.region", "missing: give the region where the Image Builder resources live, such as us-east-1")
		} else {
			checkRegion(c, "metadata.region", img.Metadata.Region)
		}
	}

	// versions
	k8sOK, winOK := false, false
	if !bad("spec.kubernetesVersion") {
		if s.KubernetesVersion == "" {
			c.add("spec.kubernetesVersion", "missing: give the Kubernetes minor version as \"1.NN\", such as \"1.31\"")
		} else if _, err := catalog.ParseKubernetes(s.KubernetesVersion); err != nil {
			c.add("spec.kubernetesVersion", "%v", err)
		} else {
			k8sOK = true
		}
	}
	if !bad("spec.windows.version") {
		if s.Windows.Version == "" {
			c.add("spec.windows.version", "missing: use one of %s", strings.Join(catalog.WindowsVersionNames(), ", "))
		} else if _, err := catalog.Windows(s.Windows.Version); err != nil {
			c.add("spec.windows.version", "%v", err)
		} else {
			winOK = true
		}
	}
	if !bad("spec.windows.edition") {
		if _, err := catalog.ParseEdition(s.Windows.Edition); err != nil {
			c.add("spec.windows.edition", "%v", err)
		}
	}
	if k8sOK && winOK {
		if err := catalog.Supported(s.Windows.Version, s.KubernetesVersion); err != nil {
			c.add("spec.kubernetesVersion", "%v", err)
		}
	}

	// parent
	p := s.Parent
	if p.Source != SourceEKSOptimized && p.Source != SourceWindowsBase && !bad("spec.parent.source") {
		c.add("spec.parent.source", "%q: want %s (the EKS-optimized AMI plus update-windows) or %s (the Windows Server base AMI plus %s)", p.Source, SourceEKSOptimized, SourceWindowsBase, catalog.ComponentEKS)
	}
	if p.ReleaseDate != "" && !bad("spec.parent.releaseDate") {
		k, _, err := catalog.ParseRelease(p.ReleaseDate)
		switch {
		case err != nil:
			c.add("spec.parent.releaseDate", "%v", err)
		case k != "" && k8sOK && k != s.KubernetesVersion:
			c.add("spec.parent.releaseDate", "release %q is for Kubernetes %s, but spec.kubernetesVersion is %s", p.ReleaseDate, k, s.KubernetesVersion)
		case k != "" && p.Source == SourceWindowsBase:
			c.add("spec.parent.releaseDate", "release %q names a Kubernetes version, but Windows base AMIs are released by date only: give a date such as 2026.10.15", p.ReleaseDate)
		}
	}
	if p.OSBuild != "" && !bad("spec.parent.osBuild") {
		if !osBuildRE.MatchString(p.OSBuild) {
			c.add("spec.parent.osBuild", "%q is not a Windows build such as 10.0.20348.2700", p.OSBuild)
		} else if w, err := catalog.Windows(s.Windows.Version); err == nil && catalog.MajorMinorBuild(p.OSBuild) != w.Build {
			c.add("spec.parent.osBuild", "%q is not a build of Windows Server %s (%s.*)", p.OSBuild, w.Version, w.Build)
		}
	}
	if p.ImageID != "" && !bad("spec.parent.imageId") {
		if !amiRE.MatchString(p.ImageID) {
			c.add("spec.parent.imageId", "%q is not an AMI id such as ami-0123456789abcdef0", p.ImageID)
		} else if p.ReleaseDate != "" || p.OSBuild != "" {
			c.add("spec.parent.imageId", "an AMI id is already a pin: give imageId, or releaseDate/osBuild, not both")
		}
	}

	// cache
	if !bad("spec.cache.images") {
		seen := map[string]int{}
		for i, ref := range s.Cache.Images {
			path := fmt.Sprintf("spec.cache.images[%d]", i)
			if bad(path) {
				continue
			}
			if msg := CheckImageReference(ref); msg != "" {
				c.add(path, "%s", msg)
				continue
			}
			if j, dup := seen[ref]; dup {
				c.add(path, "%q is listed twice (also spec.cache.images[%d])", ref, j)
			}
			seen[ref] = i
		}
		if s.Cache.Enabled != nil && *s.Cache.Enabled && len(s.Cache.Images) == 0 && !bad("spec.cache.enabled") {
			c.add("spec.cache.images", "empty while spec.cache.enabled is true: list the images to cache (pinned by tag or digest) or set enabled: false")
		}
	}

	// build
	b := s.Build
	for i, t := range b.InstanceTypes {
		if path := fmt.Sprintf("spec.build.instanceTypes[%d]", i); !bad(path) && !instanceTypeRE.MatchString(t) {
			c.add(path, "%q is not an EC2 instance type such as m6i.2xlarge", t)
		}
	}
	if !bad("spec.build.instanceProfile") && !iamNameRE.MatchString(b.InstanceProfile) {
		c.add("spec.build.instanceProfile", "%q is not an IAM instance profile name: 1 to 128 letters, digits and +=,.@_-", b.InstanceProfile)
	}
	if b.ExecutionRole != "" && !bad("spec.build.executionRole") && !bad("metadata.name") {
		checkExecutionRole(c, img)
	}
	if r := b.RootVolumeSize; !r.Auto() && !bad("spec.build.rootVolumeSize") && (r.GiB < MinRootVolume || r.GiB > MaxRootVolume) {
		c.add("spec.build.rootVolumeSize", "%s GiB is outside %d..%d: give a size in GiB in that range, or auto (sized from the cache)", r, MinRootVolume, MaxRootVolume)
	}
	if b.SubnetID != "" && !bad("spec.build.subnetId") && !subnetRE.MatchString(b.SubnetID) {
		c.add("spec.build.subnetId", "%q is not a subnet id such as subnet-0123456789abcdef0", b.SubnetID)
	}
	for i, sg := range b.SecurityGroupIDs {
		if path := fmt.Sprintf("spec.build.securityGroupIds[%d]", i); !bad(path) && !sgRE.MatchString(sg) {
			c.add(path, "%q is not a security group id such as sg-0123456789abcdef0", sg)
		}
	}
	if len(b.SecurityGroupIDs) > 0 && b.SubnetID == "" && !bad("spec.build.subnetId") {
		c.add("spec.build.securityGroupIds", "security groups need spec.build.subnetId: Image Builder takes both or neither")
	}
	if b.KeyPair != "" && !bad("spec.build.keyPair") && !keyPairRE.MatchString(b.KeyPair) {
		c.add("spec.build.keyPair", "%q is not an EC2 key pair name: 1 to 255 printable ASCII characters", b.KeyPair)
	}
	// Image Builder's InstanceMetadataOptions: httpTokens matches optional|required and
	// httpPutResponseHopLimit is 1..64 (EC2 Image Builder API Reference,
	// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_InstanceMetadataOptions.html).
	if m := b.InstanceMetadata; m != nil {
		if m.HTTPTokens != "" && m.HTTPTokens != "required" && m.HTTPTokens != "optional" && !bad("spec.build.instanceMetadata.httpTokens") {
			c.add("spec.build.instanceMetadata.httpTokens", "%q: want required (IMDSv2 only, the default) or optional (IMDSv1 answers too; organizations that enforce IMDSv2 refuse it)", m.HTTPTokens)
		}
		if h := m.HTTPPutResponseHopLimit; h != nil && (*h < 1 || *h > 64) && !bad("spec.build.instanceMetadata.httpPutResponseHopLimit") {
			c.add("spec.build.instanceMetadata.httpPutResponseHopLimit", "%d is outside 1..64: give the number of network hops an IMDS response may travel (default %d, which containers on the build instance need)", *h, DefaultHopLimit)
		}
	}
	checkTags(c, bad, "spec.build.resourceTags", b.ResourceTags, MaxResourceTags,
		"Image Builder takes 30 resourceTags and winami adds winami:managed-by and winami:name")

	// distribution
	d := s.Distribution
	seenRegion := map[string]bool{}
	for i, r := range d.Regions {
		path := fmt.Sprintf("spec.distribution.regions[%d]", i)
		if bad(path) {
			continue
		}
		if seenRegion[r] {
			c.add(path, "%q is listed twice", r)
		}
		seenRegion[r] = true
		checkRegion(c, path, r)
	}
	if !bad("spec.distribution.amiName") && d.AMIName != "" {
		switch {
		case len(d.AMIName) > 127 || !amiNameRE.MatchString(d.AMIName):
			c.add("spec.distribution.amiName", "%q is not an Image Builder AMI name: 3 to 127 letters, digits, spaces and -_.:{}", d.AMIName)
		case !imageVariableRE.MatchString(d.AMIName):
			c.add("spec.distribution.amiName", "%q has no %s: AMI names must be unique, so every build after the first would fail", d.AMIName, BuildDateVariable)
		case strings.Contains(strings.ToLower(d.AMIName), "{{resolve:"):
			// The name fits the AMI name pattern, but the rendered CloudFormation template
			// would resolve it (a dynamic reference, see checkTags) into every AMI's name.
			c.add("spec.distribution.amiName", "%q holds {{resolve:…}}, a CloudFormation dynamic reference: the template render writes would put the parameter's or secret's value in the AMI's public name; give the name itself", d.AMIName)
		}
	}
	checkTags(c, bad, "spec.distribution.amiTags", d.AMITags, MaxAMITags,
		"an AMI holds 50 user tags; Image Builder adds CreatedBy and Ec2ImageBuilderArn, winami its 8 winami:* tags")
	if lp := d.LaunchPermissions; lp != nil {
		for i, a := range lp.Accounts {
			if path := fmt.Sprintf("spec.distribution.launchPermissions.accounts[%d]", i); !bad(path) && !accountRE.MatchString(a) {
				c.add(path, "%q is not an AWS account id (12 digits)", a)
			}
		}
		for i, a := range lp.OrganizationARNs {
			if path := fmt.Sprintf("spec.distribution.launchPermissions.organizationArns[%d]", i); !bad(path) && !orgARNRE.MatchString(a) {
				c.add(path, "%q is not an organization ARN such as arn:aws:organizations::111122223333:organization/o-exampleorgid", a)
			}
		}
	}
	if fl := d.FastLaunch; fl != nil {
		const fp = "spec.distribution.fastLaunch"
		if msg := CheckMaxParallelLaunches(fl.MaxParallelLaunches); msg != "" && !bad(fp+".maxParallelLaunches") {
			c.add(fp+".maxParallelLaunches", "%s", msg)
		}
		if msg := CheckTargetSnapshots(fl.TargetSnapshots); msg != "" && !bad(fp+".targetSnapshots") {
			c.add(fp+".targetSnapshots", "%s", msg)
		}
		if lt := fl.LaunchTemplate; lt != nil {
			const lp = fp + ".launchTemplate"
			switch {
			case lt.ID != "" && lt.Name != "":
				c.add(lp, "give the launch template by id or by name, not both")
			case lt.ID == "" && lt.Name == "":
				c.add(lp, "give the launch template's id (lt-…) or name")
			case lt.ID != "" && CheckLaunchTemplateID(lt.ID) != "":
				c.add(lp+".id", "%s", CheckLaunchTemplateID(lt.ID))
			case lt.Name != "" && CheckLaunchTemplateName(lt.Name) != "":
				c.add(lp+".name", "%s", CheckLaunchTemplateName(lt.Name))
			case lt.ID != "" && len(d.Regions) > 1:
				c.add(lp+".id", "a launch template id exists in one region only, and the AMI goes to %d regions: use launchTemplate.name (a template of that name in every region)", len(d.Regions))
			}
			if lt.Version != "" && CheckLaunchTemplateVersion(lt.Version) != "" {
				c.add(lp+".version", "%s", CheckLaunchTemplateVersion(lt.Version))
			}
		}
	}
	if pp := d.PublishParameter; pp != "" && !bad("spec.distribution.publishParameter") {
		if msg := CheckParameterName(pp); msg != "" {
			c.add("spec.distribution.publishParameter", "%s", msg)
		}
	}

	img.checkEnterprise(c, bad)

	if s.Keep != nil && CheckKeep(*s.Keep) != "" && !bad("spec.keep") {
		c.add("spec.keep", "%s", CheckKeep(*s.Keep))
	}
	return c.errs
}

// Root volume bounds in GiB.
const (
	MinRootVolume = 30
	MaxRootVolume = 16384
)

func quoteOrMissing(s string) string {
	if s == "" {
		return "missing"
	}
	return fmt.Sprintf("%q", s)
}

func checkRegion(c *collector, path, r string) {
	if msg := CheckRegion(r); msg != "" {
		c.add(path, "%s", msg)
	}
}

// checkExecutionRole validates spec.build.executionRole, explaining a default that
// metadata.name made invalid.
func checkExecutionRole(c *collector, img *WindowsImage) {
	const path = "spec.build.executionRole"
	r := img.Spec.Build.ExecutionRole
	if m := roleARNRE.FindStringSubmatch(r); m != nil {
		// The IAM path is at most 512 characters
		// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
		if len(m[2])+1 > 512 {
			c.add(path, "%q has an IAM path of %d characters: at most 512", r, len(m[2])+1)
		}
		return
	}
	if roleNameRE.MatchString(r) {
		return
	}
	d := img.Spec.Distribution.PublishParameter
	if img.NeedsExecutionRole() && r == DefaultExecutionRole(img.Metadata.Name) {
		why := fmt.Sprintf("%d characters, and IAM role names are at most 64", len(r))
		if len(r) <= 64 {
			why = "IAM role names have only letters, digits and +=,.@_- (no spaces)"
		}
		at := path
		if _, given := img.lines[path]; !given {
			at = "spec.distribution.publishParameter" // the field that caused the default
		}
		c.addAt(path, at, "defaults to %q (metadata.name + %q), because spec.distribution.publishParameter %q is outside %s and Image Builder's service-linked role may write parameters only there; that is not a valid IAM role name (%s): set spec.build.executionRole to a role name of at most 64 letters, digits and +=,.@_-, or a role ARN, or shorten metadata.name to at most %d characters, or publish under %s",
			r, ExecutionRoleSuffix, d, ServiceLinkedParameterPrefix, why, 64-len(ExecutionRoleSuffix), ServiceLinkedParameterPrefix)
		return
	}
	if strings.HasPrefix(r, "arn:") {
		c.add(path, "%q is not an IAM role ARN such as arn:aws:iam::111122223333:role/prod-win2022-imagebuilder-execution", r)
		return
	}
	c.add(path, "%q is not an IAM role name (1 to 64 letters, digits and +=,.@_-) or role ARN (arn:aws:iam::111122223333:role/name)", r)
}

// checkTags checks a map of tags a spec gives at path: at most limit tags (why says why),
// keys of 1 to 128 characters that CheckTagKey accepts and values of at most 256
// characters (EC2 User Guide, "Tag restrictions",
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions),
// and no CloudFormation dynamic reference ({{resolve:ssm:…}}, {{resolve:secretsmanager:…}},
// resolved in any resource property: CloudFormation User Guide, "Get values stored in
// other services using dynamic references",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html),
// which would copy a secret into a tag of the stack's resources.
func checkTags(c *collector, bad func(string) bool, path string, tags map[string]string, limit int, why string) {
	if len(tags) > limit && !bad(path) {
		c.add(path, "%d tags: at most %d (%s)", len(tags), limit, why)
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		p := join(path, k)
		switch {
		case bad(p):
		case len(k) == 0 || len(k) > 128:
			c.add(p, "tag keys are 1 to 128 characters")
		case CheckTagKey(k) != "":
			c.add(p, "%s", CheckTagKey(k))
		case len(tags[k]) > 256:
			c.add(p, "tag values are at most 256 characters")
		case strings.Contains(strings.ToLower(k+"\x00"+tags[k]), "{{resolve:"):
			c.add(p, "{{resolve:…}} is a CloudFormation dynamic reference: the template render writes would put the parameter's or secret's value in a tag anyone who may describe the resource reads; give the value itself")
		}
	}
}

// ReservedTagKeys are the tag keys of the AMIs that winami and Image Builder write and
// read back, compared case-insensitively: prune and build select winami's AMIs by
// winami:name and winami:managed-by and read the build's inputs from the other winami:*
// tags; Image Builder tags every output AMI Ec2ImageBuilderArn and CreatedBy ("Tag Image
// Builder output resources", Image Builder User Guide), and prune reads the image's ARN
// from Ec2ImageBuilderArn. A spec that set them could make another spec's prune take its
// AMIs for its own (issue 14: amiTags winami:name: team-a made team-a's prune delete
// team-a's newest AMI), so every tag a spec gives is checked with CheckTagKey.
var ReservedTagKeys = []string{"Ec2ImageBuilderArn", "CreatedBy"}

// ReservedTagPrefixes are the tag key prefixes a spec may not use, compared
// case-insensitively: winami's own, and aws:, which AWS reserves ("Tag restrictions",
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions).
var ReservedTagPrefixes = []string{"winami:", "aws:"}

// CheckTagKey returns why a spec may not set a tag of key k, or "". Every tag a spec
// gives (spec.distribution.amiTags and spec.build.resourceTags) goes through it.
func CheckTagKey(k string) string {
	lk := strings.ToLower(k)
	for _, p := range ReservedTagPrefixes {
		if strings.HasPrefix(lk, p) {
			if p == "aws:" {
				return fmt.Sprintf("tag key %q: keys starting with aws: are reserved by AWS", k)
			}
			return fmt.Sprintf("tag key %q: keys starting with %s are winami's own (prune and build find winami's AMIs by them); use a key of your own", k, p)
		}
	}
	for _, r := range ReservedTagKeys {
		if strings.EqualFold(k, r) {
			return fmt.Sprintf("tag key %q is Image Builder's own (it tags every AMI it makes %s and prune reads it); use a key of your own", k, r)
		}
	}
	return ""
}

// CheckImageReference returns why ref cannot be cached, or "" when it is a valid
// reference pinned by a tag other than latest or by a digest.
//
// A reference must match the OCI distribution reference grammar, as containerd (which
// pulls it on the build instance and on the nodes) reads it: github.com/distribution/reference
// v0.6.0, regexp.go (ReferenceRegexp: [domain[:port]/]path-component(/path-component)*
// [:tag][@digest], path components [a-z0-9]+ joined by '.', '_', '__' or '-'+, tags
// [\w][\w.-]{0,127}, digests algorithm:hex) and normalize.go ParseNormalizedNamed
// (lowercase repository, names up to 255 characters). That grammar has no quote, space,
// '$', '`', '(' or newline, so nothing but such a reference reaches the component's
// PowerShell (which quotes it besides). go-containerregistry's weak validation alone
// accepts hosts such as a'b.example or x$(y).example, or x’;calc;’.io (issue 14).
func CheckImageReference(ref string) string {
	if strings.TrimSpace(ref) != ref || ref == "" {
		return fmt.Sprintf("%q is not an image reference such as mcr.microsoft.com/windows/servercore:ltsc2022", ref)
	}
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return fmt.Sprintf("%q is not a valid image reference ([registry[:port]/]lowercase/path[:tag][@sha256:digest]; the registry a host name or IP address: letters, digits, '.', '-'): %v", ref, err)
	}
	r, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return fmt.Sprintf("%q is not a valid image reference: %v", ref, err)
	}
	if t, ok := r.(name.Tag); ok {
		last := ref[strings.LastIndex(ref, "/")+1:]
		if !strings.Contains(last, ":") {
			return fmt.Sprintf("%q has no tag, which means :latest and changes under you: pin a version tag (%s:<version>) or a digest (%s@sha256:…)", ref, ref, ref)
		}
		if t.TagStr() == "latest" {
			repo := strings.TrimSuffix(ref, ":latest")
			return fmt.Sprintf("%q uses the tag latest, which changes under you: pin a version tag (%s:<version>) or a digest (%s@sha256:…)", ref, repo, repo)
		}
	}
	return ""
}

// CheckParameterName returns why p cannot be an SSM parameter winami writes, or "".
func CheckParameterName(p string) string {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Sprintf("%q does not start with /: give a path such as /winami/prod/image_id", p)
	case len(p) > 1011:
		return fmt.Sprintf("%d characters: SSM parameter names are at most 1011", len(p))
	case !ssmNameRE.MatchString(p):
		return fmt.Sprintf("%q has characters SSM does not accept: letters, digits and _.-/ only", p)
	case strings.Contains(p, "//") || strings.HasSuffix(p, "/"):
		return fmt.Sprintf("%q has an empty path segment: give a path such as /winami/prod/image_id", p)
	case strings.Count(p, "/") > 15:
		return fmt.Sprintf("%q has more than 15 levels: SSM accepts at most 15", p)
	}
	first := strings.ToLower(strings.SplitN(p[1:], "/", 2)[0])
	if strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm") {
		return fmt.Sprintf("%q is under /%s, which AWS reserves (names may not begin with aws or ssm): use your own path such as /winami/prod/image_id", p, strings.SplitN(p[1:], "/", 2)[0])
	}
	return ""
}
