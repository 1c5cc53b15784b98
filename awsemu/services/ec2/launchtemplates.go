package ec2

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"

	"github.com/winami/winami/awsemu/protocol/query"
)

var (
	ltIDPattern   = regexp.MustCompile(`^lt-([0-9a-f]{8}|[0-9a-f]{17})$`)
	ltNamePattern = regexp.MustCompile(`^[a-zA-Z0-9().\-/_]{3,128}$`)
)

// templateData is the part of RequestLaunchTemplateData awsemu keeps.
type templateData struct {
	ImageID          string
	InstanceType     string
	KeyName          string
	UserData         string
	EbsOptimized     *bool
	IamProfileArn    string
	IamProfileName   string
	BlockDevices     []templateBlockDevice
	SecurityGroupIDs []string
	SecurityGroups   []string
	TagSpecs         []templateTagSpec
}

type templateBlockDevice struct {
	DeviceName          string
	SnapshotID          string
	VolumeSize          int64
	VolumeType          string
	DeleteOnTermination *bool
	Encrypted           *bool
}

type templateTagSpec struct {
	ResourceType string
	Tags         map[string]string
}

func optBool(v query.Values, key string) *bool {
	if b, ok := v.Bool(key); ok {
		return &b
	}
	return nil
}

// parseTemplateData reads LaunchTemplateData.* over base (a copy of a source version).
func parseTemplateData(v query.Values, base templateData) templateData {
	d := base
	set := func(dst *string, key string) {
		if v.Has(key) {
			*dst = v.Get(key)
		}
	}
	set(&d.ImageID, "ImageId")
	set(&d.InstanceType, "InstanceType")
	set(&d.KeyName, "KeyName")
	set(&d.UserData, "UserData")
	set(&d.IamProfileArn, "IamInstanceProfile.Arn")
	set(&d.IamProfileName, "IamInstanceProfile.Name")
	if b := optBool(v, "EbsOptimized"); b != nil {
		d.EbsOptimized = b
	}
	if bds := v.Structs("BlockDeviceMapping"); len(bds) > 0 {
		d.BlockDevices = nil
		for _, b := range bds {
			size, _, _ := b.Int("Ebs.VolumeSize")
			d.BlockDevices = append(d.BlockDevices, templateBlockDevice{
				DeviceName: b.Get("DeviceName"), SnapshotID: b.Get("Ebs.SnapshotId"), VolumeSize: size,
				VolumeType: b.Get("Ebs.VolumeType"), DeleteOnTermination: optBool(b, "Ebs.DeleteOnTermination"),
				Encrypted: optBool(b, "Ebs.Encrypted"),
			})
		}
	}
	if l := v.List("SecurityGroupId"); len(l) > 0 {
		d.SecurityGroupIDs = l
	}
	if l := v.List("SecurityGroup"); len(l) > 0 {
		d.SecurityGroups = l
	}
	if ts := v.Structs("TagSpecification"); len(ts) > 0 {
		d.TagSpecs = nil
		for _, t := range ts {
			spec := templateTagSpec{ResourceType: t.Get("ResourceType"), Tags: map[string]string{}}
			for _, tag := range t.Structs("Tag") {
				spec.Tags[tag.Get("Key")] = tag.Get("Value")
			}
			d.TagSpecs = append(d.TagSpecs, spec)
		}
	}
	return d
}

type ltEbsXML struct {
	Encrypted           *bool  `xml:"encrypted,omitempty"`
	DeleteOnTermination *bool  `xml:"deleteOnTermination,omitempty"`
	SnapshotID          string `xml:"snapshotId,omitempty"`
	VolumeSize          int64  `xml:"volumeSize,omitempty"`
	VolumeType          string `xml:"volumeType,omitempty"`
}

type ltBlockDeviceXML struct {
	DeviceName string    `xml:"deviceName,omitempty"`
	Ebs        *ltEbsXML `xml:"ebs,omitempty"`
}

type ltTagSpecXML struct {
	ResourceType string              `xml:"resourceType"`
	Tags         query.Items[tagXML] `xml:"tagSet"`
}

type ltDataXML struct {
	EbsOptimized *bool `xml:"ebsOptimized,omitempty"`
	IamProfile   *struct {
		Arn  string `xml:"arn,omitempty"`
		Name string `xml:"name,omitempty"`
	} `xml:"iamInstanceProfile,omitempty"`
	BlockDevices     *query.Items[ltBlockDeviceXML] `xml:"blockDeviceMappingSet,omitempty"`
	ImageID          string                         `xml:"imageId,omitempty"`
	InstanceType     string                         `xml:"instanceType,omitempty"`
	KeyName          string                         `xml:"keyName,omitempty"`
	UserData         string                         `xml:"userData,omitempty"`
	TagSpecs         *query.Items[ltTagSpecXML]     `xml:"tagSpecificationSet,omitempty"`
	SecurityGroupIDs *query.Items[string]           `xml:"securityGroupIdSet,omitempty"`
	SecurityGroups   *query.Items[string]           `xml:"securityGroupSet,omitempty"`
}

func (d templateData) xml() ltDataXML {
	x := ltDataXML{EbsOptimized: d.EbsOptimized, ImageID: d.ImageID, InstanceType: d.InstanceType, KeyName: d.KeyName, UserData: d.UserData}
	if d.IamProfileArn != "" || d.IamProfileName != "" {
		x.IamProfile = &struct {
			Arn  string `xml:"arn,omitempty"`
			Name string `xml:"name,omitempty"`
		}{d.IamProfileArn, d.IamProfileName}
	}
	if len(d.BlockDevices) > 0 {
		x.BlockDevices = &query.Items[ltBlockDeviceXML]{}
		for _, b := range d.BlockDevices {
			x.BlockDevices.Items = append(x.BlockDevices.Items, ltBlockDeviceXML{DeviceName: b.DeviceName, Ebs: &ltEbsXML{
				Encrypted: b.Encrypted, DeleteOnTermination: b.DeleteOnTermination, SnapshotID: b.SnapshotID,
				VolumeSize: b.VolumeSize, VolumeType: b.VolumeType}})
		}
	}
	if len(d.TagSpecs) > 0 {
		x.TagSpecs = &query.Items[ltTagSpecXML]{}
		for _, t := range d.TagSpecs {
			x.TagSpecs.Items = append(x.TagSpecs.Items, ltTagSpecXML{t.ResourceType, tagSet(t.Tags)})
		}
	}
	if len(d.SecurityGroupIDs) > 0 {
		x.SecurityGroupIDs = &query.Items[string]{Items: d.SecurityGroupIDs}
	}
	if len(d.SecurityGroups) > 0 {
		x.SecurityGroups = &query.Items[string]{Items: d.SecurityGroups}
	}
	return x
}

type launchTemplateXML struct {
	LaunchTemplateID     string               `xml:"launchTemplateId"`
	LaunchTemplateName   string               `xml:"launchTemplateName"`
	CreateTime           string               `xml:"createTime"`
	CreatedBy            string               `xml:"createdBy"`
	DefaultVersionNumber int64                `xml:"defaultVersionNumber"`
	LatestVersionNumber  int64                `xml:"latestVersionNumber"`
	Tags                 *query.Items[tagXML] `xml:"tagSet,omitempty"`
}

func (t *launchTemplate) xml() launchTemplateXML {
	x := launchTemplateXML{t.ID, t.Name, query.Time(t.CreateTime), t.CreatedBy, t.DefaultVersion, int64(len(t.Versions)), nil}
	if len(t.Tags) > 0 {
		ts := tagSet(t.Tags)
		x.Tags = &ts
	}
	return x
}

type ltVersionXML struct {
	LaunchTemplateID   string    `xml:"launchTemplateId"`
	LaunchTemplateName string    `xml:"launchTemplateName"`
	VersionNumber      int64     `xml:"versionNumber"`
	VersionDescription string    `xml:"versionDescription,omitempty"`
	CreateTime         string    `xml:"createTime"`
	CreatedBy          string    `xml:"createdBy"`
	DefaultVersion     bool      `xml:"defaultVersion"`
	Data               ltDataXML `xml:"launchTemplateData"`
}

func (t *launchTemplate) versionXML(v *templateVersion) ltVersionXML {
	return ltVersionXML{t.ID, t.Name, v.Number, v.Description, query.Time(v.CreateTime), t.CreatedBy, v.Number == t.DefaultVersion, v.Data.xml()}
}

// findTemplate finds a launch template by id or name (exactly one of them).
func findTemplate(c *call, id, name string) (*launchTemplate, *apiError) {
	switch {
	case id != "" && name != "":
		return nil, errf("InvalidParameterCombination", "Specify either a launch template ID or a launch template name, not both.")
	case id == "" && name == "":
		return nil, errf("MissingParameter", "The request must contain the parameter launchTemplateName or launchTemplateId")
	case id != "":
		if !ltIDPattern.MatchString(id) {
			return nil, errf("InvalidLaunchTemplateId.Malformed", "The specified ID for the launch template (%s) is not valid. Specify a valid ID and try again.", id)
		}
		if t := c.rs.templates[id]; t != nil {
			return t, nil
		}
		return nil, errf("InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID %s, does not exist.", id)
	default:
		for _, t := range c.rs.templates {
			if t.Name == name {
				return t, nil
			}
		}
		return nil, errf("InvalidLaunchTemplateName.NotFoundException", "The specified launch template, with template name %s, does not exist.", name)
	}
}

// version resolves "", "$Default", "$Latest" or a number.
func (t *launchTemplate) version(spec string) (*templateVersion, *apiError) {
	n := t.DefaultVersion
	switch spec {
	case "", "$Default":
	case "$Latest":
		n = int64(len(t.Versions))
	default:
		v, err := strconv.ParseInt(spec, 10, 64)
		if err != nil {
			return nil, errf("InvalidLaunchTemplateId.VersionNotFound", "Could not find launch template version %s for launch template ID %s", spec, t.ID)
		}
		n = v
	}
	if n < 1 || n > int64(len(t.Versions)) || t.Versions[n-1] == nil {
		return nil, errf("InvalidLaunchTemplateId.VersionNotFound", "Could not find launch template version %s for launch template ID %s", spec, t.ID)
	}
	return t.Versions[n-1], nil
}

func resolveTemplate(c *call, id, name, version string) (*launchTemplate, *templateVersion, *apiError) {
	t, aerr := findTemplate(c, id, name)
	if aerr != nil {
		return nil, nil, aerr
	}
	v, aerr := t.version(version)
	if aerr != nil {
		return nil, nil, aerr
	}
	return t, v, nil
}

func (s *Service) createLaunchTemplate(c *call) (any, *apiError) {
	name := c.v.Get("LaunchTemplateName")
	if !ltNamePattern.MatchString(name) {
		return nil, errf("InvalidLaunchTemplateName.MalformedException", "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.'")
	}
	for _, t := range c.rs.templates {
		if t.Name == name {
			return nil, errf("InvalidLaunchTemplateName.AlreadyExistsException", "Launch template name already in use.")
		}
	}
	if len(c.v.Struct("LaunchTemplateData")) == 0 && !c.v.Has("LaunchTemplateData") {
		return nil, errf("MissingParameter", "The request must contain the parameter LaunchTemplateData")
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	t := &launchTemplate{
		ID: newID("lt"), Name: name, CreateTime: c.now, CreatedBy: fmt.Sprintf("arn:aws:iam::%s:root", c.account),
		DefaultVersion: 1, Tags: copyTags(tagSpecs(c.v, "TagSpecification")["launch-template"]),
	}
	t.Versions = []*templateVersion{{Number: 1, Description: c.v.Get("VersionDescription"), CreateTime: c.now,
		Data: parseTemplateData(c.v.Struct("LaunchTemplateData"), templateData{})}}
	c.rs.templates[t.ID] = t
	return struct {
		LaunchTemplate launchTemplateXML `xml:"launchTemplate"`
	}{t.xml()}, nil
}

func (s *Service) createLaunchTemplateVersion(c *call) (any, *apiError) {
	t, aerr := findTemplate(c, c.v.Get("LaunchTemplateId"), c.v.Get("LaunchTemplateName"))
	if aerr != nil {
		return nil, aerr
	}
	base := templateData{}
	if src := c.v.Get("SourceVersion"); src != "" {
		v, aerr := t.version(src)
		if aerr != nil {
			return nil, aerr
		}
		base = v.Data
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	v := &templateVersion{Number: int64(len(t.Versions)) + 1, Description: c.v.Get("VersionDescription"), CreateTime: c.now,
		Data: parseTemplateData(c.v.Struct("LaunchTemplateData"), base)}
	t.Versions = append(t.Versions, v)
	return struct {
		Version ltVersionXML `xml:"launchTemplateVersion"`
	}{t.versionXML(v)}, nil
}

func (s *Service) modifyLaunchTemplate(c *call) (any, *apiError) {
	t, aerr := findTemplate(c, c.v.Get("LaunchTemplateId"), c.v.Get("LaunchTemplateName"))
	if aerr != nil {
		return nil, aerr
	}
	var def *templateVersion
	if spec := c.v.Get("SetDefaultVersion"); spec != "" {
		if def, aerr = t.version(spec); aerr != nil {
			return nil, aerr
		}
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	if def != nil {
		t.DefaultVersion = def.Number
	}
	return struct {
		LaunchTemplate launchTemplateXML `xml:"launchTemplate"`
	}{t.xml()}, nil
}

func (s *Service) deleteLaunchTemplate(c *call) (any, *apiError) {
	t, aerr := findTemplate(c, c.v.Get("LaunchTemplateId"), c.v.Get("LaunchTemplateName"))
	if aerr != nil {
		return nil, aerr
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	delete(c.rs.templates, t.ID)
	return struct {
		LaunchTemplate launchTemplateXML `xml:"launchTemplate"`
	}{t.xml()}, nil
}

var templateFilters = knownSet("launch-template-name", "create-time")

func (s *Service) describeLaunchTemplates(c *call) (any, *apiError) {
	ids := c.v.List("LaunchTemplateId")
	names := c.v.List("LaunchTemplateName")
	fs, aerr := parseFilters(c.v, templateFilters)
	if aerr != nil {
		return nil, aerr
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, aerr := findTemplate(c, id, ""); aerr != nil {
			return nil, aerr
		}
	}
	for _, n := range names {
		if _, aerr := findTemplate(c, "", n); aerr != nil {
			return nil, aerr
		}
	}
	var match []string
	for _, id := range slices.Sorted(maps.Keys(c.rs.templates)) {
		t := c.rs.templates[id]
		if len(ids) > 0 && !containsStr(ids, id) {
			continue
		}
		if len(names) > 0 && !containsStr(names, t.Name) {
			continue
		}
		if !matchFilters(fs, t.Tags, func(n string) []string {
			if n == "launch-template-name" {
				return []string{t.Name}
			}
			return []string{query.Time(t.CreateTime)}
		}) {
			continue
		}
		match = append(match, id)
	}
	pageIDs, next, aerr := page(c, match, 1, 200, 0)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		LaunchTemplates query.Items[launchTemplateXML] `xml:"launchTemplates"`
		NextToken       string                         `xml:"nextToken,omitempty"`
	}{LaunchTemplates: query.Items[launchTemplateXML]{Items: []launchTemplateXML{}}, NextToken: next}
	for _, id := range pageIDs {
		out.LaunchTemplates.Items = append(out.LaunchTemplates.Items, c.rs.templates[id].xml())
	}
	return out, nil
}

var versionFilters = knownSet("image-id", "instance-type", "is-default-version", "create-time", "iam-instance-profile", "ebs-optimized")

func (s *Service) describeLaunchTemplateVersions(c *call) (any, *apiError) {
	id, name := c.v.Get("LaunchTemplateId"), c.v.Get("LaunchTemplateName")
	specs := c.v.List("LaunchTemplateVersion")
	fs, aerr := parseFilters(c.v, versionFilters)
	if aerr != nil {
		return nil, aerr
	}
	var templates []*launchTemplate
	if id != "" || name != "" {
		t, aerr := findTemplate(c, id, name)
		if aerr != nil {
			return nil, aerr
		}
		templates = []*launchTemplate{t}
	} else {
		if len(specs) > 0 {
			return nil, errf("MissingParameter", "The request must contain the parameter launchTemplateName or launchTemplateId")
		}
		for _, k := range slices.Sorted(maps.Keys(c.rs.templates)) {
			templates = append(templates, c.rs.templates[k])
		}
	}
	minV, hasMin, _ := c.v.Int("MinVersion")
	maxV, hasMax, _ := c.v.Int("MaxVersion")
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	type entry struct {
		t *launchTemplate
		v *templateVersion
	}
	entries := map[string]entry{}
	for _, t := range templates {
		var vs []*templateVersion
		if len(specs) > 0 {
			for _, sp := range specs {
				v, aerr := t.version(sp)
				if aerr != nil {
					return nil, aerr
				}
				vs = append(vs, v)
			}
		} else {
			vs = t.Versions
		}
		for _, v := range vs {
			if v == nil || (hasMin && v.Number < minV) || (hasMax && v.Number > maxV) {
				continue
			}
			ok := matchFilters(fs, nil, func(n string) []string {
				switch n {
				case "image-id":
					return []string{v.Data.ImageID}
				case "instance-type":
					return []string{v.Data.InstanceType}
				case "is-default-version":
					return []string{strconv.FormatBool(v.Number == t.DefaultVersion)}
				case "create-time":
					return []string{query.Time(v.CreateTime)}
				case "iam-instance-profile":
					return []string{v.Data.IamProfileArn, v.Data.IamProfileName}
				case "ebs-optimized":
					if v.Data.EbsOptimized != nil {
						return []string{strconv.FormatBool(*v.Data.EbsOptimized)}
					}
				}
				return nil
			})
			if ok {
				entries[fmt.Sprintf("%s/%010d", t.ID, v.Number)] = entry{t, v}
			}
		}
	}
	keys := slices.Sorted(maps.Keys(entries))
	// AWS lists a template's versions newest first.
	for i, j := 0, len(keys)-1; i < j; i, j = i+1, j-1 {
		keys[i], keys[j] = keys[j], keys[i]
	}
	pageKeys, next, aerr := pageOrdered(c, keys, 1, 200)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Versions  query.Items[ltVersionXML] `xml:"launchTemplateVersionSet"`
		NextToken string                    `xml:"nextToken,omitempty"`
	}{Versions: query.Items[ltVersionXML]{Items: []ltVersionXML{}}, NextToken: next}
	for _, k := range pageKeys {
		e := entries[k]
		out.Versions.Items = append(out.Versions.Items, e.t.versionXML(e.v))
	}
	return out, nil
}
