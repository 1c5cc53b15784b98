package preflight_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/check"
	ibuilder "github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/preflight"
	"github.com/winami/winami/spec"
)

const baseSpec = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: doc-win2022
  region: us-east-1
spec:
  kubernetesVersion: "1.33"
  windows: {version: "2022", edition: Core}
  PARENT
  cache:
    images:
      - 111122223333.dkr.ecr.us-east-1.amazonaws.com/team/app:1.4.2
  build:
    instanceProfile: PROFILE
  distribution:
    regions: [us-east-1, us-west-2]
    publishParameter: /winami/doc-win2022/image_id
    fastLaunch: {enabled: true, LAUNCHTEMPLATE}
`

type docWorld struct {
	srv *awsemu.Server
	iam *iam.Client
	d   *preflight.Doctor
}

// newDocWorld starts awsemu with the base spec's execution role made as
// `winami apply --create-roles` makes it (trusted by Image Builder, its managed
// policies, the inline policy that publishes the parameter).
func newDocWorld(t *testing.T, opts ...emulator.Option) *docWorld {
	t.Helper()
	srv := emulatortest.Start(t, opts...)
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	w := &docWorld{srv: srv, iam: iam.NewFromConfig(cfg), d: &preflight.Doctor{Clients: awsapi.FromConfig(cfg)}}
	w.executionRole(t, execRole, ibuilder.ExecutionTrustPolicy, []string{"us-east-1", "us-west-2"},
		ibuilder.ExecutionPolicy, ibuilder.FastLaunchPolicy)
	return w
}

// execRole is the base spec's default execution role.
const execRole = "doc-win2022-imagebuilder-execution"

// executionRole creates an execution role with a trust policy, the managed policies
// and the inline policy that publishes the base spec's parameter in regions (none when
// regions is empty).
func (w *docWorld) executionRole(t *testing.T, name, trust string, regions []string, managed ...string) {
	t.Helper()
	ctx := context.Background()
	if _, err := w.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	for _, p := range managed {
		if _, err := w.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(preflight.ManagedPolicyARN("aws", p))}); err != nil {
			t.Fatal(err)
		}
	}
	if len(regions) > 0 {
		doc := ibuilder.PublishParameterPolicy("aws", w.srv.Account, "/winami/doc-win2022/image_id", regions).JSON()
		if _, err := w.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(ibuilder.ExecutionRolePolicyName), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
}

func loadSpec(t *testing.T, repl ...string) *spec.WindowsImage {
	t.Helper()
	r := map[string]string{"PARENT": "parent: {source: eks-optimized}", "PROFILE": "EC2InstanceProfileForImageBuilder", "LAUNCHTEMPLATE": "targetSnapshots: 5"}
	for i := 0; i+1 < len(repl); i += 2 {
		r[repl[i]] = repl[i+1]
	}
	text := baseSpec
	for k, v := range r {
		text = strings.ReplaceAll(text, k, v)
	}
	img, err := spec.LoadBytes([]byte(text), "winami.yaml")
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	return img
}

func (w *docWorld) run(t *testing.T, img *spec.WindowsImage) []check.Check {
	t.Helper()
	checks, err := w.d.Run(context.Background(), img)
	if err != nil {
		t.Fatalf("doctor: %v", err)
	}
	return checks
}

// onlyFailure asserts that exactly the named check fails (all its lines) and returns it.
func onlyFailure(t *testing.T, checks []check.Check, name string) check.Check {
	t.Helper()
	var got check.Check
	n := 0
	for _, c := range checks {
		if c.Status == check.Fail {
			if c.Name != name {
				t.Errorf("check %s failed too: %s", c.Name, c.Message)
			}
			got = c
			n++
		}
	}
	if n == 0 {
		b, _ := json.MarshalIndent(checks, "", " ")
		t.Fatalf("check %s did not fail:\n%s", name, b)
	}
	if got.Fix == "" {
		t.Errorf("check %s fails without a fix: %+v", name, got)
	}
	return got
}

func (w *docWorld) role(t *testing.T, name string, policies ...string) {
	t.Helper()
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := w.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	for _, p := range policies {
		if _, err := w.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(preflight.ManagedPolicyARN("aws", p))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.iam.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

func TestDoctorAllPass(t *testing.T) {
	w := newDocWorld(t)
	checks := w.run(t, loadSpec(t))
	names := map[string]bool{}
	for _, c := range checks {
		names[c.Name] = true
		if c.Status == check.Fail || c.Status == check.Warn {
			t.Errorf("%s: %s %s", c.Name, c.Status, c.Message)
		}
	}
	for _, n := range []string{preflight.CheckCredentials, preflight.CheckPermissions, preflight.CheckInstanceProfile, preflight.CheckRolePolicy,
		preflight.CheckECRRead, preflight.CheckNetwork, preflight.CheckParentImage, preflight.CheckCachedImages, preflight.CheckFastLaunch} {
		if !names[n] {
			t.Errorf("no %s check", n)
		}
	}
}

func TestDoctorCredentials(t *testing.T) {
	w := newDocWorld(t)
	w.srv.Faults.FailNext("sts", "GetCallerIdentity", awsemu.FaultError{Status: 403, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."})
	checks := w.run(t, loadSpec(t))
	c := onlyFailure(t, checks, preflight.CheckCredentials)
	if len(checks) != 1 || !strings.Contains(c.Message, "InvalidClientTokenId") {
		t.Errorf("checks: %+v", checks)
	}
}

func TestDoctorPermissions(t *testing.T) {
	w := newDocWorld(t)
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["imagebuilder:CreateImagePipeline","ssm:PutParameter"],"Resource":"*"}]}`
	if _, err := w.iam.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(awsemu.CallerUserName), PolicyName: aws.String("deny"), PolicyDocument: aws.String(deny)}); err != nil {
		t.Fatal(err)
	}
	c := onlyFailure(t, w.run(t, loadSpec(t)), preflight.CheckPermissions)
	if !strings.Contains(c.Message, "imagebuilder:CreateImagePipeline") || !strings.Contains(c.Message, "ssm:PutParameter") || strings.Contains(c.Message, "ec2:") {
		t.Errorf("permissions: %s", c.Message)
	}
}

func TestDoctorSimulationDeniedIsSkipped(t *testing.T) {
	w := newDocWorld(t)
	w.srv.Faults.FailNext("iam", "SimulatePrincipalPolicy", awsemu.FaultError{Status: 403, Code: "AccessDenied", Message: "not authorized to perform iam:SimulatePrincipalPolicy"})
	checks := w.run(t, loadSpec(t))
	for _, c := range checks {
		if c.Name == preflight.CheckPermissions && (c.Status != check.Skip || !strings.Contains(c.Message, "not checked")) {
			t.Errorf("permissions: %+v", c)
		}
		if c.Status == check.Fail {
			t.Errorf("%s failed: %s", c.Name, c.Message)
		}
	}
}

func TestDoctorInstanceProfileMissing(t *testing.T) {
	w := newDocWorld(t)
	checks := w.run(t, loadSpec(t, "PROFILE", "NoSuchProfile"))
	c := onlyFailure(t, checks, preflight.CheckInstanceProfile)
	if !strings.Contains(c.Message, "NoSuchProfile does not exist") {
		t.Errorf("instance profile: %+v", c)
	}
}

// TestDoctorRoleChecksSkippedWithoutProfile: with no instance profile, the checks on its
// role are listed as skip with the reason, not dropped.
func TestDoctorRoleChecksSkippedWithoutProfile(t *testing.T) {
	w := newDocWorld(t)
	checks := w.run(t, loadSpec(t, "PROFILE", "NoSuchProfile"))
	for _, name := range []string{preflight.CheckRolePolicy, preflight.CheckECRRead} {
		var found []check.Check
		for _, c := range checks {
			if c.Name == name {
				found = append(found, c)
			}
		}
		if len(found) != 1 {
			t.Errorf("%d %s rows, want 1 (skip): %+v", len(found), name, checks)
			continue
		}
		if c := found[0]; c.Status != check.Skip || !strings.Contains(c.Message, "NoSuchProfile does not exist") || c.Fix == "" {
			t.Errorf("%s: %+v, want skip naming the missing profile, with a fix", name, c)
		}
	}
}

func TestDoctorRoleLacksSSM(t *testing.T) {
	w := newDocWorld(t)
	w.role(t, "NoSSM", preflight.ImageBuilderInstancePolicy, preflight.ECRReadOnlyPolicy)
	c := onlyFailure(t, w.run(t, loadSpec(t, "PROFILE", "NoSSM")), preflight.CheckRolePolicy)
	if !strings.Contains(c.Message, "lacks AmazonSSMManagedInstanceCore") || !strings.Contains(c.Message, "TimedOut") ||
		!strings.Contains(c.Fix, "--policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore") {
		t.Errorf("role policy: %+v", c)
	}
}

func TestDoctorRoleLacksECRRead(t *testing.T) {
	w := newDocWorld(t)
	w.role(t, "NoECR", preflight.ImageBuilderInstancePolicy, preflight.SSMInstancePolicy)
	c := onlyFailure(t, w.run(t, loadSpec(t, "PROFILE", "NoECR")), preflight.CheckECRRead)
	if !strings.Contains(c.Message, "arn:aws:ecr:us-east-1:111122223333:repository/team/app") || !strings.Contains(c.Message, "ecr:BatchGetImage") {
		t.Errorf("ECR read: %+v", c)
	}
}

func TestDoctorParentImageMissing(t *testing.T) {
	w := newDocWorld(t)
	c := onlyFailure(t, w.run(t, loadSpec(t, "PARENT", "parent: {imageId: ami-0123456789abcdef0}")), preflight.CheckParentImage)
	if !strings.Contains(c.Message, "ami-0123456789abcdef0") {
		t.Errorf("parent: %+v", c)
	}
}

func TestDoctorFastLaunchPerRegion(t *testing.T) {
	w := newDocWorld(t)
	ctx := context.Background()
	east := ec2.NewFromConfig(awstest.SDKConfig(w.srv.URL(), "us-east-1"))
	if _, err := east.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("fl-template"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{InstanceType: ec2types.InstanceTypeM6iLarge}}); err != nil {
		t.Fatal(err)
	}
	checks := w.run(t, loadSpec(t, "LAUNCHTEMPLATE", "launchTemplate: {name: fl-template}"))
	c := onlyFailure(t, checks, preflight.CheckFastLaunch)
	if !strings.HasPrefix(c.Message, "us-west-2: launch template fl-template does not exist in us-west-2") {
		t.Errorf("fast launch: %+v", c)
	}
	for _, c := range checks {
		if c.Name == preflight.CheckFastLaunch && strings.HasPrefix(c.Message, "us-east-1") && c.Status != check.Pass {
			t.Errorf("us-east-1: %+v", c)
		}
	}
}

func TestDoctorPinnedRelease(t *testing.T) {
	w := newDocWorld(t)
	rel := seed.Releases[0].Format("2006.01.02")
	checks := w.run(t, loadSpec(t, "PARENT", "parent: {releaseDate: \""+rel+"\"}"))
	for _, c := range checks {
		if c.Name == preflight.CheckParentImage && (c.Status != check.Pass || !strings.Contains(c.Message, rel)) {
			t.Errorf("pinned to a seeded release: %+v", c)
		}
	}
	c := onlyFailure(t, w.run(t, loadSpec(t, "PARENT", "parent: {releaseDate: \"1.33-2025-01-15\"}")), preflight.CheckParentImage)
	if !strings.Contains(c.Message, "Windows_Server-2022-English-Core-EKS_Optimized-1.33-2025.01.15") || !strings.Contains(c.Fix, "private") {
		t.Errorf("pinned to a gone release: %+v", c)
	}
}

// TestDoctorPinnedDeprecatedRelease: a pinned release whose AMI is deprecated (public AMIs
// are deprecated two years after their creation) is still found, as plan finds it: for
// another owner's AMI, DescribeImages lists a deprecated one only with IncludeDeprecated
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deprecate.html), so doctor and
// plan must ask the same question and get the same answer.
func TestDoctorPinnedDeprecatedRelease(t *testing.T) {
	rel := seed.Releases[0]
	// Past the oldest release's deprecation time, before the next release's.
	w := newDocWorld(t, emulator.WithClock(awsemu.NewManualClock(rel.AddDate(2, 0, 7))))
	date := rel.Format("2006.01.02")
	name := "Windows_Server-2022-English-Core-EKS_Optimized-1.33-" + date
	api := ec2.NewFromConfig(awstest.SDKConfig(w.srv.URL(), "us-east-1"))
	list := func(include bool) int {
		out, err := api.DescribeImages(context.Background(), &ec2.DescribeImagesInput{Owners: []string{"amazon"},
			Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{name}}}, IncludeDeprecated: aws.Bool(include)})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Images)
	}
	if list(false) != 0 || list(true) != 1 {
		t.Fatalf("the world: %s is listed %d times without IncludeDeprecated, %d with it; want 0 and 1 (deprecated)", name, list(false), list(true))
	}
	checks := w.run(t, loadSpec(t, "PARENT", "parent: {releaseDate: \""+date+"\"}"))
	found := false
	for _, c := range checks {
		if c.Name == preflight.CheckParentImage {
			found = true
			if c.Status != check.Pass || !strings.Contains(c.Message, name) {
				t.Errorf("pinned to a deprecated release: %+v", c)
			}
		}
	}
	if !found {
		t.Errorf("no %s check", preflight.CheckParentImage)
	}
}

// TestDoctorPermissionsOnTheARNsWinamiUses: the simulation asks about the ARNs winami's
// calls carry (component <name>-image-cache/<version>/<build>, recipe <name>/<version>,
// image <name>/<version>/<build>), so a policy that denies exactly those fails the check
// and a policy scoped to exactly those passes it.
func TestDoctorPermissionsOnTheARNsWinamiUses(t *testing.T) {
	ctx := context.Background()
	put := func(w *docWorld, doc string) {
		if _, err := w.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(awsemu.CallerUserName), PolicyName: aws.String("scoped"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	// Denied on the versions of the image-cache component: doctor must say so.
	w := newDocWorld(t)
	put(w, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"imagebuilder:CreateComponent","Resource":"arn:aws:imagebuilder:*:*:component/doc-win2022-image-cache/*"}]}`)
	c := onlyFailure(t, w.run(t, loadSpec(t)), preflight.CheckPermissions)
	if !strings.Contains(c.Message, "imagebuilder:CreateComponent") {
		t.Errorf("permissions: %s", c.Message)
	}
	// Changes allowed only on the resources winami creates (denied elsewhere): doctor passes.
	w = newDocWorld(t)
	put(w, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["imagebuilder:Create*","imagebuilder:Update*","imagebuilder:StartImagePipelineExecution","imagebuilder:CancelImageCreation","imagebuilder:TagResource"],"NotResource":[
		"arn:aws:imagebuilder:*:*:component/doc-win2022-image-cache*/*",
		"arn:aws:imagebuilder:*:*:image-recipe/doc-win2022/*",
		"arn:aws:imagebuilder:*:*:infrastructure-configuration/doc-win2022",
		"arn:aws:imagebuilder:*:*:distribution-configuration/doc-win2022",
		"arn:aws:imagebuilder:*:*:image-pipeline/doc-win2022",
		"arn:aws:imagebuilder:*:*:image/doc-win2022/*",
		"arn:aws:imagebuilder:*:aws:component/*"]}]}`)
	for _, c := range w.run(t, loadSpec(t)) {
		if c.Name == preflight.CheckPermissions && c.Status != check.Pass {
			t.Errorf("permissions with a policy scoped to winami's ARNs: %s %s", c.Status, c.Message)
		}
	}
}

// TestDoctorPassRoleOnTheProfilesRole: apply passes the role the instance profile holds,
// whose name may differ from the profile's; doctor asks about iam:PassRole on that role.
func TestDoctorPassRoleOnTheProfilesRole(t *testing.T) {
	w := newDocWorld(t)
	ctx := context.Background()
	w.role(t, "BuildRole", preflight.ImageBuilderInstancePolicy, preflight.SSMInstancePolicy, preflight.ECRReadOnlyPolicy)
	if _, err := w.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("BuildProfile")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.iam.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("BuildProfile"), RoleName: aws.String("BuildRole")}); err != nil {
		t.Fatal(err)
	}
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/BuildRole"}]}`
	if _, err := w.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(awsemu.CallerUserName), PolicyName: aws.String("deny"), PolicyDocument: aws.String(deny)}); err != nil {
		t.Fatal(err)
	}
	c := onlyFailure(t, w.run(t, loadSpec(t, "PROFILE", "BuildProfile")), preflight.CheckPermissions)
	if !strings.Contains(c.Message, "iam:PassRole") {
		t.Errorf("permissions: %s", c.Message)
	}
}

// TestDoctorOperatorMayNotLaunch: EnableFastLaunch makes EC2 check that the caller may
// launch from the AMI and the launch template; a caller without ec2:RunInstances (or
// without the tags on launch) fails doctor's permissions check, naming what is missing.
func TestDoctorOperatorMayNotLaunch(t *testing.T) {
	for _, action := range []string{"ec2:RunInstances", "ec2:CreateTags"} {
		w := newDocWorld(t)
		deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"` + action + `","Resource":"arn:aws:ec2:*:*:instance/*"}]}`
		if _, err := w.iam.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(awsemu.CallerUserName), PolicyName: aws.String("deny"), PolicyDocument: aws.String(deny)}); err != nil {
			t.Fatal(err)
		}
		c := onlyFailure(t, w.run(t, loadSpec(t)), preflight.CheckPermissions)
		if !strings.Contains(c.Message, action+" (") || !strings.Contains(c.Message, "fast-launch enable") || !strings.Contains(c.Fix, "iam-policy --for operator") {
			t.Errorf("%s denied: %+v", action, c)
		}
	}
}
