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

// FailAtTag, set on a recipe, a pipeline or a StartImagePipelineExecution request, makes
// every build from it fail when it reaches the named state (PENDING, CREATING, BUILDING,
// TESTING, DISTRIBUTING or INTEGRATING).
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

	// Set once the build ends.
	final   string // AVAILABLE, FAILED or CANCELLED
	reason  string
	finalAt time.Time
	amis    []map[string]any
	// current is the state the last advance found.
	current string
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

// advance walks an image through the states it has reached by now: failure checks run on
// entering a state, the distribution when the last state ends.
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
	}
	if err := s.distribute(img, t); err != nil {
		fail(t, "Distribution failed: "+err.Error())
		return
	}
	img.final, img.finalAt, img.current = "AVAILABLE", t, "AVAILABLE"
}

// checkBuild runs what launching the build instance checks: the parent image and the
// instance profile exist. It returns the failure reason, or "".
func (s *Service) checkBuild(img *image) string {
	parent, err := s.parentAMI(img.region, img.recipe.parentImage)
	if err != nil {
		return fmt.Sprintf("Parent image %s could not be resolved: %v", img.recipe.parentImage, err)
	}
	if s.srv.IAM != nil && !s.srv.IAM.InstanceProfileExists(img.instanceProfile) {
		return fmt.Sprintf("The instance profile %s does not exist. Check the infrastructure configuration's instanceProfileName.", img.instanceProfile)
	}
	img.osVersion = osVersion(parent)
	return ""
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
	devices := blockDevices(parent, img.recipe.devices)
	for _, d := range dists {
		name := img.name + " " + buildDate(at)
		desc := ""
		tags := map[string]string{}
		for k, v := range img.recipe.amiTags {
			tags[k] = v
		}
		var launch []string
		if d.AMI != nil {
			if d.AMI.Name != "" {
				name = img.expand(d.AMI.Name, at)
			}
			desc = d.AMI.Description
			for k, v := range d.AMI.AmiTags {
				tags[k] = v
			}
			if d.AMI.LaunchPermission != nil {
				launch = d.AMI.LaunchPermission.UserIDs
			}
		}
		tags["Ec2ImageBuilderArn"] = img.arn
		tags["CreatedBy"] = "EC2 Image Builder"
		out := s.srv.EC2.PutImage(awsemu.Image{
			Region: d.Region, Name: name, Description: desc, OwnerID: img.account, CreationDate: at,
			State: "available", LaunchPermissions: launch, Platform: "windows", PlatformDetails: "Windows",
			Architecture: "x86_64", RootDeviceName: rootDevice(parent), BlockDevices: devices, Tags: tags,
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
			set := awsemu.FastLaunchSettings{MaxParallelLaunches: fl.MaxParallelLaunches}
			if fl.Snapshot != nil {
				set.TargetResourceCount = fl.Snapshot.TargetResourceCount
			}
			if fl.LaunchTemplate != nil {
				set.LaunchTemplateID, set.LaunchTemplateName, set.LaunchTemplateVersion = fl.LaunchTemplate.ID, fl.LaunchTemplate.Name, fl.LaunchTemplate.Version
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
			if err := s.srv.SSM.PutParameter(d.Region, sp.ParameterName, out.ID, dataType); err != nil {
				return fmt.Errorf("writing SSM parameter %s in %s: %w", sp.ParameterName, d.Region, err)
			}
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
	return out
}

func (img *image) outputAMIs() []map[string]any {
	if img.amis == nil {
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
