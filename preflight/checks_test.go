package preflight_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/check"
	ibuilder "github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/preflight"
)

// The tests of the build preflight's checks: each fails alone on a spec with its problem,
// with its message and fix, and passes on the base spec (TestDoctorAllPass).

// withBuild adds lines to spec.build (after instanceProfile).
func withBuild(lines ...string) []string {
	return []string{"PROFILE", "EC2InstanceProfileForImageBuilder\n    " + strings.Join(lines, "\n    ")}
}

func checkNamed(t *testing.T, checks []check.Check, name string) check.Check {
	t.Helper()
	for _, c := range checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", name, checks)
	return check.Check{}
}

func TestInstanceTypeTypo(t *testing.T) {
	w := newDocWorld(t)
	c := onlyFailure(t, w.run(t, loadSpec(t, withBuild("instanceTypes: [m6i.2xlargee]")...)), preflight.CheckInstanceTypes)
	if c.Message != "m6i.2xlargee is not an EC2 instance type" || !strings.Contains(c.Fix, "spec.build.instanceTypes") {
		t.Errorf("typo: %+v", c)
	}
	// A typo fails even when another type of the list is fine.
	c = onlyFailure(t, w.run(t, loadSpec(t, withBuild("instanceTypes: [m6i.2xlarge, m6i.2xlargee]")...)), preflight.CheckInstanceTypes)
	if !strings.Contains(c.Message, "m6i.2xlargee is not an EC2 instance type") {
		t.Errorf("typo among good types: %+v", c)
	}
}

// zoneSubnet is the default subnet of us-east-1 in zone.
func (w *docWorld) zoneSubnet(t *testing.T, zone string) string {
	t.Helper()
	out, err := w.ec2In("us-east-1").DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
		{Name: aws.String("availability-zone"), Values: []string{zone}}, {Name: aws.String("default-for-az"), Values: []string{"true"}}}})
	if err != nil || len(out.Subnets) == 0 {
		t.Fatalf("default subnet of %s: %v %+v", zone, err, out)
	}
	return aws.ToString(out.Subnets[0].SubnetId)
}

// TestInstanceTypeNotInSubnetZone: us-east-1e offers none of the current types (a real
// hole of EC2's offerings): a build subnet there fails, one in us-east-1a passes; a list
// with one type the zone lacks and one it has only warns.
func TestInstanceTypeNotInSubnetZone(t *testing.T) {
	w := newDocWorld(t)
	e := w.zoneSubnet(t, "us-east-1e")
	c := onlyFailure(t, w.run(t, loadSpec(t, withBuild("subnetId: "+e)...)), preflight.CheckInstanceTypes)
	if c.Message != "m6i.2xlarge is offered in us-east-1 but not in us-east-1e, the Availability Zone of subnet "+e ||
		!strings.Contains(c.Fix, "spec.build.subnetId to a subnet in an Availability Zone that offers them") {
		t.Errorf("zone: %+v", c)
	}
	a := w.zoneSubnet(t, "us-east-1a")
	if c := checkNamed(t, w.run(t, loadSpec(t, withBuild("subnetId: "+a)...)), preflight.CheckInstanceTypes); c.Status != check.Pass ||
		!strings.Contains(c.Message, "us-east-1a, the subnet's zone") {
		t.Errorf("us-east-1a: %+v", c)
	}
	f := w.zoneSubnet(t, "us-east-1f")
	c = checkNamed(t, w.run(t, loadSpec(t, withBuild("subnetId: "+f, "instanceTypes: [m1.small, m6i.2xlarge]")...)), preflight.CheckInstanceTypes)
	if c.Status != check.Warn || !strings.Contains(c.Message, "m1.small is offered in us-east-1 but not in us-east-1f") {
		t.Errorf("one of two types missing: %+v", c)
	}
}

// TestInstanceTypeNotInRegion: a real type the region does not offer.
func TestInstanceTypeNotInRegion(t *testing.T) {
	w := newDocWorld(t)
	// m1.small is not offered in us-east-2 (moto's captured offerings).
	img := loadSpec(t, withBuild("instanceTypes: [m1.small]")...)
	img.Metadata.Region = "us-east-2"
	var c check.Check
	for _, ck := range w.run(t, img) {
		if ck.Name == preflight.CheckInstanceTypes {
			c = ck
		}
	}
	if c.Status != check.Fail || c.Message != "m1.small is not offered in us-east-2" || !strings.Contains(c.Fix, "--region us-east-2") {
		t.Errorf("region: %+v", c)
	}
}

func TestExecutionRoleMissing(t *testing.T) {
	w := newDocWorld(t)
	img := loadSpec(t)
	img.Spec.Build.ExecutionRole = "no-such-role"
	// The Fast Launch row of the role says it could not simulate it (skip), not a failure.
	c := onlyFailure(t, w.run(t, img), preflight.CheckExecutionRole)
	if !strings.Contains(c.Message, "execution role no-such-role (spec.build.executionRole) does not exist") || !strings.Contains(c.Fix, "winami apply --create-roles") {
		t.Errorf("missing role: %+v", c)
	}
	// apply --create-roles makes it: not a problem then.
	w.d.Options.CreatesRoles = true
	if c := checkNamed(t, w.run(t, img), preflight.CheckExecutionRole); c.Status != check.Pass || !strings.Contains(c.Message, "apply creates it") {
		t.Errorf("with --create-roles: %+v", c)
	}
}

func TestExecutionRoleNotTrusted(t *testing.T) {
	w := newDocWorld(t)
	ec2Trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	w.executionRole(t, "ec2-trusted", ec2Trust, []string{"us-east-1", "us-west-2"}, ibuilder.ExecutionPolicy, ibuilder.FastLaunchPolicy)
	img := loadSpec(t)
	img.Spec.Build.ExecutionRole = "ec2-trusted"
	c := onlyFailure(t, w.run(t, img), preflight.CheckExecutionRole)
	if !strings.Contains(c.Message, "is not trusted by Image Builder") || !strings.Contains(c.Fix, "aws iam update-assume-role-policy --role-name ec2-trusted") ||
		!strings.Contains(c.Fix, `"Service":"imagebuilder.amazonaws.com"`) {
		t.Errorf("untrusted role: %+v", c)
	}
}

// TestExecutionRoleMayNotPublish: the role lacks ssm:PutParameter in one region.
func TestExecutionRoleMayNotPublish(t *testing.T) {
	w := newDocWorld(t)
	w.executionRole(t, "east-only", ibuilder.ExecutionTrustPolicy, []string{"us-east-1"}, ibuilder.ExecutionPolicy, ibuilder.FastLaunchPolicy)
	img := loadSpec(t)
	img.Spec.Build.ExecutionRole = "arn:aws:iam::" + w.srv.Account + ":role/east-only"
	c := onlyFailure(t, w.run(t, img), preflight.CheckExecutionRole)
	if !strings.Contains(c.Message, "execution role east-only may not call ssm:PutParameter") ||
		!strings.Contains(c.Fix, "arn:aws:ssm:us-west-2:"+w.srv.Account+":parameter/winami/doc-win2022/image_id") {
		t.Errorf("role without the parameter in us-west-2: %+v", c)
	}
}

// TestNoExecutionRoleOutsideImageBuilderPath: without an execution role (a spec built in
// code, not loaded: loading gives the default), a parameter outside /imagebuilder/ fails
// naming spec.build.executionRole and --create-roles; under /imagebuilder/ it passes.
func TestNoExecutionRoleOutsideImageBuilderPath(t *testing.T) {
	w := newDocWorld(t)
	img := loadSpec(t)
	img.Spec.Build.ExecutionRole = ""
	img.Spec.Distribution.FastLaunch = nil
	c := onlyFailure(t, w.run(t, img), preflight.CheckExecutionRole)
	if !strings.Contains(c.Message, "/winami/doc-win2022/image_id is outside /imagebuilder/") || !strings.Contains(c.Message, "AWSServiceRoleForImageBuilder") ||
		!strings.Contains(c.Fix, "spec.build.executionRole") || !strings.Contains(c.Fix, "winami apply --create-roles") {
		t.Errorf("no role: %+v", c)
	}
	img = loadSpec(t)
	img.Spec.Distribution.PublishParameter = "/imagebuilder/doc-win2022/image_id"
	img.Spec.Build.ExecutionRole = ""
	img.Spec.Distribution.FastLaunch = nil
	if c := checkNamed(t, w.run(t, img), preflight.CheckExecutionRole); c.Status != check.Pass {
		t.Errorf("/imagebuilder/ without a role: %+v", c)
	}
}

// withdraw removes an Amazon-managed component version from a region of awsemu.
func (w *docWorld) withdraw(t *testing.T, region, name, version string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"region": region, "name": name, "version": version})
	resp, err := http.Post(w.srv.URL()+awsemu.ControlPrefix+"imagebuilder/managed-components", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("withdrawing %s %s: %s", name, version, resp.Status)
	}
}

// TestEKSComponentMissing: on the windows-base route, Amazon's eks-optimized-ami-windows
// must have the spec's Kubernetes minor in the build region (it lags new releases).
func TestEKSComponentMissing(t *testing.T) {
	w := newDocWorld(t)
	base := loadSpec(t, "PARENT", "parent: {source: windows-base}")
	if c := checkNamed(t, w.run(t, base), preflight.CheckEKSComponent); c.Status != check.Pass || !strings.Contains(c.Message, "1.33.0 for Kubernetes 1.33") {
		t.Errorf("published: %+v", c)
	}
	w.withdraw(t, "us-east-1", "eks-optimized-ami-windows", "1.33.0")
	c := onlyFailure(t, w.run(t, base), preflight.CheckEKSComponent)
	if !strings.Contains(c.Message, "has no version 1.33.x in us-east-1") || !strings.Contains(c.Fix, "spec.parent.source: eks-optimized") {
		t.Errorf("withdrawn: %+v", c)
	}
	// The EKS-optimized route does not use the component: no such check.
	for _, c := range w.run(t, loadSpec(t)) {
		if c.Name == preflight.CheckEKSComponent {
			t.Errorf("eks-optimized route checks the component: %+v", c)
		}
	}
}

// templateIn creates a launch template named fl-template in region, with tags.
func (w *docWorld) templateIn(t *testing.T, region string, tags map[string]string) string {
	t.Helper()
	in := &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("fl-template"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{InstanceType: ec2types.InstanceTypeM6iLarge}}
	if len(tags) > 0 {
		ts := ec2types.TagSpecification{ResourceType: ec2types.ResourceTypeLaunchTemplate}
		for k, v := range tags {
			ts.Tags = append(ts.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		in.TagSpecifications = []ec2types.TagSpecification{ts}
	}
	out, err := w.ec2In(region).CreateLaunchTemplate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.LaunchTemplate.LaunchTemplateId)
}

// TestFastLaunchTemplateUntagged: without an execution role Image Builder enables Fast
// Launch as its service-linked role, which may use only launch templates tagged
// CreatedBy: EC2 Image Builder (AWSServiceRoleForImageBuilder v25).
func TestFastLaunchTemplateUntagged(t *testing.T) {
	w := newDocWorld(t)
	east := w.templateIn(t, "us-east-1", nil)
	w.templateIn(t, "us-west-2", map[string]string{"CreatedBy": "EC2 Image Builder"})
	img := loadSpec(t, "LAUNCHTEMPLATE", "launchTemplate: {name: fl-template}")
	img.Spec.Distribution.PublishParameter = "/imagebuilder/doc-win2022/image_id"
	img.Spec.Build.ExecutionRole = ""
	checks := w.run(t, img)
	c := onlyFailure(t, checks, preflight.CheckFastLaunchRights)
	if !strings.HasPrefix(c.Message, "us-east-1: launch template fl-template ("+east+") is not tagged CreatedBy=\"EC2 Image Builder\"") ||
		!strings.Contains(c.Fix, "aws ec2 create-tags --region us-east-1 --resources "+east+" --tags 'Key=CreatedBy,Value=EC2 Image Builder'") ||
		!strings.Contains(c.Fix, "spec.build.executionRole") {
		t.Errorf("untagged: %+v", c)
	}
	for _, c := range checks {
		if c.Name == preflight.CheckFastLaunchRights && strings.HasPrefix(c.Message, "us-west-2") && c.Status != check.Pass {
			t.Errorf("tagged template in us-west-2: %+v", c)
		}
	}
}

// TestFastLaunchWithoutTemplateNeedsRole: without a launch template, the role Image
// Builder uses needs EC2FastLaunchFullAccess, which its service-linked role lacks.
func TestFastLaunchWithoutTemplateNeedsRole(t *testing.T) {
	w := newDocWorld(t)
	img := loadSpec(t)
	img.Spec.Distribution.PublishParameter = "/imagebuilder/doc-win2022/image_id"
	img.Spec.Build.ExecutionRole = ""
	c := onlyFailure(t, w.run(t, img), preflight.CheckFastLaunchRights)
	if !strings.Contains(c.Message, "needs EC2FastLaunchFullAccess on the role Image Builder uses") || !strings.Contains(c.Fix, "launchTemplate") ||
		!strings.Contains(c.Fix, "arn:aws:iam::aws:policy/EC2FastLaunchFullAccess") {
		t.Errorf("no template, no role: %+v", c)
	}
}

// TestFastLaunchExecutionRoleMayNotLaunch: an execution role without Fast Launch rights
// (EC2ImageBuilderExecutionPolicy alone) cannot enable Fast Launch without a template.
func TestFastLaunchExecutionRoleMayNotLaunch(t *testing.T) {
	w := newDocWorld(t)
	w.executionRole(t, "no-fast-launch", ibuilder.ExecutionTrustPolicy, []string{"us-east-1", "us-west-2"}, ibuilder.ExecutionPolicy)
	img := loadSpec(t)
	img.Spec.Build.ExecutionRole = "no-fast-launch"
	c := onlyFailure(t, w.run(t, img), preflight.CheckFastLaunchRights)
	if !strings.Contains(c.Message, "the execution role no-fast-launch may not enable Fast Launch without a launch template") ||
		!strings.Contains(c.Message, "ec2:CreateVpc") || !strings.Contains(c.Fix, "EC2FastLaunchFullAccess") {
		t.Errorf("role without Fast Launch rights: %+v", c)
	}
}

// TestDoctorListsTheNewChecks: the base spec passes every new check (with the execution
// role winami makes).
func TestDoctorListsTheNewChecks(t *testing.T) {
	w := newDocWorld(t)
	checks := w.run(t, loadSpec(t))
	for _, name := range []string{preflight.CheckInstanceTypes, preflight.CheckExecutionRole, preflight.CheckFastLaunchRights} {
		if c := checkNamed(t, checks, name); c.Status != check.Pass {
			t.Errorf("%s: %+v", name, c)
		}
	}
}
