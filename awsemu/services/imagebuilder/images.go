package imagebuilder

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/winami/winami/awsemu"
)

// FailAtTag is a tag that, set on a recipe, a pipeline or a StartImagePipelineExecution
// request, makes every build from it fail when it reaches the named state (PENDING,
// CREATING, BUILDING, TESTING, DISTRIBUTING or INTEGRATING).
const FailAtTag = "awsemu:fail-at"

// FailReasonTag sets the reason of a build failed with FailAtTag.
const FailReasonTag = "awsemu:fail-reason"

// StateDuration is how long a build stays in one state.
type StateDuration struct {
	State    string
	Duration time.Duration
}

// StateDurations is the time a build spends in each state, in order, on the server's
// clock; after the last, the image is AVAILABLE (50 minutes in all, 40 without tests).
// TESTING is skipped when the pipeline's imageTestsEnabled is false.
var StateDurations = []StateDuration{
	{"PENDING", 1 * time.Minute},
	{"CREATING", 2 * time.Minute},
	{"BUILDING", 20 * time.Minute},
	{"TESTING", 10 * time.Minute},
	{"DISTRIBUTING", 15 * time.Minute},
	{"INTEGRATING", 2 * time.Minute},
}

// image is one build of a pipeline.
type image struct {
	seq             int
	arn             string
	region          string
	account         string
	name            string
	version         semver
	build           int
	pipelineArn     string
	pipelineName    string
	recipe          *recipe
	recipeDoc       map[string]any
	infraDoc        map[string]any
	instanceProfile string
	infra           infraSettings
	executionRole   string // the pipeline's executionRole (name or ARN), "" for the service-linked role
	buildType       string // the instance type the build launched
	distDoc         map[string]any
	dists           []distribution
	testsConfig     map[string]any
	testsEnabled    bool
	enhanced        bool
	tags            map[string]string
	failAt          string
	failReason      string
	started         time.Time
	osVersion       string
	// scanEnabled is the pipeline's imageScanningConfiguration.imageScanningEnabled;
	// scanConfig that configuration as sent; findings the scan findings (scan.go).
	scanEnabled bool
	scanConfig  map[string]any
	findings    []map[string]any
	// volumeKeys are the recipe's encrypted devices' keys, resolved when the build
	// instance launched (encryption.go); logsWritten the phases whose S3 logs are written.
	volumeKeys  map[string]volumeKey
	logsWritten map[string]bool

	// Set once the build ends.
	final   string // AVAILABLE, FAILED or CANCELLED
	reason  string
	finalAt time.Time
	amis    []map[string]any
	// current is the state the last advance found.
	current string
	// distributed is set once the distribution ran (at the end of DISTRIBUTING).
	distributed bool
}

func itoa(n int) string { return strconv.Itoa(n) }

// status is the image's state as of the last advance.
func (img *image) status() (string, string) {
	if img.final != "" {
		return img.final, img.reason
	}
	return img.current, ""
}

// advanceAll moves every image to its state at now.
func (s *Service) advanceAll(now time.Time) {
	for _, rg := range s.regions {
		for _, img := range rg.images {
			s.advance(img, now)
		}
	}
}

// end is when the build becomes AVAILABLE if nothing fails.
func (img *image) end() time.Time {
	t := img.started
	for _, sd := range StateDurations {
		if sd.State == "TESTING" && !img.testsEnabled {
			continue
		}
		t = t.Add(sd.Duration)
	}
	return t
}

// infraSettings are the fields of an infrastructure configuration a build launch uses.
type infraSettings struct {
	InstanceProfileName string   `json:"instanceProfileName"`
	InstanceTypes       []string `json:"instanceTypes"`
	SubnetID            string   `json:"subnetId"`
	SecurityGroupIDs    []string `json:"securityGroupIds"`
	KeyPair             string   `json:"keyPair"`
}

// advance walks an image through the states it has reached by now: failure checks run on
// entering a state, the distribution when DISTRIBUTING ends (a refusal there ends the
// image FAILED with DISTRIBUTING its last state).
func (s *Service) advance(img *image, now time.Time) {
	if img.final != "" {
		return
	}
	fail := func(at time.Time, reason string) {
		img.final, img.reason, img.finalAt = "FAILED", reason, at
	}
	t := img.started
	for _, sd := range StateDurations {
		d := sd.Duration
		if sd.State == "TESTING" && !img.testsEnabled {
			continue
		}
		if now.Before(t) {
			return
		}
		img.current = sd.State
		if strings.EqualFold(img.failAt, sd.State) {
			reason := img.failReason
			if reason == "" {
				reason = fmt.Sprintf("awsemu: failure injected at %s by the %s tag.", sd.State, FailAtTag)
			}
			fail(t, reason)
			return
		}
		if sd.State == "BUILDING" && img.osVersion == "" {
			if reason := s.checkBuild(img); reason != "" {
				fail(t, reason)
				return
			}
		}
		if now.Before(t.Add(d)) {
			return
		}
		t = t.Add(d)
		if sd.State == "BUILDING" || sd.State == "TESTING" {
			if reason := s.writeLogs(img, map[string]string{"BUILDING": "build", "TESTING": "test"}[sd.State], t); reason != "" {
				fail(t, reason)
				return
			}
		}
		if sd.State == "DISTRIBUTING" && !img.distributed {
			img.distributed = true
			// The AMIs carry the build's end as their date (names, CreationDate), as they
			// did when awsemu distributed at the end of INTEGRATING.
			if err := s.distribute(img, img.end()); err != nil {
				var job *distributionJobError
				if errors.As(err, &job) {
					fail(t, job.Error())
				} else {
					fail(t, "Distribution failed: "+err.Error())
				}
				return
			}
		}
	}
	img.final, img.finalAt, img.current = "AVAILABLE", t, "AVAILABLE"
}

// checkBuild runs what starting the build and launching its instance check: the
// execution role (when the pipeline names one) exists and trusts Image Builder, the parent
// image and the instance profile exist, and the instance can launch (launchCheck). It
// returns the failure reason, or "".
func (s *Service) checkBuild(img *image) string {
	if reason := s.checkExecutionRole(img); reason != "" {
		return reason
	}
	parent, err := s.parentAMI(img.region, img.recipe.parentImage)
	if err != nil {
		return fmt.Sprintf("Parent image %s could not be resolved: %v", img.recipe.parentImage, err)
	}
	if s.srv.IAM != nil && !s.srv.IAM.InstanceProfileExists(img.instanceProfile) {
		return fmt.Sprintf("The instance profile %s does not exist. Check the infrastructure configuration's instanceProfileName.", img.instanceProfile)
	}
	if reason := s.launchCheck(img); reason != "" {
		return reason
	}
	if reason := s.checkEncryption(img); reason != "" {
		return reason
	}
	img.osVersion = osVersion(parent)
	return ""
}

// checkExecutionRole: a pipeline's execution role is the role Image Builder assumes to run
// the build, test and distribution; it "must trust the Image Builder service principal".
// A role that does not exist or does not trust imagebuilder.amazonaws.com fails the build
// when it starts (the reason's wording is awsemu's: DIFFERENCES.md).
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/manage-image-workflows.html
func (s *Service) checkExecutionRole(img *image) string {
	if img.executionRole == "" || s.srv.IAM == nil {
		return ""
	}
	exists, trusted := s.srv.IAM.RoleTrusts(img.executionRole, ImageBuilderService)
	switch {
	case !exists:
		return fmt.Sprintf("Image Builder could not assume the execution role %s: the role does not exist. Create it, or change the pipeline's executionRole.", img.executionRole)
	case !trusted:
		return fmt.Sprintf("Image Builder could not assume the execution role %s: its trust policy does not allow %s to call sts:AssumeRole.", img.executionRole, ImageBuilderService)
	}
	return ""
}

// actingPrincipal is the IAM principal Image Builder acts as for a build: the pipeline's
// execution role, else the service-linked role AWSServiceRoleForImageBuilder.
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/image-builder-service-linked-role.html
func (s *Service) actingPrincipal(img *image) string {
	if img.executionRole != "" && s.srv.IAM != nil {
		if arn, ok := s.srv.IAM.RoleARN(img.executionRole); ok {
			return arn
		}
	}
	return awsemu.ImageBuilderServiceRoleARN(img.account)
}

// ImageBuilderSession is the role session name awsemu gives Image Builder's sessions of the
// role it acts as (AWS does not document the name it uses: DIFFERENCES.md); principals
// that match on the role name see the role either way.
const ImageBuilderSession = "EC2ImageBuilder"

// authorize evaluates an action of the distribution for the role Image Builder acts as;
// the error is the AccessDenied refusal. Without Server.IAM everything is allowed.
func (s *Service) authorize(img *image, action, resource string, ctx map[string][]string) error {
	if s.srv.IAM == nil {
		return nil
	}
	if ok, reason := s.srv.IAM.Authorize(s.actingPrincipal(img), action, resource, ctx); !ok {
		return errors.New("AccessDenied: " + reason)
	}
	return nil
}

var windowsNameRE = regexp.MustCompile(`Windows_Server-(\d{4})`)

func osVersion(parent awsemu.Image) string {
	if m := windowsNameRE.FindStringSubmatch(parent.Name); m != nil {
		return "Microsoft Windows Server " + m[1]
	}
	if parent.Platform == "windows" {
		return "Microsoft Windows Server"
	}
	return "Linux"
}

// parentAMI resolves a recipe's parent image in region to an AMI.
func (s *Service) parentAMI(region, parent string) (awsemu.Image, error) {
	if s.srv.EC2 == nil {
		return awsemu.Image{}, errors.New("awsemu has no EC2 service to look AMIs up in")
	}
	id := parent
	switch {
	case strings.HasPrefix(parent, "ssm:"):
		name := strings.TrimPrefix(parent, "ssm:")
		reader, ok := s.srv.SSM.(awsemu.SSMParameterReader)
		if !ok {
			return awsemu.Image{}, errors.New("awsemu has no SSM service to read parameters from")
		}
		p, found := reader.GetParameter(region, name)
		if !found || len(p.History) == 0 {
			return awsemu.Image{}, fmt.Errorf("the SSM parameter %s does not exist in %s", name, region)
		}
		id = p.History[len(p.History)-1].Value
	case strings.HasPrefix(parent, "arn:"):
		p, ok := parseARN(parent)
		if !ok || p.kind != "image" {
			return awsemu.Image{}, fmt.Errorf("%s is not an image ARN", parent)
		}
		id = ""
		pat, _ := parsePattern(p.version)
		var best *image
		for _, img := range s.region(region).images {
			if img.final != "AVAILABLE" || img.account != p.account || arnName(img.name) != p.name || !pat.matches(img.version) ||
				(p.build != "" && itoa(img.build) != p.build) {
				continue
			}
			if best == nil || best.seq < img.seq {
				best = img
			}
		}
		if best != nil {
			for _, a := range best.amis {
				if a["region"] == region {
					id, _ = a["image"].(string)
				}
			}
		}
		if id == "" {
			return awsemu.Image{}, fmt.Errorf("no AVAILABLE image matches %s in %s", parent, region)
		}
	}
	img, ok := s.srv.EC2.GetImage(region, id)
	if !ok {
		return awsemu.Image{}, fmt.Errorf("the AMI %s does not exist in %s or is not available", id, region)
	}
	return img, nil
}

// buildDate is {{imagebuilder:buildDate}} expanded: 2026-11-26T18-40-12.123Z.
func buildDate(t time.Time) string {
	return strings.ReplaceAll(t.UTC().Format("2006-01-02T15:04:05.000Z"), ":", "-")
}

var placeholderRE = regexp.MustCompile(`\{\{\s*imagebuilder:(buildDate|buildVersion)\s*\}\}`)

func (img *image) expand(name string, at time.Time) string {
	return placeholderRE.ReplaceAllStringFunc(name, func(m string) string {
		if strings.Contains(m, "buildDate") {
			return buildDate(at)
		}
		return itoa(img.build)
	})
}

// distribute makes the image's AMI in every distribution region, then applies Fast
// Launch and writes the SSM parameters the distribution asks for.
func (s *Service) distribute(img *image, at time.Time) error {
	if s.srv.EC2 == nil {
		return errors.New("awsemu has no EC2 service to store AMIs in")
	}
	parent, err := s.parentAMI(img.region, img.recipe.parentImage)
	if err != nil {
		return fmt.Errorf("resolving the parent image: %w", err)
	}
	dists := img.dists
	if len(dists) == 0 {
		dists = []distribution{{Region: img.region}}
	}
	built := img.encryptBuilt(blockDevices(parent, img.recipe.devices))
	for _, d := range dists {
		// The build Region's AMI carries the recipe's encryption; copies to other Regions the
		// distribution's kmsKeyId (encryption.go).
		devices := built
		if d.Region != img.region {
			var kmsKeyID *string
			if d.AMI != nil {
				kmsKeyID = d.AMI.KmsKeyID
			}
			var reason string
			if devices, reason = s.copyEncryption(built, kmsKeyID, d.Region, img.account, s.actingPrincipal(img)); reason != "" {
				return &distributionJobError{cause: "EC2 Client Error: '" + reason + "'", source: img.account, dest: img.account, region: d.Region}
			}
		}
		// The AMI: made in the build Region, copied to the others, by the acting role.
		action := "ec2:CopyImage"
		if d.Region == img.region {
			action = "ec2:CreateImage"
		}
		if err := s.authorize(img, action, awsemu.ImageARN(d.Region, "*"), nil); err != nil {
			return fmt.Errorf("creating the AMI in %s: %w", d.Region, err)
		}
		name := img.name + " " + buildDate(at)
		desc := ""
		tags := map[string]string{}
		for k, v := range img.recipe.amiTags {
			tags[k] = v
		}
		var launch, orgs, ous []string
		public := false
		if d.AMI != nil {
			if d.AMI.Name != "" {
				name = img.expand(d.AMI.Name, at)
			}
			desc = d.AMI.Description
			for k, v := range d.AMI.AmiTags {
				tags[k] = v
			}
			// LaunchPermissionConfiguration: userIds, userGroups ("all": public),
			// organizationArns, organizationalUnitArns.
			// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_LaunchPermissionConfiguration.html
			if lp := d.AMI.LaunchPermission; lp != nil {
				launch, orgs, ous = lp.UserIDs, lp.OrganizationArns, lp.OrganizationalUnitArns
				for _, g := range lp.UserGroups {
					public = public || g == "all"
				}
			}
		}
		tags["Ec2ImageBuilderArn"] = img.arn
		tags["CreatedBy"] = "EC2 Image Builder"
		out := s.srv.EC2.PutImage(awsemu.Image{
			Region: d.Region, Name: name, Description: desc, OwnerID: img.account, CreationDate: at,
			State: "available", LaunchPermissions: launch, LaunchOrganizations: orgs, LaunchOrganizationalUnits: ous, Public: public, Platform: "windows", PlatformDetails: "Windows",
			Architecture: "x86_64", RootDeviceName: rootDevice(parent), BlockDevices: devices, Tags: tags,
			// The AMI's snapshots: the service-linked role's policy lets it tag them
			// CreatedBy "EC2 Image Builder" (ec2:CreateAction CreateImage), and
			// EC2ImageBuilderLifecycleExecutionPolicy deletes snapshots on that tag
			// (https://docs.aws.amazon.com/imagebuilder/latest/userguide/security-iam-awsmanpol.html).
			SnapshotTags: map[string]string{"CreatedBy": "EC2 Image Builder"},
		})
		if out.Platform == "" && parent.Platform != "windows" {
			out.Platform = parent.Platform
		}
		img.amis = append(img.amis, map[string]any{
			"region": d.Region, "image": out.ID, "name": name, "description": desc,
			"state": map[string]any{"status": "AVAILABLE"}, "accountId": img.account,
		})
		for _, fl := range d.FastLaunch {
			if !fl.Enabled || (fl.AccountID != "" && fl.AccountID != img.account) {
				continue
			}
			// Image Builder enables Fast Launch as the role it acts as: EC2 checks that role's
			// ec2:EnableFastLaunch on the AMI (tagged CreatedBy: EC2 Image Builder above) and on
			// the launch template, and the launches they imply (ec2.authorizeEnableFastLaunch).
			// The service-linked role may enable it only on resources tagged CreatedBy:
			// EC2 Image Builder, so an untagged launch template is refused.
			// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html
			// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSServiceRoleForImageBuilder.html
			set := awsemu.FastLaunchSettings{MaxParallelLaunches: fl.MaxParallelLaunches, Principal: s.actingPrincipal(img)}
			if s.srv.IAM == nil {
				set.Principal = ""
			}
			if fl.Snapshot != nil {
				set.TargetResourceCount = fl.Snapshot.TargetResourceCount
			}
			if fl.LaunchTemplate != nil {
				set.LaunchTemplateID, set.LaunchTemplateName, set.LaunchTemplateVersion = fl.LaunchTemplate.ID, fl.LaunchTemplate.Name, fl.LaunchTemplate.Version
				ref := fl.LaunchTemplate.ID
				if ref == "" {
					ref = fl.LaunchTemplate.Name
				}
				if _, ok := s.srv.EC2.LaunchTemplate(d.Region, ref); !ok {
					return fmt.Errorf("enabling Fast Launch for %s in %s: the launch template %s does not exist in %s", out.ID, d.Region, ref, d.Region)
				}
			}
			if err := s.srv.EC2.EnableFastLaunch(d.Region, out.ID, img.account, set); err != nil {
				return fmt.Errorf("enabling Fast Launch for %s in %s: %w", out.ID, d.Region, err)
			}
		}
		for _, sp := range d.SSMParameters {
			if sp.AmiAccountID != "" && sp.AmiAccountID != img.account {
				continue
			}
			if s.srv.SSM == nil {
				return errors.New("awsemu has no SSM service to write parameters to")
			}
			dataType := sp.DataType
			if dataType == "" {
				dataType = "aws:ec2:image"
			}
			// The role Image Builder acts as needs ssm:PutParameter on the parameter, and
			// ec2:DescribeImages when the data type is aws:ec2:image (Systems Manager checks
			// the value is an AMI). The service-linked role may write only under
			// /imagebuilder/; any other name needs an execution role that may.
			// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html#ami-distribution-prereqs-ssm-param
			paramARN := "arn:aws:ssm:" + d.Region + ":" + img.account + ":parameter/" + strings.TrimPrefix(sp.ParameterName, "/")
			if err := s.authorize(img, "ssm:PutParameter", paramARN, nil); err != nil {
				return fmt.Errorf("writing SSM parameter %s in %s: %w", sp.ParameterName, d.Region, err)
			}
			if dataType == "aws:ec2:image" {
				if err := s.authorize(img, "ec2:DescribeImages", "*", nil); err != nil {
					return fmt.Errorf("writing SSM parameter %s in %s (data type aws:ec2:image): %w", sp.ParameterName, d.Region, err)
				}
			}
			// Parameter Store records who wrote the version (LastModifiedUser): the session
			// of the role Image Builder acts as (ImageBuilderSession, awsemu's name for it).
			who := awsemu.AssumedRoleARN(s.actingPrincipal(img), ImageBuilderSession)
			if err := s.srv.SSM.PutParameter(d.Region, sp.ParameterName, out.ID, dataType, who); err != nil {
				return fmt.Errorf("writing SSM parameter %s in %s: %w", sp.ParameterName, d.Region, err)
			}
		}
		// Then the copies into the Region's target accounts and their parameters (targets.go).
		if err := s.distributeToTargets(img, d, out, name, desc, tags); err != nil {
			return err
		}
	}
	return nil
}

func rootDevice(parent awsemu.Image) string {
	if parent.RootDeviceName != "" {
		return parent.RootDeviceName
	}
	return "/dev/sda1"
}

// blockDevices are the parent's devices with the recipe's mappings applied: sizes and
// types overridden, devices added or (noDevice) removed; snapshots are made anew.
func blockDevices(parent awsemu.Image, recipeDevs []blockDevice) []awsemu.BlockDevice {
	var out []awsemu.BlockDevice
	for _, b := range parent.BlockDevices {
		b.SnapshotID = ""
		out = append(out, b)
	}
	if len(out) == 0 {
		out = []awsemu.BlockDevice{{DeviceName: rootDevice(parent), VolumeSize: 30, VolumeType: "gp3"}}
	}
	for _, rd := range recipeDevs {
		idx := -1
		for i, b := range out {
			if b.DeviceName == rd.DeviceName {
				idx = i
			}
		}
		if rd.NoDevice != nil {
			if idx >= 0 {
				out = append(out[:idx], out[idx+1:]...)
			}
			continue
		}
		if rd.Ebs == nil {
			continue
		}
		if idx < 0 {
			out = append(out, awsemu.BlockDevice{DeviceName: rd.DeviceName, VolumeSize: 8, VolumeType: "gp3"})
			idx = len(out) - 1
		}
		if rd.Ebs.VolumeSize > 0 {
			out[idx].VolumeSize = rd.Ebs.VolumeSize
		}
		if rd.Ebs.VolumeType != "" {
			out[idx].VolumeType = rd.Ebs.VolumeType
		}
	}
	return out
}

func (img *image) full() map[string]any {
	st, reason := img.status()
	state := map[string]any{"status": st}
	if reason != "" {
		state["reason"] = reason
	}
	out := map[string]any{
		"arn": img.arn, "type": "AMI", "name": img.name, "version": img.version.String(),
		"platform": img.recipe.platform, "enhancedImageMetadataEnabled": img.enhanced, "state": state,
		"imageRecipe": img.recipeDoc, "sourcePipelineName": img.pipelineName, "sourcePipelineArn": img.pipelineArn,
		"infrastructureConfiguration": img.infraDoc, "dateCreated": timeString(img.started),
		"outputResources": map[string]any{"amis": img.outputAMIs()}, "tags": tagsOrEmpty(img.tags),
		"buildType": "USER_INITIATED", "imageSource": "CUSTOM",
	}
	if img.osVersion != "" {
		out["osVersion"] = img.osVersion
	}
	if img.distDoc != nil {
		out["distributionConfiguration"] = img.distDoc
	}
	if img.testsConfig != nil {
		out["imageTestsConfiguration"] = img.testsConfig
	}
	if img.scanConfig != nil {
		out["imageScanningConfiguration"] = img.scanConfig
	}
	if st := img.scanState(); st != nil {
		out["scanState"] = st
	}
	return out
}

// outputAMIs are the distributed AMIs, shown once the build has ended.
func (img *image) outputAMIs() []map[string]any {
	if img.amis == nil || img.final == "" {
		return []map[string]any{}
	}
	return img.amis
}

func (img *image) summary() map[string]any {
	st, reason := img.status()
	state := map[string]any{"status": st}
	if reason != "" {
		state["reason"] = reason
	}
	out := map[string]any{
		"arn": img.arn, "name": img.name, "type": "AMI", "version": img.version.String(),
		"platform": img.recipe.platform, "state": state, "owner": img.account,
		"dateCreated": timeString(img.started), "outputResources": map[string]any{"amis": img.outputAMIs()},
		"tags": tagsOrEmpty(img.tags), "buildType": "USER_INITIATED", "imageSource": "CUSTOM",
	}
	if img.osVersion != "" {
		out["osVersion"] = img.osVersion
	}
	return out
}

// launchCheck runs what launching the build instance in the build Region checks, with
// EC2's error codes in the reason: the subnet exists (without subnetId, the default VPC's
// default subnet, which must exist), the security groups exist and are in the subnet's VPC,
// the key pair exists when named, and one of the instance types is offered in the subnet's
// Availability Zone: Image Builder "will pick one of these instance types based on
// availability", so the build takes the first offered type and fails when none is. It
// returns the failure reason, or "". The reasons' wording is awsemu's (DIFFERENCES.md).
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_CreateInfrastructureConfiguration.html
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypeOfferings.html
func (s *Service) launchCheck(img *image) string {
	if s.srv.EC2 == nil {
		return ""
	}
	in, region := img.infra, img.region
	const hint = "Check the infrastructure configuration's "
	var sn awsemu.Subnet
	if in.SubnetID != "" {
		var ok bool
		if sn, ok = s.srv.EC2.Subnet(region, in.SubnetID); !ok {
			return fmt.Sprintf("Instance launch failed: InvalidSubnetID.NotFound: The subnet ID '%s' does not exist in %s. %ssubnetId.", in.SubnetID, region, hint)
		}
	} else {
		var ok bool
		if sn, ok = s.srv.EC2.DefaultSubnet(region, ""); !ok {
			return fmt.Sprintf("Instance launch failed: VPCIdNotSpecified: No default VPC for this user in %s. %ssubnetId (and securityGroupIds).", region, hint)
		}
	}
	for _, id := range in.SecurityGroupIDs {
		g, ok := s.srv.EC2.SecurityGroup(region, id)
		if !ok {
			return fmt.Sprintf("Instance launch failed: InvalidGroup.NotFound: The security group '%s' does not exist in %s. %ssecurityGroupIds.", id, region, hint)
		}
		if g.VpcID != sn.VpcID {
			return fmt.Sprintf("Instance launch failed: InvalidParameter: Security group %s and subnet %s belong to different networks. %ssecurityGroupIds and subnetId.", id, sn.ID, hint)
		}
	}
	if in.KeyPair != "" && !s.srv.EC2.KeyPairExists(region, in.KeyPair) {
		return fmt.Sprintf("Instance launch failed: InvalidKeyPair.NotFound: The key pair '%s' does not exist in %s. %skeyPair.", in.KeyPair, region, hint)
	}
	if len(in.InstanceTypes) == 0 {
		return ""
	}
	for _, t := range in.InstanceTypes {
		if s.srv.EC2.InstanceTypeOffered(region, sn.AvailabilityZone, t) {
			img.buildType = t
			return ""
		}
	}
	where := "Availability Zone " + sn.AvailabilityZone + " (subnet " + sn.ID + ")"
	return fmt.Sprintf("Instance launch failed: Unsupported: none of the instance types [%s] is offered in %s of %s. %sinstanceTypes (aws ec2 describe-instance-type-offerings --location-type availability-zone).",
		strings.Join(in.InstanceTypes, ", "), where, region, hint)
}
