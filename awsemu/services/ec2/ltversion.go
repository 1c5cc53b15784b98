package ec2

import (
	"fmt"

	"github.com/winami/winami/awsemu"
)

// LaunchTemplateVersion implements awsemu.LaunchTemplateVersionReader: a version ("",
// "$Default", "$Latest" or a number) of a launch template of region given by id or name.
func (s *Service) LaunchTemplateVersion(region, idOrName, version string) (awsemu.LaunchTemplateVersionData, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.region(region).templateByIDOrName(idOrName)
	if t == nil {
		return awsemu.LaunchTemplateVersionData{}, false
	}
	v, aerr := t.version(version)
	if aerr != nil {
		return awsemu.LaunchTemplateVersionData{}, false
	}
	profile := v.Data.IamProfileArn
	if profile == "" {
		profile = v.Data.IamProfileName
	}
	return awsemu.LaunchTemplateVersionData{TemplateID: t.ID, TemplateName: t.Name, Number: v.Number,
		ImageID: v.Data.ImageID, InstanceType: v.Data.InstanceType, IamInstanceProfile: profile}, true
}

var _ awsemu.LaunchTemplateVersionReader = (*Service)(nil)

// contentData is the template data of a LaunchTemplateContent.
func contentData(d awsemu.LaunchTemplateContent) templateData {
	out := templateData{ImageID: d.ImageID, InstanceType: d.InstanceType}
	if d.RootDeviceName != "" && d.RootVolumeGiB > 0 {
		out.BlockDevices = []templateBlockDevice{{DeviceName: d.RootDeviceName, VolumeSize: d.RootVolumeGiB, VolumeType: "gp3"}}
	}
	return out
}

// CreateLaunchTemplate implements awsemu.LaunchTemplateWriter: a template of one version,
// the default, as CreateLaunchTemplate would make it for the account.
func (s *Service) CreateLaunchTemplate(region, name string, d awsemu.LaunchTemplateContent) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.region(region)
	if !ltNamePattern.MatchString(name) {
		return "", errf("InvalidLaunchTemplateName.MalformedException", "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.'").export()
	}
	for _, t := range rs.templates {
		if t.Name == name {
			return "", errf("InvalidLaunchTemplateName.AlreadyExistsException", "Launch template name already in use.").export()
		}
	}
	now := s.srv.Clock.Now().UTC()
	t := &launchTemplate{ID: newID("lt"), Name: name, CreateTime: now, CreatedBy: fmt.Sprintf("arn:aws:iam::%s:root", s.srv.Account),
		DefaultVersion: 1, Tags: copyTags(d.Tags)}
	t.Versions = []*templateVersion{{Number: 1, CreateTime: now, Data: contentData(d)}}
	rs.templates[t.ID] = t
	return t.ID, nil
}

// CreateLaunchTemplateVersion implements awsemu.LaunchTemplateWriter: a new version of
// template id (not made the default, as CreateLaunchTemplateVersion leaves it).
func (s *Service) CreateLaunchTemplateVersion(region, id string, d awsemu.LaunchTemplateContent) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.region(region).templates[id]
	if t == nil {
		return 0, errf("InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID %s, does not exist.", id).export()
	}
	n := int64(len(t.Versions)) + 1
	t.Versions = append(t.Versions, &templateVersion{Number: n, CreateTime: s.srv.Clock.Now().UTC(), Data: contentData(d)})
	return n, nil
}

// DeleteLaunchTemplate implements awsemu.LaunchTemplateWriter: template id is deleted with
// its versions, as DeleteLaunchTemplate would.
func (s *Service) DeleteLaunchTemplate(region, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.region(region)
	if rs.templates[id] == nil {
		return errf("InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID %s, does not exist.", id).export()
	}
	delete(rs.templates, id)
	return nil
}

var _ awsemu.LaunchTemplateWriter = (*Service)(nil)
