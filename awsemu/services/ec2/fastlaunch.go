package ec2

import (
	"maps"
	"slices"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/query"
)

// FailFastLaunchTag is the image tag that makes the next Fast Launch enabling of that
// image end in "enabling-failed"; the tag's value becomes the StateTransitionReason.
// Tests set it with CreateTags over HTTP.
const FailFastLaunchTag = "awsemu:fast-launch-fail"

// FailFastLaunch makes the Fast Launch enabling of an image (in progress or future) end
// in "enabling-failed" with the given reason, as FailFastLaunchTag does.
func (s *Service) FailFastLaunch(region, imageID, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failFL[region+"/"+imageID] = reason
	if fl := s.region(region).fastLaunch[imageID]; fl != nil && fl.State == "enabling" {
		fl.FailReason = reason
	}
}

type fastLaunchXML struct {
	ImageID               string `xml:"imageId"`
	ResourceType          string `xml:"resourceType"`
	SnapshotConfiguration struct {
		TargetResourceCount int32 `xml:"targetResourceCount"`
	} `xml:"snapshotConfiguration"`
	LaunchTemplate *struct {
		LaunchTemplateID   string `xml:"launchTemplateId,omitempty"`
		LaunchTemplateName string `xml:"launchTemplateName,omitempty"`
		Version            string `xml:"version,omitempty"`
	} `xml:"launchTemplate,omitempty"`
	MaxParallelLaunches   int32  `xml:"maxParallelLaunches"`
	OwnerID               string `xml:"ownerId"`
	State                 string `xml:"state"`
	StateTransitionReason string `xml:"stateTransitionReason"`
	StateTransitionTime   string `xml:"stateTransitionTime"`
}

func (fl *fastLaunch) xml() fastLaunchXML {
	x := fastLaunchXML{ImageID: fl.ImageID, ResourceType: "snapshot", MaxParallelLaunches: fl.MaxParallelLaunches,
		OwnerID: fl.OwnerID, State: fl.State, StateTransitionReason: fl.Reason, StateTransitionTime: query.Time(fl.TransitionTime)}
	x.SnapshotConfiguration.TargetResourceCount = fl.TargetResourceCount
	if fl.TemplateID != "" || fl.TemplateName != "" {
		x.LaunchTemplate = &struct {
			LaunchTemplateID   string `xml:"launchTemplateId,omitempty"`
			LaunchTemplateName string `xml:"launchTemplateName,omitempty"`
			Version            string `xml:"version,omitempty"`
		}{fl.TemplateID, fl.TemplateName, fl.TemplateVersion}
	}
	return x
}

// enableFastLaunchLocked validates and applies an EnableFastLaunch made by principal (""
// checks no permissions). With dry set, it stops after validation and authorization with
// DryRunOperation (UnauthorizedOperation when not allowed). Callers hold s.mu.
func (s *Service) enableFastLaunchLocked(rs *regionState, principal, account string, now time.Time, imageID, resourceType string,
	set awsemu.FastLaunchSettings, hasTemplate, dry bool) (*fastLaunch, *apiError) {
	c := &call{rs: rs, account: account, now: now, region: rs.name}
	if imageID == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter ImageId")
	}
	if !amiIDPattern.MatchString(imageID) {
		return nil, errf("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", imageID)
	}
	img := rs.images[imageID]
	if img == nil || !img.visible(account) {
		return nil, errf("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", imageID)
	}
	if img.OwnerID != account && !containsStr(img.LaunchPermissions, account) {
		return nil, errf("InvalidParameterValue", "You can only enable Windows fast launch for AMIs that you own or that are shared with you; image %s is owned by %s", imageID, img.OwnerID)
	}
	if img.Platform != "windows" {
		return nil, errf("InvalidParameterValue", "Windows fast launch is supported for Windows AMIs only; image %s is %s", imageID, img.PlatformDetails)
	}
	if img.State != "available" {
		return nil, errf("IncorrectState", "Image %s is in state %s; Windows fast launch needs an available image", imageID, img.State)
	}
	if resourceType != "" && resourceType != "snapshot" {
		return nil, errf("InvalidParameterValue", "Value (%s) for parameter resourceType is invalid. The only supported resource type is snapshot.", resourceType)
	}
	if set.MaxParallelLaunches == 0 {
		set.MaxParallelLaunches = 6
	}
	if set.MaxParallelLaunches < 6 {
		return nil, errf("InvalidParameterValue", "Value (%d) for parameter maxParallelLaunches is invalid. MaxParallelLaunches must be at least 6.", set.MaxParallelLaunches)
	}
	if set.TargetResourceCount == 0 {
		set.TargetResourceCount = 5
	}
	if set.TargetResourceCount < 1 {
		return nil, errf("InvalidParameterValue", "Value (%d) for parameter targetResourceCount is invalid. TargetResourceCount must be at least 1.", set.TargetResourceCount)
	}
	var tmpl *launchTemplate
	var tmplVer *templateVersion
	if hasTemplate {
		if (set.LaunchTemplateID == "") == (set.LaunchTemplateName == "") {
			return nil, errf("InvalidParameterCombination", "Specify either a launch template ID or a launch template name, not both and not neither.")
		}
		if set.LaunchTemplateVersion == "" {
			return nil, errf("MissingParameter", "The request must contain the parameter LaunchTemplate.Version")
		}
		var aerr *apiError
		if tmpl, tmplVer, aerr = resolveTemplate(c, set.LaunchTemplateID, set.LaunchTemplateName, set.LaunchTemplateVersion); aerr != nil {
			return nil, aerr
		}
	}
	if aerr := s.authorizeEnableFastLaunch(rs, principal, account, img, tmpl, tmplVer); aerr != nil {
		return nil, aerr
	}
	prev := rs.fastLaunch[imageID]
	if prev != nil && prev.State == "disabling" {
		return nil, errf("IncorrectState", "Windows fast launch for image %s is being disabled; Amazon EC2 must remove all pre-provisioned snapshots before you can enable it again.", imageID)
	}
	if dry {
		return nil, errDryRun
	}
	fl := &fastLaunch{
		ImageID: imageID, OwnerID: img.OwnerID, TargetResourceCount: set.TargetResourceCount,
		MaxParallelLaunches: set.MaxParallelLaunches, TemplateID: set.LaunchTemplateID, TemplateName: set.LaunchTemplateName,
		TemplateVersion: set.LaunchTemplateVersion, State: "enabling", Reason: "Client.UserInitiated", TransitionTime: now,
	}
	if reason, ok := img.Tags[FailFastLaunchTag]; ok {
		fl.FailReason = reason
		if fl.FailReason == "" {
			fl.FailReason = "Client.InternalError: pre-provisioning the snapshots failed (injected by awsemu)"
		}
	}
	if reason, ok := s.failFL[rs.name+"/"+imageID]; ok {
		fl.FailReason = reason
	}
	if !hasTemplate {
		if reason := s.stackPermissions(rs, principal, account, imageID); reason != "" {
			fl.FailReason = reason
		}
	}
	if !hasTemplate && fl.FailReason == "" && rs.defaultSubnet("") == nil {
		// EC2 launches the snapshot instances into the default VPC when no template names a
		// subnet: without one, pre-provisioning cannot start.
		fl.FailReason = NoDefaultVPCReason
	}
	if prev != nil && prev.State == "enabled" {
		// Changing the settings of an enabled image keeps it enabled.
		fl.State, fl.Reason, fl.FailReason = "enabled", prev.Reason, ""
	}
	rs.fastLaunch[imageID] = fl
	return fl, nil
}

func (s *Service) enableFastLaunch(c *call) (any, *apiError) {
	var set awsemu.FastLaunchSettings
	n, _, err := c.v.Int("MaxParallelLaunches")
	if err != nil {
		return nil, errf("InvalidParameterValue", "%s", err.Error())
	}
	set.MaxParallelLaunches = int32(n)
	if c.v.Has("MaxParallelLaunches") && n == 0 {
		return nil, errf("InvalidParameterValue", "Value (0) for parameter maxParallelLaunches is invalid. MaxParallelLaunches must be at least 6.")
	}
	t, has, err := c.v.Int("SnapshotConfiguration.TargetResourceCount")
	if err != nil {
		return nil, errf("InvalidParameterValue", "%s", err.Error())
	}
	if has && t < 1 {
		return nil, errf("InvalidParameterValue", "Value (%d) for parameter targetResourceCount is invalid. TargetResourceCount must be at least 1.", t)
	}
	set.TargetResourceCount = int32(t)
	lt := c.v.Struct("LaunchTemplate")
	set.LaunchTemplateID, set.LaunchTemplateName, set.LaunchTemplateVersion = lt.Get("LaunchTemplateId"), lt.Get("LaunchTemplateName"), lt.Get("Version")
	dry, _ := c.v.Bool("DryRun")
	fl, aerr := s.enableFastLaunchLocked(c.rs, c.principal, c.account, c.now, c.v.Get("ImageId"), c.v.Get("ResourceType"), set, len(lt) > 0, dry)
	if aerr != nil {
		return nil, aerr
	}
	return fl.xml(), nil
}

// EnableFastLaunch turns Fast Launch on for an image the account owns or may use, with
// the same validation as the EnableFastLaunch operation (a launch template is optional),
// and the same authorization for set.Principal when it is set (Image Builder passes the
// role it acts as); a refusal is an UnauthorizedOperation error.
func (s *Service) EnableFastLaunch(region, imageID, account string, set awsemu.FastLaunchSettings) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.region(region)
	now := s.srv.Clock.Now().UTC()
	s.advance(rs, now)
	hasTemplate := set.LaunchTemplateID != "" || set.LaunchTemplateName != ""
	if hasTemplate && set.LaunchTemplateVersion == "" {
		set.LaunchTemplateVersion = "$Default"
	}
	if _, aerr := s.enableFastLaunchLocked(rs, set.Principal, account, now, imageID, "snapshot", set, hasTemplate, false); aerr != nil {
		return aerr
	}
	return nil
}

func (s *Service) disableFastLaunch(c *call) (any, *apiError) {
	id := c.v.Get("ImageId")
	if id == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter ImageId")
	}
	if !amiIDPattern.MatchString(id) {
		return nil, errf("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", id)
	}
	img := c.rs.images[id]
	if img == nil || !img.visible(c.account) {
		return nil, errf("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
	}
	fl := c.rs.fastLaunch[id]
	if fl == nil {
		return nil, errf("InvalidParameterValue", "Windows fast launch is not enabled for image %s", id)
	}
	if fl.State == "disabling" {
		return nil, errf("IncorrectState", "Windows fast launch for image %s is already being disabled", id)
	}
	// Only the action itself is authorized: EC2 documents no launch check for disabling.
	if aerr := s.authorize(c.principal, "ec2:DisableFastLaunch", awsemu.ImageARN(c.region, id), awsemu.ResourceTagContext(img.Tags)); aerr != nil {
		return nil, aerr
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	fl.State, fl.Reason, fl.TransitionTime, fl.FailReason = "disabling", "Client.UserInitiated", c.now, ""
	return fl.xml(), nil
}

var fastLaunchFilters = knownSet("resource-type", "state", "owner-id")

func (s *Service) describeFastLaunchImages(c *call) (any, *apiError) {
	ids := c.v.List("ImageId")
	for _, id := range ids {
		if !amiIDPattern.MatchString(id) {
			return nil, errf("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", id)
		}
	}
	fs, aerr := parseFilters(c.v, fastLaunchFilters)
	if aerr != nil {
		return nil, aerr
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	var match []string
	for _, id := range slices.Sorted(maps.Keys(c.rs.fastLaunch)) {
		fl := c.rs.fastLaunch[id]
		if len(ids) > 0 && !containsStr(ids, id) {
			continue
		}
		if img := c.rs.images[id]; img == nil || !img.visible(c.account) {
			continue
		}
		if !matchFilters(fs, nil, func(n string) []string {
			switch n {
			case "resource-type":
				return []string{"snapshot"}
			case "state":
				return []string{fl.State}
			}
			return []string{fl.OwnerID}
		}) {
			continue
		}
		match = append(match, id)
	}
	pageIDs, next, aerr := page(c, match, 0, 200, 0)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Images    query.Items[fastLaunchXML] `xml:"fastLaunchImageSet"`
		NextToken string                     `xml:"nextToken,omitempty"`
	}{Images: query.Items[fastLaunchXML]{Items: []fastLaunchXML{}}, NextToken: next}
	for _, id := range pageIDs {
		out.Images.Items = append(out.Images.Items, c.rs.fastLaunch[id].xml())
	}
	return out, nil
}
