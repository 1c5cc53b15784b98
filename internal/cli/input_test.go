package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/spec"
)

// inputSpec is a small valid spec (no cache, no registry) for the issue 18 input tests.
const inputSpec = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: input-win2022
  region: us-east-1
spec:
  kubernetesVersion: "1.33"
  windows: {version: "2022", edition: Core}
  distribution:
    regions: [us-east-1, us-west-2]
    fastLaunch: {enabled: true}
`

// writeInputSpec writes inputSpec with each old → new replacement made.
func writeInputSpec(t *testing.T, repl ...string) string {
	t.Helper()
	return writeSpecWith(t, inputSpec, repl...)
}

// noRequests fails the test when the emulator saw any AWS request.
func noRequests(t *testing.T, srv *awsemu.Server, what string) {
	t.Helper()
	if c := srv.Faults.Counts(); len(c) > 0 {
		t.Errorf("%s: AWS was called before the bad input was refused: %+v", what, c)
	}
}

// badInput runs each case against a fresh emulator and wants exit 2, the words, and no
// AWS request at all.
func badInput(t *testing.T, cases []struct {
	args []string
	want string
}) {
	t.Helper()
	for _, tt := range cases {
		srv := useEmulator(t)
		srv.Faults.ResetCounts()
		_, stderr, code := run(t, tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("winami %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tt.args, " "), code, stderr, tt.want)
		}
		noRequests(t, srv, strings.Join(tt.args, " "))
	}
}

// Issue 18: --region is validated as the spec's regions are (known region, nearest name
// suggested), a list or all only where the command takes one, and every command honours
// it or refuses it with a reason — before any AWS call.
func TestRegionFlagCheckedBeforeAWS(t *testing.T) {
	t.Parallel()
	file := writeInputSpec(t)
	dir := filepath.Join(t.TempDir(), "out")
	badInput(t, []struct {
		args []string
		want string
	}{
		{[]string{"resolve", "--region", "us-est-1"}, `flag --region: "us-est-1" is not a known AWS region (did you mean "us-east-1"?)`},
		{[]string{"fast-launch", "status", "--region", "us-est-1"}, `did you mean "us-east-1"`},
		{[]string{"resolve", "--region", "us-east-1,eu-wst-1"}, `did you mean "eu-west-1"`},
		{[]string{"resolve", "--region", "us-east-1,all"}, "all stands alone"},
		{[]string{"resolve", "--region", "us-east-1,,us-west-2"}, "an empty region in the list"},
		{[]string{"resolve", "--region", ""}, "flag --region is empty"},
		{[]string{"resolve", "--region", "moon-1"}, `"moon-1" is not an AWS region name`},
		{[]string{"fast-launch", "enable", "--image", "ami-0123456789abcdef0", "--region", "all"}, "this command works in one region"},
		{[]string{"audit", "--expect-image", "ami-0123456789abcdef0", "--region", "us-east-1,us-west-2"}, "this command works in one region"},
		{[]string{"prune", "-f", file, "--region", "us-wst-2"}, `did you mean "us-west-2"`},
		{[]string{"version", "--region", "us-east-1"}, "winami version calls no AWS"},
		{[]string{"images", "check", "-f", file, "--region", "us-east-1"}, "in each ECR registry's own region"},
		// Spec commands work in metadata.region: another --region is refused, not ignored.
		{[]string{"plan", "-f", file, "--region", "eu-west-1"}, `flag --region "eu-west-1": the spec's metadata.region is us-east-1 (` + file + `:5)`},
		{[]string{"apply", "-f", file, "--region", "eu-west-1"}, "the spec's metadata.region is us-east-1"},
		{[]string{"build", "-f", file, "--region", "eu-west-1"}, "the spec's metadata.region is us-east-1"},
		{[]string{"doctor", "-f", file, "--region", "eu-west-1"}, "the spec's metadata.region is us-east-1"},
		{[]string{"render", "-f", file, "-d", dir, "--region", "eu-west-1"}, "the spec's metadata.region is us-east-1"},
		{[]string{"iam-policy", "-f", file, "--region", "eu-west-1"}, "the spec's metadata.region is us-east-1"},
		{[]string{"plan", "-f", file, "--region", "us-east-1,us-west-2"}, "works in the spec's metadata.region"},
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("render with a refused --region wrote %s (%v)", dir, err)
	}
}

// The regions the commands take are still taken: the spec's own region, and lists where
// a command takes them.
func TestRegionFlagHonoured(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t)
	out, stderr, code := run(t, "resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "1.33", "--region", "us-east-1,us-west-2", "-o", "json")
	if code != 0 || !strings.Contains(out, `"region": "us-west-2"`) {
		t.Fatalf("resolve with a list: exit %d\n%s%s", code, out, stderr)
	}
	_, stderr, code = run(t, "iam-policy", "-f", writeInputSpec(t), "--region", "us-east-1")
	if code != 0 {
		t.Errorf("iam-policy -f with the spec's own --region: exit %d\n%s", code, stderr)
	}
	srv.Faults.ResetCounts()
	_, stderr, _ = run(t, "doctor", "-f", writeInputSpec(t), "--region", "us-east-1")
	if strings.Contains(stderr, "flag --region") || len(srv.Faults.Counts()) == 0 {
		t.Errorf("doctor with the spec's own --region did not run: %s", stderr)
	}
}

// Issue 18: range and enum flags follow the rule of the spec field they mirror, exit 2,
// before any AWS call.
func TestRangeFlagsExit2BeforeAWS(t *testing.T) {
	t.Parallel()
	file := writeInputSpec(t)
	const ami = "ami-0123456789abcdef0"
	badInput(t, []struct {
		args []string
		want string
	}{
		{[]string{"fast-launch", "enable", "--image", ami, "--max-parallel", "5"}, "flag --max-parallel: 5 is too low: EC2 Fast Launch needs 6 or more"},
		{[]string{"fast-launch", "enable", "--image", ami, "--snapshots", "20000"}, "flag --snapshots: 20000 is outside 1..10000"},
		{[]string{"fast-launch", "enable", "--image", ami, "--snapshots", "0"}, "flag --snapshots: 0 is outside 1..10000"},
		{[]string{"fast-launch", "enable", "--image", ami, "--launch-template", "lt-123"}, `flag --launch-template "lt-123": "lt-123" is not a launch template id`},
		{[]string{"fast-launch", "enable", "--image", ami, "--launch-template", "ab"}, "is not a launch template name: 3 to 128"},
		{[]string{"fast-launch", "enable", "--image", ami, "--launch-template", "nodes:0"}, `"0" is not a launch template version`},
		{[]string{"prune", "-f", file, "--keep", "0"}, "flag --keep: 0: keep at least 1 AMI"},
		{[]string{"prune", "-f", file, "--keep", "-1"}, "flag --keep: -1: keep at least 1 AMI"},
	})
	// The spec's fields say the same words.
	for _, tt := range []struct{ from, to, want string }{
		{"fastLaunch: {enabled: true}", "fastLaunch: {enabled: true, maxParallelLaunches: 5}", "5 is too low: EC2 Fast Launch needs 6 or more"},
		{"fastLaunch: {enabled: true}", "fastLaunch: {enabled: true, targetSnapshots: 20000}", "20000 is outside 1..10000"},
	} {
		badInput(t, []struct {
			args []string
			want string
		}{{[]string{"plan", "-f", writeInputSpec(t, tt.from, tt.to)}, tt.want}})
	}
}

// Issue 18: a launch template that does not exist is bad input naming the flag, and Fast
// Launch is not enabled.
func TestLaunchTemplateMissingExit2(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t)
	ami := ownedImage(t, srv, "us-east-1")
	for _, lt := range []string{"no-such-template", "lt-0123456789abcdef0"} {
		_, stderr, code := run(t, "fast-launch", "enable", "--image", ami, "--launch-template", lt)
		if code != ExitUsage || !strings.Contains(stderr, fmt.Sprintf("flag --launch-template %q: launch template %s does not exist in us-east-1", lt, lt)) {
			t.Errorf("--launch-template %s: exit %d\n%s", lt, code, stderr)
		}
	}
	if n := srv.Faults.Count("ec2", "EnableFastLaunch", ""); n != 0 {
		t.Errorf("EnableFastLaunch called %d times with a missing launch template", n)
	}
}

// Issue 18: a --profile (or AWS_PROFILE) that the shared files do not define is bad
// input naming it, with the profiles they define, before any AWS call. Not parallel: it
// sets AWS_PROFILE.
func TestProfileMissingExit2(t *testing.T) {
	dir := t.TempDir()
	cfg, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if err := os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\n[profile prod]\nregion = us-east-1\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n[sso-session corp]\nsso_region = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(creds, []byte("[ci]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The files the SDK reads, as a user sets them (and as the message names them).
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	srv := useEmulator(t)
	exec := func(args ...string) (string, int) {
		var out, errb bytes.Buffer
		f := NewFactory(strings.NewReader(""), &out, &errb)
		f.LoadAWS = func(ctx context.Context, s awsapi.Settings) (*awsapi.Clients, error) {
			s.LoadOptions = append(s.LoadOptions, config.WithBaseEndpoint(srv.URL()),
				config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
			return awsapi.Load(ctx, s)
		}
		code := Execute(context.Background(), f, args)
		return errb.String(), code
	}
	srv.Faults.ResetCounts()
	stderr, code := exec("resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "1.33", "--profile", "prodd")
	if code != ExitUsage || !strings.Contains(stderr, `flag --profile "prodd": no such AWS profile (did you mean "prod"?) in `+cfg+" or "+creds+"; use one of ci, default, prod") {
		t.Errorf("--profile prodd: exit %d\n%s", code, stderr)
	}
	t.Setenv("AWS_PROFILE", "nope")
	stderr, code = exec("resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "1.33")
	if code != ExitUsage || !strings.Contains(stderr, `AWS_PROFILE "nope": no such AWS profile in`) {
		t.Errorf("AWS_PROFILE=nope: exit %d\n%s", code, stderr)
	}
	if strings.Contains(stderr, "AKIAEXAMPLE") || strings.Contains(stderr, "aws_secret_access_key") {
		t.Errorf("the message shows the files' keys: %s", stderr)
	}
	noRequests(t, srv, "a missing profile")
	// A profile that exists (in either file) is used.
	for _, p := range []string{"prod", "ci"} {
		if stderr, code := exec("resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "1.33", "--profile", p, "--region", "us-east-1"); code != 0 {
			t.Errorf("--profile %s: exit %d\n%s", p, code, stderr)
		}
	}
}

// Issue 18: "winami plan winami.yaml" says "did you mean -f winami.yaml".
func TestFileArgumentHint(t *testing.T) {
	t.Parallel()
	file := writeInputSpec(t)
	badInput(t, []struct {
		args []string
		want string
	}{
		{[]string{"plan", "winami.yaml"}, `unexpected argument "winami.yaml": did you mean -f winami.yaml?`},
		{[]string{"doctor", "prod.yml"}, "did you mean -f prod.yml?"},
		{[]string{"render", file}, "did you mean -f " + file + "?"},
		{[]string{"prune", "-f", file, "other.yaml"}, `unexpected argument "other.yaml": winami prune reads one spec file, the one -f names (` + file + ")"},
		{[]string{"plan", "nothing"}, `unknown command "nothing"`},
	})
}

// Issue 18: a spec with thousands of problems lists the first 50 and counts the rest.
func TestSpecProblemsCapped(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(inputSpec)
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "x%d: 1\n", i)
	}
	file := filepath.Join(t.TempDir(), "many.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := useEmulator(t)
	srv.Faults.ResetCounts()
	_, stderr, code := run(t, "plan", "-f", file)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != ExitUsage || len(lines) != spec.MaxListed+2 || !strings.Contains(stderr, "(3000 problems)") || lines[len(lines)-1] != fmt.Sprintf("  … and %d more problems", 3000-spec.MaxListed) {
		t.Errorf("exit %d, %d lines; first %q, last %q", code, len(lines), lines[0], lines[len(lines)-1])
	}
	noRequests(t, srv, "a spec with 3000 problems")
}

// Issue 18: numbers are what the user wrote, a YAML tab says tab, and a Kubernetes
// version older than EKS ever had is refused: bad input before any AWS call.
func TestSpecInputExit2BeforeAWS(t *testing.T) {
	t.Parallel()
	badInput(t, []struct {
		args []string
		want string
	}{
		{[]string{"plan", "-f", writeInputSpec(t, "fastLaunch: {enabled: true}", "fastLaunch: {enabled: true, maxParallelLaunches: 6.9}")}, `spec.distribution.fastLaunch.maxParallelLaunches: "6.9" is not a whole number`},
		{[]string{"prune", "-f", writeInputSpec(t, "fastLaunch: {enabled: true}\n", "fastLaunch: {enabled: true}\n  keep: 2.9\n")}, `spec.keep: "2.9" is not a whole number`},
		{[]string{"plan", "-f", writeInputSpec(t, "fastLaunch: {enabled: true}", "fastLaunch: {enabled: true, targetSnapshots: 0}")}, "spec.distribution.fastLaunch.targetSnapshots: 0 is outside 1..10000"},
		{[]string{"plan", "-f", writeInputSpec(t, "  region: us-east-1", "\tregion: us-east-1")}, "winami.yaml:5: parsing YAML: this line is indented with a tab: YAML indents with spaces only"},
		{[]string{"plan", "-f", writeInputSpec(t, `"1.33"`, `"1.9"`)}, `kubernetes version "1.9" is older than any EKS ever had`},
		{[]string{"resolve", "--kubernetes", "1.9"}, "older than any EKS ever had"},
	})
}

// Issue 18: a Kubernetes version newer than the catalog is a warning in render (offline)
// and checked against AWS in plan: EKS publishes no Windows AMI for it, so exit 2 naming
// the field, with nothing asked of Image Builder.
func TestKubernetesNewerThanCatalog(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t)
	file := writeInputSpec(t, `"1.33"`, `"1.99"`)
	srv.Faults.ResetCounts()
	_, stderr, code := run(t, "render", "-f", file, "-o", "yaml")
	if code != 0 || !strings.Contains(stderr, `warning: `+file+`:7: spec.kubernetesVersion: "1.99" is newer than winami's catalog`) {
		t.Errorf("render: exit %d\n%s", code, stderr)
	}
	noRequests(t, srv, "render")
	_, stderr, code = run(t, "plan", "-f", file)
	if code != ExitUsage || !strings.Contains(stderr, file+`:7: spec.kubernetesVersion: "1.99" is newer than winami's catalog`) ||
		!strings.Contains(stderr, "EKS publishes no Windows Server 2022 Core AMI for it in us-east-1") {
		t.Errorf("plan: exit %d\n%s", code, stderr)
	}
	if srv.Faults.Count("ssm", "GetParameters", "us-east-1") == 0 {
		t.Error("plan did not ask SSM for the EKS-optimized parameter")
	}
	if n := srv.Faults.Count("imagebuilder", "", ""); n != 0 {
		t.Errorf("plan asked Image Builder %d times for a Kubernetes version EKS does not have", n)
	}
	// A catalog version is not asked about.
	srv.Faults.ResetCounts()
	_, stderr, _ = run(t, "render", "-f", writeInputSpec(t), "-o", "yaml")
	if strings.Contains(stderr, "newer than winami's catalog") {
		t.Errorf("render warned about 1.33: %s", stderr)
	}
}
