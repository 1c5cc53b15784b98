//go:build conformance

package conformance_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/awsemu/services/autoscaling"
	"github.com/winami/winami/awsemu/services/ec2"
)

// startAutoScaling serves awsemu's EC2 (for launch templates) and Auto Scaling.
func startAutoScaling(t *testing.T) string {
	t.Helper()
	srv := awsemu.NewServer()
	ec2.New(srv, seed.Images())
	autoscaling.New(srv)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv.URL()
}

type cliGroup struct {
	AutoScalingGroupName    string
	LaunchConfigurationName string
	MinSize, MaxSize        int
	AvailabilityZones       []string
	LaunchTemplate          *struct{ LaunchTemplateName, Version string }
	MixedInstancesPolicy    *struct {
		LaunchTemplate struct {
			LaunchTemplateSpecification struct{ LaunchTemplateName, Version string }
			Overrides                   []struct{ InstanceType, ImageId string }
		}
	}
}

// autoScalingScenario drives the operations prune relies on with the AWS CLI (botocore
// parses every answer with the official model) and records what it observes.
func autoScalingScenario(t *testing.T, endpoint string) *record {
	const region = "us-east-1"
	r := &record{}
	const ami = "ami-0123456789abcdef0"
	awstest.CLIJSON(t, endpoint, region, nil, "ec2", "create-launch-template", "--launch-template-name", "nodes",
		"--launch-template-data", `{"InstanceType":"m5.large"}`)
	awstest.CLIJSON(t, endpoint, region, nil, "autoscaling", "create-launch-configuration", "--launch-configuration-name", "legacy",
		"--image-id", ami, "--instance-type", "m5.large")
	code := outcome(t, endpoint, region, "autoscaling", "create-launch-configuration", "--launch-configuration-name", "legacy",
		"--image-id", ami, "--instance-type", "m5.large")
	r.add("duplicate launch configuration: %s", code)
	awstest.CLIJSON(t, endpoint, region, nil, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "a-legacy",
		"--launch-configuration-name", "legacy", "--min-size", "0", "--max-size", "2", "--availability-zones", "us-east-1a")
	awstest.CLIJSON(t, endpoint, region, nil, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "b-template",
		"--launch-template", "LaunchTemplateName=nodes,Version=$Latest", "--min-size", "0", "--max-size", "3", "--availability-zones", "us-east-1a")
	awstest.CLIJSON(t, endpoint, region, nil, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "c-mixed",
		"--mixed-instances-policy", `{"LaunchTemplate":{"LaunchTemplateSpecification":{"LaunchTemplateName":"nodes","Version":"$Default"},"Overrides":[{"InstanceType":"m6i.large"},{"InstanceType":"m5.large"}]}}`,
		"--min-size", "0", "--max-size", "4", "--availability-zones", "us-east-1a")
	code = outcome(t, endpoint, region, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "d-nowhere",
		"--launch-configuration-name", "legacy", "--min-size", "0", "--max-size", "1")
	r.add("group without zones: %s", code)
	// The same settings again, so that moto (which overwrites the group) and awsemu still agree
	// on the group below.
	code = outcome(t, endpoint, region, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "a-legacy",
		"--launch-configuration-name", "legacy", "--min-size", "0", "--max-size", "2", "--availability-zones", "us-east-1a")
	r.add("duplicate group: %s", code)

	// One group a page: the CLI follows NextToken.
	var groups struct{ AutoScalingGroups []cliGroup }
	awstest.CLIJSON(t, endpoint, region, &groups, "autoscaling", "describe-auto-scaling-groups", "--page-size", "1")
	var names []string
	for _, g := range groups.AutoScalingGroups {
		names = append(names, g.AutoScalingGroupName)
		line := g.AutoScalingGroupName + " min " + itoa(g.MinSize) + " max " + itoa(g.MaxSize) + " zones " + strings.Join(g.AvailabilityZones, ",")
		if g.LaunchConfigurationName != "" {
			line += " lc " + g.LaunchConfigurationName
		}
		if g.LaunchTemplate != nil {
			line += " lt " + g.LaunchTemplate.LaunchTemplateName + ":" + g.LaunchTemplate.Version
		}
		if m := g.MixedInstancesPolicy; m != nil {
			line += " mixed " + m.LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateName + ":" + m.LaunchTemplate.LaunchTemplateSpecification.Version
			for _, o := range m.LaunchTemplate.Overrides {
				line += " " + o.InstanceType
			}
		}
		r.add("group: %s", line)
	}
	r.add("groups paged: %s", sorted(names))
	var one struct{ AutoScalingGroups []cliGroup }
	awstest.CLIJSON(t, endpoint, region, &one, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "c-mixed")
	r.add("by name: %d", len(one.AutoScalingGroups))

	var lcs struct {
		LaunchConfigurations []struct{ LaunchConfigurationName, ImageId, InstanceType string }
	}
	awstest.CLIJSON(t, endpoint, region, &lcs, "autoscaling", "describe-launch-configurations")
	for _, lc := range lcs.LaunchConfigurations {
		r.add("launch configuration: %s %s %s", lc.LaunchConfigurationName, lc.ImageId, lc.InstanceType)
	}
	awstest.CLIJSON(t, endpoint, region, nil, "autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", "a-legacy")
	awstest.CLIJSON(t, endpoint, region, nil, "autoscaling", "delete-launch-configuration", "--launch-configuration-name", "legacy")
	awstest.CLIJSON(t, endpoint, region, &lcs, "autoscaling", "describe-launch-configurations")
	r.add("launch configurations after delete: %d", len(lcs.LaunchConfigurations))
	awstest.CLIJSON(t, endpoint, region, &groups, "autoscaling", "describe-auto-scaling-groups")
	r.add("groups after delete: %d", len(groups.AutoScalingGroups))
	return r
}

var errorCodeRE = regexp.MustCompile(`\(([A-Za-z.]+)\) when calling`)

// outcome runs the AWS CLI and returns "ok" or the error code it reports.
func outcome(t *testing.T, endpoint, region string, args ...string) string {
	t.Helper()
	_, stderr, code := awstest.AWSCLI(t, endpoint, region, args...)
	if code == 0 {
		return "ok"
	}
	if m := errorCodeRE.FindSubmatch(stderr); m != nil {
		return string(m[1])
	}
	return "exit " + strconv.Itoa(code)
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestAutoScalingWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	r := autoScalingScenario(t, startAutoScaling(t))
	want := []string{
		"duplicate launch configuration: AlreadyExists",
		"group without zones: ValidationError",
		"duplicate group: AlreadyExists",
		"group: a-legacy min 0 max 2 zones us-east-1a lc legacy",
		"group: b-template min 0 max 3 zones us-east-1a lt nodes:$Latest",
		"group: c-mixed min 0 max 4 zones us-east-1a mixed nodes:$Default m6i.large m5.large",
		"groups paged: [a-legacy b-template c-mixed]",
		"by name: 1",
		"launch configuration: legacy ami-0123456789abcdef0 m5.large",
		"launch configurations after delete: 0",
		"groups after delete: 2",
	}
	if got := strings.Join(r.lines, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("scenario:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestAutoScalingAgainstMoto(t *testing.T) {
	t.Parallel()
	moto := awstest.StartMoto(t)
	emu := autoScalingScenario(t, startAutoScaling(t))
	mot := autoScalingScenario(t, moto)
	compareRecords(t, emu, mot, "duplicate launch configuration", "duplicate group")
}
