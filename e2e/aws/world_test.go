package awse2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/images/imagestest"
)

// Environment variables the suite reads.
const (
	// envAWS selects the real-account world when it is "1".
	envAWS = "WINAMI_E2E_AWS"
	// envRegions lists the distribution regions of the real-account run (default: the
	// SDK's region, AWS_REGION or the profile's); the first is where Image Builder runs.
	envRegions = "WINAMI_E2E_AWS_REGIONS"
	// envImage is the container image the real-account run caches (default awsDefaultImage).
	envImage = "WINAMI_E2E_AWS_IMAGE"
	// envInstanceType is the build instance type (default defaultInstanceType).
	envInstanceType = "WINAMI_E2E_AWS_INSTANCE_TYPE"
	// envSubnet and envSecurityGroups set spec.build.subnetId and securityGroupIds for
	// an account without a default VPC.
	envSubnet         = "WINAMI_E2E_AWS_SUBNET"
	envSecurityGroups = "WINAMI_E2E_AWS_SECURITY_GROUPS"
	// envKubernetes pins the Kubernetes version instead of the newest that resolves.
	envKubernetes = "WINAMI_E2E_KUBERNETES"
	// envSweep names the prefix of a killed run for TestSweep.
	envSweep = "WINAMI_E2E_AWS_SWEEP"
)

const (
	// suiteTag is the tag key the suite adds to everything it creates; its value is the
	// run's prefix.
	suiteTag = "winami-e2e:run"
	// awsDefaultImage is small (about 120 MB compressed) and public: the build instance
	// pulls it from MCR without credentials.
	awsDefaultImage     = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
	defaultInstanceType = "m6i.xlarge"
	// awsMinTimeout is the shortest go test -timeout the real-account run accepts: two
	// Windows builds of 45–60 min each, Fast Launch pre-provisioning twice, prune and the
	// clean-up.
	awsMinTimeout = 5 * time.Hour
	// ltsc2022 is the os.version of the image pushed to the sandbox's registry.
	ltsc2022 = "10.0.20348.2700"
)

// prefixRE is what a run's prefix looks like; the sweep refuses anything else.
var prefixRE = regexp.MustCompile(`^winami-e2e-[0-9a-f]{8}$`)

// worldKind is where the suite runs.
type worldKind int

const (
	sandboxWorld worldKind = iota
	awsWorld
)

func (k worldKind) String() string {
	if k == awsWorld {
		return "aws"
	}
	return "sandbox"
}

// selectWorld decides from the environment where the suite runs, and refuses an
// environment that says two things at once. environ is os.Environ's form.
func selectWorld(environ []string) (worldKind, error) {
	env := map[string]string{}
	var endpoints []string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
		if (k == "AWS_ENDPOINT_URL" || strings.HasPrefix(k, "AWS_ENDPOINT_URL_")) && v != "" {
			endpoints = append(endpoints, k)
		}
	}
	sort.Strings(endpoints)
	var kind worldKind
	switch v := env[envAWS]; v {
	case "":
		kind = sandboxWorld
	case "1":
		kind = awsWorld
	default:
		return 0, fmt.Errorf("%s=%q: set it to 1 to run the suite against the AWS account of AWS_PROFILE/AWS_REGION, or unset it to run against the sandbox", envAWS, v)
	}
	for _, k := range endpoints {
		v := env[k]
		loop, err := isLoopback(v)
		if err != nil {
			return 0, fmt.Errorf("%s=%q: %v", k, v, err)
		}
		switch {
		case kind == awsWorld && loop:
			return 0, fmt.Errorf("%s=1 runs the suite against a real AWS account, but %s=%s points at this machine (a sandbox?): unset %s to test AWS, or unset %s to test the sandbox (the suite starts its own)", envAWS, k, v, k, envAWS)
		case kind == sandboxWorld && !loop:
			return 0, fmt.Errorf("%s=%s points at a remote endpoint but %s is not set: the sandbox run starts its own loopback endpoint and sends nothing elsewhere; unset %s, or set %s=1 to run against that account", k, v, envAWS, k, envAWS)
		}
	}
	return kind, nil
}

// isLoopback reports whether an endpoint URL names this machine.
func isLoopback(endpoint string) (bool, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return false, fmt.Errorf("not an endpoint URL (want e.g. http://127.0.0.1:4566 or https://ec2.us-east-1.amazonaws.com)")
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true, nil
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}

// world is one place the flow runs: a fresh sandbox, or a real account.
type world struct {
	kind worldKind
	// prefix names every resource of the run; it is also the suite tag's value.
	prefix string
	// region is where Image Builder runs; regions are the distribution regions (region first).
	region  string
	regions []string
	// env is the whole environment winami runs with; dir its working directory.
	env []string
	dir string
	// cfg is the SDK configuration of the suite's own calls in the build region.
	cfg aws.Config
	// image is the cached container image; instanceType the build instance type.
	image, instanceType string
	// subnet and securityGroups place the build instance (empty: the default VPC).
	subnet         string
	securityGroups []string
	// kubernetes pins the Kubernetes version ("" picks the newest that resolves).
	kubernetes string

	// How often winami polls (build, Fast Launch) and how long it may wait.
	buildPoll, flPoll       time.Duration
	buildTimeout, flTimeout time.Duration
	// retryBase is the first pause between the clean-up's retries.
	retryBase time.Duration
	// cleanupBudget is kept free of the flow at the end of the test's deadline.
	cleanupBudget time.Duration
	// stream logs winami's stderr line by line as it runs (long runs).
	stream bool

	// srv is the sandbox's endpoint (nil against AWS).
	srv *awsemu.Server
}

// regionCfg is the SDK configuration for region.
func (w *world) regionCfg(region string) aws.Config {
	c := w.cfg.Copy()
	c.Region = region
	return c
}

func (w *world) ec2(region string) *ec2.Client { return ec2.NewFromConfig(w.regionCfg(region)) }
func (w *world) ssm(region string) *ssm.Client { return ssm.NewFromConfig(w.regionCfg(region)) }
func (w *world) ib() *imagebuilder.Client      { return imagebuilder.NewFromConfig(w.cfg) }
func (w *world) iam() *iam.Client              { return iam.NewFromConfig(w.cfg) }
func (w *world) sts() *sts.Client              { return sts.NewFromConfig(w.cfg) }

// parameter is the SSM parameter the build publishes: outside /imagebuilder/, as the
// README's walkthrough publishes it.
func (w *world) parameter() string { return "/winami-e2e/" + w.prefix + "/image_id" }

// instanceProfile is spec.build.instanceProfile (and its role's name).
func (w *world) instanceProfile() string { return w.prefix + "-build" }

// executionRole is the pipeline's execution role winami names by default for a
// parameter outside /imagebuilder/.
func (w *world) executionRole() string { return w.prefix + "-imagebuilder-execution" }

// newPrefix returns a fresh run prefix.
func newPrefix(t testing.TB) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("reading random bytes: %v", err)
	}
	return "winami-e2e-" + hex.EncodeToString(b)
}

// newSandbox starts a fresh awsemu (clock ×6000) and a loopback registry holding the
// image to cache, each stopped when the test ends.
func newSandbox(t *testing.T) *world {
	t.Helper()
	srv := emulatortest.Start(t, emulator.WithClock(awsemu.RealClock{Scale: 6000, Start: time.Now()}))
	reg := imagestest.Start(t, nil)
	image := reg.Host + "/e2e/app:1"
	imagestest.Push(t, image, imagestest.WindowsImage(t, ltsc2022, imagestest.Layers(t, 2, 1<<20), 1))

	home := t.TempDir()
	const region = "us-east-1"
	w := &world{
		kind: sandboxWorld, prefix: newPrefix(t), region: region, regions: []string{region, "us-west-2"},
		dir: t.TempDir(), cfg: awstest.SDKConfig(srv.URL(), region), image: image, instanceType: defaultInstanceType,
		kubernetes: os.Getenv(envKubernetes),
		buildPoll:  50 * time.Millisecond, flPoll: 100 * time.Millisecond,
		buildTimeout: 2 * time.Minute, flTimeout: 2 * time.Minute,
		retryBase: 20 * time.Millisecond, cleanupBudget: time.Minute, srv: srv,
	}
	// What `winami sandbox` tells a user to export, and nothing of the user's own AWS
	// or Docker configuration.
	w.env = []string{
		"AWS_ENDPOINT_URL=" + srv.URL(),
		"AWS_REGION=" + region,
		"AWS_ACCESS_KEY_ID=" + awstest.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + awstest.SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "aws-credentials"),
		"DOCKER_CONFIG=" + filepath.Join(home, "docker"),
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
	}
	return w
}

// newAWS is the account of the caller's AWS settings. It refuses a go test -timeout
// shorter than minTimeout before it sends anything.
func newAWS(t *testing.T, minTimeout time.Duration) *world {
	t.Helper()
	deadline, ok := t.Deadline()
	if err := checkTimeout(deadline, ok, minTimeout); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatalf("loading the AWS configuration: %v", err)
	}
	if cfg.Region == "" {
		t.Fatalf("%s=1 but no region: set AWS_REGION (or the profile's region)", envAWS)
	}
	regions := []string{cfg.Region}
	if v := os.Getenv(envRegions); v != "" {
		regions = nil
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r != "" {
				regions = append(regions, r)
			}
		}
		if len(regions) == 0 || regions[0] != cfg.Region {
			t.Fatalf("%s=%q: list the build region %s (AWS_REGION) first, then the other distribution regions", envRegions, v, cfg.Region)
		}
	}
	w := &world{
		kind: awsWorld, prefix: newPrefix(t), region: cfg.Region, regions: regions, dir: t.TempDir(), cfg: cfg,
		image: envOr(envImage, awsDefaultImage), instanceType: envOr(envInstanceType, defaultInstanceType),
		subnet: os.Getenv(envSubnet), kubernetes: os.Getenv(envKubernetes),
		buildPoll: time.Minute, flPoll: 30 * time.Second, buildTimeout: 3 * time.Hour, flTimeout: 90 * time.Minute,
		retryBase: 5 * time.Second, cleanupBudget: 75 * time.Minute, stream: true,
		env: os.Environ(),
	}
	if v := os.Getenv(envSecurityGroups); v != "" {
		w.securityGroups = strings.Split(v, ",")
	}
	if (w.subnet == "") != (len(w.securityGroups) == 0) {
		t.Fatalf("set both %s and %s (a subnet and its security groups), or neither (the default VPC)", envSubnet, envSecurityGroups)
	}
	return w
}

// checkTimeout refuses a go test deadline that leaves less than min: a test killed by
// -timeout runs no clean-up, and a real run would leave AMIs and instances behind.
func checkTimeout(deadline time.Time, ok bool, min time.Duration) error {
	if left := time.Until(deadline); ok && left < min {
		return fmt.Errorf("%s=1: this test waits for AWS for hours (Windows builds, Fast Launch) but go test's -timeout leaves %s: run with -timeout %s or more (the test stops early enough to clean up)",
			envAWS, left.Round(time.Minute), (min + time.Hour).Round(time.Hour))
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// flowContext bounds the flow so that the clean-up keeps cleanupBudget before go test's
// deadline (a test killed by -timeout runs no t.Cleanup).
func (w *world) flowContext(t *testing.T) context.Context {
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-w.cleanupBudget))
		t.Cleanup(cancel)
	}
	return ctx
}

// cleanupContext is the context of one clean-up function: never the flow's, which may
// have ended; it ends shortly before go test's deadline.
func (w *world) cleanupContext(t *testing.T) (context.Context, context.CancelFunc) {
	if d, ok := t.Deadline(); ok {
		return context.WithDeadline(context.Background(), d.Add(-30*time.Second))
	}
	return context.WithTimeout(context.Background(), w.cleanupBudget)
}
