package ec2

import (
	"regexp"
	"strconv"

	"github.com/winami/winami/awsemu/protocol/query"
)

// regionInfo is one region of DescribeRegions.
type regionInfo struct {
	name  string
	optIn string // opt-in-not-required, opted-in, not-opted-in
}

// Regions is the fixed list of regions DescribeRegions answers: the regions enabled by
// default, then the opt-in regions (listed only with AllRegions).
var regions = []regionInfo{
	{"ap-northeast-1", "opt-in-not-required"}, {"ap-northeast-2", "opt-in-not-required"},
	{"ap-northeast-3", "opt-in-not-required"}, {"ap-south-1", "opt-in-not-required"},
	{"ap-southeast-1", "opt-in-not-required"}, {"ap-southeast-2", "opt-in-not-required"},
	{"ca-central-1", "opt-in-not-required"}, {"eu-central-1", "opt-in-not-required"},
	{"eu-north-1", "opt-in-not-required"}, {"eu-west-1", "opt-in-not-required"},
	{"eu-west-2", "opt-in-not-required"}, {"eu-west-3", "opt-in-not-required"},
	{"sa-east-1", "opt-in-not-required"}, {"us-east-1", "opt-in-not-required"},
	{"us-east-2", "opt-in-not-required"}, {"us-west-1", "opt-in-not-required"},
	{"us-west-2", "opt-in-not-required"},
	{"af-south-1", "not-opted-in"}, {"ap-east-1", "not-opted-in"}, {"ap-south-2", "not-opted-in"},
	{"ap-southeast-3", "not-opted-in"}, {"ap-southeast-4", "not-opted-in"}, {"ca-west-1", "not-opted-in"},
	{"eu-central-2", "not-opted-in"}, {"eu-south-1", "not-opted-in"}, {"eu-south-2", "not-opted-in"},
	{"il-central-1", "not-opted-in"}, {"me-central-1", "not-opted-in"}, {"me-south-1", "not-opted-in"},
}

// RegionNames lists the regions enabled by default (those DescribeRegions answers
// without AllRegions), sorted.
func RegionNames() []string {
	var out []string
	for _, r := range regions {
		if r.optIn != "not-opted-in" {
			out = append(out, r.name)
		}
	}
	return out
}

var regionFilters = knownSet("region-name", "opt-in-status", "endpoint")

func (s *Service) describeRegions(c *call) (any, *apiError) {
	names := c.v.List("RegionName")
	all, _ := c.v.Bool("AllRegions")
	fs, aerr := parseFilters(c.v, regionFilters)
	if aerr != nil {
		return nil, aerr
	}
	for _, n := range names {
		found := false
		for _, r := range regions {
			found = found || r.name == n
		}
		if !found {
			return nil, errf("InvalidParameterValue", "Invalid region: %s", n)
		}
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	type regionXML struct {
		Name     string `xml:"regionName"`
		Endpoint string `xml:"regionEndpoint"`
		OptIn    string `xml:"optInStatus"`
	}
	out := struct {
		Regions query.Items[regionXML] `xml:"regionInfo"`
	}{query.Items[regionXML]{Items: []regionXML{}}}
	for _, r := range regions {
		if len(names) > 0 && !containsStr(names, r.name) {
			continue
		}
		if len(names) == 0 && !all && r.optIn == "not-opted-in" {
			continue
		}
		endpoint := "ec2." + r.name + ".amazonaws.com"
		if !matchFilters(fs, nil, func(n string) []string {
			switch n {
			case "region-name":
				return []string{r.name}
			case "opt-in-status":
				return []string{r.optIn}
			}
			return []string{endpoint}
		}) {
			continue
		}
		out.Regions.Items = append(out.Regions.Items, regionXML{r.name, endpoint, r.optIn})
	}
	return out, nil
}

var vpcIDPattern = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)

var vpcFilters = knownSet("is-default", "isDefault", "vpc-id", "state", "cidr", "cidr-block-association.cidr-block", "owner-id", "dhcp-options-id")

func (s *Service) describeVpcs(c *call) (any, *apiError) {
	ids := c.v.List("VpcId")
	fs, aerr := parseFilters(c.v, vpcFilters)
	if aerr != nil {
		return nil, aerr
	}
	for _, id := range ids {
		if !vpcIDPattern.MatchString(id) {
			return nil, errf("InvalidVpcID.Malformed", "Invalid id: \"%s\"", id)
		}
		if id != c.rs.vpc.ID {
			return nil, errf("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
		}
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	if _, _, aerr := page(c, nil, 5, 1000, 0); aerr != nil {
		return nil, aerr
	}
	v := c.rs.vpc
	type assocXML struct {
		AssociationID string `xml:"associationId"`
		CidrBlock     string `xml:"cidrBlock"`
		State         struct {
			State string `xml:"state"`
		} `xml:"cidrBlockState"`
	}
	type vpcXML struct {
		VpcID           string                `xml:"vpcId"`
		OwnerID         string                `xml:"ownerId"`
		State           string                `xml:"state"`
		CidrBlock       string                `xml:"cidrBlock"`
		Associations    query.Items[assocXML] `xml:"cidrBlockAssociationSet"`
		DhcpOptionsID   string                `xml:"dhcpOptionsId"`
		InstanceTenancy string                `xml:"instanceTenancy"`
		IsDefault       bool                  `xml:"isDefault"`
		Tags            *query.Items[tagXML]  `xml:"tagSet,omitempty"`
	}
	out := struct {
		Vpcs query.Items[vpcXML] `xml:"vpcSet"`
	}{query.Items[vpcXML]{Items: []vpcXML{}}}
	dhcp := "dopt-" + v.ID[4:]
	ok := matchFilters(fs, v.Tags, func(n string) []string {
		switch n {
		case "is-default", "isDefault":
			return []string{strconv.FormatBool(true)}
		case "vpc-id":
			return []string{v.ID}
		case "state":
			return []string{"available"}
		case "owner-id":
			return []string{v.Owner}
		case "dhcp-options-id":
			return []string{dhcp}
		}
		return []string{"172.31.0.0/16"}
	})
	if ok {
		x := vpcXML{VpcID: v.ID, OwnerID: v.Owner, State: "available", CidrBlock: "172.31.0.0/16",
			DhcpOptionsID: dhcp, InstanceTenancy: "default", IsDefault: true}
		a := assocXML{AssociationID: "vpc-cidr-assoc-" + v.ID[4:], CidrBlock: "172.31.0.0/16"}
		a.State.State = "associated"
		x.Associations = query.Items[assocXML]{Items: []assocXML{a}}
		if len(v.Tags) > 0 {
			t := tagSet(v.Tags)
			x.Tags = &t
		}
		out.Vpcs.Items = append(out.Vpcs.Items, x)
	}
	return out, nil
}
