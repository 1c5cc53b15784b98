package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winami/winami/catalog"
	"github.com/winami/winami/component"
	winib "github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/spec"
)

// AccountPlaceholder stands for the account in ARNs when Options.AccountID is empty.
const AccountPlaceholder = "${AWS_ACCOUNT_ID}"

// DefaultVersion is the first semantic version winami apply gives a component or recipe
// (render.Options.ComponentVersion and RecipeVersion as internal/cli sets them); rendered
// files carry ContentVersion instead.
const DefaultVersion = "1.0.0"

// ContentVersion is the semantic version render writes for a component or recipe whose
// content hash (winib.ComponentHash, winib.RecipeHash: hex) is hash: 1.<minor>.<patch>,
// minor and patch the first two 30-bit groups of the hash. Components and recipes are
// immutable, so a CloudFormation stack can only update one to a new version: with the
// version derived from the content, any change of content (a cached image, the parent, a
// component's version inside a recipe) gives a new version, the same content the same
// one, offline. Image Builder accepts 0 to 2^30-1 (1073741823) in each of the three
// nodes ("Semantic versioning in Image Builder",
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/ibhow-semantic-versioning.html).
func ContentVersion(hash string) string {
	const bits = 30
	if len(hash) < 15 {
		panic(fmt.Sprintf("content hash %q is too short", hash)) // hashes are 32 hex digits
	}
	n, err := strconv.ParseUint(hash[:15], 16, 64) // 60 bits
	if err != nil {
		panic(fmt.Sprintf("content hash %q is not hexadecimal", hash)) // hashes come from hashOf
	}
	return fmt.Sprintf("1.%d.%d", n>>bits, n&(1<<bits-1))
}

// RootDevice is the root device of Windows AMIs.
const RootDevice = "/dev/sda1"

// MaxRecipeComponents is how many components an Image Builder recipe may hold: "Recipes
// require a minimum of one build component, and can have a maximum of 20 build and test
// components in any combination" (EC2 Image Builder API Reference, ImageRecipe, components:
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ImageRecipe.html).
const MaxRecipeComponents = 20

// Tag keys winami puts on what it creates. The first three are package imagebuilder's,
// so resources created from rendered requests are recognised by plan and apply.
const (
	TagManagedBy = winib.ManagedByTag
	TagName      = winib.NameTag
	// TagContentHash carries winib.ComponentHash or winib.RecipeHash of the request.
	TagContentHash = winib.ContentHashTag
	TagKubernetes  = "winami:kubernetes-version"
	TagWindows     = "winami:windows"
)

// Options adjust rendering; the zero value renders offline.
type Options struct {
	// AccountID is the account in the ARNs of resources that do not exist yet
	// (default AccountPlaceholder).
	AccountID string
	// ParentImage, when set, is the parent image (an AMI id resolved by apply).
	ParentImage string
	// RootVolumeGiB, when set, replaces rootVolumeSize: auto.
	RootVolumeGiB int
	// Digests pin images (reference → "sha256:…") when spec.cache.pinDigests is true.
	Digests map[string]string
	// Platforms are, per reference, the windows/amd64 image manifest the AMI's Windows
	// build runs and its compressed size, read from the registry by winami apply and
	// render --resolve-digests (package images). The component pulls that manifest by its
	// digest, so containerd downloads one variant of a multi-version index, and sizes the
	// image's step timeout from it. References without one are pulled as given.
	Platforms map[string]Platform
	// CreateSNSTopic adds an AWS::SNS::Topic to the CloudFormation template and points the
	// infrastructure configuration at it (winami render --create-sns-topic). A spec that
	// names its own topic (spec.build.notifications.snsTopicArn) is refused by Render. The
	// --cli-input-json requests are unchanged: only the template can create the topic.
	CreateSNSTopic bool
	// ComponentVersion and RecipeVersion, when set, are the semantic versions of the
	// components and the recipe (winami apply sets DefaultVersion, the base it counts new
	// versions from); by default each is ContentVersion of its content.
	ComponentVersion string
	RecipeVersion    string
}

// Platform is the image manifest a reference resolves to for the AMI's Windows build.
type Platform struct {
	// Digest is the manifest's digest ("sha256:…"; images.Image.ManifestDigest).
	Digest string
	// CompressedBytes is the size of its layers as stored (images.Image.CompressedBytes).
	CompressedBytes int64
}

// Component is one image-cache component: its document and its create request.
type Component struct {
	Document component.Document
	Input    *imagebuilder.CreateComponentInput
	// ARN is the component version's ARN the recipe refers to.
	ARN string
}

// Resources are the Image Builder create requests for one spec, in creation order.
type Resources struct {
	Spec                           *spec.WindowsImage
	Components                     []Component
	ImageRecipe                    *imagebuilder.CreateImageRecipeInput
	ImageRecipeARN                 string
	InfrastructureConfiguration    *imagebuilder.CreateInfrastructureConfigurationInput
	InfrastructureConfigurationARN string
	DistributionConfiguration      *imagebuilder.CreateDistributionConfigurationInput
	DistributionConfigurationARN   string
	ImagePipeline                  *imagebuilder.CreateImagePipelineInput
	ImagePipelineARN               string
	// ParentImage is the recipe's parent ("ssm:/aws/service/…" or an AMI id).
	ParentImage string
	// RootVolumeGiB is the root volume size written into the recipe.
	RootVolumeGiB int
	// ExecutionRole, when the spec names one (spec.build.executionRole), is the IAM
	// requests that create the pipeline's execution role.
	ExecutionRole *ExecutionRole
	// ManagedComponents are the Amazon-managed component ARNs of the recipe, in order.
	ManagedComponents []string
	// Warnings say what offline rendering could not do (shown on stderr).
	Warnings []string
	// CreateSNSTopic is Options.CreateSNSTopic: CloudFormation adds the topic.
	CreateSNSTopic bool
}

// AutoRootVolume is the offline size for rootVolumeSize: auto with images cached:
// imagebuilder.EstimatedRootVolumeGiB (package winami/imagebuilder) — the same function plan and apply use with
// --no-registry — for the parent's documented root volume (ParentRootVolumeGiB), that is
// parent + ceil(8 GiB × images × 1.5) + 20 GiB, at least 50 GiB. apply replaces it with a
// size measured from the parent AMI and the registries (Options.RootVolumeGiB).
func AutoRootVolume(img *spec.WindowsImage, images int) int {
	return int(winib.EstimatedRootVolumeGiB(ParentRootVolumeGiB(img), images))
}

// ParentRootVolumeGiB is the root volume rendering offline assumes for the spec's parent:
// an EKS-optimized Windows AMI's (50 GiB), or a Windows Server base AMI's (30 GiB) for
// spec.parent.source windows-base. A parent pinned by spec.parent.imageId is assumed to
// be of its source's kind; plan and apply read the real size.
func ParentRootVolumeGiB(img *spec.WindowsImage) int32 {
	if img.Spec.Parent.Source == spec.SourceWindowsBase {
		return winib.WindowsBaseRootVolumeGiB
	}
	return winib.EKSOptimizedRootVolumeGiB
}

// ResourceName is the Image Builder name of a resource of img: metadata.name, with
// suffix when one is given.
func ResourceName(img *spec.WindowsImage, suffix string) string {
	if suffix == "" {
		return img.Metadata.Name
	}
	return img.Metadata.Name + "-" + suffix
}

// ARN composes the ARN Image Builder gives a resource: names are lowercased and
// spaces become hyphens.
func ARN(region, account, kind, name string, version ...string) string {
	n := strings.ReplaceAll(strings.ToLower(name), " ", "-")
	parts := append([]string{n}, version...)
	return fmt.Sprintf("arn:%s:imagebuilder:%s:%s:%s/%s", catalog.Partition(region), region, account, kind, strings.Join(parts, "/"))
}

func contentHash(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// clientToken derives an idempotency token from the request's content.
func clientToken(v any) *string {
	return aws.String(contentHash(v)[:32])
}

func tags(img *spec.WindowsImage, extra ...string) map[string]string {
	m := map[string]string{TagManagedBy: "winami", TagName: img.Metadata.Name}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// resourceTags are the tags Image Builder puts on the instances, volumes and snapshots it
// launches during the build: spec.build.resourceTags plus winami's own managed-by and
// name tags, so the build's cost is allocated to the spec and an SCP or tag policy that
// requires tags sees them. The spec cannot set winami:* keys (spec.CheckTagKey), so
// winami's tags are never overridden. prune selects AMIs (not instances or volumes) by
// winami:name, winami:managed-by and Ec2ImageBuilderArn, which Image Builder puts on
// output AMIs only, so these tags make no build resource prune's.
func resourceTags(img *spec.WindowsImage) map[string]string {
	m := tags(img)
	for k, v := range img.Spec.Build.ResourceTags {
		m[k] = v
	}
	return m
}

func osVersion(img *spec.WindowsImage) string {
	return "Microsoft Windows Server " + img.Spec.Windows.Version
}

// Render builds the create requests for a loaded (defaulted and validated) spec.
func Render(img *spec.WindowsImage, o Options) (*Resources, error) {
	if err := img.Validate(); err != nil {
		return nil, err
	}
	s := img.Spec
	region := img.Metadata.Region
	account := o.AccountID
	if account == "" {
		account = AccountPlaceholder
	}
	ed := catalog.Edition(s.Windows.Edition)
	if n := s.Build.Notifications; o.CreateSNSTopic && n != nil && n.SNSTopicARN != "" {
		return nil, spec.Errors{{File: img.File(), Line: img.Line("spec.build.notifications.snsTopicArn"), Path: "spec.build.notifications.snsTopicArn",
			Message: fmt.Sprintf("the spec names the topic %s, and --create-sns-topic would create another: drop the flag to use this topic, or remove spec.build.notifications to have the template create one", n.SNSTopicARN)}}
	}
	r := &Resources{Spec: img, CreateSNSTopic: o.CreateSNSTopic}

	// Components.
	var images []component.Image
	for _, ref := range img.Images() {
		ci := component.Image{Ref: ref}
		if s.Cache.PinDigests {
			ci.Digest = o.Digests[ref]
		}
		if p, ok := o.Platforms[ref]; ok {
			ci.PlatformDigest, ci.CompressedBytes = p.Digest, p.CompressedBytes
		}
		images = append(images, ci)
	}
	var byRef []string
	for _, ci := range images {
		if ci.PlatformDigest == "" {
			byRef = append(byRef, ci.Ref)
		}
	}
	if len(byRef) > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d cached image(s) are pulled by tag or digest as given, with no windows/amd64 manifest for Windows Server %s read from their registry (%s): containerd may download every Windows variant of a multi-version index, and their build steps get the %d s timeout of an image of unknown size; winami apply and render --resolve-digests read the manifests (`winami images check -f …` says why one cannot be read)",
			len(byRef), s.Windows.Version, strings.Join(byRef, ", "), component.UnknownSizeTimeout))
	}
	if s.Cache.PinDigests && len(images) > 0 {
		var unpinned []string
		for _, ci := range images {
			if ci.Digest == "" && !strings.Contains(ci.Ref, "@") {
				unpinned = append(unpinned, ci.Ref)
			}
		}
		if len(unpinned) > 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("spec.cache.pinDigests: %d image(s) kept by tag, since rendering offline resolves no digest (%s); apply pins them, and so does render --resolve-digests", len(unpinned), strings.Join(unpinned, ", ")))
		}
	}
	docs, err := component.Render(component.Options{
		Name:        ResourceName(img, "image-cache"),
		Description: fmt.Sprintf("Caches %s's container images in containerd's k8s.io namespace (rendered by winami)", img.Metadata.Name),
		Images:      images,
	})
	if err != nil {
		return nil, fmt.Errorf("rendering the image-cache component: %w", err)
	}
	for _, d := range docs {
		if err := component.Validate(d.Data); err != nil {
			return nil, fmt.Errorf("checking component %s: %w", d.Name, err)
		}
		in := &imagebuilder.CreateComponentInput{
			Name:                aws.String(d.Name),
			Platform:            types.PlatformWindows,
			Data:                aws.String(d.Data),
			Description:         aws.String(fmt.Sprintf("Caches %d container image(s) for %s", len(d.Images), img.Metadata.Name)),
			ChangeDescription:   aws.String("rendered by winami"),
			SupportedOsVersions: []string{osVersion(img)},
		}
		hash := winib.ComponentHash(in)
		cv := o.ComponentVersion
		if cv == "" {
			cv = ContentVersion(hash)
		}
		in.SemanticVersion = aws.String(cv)
		in.Tags = tags(img, TagContentHash, hash)
		in.ClientToken = clientToken(in)
		r.Components = append(r.Components, Component{Document: d, Input: in, ARN: ARN(region, account, "component", d.Name, cv)})
	}

	// Recipe.
	r.ParentImage = parentImage(img, o)
	if (s.Parent.ReleaseDate != "" || s.Parent.OSBuild != "") && o.ParentImage == "" {
		pin := s.Parent.ReleaseDate
		if pin == "" {
			pin = s.Parent.OSBuild
		}
		r.Warnings = append(r.Warnings, fmt.Sprintf("spec.parent is pinned to %s: rendering offline names the parent through its SSM parameter (the newest release); winami apply resolves the pin to an AMI id", pin))
	}
	r.ManagedComponents = []string{catalog.ManagedComponentARN(region, catalog.ComponentUpdateWindows, "x.x.x")}
	if s.Parent.Source == spec.SourceWindowsBase {
		r.ManagedComponents = append(r.ManagedComponents, catalog.ManagedComponentARN(region, catalog.ComponentEKS, catalog.EKSComponentVersion(s.KubernetesVersion)))
	}
	var comps []types.ComponentConfiguration
	for _, arn := range r.ManagedComponents {
		comps = append(comps, types.ComponentConfiguration{ComponentArn: aws.String(arn)})
	}
	for _, c := range r.Components {
		comps = append(comps, types.ComponentConfiguration{ComponentArn: aws.String(c.ARN)})
	}
	if len(comps) > MaxRecipeComponents {
		return nil, spec.Errors{{File: img.File(), Line: img.Line("spec.cache.images"), Path: "spec.cache.images",
			Message: fmt.Sprintf("%d images need %d image-cache components, and with the %d Amazon-managed one(s) the recipe would hold %d; an Image Builder recipe holds at most %d components: cache fewer images (`winami images discover` shows how many pods use each) or split them over two specs",
				len(images), len(r.Components), len(r.ManagedComponents), len(comps), MaxRecipeComponents)}}
	}
	r.RootVolumeGiB = s.Build.RootVolumeSize.GiB
	if s.Build.RootVolumeSize.Auto() {
		r.RootVolumeGiB = o.RootVolumeGiB
		if r.RootVolumeGiB == 0 {
			r.RootVolumeGiB = AutoRootVolume(img, len(images))
		}
	}
	recipe := &imagebuilder.CreateImageRecipeInput{
		Name:        aws.String(ResourceName(img, "")),
		ParentImage: aws.String(r.ParentImage),
		Components:  comps,
		Description: aws.String(fmt.Sprintf("Windows Server %s %s, Kubernetes %s, %s parent, %d cached image(s)",
			s.Windows.Version, ed, s.KubernetesVersion, s.Parent.Source, len(images))),
		BlockDeviceMappings: []types.InstanceBlockDeviceMapping{{
			DeviceName: aws.String(RootDevice),
			Ebs: &types.EbsInstanceBlockDeviceSpecification{
				VolumeSize:          aws.Int32(int32(r.RootVolumeGiB)),
				VolumeType:          types.EbsVolumeTypeGp3,
				DeleteOnTermination: aws.Bool(true),
			},
		}},
	}
	// The root volume's encryption encrypts the AMI in the build region (the distribution's
	// kmsKeyId applies to the copies only: Image Builder User Guide, "Create and update AMI
	// distribution configurations"). It is part of the recipe's content, so RecipeHash, and
	// with it the recipe's version, changes with it.
	if e := s.Build.Encryption; e.IsEncrypted() {
		recipe.BlockDeviceMappings[0].Ebs.Encrypted = aws.Bool(true)
		if e.KMSKeyID != "" {
			recipe.BlockDeviceMappings[0].Ebs.KmsKeyId = aws.String(e.KMSKeyID)
		}
	}
	hash := winib.RecipeHash(recipe)
	rv := o.RecipeVersion
	if rv == "" {
		rv = ContentVersion(hash)
	}
	recipe.SemanticVersion = aws.String(rv)
	recipe.Tags = tags(img, TagContentHash, hash, TagKubernetes, s.KubernetesVersion, TagWindows, s.Windows.Version+"-"+string(ed))
	recipe.ClientToken = clientToken(recipe)
	r.ImageRecipe = recipe
	r.ImageRecipeARN = ARN(region, account, "image-recipe", *recipe.Name, rv)

	// Infrastructure.
	b := s.Build
	infra := &imagebuilder.CreateInfrastructureConfigurationInput{
		Name:                       aws.String(ResourceName(img, "")),
		Description:                aws.String("Build instances for " + img.Metadata.Name),
		InstanceProfileName:        aws.String(b.InstanceProfile),
		InstanceTypes:              append([]string(nil), b.InstanceTypes...),
		TerminateInstanceOnFailure: b.TerminateOnFailure,
		InstanceMetadataOptions: &types.InstanceMetadataOptions{
			HttpTokens:              aws.String(b.InstanceMetadata.Tokens()),
			HttpPutResponseHopLimit: aws.Int32(int32(b.InstanceMetadata.HopLimit())),
		},
		ResourceTags: resourceTags(img),
		Tags:         tags(img),
	}
	if b.SubnetID != "" {
		infra.SubnetId = aws.String(b.SubnetID)
	}
	if len(b.SecurityGroupIDs) > 0 {
		infra.SecurityGroupIds = append([]string(nil), b.SecurityGroupIDs...)
	}
	if b.KeyPair != "" {
		infra.KeyPair = aws.String(b.KeyPair)
	}
	if l := b.Logging; l != nil {
		infra.Logging = &types.Logging{S3Logs: &types.S3Logs{S3BucketName: aws.String(l.S3BucketName)}}
		if l.S3KeyPrefix != "" {
			infra.Logging.S3Logs.S3KeyPrefix = aws.String(l.S3KeyPrefix)
		}
	}
	if n := b.Notifications; n != nil && n.SNSTopicARN != "" {
		infra.SnsTopicArn = aws.String(n.SNSTopicARN)
	}
	infra.ClientToken = clientToken(infra)
	r.InfrastructureConfiguration = infra
	r.InfrastructureConfigurationARN = ARN(region, account, "infrastructure-configuration", *infra.Name)

	// Distribution.
	dist := &imagebuilder.CreateDistributionConfigurationInput{
		Name:        aws.String(ResourceName(img, "")),
		Description: aws.String(fmt.Sprintf("%s to %s", img.Metadata.Name, strings.Join(s.Distribution.Regions, ", "))),
		Tags:        tags(img),
	}
	for _, reg := range s.Distribution.Regions {
		dist.Distributions = append(dist.Distributions, distribution(img, reg))
	}
	dist.ClientToken = clientToken(dist)
	r.DistributionConfiguration = dist
	r.DistributionConfigurationARN = ARN(region, account, "distribution-configuration", *dist.Name)

	// Pipeline.
	pipe := &imagebuilder.CreateImagePipelineInput{
		Name:                           aws.String(ResourceName(img, "")),
		Description:                    aws.String(fmt.Sprintf("Builds %s (started by winami build)", img.Metadata.Name)),
		ImageRecipeArn:                 aws.String(r.ImageRecipeARN),
		InfrastructureConfigurationArn: aws.String(r.InfrastructureConfigurationARN),
		DistributionConfigurationArn:   aws.String(r.DistributionConfigurationARN),
		Status:                         types.PipelineStatusEnabled,
		EnhancedImageMetadataEnabled:   aws.Bool(true),
		// Image tests stay enabled: the image-cache component's test phase runs in the
		// test stage, on an instance launched from the new image, and proves the cache
		// survived Sysprep and the snapshot ("Workflow stages for building a new image",
		// https://docs.aws.amazon.com/imagebuilder/latest/userguide/manage-components.html).
		ImageTestsConfiguration: &types.ImageTestsConfiguration{
			ImageTestsEnabled: aws.Bool(true),
			TimeoutMinutes:    aws.Int32(720),
		},
		Tags: tags(img),
	}
	if img.PublishAfterScan() {
		pipe.ImageScanningConfiguration = &types.ImageScanningConfiguration{ImageScanningEnabled: aws.Bool(true)}
		if p := s.Distribution.PublishParameter; p != "" {
			r.Warnings = append(r.Warnings, fmt.Sprintf("spec.build.imageScanning is enabled: the rendered distribution publishes no parameter; `winami build` publishes %s after the scan's verdict, so a build started another way (the console, aws imagebuilder start-image-pipeline-execution, a schedule) publishes nothing", p))
		}
	}
	if role := s.Build.ExecutionRole; role != "" {
		pipe.ExecutionRole = aws.String(role)
		r.ExecutionRole = executionRole(img, account, dist.Distributions)
	}
	pipe.ClientToken = clientToken(pipe)
	r.ImagePipeline = pipe
	r.ImagePipelineARN = ARN(region, account, "image-pipeline", *pipe.Name)
	return r, nil
}

func parentImage(img *spec.WindowsImage, o Options) string {
	s := img.Spec
	switch {
	case o.ParentImage != "":
		return o.ParentImage
	case s.Parent.ImageID != "":
		return s.Parent.ImageID
	case s.Parent.Source == spec.SourceWindowsBase:
		return "ssm:" + catalog.BaseParameter(s.Windows.Version, catalog.Edition(s.Windows.Edition))
	}
	return "ssm:" + catalog.EKSOptimizedParameter(s.Windows.Version, catalog.Edition(s.Windows.Edition), s.KubernetesVersion)
}

// AMITags are the tags every distributed AMI gets: the spec's plus winami's. winami's
// own always win: spec validation refuses reserved keys (spec.CheckTagKey), and a spec
// that did not go through it still cannot set winami:* (or Image Builder's) tags, which
// prune and build find the spec's AMIs by (issue 14).
func AMITags(img *spec.WindowsImage) map[string]string {
	s := img.Spec
	m := map[string]string{}
	for k, v := range s.Distribution.AMITags {
		if spec.CheckTagKey(k) == "" {
			m[k] = v
		}
	}
	maps.Copy(m, tags(img, TagKubernetes, s.KubernetesVersion, TagWindows, s.Windows.Version+"-"+s.Windows.Edition))
	return m
}

func distribution(img *spec.WindowsImage, region string) types.Distribution {
	s := img.Spec.Distribution
	d := types.Distribution{
		Region: aws.String(region),
		AmiDistributionConfiguration: &types.AmiDistributionConfiguration{
			Name:        aws.String(s.AMIName),
			Description: aws.String(fmt.Sprintf("%s: Windows Server %s %s for EKS %s", img.Metadata.Name, img.Spec.Windows.Version, img.Spec.Windows.Edition, img.Spec.KubernetesVersion)),
			AmiTags:     AMITags(img),
		},
	}
	if lp := s.LaunchPermissions; lp != nil && (len(lp.Accounts) > 0 || len(lp.OrganizationARNs) > 0) {
		d.AmiDistributionConfiguration.LaunchPermission = &types.LaunchPermissionConfiguration{
			UserIds:          sorted(lp.Accounts),
			OrganizationArns: sorted(lp.OrganizationARNs),
		}
	}
	if fl := s.FastLaunch; fl != nil && fl.Enabled {
		c := types.FastLaunchConfiguration{
			Enabled:             true,
			MaxParallelLaunches: aws.Int32(int32(fl.MaxParallelLaunches)),
			SnapshotConfiguration: &types.FastLaunchSnapshotConfiguration{
				TargetResourceCount: aws.Int32(int32(fl.TargetSnapshots)),
			},
		}
		if lt := fl.LaunchTemplate; lt != nil {
			c.LaunchTemplate = &types.FastLaunchLaunchTemplateSpecification{LaunchTemplateVersion: aws.String(lt.Version)}
			if lt.ID != "" {
				c.LaunchTemplate.LaunchTemplateId = aws.String(lt.ID)
			} else {
				c.LaunchTemplate.LaunchTemplateName = aws.String(lt.Name)
			}
		}
		d.FastLaunchConfigurations = []types.FastLaunchConfiguration{c}
	}
	if k := s.KMSKeyIDs[region]; k != "" {
		d.AmiDistributionConfiguration.KmsKeyId = aws.String(k)
	}
	if len(s.TargetAccountIDs) > 0 {
		d.AmiDistributionConfiguration.TargetAccountIds = sorted(s.TargetAccountIDs)
	}
	d.SsmParameterConfigurations = PublishConfigurations(img)
	return d
}

// PublishConfigurations are a region's ssmParameterConfigurations: with
// spec.distribution.publishParameter, the build account's parameter and one in each
// target account (amiAccountId, which "must be specified in distribution settings as a
// target account for the Region": API Reference, SsmParameterConfiguration,
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_SsmParameterConfiguration.html);
// none when the image is scanned, since winami build publishes after the scan's verdict
// (spec.WindowsImage.DistributedParameter).
func PublishConfigurations(img *spec.WindowsImage) []types.SsmParameterConfiguration {
	p := img.DistributedParameter()
	if p == "" {
		return nil
	}
	out := []types.SsmParameterConfiguration{{ParameterName: aws.String(p), DataType: types.SsmParameterDataTypeAwsEc2Image}}
	for _, a := range img.PublishAccounts() {
		out = append(out, types.SsmParameterConfiguration{AmiAccountId: aws.String(a), ParameterName: aws.String(p), DataType: types.SsmParameterDataTypeAwsEc2Image})
	}
	return out
}

func sorted(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}
