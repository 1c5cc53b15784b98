package preflight_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/winami/winami/fastlaunch"
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
	for name, sc := range map[string]preflight.Scope{"no spec": {}, "the base spec": preflight.ScopeOf(loadSpec(t)), "the enterprise spec": preflight.ScopeOf(loadEnterprise(t))} {
		b, err := json.Marshal(preflight.OperatorPolicy(sc))
		if err != nil {
			t.Fatal(err)
		}
		n := len(strings.Join(strings.Fields(string(b)), ""))
		// The enterprise spec's policy (keys, logs, target accounts) is over the managed
		// policy's limit; as an inline policy (put-role-policy, what iam-policy's help
		// shows) it fits the role's 10,240.
		limit, what := 6144, "IAM's 6,144 for a managed policy"
		if name == "the enterprise spec" {
			limit, what = 10240, "IAM's 10,240 for a role's inline policies"
		}
		if n > limit {
			t.Errorf("%s: the operator policy has %d characters, over %s", name, n, what)
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
	// Without a spec, the roles an Image Builder instance profile holds by name, not any
	// role (the old policy passed arn:aws:iam::*:role/* to EC2).
	for _, st := range preflight.OperatorPolicy(preflight.Scope{}).Statement {
		if st.Sid == "PassInstanceRole" && strings.Join(st.Resource, " ") != "arn:aws:iam::*:role/*ImageBuilder* arn:aws:iam::*:role/*imagebuilder*" {
			t.Errorf("PassInstanceRole without a spec: %+v", st)
		}
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

// putOperatorRole creates a role holding the operator policy of sc.
func putOperatorRole(t *testing.T, c *iam.Client, role string, sc preflight.Scope) {
	t.Helper()
	ctx := context.Background()
	doc, err := json.Marshal(preflight.OperatorPolicy(sc))
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("winami"), PolicyDocument: aws.String(string(doc))}); err != nil {
		t.Fatalf("IAM refused the operator policy: %v", err)
	}
}

// tagging is the request context of a direct CreateTags of tags on a resource carrying
// have: aws:RequestTag/<key>, aws:TagKeys and ec2:ResourceTag/<key> (no ec2:CreateAction:
// the call creates nothing).
func tagging(have, tags map[string]string) []iamtypes.ContextEntry {
	var out []iamtypes.ContextEntry
	var keys []string
	for k, v := range tags {
		keys = append(keys, k)
		out = append(out, iamtypes.ContextEntry{ContextKeyName: aws.String("aws:RequestTag/" + k), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{v}})
	}
	if len(keys) > 0 {
		out = append(out, iamtypes.ContextEntry{ContextKeyName: aws.String("aws:TagKeys"), ContextKeyType: iamtypes.ContextKeyTypeEnumStringList, ContextKeyValues: keys})
	}
	return append(out, resourceTags(have)...)
}

func resourceTags(have map[string]string) []iamtypes.ContextEntry {
	var out []iamtypes.ContextEntry
	for k, v := range have {
		out = append(out, iamtypes.ContextEntry{ContextKeyName: aws.String("ec2:ResourceTag/" + k), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{v}},
			iamtypes.ContextEntry{ContextKeyName: aws.String("aws:ResourceTag/" + k), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{v}})
	}
	return out
}

// TestOperatorPolicyRefusesTagEscalation (issue 14): the operator policy, put on a role in
// awsemu's IAM and asked through SimulatePrincipalPolicy, refuses every step of the
// escalation "tag an AMI that is not winami's winami:managed-by = winami, then deregister
// it through prune's tag-scoped statement" (and its snapshot twin: mark any snapshot
// winami:prune-pending, then delete it), for the policy of a spec (-f) and the unscoped
// one, while it still allows what build and prune do to winami's own AMIs and snapshots.
// The old policy allowed ec2:CreateTags on any image with no condition.
func TestOperatorPolicyRefusesTagEscalation(t *testing.T) {
	type ask struct {
		what, action, resource string
		ctx                    []iamtypes.ContextEntry
	}
	w := newDocWorld(t)
	img := loadSpec(t)
	name := img.Metadata.Name
	const (
		ami  = "arn:aws:ec2:us-west-2::image/ami-0123456789abcdef0"
		snap = "arn:aws:ec2:us-west-2::snapshot/snap-0123456789abcdef0"
	)
	hijack := map[string]string{"winami:managed-by": "winami", "winami:name": name}
	// What Image Builder and the distribution's amiTags put on winami's AMIs.
	ours := map[string]string{"CreatedBy": "EC2 Image Builder", "Ec2ImageBuilderArn": "arn:aws:imagebuilder:us-west-2:123456789012:image/" + name + "/1.0.0/1",
		"winami:managed-by": "winami", "winami:name": name}
	for _, tc := range []struct {
		role string
		sc   preflight.Scope
	}{{"operator-spec", preflight.ScopeOf(img)}, {"operator-any", preflight.Scope{}}} {
		putOperatorRole(t, w.iam, tc.role, tc.sc)
		decide := func(action, resource string, ctx []iamtypes.ContextEntry) string {
			return simulateRole(t, w.iam, tc.role, []string{action}, []string{resource}, ctx...)[action]
		}
		refused := []ask{
			{"tag a hand-made AMI winami's", "ec2:CreateTags", ami, tagging(map[string]string{"team": "data"}, hijack)},
			{"tag an untagged AMI winami:managed-by", "ec2:CreateTags", ami, tagging(nil, map[string]string{"winami:managed-by": "winami"})},
			{"tag another Image Builder AMI winami's", "ec2:CreateTags", ami, tagging(map[string]string{"CreatedBy": "EC2 Image Builder", "Ec2ImageBuilderArn": "arn:aws:imagebuilder:us-west-2:123456789012:image/other/1.0.0/1"}, hijack)},
			{"forge CreatedBy on an AMI", "ec2:CreateTags", ami, tagging(map[string]string{"winami:managed-by": "winami"}, map[string]string{"CreatedBy": "EC2 Image Builder"})},
			{"re-tag winami's AMI winami:managed-by with an input key", "ec2:CreateTags", ami, tagging(ours, map[string]string{"winami:inputs-hash": "x", "winami:managed-by": "winami"})},
			{"rename winami's AMI to another spec", "ec2:CreateTags", ami, tagging(ours, map[string]string{"winami:name": "other"})},
			{"tag an AMI as part of a launch", "ec2:CreateTags", ami, append(tagging(nil, hijack), fastlaunch.StringEntry("ec2:CreateAction", "RunInstances"))},
			{"deregister an AMI tagged winami:managed-by by hand", "ec2:DeregisterImage", ami, resourceTags(hijack)},
			{"deregister a hand-made AMI", "ec2:DeregisterImage", ami, resourceTags(map[string]string{"team": "data"})},
			{"deregister another Image Builder AMI", "ec2:DeregisterImage", ami, resourceTags(map[string]string{"CreatedBy": "EC2 Image Builder"})},
			{"mark a backup snapshot for deletion", "ec2:CreateTags", snap, tagging(map[string]string{"backup": "daily"}, map[string]string{"winami:prune-pending": name})},
			{"mark an Image Builder snapshot with another key", "ec2:CreateTags", snap, tagging(map[string]string{"CreatedBy": "EC2 Image Builder"}, map[string]string{"winami:prune-pending": name, "CreatedBy": "x"})},
			{"delete a backup snapshot marked by hand", "ec2:DeleteSnapshot", snap, resourceTags(map[string]string{"winami:prune-pending": name})},
			{"delete an unmarked Image Builder snapshot", "ec2:DeleteSnapshot", snap, resourceTags(map[string]string{"CreatedBy": "EC2 Image Builder"})},
			{"pass an administrator role to EC2 (and launch an instance with it)", "iam:PassRole", "arn:aws:iam::123456789012:role/Admin",
				[]iamtypes.ContextEntry{fastlaunch.StringEntry("iam:PassedToService", "ec2.amazonaws.com")}},
		}
		if tc.sc.Name != "" {
			other := map[string]string{"CreatedBy": "EC2 Image Builder", "winami:managed-by": "winami", "winami:name": "other-spec"}
			refused = append(refused,
				ask{"deregister another spec's AMI", "ec2:DeregisterImage", ami, resourceTags(other)},
				ask{"update another spec's pipeline whose name starts with this one's", "imagebuilder:UpdateImagePipeline", "arn:aws:imagebuilder:us-west-2:123456789012:image-pipeline/" + name + "-team-b", nil},
				ask{"mark an Image Builder snapshot with another spec's name", "ec2:CreateTags", snap, tagging(map[string]string{"CreatedBy": "EC2 Image Builder"}, map[string]string{"winami:prune-pending": "other-spec"})},
			)
		}
		for _, r := range refused {
			if d := decide(r.action, r.resource, r.ctx); d == "allowed" {
				t.Errorf("%s: %s may %s (%s on %s)", tc.role, tc.role, r.what, r.action, r.resource)
			}
		}
		allowed := []ask{
			{"tag winami's AMI with the build's inputs", "ec2:CreateTags", ami, tagging(ours, map[string]string{"winami:inputs-hash": "x", "winami:cached-images": "2", "winami:cached-images:1": "a b"})},
			{"deregister winami's AMI", "ec2:DeregisterImage", ami, resourceTags(ours)},
			{"mark winami's snapshot", "ec2:CreateTags", snap, tagging(map[string]string{"CreatedBy": "EC2 Image Builder"}, map[string]string{"winami:prune-pending": name})},
			{"delete a marked snapshot", "ec2:DeleteSnapshot", snap, resourceTags(map[string]string{"CreatedBy": "EC2 Image Builder", "winami:prune-pending": name})},
			{"update the spec's pipeline", "imagebuilder:UpdateImagePipeline", "arn:aws:imagebuilder:us-west-2:123456789012:image-pipeline/" + name, nil},
			{"pass the default build role to EC2", "iam:PassRole", "arn:aws:iam::123456789012:role/EC2InstanceProfileForImageBuilder",
				[]iamtypes.ContextEntry{fastlaunch.StringEntry("iam:PassedToService", "ec2.amazonaws.com")}},
			{"create the spec's cache component", "imagebuilder:CreateComponent", "arn:aws:imagebuilder:us-west-2:123456789012:component/" + name + "-image-cache-2/1.0.0/1", nil},
		}
		for _, a := range allowed {
			if d := decide(a.action, a.resource, a.ctx); d != "allowed" {
				t.Errorf("%s may not %s (%s on %s): %s", tc.role, a.what, a.action, a.resource, d)
			}
		}
	}
}
