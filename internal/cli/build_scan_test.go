package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	ibemu "github.com/winami/winami/awsemu/services/imagebuilder"
	"github.com/winami/winami/images/imagestest"
	"github.com/winami/winami/internal/awsfixture"
	"github.com/winami/winami/spec"
)

// writeScanningSpec writes the build spec with spec.build.imageScanning enabled. Its
// distribution then writes no parameter, so spec.build.executionRole has no default; the
// spec's Fast Launch without a launch template still needs a role with
// EC2FastLaunchFullAccess, so it names the one useBuildWorld creates.
func writeScanningSpec(t *testing.T, dir string) string {
	t.Helper()
	f := writeSpec(t, dir, appV1, "EC2InstanceProfileForImageBuilder")
	withScan(t, f)
	return f
}

func withScan(t *testing.T, f string) {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "    rootVolumeSize: auto\n", "    rootVolumeSize: auto\n    imageScanning: {enabled: true}\n    executionRole: "+spec.DefaultExecutionRole("cli-win2022")+"\n", 1)
	if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// seedCLIFindings gives the spec's pipeline's next builds these findings (awsemu's control
// path), after an apply created the pipeline.
func seedCLIFindings(t *testing.T, srv *awsemu.Server, severities ...string) {
	t.Helper()
	api := awsfixture.New(awstest.SDKConfig(srv.URL(), "us-east-1"))
	pl, err := api.ListImagePipelines(context.Background())
	if err != nil || len(pl.ImagePipelineList) != 1 {
		t.Fatalf("listing pipelines: %v", err)
	}
	var fs []map[string]any
	for i, sev := range severities {
		cve := fmt.Sprintf("CVE-2026-%04d", 100+i)
		fs = append(fs, map[string]any{"severity": sev, "title": cve + " - curl",
			"packageVulnerabilityDetails": map[string]any{"vulnerabilityId": cve, "source": "NVD"}})
	}
	b, _ := json.Marshal(ibemu.ScanFindingsSeed{ImagePipelineArn: aws.ToString(pl.ImagePipelineList[0].Arn), Findings: fs})
	resp, err := http.Post(srv.URL()+awsemu.ControlPrefix+ibemu.ScanFindingsControl, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("seeding findings: %s", resp.Status)
	}
}

// publishedIn returns the build spec's parameter in region ("" when it does not exist).
func publishedIn(t *testing.T, srv *awsemu.Server, region string) string {
	t.Helper()
	p, err := awsfixture.New(awstest.SDKConfig(srv.URL(), region)).GetParameter(context.Background(), "/winami/cli-win2022/image_id")
	if awsapi.ErrorCode(err) == "ParameterNotFound" {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(p.Parameter.Value)
}

// TestBuildFailOnCritical: with seeded CRITICAL findings, build --fail-on critical exits 1,
// names the findings, the command that lists them and the AMIs it kept, prints the counts
// (JSON), and publishes the parameter nowhere. Without --fail-on the same findings are
// printed and the build publishes.
func TestBuildFailOnCritical(t *testing.T) {
	t.Parallel()
	srv := useBuildWorld(t, buildClock())
	f := writeScanningSpec(t, t.TempDir())
	if _, errOut, code := run(t, "apply", "-f", f, "--no-registry", "--yes"); code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	seedCLIFindings(t, srv, "CRITICAL", "HIGH", "LOW", "CRITICAL")
	out, errOut, code := run(t, "build", "-f", f, "--no-registry", "--yes", "--poll-interval", "20ms", "--fail-on", "critical", "-o", "json")
	if code != 1 {
		t.Fatalf("build --fail-on critical with critical findings: exit %d:\n%s", code, errOut)
	}
	for _, want := range []string{"2 finding(s) reach --fail-on critical", "CRITICAL CVE-2026-0100", "CRITICAL CVE-2026-0103",
		"aws imagebuilder list-image-scan-findings --region us-east-1 --filters", "kept: ami-", "/winami/cli-win2022/image_id was not published", "the AMI(s) were kept"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("gated build's stderr lacks %q:\n%s", want, errOut)
		}
	}
	var res struct {
		AMIs []struct{ Region, ImageID string } `json:"amis"`
		Scan struct {
			State    string         `json:"state"`
			Findings map[string]int `json:"findings"`
			FailOn   string         `json:"failOn"`
			Blocked  bool           `json:"blocked"`
		} `json:"scan"`
		Published []any `json:"published"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("gated build -o json: %v\n%s", err, out)
	}
	if res.Scan.State != "COMPLETED" || res.Scan.Findings["critical"] != 2 || res.Scan.Findings["high"] != 1 || res.Scan.Findings["low"] != 1 ||
		res.Scan.Findings["total"] != 4 || !res.Scan.Blocked || res.Scan.FailOn != "critical" || len(res.Published) != 0 || len(res.AMIs) != 2 {
		t.Errorf("gated build JSON: %+v\n%s", res, out)
	}
	for _, r := range []string{"us-east-1", "us-west-2"} {
		if v := publishedIn(t, srv, r); v != "" {
			t.Errorf("parameter in %s is %s after --fail-on critical stopped the build", r, v)
		}
	}

	// Without --fail-on: the counts after the table, the parameter published.
	out, errOut, code = run(t, "build", "-f", f, "--no-registry", "--poll-interval", "20ms")
	if code != 0 {
		t.Fatalf("build without --fail-on: exit %d:\n%s", code, errOut)
	}
	if !strings.Contains(out, "vulnerability scan COMPLETED: 4 finding(s): critical 2, high 1, medium 0, low 1, informational 0, untriaged 0") {
		t.Errorf("build table lacks the scan's counts:\n%s", out)
	}
	if !strings.Contains(errOut, "published /winami/cli-win2022/image_id in us-east-1") || !strings.Contains(errOut, "by winami (this build)") {
		t.Errorf("build stderr lacks winami's publication:\n%s", errOut)
	}
	if publishedIn(t, srv, "us-east-1") == "" || publishedIn(t, srv, "us-west-2") == "" {
		t.Error("parameter not published without --fail-on")
	}
}

// TestBuildFailOnBadInput: a --fail-on level other than critical or high, or --fail-on for
// a spec that does not scan, exits 2 naming the flag before anything changes in AWS.
func TestBuildFailOnBadInput(t *testing.T) {
	t.Parallel()
	srv := useBuildWorld(t, buildClock())
	dir := t.TempDir()
	f := writeSpec(t, dir, appV1, "EC2InstanceProfileForImageBuilder")
	_, errOut, code := run(t, "build", "-f", f, "--no-registry", "--yes", "--fail-on", "medium")
	if code != 2 || !strings.Contains(errOut, `flag --fail-on "medium": use critical or high`) {
		t.Errorf("--fail-on medium: exit %d: %s", code, errOut)
	}
	_, errOut, code = run(t, "build", "-f", f, "--no-registry", "--yes", "--fail-on", "high")
	if code != 2 || !strings.Contains(errOut, "flag --fail-on high") || !strings.Contains(errOut, "enable spec.build.imageScanning") {
		t.Errorf("--fail-on without scanning: exit %d: %s", code, errOut)
	}
	if n := mutatingCalls(srv); n != 0 {
		t.Errorf("%d Image Builder changes after bad input", n)
	}
}

// TestBuildTargetAccounts: a scanned build with a target account publishes the parameter
// in both accounts' regions (the target's as its cross-account role), shows the account
// column and says which account each publication is in.
func TestBuildTargetAccounts(t *testing.T) {
	t.Parallel()
	const targetAcct = emulator.SandboxPeerAccount
	srv := useBuildWorld(t, buildClock(), emulator.WithPeerAccounts(targetAcct))
	// The target account's EC2ImageBuilderDistributionCrossAccountRole, trusting the build
	// account, with what Image Builder and winami need (iam-policy --for target-account).
	ctx := context.Background()
	tiam := awsfixture.New(awstest.SDKConfigAs(srv.URL(), "us-east-1", awsemu.AccessKeyFor(targetAcct), "secret", ""))
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + srv.Account + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := tiam.CreateRole(ctx, spec.CrossAccountRoleName, trust); err != nil {
		t.Fatal(err)
	}
	if _, err := tiam.AttachRolePolicy(ctx, spec.CrossAccountRoleName, "arn:aws:iam::aws:policy/Ec2ImageBuilderCrossAccountDistributionAccess"); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:PutParameter","ssm:GetParameter","ssm:GetParameterHistory"],"Resource":"arn:aws:ssm:*:` +
		targetAcct + `:parameter/winami/cli-win2022/image_id"}]}`
	if _, err := tiam.PutRolePolicy(ctx, spec.CrossAccountRoleName, "winami-publish", doc); err != nil {
		t.Fatal(err)
	}
	f := writeScanningSpec(t, t.TempDir())
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "    fastLaunch: {enabled: true, targetSnapshots: 10, maxParallelLaunches: 6}\n", "    targetAccountIds: [\""+targetAcct+"\"]\n", 1)
	if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "build", "-f", f, "--no-registry", "--yes", "--poll-interval", "20ms", "--fail-on", "high")
	if code != 0 {
		t.Fatalf("build: exit %d:\n%s", code, errOut)
	}
	if !strings.Contains(out, "ACCOUNT") || !strings.Contains(out, targetAcct+"  us-west-2") || !strings.Contains(out, "vulnerability scan COMPLETED: 0 finding(s)") {
		t.Errorf("build table:\n%s", out)
	}
	for _, r := range []string{"us-east-1", "us-west-2"} {
		if !strings.Contains(errOut, "distributed to "+r+" of account "+targetAcct) {
			t.Errorf("progress does not show the copy in %s of the target account:\n%s", r, errOut)
		}
		want := "published /winami/cli-win2022/image_id in " + r + " of account " + targetAcct
		if !strings.Contains(errOut, want) || !strings.Contains(errOut, "assumed-role/"+spec.CrossAccountRoleName+"/winami-publish") {
			t.Errorf("build stderr lacks %q written as winami-publish:\n%s", want, errOut)
		}
	}
}

// TestBuildFailOnRefusedBeforeAnyRequest: --fail-on for a spec that does not scan is
// refused as soon as the spec is loaded — no registry read (the cached image's manifest),
// no AWS request of any service — and a bad --fail-on level before the spec is even read
// (a missing file is not what is reported).
func TestBuildFailOnRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	reg := imagestest.Start(t, nil)
	ref := reg.Host + "/app:2.0"
	imagestest.Push(t, ref, imagestest.WindowsImage(t, osLTSC2022, imagestest.Layers(t, 1, 1<<10), 0))
	srv := useBuildWorld(t, buildClock())
	// Only the loopback registry's image: the test reaches no other registry, even when
	// the refusal comes too late.
	text := strings.NewReplacer(
		"      - mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022\n      - IMAGE\n", "      - "+ref+"\n",
		"PROFILE", "EC2InstanceProfileForImageBuilder").Replace(buildSpec)
	if !strings.Contains(text, ref) || strings.Contains(text, "mcr.microsoft.com") {
		t.Fatalf("the spec does not cache only %s:\n%s", ref, text)
	}
	f := writePruneSpec(t, text)
	before := reg.Count("GET", "") + reg.Count("HEAD", "")
	srv.Faults.ResetCounts()
	_, errOut, code := run(t, "build", "-f", f, "--yes", "--fail-on", "high")
	if code != 2 || !strings.Contains(errOut, "flag --fail-on high") || !strings.Contains(errOut, "enable spec.build.imageScanning") {
		t.Errorf("--fail-on without scanning: exit %d: %s", code, errOut)
	}
	if strings.Contains(errOut, "warning:") {
		t.Errorf("--fail-on without scanning: warnings before the refusal:\n%s", errOut)
	}
	if n := reg.Count("GET", "") + reg.Count("HEAD", "") - before; n != 0 {
		t.Errorf("--fail-on without scanning: %d registry requests before the refusal", n)
	}
	if c := srv.Faults.Counts(); len(c) != 0 {
		t.Errorf("--fail-on without scanning: AWS requests before the refusal: %+v", c)
	}

	_, errOut, code = run(t, "build", "-f", filepath.Join(t.TempDir(), "missing.yaml"), "--yes", "--fail-on", "medium")
	if code != 2 || !strings.Contains(errOut, `flag --fail-on "medium": use critical or high`) || strings.Contains(errOut, "missing.yaml") {
		t.Errorf("--fail-on medium: exit %d: %s", code, errOut)
	}
	if c := srv.Faults.Counts(); len(c) != 0 {
		t.Errorf("--fail-on medium: AWS requests: %+v", c)
	}
}
