package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/images/imagestest"
	"github.com/winami/winami/internal/awsfixture"
	"github.com/winami/winami/kube"
	"github.com/winami/winami/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenClock is the fixed time of the golden worlds, so dates in the output are too.
var goldenClock = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// goldenCommand is one command's output contract: the world it runs in and its
// arguments (without -o), the exit code there, and whether it prints data as JSON.
type goldenCommand struct {
	name  string
	world func(t *testing.T) []string
	code  int
}

// goldenCommands are the commands whose data output is pinned: the table to a terminal
// (testdata/golden/NAME.terminal.txt), to a pipe (NAME.pipe.txt), and the field names of
// -o json (testdata/json/NAME.fields). sandbox is left out: it prints the environment
// of the emulator it serves (random port, run until interrupted), which
// TestSandboxServesTheSeedToTheAWSCLI checks; images check is in TestGoldenImagesCheck
// (its world is a registry, not the emulator).
var goldenCommands = []goldenCommand{
	{name: "version", world: func(t *testing.T) []string { return []string{"version"} }},
	{name: "resolve", world: func(t *testing.T) []string {
		useEmulator(t, emulator.WithClock(awsemu.NewManualClock(goldenClock)))
		return []string{"resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "1.34,1.35", "--region", "us-east-1,eu-west-1", "--details", "--history"}
	}},
	{name: "plan", world: func(t *testing.T) []string {
		useBuildWorld(t, emulator.WithClock(awsemu.NewManualClock(goldenClock)))
		return []string{"plan", "-f", writeSpec(t, t.TempDir(), appV1, "EC2InstanceProfileForImageBuilder"), "--no-registry"}
	}},
	{name: "plan-enterprise", world: func(t *testing.T) []string {
		// The enterprise example applied (in the world its comments ask for), then changed:
		// another alias for the root volume's key (a new recipe version) and for the copy key
		// in us-west-2, another log prefix, no topic, no scanning (the distribution
		// publishes in both accounts again, so the pipeline gets the default execution
		// role, which the scanned example has none of; it exists here, as an administrator
		// would have made it, so that plan's preflight passes).
		srv := useEmulator(t, emulator.WithClock(awsemu.NewManualClock(goldenClock)), emulator.WithPeerAccounts(emulator.SandboxPeerAccount))
		createExecutionRole(t, srv, spec.DefaultExecutionRole("enterprise-win2022"), "/winami/enterprise-win2022/image_id", "us-east-1", "us-west-2")
		enterpriseWorld(t, srv)
		// A second alias of each region's key, for the changed spec.
		for _, r := range []string{"us-east-1", "us-west-2"} {
			k := kms.NewFromConfig(awstest.SDKConfig(srv.URL(), r))
			key, err := k.DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String("alias/winami-ami")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.CreateAlias(context.Background(), &kms.CreateAliasInput{AliasName: aws.String("alias/winami-ami-2026"), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
				t.Fatal(err)
			}
		}
		if _, stderr, code := run(t, "apply", "-f", enterpriseExample, "--no-registry", "--yes"); code != 0 {
			t.Fatalf("apply: exit %d\n%s", code, stderr)
		}
		b, err := os.ReadFile(enterpriseExample)
		if err != nil {
			t.Fatal(err)
		}
		changed := strings.NewReplacer(
			"us-west-2: arn:aws:kms:us-west-2:123456789012:alias/winami-ami", "us-west-2: arn:aws:kms:us-west-2:123456789012:alias/winami-ami-2026",
			"      kmsKeyId: arn:aws:kms:us-east-1:123456789012:alias/winami-ami", "      kmsKeyId: arn:aws:kms:us-east-1:123456789012:alias/winami-ami-2026",
			"s3KeyPrefix: enterprise-win2022", "s3KeyPrefix: enterprise-win2022/v2",
			"    notifications:\n      snsTopicArn: arn:aws:sns:us-east-1:123456789012:winami-builds\n", "",
			"    imageScanning:\n      enabled: true\n", "").Replace(string(b))
		if strings.Count(changed, "\n") != strings.Count(string(b), "\n")-4 {
			t.Fatal("the enterprise example changed: update the replacements of the plan-enterprise golden")
		}
		f := filepath.Join(t.TempDir(), "enterprise.yaml")
		if err := os.WriteFile(f, []byte(changed), 0o644); err != nil {
			t.Fatal(err)
		}
		return []string{"plan", "-f", f, "--no-registry"}
	}},
	{name: "apply", world: func(t *testing.T) []string {
		useBuildWorld(t, emulator.WithClock(awsemu.NewManualClock(goldenClock)))
		return []string{"apply", "-f", writeSpec(t, t.TempDir(), appV1, "EC2InstanceProfileForImageBuilder"), "--no-registry", "--yes"}
	}},
	{name: "build", world: func(t *testing.T) []string {
		// Without Fast Launch: its state when build ends depends on how fast the test runs.
		useBuildWorld(t, emulator.WithClock(awsemu.RealClock{Scale: 6000, Start: goldenClock}))
		f := writeSpec(t, t.TempDir(), appV1, "EC2InstanceProfileForImageBuilder")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		noFL := strings.Replace(string(b), "    fastLaunch: {enabled: true, targetSnapshots: 10, maxParallelLaunches: 6}\n", "", 1)
		if err := os.WriteFile(f, []byte(noFL), 0o644); err != nil || noFL == string(b) {
			t.Fatalf("the build spec without Fast Launch: %v", err)
		}
		return []string{"build", "-f", f, "--no-registry", "--yes", "--poll-interval", "20ms"}
	}},
	{name: "doctor", world: func(t *testing.T) []string {
		srv := useEmulator(t, emulator.WithClock(awsemu.NewManualClock(goldenClock)))
		createExecutionRole(t, srv, "doc-exec", "")
		return []string{"doctor", "-f", writePruneSpec(t, strings.Replace(doctorSpec, "PROFILE", "Missing", 1))}
	}, code: ExitProblem},
	{name: "iam-policy", world: func(t *testing.T) []string {
		return []string{"iam-policy", "-f", writePruneSpec(t, strings.Replace(doctorSpec, "PROFILE", "BuildRole", 1))}
	}},
	{name: "iam-policy-target-account", world: func(t *testing.T) []string {
		return []string{"iam-policy", "--for", "target-account", "-f", writePruneSpec(t, enterpriseSpec), "--build-account", "123456789012"}
	}},
	{name: "fast-launch-enable", world: func(t *testing.T) []string {
		srv := useEmulator(t, emulator.WithClock(awsemu.NewManualClock(goldenClock)))
		return []string{"fast-launch", "enable", "--image", goldenImage(t, srv, "us-east-1")}
	}},
	{name: "fast-launch-status", world: func(t *testing.T) []string {
		srv := useEmulator(t, emulator.WithClock(awsemu.NewManualClock(goldenClock)))
		ami := goldenImage(t, srv, "us-east-1")
		if _, stderr, code := run(t, "fast-launch", "enable", "--image", ami); code != 0 {
			t.Fatalf("fast-launch enable: exit %d\n%s", code, stderr)
		}
		return []string{"fast-launch", "status", "--region", "us-east-1,us-west-2"}
	}},
	{name: "prune", world: func(t *testing.T) []string {
		clock := awsemu.NewManualClock(goldenClock)
		srv := useEmulator(t, emulator.WithClock(clock))
		pipelineImages(t, srv, clock, "us-east-1", 3)
		return []string{"prune", "-f", writePruneSpec(t, pruneSpec), "--region", "us-east-1"}
	}},
	{name: "rollout", world: func(t *testing.T) []string {
		// The plan (--dry-run): web moves, follow (resolve:ssm: the parameter) is up to date.
		spec, _, _ := rolloutWorld(t, goldenClock)
		return []string{"rollout", "-f", spec, "--dry-run"}
	}},
	{name: "rollout-cluster", world: func(t *testing.T) []string {
		// The plan with --cluster: web (two instances), then the node group win (two nodes),
		// then follow (up to date).
		clock := awsemu.NewManualClock(goldenClock)
		spec, amis, srv := rolloutWorldClock(t, clock, 2)
		rolloutCluster(t, srv, clock, amis[0])
		return []string{"rollout", "-f", spec, "--cluster", "prod", "--canary", "50%", "--max-unavailable", "25%", "--dry-run"}
	}},
	{name: "rollout-yes", world: func(t *testing.T) []string {
		// web (two instances) moved to the second AMI on the emulator's manual clock.
		clock := awsemu.NewManualClock(goldenClock)
		spec, _, srv := rolloutWorldClock(t, clock, 2)
		useClock(t, clock.Now)
		useSleep(t, func(ctx context.Context, d time.Duration) error { clock.Advance(d); return ctx.Err() })
		for range 3 {
			clock.Advance(time.Minute)
			groupAMIs(t, srv, "web")
		}
		return []string{"rollout", "-f", spec, "--asg", "web", "--yes", "--poll-interval", "10s"}
	}},
	{name: "audit", world: func(t *testing.T) []string {
		w := newAuditWorld(t)
		w.windowsNodes("new-", "2026.11.12", "v1.35.2-eks-ba74326", 2)
		w.windowsNodes("old-", "2026.10.15", "v1.31.2-eks-ba74326", 1)
		return []string{"audit", "--no-coverage"}
	}, code: ExitProblem},
	{name: "images-discover", world: func(t *testing.T) []string {
		cs := fake.NewClientset(
			&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "win-1", Labels: map[string]string{"kubernetes.io/os": "windows"}}},
			&corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-5d9f"}}},
				Spec: corev1.PodSpec{NodeName: "win-1", NodeSelector: map[string]string{"kubernetes.io/os": "windows"},
					InitContainers: []corev1.Container{{Name: "init", Image: "mcr.microsoft.com/windows/nanoserver:ltsc2022"}},
					Containers:     []corev1.Container{{Name: "web", Image: appV1}}},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "web", Image: appV1,
					ImageID: "111000111000.dkr.ecr.us-east-1.amazonaws.com/myapp@sha256:" + strings.Repeat("ab", 32)}}},
			},
		)
		useKube(t, func(kube.Options) (kubernetes.Interface, error) { return cs, nil })
		return []string{"images", "discover", "--no-coverage"}
	}},
	{name: "render", world: func(t *testing.T) []string {
		return []string{"render", "-f", "../../examples/minimal-2019-core.yaml", "-d", goldenDir(t)}
	}},
}

// goldenDir makes an empty directory whose path is the same every run but for 16 hex
// digits (a table's column widths follow it): winami-golden-<hex>, relative to the
// package, as the temporary directory's own path differs from machine to machine.
func goldenDir(t *testing.T) string {
	t.Helper()
	dir := fmt.Sprintf("winami-golden-%016x", rand.Uint64())
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Error(err) // left in the package's directory
		}
	})
	return dir
}

// goldenImage makes an AMI of the caller's account named golden-<region> (ownedImage
// numbers its names; a golden world needs the same name every run).
func goldenImage(t *testing.T, srv *awsemu.Server, region string) string {
	t.Helper()
	ctx := context.Background()
	c := awsfixture.New(awstest.SDKConfig(srv.URL(), region))
	in, err := c.RunInstances(ctx, publicEKSImage(region), 1, "m6i.large")
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	out, err := c.CreateImage(ctx, in.Instances[0].InstanceId, "golden-"+region, nil)
	if err != nil {
		t.Fatalf("CreateImage: %v", err)
	}
	return aws.ToString(out.ImageId)
}

// TestGoldenOutput pins each command's data output: its table to a terminal and to a
// pipe, each against its golden file, and the field names of its JSON. Each output comes
// from a fresh world (apply, build and fast-launch enable change theirs). winami prints
// the same table to a terminal as to a pipe (no colour, no truncation, no other layout):
// the test says so when they differ.
func TestGoldenOutput(t *testing.T) {
	t.Parallel()
	for _, c := range goldenCommands {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			checkGolden(t, c)
		})
	}
}

// TestGoldenImagesCheck is TestGoldenOutput's images check, against an in-memory
// registry (imageRegistry).
func TestGoldenImagesCheck(t *testing.T) {
	t.Parallel()
	checkGolden(t, goldenCommand{name: "images-check", world: func(t *testing.T) []string {
		host := imageRegistry(t)
		base := imagestest.Layers(t, 1, 4096)
		imagestest.PushWindows(t, host+"/aspnet:4.8", base, "10.0.17763.6054", "10.0.20348.2700")
		imagestest.PushWindows(t, host+"/app:1", base, "10.0.17763.6054")
		return []string{"images", "check", "--windows", "2022", "--kubernetes", "1.35", host + "/aspnet:4.8", host + "/app:1"}
	}, code: ExitProblem})
}

// checkGolden runs c to a terminal, to a pipe and with -o json, each in a fresh world,
// and compares them with the golden files.
func checkGolden(t *testing.T, c goldenCommand) {
	t.Helper()
	outputs := map[bool]string{}
	for _, tty := range []bool{true, false} {
		mode := map[bool]string{true: "terminal", false: "pipe"}[tty]
		t.Run(mode, func(t *testing.T) {
			args := c.world(t)
			out, stderr, code := runTTY(t, tty, append(args, "-o", "table")...)
			if code != c.code {
				t.Fatalf("winami %s to a %s: exit %d, want %d\n%s%s", strings.Join(args, " "), mode, code, c.code, out, stderr)
			}
			outputs[tty] = normalize(out)
			golden(t, filepath.Join("testdata", "golden", c.name+"."+mode+".txt"), outputs[tty])
		})
	}
	if outputs[true] != outputs[false] {
		t.Errorf("%s prints a different table to a terminal than to a pipe: winami has no terminal-only output; if it now has, say so in the golden files' names and this test", c.name)
	}
	t.Run("json", func(t *testing.T) {
		args := c.world(t)
		out, stderr, code := runTTY(t, false, append(args, "-o", "json")...)
		if code != c.code {
			t.Fatalf("winami %s -o json: exit %d, want %d\n%s%s", strings.Join(args, " "), code, c.code, out, stderr)
		}
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("-o json printed no JSON: %v\n%s", err, out)
		}
		golden(t, filepath.Join("testdata", "json", c.name+".fields"), strings.Join(jsonFields(v), "\n")+"\n")
	})
}

// runTTY runs winami in t's world with stdout (and stderr) a terminal or a pipe.
func runTTY(t *testing.T, tty bool, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	f := testFactory(t, strings.NewReader(""), &out, &errb)
	f.SetStdoutTTY(tty)
	f.SetStderrTTY(tty)
	code := Execute(context.Background(), f, args)
	return out.String(), errb.String(), code
}

// golden compares got with the file at path (rewritten with -update).
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli/ -run Golden -update to write it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test -run Golden -update rewrites it after a deliberate change):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// volatile are the parts of an output that differ from run to run, with what stands for
// them: the Go toolchain and platform (version), the emulator's random resource ids and
// the test registry's digests of random layers (same length, numbered by first
// appearance, so columns keep their width), temporary directories and the in-memory
// registry's port.
var (
	resourceIDRE = regexp.MustCompile(`\b(ami|snap|i|lt|sg|subnet|vpc)-[0-9a-f]{17}\b|\bsha256:[0-9a-f]{12,64}\b`)
	goldenDirRE  = regexp.MustCompile(`winami-golden-[0-9a-f]{16}`)
	tempDirRE    = regexp.MustCompile(regexp.QuoteMeta(os.TempDir()) + `/[^\s/]+/\d{3}`)
	registryRE   = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	// uuidRE: the ids of instance refreshes and node group updates.
	uuidRE = regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
)

// normalize replaces the volatile parts of out.
func normalize(out string) string {
	out = strings.NewReplacer(runtime.Version(), "GOVERSION", runtime.GOOS+"/"+runtime.GOARCH, "GOOS/GOARCH", Version, "VERSION").Replace(out)
	seen := map[string]string{}
	out = resourceIDRE.ReplaceAllStringFunc(out, func(id string) string {
		if r, ok := seen[id]; ok {
			return r
		}
		i := strings.IndexAny(id, "-:") + 1
		prefix := id[:i]
		n := 0
		for _, r := range seen {
			if strings.HasPrefix(r, prefix) {
				n++
			}
		}
		seen[id] = fmt.Sprintf("%s%0*d", prefix, len(id)-i, n+1)
		return seen[id]
	})
	uuids := map[string]string{}
	out = uuidRE.ReplaceAllStringFunc(out, func(id string) string {
		if _, ok := uuids[id]; !ok {
			uuids[id] = fmt.Sprintf("00000000-0000-0000-0000-%012d", len(uuids)+1)
		}
		return uuids[id]
	})
	out = goldenDirRE.ReplaceAllString(out, "winami-golden-XXXXXXXXXXXXXXXX")
	out = tempDirRE.ReplaceAllString(out, "TMPDIR")
	return registryRE.ReplaceAllString(out, "127.0.0.1:PORT")
}

// jsonFields lists the field names of a JSON document as paths, sorted, once each: an
// object's fields as .name, an array's elements as []. Maps keyed by data show their
// keys (iam-policy's condition keys).
func jsonFields(v any) []string {
	set := map[string]bool{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				p := path + "." + k
				set[p] = true
				walk(p, e)
			}
		case []any:
			for _, e := range v {
				walk(path+"[]", e)
			}
		}
	}
	walk("", v)
	fields := make([]string, 0, len(set))
	for f := range set {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	return fields
}
