package awse2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	ibtypes "github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"sigs.k8s.io/yaml"
)

// eksWindowsOwners are the accounts that own the EKS-optimized Windows AMIs (commercial
// regions; AWS GovCloud (US)).
var eksWindowsOwners = []string{"801119661308", "077303321853"}

// imageBuilderKinds are the Image Builder resources one spec makes, as plan names them.
var imageBuilderKinds = []string{"component", "image-recipe", "infrastructure-configuration", "distribution-configuration", "image-pipeline"}

// TestAcceptance runs the whole flow. In the sandbox it runs twice, in parallel, each in
// its own fresh sandbox: as the sandbox's administrator and as a least-privilege
// operator. With WINAMI_E2E_AWS=1 it runs once, against the account of the caller's AWS
// settings.
func TestAcceptance(t *testing.T) {
	kind, err := selectWorld(os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	if kind == awsWorld {
		runFlow(t, newAWS(t, awsMinTimeout), false)
		return
	}
	t.Run("admin", func(t *testing.T) {
		t.Parallel()
		runFlow(t, newSandbox(t), false)
	})
	t.Run("operator", func(t *testing.T) {
		t.Parallel()
		runFlow(t, newSandbox(t), true)
	})
}

// flow is what the steps of one run share.
type flow struct {
	w        *world
	ctx      context.Context
	top      *testing.T
	operator bool

	account, caller, partition string
	kubernetes, parent         string
	spec                       string // the spec file's path
	policy                     string // winami iam-policy --for operator -f spec
	rendered                   rendered
	// executionRole is the effective spec.build.executionRole (a role name here: the
	// default for a parameter outside /imagebuilder/).
	executionRole string
	arns          map[string]string // Image Builder resource kind → ARN
	first, second buildResult
}

// rendered is what winami render wrote, decoded into the SDK's request types.
type rendered struct {
	component    imagebuilder.CreateComponentInput
	recipe       imagebuilder.CreateImageRecipeInput
	infra        imagebuilder.CreateInfrastructureConfigurationInput
	distribution imagebuilder.CreateDistributionConfigurationInput
	pipeline     imagebuilder.CreateImagePipelineInput
	// The execution role's requests (iam-*.json), for the platform team of the operator run.
	createRole iam.CreateRoleInput
	putPolicy  iam.PutRolePolicyInput
	attach     []iam.AttachRolePolicyInput
}

func runFlow(t *testing.T, w *world, operator bool) {
	f := &flow{w: w, ctx: w.flowContext(t), top: t, operator: operator, arns: map[string]string{}}
	t.Logf("%s world: run prefix %s, build region %s, distribution regions %v, cached image %s", w.kind, w.prefix, w.region, w.regions, w.image)
	if w.kind == awsWorld {
		t.Logf("should this process be killed before its clean-up: WINAMI_E2E_AWS=1 %s=%s %s=%s go test -timeout 3h -v -run TestSweep ./e2e/aws/",
			envSweep, w.prefix, envRegions, strings.Join(w.regions, ","))
	}
	w.registerCleanup(t)
	steps := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"identity", f.identity},
		{"resolve", f.resolve},
		{"spec", f.writeSpec},
		{"render", f.render},
		{"iam-policy", f.iamPolicy},
		{"least-privilege", f.leastPrivilege},
		{"plan", f.plan},
		{"apply", f.apply},
		{"apply-again", f.applyAgain},
		{"doctor", f.doctor},
		{"build", f.build},
		{"publish", f.publish},
		{"resolve-parameter", f.resolveParameter},
		{"fast-launch", f.fastLaunch},
		{"build-if-changed", f.buildIfChanged},
		{"rebuild", f.rebuild},
		{"prune", f.prune},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.fn) {
			t.Errorf("step %s failed: the flow stops here (the clean-up still runs)", s.name)
			return
		}
	}
}

func (f *flow) identity(t *testing.T) {
	out, err := f.w.sts().GetCallerIdentity(f.ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	f.account, f.caller = aws.ToString(out.Account), aws.ToString(out.Arn)
	f.partition = strings.Split(f.caller, ":")[1]
	t.Logf("account %s as %s", f.account, f.caller)
}

// resolve asks winami for the EKS-optimized Windows Server 2022 Core AMIs of every
// Kubernetes version and picks the newest (or WINAMI_E2E_KUBERNETES), then checks it
// against SSM and EC2.
func (f *flow) resolve(t *testing.T) {
	w := f.w
	var rs []resolved
	w.mustJSON(t, f.ctx, &rs, "resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "all", "--region", w.region, "-o", "json")
	var pick *resolved
	for i, r := range rs {
		if r.Region != w.region || r.Windows != "2022" || r.Error != "" || r.ImageID == "" {
			continue
		}
		if w.kubernetes != "" && r.Kubernetes != w.kubernetes {
			continue
		}
		if pick == nil || newerMinor(r.Kubernetes, pick.Kubernetes) {
			pick = &rs[i]
		}
	}
	if pick == nil {
		t.Fatalf("resolve found no Windows Server 2022 Core AMI in %s (Kubernetes %q):\n%+v", w.region, w.kubernetes, rs)
	}
	want := "/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-" + pick.Kubernetes + "/image_id"
	if pick.Parameter != want {
		t.Errorf("resolve's parameter %s, want %s", pick.Parameter, want)
	}
	p, err := w.ssm(w.region).GetParameter(f.ctx, &ssm.GetParameterInput{Name: aws.String(pick.Parameter)})
	if err != nil || aws.ToString(p.Parameter.Value) != pick.ImageID {
		t.Fatalf("SSM %s: %v, value %v; winami resolved %s", pick.Parameter, err, p, pick.ImageID)
	}
	img := f.describeImage(t, w.region, pick.ImageID)
	if name := aws.ToString(img.Name); !strings.HasPrefix(name, "Windows_Server-2022-English-Core-EKS_Optimized-"+pick.Kubernetes+"-") {
		t.Errorf("parent AMI %s is named %s", pick.ImageID, name)
	}
	if !slices.Contains(eksWindowsOwners, aws.ToString(img.OwnerId)) || !strings.EqualFold(string(img.Platform), "windows") {
		t.Errorf("parent AMI %s: owner %s, platform %q; want one of %v, windows", pick.ImageID, aws.ToString(img.OwnerId), img.Platform, eksWindowsOwners)
	}
	f.kubernetes, f.parent = pick.Kubernetes, pick.ImageID
	t.Logf("Kubernetes %s: parent %s (%s)", f.kubernetes, f.parent, aws.ToString(img.Name))
}

// newerMinor compares Kubernetes versions "1.31" > "1.9".
func newerMinor(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x > y
		}
	}
	return len(pa) > len(pb)
}

// writeSpec writes winami.yaml: one cached image, Fast Launch with one snapshot, the
// parameter published outside /imagebuilder/, the suite's tag on the AMIs.
func (f *flow) writeSpec(t *testing.T) {
	w := f.w
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: %s
  region: %s
spec:
  kubernetesVersion: %q
  windows: {version: "2022", edition: Core}
  parent: {source: eks-optimized}
  cache:
    images:
      - %s
  build:
    instanceTypes: [%s]
    instanceProfile: %s
    rootVolumeSize: auto
`, w.prefix, w.region, f.kubernetes, w.image, w.instanceType, w.instanceProfile())
	if w.subnet != "" {
		fmt.Fprintf(&b, "    subnetId: %s\n    securityGroupIds: [%s]\n", w.subnet, strings.Join(w.securityGroups, ", "))
	}
	fmt.Fprintf(&b, `  distribution:
    regions: [%s]
    amiTags: {%q: %q}
    fastLaunch: {enabled: true, targetSnapshots: 1, maxParallelLaunches: 6}
    publishParameter: %s
  keep: 1
`, strings.Join(w.regions, ", "), suiteTag, w.prefix, w.parameter())
	f.spec = filepath.Join(w.dir, "winami.yaml")
	if err := os.WriteFile(f.spec, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("winami.yaml:\n%s", b.String())

	// The effective spec, as winami reads it.
	var eff struct {
		Metadata struct{ Name, Region string }
		Spec     struct {
			Build struct {
				InstanceProfile, ExecutionRole string
			}
			Distribution struct {
				Regions          []string
				PublishParameter string
			}
		}
	}
	w.mustJSON(t, f.ctx, &eff, "render", "-f", f.spec, "-o", "json")
	if eff.Metadata.Name != w.prefix || eff.Metadata.Region != w.region || eff.Spec.Distribution.PublishParameter != w.parameter() ||
		!slices.Equal(eff.Spec.Distribution.Regions, w.regions) || eff.Spec.Build.InstanceProfile != w.instanceProfile() {
		t.Errorf("the effective spec differs from the file: %+v", eff)
	}
	// Image Builder's service-linked role may write parameters only under /imagebuilder/:
	// this one needs the pipeline's execution role, which winami names by default.
	if eff.Spec.Build.ExecutionRole != w.executionRole() {
		t.Errorf("effective spec.build.executionRole %q, want the default %q for %s", eff.Spec.Build.ExecutionRole, w.executionRole(), w.parameter())
	}
	f.executionRole = eff.Spec.Build.ExecutionRole
}

// render writes the documents and checks that each request decodes into the SDK's input
// type with no unknown field. --resolve-digests reads the registry as apply does, so the
// component pulls the same windows/amd64 manifest digest and apply creates what render wrote.
func (f *flow) render(t *testing.T) {
	w := f.w
	out := filepath.Join(w.dir, "out")
	w.must(t, f.ctx, 0, "render", "-f", f.spec, "-d", out, "--account", f.account, "--resolve-digests")
	decode := func(name string, v any) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("render did not write %s: %v", name, err)
		}
		if bytes.Contains(data, []byte("${AWS_ACCOUNT_ID}")) {
			t.Errorf("%s still has the account placeholder although render had --account", name)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Errorf("%s is not a %T: %v", name, v, err)
		}
	}
	r := &f.rendered
	decode("create-component-"+w.prefix+"-image-cache.json", &r.component)
	decode("create-image-recipe.json", &r.recipe)
	decode("create-infrastructure-configuration.json", &r.infra)
	decode("create-distribution-configuration.json", &r.distribution)
	decode("create-image-pipeline.json", &r.pipeline)
	decode("iam-create-role.json", &r.createRole)
	decode("iam-put-role-policy.json", &r.putPolicy)
	attachFiles, _ := filepath.Glob(filepath.Join(out, "iam-attach-role-policy-*.json"))
	for _, name := range attachFiles {
		var in iam.AttachRolePolicyInput
		decode(filepath.Base(name), &in)
		r.attach = append(r.attach, in)
	}
	if aws.ToString(r.createRole.RoleName) != f.executionRole || !strings.Contains(aws.ToString(r.createRole.AssumeRolePolicyDocument), "imagebuilder.amazonaws.com") {
		t.Errorf("iam-create-role.json: role %s trusting %s; want %s trusted by imagebuilder.amazonaws.com",
			aws.ToString(r.createRole.RoleName), aws.ToString(r.createRole.AssumeRolePolicyDocument), f.executionRole)
	}
	for _, region := range w.regions {
		arn := fmt.Sprintf("arn:%s:ssm:%s:%s:parameter%s", f.partition, region, f.account, w.parameter())
		if !strings.Contains(aws.ToString(r.putPolicy.PolicyDocument), arn) {
			t.Errorf("iam-put-role-policy.json does not let the execution role write %s:\n%s", arn, aws.ToString(r.putPolicy.PolicyDocument))
		}
	}
	if len(r.attach) == 0 {
		t.Errorf("render wrote no iam-attach-role-policy-*.json for the execution role")
	}
	if aws.ToString(r.pipeline.ExecutionRole) != f.executionRole {
		t.Errorf("create-image-pipeline.json: executionRole %q, want %q", aws.ToString(r.pipeline.ExecutionRole), f.executionRole)
	}
	if doc, err := os.ReadFile(filepath.Join(out, w.prefix+"-image-cache.yaml")); err != nil || string(doc) != aws.ToString(r.component.Data) {
		t.Errorf("the component document (%v) is not the create-component request's data", err)
	}
	if !strings.Contains(aws.ToString(r.component.Data), w.image) {
		t.Errorf("the image-cache component does not pull %s", w.image)
	}
	data, err := os.ReadFile(filepath.Join(out, "cloudformation.yaml"))
	if err != nil {
		t.Fatalf("render did not write cloudformation.yaml: %v", err)
	}
	var cfn struct {
		Resources map[string]struct{ Type string }
	}
	if err := yaml.Unmarshal(data, &cfn); err != nil {
		t.Fatalf("cloudformation.yaml: %v", err)
	}
	var types []string
	for _, r := range cfn.Resources {
		types = append(types, r.Type)
	}
	for _, want := range []string{"AWS::ImageBuilder::Component", "AWS::ImageBuilder::ImageRecipe", "AWS::ImageBuilder::InfrastructureConfiguration",
		"AWS::ImageBuilder::DistributionConfiguration", "AWS::ImageBuilder::ImagePipeline", "AWS::IAM::Role", "AWS::IAM::InstanceProfile"} {
		if !slices.Contains(types, want) {
			t.Errorf("cloudformation.yaml has no %s (types %v)", want, types)
		}
	}
}

// iamPolicy prints the operator's policy for the spec.
func (f *flow) iamPolicy(t *testing.T) {
	r := f.w.must(t, f.ctx, 0, "iam-policy", "--for", "operator", "-f", f.spec)
	var doc struct {
		Version   string
		Statement []json.RawMessage
	}
	if err := json.Unmarshal(r.stdout, &doc); err != nil || doc.Version != "2012-10-17" || len(doc.Statement) == 0 {
		t.Fatalf("not a policy document (%v):\n%s", err, r.stdout)
	}
	if !bytes.Contains(r.stdout, []byte(f.w.prefix)) || !bytes.Contains(r.stdout, []byte(f.w.instanceProfile())) {
		t.Errorf("the policy does not name the spec's resources (%s…):\n%s", f.w.prefix, r.stdout)
	}
	f.policy = string(r.stdout)
}

// leastPrivilege (operator run only) is what a platform team does before handing the
// account to an operator: it creates the build role and instance profile and, from the
// iam-*.json requests render wrote, the pipeline's execution role (the operator policy
// may create none of them), then replaces the caller's managed policies
// (AdministratorAccess) with the output of `winami iam-policy --for operator -f spec`.
// The clean-up gives them back first.
func (f *flow) leastPrivilege(t *testing.T) {
	if !f.operator {
		t.Skip("administrator run: apply creates the instance profile and the execution role itself (--create-roles)")
	}
	w, c, ctx := f.w, f.w.iam(), f.ctx
	kind, user, _ := strings.Cut(strings.SplitN(f.caller, ":", 6)[5], "/")
	if kind != "user" {
		t.Fatalf("the caller %s is not an IAM user: the operator run detaches policies from a user", f.caller)
	}
	role := w.instanceProfile()
	tags := []iamtypes.Tag{{Key: aws.String(suiteTag), Value: aws.String(w.prefix)}}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust), Tags: tags}); err != nil {
		t.Fatalf("creating role %s: %v", role, err)
	}
	for _, p := range []string{"EC2InstanceProfileForImageBuilder", "AmazonSSMManagedInstanceCore"} {
		arn := "arn:" + f.partition + ":iam::aws:policy/" + p
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatalf("attaching %s to %s: %v", arn, role, err)
		}
	}
	if _, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(role), Tags: tags}); err != nil {
		t.Fatalf("creating instance profile %s: %v", role, err)
	}
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(role), RoleName: aws.String(role)}); err != nil {
		t.Fatalf("adding role %s to its profile: %v", role, err)
	}

	// The execution role, from the requests render wrote (what `aws iam create-role
	// --cli-input-json file://out/iam-create-role.json` and its siblings send).
	r := f.rendered
	r.createRole.Tags = append(r.createRole.Tags, tags...)
	if _, err := c.CreateRole(ctx, &r.createRole); err != nil {
		t.Fatalf("creating the execution role from iam-create-role.json: %v", err)
	}
	if _, err := c.PutRolePolicy(ctx, &r.putPolicy); err != nil {
		t.Fatalf("iam-put-role-policy.json: %v", err)
	}
	for i := range r.attach {
		if _, err := c.AttachRolePolicy(ctx, &r.attach[i]); err != nil {
			t.Fatalf("iam-attach-role-policy (%s): %v", aws.ToString(r.attach[i].PolicyArn), err)
		}
	}

	attached, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatalf("listing the policies of user %s: %v", user, err)
	}
	const inline = "winami-operator"
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(inline), PolicyDocument: aws.String(f.policy)}); err != nil {
		t.Fatalf("putting the operator policy on user %s: %v", user, err)
	}
	var detached []string
	f.top.Cleanup(func() { // registered last: runs before every other clean-up
		ctx, cancel := w.cleanupContext(f.top)
		defer cancel()
		for _, arn := range detached {
			if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(user), PolicyArn: aws.String(arn)}); err != nil {
				f.top.Errorf("clean-up: attaching %s to user %s again: %v", arn, user, err)
			}
		}
	})
	for _, p := range attached.AttachedPolicies {
		arn := aws.ToString(p.PolicyArn)
		if _, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(user), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatalf("detaching %s from user %s: %v", arn, user, err)
		}
		detached = append(detached, arn)
	}
	if !slices.Contains(detached, "arn:"+f.partition+":iam::aws:policy/AdministratorAccess") {
		t.Errorf("user %s did not have AdministratorAccess (it had %v): the operator run proves less than it says", user, detached)
	}
	// The swap took: IAM now denies what the operator policy leaves out and allows what it grants.
	for action, want := range map[string]iamtypes.PolicyEvaluationDecisionType{
		"iam:CreateRole": iamtypes.PolicyEvaluationDecisionTypeImplicitDeny,
		"imagebuilder:StartImagePipelineExecution": iamtypes.PolicyEvaluationDecisionTypeAllowed,
	} {
		resource := "*"
		if strings.HasPrefix(action, "imagebuilder:") {
			resource = fmt.Sprintf("arn:%s:imagebuilder:%s:%s:image-pipeline/%s", f.partition, w.region, f.account, w.prefix)
		}
		out, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(f.caller), ActionNames: []string{action}, ResourceArns: []string{resource}})
		if err != nil || len(out.EvaluationResults) != 1 || out.EvaluationResults[0].EvalDecision != want {
			t.Fatalf("simulating %s on %s as %s: %v %+v, want %s", action, resource, f.caller, err, out, want)
		}
	}
	t.Logf("user %s now holds only the operator policy (detached %v)", user, detached)
}

// specArgs adds what the run needs to plan, apply and build: the administrator run lets
// winami create the instance profile and the pipeline's execution role.
func (f *flow) specArgs(args ...string) []string {
	if !f.operator {
		args = append(args, "--create-roles")
	}
	return args
}

func (f *flow) plan(t *testing.T) {
	var cs []change
	f.w.mustJSON(t, f.ctx, &cs, f.specArgs("plan", "-f", f.spec, "-o", "json")...)
	got := map[string]change{}
	for _, c := range cs {
		got[c.Resource] = c
		if c.Action != "create" {
			t.Errorf("plan on an empty account: %s %s is %q (%s), want create", c.Resource, c.Name, c.Action, c.Reason)
		}
	}
	want := imageBuilderKinds
	if !f.operator {
		want = append(slices.Clone(want), "instance-profile", "execution-role")
	}
	for _, k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("plan has no %s row: %+v", k, cs)
		}
	}
}

func (f *flow) apply(t *testing.T) {
	w, ctx := f.w, f.ctx
	var cs []change
	w.mustJSON(t, ctx, &cs, f.specArgs("apply", "-f", f.spec, "--yes", "-o", "json")...)
	for _, c := range cs {
		if c.Action != "create" {
			t.Errorf("apply: %s %s is %q, want create", c.Resource, c.Name, c.Action)
		}
		if slices.Contains(imageBuilderKinds, c.Resource) {
			if !strings.Contains(c.ARN, ":"+f.account+":") {
				t.Errorf("apply: %s has ARN %q", c.Resource, c.ARN)
			}
			f.arns[c.Resource] = c.ARN
		}
	}
	if len(f.arns) != len(imageBuilderKinds) {
		t.Fatalf("apply reported %d Image Builder resources, want %d: %+v", len(f.arns), len(imageBuilderKinds), cs)
	}
	ib := w.ib()

	// What apply created is what render wrote.
	comp, err := ib.GetComponent(ctx, &imagebuilder.GetComponentInput{ComponentBuildVersionArn: aws.String(f.arns["component"] + "/1")})
	if err != nil {
		t.Fatalf("GetComponent: %v", err)
	}
	if aws.ToString(comp.Component.Data) != aws.ToString(f.rendered.component.Data) {
		t.Errorf("the component apply created differs from the one render wrote")
	}
	dist, err := ib.GetDistributionConfiguration(ctx, &imagebuilder.GetDistributionConfigurationInput{DistributionConfigurationArn: aws.String(f.arns["distribution-configuration"])})
	if err != nil {
		t.Fatalf("GetDistributionConfiguration: %v", err)
	}
	if got, want := distributionSummary(t, dist.DistributionConfiguration.Distributions), distributionSummary(t, f.rendered.distribution.Distributions); got != want {
		t.Errorf("distributions applied:\n%s\nrendered:\n%s", got, want)
	}
	for _, region := range w.regions {
		want := fmt.Sprintf("%s param=%s fastLaunch=true/6/1", region, w.parameter())
		if !strings.Contains(distributionSummary(t, dist.DistributionConfiguration.Distributions), want) {
			t.Errorf("no distribution %q in:\n%s", want, distributionSummary(t, dist.DistributionConfiguration.Distributions))
		}
	}
	infra, err := ib.GetInfrastructureConfiguration(ctx, &imagebuilder.GetInfrastructureConfigurationInput{InfrastructureConfigurationArn: aws.String(f.arns["infrastructure-configuration"])})
	if err != nil {
		t.Fatalf("GetInfrastructureConfiguration: %v", err)
	}
	if ic := infra.InfrastructureConfiguration; aws.ToString(ic.InstanceProfileName) != w.instanceProfile() || !slices.Equal(ic.InstanceTypes, []string{w.instanceType}) {
		t.Errorf("infrastructure: profile %s, types %v", aws.ToString(ic.InstanceProfileName), ic.InstanceTypes)
	}
	pl, err := ib.GetImagePipeline(ctx, &imagebuilder.GetImagePipelineInput{ImagePipelineArn: aws.String(f.arns["image-pipeline"])})
	if err != nil {
		t.Fatalf("GetImagePipeline: %v", err)
	}
	if p := pl.ImagePipeline; aws.ToString(p.ImageRecipeArn) != f.arns["image-recipe"] || aws.ToString(p.InfrastructureConfigurationArn) != f.arns["infrastructure-configuration"] ||
		aws.ToString(p.DistributionConfigurationArn) != f.arns["distribution-configuration"] {
		t.Errorf("the pipeline does not use what apply reported: %+v", p)
	}
	if got := aws.ToString(pl.ImagePipeline.ExecutionRole); got != f.executionRole && !strings.HasSuffix(got, ":role/"+f.executionRole) {
		t.Errorf("the pipeline's execution role is %q, want %s", got, f.executionRole)
	}

	// winami's tags, plus the suite's.
	for _, kind := range imageBuilderKinds {
		arn := f.arns[kind]
		if kind == "component" { // a component's tags are on its build version
			arn += "/1"
		}
		if _, err := ib.TagResource(ctx, &imagebuilder.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{suiteTag: w.prefix}}); err != nil {
			t.Errorf("tagging %s: %v", arn, err)
		}
		tags, err := ib.ListTagsForResource(ctx, &imagebuilder.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			t.Errorf("ListTagsForResource %s: %v", arn, err)
			continue
		}
		if tags.Tags["winami:managed-by"] != "winami" || tags.Tags["winami:name"] != w.prefix || tags.Tags[suiteTag] != w.prefix {
			t.Errorf("%s tags %v: want winami:managed-by=winami, winami:name=%s, %s=%s", arn, tags.Tags, w.prefix, suiteTag, w.prefix)
		}
	}

	// The instance profile: created by apply (administrator run) or by the platform team.
	c := w.iam()
	prof, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(w.instanceProfile())})
	if err != nil || len(prof.InstanceProfile.Roles) != 1 {
		t.Fatalf("instance profile %s: %v %+v", w.instanceProfile(), err, prof)
	}
	role := aws.ToString(prof.InstanceProfile.Roles[0].RoleName)
	if !strings.Contains(aws.ToString(prof.InstanceProfile.Roles[0].AssumeRolePolicyDocument), "ec2.amazonaws.com") {
		t.Errorf("role %s is not trusted by EC2: %s", role, aws.ToString(prof.InstanceProfile.Roles[0].AssumeRolePolicyDocument))
	}
	pols, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		t.Fatalf("ListAttachedRolePolicies %s: %v", role, err)
	}
	var names []string
	for _, p := range pols.AttachedPolicies {
		names = append(names, aws.ToString(p.PolicyName))
	}
	for _, want := range []string{"EC2InstanceProfileForImageBuilder", "AmazonSSMManagedInstanceCore"} {
		if !slices.Contains(names, want) {
			t.Errorf("role %s lacks %s (has %v)", role, want, names)
		}
	}

	// The execution role: trusted by Image Builder, allowed to write the parameter in
	// every region (created by apply --create-roles, or from render's requests).
	er, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(f.executionRole)})
	if err != nil {
		t.Fatalf("execution role %s: %v", f.executionRole, err)
	}
	if !strings.Contains(aws.ToString(er.Role.AssumeRolePolicyDocument), "imagebuilder.amazonaws.com") {
		t.Errorf("execution role %s is not trusted by Image Builder: %s", f.executionRole, aws.ToString(er.Role.AssumeRolePolicyDocument))
	}
	for _, region := range w.regions {
		arn := fmt.Sprintf("arn:%s:ssm:%s:%s:parameter%s", f.partition, region, f.account, w.parameter())
		sim, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: er.Role.Arn, ActionNames: []string{"ssm:PutParameter"}, ResourceArns: []string{arn}})
		if err != nil || len(sim.EvaluationResults) != 1 || sim.EvaluationResults[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed {
			t.Errorf("execution role %s may not put %s: %v %+v", f.executionRole, arn, err, sim)
		}
	}
	if !f.operator {
		f.tagIAM(t, role)
		f.tagIAM(t, f.executionRole)
	}
}

// tagIAM adds the suite's tag to a role apply created (and to the instance profile of
// the build role). awsemu
// does not serve IAM tagging: in the sandbox the names (which start with the prefix)
// are what the clean-up goes by.
func (f *flow) tagIAM(t *testing.T, role string) {
	w, c := f.w, f.w.iam()
	tags := []iamtypes.Tag{{Key: aws.String(suiteTag), Value: aws.String(w.prefix)}}
	if _, err := c.TagRole(f.ctx, &iam.TagRoleInput{RoleName: aws.String(role), Tags: tags}); err != nil && !w.unsupported(err) {
		t.Errorf("tagging role %s: %v", role, err)
	}
	if role != w.instanceProfile() {
		return
	}
	if _, err := c.TagInstanceProfile(f.ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String(w.instanceProfile()), Tags: tags}); err != nil && !w.unsupported(err) {
		t.Errorf("tagging instance profile %s: %v", w.instanceProfile(), err)
	}
}

// distributionSummary is one line per region: what the build relies on.
func distributionSummary(t *testing.T, ds []ibtypes.Distribution) string {
	var lines []string
	for _, d := range ds {
		line := aws.ToString(d.Region)
		for _, p := range d.SsmParameterConfigurations {
			line += " param=" + aws.ToString(p.ParameterName)
		}
		for _, fl := range d.FastLaunchConfigurations {
			target := int32(0)
			if fl.SnapshotConfiguration != nil {
				target = aws.ToInt32(fl.SnapshotConfiguration.TargetResourceCount)
			}
			line += fmt.Sprintf(" fastLaunch=%t/%d/%d", fl.Enabled, aws.ToInt32(fl.MaxParallelLaunches), target)
		}
		lines = append(lines, line)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// applyAgain: with nothing changed, apply changes nothing.
func (f *flow) applyAgain(t *testing.T) {
	var cs []change
	f.w.mustJSON(t, f.ctx, &cs, f.specArgs("apply", "-f", f.spec, "--yes", "-o", "json")...)
	if len(cs) == 0 {
		t.Fatal("apply printed no rows")
	}
	for _, c := range cs {
		if c.Action != "unchanged" {
			t.Errorf("second apply: %s %s is %q (%s), want unchanged", c.Resource, c.Name, c.Action, c.Reason)
		}
	}
}

// doctor: every check passes (or warns); the caller's permissions are simulated and pass,
// which in the operator run means the operator policy suffices.
func (f *flow) doctor(t *testing.T) {
	var checks []check
	r := f.w.winami(t, f.ctx, "doctor", "-f", f.spec, "-o", "json")
	if err := json.Unmarshal(r.stdout, &checks); err != nil {
		t.Fatalf("doctor -o json: %v\n%s", err, r)
	}
	perm := false
	for _, c := range checks {
		switch {
		case c.Status == "fail":
			t.Errorf("doctor: %s failed: %s (fix: %s)", c.Name, c.Message, c.Fix)
		case c.Status != "pass":
			t.Logf("doctor: %s %s: %s", c.Name, c.Status, c.Message)
		}
		if c.Name == "permissions" && c.Status == "pass" {
			perm = true
		}
	}
	if !perm {
		t.Errorf("doctor's permissions check did not pass:\n%s", r.stdout)
	}
	if r.code != 0 {
		t.Errorf("doctor exit %d\n%s", r.code, r)
	}
}

// buildOnce runs winami build and checks its JSON and the AMIs it made.
func (f *flow) buildOnce(t *testing.T, args ...string) buildResult {
	w := f.w
	var res buildResult
	all := append([]string{"build", "-f", f.spec, "--yes", "-o", "json", "--poll-interval", w.buildPoll.String(), "--timeout", w.buildTimeout.String()}, args...)
	w.mustJSON(t, f.ctx, &res, f.specArgs(all...)...)
	if res.Skipped {
		return res
	}
	prefix := fmt.Sprintf("arn:%s:imagebuilder:%s:%s:image/%s/", f.partition, w.region, f.account, w.prefix)
	if res.State != "AVAILABLE" || !strings.HasPrefix(res.Image, prefix) || res.Parameter != w.parameter() {
		t.Errorf("build: state %s, image %s, parameter %s; want AVAILABLE, %s…, %s", res.State, res.Image, res.Parameter, prefix, w.parameter())
	}
	if len(res.AMIs) != len(w.regions) {
		t.Fatalf("build printed %d AMIs for regions %v: %+v", len(res.AMIs), w.regions, res.AMIs)
	}
	if _, err := w.ib().TagResource(f.ctx, &imagebuilder.TagResourceInput{ResourceArn: aws.String(res.Image), Tags: map[string]string{suiteTag: w.prefix}}); err != nil {
		t.Errorf("tagging image %s: %v", res.Image, err)
	}
	// Image Builder itself wrote the parameter in every region (winami writes it only
	// where the distribution did not).
	by := map[string]string{}
	for _, p := range res.Published {
		by[p.Region] = p.By
	}
	for _, region := range w.regions {
		if by[region] != "imagebuilder" {
			t.Errorf("%s: the parameter was written by %q, want imagebuilder (the distribution's ssmParameterConfigurations)", region, by[region])
		}
		id := res.ami(t, region)
		img := f.describeImage(t, region, id)
		tags := ec2Tags(img.Tags)
		if img.State != ec2types.ImageStateAvailable || aws.ToString(img.OwnerId) != f.account || !strings.EqualFold(string(img.Platform), "windows") ||
			!strings.HasPrefix(aws.ToString(img.Name), w.prefix+"-") {
			t.Errorf("%s %s: state %s, owner %s, platform %q, name %s", region, id, img.State, aws.ToString(img.OwnerId), img.Platform, aws.ToString(img.Name))
		}
		for k, v := range map[string]string{"winami:managed-by": "winami", "winami:name": w.prefix, "Ec2ImageBuilderArn": res.Image,
			"winami:inputs-hash": res.InputsHash, "winami:parent-image": f.parent, suiteTag: w.prefix} {
			if tags[k] != v {
				t.Errorf("%s %s: tag %s=%q, want %q", region, id, k, tags[k], v)
			}
		}
		// The snapshots are the run's too: tag them for the clean-up (and the bill).
		var snaps []string
		for _, bdm := range img.BlockDeviceMappings {
			if bdm.Ebs != nil && bdm.Ebs.SnapshotId != nil {
				snaps = append(snaps, *bdm.Ebs.SnapshotId)
			}
		}
		if len(snaps) == 0 {
			t.Errorf("%s %s has no EBS snapshot", region, id)
			continue
		}
		_, err := w.ec2(region).CreateTags(f.ctx, &ec2.CreateTagsInput{Resources: snaps, Tags: []ec2types.Tag{{Key: aws.String(suiteTag), Value: aws.String(w.prefix)}}})
		switch {
		case f.operator && apiCode(err) == "UnauthorizedOperation":
			// The operator policy tags snapshots with winami:prune-pending only (iam-policy,
			// statement MarkSnapshots): the suite's key is refused, as it must be. The
			// operator run is the sandbox's, whose clean-up finds them through their AMIs.
		case err != nil:
			t.Errorf("tagging the snapshots %v of %s: %v", snaps, id, err)
		case f.operator:
			t.Errorf("the operator tagged the snapshots %v of %s with %s: its policy lets it tag snapshots with winami:prune-pending only", snaps, id, suiteTag)
		}
	}
	return res
}

func (f *flow) build(t *testing.T) { f.first = f.buildOnce(t) }

// publish: the parameter names the new AMI in every region, as an aws:ec2:image.
func (f *flow) publish(t *testing.T) {
	f.checkParameter(t, f.first)
	// The parameter is the run's too. awsemu does not serve SSM tagging: in the sandbox
	// its name (under /winami-e2e/<prefix>/) is what the clean-up goes by.
	for _, region := range f.w.regions {
		_, err := f.w.ssm(region).AddTagsToResource(f.ctx, &ssm.AddTagsToResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingParameter,
			ResourceId: aws.String(f.w.parameter()), Tags: []ssmtypes.Tag{{Key: aws.String(suiteTag), Value: aws.String(f.w.prefix)}}})
		if err != nil && !f.w.unsupported(err) {
			t.Errorf("%s: tagging parameter %s: %v", region, f.w.parameter(), err)
		}
	}
}

func (f *flow) checkParameter(t *testing.T, b buildResult) {
	for _, region := range f.w.regions {
		out, err := f.w.ssm(region).GetParameter(f.ctx, &ssm.GetParameterInput{Name: aws.String(f.w.parameter())})
		if err != nil {
			t.Errorf("%s: GetParameter %s: %v", region, f.w.parameter(), err)
			continue
		}
		if got, want := aws.ToString(out.Parameter.Value), b.ami(t, region); got != want || aws.ToString(out.Parameter.DataType) != "aws:ec2:image" {
			t.Errorf("%s: %s is %s (%s), want %s (aws:ec2:image)", region, f.w.parameter(), got, aws.ToString(out.Parameter.DataType), want)
		}
	}
}

// resolveParameter: winami resolves ssm:<parameter> in every region to the AMI built there.
func (f *flow) resolveParameter(t *testing.T) {
	got := f.fastLaunchStatus(t)
	for _, region := range f.w.regions {
		if got[region].ImageID != f.first.ami(t, region) {
			t.Errorf("%s: ssm:%s resolved to %q, want %s", region, f.w.parameter(), got[region].ImageID, f.first.ami(t, region))
		}
	}
}

// fastLaunchStatus runs fast-launch status on the parameter in every region.
func (f *flow) fastLaunchStatus(t *testing.T) map[string]fastLaunchState {
	var sts []fastLaunchState
	f.w.mustJSON(t, f.ctx, &sts, "fast-launch", "status", "--image", "ssm:"+f.w.parameter(), "--region", strings.Join(f.w.regions, ","), "-o", "json")
	got := map[string]fastLaunchState{}
	for _, s := range sts {
		got[s.Region] = s
	}
	return got
}

// fastLaunch: the build turned Fast Launch on in every region; it reaches enabled; then
// the CLI's enable --dry-run passes, and disable and enable work on the built AMI.
func (f *flow) fastLaunch(t *testing.T) {
	w := f.w
	var last map[string]fastLaunchState
	err := waitFor(f.ctx, "waiting for Fast Launch to be enabled in "+strings.Join(w.regions, ", "), w.flPoll, w.flTimeout, func(ctx context.Context) (bool, error) {
		last = f.fastLaunchStatus(t)
		done := true
		for _, region := range w.regions {
			s := last[region]
			if strings.HasSuffix(s.State, "-failed") {
				return false, fmt.Errorf("%s: Fast Launch of %s is %s: %s", region, s.ImageID, s.State, s.StateReason)
			}
			done = done && s.State == "enabled"
		}
		return done, nil
	})
	if err != nil {
		t.Fatalf("%v (last %+v)", err, last)
	}
	for _, region := range w.regions {
		if s := last[region]; s.TargetSnapshots != 1 || s.MaxParallelLaunches != 6 || s.OwnerID != f.account {
			t.Errorf("%s: Fast Launch %+v, want 1 snapshot, 6 parallel launches, owner %s", region, s, f.account)
		}
	}

	var dry fastLaunchDryRun
	w.mustJSON(t, f.ctx, &dry, "fast-launch", "enable", "--image", "ssm:"+w.parameter(), "--snapshots", "1", "--dry-run", "-o", "json")
	names := map[string]string{}
	for _, c := range dry.Checks {
		names[c.Name] = c.Status
		if c.Status != "pass" {
			t.Errorf("fast-launch enable --dry-run: %s %s: %s", c.Name, c.Status, c.Message)
		}
	}
	if !dry.DryRun || names["ec2-dry-run"] != "pass" || names["iam-permissions"] != "pass" || names["image-owned"] != "pass" {
		t.Errorf("fast-launch enable --dry-run: %+v", dry)
	}

	ami := f.first.ami(t, w.region)
	wait := []string{"--wait", "--poll-interval", w.flPoll.String(), "--timeout", w.flTimeout.String(), "-o", "json"}
	var off fastLaunchState
	w.mustJSON(t, f.ctx, &off, append([]string{"fast-launch", "disable", "--image", ami}, wait...)...)
	if off.State != "disabled" || off.ImageID != ami {
		t.Errorf("fast-launch disable --wait: %+v", off)
	}
	if s, err := w.fastLaunchOf(f.ctx, w.region, ami); err != nil || (s != "" && s != "disabled") {
		t.Errorf("EC2 says Fast Launch of %s is %q (%v) after disable", ami, s, err)
	}
	var on fastLaunchState
	w.mustJSON(t, f.ctx, &on, append([]string{"fast-launch", "enable", "--image", "ssm:" + w.parameter(), "--snapshots", "1", "--max-parallel", "6"}, wait...)...)
	if on.State != "enabled" || on.ImageID != ami || on.TargetSnapshots != 1 {
		t.Errorf("fast-launch enable --wait: %+v", on)
	}
	out, err := w.ec2(w.region).DescribeFastLaunchImages(f.ctx, &ec2.DescribeFastLaunchImagesInput{ImageIds: []string{ami}})
	if err != nil || len(out.FastLaunchImages) != 1 {
		t.Fatalf("DescribeFastLaunchImages %s: %v %+v", ami, err, out)
	}
	if fl := out.FastLaunchImages[0]; fl.State != ec2types.FastLaunchStateCodeEnabled || aws.ToInt32(fl.MaxParallelLaunches) != 6 ||
		fl.SnapshotConfiguration == nil || aws.ToInt32(fl.SnapshotConfiguration.TargetResourceCount) != 1 {
		t.Errorf("EC2 says Fast Launch of %s is %s, %d parallel, %+v", ami, fl.State, aws.ToInt32(fl.MaxParallelLaunches), fl.SnapshotConfiguration)
	}
}

// buildIfChanged: nothing changed since the build, so --if-changed starts nothing.
func (f *flow) buildIfChanged(t *testing.T) {
	res := f.buildOnce(t, "--if-changed")
	if !res.Skipped || res.Image != f.first.Image || res.InputsHash != f.first.InputsHash {
		t.Fatalf("build --if-changed right after a build: skipped %t, image %s (first %s), inputs %s (first %s)",
			res.Skipped, res.Image, f.first.Image, res.InputsHash, f.first.InputsHash)
	}
	imgs, err := f.w.pipelineImages(f.ctx, f.arns["image-pipeline"])
	if err != nil || len(imgs) != 1 {
		t.Errorf("the pipeline has %d images (%v), want 1", len(imgs), err)
	}
}

// rebuild builds again: new AMIs, and the parameter follows them.
func (f *flow) rebuild(t *testing.T) {
	f.second = f.buildOnce(t)
	if f.second.Skipped || f.second.Image == f.first.Image {
		t.Fatalf("the second build made no new image: %+v", f.second)
	}
	for _, region := range f.w.regions {
		if f.second.ami(t, region) == f.first.ami(t, region) {
			t.Errorf("%s: the second build reused AMI %s", region, f.first.ami(t, region))
		}
	}
	f.checkParameter(t, f.second)
}

// prune keeps the newest AMI (which the parameter names) and deletes the first: Fast
// Launch disabled, AMI deregistered, snapshots deleted.
func (f *flow) prune(t *testing.T) {
	w, ctx := f.w, f.ctx
	actions := func(res pruneResult) map[string]string {
		m := map[string]string{}
		for _, img := range res.Images {
			m[img.ImageID] = img.Action
			if img.ImageID != "" && img.Action == "keep" && !strings.Contains(strings.Join(img.Reasons, "; "), "published in "+w.parameter()) {
				t.Errorf("%s %s is kept for %v, want (among others) published in %s", img.Region, img.ImageID, img.Reasons, w.parameter())
			}
		}
		return m
	}
	var plan pruneResult
	w.mustJSON(t, ctx, &plan, "prune", "-f", f.spec, "--keep", "1", "-o", "json")
	got := actions(plan)
	firstSnaps := map[string][]string{}
	for _, region := range w.regions {
		old, cur := f.first.ami(t, region), f.second.ami(t, region)
		if got[old] != "delete" || got[cur] != "keep" {
			t.Errorf("prune plan in %s: %s %q (want delete), %s %q (want keep)", region, old, got[old], cur, got[cur])
		}
		img := f.describeImage(t, region, old) // the plan changed nothing
		for _, bdm := range img.BlockDeviceMappings {
			if bdm.Ebs != nil && bdm.Ebs.SnapshotId != nil {
				firstSnaps[region] = append(firstSnaps[region], *bdm.Ebs.SnapshotId)
			}
		}
	}
	if t.Failed() {
		return
	}

	var done pruneResult
	w.mustJSON(t, ctx, &done, "prune", "-f", f.spec, "--keep", "1", "--yes", "--poll-interval", w.flPoll.String(), "--timeout", w.flTimeout.String(), "-o", "json")
	results := map[string]string{}
	for _, img := range done.Images {
		results[img.ImageID] = img.Result
	}
	for _, region := range w.regions {
		old, cur := f.first.ami(t, region), f.second.ami(t, region)
		if results[old] != "deleted" {
			t.Errorf("prune --yes in %s: %s result %q, want deleted", region, old, results[old])
		}
		out, err := w.ec2(region).DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{old}})
		if err == nil && len(out.Images) > 0 && out.Images[0].State != ec2types.ImageStateDeregistered {
			t.Errorf("%s: %s is still %s after prune", region, old, out.Images[0].State)
		} else if err != nil && !gone(err) {
			t.Errorf("%s: DescribeImages %s: %v", region, old, err)
		}
		for _, snap := range firstSnaps[region] {
			out, err := w.ec2(region).DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{snap}})
			if err == nil && len(out.Snapshots) > 0 {
				t.Errorf("%s: snapshot %s of %s is still there after prune", region, snap, old)
			} else if err != nil && !gone(err) {
				t.Errorf("%s: DescribeSnapshots %s: %v", region, snap, err)
			}
		}
		if s, err := w.fastLaunchOf(ctx, region, old); err != nil || (s != "" && s != "disabled") {
			t.Errorf("%s: Fast Launch of the pruned %s is %q (%v)", region, old, s, err)
		}
		f.describeImage(t, region, cur)
	}
	f.checkParameter(t, f.second)
}

// describeImage returns the AMI; the test fails when it does not exist.
func (f *flow) describeImage(t *testing.T, region, id string) ec2types.Image {
	t.Helper()
	out, err := f.w.ec2(region).DescribeImages(f.ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil {
		t.Fatalf("%s: DescribeImages %s: %v", region, id, err)
	}
	if len(out.Images) != 1 {
		t.Fatalf("%s: DescribeImages %s: %d images", region, id, len(out.Images))
	}
	return out.Images[0]
}

func ec2Tags(tags []ec2types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
