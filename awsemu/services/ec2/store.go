package ec2

import (
	"strings"

	"github.com/winami/winami/awsemu"
)

// The awsemu.EC2Store lookups other services (Image Builder) make of EC2's state. Each
// takes the service's lock and answers copies.

// Subnet implements awsemu.EC2Store: a subnet of the server's account in region.
func (s *Service) Subnet(region, subnetID string) (awsemu.Subnet, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sn := s.region(region).subnets[subnetID]
	if sn == nil || sn.Owner != s.srv.Account {
		return awsemu.Subnet{}, false
	}
	return sn.export(), true
}

func (sn *subnet) export() awsemu.Subnet {
	return awsemu.Subnet{ID: sn.ID, VpcID: sn.VpcID, AvailabilityZone: sn.AZ, AvailabilityZoneID: azID(sn.AZ), Tags: copyTags(sn.Tags)}
}

// DefaultSubnet implements awsemu.EC2Store: the default VPC's default subnet in az (the
// first zone's when az is "").
func (s *Service) DefaultSubnet(region, az string) (awsemu.Subnet, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sn := s.region(region).defaultSubnet(az)
	if sn == nil {
		return awsemu.Subnet{}, false
	}
	return sn.export(), true
}

// SecurityGroup implements awsemu.EC2Store: a security group of the server's account in region.
func (s *Service) SecurityGroup(region, groupID string) (awsemu.SecurityGroup, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.region(region).groups[groupID]
	if g == nil || g.Owner != s.srv.Account {
		return awsemu.SecurityGroup{}, false
	}
	return awsemu.SecurityGroup{ID: g.ID, Name: g.Name, VpcID: g.VpcID, Tags: copyTags(g.Tags)}, true
}

// KeyPairExists implements awsemu.EC2Store.
func (s *Service) KeyPairExists(region, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.region(region).keyPairs[name] != nil
}

// LaunchTemplate implements awsemu.EC2Store: a launch template of region by id (lt-…) or name.
func (s *Service) LaunchTemplate(region, idOrName string) (awsemu.LaunchTemplate, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.region(region).templateByIDOrName(idOrName)
	if t == nil {
		return awsemu.LaunchTemplate{}, false
	}
	return awsemu.LaunchTemplate{ID: t.ID, Name: t.Name, Region: region, OwnerID: s.srv.Account,
		DefaultVersion: t.DefaultVersion, LatestVersion: int64(len(t.Versions)), Tags: copyTags(t.Tags)}, true
}

var _ awsemu.EC2Store = (*Service)(nil)

// templateByIDOrName is a launch template of the region by id (lt-…) or by name, nil when
// there is none. Callers hold s.mu.
func (rs *regionState) templateByIDOrName(idOrName string) *launchTemplate {
	if strings.HasPrefix(idOrName, "lt-") {
		if t := rs.templates[idOrName]; t != nil {
			return t
		}
	}
	for _, t := range rs.templates {
		if t.Name == idOrName {
			return t
		}
	}
	return nil
}
