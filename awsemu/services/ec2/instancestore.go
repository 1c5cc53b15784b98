package ec2

import (
	"maps"
	"strconv"
	"strings"

	"github.com/winami/winami/awsemu"
)

// The awsemu.InstanceStore Auto Scaling launches and terminates its groups' instances
// through. Each method takes the service's lock (Auto Scaling calls it holding its own:
// the lock order is autoscaling → ec2 → ssm).

// LaunchInstance implements awsemu.InstanceStore: one instance launched as RunInstances
// would with the launch template version l names (ImageID and InstanceType, when set,
// override the template's, as a mixed instances policy's overrides do), in l.SubnetID or
// else the default subnet of l.AvailabilityZone. An ImageId of resolve:ssm:<parameter>
// resolves at launch. The instance is tagged with l.Tags, the template's instance tag
// specifications and aws:ec2launchtemplate:id / aws:ec2launchtemplate:version, as EC2
// tags every instance launched from a template.
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-launch-templates.html
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/using-systems-manager-parameters.html
func (s *Service) LaunchInstance(l awsemu.InstanceLaunch) (awsemu.Instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	account := l.Account
	if account == "" {
		account = s.srv.Account
	}
	c := &call{region: l.Region, account: account, principal: s.srv.CallerARN(), now: s.srv.Clock.Now().UTC(), rs: s.region(l.Region)}
	t, ver, aerr := resolveTemplate(c, l.LaunchTemplateID, l.LaunchTemplateName, l.LaunchTemplateVersion)
	if aerr != nil {
		return awsemu.Instance{}, aerr.export()
	}
	imageID := ver.Data.ImageID
	if l.ImageID != "" {
		imageID = l.ImageID
	}
	instanceType := ver.Data.InstanceType
	if l.InstanceType != "" {
		instanceType = l.InstanceType
	}
	if imageID, aerr = s.resolveImageRef(c, imageID); aerr != nil {
		return awsemu.Instance{}, aerr.export()
	}
	img, aerr := launchableImage(c, imageID)
	if aerr != nil {
		return awsemu.Instance{}, aerr.export()
	}
	if instanceType == "" {
		instanceType = "m1.small"
	}
	var sn *subnet
	if l.SubnetID != "" {
		if sn, aerr = findSubnet(c, l.SubnetID); aerr != nil {
			return awsemu.Instance{}, aerr.export()
		}
	} else if sn = c.rs.defaultSubnet(l.AvailabilityZone); sn == nil {
		if c.rs.defaultVPC() == nil {
			return awsemu.Instance{}, errf("VPCIdNotSpecified", "No default VPC for this user").export()
		}
		return awsemu.Instance{}, errf("InvalidParameterValue", "No default subnet for availability zone: '%s'.", l.AvailabilityZone).export()
	}
	var groups []string
	for _, id := range ver.Data.SecurityGroupIDs {
		g, aerr := findGroup(c, id)
		if aerr != nil {
			return awsemu.Instance{}, aerr.export()
		}
		if g.VpcID != sn.VpcID {
			return awsemu.Instance{}, errf("InvalidParameter", "Security group %s and subnet %s belong to different networks.", id, sn.ID).export()
		}
		groups = append(groups, id)
	}
	if len(groups) == 0 {
		if v := c.rs.vpcs[sn.VpcID]; v != nil {
			groups = []string{v.DefaultSGID}
		}
	}
	tags := map[string]string{}
	for _, ts := range ver.Data.TagSpecs {
		if ts.ResourceType == "instance" {
			maps.Copy(tags, ts.Tags)
		}
	}
	maps.Copy(tags, l.Tags)
	tags["aws:ec2launchtemplate:id"] = t.ID
	tags["aws:ec2launchtemplate:version"] = strconv.FormatInt(ver.Number, 10)
	profile := ver.Data.IamProfileArn
	if profile == "" && ver.Data.IamProfileName != "" {
		profile = "arn:aws:iam::" + account + ":instance-profile/" + ver.Data.IamProfileName
	}
	n := 0
	for _, other := range c.rs.instances {
		if other.SubnetID == sn.ID {
			n++
		}
	}
	in := &instance{
		ID: newID("i"), ReservationID: newID("r"), OwnerID: account, ImageID: imageID,
		InstanceType: instanceType, KeyName: ver.Data.KeyName, State: "running", LaunchTime: c.now,
		Platform: img.Platform, PlatformDetails: img.PlatformDetails, Architecture: img.Architecture,
		RootDeviceName: img.RootDeviceName, SubnetID: sn.ID, VpcID: sn.VpcID, AZ: sn.AZ, GroupIDs: groups,
		PrivateIP: ipInSubnet(sn.CidrBlock, n), Tags: tags, IamProfile: profile,
		LaunchTemplateID: t.ID, LaunchTemplateVersion: strconv.FormatInt(ver.Number, 10),
	}
	for _, bd := range img.BlockDevices {
		in.Volumes = append(in.Volumes, volume{ID: newID("vol"), DeviceName: bd.DeviceName, Size: bd.VolumeSize, Type: bd.VolumeType, SnapshotID: bd.SnapshotID})
	}
	c.rs.instances[in.ID] = in
	out := in.export(l.Region)
	// RunInstances answers a new instance as pending (it is running on the next read).
	out.State = "pending"
	return out, nil
}

// Instance implements awsemu.InstanceStore: an instance of the server's account in region,
// terminated ones included.
func (s *Service) Instance(region, id string) (awsemu.Instance, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.region(region).instances[id]
	if in == nil || in.OwnerID != s.srv.Account {
		return awsemu.Instance{}, false
	}
	return in.export(region), true
}

// TerminateInstance implements awsemu.InstanceStore: TerminateInstances of one instance.
// Terminating a terminated instance succeeds, as TerminateInstances does.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TerminateInstances.html
func (s *Service) TerminateInstance(region, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &call{region: region, account: s.srv.Account, rs: s.region(region)}
	in, aerr := findInstance(c, id)
	if aerr != nil {
		return aerr.export()
	}
	if in.State != "terminated" {
		in.State = "terminated"
		in.StateReason = "Client.UserInitiatedShutdown: User initiated shutdown"
	}
	return nil
}

func (in *instance) export(region string) awsemu.Instance {
	return awsemu.Instance{
		ID: in.ID, Region: region, OwnerID: in.OwnerID, ImageID: in.ImageID, InstanceType: in.InstanceType,
		AvailabilityZone: in.AZ, SubnetID: in.SubnetID, State: in.State, LaunchTime: in.LaunchTime,
		LaunchTemplateID: in.LaunchTemplateID, LaunchTemplateVersion: in.LaunchTemplateVersion, Tags: copyTags(in.Tags),
	}
}

func (e *apiError) export() *awsemu.APIError {
	return &awsemu.APIError{Code: e.code, Message: e.message}
}

// resolveImageRef resolves an ImageId of resolve:ssm:<parameter>[:<version>] to the AMI
// the parameter (that version, else the latest) holds in the call's Region, as EC2 does at
// launch; other ImageIds are answered unchanged. Labels and parameters shared from other
// accounts (parameter ARNs) are not resolved (DIFFERENCES.md).
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/create-launch-template.html#use-an-ssm-parameter-instead-of-an-ami-id
func (s *Service) resolveImageRef(c *call, ref string) (string, *apiError) {
	name, ok := strings.CutPrefix(ref, "resolve:ssm:")
	if !ok {
		return ref, nil
	}
	version := ""
	if i := strings.LastIndex(name, ":"); i >= 0 {
		name, version = name[:i], name[i+1:]
	}
	reader, _ := s.srv.SSM.(awsemu.SSMParameterReader)
	var p awsemu.Parameter
	if reader != nil {
		p, ok = reader.GetParameter(c.region, name)
	}
	if reader == nil || !ok || len(p.History) == 0 {
		return "", errf("InvalidParameterValue", "Invalid value '%s' for parameter ImageId. The parameter %s does not exist.", ref, name)
	}
	v := p.History[len(p.History)-1]
	if version != "" {
		n, err := strconv.Atoi(version)
		if err != nil || n < 1 || n > len(p.History) {
			return "", errf("InvalidParameterValue", "Invalid value '%s' for parameter ImageId. Version %s of parameter %s does not exist.", ref, version, name)
		}
		v = p.History[n-1]
	}
	return v.Value, nil
}

// launchableImage is the image of an ImageId RunInstances launches: well formed, visible
// to the caller and available.
func launchableImage(c *call, imageID string) (*image, *apiError) {
	if imageID == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter ImageId")
	}
	if !amiIDPattern.MatchString(imageID) {
		return nil, errf("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", imageID)
	}
	img := c.rs.images[imageID]
	if img == nil || !img.visible(c.account) {
		return nil, errf("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", imageID)
	}
	if img.State != "available" {
		return nil, errf("InvalidAMIID.Unavailable", "The image id '[%s]' is not available", imageID)
	}
	return img, nil
}

var _ awsemu.InstanceStore = (*Service)(nil)
