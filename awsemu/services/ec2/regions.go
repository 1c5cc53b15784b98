package ec2

import (
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
