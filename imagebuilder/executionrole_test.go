package imagebuilder_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winami/winami/check"
	"github.com/winami/winami/imagebuilder"
)

const execRole = "t-win2022-imagebuilder-execution"

// withRole is desired() with an execution role.
func withRole(t *testing.T) *imagebuilder.Desired {
	d := desired(t, aspnet)
	d.Pipeline.ExecutionRole = aws.String(execRole)
	return d
}

func (e *env) roleMutations() int {
	n := e.iamMutations()
	for _, op := range []string{"PutRolePolicy", "UpdateAssumeRolePolicy", "DeleteRolePolicy", "DetachRolePolicy"} {
		n += e.srv.Faults.Count("iam", op, "")
	}
	return n
}

func change(p *imagebuilder.Plan, resource string) imagebuilder.Change {
	for _, c := range p.Changes {
		if c.Resource == resource {
			return c
		}
	}
	return imagebuilder.Change{}
}

// TestManagedExecutionRole: asked to (--create-roles), apply creates the pipeline's
// execution role: trusted by imagebuilder.amazonaws.com, with EC2ImageBuilderExecutionPolicy,
// EC2FastLaunchFullAccess (Fast Launch without a launch template) and an inline policy
// allowing exactly ssm:PutParameter on the parameter in each distribution region and
// ec2:DescribeImages; the pipeline names it. An apply cut short at any IAM step converges
// when run again, and a second apply changes nothing.
func TestManagedExecutionRole(t *testing.T) {
	ctx := context.Background()
	opts := imagebuilder.Options{ManageExecutionRole: true}
	for _, failAt := range []string{"", "CreateRole", "AttachRolePolicy", "PutRolePolicy"} {
		t.Run("fail-"+failAt, func(t *testing.T) {
			e := newEnv(t, 1, nil)
			d := withRole(t)
			p, err := imagebuilder.PlanChanges(ctx, e.clients, d, opts)
			if err != nil {
				t.Fatal(err)
			}
			c := p.Changes[0]
			if c.Resource != imagebuilder.ResourceExecutionRole || c.Name != execRole || c.Action != imagebuilder.ActionCreate ||
				!strings.Contains(c.Reason, "attach EC2ImageBuilderExecutionPolicy") || !strings.Contains(c.Reason, "attach EC2FastLaunchFullAccess") ||
				!strings.Contains(c.Reason, "ssm:PutParameter on "+parameter) {
				t.Fatalf("plan: %+v", c)
			}
			if e.roleMutations() != 0 {
				t.Fatalf("plan made %d IAM mutations", e.roleMutations())
			}
			applied := e.applyAfterFault(t, d, opts, failAt)
			api := e.clients.IAM(region)
			role, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(execRole)})
			if err != nil || !imagebuilder.TrustsImageBuilder(aws.ToString(role.Role.AssumeRolePolicyDocument)) {
				t.Fatalf("role: %v %+v", err, role)
			}
			pols, err := api.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(execRole)})
			var arns []string
			for _, ap := range pols.AttachedPolicies {
				arns = append(arns, aws.ToString(ap.PolicyArn))
			}
			slices.Sort(arns)
			if err != nil || !slices.Equal(arns, []string{"arn:aws:iam::aws:policy/EC2FastLaunchFullAccess", "arn:aws:iam::aws:policy/EC2ImageBuilderExecutionPolicy"}) {
				t.Fatalf("attached policies: %v %v", err, arns)
			}
			inline, err := api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(execRole), PolicyName: aws.String(imagebuilder.ExecutionRolePolicyName)})
			if err != nil {
				t.Fatal(err)
			}
			checkPublishPolicy(t, aws.ToString(inline.PolicyDocument), e.srv.Account)
			pipe, err := e.clients.ImageBuilder(region).GetImagePipeline(ctx, &ib.GetImagePipelineInput{ImagePipelineArn: aws.String(applied.PipelineARN)})
			if err != nil || aws.ToString(pipe.ImagePipeline.ExecutionRole) != execRole {
				t.Fatalf("pipeline execution role: %v %+v", err, pipe)
			}

			e.srv.Faults.ResetCounts()
			again, err := imagebuilder.Apply(ctx, e.clients, d, opts)
			if err != nil || again.Changed() || e.roleMutations() != 0 || e.mutations() != 0 {
				t.Fatalf("second apply: %v, %d IAM and %d Image Builder mutations: %+v", err, e.roleMutations(), e.mutations(), again)
			}
			if c := change(again, imagebuilder.ResourceExecutionRole); c.Action != imagebuilder.ActionUnchanged {
				t.Errorf("second apply: %+v", c)
			}
		})
	}
}

// checkPublishPolicy: exactly ssm:PutParameter on the parameter in both regions, and
// ec2:DescribeImages.
func checkPublishPolicy(t *testing.T, doc, account string) {
	t.Helper()
	if u, err := url.PathUnescape(doc); err == nil {
		doc = u
	}
	var p imagebuilder.PolicyDocument
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("inline policy %q: %v", doc, err)
	}
	want := imagebuilder.PolicyDocument{Version: "2012-10-17", Statement: []imagebuilder.PolicyStatement{
		{Sid: "PublishParameter", Effect: "Allow", Action: []string{"ssm:PutParameter"}, Resource: []string{
			"arn:aws:ssm:us-east-1:" + account + ":parameter/winami/t-win2022/image_id",
			"arn:aws:ssm:us-west-2:" + account + ":parameter/winami/t-win2022/image_id",
		}},
		{Sid: "ValidateImageParameter", Effect: "Allow", Action: []string{"ec2:DescribeImages"}, Resource: []string{"*"}},
	}}
	if p.JSON() != want.JSON() {
		t.Errorf("inline policy\n%s\nwant\n%s", p.JSON(), want.JSON())
	}
}

// TestExecutionRoleDrift: the inline policy changed outside winami, a managed policy
// detached: plan says so and apply restores them; a role that does not trust Image
// Builder is refused before anything changes.
func TestExecutionRoleDrift(t *testing.T) {
	ctx := context.Background()
	opts := imagebuilder.Options{ManageExecutionRole: true}
	e := newEnv(t, 1, nil)
	d := withRole(t)
	if _, err := imagebuilder.Apply(ctx, e.clients, d, opts); err != nil {
		t.Fatal(err)
	}
	api := e.clients.IAM(region)
	if _, err := api.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(execRole), PolicyName: aws.String(imagebuilder.ExecutionRolePolicyName),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:PutParameter","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	p, err := imagebuilder.PlanChanges(ctx, e.clients, d, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c := change(p, imagebuilder.ResourceExecutionRole); c.Action != imagebuilder.ActionUpdate || !strings.Contains(c.Reason, "differs") {
		t.Fatalf("plan after an edited inline policy: %+v", c)
	}
	// A spec without Fast Launch needs no EC2FastLaunchFullAccess; a new region widens the policy.
	if _, err := imagebuilder.Apply(ctx, e.clients, d, opts); err != nil {
		t.Fatal(err)
	}
	got, _ := api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(execRole), PolicyName: aws.String(imagebuilder.ExecutionRolePolicyName)})
	checkPublishPolicy(t, aws.ToString(got.PolicyDocument), e.srv.Account)

	// An existing role that Image Builder may not assume.
	if _, err := api.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ec2-only"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	d.Pipeline.ExecutionRole = aws.String("arn:aws:iam::" + e.srv.Account + ":role/ec2-only")
	e.srv.Faults.ResetCounts()
	_, err = imagebuilder.Apply(ctx, e.clients, d, opts)
	var pe *check.PreflightError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "does not let imagebuilder.amazonaws.com assume it") || e.roleMutations() != 0 || e.mutations() != 0 {
		t.Fatalf("apply with an untrusting role: %v, %d IAM and %d Image Builder mutations", err, e.roleMutations(), e.mutations())
	}
}

// TestPipelineExecutionRoleChanges: the pipeline's executionRole is compared like its
// other fields: a new role is an update, the same role as an ARN is no change, and a
// role removed from the spec is removed from the pipeline.
func TestPipelineExecutionRoleChanges(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	d := desired(t, aspnet)
	applied, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pipelineRole := func() string {
		got, err := e.clients.ImageBuilder(region).GetImagePipeline(ctx, &ib.GetImagePipelineInput{ImagePipelineArn: aws.String(applied.PipelineARN)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(got.ImagePipeline.ExecutionRole)
	}
	for _, step := range []struct {
		role, action, reason, after string
	}{
		{execRole, "update", "executionRole: (none) → " + execRole, execRole},
		{"arn:aws:iam::" + e.srv.Account + ":role/" + execRole, "unchanged", "", execRole},
		{"other-role", "update", "executionRole: " + execRole + " → other-role", "other-role"},
		{"", "update", "executionRole changed", ""},
	} {
		d.Pipeline.ExecutionRole = nil
		if step.role != "" {
			d.Pipeline.ExecutionRole = aws.String(step.role)
		}
		p, err := imagebuilder.PlanChanges(ctx, e.clients, d, imagebuilder.Options{})
		if err != nil {
			t.Fatal(err)
		}
		c := change(p, imagebuilder.ResourcePipeline)
		if string(c.Action) != step.action || !strings.Contains(c.Reason, step.reason) {
			t.Errorf("executionRole %q: plan %s %q, want %s %q", step.role, c.Action, c.Reason, step.action, step.reason)
		}
		if _, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{}); err != nil {
			t.Fatal(err)
		}
		if got := pipelineRole(); got != step.after {
			t.Errorf("executionRole %q: the pipeline has %q, want %q", step.role, got, step.after)
		}
	}
}

// TestExecutionRolePoliciesPartition: managed policy and parameter ARNs follow the
// partition, and Fast Launch with a launch template adds no EC2FastLaunchFullAccess.
func TestExecutionRolePoliciesPartition(t *testing.T) {
	withLT := []types.Distribution{{FastLaunchConfigurations: []types.FastLaunchConfiguration{{Enabled: true,
		LaunchTemplate: &types.FastLaunchLaunchTemplateSpecification{LaunchTemplateName: aws.String("fl")}}}}}
	if got := imagebuilder.ExecutionRolePolicies("aws-us-gov", withLT); !slices.Equal(got, []string{"arn:aws-us-gov:iam::aws:policy/EC2ImageBuilderExecutionPolicy"}) {
		t.Errorf("with a launch template: %v", got)
	}
	without := []types.Distribution{{}, {FastLaunchConfigurations: []types.FastLaunchConfiguration{{Enabled: true}}}}
	if got := imagebuilder.ExecutionRolePolicies("aws-cn", without); len(got) != 2 || got[1] != "arn:aws-cn:iam::aws:policy/EC2FastLaunchFullAccess" {
		t.Errorf("without a launch template: %v", got)
	}
	doc := imagebuilder.PublishParameterPolicy("aws-cn", "111122223333", "/a/b", []string{"cn-north-1", "cn-northwest-1"})
	if r := doc.Statement[0].Resource; len(r) != 2 || r[1] != "arn:aws-cn:ssm:cn-northwest-1:111122223333:parameter/a/b" {
		t.Errorf("parameter ARNs %v", r)
	}
	for in, want := range map[string][2]string{
		"exec":                                {"exec", "/"},
		"arn:aws:iam::111122223333:role/exec": {"exec", "/"},
		"arn:aws:iam::111122223333:role/a/b/exec": {"exec", "/a/b/"},
	} {
		if n, p := imagebuilder.RoleNameAndPath(in); n != want[0] || p != want[1] {
			t.Errorf("RoleNameAndPath(%s) = %s %s", in, n, p)
		}
	}
	for doc, want := range map[string]bool{
		imagebuilder.ExecutionTrustPolicy:                 true,
		url.PathEscape(imagebuilder.ExecutionTrustPolicy): true,
		`{"Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","imagebuilder.amazonaws.com"]},"Action":["sts:AssumeRole"]}}`: true,
		`{"Statement":[{"Effect":"Deny","Principal":{"Service":"imagebuilder.amazonaws.com"},"Action":"sts:AssumeRole"}]}`:                        false,
		`{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`:                                false,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`:                       false,
	} {
		if got := imagebuilder.TrustsImageBuilder(doc); got != want {
			t.Errorf("TrustsImageBuilder(%s) = %v", doc, got)
		}
	}
}

// TestManagedExecutionRoleScanned: when the image is scanned the distribution writes no
// parameter (winami build publishes it after the scan), so a role the spec names is
// created with its managed policies but without the inline ssm:PutParameter policy, and
// the plan does not announce one.
func TestManagedExecutionRoleScanned(t *testing.T) {
	ctx := context.Background()
	opts := imagebuilder.Options{ManageExecutionRole: true}
	e := newEnv(t, 1, nil)
	d := withRole(t)
	d.PublishAfterScan = true
	d.Pipeline.ImageScanningConfiguration = &types.ImageScanningConfiguration{ImageScanningEnabled: aws.Bool(true)}
	if d.PublishParameter == "" || d.DistributedParameter() != "" {
		t.Fatalf("publish %q, distributed %q", d.PublishParameter, d.DistributedParameter())
	}
	p, err := imagebuilder.PlanChanges(ctx, e.clients, d, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c := change(p, imagebuilder.ResourceExecutionRole); c.Action != imagebuilder.ActionCreate || !strings.Contains(c.Reason, "attach EC2ImageBuilderExecutionPolicy") ||
		strings.Contains(c.Reason, "PutParameter") || strings.Contains(c.Reason, imagebuilder.ExecutionRolePolicyName) {
		t.Fatalf("plan: %+v", c)
	}
	if _, err := imagebuilder.Apply(ctx, e.clients, d, opts); err != nil {
		t.Fatal(err)
	}
	api := e.clients.IAM(region)
	if _, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(execRole)}); err != nil {
		t.Fatalf("role: %v", err)
	}
	if got, err := api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(execRole), PolicyName: aws.String(imagebuilder.ExecutionRolePolicyName)}); err == nil {
		t.Errorf("inline policy written: %s", aws.ToString(got.PolicyDocument))
	}
	if again, err := imagebuilder.PlanChanges(ctx, e.clients, d, opts); err != nil || again.Changed() {
		t.Errorf("plan after apply: %v %+v", err, again)
	}
}

// TestExecutionRoleScanningTurnedOn: a role applied while the distribution published has
// the inline ssm:PutParameter policy; once the image is scanned (winami build publishes),
// plan says it is removed, apply removes it (and nothing else of the role), and a second
// apply changes nothing.
func TestExecutionRoleScanningTurnedOn(t *testing.T) {
	ctx := context.Background()
	opts := imagebuilder.Options{ManageExecutionRole: true}
	e := newEnv(t, 1, nil)
	if _, err := imagebuilder.Apply(ctx, e.clients, withRole(t), opts); err != nil {
		t.Fatal(err)
	}
	api := e.clients.IAM(region)
	if _, err := api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(execRole), PolicyName: aws.String(imagebuilder.ExecutionRolePolicyName)}); err != nil {
		t.Fatalf("unscanned apply: %v", err)
	}
	d := withRole(t)
	d.PublishAfterScan = true
	d.Pipeline.ImageScanningConfiguration = &types.ImageScanningConfiguration{ImageScanningEnabled: aws.Bool(true)}
	p, err := imagebuilder.PlanChanges(ctx, e.clients, d, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c := change(p, imagebuilder.ResourceExecutionRole); c.Action != imagebuilder.ActionUpdate || c.Reason != "remove the inline policy winami-publish-parameter (the distribution writes no parameter)" {
		t.Fatalf("plan: %+v", c)
	}
	if _, err := imagebuilder.Apply(ctx, e.clients, d, opts); err != nil {
		t.Fatal(err)
	}
	if got, err := api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(execRole), PolicyName: aws.String(imagebuilder.ExecutionRolePolicyName)}); err == nil {
		t.Errorf("inline policy kept: %s", aws.ToString(got.PolicyDocument))
	}
	pols, err := api.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(execRole)})
	if err != nil || len(pols.AttachedPolicies) != 2 {
		t.Errorf("managed policies after the removal: %v %+v", err, pols)
	}
	e.srv.Faults.ResetCounts()
	if again, err := imagebuilder.Apply(ctx, e.clients, d, opts); err != nil || again.Changed() || e.roleMutations() != 0 {
		t.Errorf("second apply: %v, %d IAM mutations: %+v", err, e.roleMutations(), again)
	}
}
