package awstest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Dummy credentials every harness client signs with.
const (
	AccessKeyID     = "AKIAIOSFODNN7EXAMPLE"
	SecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// MotoMissing is the message a test fails with when moto_server cannot be found.
const MotoMissing = "moto_server not found: pip install 'moto[server]'"

// AWSCLIMissing is the message a test fails with when the AWS CLI cannot be found.
const AWSCLIMissing = "AWS CLI (aws) not found: pip install awscli (or install AWS CLI v2)"

// motoCommand returns the command that starts moto's server: moto_server when on PATH,
// else python3 -m moto.server when moto is importable.
func motoCommand() ([]string, error) {
	if p, err := exec.LookPath("moto_server"); err == nil {
		return []string{p}, nil
	}
	if py, err := exec.LookPath("python3"); err == nil {
		if exec.Command(py, "-c", "import moto.server").Run() == nil {
			return []string{py, "-m", "moto.server"}, nil
		}
	}
	return nil, errors.New(MotoMissing)
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	return port, nil
}

// StartMoto starts a fresh moto_server on a free loopback port, waits until it answers
// and stops it when the test ends. It returns the endpoint URL ("http://127.0.0.1:PORT").
// The test fails (never skips) when moto is not installed.
func StartMoto(t testing.TB) string {
	t.Helper()
	argv, err := motoCommand()
	if err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
		args := append(append([]string{}, argv[1:]...), "-H", "127.0.0.1", "-p", strconv.Itoa(port))
		cmd := exec.Command(argv[0], args...)
		// AWS-managed IAM policies are loaded, as they exist on AWS.
		// Dummy credentials: moto's own boto3 calls (its EKS backend, for one) must not go
		// looking for credentials in the instance metadata service (169.254.169.254).
		cmd.Env = append(cleanEnv(t.TempDir()), "MOTO_ALLOW_NONEXISTENT_REGION=true", "MOTO_IAM_LOAD_MANAGED_POLICIES=true",
			"AWS_ACCESS_KEY_ID="+AccessKeyID, "AWS_SECRET_ACCESS_KEY="+SecretAccessKey, "AWS_DEFAULT_REGION=us-east-1")
		var logs syncBuffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting %s: %v (%s)", argv[0], err, MotoMissing)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if err := waitHTTP(endpoint+"/moto-api/", 30*time.Second, exited); err != nil {
			_ = cmd.Process.Kill()
			lastErr = fmt.Errorf("waiting for moto_server on %s: %w\n%s", endpoint, err, logs.String())
			continue
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			select {
			case <-exited: //nolint:errcheck // killed just above: Wait's error only says so
			case <-time.After(5 * time.Second):
			}
		})
		return endpoint
	}
	t.Fatal(lastErr)
	return ""
}

// waitHTTP polls url until it answers any HTTP status, the process exits or the timeout passes.
func waitHTTP(url string, timeout time.Duration, exited <-chan error) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("process exited: %v", err)
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("timed out")
}

// cleanEnv returns the process environment without any AWS_* variable, with HOME set to
// home so no user configuration or credentials leak into a test, and with the instance
// metadata service turned off, so no child process sends traffic off this machine.
func cleanEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if len(kv) >= 4 && kv[:4] == "AWS_" || len(kv) >= 5 && kv[:5] == "HOME=" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "AWS_EC2_METADATA_DISABLED=true")
}

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// AWSCLI runs the aws CLI against endpoint in region with dummy credentials, JSON output
// (given before args, so an --output in args wins),
// no pager (AWS_PAGER empty; CLI v1 has no --no-cli-pager flag) and HOME in a temporary directory. It returns stdout, stderr and the exit code;
// the test fails when the CLI is not installed or cannot be started.
func AWSCLI(t testing.TB, endpoint, region string, args ...string) (stdout, stderr []byte, exitCode int) {
	t.Helper()
	return AWSCLIEnv(t, nil, endpoint, region, args...)
}

// AWSCLIEnv runs the aws CLI like AWSCLI with extra environment variables after the
// harness's (so AWS_ACCESS_KEY_ID=… in env signs as another account or a role session).
func AWSCLIEnv(t testing.TB, env []string, endpoint, region string, args ...string) (stdout, stderr []byte, exitCode int) {
	t.Helper()
	cliOnce.Do(func() { cliPath, cliErr = exec.LookPath("aws") })
	if cliErr != nil {
		t.Fatalf("%s: %v", AWSCLIMissing, cliErr)
	}
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliPath, append([]string{"--output", "json"}, args...)...)
	cmd.Env = append(cleanEnv(home),
		"AWS_ACCESS_KEY_ID="+AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+SecretAccessKey,
		"AWS_ENDPOINT_URL="+endpoint,
		"AWS_DEFAULT_REGION="+region,
		"AWS_REGION="+region,
		"AWS_PAGER=",
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_RETRY_MODE=standard",
		"AWS_MAX_ATTEMPTS=1",
	)
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return out.Bytes(), errb.Bytes(), 0
	case errors.As(err, &exitErr):
		return out.Bytes(), errb.Bytes(), exitErr.ExitCode()
	default:
		t.Fatalf("running %s %v: %v (%s)", cliPath, args, err, AWSCLIMissing)
		return nil, nil, -1
	}
}

// SDKConfig returns an aws-sdk-go-v2 config that signs with static dummy credentials and
// sends every service's requests to endpoint. It reads no environment or shared config.
// Each call makes a single attempt (no retries), so a test sees every answer the endpoint
// gives; set RetryMaxAttempts (or Retryer) on the returned config to test retrying.
//
// Its HTTP client works around a race in smithy-go (v1.28): the SDK closes a request body
// as soon as the response headers arrive, and a closed body's WriteTo answers io.EOF,
// which net/http's writer (still checking for bytes past Content-Length) takes as a write
// error and closes the connection under a response body that is still being read
// ("use of closed network connection" while decoding a large response). Hiding WriteTo
// from the transport avoids it (NewHTTPClient).
func SDKConfig(endpoint, region string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
		HTTPClient:       NewHTTPClient(),
	}
}

// SDKConfigAs is SDKConfig signing with other credentials: an account's access key id
// (awsemu.AccessKeyFor) or an STS session's key, secret and token.
func SDKConfigAs(endpoint, region, accessKeyID, secret, sessionToken string) aws.Config {
	cfg := SDKConfig(endpoint, region)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(accessKeyID, secret, sessionToken)
	return cfg
}

// NewHTTPClient returns the SDK's default HTTP client with request bodies reduced to Read
// and Close, hiding the io.WriterTo whose race with smithy-go (v1.28) closes connections
// under unread responses. It is the transport winami's own clients use (winami's
// awsapi.NewHTTPClient does the same); the emulator module does not import winami, so it
// carries its own copy.
func NewHTTPClient() aws.HTTPClient { return noWriterTo{awshttp.NewBuildableClient()} }

// noWriterTo is an HTTP client that hides the request body's WriteTo method.
type noWriterTo struct{ c aws.HTTPClient }

// Do sends the request with its body reduced to Read and Close.
func (n noWriterTo) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		if _, ok := req.Body.(io.WriterTo); ok {
			req = req.Clone(req.Context())
			req.Body = struct{ io.ReadCloser }{req.Body}
		}
	}
	return n.c.Do(req)
}

// syncBuffer is a bytes.Buffer safe for a process's concurrent stdout and stderr writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// CLIJSON runs the aws CLI like AWSCLI, fails the test unless it exits 0, and decodes its
// JSON output into out (when out is not nil).
func CLIJSON(t testing.TB, endpoint, region string, out any, args ...string) {
	t.Helper()
	stdout, stderr, code := AWSCLI(t, endpoint, region, args...)
	if code != 0 {
		t.Fatalf("aws %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	if out == nil {
		return
	}
	if len(bytes.TrimSpace(stdout)) == 0 {
		stdout = []byte("{}")
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("aws %s: decoding output %q: %v", strings.Join(args, " "), stdout, err)
	}
}

var cliErrorRE = regexp.MustCompile(`An error occurred \(([^)]+)\)(?: when calling the \w+ operation)?(?: \(reached max retries: \d+\))?: ?(.*)`)

// CLIError runs the aws CLI like AWSCLI, fails the test unless it exits non-zero with an
// AWS service error, and returns that error's code and message as botocore parsed them.
func CLIError(t testing.TB, endpoint, region string, args ...string) (code, message string) {
	t.Helper()
	stdout, stderr, exit := AWSCLI(t, endpoint, region, args...)
	if exit == 0 {
		t.Fatalf("aws %s: exit 0, want an error; output %s", strings.Join(args, " "), stdout)
	}
	m := cliErrorRE.FindSubmatch(stderr)
	if m == nil {
		t.Fatalf("aws %s: exit %d without a service error: %s", strings.Join(args, " "), exit, stderr)
	}
	return string(m[1]), strings.TrimSpace(string(m[2]))
}
