package preflight_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/winami/winami/preflight"
	"github.com/winami/winami/render"
	"github.com/winami/winami/spec"
)

func simulateRole(t *testing.T, c *iam.Client, role string, actions, resources []string, entries ...iamtypes.ContextEntry) map[string]string {
	t.Helper()
	out, err := c.SimulatePrincipalPolicy(context.Background(), &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/" + role), ActionNames: actions, ResourceArns: resources, ContextEntries: entries})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range out.EvaluationResults {
		got[aws.ToString(r.EvalActionName)] = string(r.EvalDecision)
	}
	return got
}

// The printed operator policy, put on a role, allows every action doctor requires and
// nothing it scopes away.
func TestOperatorPolicyAllowsWhatWinamiCalls(t *testing.T) {
	w := newDocWorld(t)
	ctx := context.Background()
	img := loadSpec(t)
	doc, err := json.Marshal(preflight.OperatorPolicy(preflight.ScopeOf(img)))
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := w.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("winami-operator"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("winami-operator"), PolicyName: aws.String("winami"), PolicyDocument: aws.String(string(doc))}); err != nil {
		t.Fatalf("IAM refused the operator policy: %v", err)
	}
	for _, sim := range preflight.OperatorSimulations(img, "123456789012") {
		for a, d := range simulateRole(t, w.iam, "winami-operator", sim.Actions, sim.Resources, sim.Context...) {
			if d != "allowed" {
				t.Errorf("%s on %v: %s", a, sim.Resources, d)
			}
		}
	}
	// Deleting is scoped: an AMI winami did not make, a snapshot prune did not mark.
	img0 := []string{"arn:aws:ec2:us-east-1::image/ami-00000000000000001"}
	if d := simulateRole(t, w.iam, "winami-operator", []string{"ec2:DeregisterImage"}, img0); d["ec2:DeregisterImage"] == "allowed" {
		t.Errorf("the operator may deregister any AMI")
	}
	snap0 := []string{"arn:aws:ec2:us-east-1::snapshot/snap-00000000000000001"}
	if d := simulateRole(t, w.iam, "winami-operator", []string{"ec2:DeleteSnapshot"}, snap0); d["ec2:DeleteSnapshot"] == "allowed" {
		t.Errorf("the operator may delete any snapshot")
	}
	param := "arn:aws:ssm:us-west-2:123456789012:parameter/winami/doc-win2022/image_id"
	if d := simulateRole(t, w.iam, "winami-operator", []string{"ssm:PutParameter"}, []string{param}); d["ssm:PutParameter"] != "allowed" {
		t.Errorf("publishing %s: %v", param, d)
	}
	other := "arn:aws:ssm:us-west-2:123456789012:parameter/prod/db-password"
	if d := simulateRole(t, w.iam, "winami-operator", []string{"ssm:PutParameter"}, []string{other}); d["ssm:PutParameter"] == "allowed" {
		t.Errorf("the operator may overwrite %s", other)
	}
	for _, svc := range preflight.ServiceLinkedRoles {
		e := iamtypes.ContextEntry{ContextKeyName: aws.String("iam:AWSServiceName"), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{svc}}
		if d := simulateRole(t, w.iam, "winami-operator", []string{"iam:CreateServiceLinkedRole"}, nil, e); d["iam:CreateServiceLinkedRole"] != "allowed" {
			t.Errorf("service-linked role for %s: %v", svc, d)
		}
	}
	e := iamtypes.ContextEntry{ContextKeyName: aws.String("iam:AWSServiceName"), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{"rds.amazonaws.com"}}
	if d := simulateRole(t, w.iam, "winami-operator", []string{"iam:CreateServiceLinkedRole"}, nil, e); d["iam:CreateServiceLinkedRole"] == "allowed" {
		t.Errorf("the operator may create any service-linked role")
	}
}

// The instance policy, on a role with the managed policies, passes doctor's role checks.
func TestInstancePolicyPassesDoctor(t *testing.T) {
	w := newDocWorld(t)
	ctx := context.Background()
	img := loadSpec(t, "PROFILE", "FromIAMPolicy")
	managed, inline := preflight.InstancePolicy(preflight.ScopeOf(img))
	var names []string
	for _, arn := range managed {
		names = append(names, arn[len("arn:aws:iam::aws:policy/"):])
	}
	w.role(t, "FromIAMPolicy", names...)
	doc, _ := json.Marshal(inline)
	if _, err := w.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("FromIAMPolicy"), PolicyName: aws.String("ecr"), PolicyDocument: aws.String(string(doc))}); err != nil {
		t.Fatal(err)
	}
	for _, c := range w.run(t, img) {
		if c.Status == "fail" {
			t.Errorf("%s: %s", c.Name, c.Message)
		}
	}
}

func TestECRRepositoryARN(t *testing.T) {
	for ref, want := range map[string]string{
		"111122223333.dkr.ecr.us-east-1.amazonaws.com/team/app:1.4.2":  "arn:aws:ecr:us-east-1:111122223333:repository/team/app",
		"111122223333.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:abcd": "arn:aws:ecr:eu-west-1:111122223333:repository/app",
		"111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1":       "arn:aws-cn:ecr:cn-north-1:111122223333:repository/app",
		"111122223333.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app:1":  "arn:aws-us-gov:ecr:us-gov-west-1:111122223333:repository/app",
	} {
		if got, ok := preflight.ECRRepositoryARN(ref); !ok || got != want {
			t.Errorf("ECRRepositoryARN(%q) = %q, %v", ref, got, ok)
		}
	}
	for _, ref := range []string{"mcr.microsoft.com/windows/servercore:ltsc2022", "nginx", "public.ecr.aws/x/y:1"} {
		if _, ok := preflight.ECRRepositoryARN(ref); ok {
			t.Errorf("%q taken for a private ECR image", ref)
		}
	}
}

// TestPoliciesArePartitionAware: in GovCloud and China every ARN winami writes or asks
// about is in that partition (arn:aws-us-gov:…, arn:aws-cn:…), managed policies included;
// the old code wrote arn:aws: everywhere.
func TestPoliciesArePartitionAware(t *testing.T) {
	for region, partition := range map[string]string{"us-gov-west-1": "aws-us-gov", "cn-north-1": "aws-cn", "us-east-1": "aws"} {
		text := strings.NewReplacer("region: us-east-1", "region: "+region, "regions: [us-east-1, us-west-2]", "regions: ["+region+"]",
			"111122223333.dkr.ecr.us-east-1.amazonaws.com/team/app:1.4.2", "mcr.microsoft.com/windows/servercore:ltsc2022").Replace(baseSpec)
		text = strings.NewReplacer("PARENT", "parent: {source: eks-optimized}", "PROFILE", "BuildProfile", "LAUNCHTEMPLATE", "targetSnapshots: 5").Replace(text)
		img, err := spec.LoadBytes([]byte(text), "winami.yaml")
		if err != nil {
			t.Fatalf("%s: %v", region, err)
		}
		want := "arn:" + partition + ":"
		var arns []string
		sc := preflight.ScopeOf(img)
		managed, inline := preflight.InstancePolicy(sc)
		arns = append(arns, managed...)
		for _, doc := range []preflight.Document{inline, preflight.OperatorPolicy(sc)} {
			for _, st := range doc.Statement {
				arns = append(arns, st.Resource...)
			}
		}
		for _, sim := range preflight.OperatorSimulations(img, "123456789012") {
			arns = append(arns, sim.Resources...)
		}
		arns = append(arns, preflight.ManagedPolicyARN(partition, preflight.SSMInstancePolicy))
		n := 0
		for _, a := range arns {
			if a == "*" {
				continue
			}
			n++
			if !strings.HasPrefix(a, want) {
				t.Errorf("%s: %s is not in partition %s", region, a, partition)
			}
		}
		if n < 20 {
			t.Errorf("%s: only %d ARNs looked at", region, n)
		}
		if got := managed[0]; got != want+"iam::aws:policy/EC2InstanceProfileForImageBuilder" {
			t.Errorf("%s: managed policy %s", region, got)
		}
	}
}

// TestOperatorMayPassTheRenderedInstanceRole: the build role of the rendered
// cloudformation.yaml is the one the operator policy (and doctor's simulation) lets the
// operator pass to EC2. The old template left the role unnamed, so CloudFormation named it
// <stack>-BuildRole-<suffix> and the policy's role/<instanceProfile> never matched.
func TestOperatorMayPassTheRenderedInstanceRole(t *testing.T) {
	w := newDocWorld(t)
	ctx := context.Background()
	img := loadSpec(t, "PROFILE", "team-image-builder")
	res, err := render.Render(img, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	role, ok := res.CloudFormation().Resources["BuildRole"].Properties.(render.IAMRole)
	if !ok || role.RoleName == "" {
		t.Fatalf("the template's build role has no RoleName: CloudFormation makes one up that no policy names (%+v)", role)
	}
	doc, err := json.Marshal(preflight.OperatorPolicy(preflight.ScopeOf(img)))
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := w.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("winami-operator"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("winami-operator"), PolicyName: aws.String("winami"), PolicyDocument: aws.String(string(doc))}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:iam::123456789012:role/" + role.RoleName
	e := iamtypes.ContextEntry{ContextKeyName: aws.String("iam:PassedToService"), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{"ec2.amazonaws.com"}}
	if d := simulateRole(t, w.iam, "winami-operator", []string{"iam:PassRole"}, []string{arn}, e); d["iam:PassRole"] != "allowed" {
		t.Errorf("the operator may not pass the rendered build role %s: %v", arn, d)
	}
}

// TestOperatorPolicyFitsAManagedPolicy: the operator policy, without whitespace, stays
// within IAM's 6,144 characters of a customer managed policy (and so within the 10,240 of
// a role's inline policies), https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html.
func TestOperatorPolicyFitsAManagedPolicy(t *testing.T) {
	for name, sc := range map[string]preflight.Scope{"no spec": {}, "the base spec": preflight.ScopeOf(loadSpec(t))} {
		b, err := json.Marshal(preflight.OperatorPolicy(sc))
		if err != nil {
			t.Fatal(err)
		}
		n := len(strings.Join(strings.Fields(string(b)), ""))
		if n > 6144 {
			t.Errorf("%s: the operator policy has %d characters, over IAM's 6,144 for a managed policy", name, n)
		}
	}
}

// TestOperatorPolicyPassRoles: roles given with --launch-template-role join the build
// role in PassInstanceRole, still only to EC2; the execution role is passed to Image
// Builder only, and without a spec any <name>-imagebuilder-execution.
func TestOperatorPolicyPassRoles(t *testing.T) {
	doc := preflight.OperatorPolicy(preflight.Scope{InstanceProfile: "BuildRole", PassRoles: []string{"node-role", "arn:aws:iam::111122223333:role/x/fl"}})
	got := map[string]preflight.Statement{}
	for _, st := range doc.Statement {
		got[st.Sid] = st
	}
	pass := got["PassInstanceRole"]
	if strings.Join(pass.Resource, " ") != "arn:aws:iam::*:role/BuildRole arn:aws:iam::*:role/node-role arn:aws:iam::111122223333:role/x/fl" ||
		pass.Condition["StringEquals"]["iam:PassedToService"] != "ec2.amazonaws.com" {
		t.Errorf("PassInstanceRole: %+v", pass)
	}
	exec := got["PassExecutionRole"]
	if strings.Join(exec.Resource, " ") != "arn:aws:iam::*:role/*-imagebuilder-execution" || exec.Condition["StringEquals"]["iam:PassedToService"] != "imagebuilder.amazonaws.com" {
		t.Errorf("PassExecutionRole without a spec: %+v", exec)
	}
	img := loadSpec(t)
	img.Spec.Build.ExecutionRole = ""
	img.Spec.Distribution.PublishParameter = "/imagebuilder/x"
	for _, st := range preflight.OperatorPolicy(preflight.ScopeOf(img)).Statement {
		if st.Sid == "PassExecutionRole" {
			t.Errorf("a spec without an execution role gets %+v", st)
		}
	}
}
