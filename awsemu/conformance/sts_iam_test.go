//go:build conformance

package conformance_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	iamemu "github.com/winami/winami/awsemu/services/iam"
)

const ec2Trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// TestSTSAndIAMWithAWSCLI drives every STS and IAM operation awsemu implements with the
// AWS CLI.
func TestSTSAndIAMWithAWSCLI(t *testing.T) {
	t.Parallel()
	srv := emulatortest.Start(t)
	ep, region := srv.URL(), "us-east-1"
	acct := awsemu.DefaultAccount

	var id struct{ UserId, Account, Arn string }
	awstest.CLIJSON(t, ep, "eu-west-1", &id, "sts", "get-caller-identity")
	if id.Account != acct || id.Arn != srv.CallerARN() || id.UserId != srv.CallerUserID() {
		t.Errorf("get-caller-identity = %+v", id)
	}
	var user struct {
		User struct{ UserName, Arn, UserId string }
	}
	awstest.CLIJSON(t, ep, region, &user, "iam", "get-user")
	if user.User.Arn != id.Arn || user.User.UserId != id.UserId {
		t.Errorf("get-user = %+v, want the caller %+v", user.User, id)
	}

	type role struct {
		RoleName, Arn, RoleId, Path string
		AssumeRolePolicyDocument    map[string]any
	}
	var prof struct {
		InstanceProfile struct {
			InstanceProfileName, Arn, InstanceProfileId string
			Roles                                       []role
		}
	}
	awstest.CLIJSON(t, ep, region, &prof, "iam", "get-instance-profile", "--instance-profile-name", iamemu.DefaultInstanceProfile)
	ip := prof.InstanceProfile
	if ip.Arn != "arn:aws:iam::"+acct+":instance-profile/"+iamemu.DefaultInstanceProfile || len(ip.Roles) != 1 || ip.Roles[0].RoleName != iamemu.DefaultRole {
		t.Errorf("get-instance-profile = %+v", ip)
	}
	// botocore decodes the URL-encoded trust policy into a document.
	if len(ip.Roles) == 1 && fmt.Sprint(ip.Roles[0].AssumeRolePolicyDocument["Version"]) != "2012-10-17" {
		t.Errorf("trust policy %v", ip.Roles[0].AssumeRolePolicyDocument)
	}
	var gr struct{ Role role }
	awstest.CLIJSON(t, ep, region, &gr, "iam", "get-role", "--role-name", iamemu.DefaultRole)
	if gr.Role.Arn != "arn:aws:iam::"+acct+":role/"+iamemu.DefaultRole {
		t.Errorf("get-role = %+v", gr.Role)
	}
	var att struct {
		AttachedPolicies []struct{ PolicyName, PolicyArn string }
	}
	awstest.CLIJSON(t, ep, region, &att, "iam", "list-attached-role-policies", "--role-name", iamemu.DefaultRole, "--page-size", "1")
	if len(att.AttachedPolicies) != len(iamemu.DefaultRolePolicies) {
		t.Errorf("list-attached-role-policies = %+v", att)
	}

	var sim struct {
		EvaluationResults []struct {
			EvalActionName, EvalDecision string
			MatchedStatements            []struct{ SourcePolicyId, SourcePolicyType string }
			MissingContextValues         []string
		}
	}
	awstest.CLIJSON(t, ep, region, &sim, "iam", "simulate-principal-policy", "--policy-source-arn", gr.Role.Arn,
		"--action-names", "imagebuilder:GetComponent", "ec2:RunInstances", "kms:Decrypt")
	got := map[string]string{}
	for _, r := range sim.EvaluationResults {
		got[r.EvalActionName] = r.EvalDecision
	}
	if got["imagebuilder:GetComponent"] != "allowed" || got["ec2:RunInstances"] != "implicitDeny" || got["kms:Decrypt"] != "implicitDeny" {
		t.Errorf("simulate-principal-policy = %v", got)
	}

	// Build a world over the CLI.
	awstest.CLIJSON(t, ep, region, nil, "iam", "create-role", "--role-name", "cli-builder", "--path", "/winami/", "--assume-role-policy-document", ec2Trust)
	awstest.CLIJSON(t, ep, region, nil, "iam", "create-instance-profile", "--instance-profile-name", "cli-builder")
	awstest.CLIJSON(t, ep, region, nil, "iam", "add-role-to-instance-profile", "--instance-profile-name", "cli-builder", "--role-name", "cli-builder")
	awstest.CLIJSON(t, ep, region, nil, "iam", "attach-role-policy", "--role-name", "cli-builder", "--policy-arn", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ssm:GetParameter","Resource":"*"}]}`
	awstest.CLIJSON(t, ep, region, nil, "iam", "put-role-policy", "--role-name", "cli-builder", "--policy-name", "deny-ssm", "--policy-document", deny)
	var rp struct {
		PolicyDocument map[string]any
	}
	awstest.CLIJSON(t, ep, region, &rp, "iam", "get-role-policy", "--role-name", "cli-builder", "--policy-name", "deny-ssm")
	if b, _ := json.Marshal(rp.PolicyDocument); !strings.Contains(string(b), `"Deny"`) {
		t.Errorf("get-role-policy document %s", b)
	}
	var names struct{ PolicyNames []string }
	awstest.CLIJSON(t, ep, region, &names, "iam", "list-role-policies", "--role-name", "cli-builder")
	if strings.Join(names.PolicyNames, ",") != "deny-ssm" {
		t.Errorf("list-role-policies = %v", names.PolicyNames)
	}
	awstest.CLIJSON(t, ep, region, &sim, "iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::"+acct+":role/winami/cli-builder",
		"--action-names", "ssm:GetParameter", "ssm:UpdateInstanceInformation")
	got = map[string]string{}
	for _, r := range sim.EvaluationResults {
		got[r.EvalActionName] = r.EvalDecision
	}
	if got["ssm:GetParameter"] != "explicitDeny" || got["ssm:UpdateInstanceInformation"] != "allowed" {
		t.Errorf("simulate after the inline deny = %v", got)
	}
	var pol struct {
		Policy struct{ Arn, DefaultVersionId string }
	}
	awstest.CLIJSON(t, ep, region, &pol, "iam", "create-policy", "--policy-name", "cli-pull", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:BatchGetImage","Resource":"*"}]}`)
	awstest.CLIJSON(t, ep, region, nil, "iam", "get-policy", "--policy-arn", pol.Policy.Arn)
	var pv struct {
		PolicyVersion struct {
			Document map[string]any
		}
	}
	awstest.CLIJSON(t, ep, region, &pv, "iam", "get-policy-version", "--policy-arn", pol.Policy.Arn, "--version-id", pol.Policy.DefaultVersionId)
	if pv.PolicyVersion.Document["Version"] != "2012-10-17" {
		t.Errorf("get-policy-version document %v", pv.PolicyVersion.Document)
	}
	awstest.CLIJSON(t, ep, region, nil, "iam", "create-user", "--user-name", "ci")
	awstest.CLIJSON(t, ep, region, nil, "iam", "attach-user-policy", "--user-name", "ci", "--policy-arn", pol.Policy.Arn)
	awstest.CLIJSON(t, ep, region, &att, "iam", "list-attached-user-policies", "--user-name", "ci")
	if len(att.AttachedPolicies) != 1 || att.AttachedPolicies[0].PolicyArn != pol.Policy.Arn {
		t.Errorf("list-attached-user-policies = %+v", att)
	}
	awstest.CLIJSON(t, ep, region, nil, "iam", "put-user-policy", "--user-name", "ci", "--policy-name", "x", "--policy-document", deny)
	awstest.CLIJSON(t, ep, region, nil, "iam", "detach-user-policy", "--user-name", "ci", "--policy-arn", pol.Policy.Arn)
	awstest.CLIJSON(t, ep, region, nil, "iam", "detach-role-policy", "--role-name", "cli-builder", "--policy-arn", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
	awstest.CLIJSON(t, ep, region, nil, "iam", "delete-role-policy", "--role-name", "cli-builder", "--policy-name", "deny-ssm")
	awstest.CLIJSON(t, ep, region, nil, "iam", "remove-role-from-instance-profile", "--instance-profile-name", "cli-builder", "--role-name", "cli-builder")
	awstest.CLIJSON(t, ep, region, nil, "iam", "delete-instance-profile", "--instance-profile-name", "cli-builder")
	awstest.CLIJSON(t, ep, region, nil, "iam", "delete-role", "--role-name", "cli-builder")

	for _, tc := range []struct {
		code string
		args []string
	}{
		{"NoSuchEntity", []string{"iam", "get-instance-profile", "--instance-profile-name", "cli-builder"}},
		{"NoSuchEntity", []string{"iam", "get-role", "--role-name", "cli-builder"}},
		{"NoSuchEntity", []string{"iam", "list-attached-role-policies", "--role-name", "cli-builder"}},
		{"NoSuchEntity", []string{"iam", "attach-role-policy", "--role-name", iamemu.DefaultRole, "--policy-arn", "arn:aws:iam::aws:policy/Nope"}},
		{"EntityAlreadyExists", []string{"iam", "create-role", "--role-name", iamemu.DefaultRole, "--assume-role-policy-document", ec2Trust}},
		{"LimitExceeded", []string{"iam", "add-role-to-instance-profile", "--instance-profile-name", iamemu.DefaultInstanceProfile, "--role-name", iamemu.DefaultRole}},
		{"MalformedPolicyDocument", []string{"iam", "put-role-policy", "--role-name", iamemu.DefaultRole, "--policy-name", "x", "--policy-document", "{nope"}},
		{"DeleteConflict", []string{"iam", "delete-role", "--role-name", iamemu.DefaultRole}},
		{"NoSuchEntity", []string{"iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::" + acct + ":role/ghost", "--action-names", "ec2:RunInstances"}},
	} {
		if code, msg := awstest.CLIError(t, ep, region, tc.args...); code != tc.code {
			t.Errorf("aws %s: %s (%s), want %s", strings.Join(tc.args, " "), code, msg, tc.code)
		}
	}
	srv.Faults.SetThrottle(1)
	if code, _ := awstest.CLIError(t, ep, region, "sts", "get-caller-identity"); code != "Throttling" {
		t.Errorf("throttled STS: %s", code)
	}
	if code, _ := awstest.CLIError(t, ep, region, "iam", "get-role", "--role-name", iamemu.DefaultRole); code != "Throttling" {
		t.Errorf("throttled IAM: %s", code)
	}
}

// iamScenario runs the same IAM session against one endpoint and records what a client
// observes.
func iamScenario(t *testing.T, endpoint string) *record {
	t.Helper()
	ctx := context.Background()
	cfg := awstest.SDKConfig(endpoint, "us-east-1")
	c := iam.NewFromConfig(cfg)
	r := &record{}
	step := func(name string, err error) {
		r.add("%s: %s", name, ssmErr(err))
	}
	// stepMsg records the message too, for errors moto words as AWS does.
	stepMsg := func(name string, err error) {
		var ae interface{ ErrorMessage() string }
		msg := ""
		if errors.As(err, &ae) {
			msg = ae.ErrorMessage()
		}
		r.add("%s: %s %q", name, ssmErr(err), msg)
	}

	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		r.add("caller: %s", ssmErr(err))
	} else {
		r.add("caller account: %s", *id.Account)
		r.add("caller arn: %s", *id.Arn)
	}

	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("builder"), Path: aws.String("/winami/"), AssumeRolePolicyDocument: aws.String(ec2Trust), Description: aws.String("image builds")})
	step("create role", err)
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("builder"), AssumeRolePolicyDocument: aws.String(ec2Trust)})
	stepMsg("create role again", err)
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("other"), AssumeRolePolicyDocument: aws.String(ec2Trust)})
	step("create other role", err)
	gr, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("builder")})
	if err != nil {
		step("get role", err)
	} else {
		doc, _ := url.QueryUnescape(aws.ToString(gr.Role.AssumeRolePolicyDocument))
		r.add("get role: name=%s path=%s arn=%s desc=%s", *gr.Role.RoleName, *gr.Role.Path, *gr.Role.Arn, aws.ToString(gr.Role.Description))
		r.add("role id prefix: %s", (*gr.Role.RoleId)[:4])
		r.add("get role trust policy: %s", compactJSON(doc))
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ghost")})
	step("get missing role", err)

	_, err = c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("builder"), Path: aws.String("/winami/")})
	step("create profile", err)
	_, err = c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("builder")})
	stepMsg("create profile again", err)
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("builder"), RoleName: aws.String("builder")})
	step("add role", err)
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("builder"), RoleName: aws.String("other")})
	stepMsg("add second role", err)
	gp, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("builder")})
	if err != nil {
		step("get profile", err)
	} else {
		var roles []string
		for _, rl := range gp.InstanceProfile.Roles {
			roles = append(roles, *rl.Arn)
		}
		r.add("get profile: arn=%s roles=%v", *gp.InstanceProfile.Arn, roles)
		r.add("profile id prefix: %s", (*gp.InstanceProfile.InstanceProfileId)[:4])
	}
	_, err = c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("ghost")})
	step("get missing profile", err)

	for _, p := range []string{"EC2InstanceProfileForImageBuilder", "AmazonSSMManagedInstanceCore", "AmazonEC2ContainerRegistryReadOnly"} {
		_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("builder"), PolicyArn: aws.String("arn:aws:iam::aws:policy/" + p)})
		step("attach "+p, err)
	}
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("builder"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicyAnywhere")})
	stepMsg("attach unknown policy", err)
	var attached []string
	pages := 0
	pg := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("builder"), MaxItems: aws.Int32(2)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			step("list attached", err)
			break
		}
		pages++
		for _, a := range out.AttachedPolicies {
			attached = append(attached, *a.PolicyName+"="+*a.PolicyArn)
		}
	}
	r.add("list attached: pages=%d %s", pages, sorted(attached))
	_, err = c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("builder"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly")})
	step("detach", err)
	la, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("builder")})
	if err == nil {
		var n []string
		for _, a := range la.AttachedPolicies {
			n = append(n, *a.PolicyName)
		}
		r.add("after detach: %s", sorted(n))
	} else {
		step("after detach", err)
	}

	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ssm:PutParameter","Resource":"*"}]}`
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("builder"), PolicyName: aws.String("no-put"), PolicyDocument: aws.String(doc)})
	step("put role policy", err)
	grp, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("builder"), PolicyName: aws.String("no-put")})
	if err != nil {
		step("get role policy", err)
	} else {
		d, _ := url.QueryUnescape(*grp.PolicyDocument)
		r.add("get role policy: %s", compactJSON(d))
	}
	lrp, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("builder")})
	if err == nil {
		r.add("list role policies: %v", lrp.PolicyNames)
	} else {
		step("list role policies", err)
	}
	cp, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("pull"), PolicyDocument: aws.String(doc)})
	step("create policy", err)
	_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("pull"), PolicyDocument: aws.String(doc)})
	stepMsg("create policy again", err)
	if cp != nil {
		_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("builder"), PolicyArn: cp.Policy.Arn})
		step("attach own policy", err)
		gpol, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: cp.Policy.Arn})
		if err == nil {
			r.add("get policy: arn=%s version=%s attachments=%d", *gpol.Policy.Arn, *gpol.Policy.DefaultVersionId, aws.ToInt32(gpol.Policy.AttachmentCount))
		} else {
			step("get policy", err)
		}
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("builder")})
	stepMsg("delete role in use", err)
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ci")})
	step("create user", err)
	gu, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ci")})
	if err == nil {
		r.add("get user: %s", *gu.User.Arn)
		r.add("user id prefix: %s", (*gu.User.UserId)[:4])
	} else {
		step("get user", err)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ghost")})
	step("get missing user", err)

	// The operations moto also implements that the steps above do not reach: user policies,
	// policy versions, DeleteRolePolicy, RemoveRoleFromInstanceProfile, DeleteInstanceProfile.
	if cp != nil {
		_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ci"), PolicyArn: cp.Policy.Arn})
		step("attach user policy", err)
		lup, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("ci")})
		if err == nil {
			var names []string
			for _, p := range lup.AttachedPolicies {
				names = append(names, *p.PolicyName)
			}
			r.add("user policies: %v", names)
		} else {
			step("user policies", err)
		}
		_, err = c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("ci"), PolicyArn: cp.Policy.Arn})
		step("detach user policy", err)
		_, err = c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("ci"), PolicyArn: cp.Policy.Arn})
		step("detach user policy again", err)
		gpv, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: cp.Policy.Arn, VersionId: aws.String("v1")})
		if err == nil {
			d, _ := url.QueryUnescape(aws.ToString(gpv.PolicyVersion.Document))
			r.add("policy version: %s default=%v %s", aws.ToString(gpv.PolicyVersion.VersionId), gpv.PolicyVersion.IsDefaultVersion, compactJSON(d))
		} else {
			step("policy version", err)
		}
		_, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: cp.Policy.Arn, VersionId: aws.String("v9")})
		step("missing policy version", err)
	}
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ci"), PolicyName: aws.String("no-put"), PolicyDocument: aws.String(doc)})
	step("put user policy", err)
	_, err = c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("builder"), PolicyName: aws.String("no-put")})
	step("delete role policy", err)
	_, err = c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("builder"), PolicyName: aws.String("no-put")})
	step("delete role policy again", err)
	_, err = c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("short-lived")})
	step("create second profile", err)
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("short-lived"), RoleName: aws.String("builder")})
	step("add role to second profile", err)
	_, err = c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("short-lived"), RoleName: aws.String("builder")})
	step("remove role from profile", err)
	gip, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("short-lived")})
	if err == nil {
		r.add("profile after remove: %d roles", len(gip.InstanceProfile.Roles))
	} else {
		step("profile after remove", err)
	}
	_, err = c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("short-lived")})
	step("delete profile", err)
	_, err = c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("short-lived")})
	step("deleted profile", err)
	return r
}

func compactJSON(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return "not JSON: " + s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestIAMAgainstMoto runs one STS/IAM session against moto_server and awsemu and compares
// what the client observes.
func TestIAMAgainstMoto(t *testing.T) {
	t.Parallel()
	moto := awstest.StartMoto(t)
	srv := emulatortest.Start(t)
	compareRecords(t, iamScenario(t, srv.URL()), iamScenario(t, moto), "caller arn", "role id prefix", "profile id prefix", "user id prefix")
}
