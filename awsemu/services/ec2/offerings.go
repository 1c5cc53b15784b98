package ec2

import (
	"sort"

	"github.com/winami/winami/awsemu/protocol/query"
)

// Instance type offerings: which of the types of instanceTypes EC2 offers in which Region
// and Availability Zone, as DescribeInstanceTypeOfferings answers them.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypeOfferings.html
//
// A type is offered in a Region unless notOfferedInRegion lists it there, and in a zone
// of that Region unless notOfferedInZone lists it for the zone. Both tables are what EC2
// answered in each Region for the types of the table, as moto 5.2.1 captured it
// (moto/ec2/resources/instance_type_offerings), with the zones mapped by position onto
// awsemu's zones (AvailabilityZones: real accounts see some Regions' zones under other
// letters, e.g. ap-northeast-1a/c/d). The holes are real: us-east-1e offers none of the
// current types of the table, m6i is not offered in ap-southeast-4 or eu-south-2, the
// t3a/m5a/m6a AMD types are missing from several Regions, and m1.small (RunInstances'
// default) only from the older Regions.
var notOfferedInRegion = map[string][]string{
	"ap-northeast-2": {"m1.small", "m6a.xlarge", "m6a.2xlarge"},
	"ap-northeast-3": {"m1.small", "t3a.large", "t3a.xlarge", "t3a.2xlarge", "m5a.xlarge", "m5a.2xlarge", "m6a.xlarge", "m6a.2xlarge"},
	"ap-south-1":     {"m1.small"},
	"ca-central-1":   {"m1.small"},
	"eu-central-1":   {"m1.small"},
	"eu-north-1":     {"m1.small", "t3a.large", "t3a.xlarge", "t3a.2xlarge", "m5a.xlarge", "m5a.2xlarge", "m6a.xlarge", "m6a.2xlarge"},
	"eu-west-2":      {"m1.small"},
	"eu-west-3":      {"m1.small"},
	"us-east-2":      {"m1.small"},
	"af-south-1":     {"m1.small", "t3a.large", "t3a.xlarge", "t3a.2xlarge", "m5a.xlarge", "m5a.2xlarge", "m6a.xlarge", "m6a.2xlarge"},
	"ap-east-1":      {"m1.small", "t3a.large", "t3a.xlarge", "t3a.2xlarge", "m5a.xlarge", "m5a.2xlarge", "m6a.xlarge", "m6a.2xlarge"},
	"ap-south-2":     {"m1.small", "t3a.large", "t3a.xlarge", "t3a.2xlarge", "m5a.xlarge", "m5a.2xlarge", "m7i.large", "m7i.xlarge", "m7i.2xlarge", "m7i.4xlarge"},
	"ap-southeast-3": {"m1.small", "t3a.large", "t3a.xlarge", "t3a.2xlarge", "m5a.xlarge", "m5a.2xlarge", "m6a.xlarge", "m6a.2xlarge", "c6i.large", "c6i.xlarge", "c6i.2xlarge", "c6i.4xlarge", "r6i.large", "r6i.xlarge", "r6i.2xlarge"},
	"ap-southeast-4": {"m1.small", "t3a.large", "t3a.xlarge", "t3a.2xlarge", "m5a.xlarge", "m5a.2xlarge", "m6i.large", "m6i.xlarge", "m6i.2xlarge", "m6i.4xlarge", "m6a.xlarge", "m6a.2xlarge", "c6i.large", "c6i.xlarge", "c6i.2xlarge", "c6i.4xlarge", "r6i.large", "r6i.xlarge", "r6i.2xlarge"},
	"ca-west-1":      {"m1.small", "t3a.large", "t3a.xlarge", "t3a.2xlarge", "m5a.xlarge", "m5a.2xlarge", "m6a.xlarge", "m6a.2xlarge", "m7i.large", "m7i.xlarge", "m7i.2xlarge", "m7i.4xlarge", "c7i.xlarge", "c7i.2xlarge"},
	"eu-central-2":   {"m1.small", "t3a.large", "t3a.xlarge", "t3a.2xlarge", "m5a.xlarge", "m5a.2xlarge", "m6a.xlarge", "m6a.2xlarge", "c6i.large", "c6i.xlarge", "c6i.2xlarge", "c6i.4xlarge"},
	"eu-south-1":     {"m1.small", "c7i.xlarge", "c7i.2xlarge"},
	"eu-south-2":     {"m1.small", "t3a.large", "t3a.xlarge", "t3a.2xlarge", "m5a.xlarge", "m5a.2xlarge", "m6i.large", "m6i.xlarge", "m6i.2xlarge", "m6i.4xlarge", "m6a.xlarge", "m6a.2xlarge", "c6i.large", "c6i.xlarge", "c6i.2xlarge", "c6i.4xlarge", "r6i.large", "r6i.xlarge", "r6i.2xlarge"},
	"il-central-1":   {"m1.small", "m5a.xlarge", "m5a.2xlarge", "m6a.xlarge", "m6a.2xlarge", "c7i.xlarge", "c7i.2xlarge"},
	"me-central-1":   {"m1.small", "t3.micro", "t3.small", "t3.medium", "t3.large", "t3.xlarge", "t3.2xlarge", "t3a.large", "t3a.xlarge", "t3a.2xlarge", "m5a.xlarge", "m5a.2xlarge", "m6a.xlarge", "m6a.2xlarge", "c6i.large", "c6i.xlarge", "c6i.2xlarge", "c6i.4xlarge"},
	"me-south-1":     {"m1.small", "t3a.large", "t3a.xlarge", "t3a.2xlarge", "m5a.xlarge", "m5a.2xlarge", "m6a.xlarge", "m6a.2xlarge", "m7i.large", "m7i.xlarge", "m7i.2xlarge", "m7i.4xlarge", "c7i.xlarge", "c7i.2xlarge"},
}

// notOfferedInZone lists, per zone, the types its Region offers that the zone does not.
var notOfferedInZone = map[string][]string{
	"ap-northeast-1b": {"t3a.large", "t3a.xlarge", "t3a.2xlarge"},
	"ap-northeast-1c": {"m1.small"},
	"ap-northeast-2b": {"t3a.large", "t3a.xlarge", "t3a.2xlarge", "m5a.xlarge", "m5a.2xlarge"},
	"ap-southeast-1c": {"m1.small"},
	"ap-southeast-2c": {"m1.small"},
	"ca-central-1c":   {"t3a.large", "t3a.xlarge", "t3a.2xlarge"},
	"sa-east-1b":      {"m1.small"},
	"sa-east-1c":      {"m1.small"},
	// us-east-1e is an older zone that offers none of the table's types but a few it does
	// not list; launching there is how accounts meet "not supported in your requested
	// Availability Zone".
	"us-east-1e": {"m1.small", "t3.micro", "t3.small", "t3.medium", "t3.large", "t3.xlarge", "t3.2xlarge",
		"t3a.large", "t3a.xlarge", "t3a.2xlarge", "m5.large", "m5.xlarge", "m5.2xlarge", "m5.4xlarge", "m5a.xlarge",
		"m5a.2xlarge", "m6i.large", "m6i.xlarge", "m6i.2xlarge", "m6i.4xlarge", "m6a.xlarge", "m6a.2xlarge", "m7i.large",
		"m7i.xlarge", "m7i.2xlarge", "m7i.4xlarge", "c5.large", "c5.xlarge", "c5.2xlarge", "c5.4xlarge", "c6i.large",
		"c6i.xlarge", "c6i.2xlarge", "c6i.4xlarge", "c7i.xlarge", "c7i.2xlarge", "r5.large", "r5.xlarge", "r5.2xlarge",
		"r6i.large", "r6i.xlarge", "r6i.2xlarge"},
	"us-east-1f": {"m1.small"},
	"us-west-2d": {"m1.small"},
}

// knownRegion reports whether awsemu lists region in DescribeRegions (with AllRegions).
func knownRegion(region string) bool {
	for _, r := range regions {
		if r.name == region {
			return true
		}
	}
	return false
}

// offeredInRegion reports whether EC2 offers instanceType in region: a type of the table
// not listed as missing there. Regions awsemu does not list offer nothing.
func offeredInRegion(region, instanceType string) bool {
	if !knownRegion(region) || !knownInstanceType(instanceType) {
		return false
	}
	return !containsStr(notOfferedInRegion[region], instanceType)
}

// offeredInZone reports whether EC2 offers instanceType in the availability zone az of region.
func offeredInZone(region, az, instanceType string) bool {
	if !offeredInRegion(region, instanceType) || !containsStr(AvailabilityZones(region), az) {
		return false
	}
	return !containsStr(notOfferedInZone[az], instanceType)
}

func knownInstanceType(name string) bool {
	for _, t := range instanceTypes {
		if t.name == name {
			return true
		}
	}
	return false
}

// InstanceTypeOffered reports whether EC2 offers instanceType in region, and in the
// availability zone az (a zone name such as us-east-1e) when az is not empty: what
// DescribeInstanceTypeOfferings answers with LocationType region or availability-zone.
// It implements part of awsemu.EC2Store.
func (s *Service) InstanceTypeOffered(region, az, instanceType string) bool {
	if az == "" {
		return offeredInRegion(region, instanceType)
	}
	return offeredInZone(region, az, instanceType)
}

// OfferingZones lists the zones of region that offer instanceType, sorted (empty when the
// Region does not offer it).
func OfferingZones(region, instanceType string) []string {
	var out []string
	for _, az := range AvailabilityZones(region) {
		if offeredInZone(region, az, instanceType) {
			out = append(out, az)
		}
	}
	return out
}

// locationTypes are the values of LocationType; outpost is accepted and answers nothing
// (no Outposts exist in awsemu).
var locationTypes = []string{"region", "availability-zone", "availability-zone-id", "outpost"}

var offeringFilters = knownSet("instance-type", "location")

type offeringXML struct {
	InstanceType string `xml:"instanceType"`
	LocationType string `xml:"locationType"`
	Location     string `xml:"location"`
}

// describeInstanceTypeOfferings answers DescribeInstanceTypeOfferings: the offerings of the
// request's Region at the requested LocationType (region by default), filtered by
// instance-type and location (values are case-sensitive and take * and ? wildcards),
// paged by MaxResults (5–1000, as the API reference's DITOMaxResults bounds it).
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypeOfferings.html
func (s *Service) describeInstanceTypeOfferings(c *call) (any, *apiError) {
	lt := c.v.Get("LocationType")
	if lt == "" {
		lt = "region"
	}
	if !containsStr(locationTypes, lt) {
		// The message is awsemu's (DIFFERENCES.md): EC2 does not document it.
		return nil, errf("InvalidParameterValue", "Value (%s) for parameter locationType is invalid. Valid values are region, availability-zone, availability-zone-id, outpost.", lt)
	}
	fs, aerr := parseFilters(c.v, offeringFilters)
	if aerr != nil {
		return nil, aerr
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	var all []offeringXML
	switch lt {
	case "region":
		for _, t := range instanceTypes {
			if offeredInRegion(c.region, t.name) {
				all = append(all, offeringXML{t.name, lt, c.region})
			}
		}
	case "availability-zone", "availability-zone-id":
		for _, az := range AvailabilityZones(c.region) {
			loc := az
			if lt == "availability-zone-id" {
				loc = azID(az)
			}
			for _, t := range instanceTypes {
				if offeredInZone(c.region, az, t.name) {
					all = append(all, offeringXML{t.name, lt, loc})
				}
			}
		}
	}
	byKey := map[string]offeringXML{}
	var keys []string
	for _, o := range all {
		if !matchFilters(fs, nil, func(n string) []string {
			if n == "location" {
				return []string{o.Location}
			}
			return []string{o.InstanceType}
		}) {
			continue
		}
		k := o.Location + "/" + o.InstanceType
		byKey[k] = o
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pageKeys, next, aerr := page(c, keys, 5, 1000, 0)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Offerings query.Items[offeringXML] `xml:"instanceTypeOfferingSet"`
		NextToken string                   `xml:"nextToken,omitempty"`
	}{Offerings: query.Items[offeringXML]{Items: []offeringXML{}}, NextToken: next}
	for _, k := range pageKeys {
		out.Offerings.Items = append(out.Offerings.Items, byKey[k])
	}
	return out, nil
}
