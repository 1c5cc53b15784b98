package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/winami/winami/check"
	"github.com/winami/winami/preflight"
)

const doctorSpec = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: doc-win2022
  region: us-east-1
spec:
  kubernetesVersion: "1.33"
  windows: {version: "2022", edition: Core}
  build:
    instanceProfile: PROFILE
    executionRole: doc-exec
  distribution:
    regions: [us-east-1, us-west-2]
    fastLaunch: {enabled: true}
`

func TestDoctorCommand(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t)
	// Fast Launch without a launch template needs an execution role with its rights.
	createExecutionRole(t, srv, "doc-exec", "")
	good := writePruneSpec(t, strings.Replace(doctorSpec, "PROFILE", "EC2InstanceProfileForImageBuilder", 1))
	out, stderr, code := run(t, "doctor", "-f", good)
	if code != 0 || !strings.Contains(out, "credentials") || !strings.Contains(out, "pass") {
		t.Fatalf("doctor: exit %d\n%s\n%s", code, out, stderr)
	}
	bad := writePruneSpec(t, strings.Replace(doctorSpec, "PROFILE", "Missing", 1))
	out, stderr, code = run(t, "doctor", "-f", bad, "-o", "json")
	var checks []check.Check
	if code != 1 || json.Unmarshal([]byte(out), &checks) != nil || !strings.Contains(stderr, "doctor: 1 check failed") {
		t.Fatalf("doctor with a missing profile: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, c := range checks {
		if c.Status == "fail" && (c.Name != preflight.CheckInstanceProfile || c.Fix == "") {
			t.Errorf("unexpected failure %+v", c)
		}
	}
	if _, _, code := run(t, "doctor"); code != 2 {
		t.Errorf("doctor without -f: exit %d", code)
	}
}

func TestIAMPolicyCommand(t *testing.T) {
	t.Parallel()
	file := writePruneSpec(t, strings.Replace(doctorSpec, "PROFILE", "BuildRole", 1))
	out, stderr, code := run(t, "iam-policy", "--for", "operator", "-f", file)
	var doc preflight.Document
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.Version != "2012-10-17" || len(doc.Statement) == 0 {
		t.Fatalf("operator: exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "arn:aws:iam::*:role/BuildRole") || !strings.Contains(out, "doc-win2022") {
		t.Errorf("operator policy not scoped to the spec:\n%s", out)
	}
	out, _, code = run(t, "iam-policy", "--for", "instance")
	var inst struct {
		ManagedPolicyArns []string           `json:"managedPolicyArns"`
		InlinePolicy      preflight.Document `json:"inlinePolicy"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &inst) != nil || len(inst.ManagedPolicyArns) != 2 || len(inst.InlinePolicy.Statement) == 0 {
		t.Fatalf("instance: exit %d\n%s", code, out)
	}
	out, _, code = run(t, "iam-policy")
	var both map[string]json.RawMessage
	if code != 0 || json.Unmarshal([]byte(out), &both) != nil || both["operator"] == nil || both["instance"] == nil {
		t.Fatalf("both: exit %d\n%s", code, out)
	}
	if _, _, code := run(t, "iam-policy", "--for", "admin"); code != 2 {
		t.Errorf("--for admin: exit %d", code)
	}
}

// TestIAMPolicyPartitionAware: a GovCloud spec gets GovCloud ARNs (managed policies
// included), and so does --region without a spec; the old code printed arn:aws: always.
func TestIAMPolicyPartitionAware(t *testing.T) {
	t.Parallel()
	gov := strings.NewReplacer("region: us-east-1", "region: us-gov-west-1", "regions: [us-east-1, us-west-2]", "regions: [us-gov-west-1, us-gov-east-1]",
		"PROFILE", "BuildRole").Replace(doctorSpec)
	file := writePruneSpec(t, gov)
	for _, args := range [][]string{{"iam-policy", "-f", file}, {"iam-policy", "--region", "us-gov-west-1"}} {
		out, stderr, code := run(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		if strings.Contains(out, `"arn:aws:`) || !strings.Contains(out, `"arn:aws-us-gov:iam::aws:policy/AmazonSSMManagedInstanceCore"`) ||
			!strings.Contains(out, `"arn:aws-us-gov:ec2:*::image/*"`) {
			t.Errorf("%v: not in the aws-us-gov partition:\n%s", args, out)
		}
	}
}
