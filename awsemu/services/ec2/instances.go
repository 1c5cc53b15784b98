package ec2

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"

	"github.com/winami/winami/awsemu/protocol/query"
)

var instanceIDPattern = regexp.MustCompile(`^i-([0-9a-f]{8}|[0-9a-f]{17})$`)

var stateCodes = map[string]int{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

type stateXML struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

func state(name string) stateXML { return stateXML{stateCodes[name], name} }

type instanceBlockDeviceXML struct {
	DeviceName string `xml:"deviceName"`
	Ebs        struct {
		VolumeID            string `xml:"volumeId"`
		Status              string `xml:"status"`
		AttachTime          string `xml:"attachTime"`
		DeleteOnTermination bool   `xml:"deleteOnTermination"`
	} `xml:"ebs"`
}

type groupXML struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type instanceXML struct {
	InstanceID     string   `xml:"instanceId"`
	ImageID        string   `xml:"imageId"`
	State          stateXML `xml:"instanceState"`
	PrivateDNSName string   `xml:"privateDnsName"`
	DNSName        string   `xml:"dnsName"`
	Reason         string   `xml:"reason"`
	KeyName        string   `xml:"keyName,omitempty"`
	LaunchIndex    int      `xml:"amiLaunchIndex"`
	InstanceType   string   `xml:"instanceType"`
	LaunchTime     string   `xml:"launchTime"`
	Placement      struct {
		AvailabilityZone string `xml:"availabilityZone"`
		Tenancy          string `xml:"tenancy"`
	} `xml:"placement"`
	Platform        string `xml:"platform,omitempty"`
	PlatformDetails string `xml:"platformDetails"`
	Monitoring      struct {
		State string `xml:"state"`
	} `xml:"monitoring"`
	SubnetID         string                              `xml:"subnetId"`
	VpcID            string                              `xml:"vpcId"`
	PrivateIPAddress string                              `xml:"privateIpAddress"`
	Architecture     string                              `xml:"architecture"`
	RootDeviceType   string                              `xml:"rootDeviceType"`
	RootDeviceName   string                              `xml:"rootDeviceName"`
	BlockDevices     query.Items[instanceBlockDeviceXML] `xml:"blockDeviceMapping"`
	VirtualizationTy string                              `xml:"virtualizationType"`
	Hypervisor       string                              `xml:"hypervisor"`
	EnaSupport       bool                                `xml:"enaSupport"`
	Groups           query.Items[groupXML]               `xml:"groupSet"`
	Tags             *query.Items[tagXML]                `xml:"tagSet,omitempty"`
	IamProfile       *struct {
		Arn string `xml:"arn"`
		ID  string `xml:"id"`
	} `xml:"iamInstanceProfile,omitempty"`
	StateReason *struct {
		Code    string `xml:"code"`
		Message string `xml:"message"`
	} `xml:"stateReason,omitempty"`
}

func (in *instance) xml(rs *regionState, stateName string) instanceXML {
	x := instanceXML{
		InstanceID: in.ID, ImageID: in.ImageID, State: state(stateName),
		PrivateDNSName: "ip-" + dashIP(in.PrivateIP) + "." + rs.name + ".compute.internal",
		KeyName:        in.KeyName, LaunchIndex: in.LaunchIndex, InstanceType: in.InstanceType,
		LaunchTime: query.Time(in.LaunchTime), Platform: in.Platform, PlatformDetails: in.PlatformDetails,
		SubnetID: in.SubnetID, VpcID: in.VpcID, PrivateIPAddress: in.PrivateIP, Architecture: in.Architecture,
		RootDeviceType: "ebs", RootDeviceName: in.RootDeviceName, VirtualizationTy: "hvm", Hypervisor: "xen",
		EnaSupport:   true,
		Groups:       query.Items[groupXML]{Items: []groupXML{}},
		BlockDevices: query.Items[instanceBlockDeviceXML]{Items: []instanceBlockDeviceXML{}},
	}
	if in.State == "terminated" {
		x.PrivateDNSName, x.PrivateIPAddress = "", ""
		x.BlockDevices.Items = []instanceBlockDeviceXML{}
	} else {
		for _, v := range in.Volumes {
			var b instanceBlockDeviceXML
			b.DeviceName = v.DeviceName
			b.Ebs.VolumeID, b.Ebs.Status, b.Ebs.AttachTime, b.Ebs.DeleteOnTermination = v.ID, "attached", query.Time(in.LaunchTime), true
			x.BlockDevices.Items = append(x.BlockDevices.Items, b)
		}
	}
	for _, id := range in.GroupIDs {
		name := ""
		if g := rs.groups[id]; g != nil {
			name = g.Name
		}
		x.Groups.Items = append(x.Groups.Items, groupXML{GroupID: id, GroupName: name})
	}
	x.Placement.AvailabilityZone, x.Placement.Tenancy = in.AZ, "default"
	x.Monitoring.State = "disabled"
	if len(in.Tags) > 0 {
		t := tagSet(in.Tags)
		x.Tags = &t
	}
	if in.IamProfile != "" {
		x.IamProfile = &struct {
			Arn string `xml:"arn"`
			ID  string `xml:"id"`
		}{Arn: in.IamProfile, ID: "AIPA" + in.ID[2:]}
	}
	if in.StateReason != "" {
		x.StateReason = &struct {
			Code    string `xml:"code"`
			Message string `xml:"message"`
		}{Code: "Client.UserInitiatedShutdown", Message: in.StateReason}
	}
	return x
}

func dashIP(ip string) string {
	out := []byte(ip)
	for i := range out {
		if out[i] == '.' {
			out[i] = '-'
		}
	}
	return string(out)
}

func (in *instance) field(rs *regionState, name string) []string {
	switch name {
	case "instance-id":
		return []string{in.ID}
	case "image-id":
		return []string{in.ImageID}
	case "instance-state-name":
		return []string{in.State}
	case "instance-state-code":
		return []string{strconv.Itoa(stateCodes[in.State])}
	case "instance-type":
		return []string{in.InstanceType}
	case "reservation-id":
		return []string{in.ReservationID}
	case "owner-id":
		return []string{in.OwnerID}
	case "platform":
		if in.Platform != "" {
			return []string{in.Platform}
		}
	case "platform-details":
		return []string{in.PlatformDetails}
	case "availability-zone":
		return []string{in.AZ}
	case "vpc-id":
		return []string{in.VpcID}
	case "instance.group-id":
		return in.GroupIDs
	case "subnet-id":
		return []string{in.SubnetID}
	case "private-ip-address":
		return []string{in.PrivateIP}
	case "key-name":
		return []string{in.KeyName}
	case "architecture":
		return []string{in.Architecture}
	case "iam-instance-profile.arn":
		return []string{in.IamProfile}
	case "launch-time":
		return []string{query.Time(in.LaunchTime)}
	}
	return nil
}

var instanceFilters = knownSet("instance-id", "image-id", "instance-state-name", "instance-state-code", "instance-type",
	"reservation-id", "owner-id", "platform", "platform-details", "availability-zone", "vpc-id", "subnet-id",
	"private-ip-address", "key-name", "architecture", "iam-instance-profile.arn", "launch-time", "instance.group-id")

type reservationXML struct {
	ReservationID string                   `xml:"reservationId"`
	OwnerID       string                   `xml:"ownerId"`
	Groups        query.Items[groupXML]    `xml:"groupSet"`
	Instances     query.Items[instanceXML] `xml:"instancesSet"`
}

func (s *Service) runInstances(c *call) (any, *apiError) {
	minCount, hasMin, err1 := c.v.Int("MinCount")
	maxCount, hasMax, err2 := c.v.Int("MaxCount")
	if err1 != nil || err2 != nil || !hasMin || !hasMax {
		return nil, errf("MissingParameter", "The request must contain the parameters MinCount and MaxCount")
	}
	if minCount < 1 || maxCount < minCount {
		return nil, errf("InvalidParameterValue", "Maximum instance count must be greater than zero and not less than the minimum instance count")
	}
	imageID := c.v.Get("ImageId")
	instanceType := c.v.Get("InstanceType")
	keyName := c.v.Get("KeyName")
	profile := c.v.Get("IamInstanceProfile.Arn")
	if profile == "" && c.v.Get("IamInstanceProfile.Name") != "" {
		profile = fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s", c.account, c.v.Get("IamInstanceProfile.Name"))
	}
	var ltID, ltVersion string
	var templateGroups []string
	if lt := c.v.Struct("LaunchTemplate"); len(lt) > 0 {
		t, ver, aerr := resolveTemplate(c, lt.Get("LaunchTemplateId"), lt.Get("LaunchTemplateName"), lt.Get("Version"))
		if aerr != nil {
			return nil, aerr
		}
		ltID, ltVersion = t.ID, strconv.FormatInt(ver.Number, 10)
		templateGroups = ver.Data.SecurityGroupIDs
		if imageID == "" {
			imageID = ver.Data.ImageID
		}
		if instanceType == "" {
			instanceType = ver.Data.InstanceType
		}
		if keyName == "" {
			keyName = ver.Data.KeyName
		}
		if profile == "" {
			profile = ver.Data.IamProfileArn
			if profile == "" && ver.Data.IamProfileName != "" {
				profile = fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s", c.account, ver.Data.IamProfileName)
			}
		}
	}
	// A launch template's ImageId may be resolve:ssm:<parameter>, resolved at launch.
	// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/create-launch-template.html#use-an-ssm-parameter-instead-of-an-ami-id
	imageID, aerr := s.resolveImageRef(c, imageID)
	if aerr != nil {
		return nil, aerr
	}
	img, aerr := launchableImage(c, imageID)
	if aerr != nil {
		return nil, aerr
	}
	if instanceType == "" {
		instanceType = "m1.small"
	}
	sn, groups, aerr := launchNetwork(c, templateGroups)
	if aerr != nil {
		return nil, aerr
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	tags := tagSpecs(c.v, "TagSpecification")["instance"]
	res := reservationXML{
		ReservationID: newID("r"), OwnerID: c.account,
		Groups:    query.Items[groupXML]{Items: []groupXML{}},
		Instances: query.Items[instanceXML]{Items: []instanceXML{}},
	}
	for i := 0; i < int(maxCount); i++ {
		n := 0
		for _, other := range c.rs.instances {
			if other.SubnetID == sn.ID {
				n++
			}
		}
		in := &instance{
			ID: newID("i"), ReservationID: res.ReservationID, OwnerID: c.account, ImageID: imageID,
			InstanceType: instanceType, KeyName: keyName, State: "running", LaunchTime: c.now, LaunchIndex: i,
			Platform: img.Platform, PlatformDetails: img.PlatformDetails, Architecture: img.Architecture,
			RootDeviceName: img.RootDeviceName, SubnetID: sn.ID, VpcID: sn.VpcID, AZ: sn.AZ, GroupIDs: groups,
			PrivateIP: ipInSubnet(sn.CidrBlock, n), Tags: copyTags(tags),
			IamProfile: profile, LaunchTemplateID: ltID, LaunchTemplateVersion: ltVersion,
		}
		for _, bd := range img.BlockDevices {
			in.Volumes = append(in.Volumes, volume{ID: newID("vol"), DeviceName: bd.DeviceName, Size: bd.VolumeSize, Type: bd.VolumeType, SnapshotID: bd.SnapshotID})
		}
		c.rs.instances[in.ID] = in
		res.Instances.Items = append(res.Instances.Items, in.xml(c.rs, "pending"))
	}
	return res, nil
}

// launchNetwork picks the subnet and security groups of a launch: SubnetId (or the first
// network interface's), else the default VPC's default subnet (in Placement.AvailabilityZone
// when given); SecurityGroupId.N / SecurityGroup.N (names, in the subnet's VPC), else the
// launch template's, else the VPC's default group.
func launchNetwork(c *call, templateGroups []string) (*subnet, []string, *apiError) {
	subnetID := c.v.Get("SubnetId")
	groupIDs := c.v.List("SecurityGroupId")
	if ni := c.v.Struct("NetworkInterface.1"); len(ni) > 0 {
		if subnetID == "" {
			subnetID = ni.Get("SubnetId")
		}
		if len(groupIDs) == 0 {
			groupIDs = ni.List("SecurityGroupId")
		}
	}
	var sn *subnet
	if subnetID != "" {
		var aerr *apiError
		if sn, aerr = findSubnet(c, subnetID); aerr != nil {
			return nil, nil, aerr
		}
	} else {
		az := c.v.Get("Placement.AvailabilityZone")
		if sn = c.rs.defaultSubnet(az); sn == nil {
			if c.rs.defaultVPC() == nil {
				return nil, nil, errf("VPCIdNotSpecified", "No default VPC for this user")
			}
			return nil, nil, errf("InvalidParameterValue", "No default subnet for availability zone: '%s'.", az)
		}
	}
	if len(groupIDs) == 0 {
		groupIDs = templateGroups
	}
	var groups []string
	for _, id := range groupIDs {
		g, aerr := findGroup(c, id)
		if aerr != nil {
			return nil, nil, aerr
		}
		if g.VpcID != sn.VpcID {
			return nil, nil, errf("InvalidParameter", "Security group %s and subnet %s belong to different networks.", id, sn.ID)
		}
		groups = append(groups, id)
	}
	for _, name := range c.v.List("SecurityGroup") {
		found := false
		for _, g := range c.rs.groups {
			if g.VpcID == sn.VpcID && g.Name == name && g.Owner == c.account {
				groups, found = append(groups, g.ID), true
			}
		}
		if !found {
			return nil, nil, errf("InvalidGroup.NotFound", "The security group '%s' does not exist in VPC '%s'", name, sn.VpcID)
		}
	}
	if len(groups) == 0 {
		if v := c.rs.vpcs[sn.VpcID]; v != nil {
			groups = []string{v.DefaultSGID}
		}
	}
	return sn, groups, nil
}

// findInstance returns one of the caller's instances.
func findInstance(c *call, id string) (*instance, *apiError) {
	if id == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter InstanceId")
	}
	if !instanceIDPattern.MatchString(id) {
		return nil, errf("InvalidInstanceID.Malformed", "Invalid id: \"%s\"", id)
	}
	in := c.rs.instances[id]
	if in == nil || in.OwnerID != c.account {
		return nil, errf("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
	}
	return in, nil
}

func (s *Service) describeInstances(c *call) (any, *apiError) {
	ids := c.v.List("InstanceId")
	if len(ids) > 0 && c.v.Has("MaxResults") {
		return nil, errf("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
	}
	for _, id := range ids {
		if !instanceIDPattern.MatchString(id) {
			return nil, errf("InvalidInstanceID.Malformed", "Invalid id: \"%s\"", id)
		}
	}
	fs, aerr := parseFilters(c.v, instanceFilters)
	if aerr != nil {
		return nil, aerr
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	var missing []string
	for _, id := range ids {
		if in := c.rs.instances[id]; in == nil || in.OwnerID != c.account {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, errf("InvalidInstanceID.NotFound", "The instance IDs '%s' do not exist", joinComma(missing))
	}
	var match []string
	for _, id := range slices.Sorted(maps.Keys(c.rs.instances)) {
		in := c.rs.instances[id]
		if in.OwnerID != c.account || (len(ids) > 0 && !containsStr(ids, id)) {
			continue
		}
		if !matchFilters(fs, in.Tags, func(n string) []string { return in.field(c.rs, n) }) {
			continue
		}
		match = append(match, id)
	}
	pageIDs, next, aerr := page(c, match, 5, 1000, 0)
	if aerr != nil {
		return nil, aerr
	}
	// Group the page's instances into their reservations, in order of first appearance
	// by reservation id.
	byRes := map[string]*reservationXML{}
	for _, id := range pageIDs {
		in := c.rs.instances[id]
		r := byRes[in.ReservationID]
		if r == nil {
			r = &reservationXML{ReservationID: in.ReservationID, OwnerID: in.OwnerID,
				Groups: query.Items[groupXML]{Items: []groupXML{}}, Instances: query.Items[instanceXML]{Items: []instanceXML{}}}
			byRes[in.ReservationID] = r
		}
		r.Instances.Items = append(r.Instances.Items, in.xml(c.rs, in.State))
	}
	out := struct {
		Reservations query.Items[reservationXML] `xml:"reservationSet"`
		NextToken    string                      `xml:"nextToken,omitempty"`
	}{Reservations: query.Items[reservationXML]{Items: []reservationXML{}}, NextToken: next}
	for _, rid := range slices.Sorted(maps.Keys(byRes)) {
		r := byRes[rid]
		sort.Slice(r.Instances.Items, func(i, j int) bool { return r.Instances.Items[i].LaunchIndex < r.Instances.Items[j].LaunchIndex })
		out.Reservations.Items = append(out.Reservations.Items, *r)
	}
	return out, nil
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

type stateChangeXML struct {
	InstanceID    string   `xml:"instanceId"`
	CurrentState  stateXML `xml:"currentState"`
	PreviousState stateXML `xml:"previousState"`
}

// changeState moves the named instances: via is the state answered now, to is the state
// stored. from lists the states the move is allowed from (others are left unchanged).
func (s *Service) changeState(c *call, via, to string, from ...string) (any, *apiError) {
	ids := c.v.List("InstanceId")
	if len(ids) == 0 {
		return nil, errf("MissingParameter", "The request must contain the parameter InstanceId")
	}
	var ins []*instance
	for _, id := range ids {
		in, aerr := findInstance(c, id)
		if aerr != nil {
			return nil, aerr
		}
		ins = append(ins, in)
	}
	if to == "stopped" {
		for _, in := range ins {
			if in.State == "terminated" || in.State == "shutting-down" {
				return nil, errf("IncorrectInstanceState", "This instance '%s' is not in a state from which it can be stopped.", in.ID)
			}
		}
	}
	if to == "running" {
		for _, in := range ins {
			if in.State == "terminated" || in.State == "shutting-down" {
				return nil, errf("IncorrectInstanceState", "The instance '%s' is not in a state from which it can be started.", in.ID)
			}
		}
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	out := struct {
		Instances query.Items[stateChangeXML] `xml:"instancesSet"`
	}{query.Items[stateChangeXML]{Items: []stateChangeXML{}}}
	for _, in := range ins {
		prev := in.State
		cur := prev
		if containsStr(from, prev) {
			cur = via
			in.State = to
			switch to {
			case "stopped":
				in.StateReason = "Client.UserInitiatedShutdown: User initiated shutdown"
			case "terminated":
				in.StateReason = "Client.UserInitiatedShutdown: User initiated shutdown"
			case "running":
				in.StateReason = ""
			}
		}
		out.Instances.Items = append(out.Instances.Items, stateChangeXML{in.ID, state(cur), state(prev)})
	}
	return out, nil
}

func (s *Service) stopInstances(c *call) (any, *apiError) {
	return s.changeState(c, "stopping", "stopped", "running", "pending")
}

func (s *Service) startInstances(c *call) (any, *apiError) {
	return s.changeState(c, "pending", "running", "stopped")
}

func (s *Service) terminateInstances(c *call) (any, *apiError) {
	return s.changeState(c, "shutting-down", "terminated", "running", "pending", "stopped", "stopping")
}
