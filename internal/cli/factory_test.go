package cli

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/google/go-containerregistry/pkg/authn"
	"k8s.io/client-go/kubernetes"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/kube"
)

// testEnv is the world one test's commands run in: what its Factory replaces of the
// real one. A test sets it through helpers (useEmulator, useKube, useClock,
// useTerminal…) and run, runWith build each command's Factory from it, so no package
// variable and no environment variable is swapped and the tests run in parallel.
type testEnv struct {
	mu sync.Mutex
	// endpoint is the AWS endpoint ("": the machine's AWS settings, as a user's).
	endpoint string
	// noCredentials leaves the AWS identity without credentials.
	noCredentials bool
	// kube builds the Kubernetes client (nil: the kubeconfig's cluster).
	kube func(kube.Options) (kubernetes.Interface, error)
	// now is the clock (nil: time.Now); sleep how rollout waits (nil: a timer).
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	// terminal makes stdin and stderr terminals: winami may ask.
	terminal bool
}

// testEnvs holds each running test's testEnv by the test's name; a subtest uses its
// parent's. Entries are added by envOf and removed when their test ends.
var testEnvs sync.Map

// envOf returns t's testEnv, made on first use.
func envOf(t *testing.T) *testEnv {
	t.Helper()
	v, loaded := testEnvs.LoadOrStore(t.Name(), &testEnv{})
	if !loaded {
		name := t.Name()
		t.Cleanup(func() { testEnvs.Delete(name) })
	}
	return v.(*testEnv)
}

// lookupEnv returns the testEnv of t or of its closest parent test that has one (nil
// when none has).
func lookupEnv(t *testing.T) *testEnv {
	for name := t.Name(); ; {
		if v, ok := testEnvs.Load(name); ok {
			return v.(*testEnv)
		}
		i := strings.LastIndex(name, "/")
		if i < 0 {
			return nil
		}
		name = name[:i]
	}
}

// useKube makes the test's commands use the Kubernetes client mk builds.
func useKube(t *testing.T, mk func(kube.Options) (kubernetes.Interface, error)) {
	t.Helper()
	env := envOf(t)
	env.mu.Lock()
	defer env.mu.Unlock()
	env.kube = mk
}

// useClock makes the test's commands judge dates by now.
func useClock(t *testing.T, now func() time.Time) {
	t.Helper()
	env := envOf(t)
	env.mu.Lock()
	defer env.mu.Unlock()
	env.now = now
}

// useSleep makes the test's rollout wait with sleep (a manual clock advanced).
func useSleep(t *testing.T, sleep func(ctx context.Context, d time.Duration) error) {
	t.Helper()
	env := envOf(t)
	env.mu.Lock()
	defer env.mu.Unlock()
	env.sleep = sleep
}

// useTerminal makes the test's stdin and stderr terminals (winami may ask) or not.
func useTerminal(t *testing.T, terminal bool) {
	t.Helper()
	env := envOf(t)
	env.mu.Lock()
	defer env.mu.Unlock()
	env.terminal = terminal
}

// useNoCredentials leaves the test's AWS identity without credentials, as with
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY empty and no profile.
func useNoCredentials(t *testing.T) {
	t.Helper()
	env := envOf(t)
	env.mu.Lock()
	defer env.mu.Unlock()
	env.noCredentials = true
}

// errNoTestCredentials is what the credential chain finds in a world without credentials.
var errNoTestCredentials = errors.New("failed to retrieve credentials: no credentials in the test's environment")

// testFactory is the Factory of one command run in t's world on the given streams.
func testFactory(t *testing.T, stdin io.Reader, stdout, stderr io.Writer) *Factory {
	t.Helper()
	f := NewFactory(stdin, stdout, stderr)
	// No test reads the machine's Docker config: registries are anonymous unless a test's
	// registry says otherwise (the ECR keychain still applies).
	f.DockerKeychain = authn.NewMultiKeychain()
	// Tables are fitted to DefaultWidth, whatever the machine's COLUMNS or terminal.
	f.SetWidth(DefaultWidth)
	env := lookupEnv(t)
	if env == nil {
		return f
	}
	env.mu.Lock()
	defer env.mu.Unlock()
	f.KubeClient, f.Now, f.Sleep = env.kube, env.now, env.sleep
	f.SetStdinTTY(env.terminal)
	f.SetStderrTTY(env.terminal)
	if env.endpoint != "" {
		endpoint, noCreds := env.endpoint, env.noCredentials
		f.LoadAWS = func(ctx context.Context, s awsapi.Settings) (*awsapi.Clients, error) {
			return awsapi.Load(ctx, testSettings(s, endpoint, noCreds))
		}
	}
	return f
}

// testSettings points s at endpoint, as useEndpoint's environment did before the
// factory: region us-east-1 unless one is chosen (AWS_REGION), test credentials (or
// none), no shared config or credentials file, no instance metadata.
func testSettings(s awsapi.Settings, endpoint string, noCredentials bool) awsapi.Settings {
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	var creds aws.CredentialsProvider = credentials.NewStaticCredentialsProvider(awstest.AccessKeyID, awstest.SecretAccessKey, "")
	if noCredentials {
		creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errNoTestCredentials
		})
	}
	s.LoadOptions = append(s.LoadOptions,
		config.WithBaseEndpoint(endpoint),
		config.WithCredentialsProvider(creds),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
	)
	return s
}

// TestAWSRegionRule: the one rule by which commands pick the region of their AWS
// configuration: the command's own region, else --region (one region, or the first of
// a list; all names none), else the SDK's default ("").
func TestAWSRegionRule(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		flag, explicit, want string
	}{
		{"", "", ""},
		{"us-west-2", "", "us-west-2"},
		{"us-west-2,eu-west-1", "", "us-west-2"},
		{" us-west-2 , eu-west-1", "", "us-west-2"},
		{"all", "", ""},
		{"ALL", "", ""},
		{"us-west-2", "eu-west-1", "eu-west-1"},
		{"all", "eu-west-1", "eu-west-1"},
		{"", "eu-west-1", "eu-west-1"},
	} {
		f := &Factory{Region: tt.flag}
		if got := f.AWSRegion(tt.explicit); got != tt.want {
			t.Errorf("--region %q, command's region %q: got %q, want %q", tt.flag, tt.explicit, got, tt.want)
		}
	}
}

// TestAWSLoadsTheRuledRegion: Factory.AWS loads the configuration for the region the rule
// picks, with --profile, and nothing else decides it.
func TestAWSLoadsTheRuledRegion(t *testing.T) {
	t.Parallel()
	var got []awsapi.Settings
	f := &Factory{Region: "us-west-2,eu-west-1", Profile: "ops", LoadAWS: func(_ context.Context, s awsapi.Settings) (*awsapi.Clients, error) {
		got = append(got, s)
		return awsapi.FromConfig(aws.Config{Region: s.Region}), nil
	}}
	for _, explicit := range []string{"", "ap-south-1"} {
		if _, err := f.AWS(context.Background(), explicit); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 || got[0].Region != "us-west-2" || got[1].Region != "ap-south-1" || got[0].Profile != "ops" || got[1].Profile != "ops" {
		t.Errorf("loaded %+v; want us-west-2 then ap-south-1, profile ops", got)
	}
}

// TestPrompterNeedsTerminals: winami asks only when stdin and stderr are terminals, and
// takes y or yes (any case) for yes, anything else for no.
func TestPrompterNeedsTerminals(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		stdin, stderr, can bool
	}{{false, false, false}, {true, false, false}, {false, true, false}, {true, true, true}} {
		s := NewIOStreams(strings.NewReader(""), io.Discard, io.Discard)
		s.SetStdinTTY(tt.stdin)
		s.SetStderrTTY(tt.stderr)
		if got := (&Factory{IOStreams: s}).prompter().CanPrompt(); got != tt.can {
			t.Errorf("stdin terminal %v, stderr terminal %v: CanPrompt %v", tt.stdin, tt.stderr, got)
		}
	}
	for answer, want := range map[string]bool{"y\n": true, "YES\nno\n": true, "n\n": false, "\n": false, "": false, "yep\n": false} {
		var errb strings.Builder
		p := streamPrompter{io: NewIOStreams(strings.NewReader(answer), io.Discard, &errb)}
		if got := p.Confirm("Go?"); got != want || errb.String() != "Go? [y/N] " {
			t.Errorf("answer %q: %v, stderr %q; want %v", answer, got, errb.String(), want)
		}
	}
}
