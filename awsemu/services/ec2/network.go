package ec2

import (
	"encoding/binary"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/winami/winami/awsemu/protocol/query"
)

// The networking of a region: VPCs, subnets and security groups. Every region starts with
// a default VPC (172.31.0.0/16) holding one default subnet (/20) per availability zone and
// a "default" security group, as an AWS account does; DeleteVpc removes it (after its
// subnets) and CreateDefaultVpc brings it back.

type vpc struct {
	ID          string
	Owner       string
	CidrBlock   string
	IsDefault   bool
	Tenancy     string
	Tags        map[string]string
	DefaultSGID string
}

type subnet struct {
	ID           string
	VpcID        string
	Owner        string
	CidrBlock    string
	AZ           string
	DefaultForAz bool
	MapPublicIP  bool
	Tags         map[string]string
}

type securityGroup struct {
	ID          string
	Name        string
	Description string
	VpcID       string
	Owner       string
	Tags        map[string]string
}

// DefaultVPCCidr is the CIDR block of every default VPC.
const DefaultVPCCidr = "172.31.0.0/16"

// MaxVPCsPerRegion is the VPC quota per region (default VPC included), as AWS's default.
const MaxVPCsPerRegion = 5

var (
	subnetIDPattern = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	groupIDPattern  = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// AvailabilityZones lists the availability zones awsemu gives a region: six in us-east-1,
// four in us-west-2, three elsewhere (the default subnets follow them).
func AvailabilityZones(region string) []string {
	n := 3
	switch region {
	case "us-east-1":
		n = 6
	case "us-west-2":
		n = 4
	}
	out := make([]string, n)
	for i := range out {
		out[i] = region + string(rune('a'+i))
	}
	return out
}

// azID is the zone id of an availability zone: us-east-1c → use1-az3.
func azID(az string) string {
	region, letter := az[:len(az)-1], az[len(az)-1]
	parts := strings.Split(region, "-")
	short := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		short += p[:1]
	}
	short += parts[len(parts)-1]
	return fmt.Sprintf("%s-az%d", short, int(letter-'a')+1)
}

// newVPC stores a VPC with its default security group. Callers hold s.mu.
func (s *Service) newVPC(rs *regionState, owner, cidr string, isDefault bool, tenancy string, tags map[string]string) *vpc {
	v := &vpc{ID: newID("vpc"), Owner: owner, CidrBlock: cidr, IsDefault: isDefault, Tenancy: tenancy, Tags: copyTags(tags)}
	g := &securityGroup{ID: newID("sg"), Name: "default", Description: "default VPC security group", VpcID: v.ID, Owner: owner, Tags: map[string]string{}}
	v.DefaultSGID = g.ID
	rs.vpcs[v.ID] = v
	rs.groups[g.ID] = g
	return v
}

// newDefaultVPC stores a default VPC with one default subnet per availability zone.
func (s *Service) newDefaultVPC(rs *regionState, owner string) *vpc {
	v := s.newVPC(rs, owner, DefaultVPCCidr, true, "default", nil)
	for i, az := range AvailabilityZones(rs.name) {
		sn := &subnet{ID: newID("subnet"), VpcID: v.ID, Owner: owner, CidrBlock: fmt.Sprintf("172.31.%d.0/20", 16*i),
			AZ: az, DefaultForAz: true, MapPublicIP: true, Tags: map[string]string{}}
		rs.subnets[sn.ID] = sn
	}
	return v
}

// defaultVPC returns the region's default VPC, nil when there is none.
func (rs *regionState) defaultVPC() *vpc {
	for _, v := range rs.vpcs {
		if v.IsDefault {
			return v
		}
	}
	return nil
}

// defaultSubnet returns the default VPC's default subnet in az (the first zone's when az
// is empty), nil when there is none.
func (rs *regionState) defaultSubnet(az string) *subnet {
	v := rs.defaultVPC()
	if v == nil {
		return nil
	}
	var best *subnet
	for _, sn := range rs.subnets {
		if sn.VpcID != v.ID || !sn.DefaultForAz || (az != "" && sn.AZ != az) {
			continue
		}
		if best == nil || sn.AZ < best.AZ {
			best = sn
		}
	}
	return best
}

// parseCidr reads an IPv4 CIDR block in canonical form (no host bits).
func parseCidr(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		return netip.Prefix{}, false
	}
	return p, true
}

func overlaps(a, b netip.Prefix) bool { return a.Overlaps(b) }

// --- VPCs -------------------------------------------------------------------------------

type vpcAssocXML struct {
	AssociationID string `xml:"associationId"`
	CidrBlock     string `xml:"cidrBlock"`
	State         struct {
		State string `xml:"state"`
	} `xml:"cidrBlockState"`
}

type vpcXML struct {
	VpcID           string                   `xml:"vpcId"`
	OwnerID         string                   `xml:"ownerId"`
	State           string                   `xml:"state"`
	CidrBlock       string                   `xml:"cidrBlock"`
	Associations    query.Items[vpcAssocXML] `xml:"cidrBlockAssociationSet"`
	DhcpOptionsID   string                   `xml:"dhcpOptionsId"`
	InstanceTenancy string                   `xml:"instanceTenancy"`
	IsDefault       bool                     `xml:"isDefault"`
	Tags            *query.Items[tagXML]     `xml:"tagSet,omitempty"`
}

func (v *vpc) dhcp() string { return "dopt-" + v.ID[4:] }

func (v *vpc) xml(state string) vpcXML {
	x := vpcXML{VpcID: v.ID, OwnerID: v.Owner, State: state, CidrBlock: v.CidrBlock,
		DhcpOptionsID: v.dhcp(), InstanceTenancy: v.Tenancy, IsDefault: v.IsDefault}
	a := vpcAssocXML{AssociationID: "vpc-cidr-assoc-" + v.ID[4:], CidrBlock: v.CidrBlock}
	a.State.State = "associated"
	x.Associations = query.Items[vpcAssocXML]{Items: []vpcAssocXML{a}}
	if len(v.Tags) > 0 {
		t := tagSet(v.Tags)
		x.Tags = &t
	}
	return x
}

func (v *vpc) field(name string) []string {
	switch name {
	case "is-default", "isDefault":
		return []string{strconv.FormatBool(v.IsDefault)}
	case "vpc-id":
		return []string{v.ID}
	case "state":
		return []string{"available"}
	case "owner-id":
		return []string{v.Owner}
	case "dhcp-options-id":
		return []string{v.dhcp()}
	case "instance-tenancy":
		return []string{v.Tenancy}
	}
	return []string{v.CidrBlock} // cidr, cidr-block-association.cidr-block
}

var vpcIDPattern = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)

var vpcFilters = knownSet("is-default", "isDefault", "vpc-id", "state", "cidr", "cidr-block-association.cidr-block",
	"owner-id", "dhcp-options-id", "instance-tenancy")

// findVPC returns a VPC of the region by id.
func findVPC(c *call, id string) (*vpc, *apiError) {
	if !vpcIDPattern.MatchString(id) {
		return nil, errf("InvalidVpcID.Malformed", "Invalid id: \"%s\"", id)
	}
	v := c.rs.vpcs[id]
	if v == nil || v.Owner != c.account {
		return nil, errf("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
	}
	return v, nil
}

func (s *Service) describeVpcs(c *call) (any, *apiError) {
	ids := c.v.List("VpcId")
	fs, aerr := parseFilters(c.v, vpcFilters)
	if aerr != nil {
		return nil, aerr
	}
	for _, id := range ids {
		if _, aerr := findVPC(c, id); aerr != nil {
			return nil, aerr
		}
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	var match []string
	for _, id := range slices.Sorted(maps.Keys(c.rs.vpcs)) {
		v := c.rs.vpcs[id]
		if v.Owner != c.account || (len(ids) > 0 && !containsStr(ids, id)) {
			continue
		}
		if matchFilters(fs, v.Tags, v.field) {
			match = append(match, id)
		}
	}
	pageIDs, next, aerr := page(c, match, 5, 1000, 0)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Vpcs      query.Items[vpcXML] `xml:"vpcSet"`
		NextToken string              `xml:"nextToken,omitempty"`
	}{query.Items[vpcXML]{Items: []vpcXML{}}, next}
	for _, id := range pageIDs {
		out.Vpcs.Items = append(out.Vpcs.Items, c.rs.vpcs[id].xml("available"))
	}
	return out, nil
}

func (s *Service) ownedVPCs(c *call) int {
	n := 0
	for _, v := range c.rs.vpcs {
		if v.Owner == c.account {
			n++
		}
	}
	return n
}

func (s *Service) createVpc(c *call) (any, *apiError) {
	cidr := c.v.Get("CidrBlock")
	if cidr == "" {
		return nil, errf("MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.")
	}
	p, ok := parseCidr(cidr)
	if !ok {
		return nil, errf("InvalidParameterValue", "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)
	}
	if p.Bits() < 16 || p.Bits() > 28 {
		return nil, errf("InvalidVpc.Range", "The CIDR '%s' is invalid.", cidr)
	}
	tenancy := c.v.Get("InstanceTenancy")
	switch tenancy {
	case "":
		tenancy = "default"
	case "default", "dedicated":
	default:
		return nil, errf("InvalidParameterValue", "Value (%s) for parameter instanceTenancy is invalid.", tenancy)
	}
	if s.ownedVPCs(c) >= MaxVPCsPerRegion {
		return nil, errf("VpcLimitExceeded", "The maximum number of VPCs has been reached.")
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	v := s.newVPC(c.rs, c.account, cidr, false, tenancy, tagSpecs(c.v, "TagSpecification")["vpc"])
	return struct {
		Vpc vpcXML `xml:"vpc"`
	}{v.xml("pending")}, nil
}

func (s *Service) createDefaultVpc(c *call) (any, *apiError) {
	if v := c.rs.defaultVPC(); v != nil && v.Owner == c.account {
		return nil, errf("DefaultVpcAlreadyExists", "A Default VPC already exists for this account in this region.")
	}
	if s.ownedVPCs(c) >= MaxVPCsPerRegion {
		return nil, errf("VpcLimitExceeded", "The maximum number of VPCs has been reached.")
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	v := s.newDefaultVPC(c.rs, c.account)
	return struct {
		Vpc vpcXML `xml:"vpc"`
	}{v.xml("pending")}, nil
}

func (s *Service) deleteVpc(c *call) (any, *apiError) {
	id := c.v.Get("VpcId")
	if id == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter vpcId")
	}
	v, aerr := findVPC(c, id)
	if aerr != nil {
		return nil, aerr
	}
	dependent := false
	for _, sn := range c.rs.subnets {
		dependent = dependent || sn.VpcID == id
	}
	for _, g := range c.rs.groups {
		dependent = dependent || (g.VpcID == id && g.ID != v.DefaultSGID)
	}
	for _, in := range c.rs.instances {
		dependent = dependent || (in.VpcID == id && in.State != "terminated")
	}
	if dependent {
		return nil, errf("DependencyViolation", "The vpc '%s' has dependencies and cannot be deleted.", id)
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	delete(c.rs.groups, v.DefaultSGID)
	delete(c.rs.vpcs, id)
	return returnTrue{true}, nil
}

// --- Subnets ----------------------------------------------------------------------------

type subnetXML struct {
	SubnetID                string                `xml:"subnetId"`
	SubnetArn               string                `xml:"subnetArn"`
	State                   string                `xml:"state"`
	VpcID                   string                `xml:"vpcId"`
	OwnerID                 string                `xml:"ownerId"`
	CidrBlock               string                `xml:"cidrBlock"`
	Ipv6Associations        query.Items[struct{}] `xml:"ipv6CidrBlockAssociationSet"`
	AvailableIPAddressCount int                   `xml:"availableIpAddressCount"`
	AvailabilityZone        string                `xml:"availabilityZone"`
	AvailabilityZoneID      string                `xml:"availabilityZoneId"`
	DefaultForAz            bool                  `xml:"defaultForAz"`
	MapPublicIPOnLaunch     bool                  `xml:"mapPublicIpOnLaunch"`
	AssignIpv6OnCreation    bool                  `xml:"assignIpv6AddressOnCreation"`
	Ipv6Native              bool                  `xml:"ipv6Native"`
	Tags                    *query.Items[tagXML]  `xml:"tagSet,omitempty"`
}

func (sn *subnet) xml(rs *regionState) subnetXML {
	p, _ := netip.ParsePrefix(sn.CidrBlock)
	used := 0
	for _, in := range rs.instances {
		if in.SubnetID == sn.ID && in.State != "terminated" {
			used++
		}
	}
	x := subnetXML{SubnetID: sn.ID, SubnetArn: fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", rs.name, sn.Owner, sn.ID),
		State: "available", VpcID: sn.VpcID, OwnerID: sn.Owner, CidrBlock: sn.CidrBlock,
		Ipv6Associations:        query.Items[struct{}]{Items: []struct{}{}},
		AvailableIPAddressCount: 1<<(32-p.Bits()) - 5 - used, AvailabilityZone: sn.AZ, AvailabilityZoneID: azID(sn.AZ),
		DefaultForAz: sn.DefaultForAz, MapPublicIPOnLaunch: sn.MapPublicIP}
	if len(sn.Tags) > 0 {
		t := tagSet(sn.Tags)
		x.Tags = &t
	}
	return x
}

func (sn *subnet) field(name string) []string {
	switch name {
	case "subnet-id":
		return []string{sn.ID}
	case "vpc-id":
		return []string{sn.VpcID}
	case "default-for-az", "defaultForAz":
		return []string{strconv.FormatBool(sn.DefaultForAz)}
	case "availability-zone", "availabilityZone":
		return []string{sn.AZ}
	case "availability-zone-id":
		return []string{azID(sn.AZ)}
	case "cidr-block", "cidrBlock", "cidr":
		return []string{sn.CidrBlock}
	case "state":
		return []string{"available"}
	case "owner-id":
		return []string{sn.Owner}
	case "map-public-ip-on-launch":
		return []string{strconv.FormatBool(sn.MapPublicIP)}
	}
	return nil
}

var subnetFilters = knownSet("subnet-id", "vpc-id", "default-for-az", "defaultForAz", "availability-zone", "availabilityZone",
	"availability-zone-id", "cidr-block", "cidrBlock", "cidr", "state", "owner-id", "map-public-ip-on-launch")

// findSubnet returns a subnet of the region by id.
func findSubnet(c *call, id string) (*subnet, *apiError) {
	if !subnetIDPattern.MatchString(id) {
		return nil, errf("InvalidSubnetID.Malformed", "Invalid id: \"%s\" (expecting \"subnet-...\")", id)
	}
	sn := c.rs.subnets[id]
	if sn == nil || sn.Owner != c.account {
		return nil, errf("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
	}
	return sn, nil
}

func (s *Service) createSubnet(c *call) (any, *apiError) {
	vpcID := c.v.Get("VpcId")
	if vpcID == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter vpcId")
	}
	cidr := c.v.Get("CidrBlock")
	if cidr == "" {
		return nil, errf("MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.")
	}
	v, aerr := findVPC(c, vpcID)
	if aerr != nil {
		return nil, aerr
	}
	p, ok := parseCidr(cidr)
	if !ok {
		return nil, errf("InvalidParameterValue", "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)
	}
	vp, _ := netip.ParsePrefix(v.CidrBlock)
	if p.Bits() < 16 || p.Bits() > 28 || p.Bits() < vp.Bits() || !vp.Contains(p.Addr()) {
		return nil, errf("InvalidSubnet.Range", "The CIDR '%s' is invalid.", cidr)
	}
	for _, sn := range c.rs.subnets {
		if sn.VpcID == vpcID {
			if other, _ := netip.ParsePrefix(sn.CidrBlock); overlaps(p, other) {
				return nil, errf("InvalidSubnet.Conflict", "The CIDR '%s' conflicts with another subnet", cidr)
			}
		}
	}
	zones := AvailabilityZones(c.region)
	az := c.v.Get("AvailabilityZone")
	if zid := c.v.Get("AvailabilityZoneId"); az == "" && zid != "" {
		for _, z := range zones {
			if azID(z) == zid {
				az = z
			}
		}
		if az == "" {
			return nil, errf("InvalidParameterValue", "Value (%s) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zones: %s.", zid, strings.Join(zones, ", "))
		}
	}
	if az != "" && !containsStr(zones, az) {
		return nil, errf("InvalidParameterValue", "Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %s.", az, strings.Join(zones, ", "))
	}
	if az == "" { // the zone with the fewest subnets of the VPC, first in order on a tie
		count := map[string]int{}
		for _, sn := range c.rs.subnets {
			if sn.VpcID == vpcID {
				count[sn.AZ]++
			}
		}
		az = zones[0]
		for _, z := range zones {
			if count[z] < count[az] {
				az = z
			}
		}
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	sn := &subnet{ID: newID("subnet"), VpcID: vpcID, Owner: c.account, CidrBlock: cidr, AZ: az,
		Tags: copyTags(tagSpecs(c.v, "TagSpecification")["subnet"])}
	c.rs.subnets[sn.ID] = sn
	x := sn.xml(c.rs)
	x.State = "pending"
	return struct {
		Subnet subnetXML `xml:"subnet"`
	}{x}, nil
}

func (s *Service) describeSubnets(c *call) (any, *apiError) {
	ids := c.v.List("SubnetId")
	fs, aerr := parseFilters(c.v, subnetFilters)
	if aerr != nil {
		return nil, aerr
	}
	for _, id := range ids {
		if _, aerr := findSubnet(c, id); aerr != nil {
			return nil, aerr
		}
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	var match []string
	for _, id := range slices.Sorted(maps.Keys(c.rs.subnets)) {
		sn := c.rs.subnets[id]
		if sn.Owner != c.account || (len(ids) > 0 && !containsStr(ids, id)) {
			continue
		}
		if matchFilters(fs, sn.Tags, sn.field) {
			match = append(match, id)
		}
	}
	pageIDs, next, aerr := page(c, match, 5, 1000, 0)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Subnets   query.Items[subnetXML] `xml:"subnetSet"`
		NextToken string                 `xml:"nextToken,omitempty"`
	}{query.Items[subnetXML]{Items: []subnetXML{}}, next}
	for _, id := range pageIDs {
		out.Subnets.Items = append(out.Subnets.Items, c.rs.subnets[id].xml(c.rs))
	}
	return out, nil
}

func (s *Service) deleteSubnet(c *call) (any, *apiError) {
	id := c.v.Get("SubnetId")
	if id == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter subnetId")
	}
	if _, aerr := findSubnet(c, id); aerr != nil {
		return nil, aerr
	}
	for _, in := range c.rs.instances {
		if in.SubnetID == id && in.State != "terminated" {
			return nil, errf("DependencyViolation", "The subnet '%s' has dependencies and cannot be deleted.", id)
		}
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	delete(c.rs.subnets, id)
	return returnTrue{true}, nil
}

// --- Security groups ----------------------------------------------------------------------

type ipRangeXML struct {
	CidrIP string `xml:"cidrIp"`
}

type groupPairXML struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

type ipPermissionXML struct {
	IPProtocol string                    `xml:"ipProtocol"`
	Groups     query.Items[groupPairXML] `xml:"groups"`
	IPRanges   query.Items[ipRangeXML]   `xml:"ipRanges"`
	Ipv6Ranges query.Items[struct{}]     `xml:"ipv6Ranges"`
	PrefixList query.Items[struct{}]     `xml:"prefixListIds"`
}

type securityGroupXML struct {
	OwnerID     string                       `xml:"ownerId"`
	GroupID     string                       `xml:"groupId"`
	GroupName   string                       `xml:"groupName"`
	Description string                       `xml:"groupDescription"`
	VpcID       string                       `xml:"vpcId"`
	Arn         string                       `xml:"securityGroupArn"`
	Ingress     query.Items[ipPermissionXML] `xml:"ipPermissions"`
	Egress      query.Items[ipPermissionXML] `xml:"ipPermissionsEgress"`
	Tags        *query.Items[tagXML]         `xml:"tagSet,omitempty"`
}

func permission(pairs []groupPairXML, ranges []ipRangeXML) ipPermissionXML {
	return ipPermissionXML{IPProtocol: "-1", Groups: query.Items[groupPairXML]{Items: pairs}, IPRanges: query.Items[ipRangeXML]{Items: ranges},
		Ipv6Ranges: query.Items[struct{}]{Items: []struct{}{}}, PrefixList: query.Items[struct{}]{Items: []struct{}{}}}
}

func (g *securityGroup) arn(region string) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", region, g.Owner, g.ID)
}

// xml answers a group with EC2's initial rules: all egress allowed; the default group also
// lets its own members in.
func (g *securityGroup) xml(region string) securityGroupXML {
	x := securityGroupXML{OwnerID: g.Owner, GroupID: g.ID, GroupName: g.Name, Description: g.Description, VpcID: g.VpcID, Arn: g.arn(region),
		Ingress: query.Items[ipPermissionXML]{Items: []ipPermissionXML{}},
		Egress:  query.Items[ipPermissionXML]{Items: []ipPermissionXML{permission([]groupPairXML{}, []ipRangeXML{{"0.0.0.0/0"}})}}}
	if g.Name == "default" {
		x.Ingress.Items = append(x.Ingress.Items, permission([]groupPairXML{{g.ID, g.Owner}}, []ipRangeXML{}))
	}
	if len(g.Tags) > 0 {
		t := tagSet(g.Tags)
		x.Tags = &t
	}
	return x
}

func (g *securityGroup) field(name string) []string {
	switch name {
	case "group-id":
		return []string{g.ID}
	case "group-name":
		return []string{g.Name}
	case "vpc-id":
		return []string{g.VpcID}
	case "description":
		return []string{g.Description}
	case "owner-id":
		return []string{g.Owner}
	}
	return nil
}

var groupFilters = knownSet("group-id", "group-name", "vpc-id", "description", "owner-id")

// findGroup returns a security group of the region by id.
func findGroup(c *call, id string) (*securityGroup, *apiError) {
	if !groupIDPattern.MatchString(id) {
		return nil, errf("InvalidGroupId.Malformed", "Invalid id: \"%s\" (expecting \"sg-...\")", id)
	}
	g := c.rs.groups[id]
	if g == nil || g.Owner != c.account {
		return nil, errf("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
	}
	return g, nil
}

// findGroupByName returns a group of the default VPC by name (names alone name groups of
// the default VPC only).
func findGroupByName(c *call, name string) (*securityGroup, *apiError) {
	v := c.rs.defaultVPC()
	if v == nil {
		return nil, errf("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.")
	}
	for _, g := range c.rs.groups {
		if g.VpcID == v.ID && g.Name == name && g.Owner == c.account {
			return g, nil
		}
	}
	return nil, errf("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC '%s'", name, v.ID)
}

func (s *Service) createSecurityGroup(c *call) (any, *apiError) {
	name, desc := c.v.Get("GroupName"), c.v.Get("GroupDescription")
	if name == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter groupName")
	}
	if desc == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter groupDescription")
	}
	if strings.HasPrefix(strings.ToLower(name), "sg-") {
		return nil, errf("InvalidParameterValue", "Group names may not be in the format sg-*")
	}
	if len(name) > 255 || len(desc) > 255 {
		return nil, errf("InvalidParameterValue", "Value for parameter groupName or groupDescription is too long: at most 255 characters")
	}
	var v *vpc
	if id := c.v.Get("VpcId"); id != "" {
		var aerr *apiError
		if v, aerr = findVPC(c, id); aerr != nil {
			return nil, aerr
		}
	} else if v = c.rs.defaultVPC(); v == nil {
		return nil, errf("VPCIdNotSpecified", "No default VPC for this user")
	}
	for _, g := range c.rs.groups {
		if g.VpcID == v.ID && g.Name == name {
			return nil, errf("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, v.ID)
		}
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	g := &securityGroup{ID: newID("sg"), Name: name, Description: desc, VpcID: v.ID, Owner: c.account,
		Tags: copyTags(tagSpecs(c.v, "TagSpecification")["security-group"])}
	c.rs.groups[g.ID] = g
	out := struct {
		GroupID string               `xml:"groupId"`
		Tags    *query.Items[tagXML] `xml:"tagSet,omitempty"`
		Arn     string               `xml:"securityGroupArn"`
	}{GroupID: g.ID, Arn: g.arn(c.region)}
	if len(g.Tags) > 0 {
		t := tagSet(g.Tags)
		out.Tags = &t
	}
	return out, nil
}

func (s *Service) describeSecurityGroups(c *call) (any, *apiError) {
	ids := c.v.List("GroupId")
	names := c.v.List("GroupName")
	fs, aerr := parseFilters(c.v, groupFilters)
	if aerr != nil {
		return nil, aerr
	}
	want := map[string]bool{}
	for _, id := range ids {
		g, aerr := findGroup(c, id)
		if aerr != nil {
			return nil, aerr
		}
		want[g.ID] = true
	}
	for _, n := range names {
		g, aerr := findGroupByName(c, n)
		if aerr != nil {
			return nil, aerr
		}
		want[g.ID] = true
	}
	if (len(ids) > 0 || len(names) > 0) && c.v.Has("MaxResults") {
		return nil, errf("InvalidParameterCombination", "The parameter groupIds cannot be used with the parameter maxResults")
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	var match []string
	for _, id := range slices.Sorted(maps.Keys(c.rs.groups)) {
		g := c.rs.groups[id]
		if g.Owner != c.account || (len(want) > 0 && !want[id]) {
			continue
		}
		if matchFilters(fs, g.Tags, g.field) {
			match = append(match, id)
		}
	}
	pageIDs, next, aerr := page(c, match, 5, 1000, 0)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Groups    query.Items[securityGroupXML] `xml:"securityGroupInfo"`
		NextToken string                        `xml:"nextToken,omitempty"`
	}{query.Items[securityGroupXML]{Items: []securityGroupXML{}}, next}
	for _, id := range pageIDs {
		out.Groups.Items = append(out.Groups.Items, c.rs.groups[id].xml(c.region))
	}
	return out, nil
}

func (s *Service) deleteSecurityGroup(c *call) (any, *apiError) {
	var g *securityGroup
	var aerr *apiError
	switch id, name := c.v.Get("GroupId"), c.v.Get("GroupName"); {
	case id != "":
		g, aerr = findGroup(c, id)
	case name != "":
		g, aerr = findGroupByName(c, name)
	default:
		return nil, errf("MissingParameter", "The request must contain the parameter groupName or groupId")
	}
	if aerr != nil {
		return nil, aerr
	}
	if v := c.rs.vpcs[g.VpcID]; v != nil && v.DefaultSGID == g.ID {
		return nil, errf("CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", g.ID)
	}
	for _, in := range c.rs.instances {
		if in.State != "terminated" && containsStr(in.GroupIDs, g.ID) {
			return nil, errf("DependencyViolation", "resource %s has a dependent object", g.ID)
		}
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	delete(c.rs.groups, g.ID)
	return struct {
		Return  bool   `xml:"return"`
		GroupID string `xml:"groupId"`
	}{true, g.ID}, nil
}

// ipInSubnet is the n-th address EC2 hands out in a subnet (the first four are reserved).
func ipInSubnet(cidr string, n int) string {
	p, _ := netip.ParsePrefix(cidr)
	a := p.Addr().As4()
	v := binary.BigEndian.Uint32(a[:]) + uint32(4+n)
	binary.BigEndian.PutUint32(a[:], v)
	return netip.AddrFrom4(a).String()
}
