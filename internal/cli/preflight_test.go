package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/check"
	"github.com/winami/winami/internal/awsfixture"
	"github.com/winami/winami/preflight"
)

// mutatingRequests lists the requests awsemu counted, of any service, that are not reads
// (Describe*, Get*, List*, Simulate*): what "stop before any change" must leave at zero.
func mutatingRequests(srv *awsemu.Server) []string {
	var out []string
	for _, c := range srv.Faults.Counts() {
		read := false
		for _, p := range []string{"Describe", "Get", "List", "Simulate", "BatchGet"} {
			read = read || strings.HasPrefix(c.Operation, p)
		}
		if !read {
			out = append(out, c.Service+":"+c.Operation)
		}
	}
	return out
}

// specWith writes buildSpec (the app image, the default instance profile) with each
// old → new replacement made, failing when one does not apply.
func specWith(t *testing.T, repl ...string) string {
	t.Helper()
	return writeSpecWith(t, strings.NewReplacer("IMAGE", appV1, "PROFILE", "EC2InstanceProfileForImageBuilder").Replace(buildSpec), repl...)
}

// writeSpecWith writes spec, with each old → new replacement of repl made once, to
// winami.yaml in a temporary directory and returns its path; a replacement whose old text
// the spec lacks fails the test.
func writeSpecWith(t *testing.T, spec string, repl ...string) string {
	t.Helper()
	for i := 0; i+1 < len(repl); i += 2 {
		if !strings.Contains(spec, repl[i]) {
			t.Fatalf("the spec has no %q", repl[i])
		}
		spec = strings.Replace(spec, repl[i], repl[i+1], 1)
	}
	p := filepath.Join(t.TempDir(), "winami.yaml")
	if err := os.WriteFile(p, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// defaultSubnetIn is the default subnet of an Availability Zone of us-east-1.
func defaultSubnetIn(t *testing.T, srv *awsemu.Server, zone string) string {
	t.Helper()
	out, err := awsfixture.New(awstest.SDKConfig(srv.URL(), "us-east-1")).DefaultSubnets(context.Background(), zone)
	if err != nil || len(out.Subnets) == 0 {
		t.Fatalf("default subnet of %s: %v", zone, err)
	}
	return aws.ToString(out.Subnets[0].SubnetId)
}

// launchTemplateIn creates the launch template fl-template in region, with tags.
func launchTemplateIn(t *testing.T, srv *awsemu.Server, region string, tags map[string]string) {
	t.Helper()
	if _, err := awsfixture.New(awstest.SDKConfig(srv.URL(), region)).CreateLaunchTemplate(context.Background(), "fl-template", "t3.xlarge", tags); err != nil {
		t.Fatal(err)
	}
}

// TestBuildStopsBeforeAnyChange: a spec with any one problem the preflight knows makes
// build exit 1 before any mutating request (awsemu's counts over every service), naming
// the check, the problem and its fix; apply stops the same way; --skip-preflight goes
// ahead. Each case fails on the old code, which started the build (or created the Image
// Builder resources) first.
func TestBuildStopsBeforeAnyChange(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(t *testing.T, srv *awsemu.Server) string // returns the spec file
		check string
		want  []string
	}{
		{"instance type typo", func(t *testing.T, srv *awsemu.Server) string {
			return specWith(t, "instanceTypes: [m6i.2xlarge]", "instanceTypes: [m6i.2xlargee]")
		}, preflight.CheckInstanceTypes, []string{"m6i.2xlargee is not an EC2 instance type", "fix: correct spec.build.instanceTypes"}},
		{"instance type not in the subnet's zone", func(t *testing.T, srv *awsemu.Server) string {
			return specWith(t, "    rootVolumeSize: auto", "    rootVolumeSize: auto\n    subnetId: "+defaultSubnetIn(t, srv, "us-east-1e"))
		}, preflight.CheckInstanceTypes, []string{"not in us-east-1e, the Availability Zone of subnet", "fix:"}},
		{"subnet missing", func(t *testing.T, srv *awsemu.Server) string {
			return specWith(t, "    rootVolumeSize: auto", "    rootVolumeSize: auto\n    subnetId: subnet-0123456789abcdef0")
		}, preflight.CheckNetwork, []string{"subnet subnet-0123456789abcdef0 does not exist in us-east-1", "fix: set spec.build.subnetId"}},
		{"security group missing", func(t *testing.T, srv *awsemu.Server) string {
			return specWith(t, "    rootVolumeSize: auto", "    rootVolumeSize: auto\n    subnetId: "+defaultSubnetIn(t, srv, "us-east-1a")+"\n    securityGroupIds: [sg-0123456789abcdef0]")
		}, preflight.CheckNetwork, []string{"security group sg-0123456789abcdef0 does not exist in us-east-1", "fix:"}},
		{"Fast Launch template missing in a region", func(t *testing.T, srv *awsemu.Server) string {
			launchTemplateIn(t, srv, "us-east-1", map[string]string{"CreatedBy": "EC2 Image Builder"})
			return specWith(t, "maxParallelLaunches: 6}", "maxParallelLaunches: 6, launchTemplate: {name: fl-template}}")
		}, preflight.CheckFastLaunch, []string{"us-west-2: launch template fl-template does not exist in us-west-2", "fix: create the launch template in us-west-2"}},
		{"Fast Launch template untagged, no execution role", func(t *testing.T, srv *awsemu.Server) string {
			launchTemplateIn(t, srv, "us-east-1", nil)
			launchTemplateIn(t, srv, "us-west-2", map[string]string{"CreatedBy": "EC2 Image Builder"})
			return specWith(t, "maxParallelLaunches: 6}", "maxParallelLaunches: 6, launchTemplate: {name: fl-template}}",
				"publishParameter: /winami/cli-win2022/image_id", "publishParameter: /imagebuilder/cli-win2022/image_id")
		}, preflight.CheckFastLaunchRights, []string{`us-east-1: launch template fl-template`, `is not tagged CreatedBy="EC2 Image Builder"`, "AWSServiceRoleForImageBuilder",
			"fix: aws ec2 create-tags --region us-east-1"}},
		{"execution role missing", func(t *testing.T, srv *awsemu.Server) string {
			return specWith(t, "    rootVolumeSize: auto", "    rootVolumeSize: auto\n    executionRole: no-such-role")
		}, preflight.CheckExecutionRole, []string{"execution role no-such-role (spec.build.executionRole) does not exist", "fix: `winami apply --create-roles` creates it"}},
		{"execution role may not publish", func(t *testing.T, srv *awsemu.Server) string {
			createExecutionRole(t, srv, "cannot-publish", "")
			return specWith(t, "    rootVolumeSize: auto", "    rootVolumeSize: auto\n    executionRole: cannot-publish")
		}, preflight.CheckExecutionRole, []string{"execution role cannot-publish may not call ssm:PutParameter", "fix: allow ssm:PutParameter on arn:aws:ssm:us-east-1:"}},
		{"eks-optimized-ami-windows not published for the Kubernetes version", func(t *testing.T, srv *awsemu.Server) string {
			b, _ := json.Marshal(map[string]string{"region": "us-east-1", "name": "eks-optimized-ami-windows", "version": "1.31.0"})
			resp, err := http.Post(srv.URL()+awsemu.ControlPrefix+"imagebuilder/managed-components", "application/json", bytes.NewReader(b))
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("withdrawing the component: %v %v", err, resp)
			}
			_ = resp.Body.Close()
			return specWith(t, "parent: {source: eks-optimized}", "parent: {source: windows-base}")
		}, preflight.CheckEKSComponent, []string{"eks-optimized-ami-windows component has no version 1.31.x in us-east-1", "fix: use spec.parent.source: eks-optimized"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := useBuildWorld(t, buildClock())
			f := tc.setup(t, srv)
			srv.Faults.ResetCounts()
			for _, args := range [][]string{{"build", "-f", f, "--no-registry", "--poll-interval", "20ms"}, {"apply", "-f", f, "--no-registry", "--yes"}} {
				_, errOut, code := run(t, args...)
				if code != 1 || !strings.Contains(errOut, "preflight: 1 problem(s); "+args[0]+" changed nothing:") || !strings.Contains(errOut, "  "+tc.check+": ") ||
					!strings.Contains(errOut, "--skip-preflight") {
					t.Errorf("%s: exit %d, want 1 with the %s problem:\n%s", args[0], code, tc.check, errOut)
				}
				for _, w := range tc.want {
					if !strings.Contains(errOut, w) {
						t.Errorf("%s: stderr lacks %q:\n%s", args[0], w, errOut)
					}
				}
				if m := mutatingRequests(srv); len(m) > 0 {
					t.Errorf("%s: mutating requests before stopping: %v", args[0], m)
				}
			}
		})
	}
}

// TestSkipPreflight: --skip-preflight goes ahead with a spec the preflight refuses (the
// instance type typo), and a correct spec builds as before, saying the checks passed.
func TestSkipPreflight(t *testing.T) {
	t.Parallel()
	srv := useBuildWorld(t, buildClock())
	f := specWith(t, "instanceTypes: [m6i.2xlarge]", "instanceTypes: [m6i.2xlargee]")
	_, errOut, _ := run(t, "apply", "-f", f, "--no-registry", "--yes", "--skip-preflight")
	if strings.Contains(errOut, "preflight") || srv.Faults.Count("imagebuilder", "CreateInfrastructureConfiguration", "") == 0 {
		t.Errorf("apply --skip-preflight did not go ahead: %s", errOut)
	}
	good := specWith(t)
	_, errOut, code := run(t, "build", "-f", good, "--no-registry", "--yes", "--poll-interval", "20ms")
	if code != 0 || !strings.Contains(errOut, "checks passed") || !strings.Contains(errOut, "AVAILABLE") {
		t.Errorf("build of a correct spec: exit %d:\n%s", code, errOut)
	}
}

// asOperator replaces the sandbox caller's AdministratorAccess with a policy document.
func asOperator(t *testing.T, srv *awsemu.Server, doc string) {
	t.Helper()
	ctx := context.Background()
	api := awsfixture.New(awstest.SDKConfig(srv.URL(), "us-east-1"))
	if _, err := api.PutUserPolicy(ctx, awsemu.CallerUserName, "winami-operator", doc); err != nil {
		t.Fatalf("IAM refused the policy: %v", err)
	}
	if _, err := api.DetachUserPolicy(ctx, awsemu.CallerUserName, "arn:aws:iam::aws:policy/AdministratorAccess"); err != nil {
		t.Fatal(err)
	}
}

// operatorPolicy prints `winami iam-policy --for operator -f file`, with every statement
// giving ec2:RunInstances dropped when withoutRunInstances is set.
func operatorPolicy(t *testing.T, file string, withoutRunInstances bool) string {
	t.Helper()
	out, errOut, code := run(t, "iam-policy", "--for", "operator", "-f", file)
	if code != 0 {
		t.Fatalf("iam-policy: exit %d: %s", code, errOut)
	}
	if !withoutRunInstances {
		return out
	}
	var doc preflight.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var kept []preflight.Statement
	for _, st := range doc.Statement {
		if len(st.Action) == 1 && st.Action[0] == "ec2:RunInstances" {
			continue
		}
		kept = append(kept, st)
	}
	doc.Statement = kept
	b, _ := json.Marshal(doc)
	return string(b)
}

// TestFastLaunchAsOperator: with the operator policy `winami iam-policy --for operator`
// prints in place of AdministratorAccess, `winami fast-launch enable` works (its preflight
// passes and EC2 enables Fast Launch); with the same policy less its ec2:RunInstances
// statements, the fast-launch preflight, doctor and the build preflight all name
// ec2:RunInstances and nothing is enabled or built.
func TestFastLaunchAsOperator(t *testing.T) {
	t.Parallel()
	for _, withoutRun := range []bool{false, true} {
		srv := useBuildWorld(t, fastClock())
		ami := ownedImage(t, srv, "us-east-1")
		f := specWith(t)
		asOperator(t, srv, operatorPolicy(t, f, withoutRun))

		srv.Faults.ResetCounts()
		_, errOut, code := run(t, "fast-launch", "enable", "--image", ami, "--snapshots", "3")
		if !withoutRun {
			if code != 0 || flState(t, srv, "us-east-1", ami) == "none" {
				t.Errorf("fast-launch enable as the operator: exit %d:\n%s", code, errOut)
			}
			if _, errOut, code := run(t, "doctor", "-f", f); code != 0 {
				t.Errorf("doctor as the operator: exit %d:\n%s", code, errOut)
			}
			continue
		}
		if code != 1 || !strings.Contains(errOut, "ec2:RunInstances (for fast-launch enable)") || srv.Faults.Count("ec2", "EnableFastLaunch", "") != 0 {
			t.Errorf("fast-launch enable without RunInstances: exit %d, %d EnableFastLaunch calls:\n%s", code, srv.Faults.Count("ec2", "EnableFastLaunch", ""), errOut)
		}
		out, _, code := run(t, "doctor", "-f", f, "-o", "json")
		var checks []check.Check
		_ = json.Unmarshal([]byte(out), &checks)
		found := false
		for _, c := range checks {
			if c.Name == preflight.CheckPermissions && c.Status == check.Fail && strings.Contains(c.Message, "ec2:RunInstances (for fast-launch enable)") {
				found = true
			}
		}
		if code != 1 || !found {
			t.Errorf("doctor without RunInstances: exit %d:\n%s", code, out)
		}
		srv.Faults.ResetCounts()
		_, errOut, code = run(t, "build", "-f", f, "--no-registry")
		if code != 1 || !strings.Contains(errOut, "permissions: ") || !strings.Contains(errOut, "ec2:RunInstances") || len(mutatingRequests(srv)) > 0 {
			t.Errorf("build without RunInstances: exit %d, mutating %v:\n%s", code, mutatingRequests(srv), errOut)
		}
	}
}
