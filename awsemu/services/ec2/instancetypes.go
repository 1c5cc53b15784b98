package ec2

import (
	"sort"
	"strconv"
	"strings"

	"github.com/winami/winami/awsemu/protocol/query"
)

// instanceTypeInfo is one row of the instance type table DescribeInstanceTypes answers.
type instanceTypeInfo struct {
	name           string
	vcpus          int
	cores          int
	threadsPerCore int
	memoryMiB      int
}

// instanceTypes are the types DescribeInstanceTypes knows: the burstable t3 family Fast
// Launch uses, and the general-purpose, compute and memory types Windows nodes and
// Image Builder builds commonly run on. vCPUs, cores, threads and memory are AWS's
// published values (the same as moto's instance type data).
var instanceTypes = []instanceTypeInfo{
	{"m1.small", 1, 1, 1, 1740},
	{"t3.micro", 2, 1, 2, 1024}, {"t3.small", 2, 1, 2, 2048}, {"t3.medium", 2, 1, 2, 4096},
	{"t3.large", 2, 1, 2, 8192}, {"t3.xlarge", 4, 2, 2, 16384}, {"t3.2xlarge", 8, 4, 2, 32768},
	{"t3a.large", 2, 1, 2, 8192}, {"t3a.xlarge", 4, 2, 2, 16384}, {"t3a.2xlarge", 8, 4, 2, 32768},
	{"m5.large", 2, 1, 2, 8192}, {"m5.xlarge", 4, 2, 2, 16384}, {"m5.2xlarge", 8, 4, 2, 32768},
	{"m5.4xlarge", 16, 8, 2, 65536}, {"m5a.xlarge", 4, 2, 2, 16384}, {"m5a.2xlarge", 8, 4, 2, 32768},
	{"m6i.large", 2, 1, 2, 8192}, {"m6i.xlarge", 4, 2, 2, 16384}, {"m6i.2xlarge", 8, 4, 2, 32768},
	{"m6i.4xlarge", 16, 8, 2, 65536}, {"m6a.xlarge", 4, 2, 2, 16384}, {"m6a.2xlarge", 8, 4, 2, 32768},
	{"m7i.large", 2, 1, 2, 8192}, {"m7i.xlarge", 4, 2, 2, 16384}, {"m7i.2xlarge", 8, 4, 2, 32768},
	{"m7i.4xlarge", 16, 8, 2, 65536},
	{"c5.large", 2, 1, 2, 4096}, {"c5.xlarge", 4, 2, 2, 8192}, {"c5.2xlarge", 8, 4, 2, 16384},
	{"c5.4xlarge", 16, 8, 2, 32768}, {"c6i.large", 2, 1, 2, 4096}, {"c6i.xlarge", 4, 2, 2, 8192},
	{"c6i.2xlarge", 8, 4, 2, 16384}, {"c6i.4xlarge", 16, 8, 2, 32768}, {"c7i.xlarge", 4, 2, 2, 8192},
	{"c7i.2xlarge", 8, 4, 2, 16384},
	{"r5.large", 2, 1, 2, 16384}, {"r5.xlarge", 4, 2, 2, 32768}, {"r5.2xlarge", 8, 4, 2, 65536},
	{"r6i.large", 2, 1, 2, 16384}, {"r6i.xlarge", 4, 2, 2, 32768}, {"r6i.2xlarge", 8, 4, 2, 65536},
}

var instanceTypeFilters = knownSet("instance-type", "vcpu-info.default-vcpus", "current-generation", "memory-info.size-in-mib")

func (s *Service) describeInstanceTypes(c *call) (any, *apiError) {
	names := c.v.List("InstanceType")
	if len(names) > 100 {
		return nil, errf("InvalidParameterValue", "The maximum number of instance types is 100")
	}
	byName := map[string]instanceTypeInfo{}
	for _, t := range instanceTypes {
		byName[t.name] = t
	}
	var unknown []string
	for _, n := range names {
		if _, ok := byName[n]; !ok {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, errf("InvalidInstanceType", "The following supplied instance types do not exist: [%s]", strings.Join(unknown, ", "))
	}
	fs, aerr := parseFilters(c.v, instanceTypeFilters)
	if aerr != nil {
		return nil, aerr
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	var match []string
	for _, t := range instanceTypes {
		if len(names) > 0 && !containsStr(names, t.name) {
			continue
		}
		if !matchFilters(fs, nil, func(n string) []string {
			switch n {
			case "instance-type":
				return []string{t.name}
			case "vcpu-info.default-vcpus":
				return []string{strconv.Itoa(t.vcpus)}
			case "memory-info.size-in-mib":
				return []string{strconv.Itoa(t.memoryMiB)}
			}
			return []string{strconv.FormatBool(t.name != "m1.small")}
		}) {
			continue
		}
		match = append(match, t.name)
	}
	sort.Strings(match)
	ids, next, aerr := page(c, match, 5, 100, 0)
	if aerr != nil {
		return nil, aerr
	}
	type vcpuXML struct {
		DefaultVCpus          int `xml:"defaultVCpus"`
		DefaultCores          int `xml:"defaultCores"`
		DefaultThreadsPerCore int `xml:"defaultThreadsPerCore"`
	}
	type memoryXML struct {
		SizeInMiB int `xml:"sizeInMiB"`
	}
	type typeXML struct {
		InstanceType      string    `xml:"instanceType"`
		CurrentGeneration bool      `xml:"currentGeneration"`
		VCpuInfo          vcpuXML   `xml:"vCpuInfo"`
		MemoryInfo        memoryXML `xml:"memoryInfo"`
	}
	out := struct {
		Types     query.Items[typeXML] `xml:"instanceTypeSet"`
		NextToken string               `xml:"nextToken,omitempty"`
	}{Types: query.Items[typeXML]{Items: []typeXML{}}, NextToken: next}
	for _, id := range ids {
		t := byName[id]
		out.Types.Items = append(out.Types.Items, typeXML{
			InstanceType: t.name, CurrentGeneration: t.name != "m1.small",
			VCpuInfo:   vcpuXML{t.vcpus, t.cores, t.threadsPerCore},
			MemoryInfo: memoryXML{t.memoryMiB},
		})
	}
	return out, nil
}
