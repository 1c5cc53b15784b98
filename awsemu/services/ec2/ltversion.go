package ec2

import (
	"strings"

	"github.com/winami/winami/awsemu"
)

// LaunchTemplateVersion implements awsemu.LaunchTemplateVersionReader: a version ("",
// "$Default", "$Latest" or a number) of a launch template of region given by id or name.
func (s *Service) LaunchTemplateVersion(region, idOrName, version string) (awsemu.LaunchTemplateVersionData, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.region(region)
	var t *launchTemplate
	if strings.HasPrefix(idOrName, "lt-") {
		t = rs.templates[idOrName]
	}
	if t == nil {
		for _, cand := range rs.templates {
			if cand.Name == idOrName {
				t = cand
			}
		}
	}
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
