package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
)

// resolveArgs is a resolve that makes one SSM call and no other (no EKS, no EC2).
var resolveArgs = []string{"resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "1.33", "--region", "us-east-1"}

// runAttempts runs winami in t's world with each AWS call limited to attempts (the
// retryer's), so that a failure repeated on every attempt ends quickly.
func runAttempts(t *testing.T, attempts int, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	f := testFactory(t, strings.NewReader(""), &out, &errb)
	load := f.LoadAWS
	if load == nil {
		load = awsapi.Load
	}
	f.LoadAWS = func(ctx context.Context, s awsapi.Settings) (*awsapi.Clients, error) {
		s.MaxAttempts = attempts
		return load(ctx, s)
	}
	code := Execute(context.Background(), f, args)
	return out.String(), errb.String(), code
}

// oneLine fails t unless stderr is a single "error: " line without the SDK's chain.
func oneLine(t *testing.T, what, stderr string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: ") {
		t.Errorf("%s: want one error line, got:\n%s", what, stderr)
	}
	for _, raw := range []string{"operation error", "https response error", "StatusCode", "RequestID", "request send failed",
		"exceeded maximum number of attempts", "get identity", "failed to refresh cached credentials", "SDK ", "WARN"} {
		if strings.Contains(stderr, raw) {
			t.Errorf("%s: the SDK's chain (%q) is shown:\n%s", what, raw, stderr)
		}
	}
}

// clearAWSEnv empties the process's AWS settings for a test that loads the real SDK
// configuration from the environment (not parallel: t.Setenv).
func clearAWSEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"} {
		t.Setenv(k, "")
		_ = os.Unsetenv(k)
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_REGION", "us-east-1")
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// TestErrorNoCredentialsNoIMDSWarning: with no credentials anywhere (no environment
// keys, empty shared files) the SDK's chain ends at the instance role; an instance
// metadata endpoint that refuses IMDSv2 tokens (403) and has no role made the SDK print
// "SDK … WARN falling back to IMDSv1" on the process's stderr and winami the whole chain.
// Now: one line naming the profile and region looked at, with the fix, and nothing on
// the process's stderr.
func TestErrorNoCredentialsNoIMDSWarning(t *testing.T) {
	clearAWSEnv(t)
	srv := emulatortest.Start(t)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL())
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			http.Error(w, "forbidden", http.StatusForbidden) // no IMDSv2 token: the SDK falls back to IMDSv1
			return
		}
		http.NotFound(w, r) // no instance role
	}))
	defer imds.Close()
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)

	// The SDK's default logger writes to the process's stderr, not the command's.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	_, cmdErr, code := runAttempts(t, 2, resolveArgs...)
	os.Stderr = stderr
	_ = w.Close()
	var proc bytes.Buffer
	_, _ = proc.ReadFrom(r)

	if proc.Len() != 0 {
		t.Errorf("the process's stderr got: %q", proc.String())
	}
	oneLine(t, "no credentials", cmdErr)
	if code != 1 || !strings.Contains(cmdErr, "SSM GetParameters: no AWS credentials found (profile default, region us-east-1)") ||
		!strings.Contains(cmdErr, "`aws configure`") || !strings.Contains(cmdErr, "`aws sso login`") || strings.Contains(cmdErr, "IMDS") {
		t.Errorf("exit %d:\n%s", code, cmdErr)
	}
	if n := srv.Faults.Count("ssm", "GetParameters", ""); n != 0 {
		t.Errorf("SSM was called %d times without credentials", n)
	}
}

// TestErrorNamedProfileNoCredentials: the profile named (AWS_PROFILE) is the one the
// message and the fix name.
func TestErrorNamedProfileNoCredentials(t *testing.T) {
	clearAWSEnv(t)
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile ops]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_PROFILE", "ops")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "http://"+closedPort(t))
	_, stderr, code := runAttempts(t, 1, resolveArgs...)
	oneLine(t, "profile ops", stderr)
	if code != 1 || !strings.Contains(stderr, "no AWS credentials found (profile ops, region us-east-1)") || !strings.Contains(stderr, "`aws sso login --profile ops`") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}

// TestErrorCredentialProcessSecretNotShown: a credential_process whose output is not
// valid JSON made the SDK's error carry the whole output, secret key and session token
// included (processcreds: "parse failed of process output: %s"); winami showed it.
func TestErrorCredentialProcessSecretNotShown(t *testing.T) {
	clearAWSEnv(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "creds.sh")
	const secret, token = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYLEAKEDKEY", "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"
	body := "#!/bin/sh\nprintf '{\"Version\": 1, \"AccessKeyId\": \"AKIAIOSFODNN7LEAKED1\", \"SecretAccessKey\": \"" + secret + "\", \"SessionToken\": \"" + token + "\",}'\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile leaky]\nregion = us-east-1\ncredential_process = "+script+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := emulatortest.Start(t)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL())
	_, stderr, code := runAttempts(t, 1, append(resolveArgs, "--profile", "leaky")...)
	oneLine(t, "credential_process", stderr)
	for _, s := range []string{secret, token, "AKIAIOSFODNN7LEAKED1"} {
		if strings.Contains(stderr, s) {
			t.Errorf("a secret of the credential_process's output is shown:\n%s", stderr)
		}
	}
	if code != 1 || !strings.Contains(stderr, "credential_process of profile leaky failed") || !strings.Contains(stderr, "aws sts get-caller-identity --profile leaky") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}

// TestErrorConnectionRefused: an endpoint where nothing listens is named with the
// variable that chose it and, on this machine, the sandbox that would answer there;
// the call gives up after 3 refused attempts.
func TestErrorConnectionRefused(t *testing.T) {
	for _, v := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM"} {
		t.Run(v, func(t *testing.T) {
			clearAWSEnv(t)
			t.Setenv("AWS_ACCESS_KEY_ID", awstest.AccessKeyID)
			t.Setenv("AWS_SECRET_ACCESS_KEY", awstest.SecretAccessKey)
			addr := closedPort(t)
			t.Setenv(v, "http://"+addr)
			// The default attempts: a refusal ends the call after awsapi.RefusedAttempts
			// (it took 15 attempts and ~26 s of backoff before).
			_, stderr, code := runAttempts(t, 0, resolveArgs...)
			oneLine(t, v, stderr)
			want := "resolving parameters in us-east-1: SSM GetParameters: http://" + addr + " refused the connection (3 attempts): nothing listens at http://" +
				addr + ", which " + v + " names: start the sandbox there (`winami sandbox --listen " + addr + "`), or unset " + v + " to call AWS"
			if code != 1 || !strings.Contains(stderr, want) {
				t.Errorf("exit %d:\n%s\nwant %s", code, stderr, want)
			}
			if strings.Contains(stderr, awstest.SecretAccessKey) || strings.Contains(stderr, awstest.AccessKeyID) {
				t.Errorf("credentials shown:\n%s", stderr)
			}
			if v != "AWS_ENDPOINT_URL" {
				return // EKS is not at the closed port
			}
			// Without --kubernetes resolve asks EKS first and warns when it cannot: the
			// warning has no SDK chain either.
			_, stderr, code = runAttempts(t, 0, "resolve", "--windows", "2022", "--edition", "core", "--region", "us-east-1")
			if code != 1 || strings.Contains(stderr, "operation error") || strings.Contains(stderr, "dial tcp") ||
				!strings.Contains(stderr, "warning: EKS DescribeClusterVersions failed (http://"+addr+" refused the connection (3 attempts)); using winami's built-in catalog") {
				t.Errorf("resolve asking EKS: exit %d:\n%s", code, stderr)
			}
		})
	}
}

// TestErrorHostNotFound: an endpoint whose host does not resolve (.invalid never does,
// RFC 2606) is named, with the variable that chose it, and no sandbox is suggested.
func TestErrorHostNotFound(t *testing.T) {
	clearAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", awstest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awstest.SecretAccessKey)
	t.Setenv("AWS_ENDPOINT_URL", "http://winami-test.invalid:4566")
	_, stderr, code := runAttempts(t, 1, resolveArgs...)
	oneLine(t, "host not found", stderr)
	if code != 1 || !strings.Contains(stderr, "SSM GetParameters: no such host winami-test.invalid") ||
		!strings.Contains(stderr, "SSM GetParameters: no such host winami-test.invalid: AWS_ENDPOINT_URL names it: check it, or unset AWS_ENDPOINT_URL to call AWS") || strings.Contains(stderr, "winami sandbox") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}

// TestErrorAccessDenied: an access-denied answer names the action (from AWS's message)
// and the command that prints the policy granting it; an explicit deny says that no
// Allow overrides it.
func TestErrorAccessDenied(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t)
	srv.Faults.FailNext("ssm", "GetParameters", awsemu.FaultError{Code: "AccessDeniedException",
		Message: "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1::parameter/aws/service/ami-windows-latest/x because no identity-based policy allows the ssm:GetParameters action"})
	_, stderr, code := run(t, resolveArgs...)
	oneLine(t, "access denied", stderr)
	if code != 1 || !strings.Contains(stderr, "SSM GetParameters: AccessDeniedException: User: arn:aws:iam::123456789012:user/dev is not authorized") ||
		!strings.Contains(stderr, "grant ssm:GetParameters to the caller: `winami iam-policy --for operator` prints the policy winami needs") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}

	srv.Faults.FailNext("ssm", "GetParameters", awsemu.FaultError{Code: "AccessDeniedException",
		Message: "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1::parameter/x with an explicit deny in a service control policy"})
	_, stderr, code = run(t, resolveArgs...)
	if code != 1 || !strings.Contains(stderr, "an explicit deny refuses ssm:GetParameters") || strings.Contains(stderr, "iam-policy") {
		t.Errorf("explicit deny: exit %d:\n%s", code, stderr)
	}
}

// TestErrorThrottledAfterRetries: a call still throttled when its attempts run out says
// so, with the attempts and what to do.
func TestErrorThrottledAfterRetries(t *testing.T) {
	t.Parallel()
	srv := useEmulator(t)
	for i := 0; i < 3; i++ {
		srv.Faults.FailNext("ssm", "GetParameters", awsemu.FaultError{Throttle: true, Message: "Rate exceeded"})
	}
	_, stderr, code := runAttempts(t, 3, resolveArgs...)
	oneLine(t, "throttled", stderr)
	if code != 1 || !strings.Contains(stderr, "SSM GetParameters: still throttled after 3 attempts (ThrottlingException: Rate exceeded)") ||
		!strings.Contains(stderr, "AWS kept throttling ssm:GetParameters") || !strings.Contains(stderr, "run again in a minute") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}

// TestErrorCredentialsRefused: keys AWS does not know name where they came from (the
// environment wins over the profile) and how to check them.
func TestErrorCredentialsRefused(t *testing.T) {
	clearAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", awstest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awstest.SecretAccessKey)
	aws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// SSM's JSON 1.1 error shape (https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html).
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", "6f1c2d3e-0000-4000-8000-000000000000")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}`))
	}))
	defer aws.Close()
	t.Setenv("AWS_ENDPOINT_URL", aws.URL)
	_, stderr, code := runAttempts(t, 1, resolveArgs...)
	oneLine(t, "refused", stderr)
	if code != 1 || !strings.Contains(stderr, "SSM GetParameters: UnrecognizedClientException: The security token included in the request is invalid.") ||
		!strings.Contains(stderr, "AWS does not accept the credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") ||
		!strings.Contains(stderr, "`aws sts get-caller-identity`") || strings.Contains(stderr, awstest.AccessKeyID) {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}

// TestErrorServiceMessageEscaped: a service's message is shown as one line, its control
// characters escaped: an endpoint cannot write terminal escape sequences or fake lines.
func TestErrorServiceMessageEscaped(t *testing.T) {
	clearAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", awstest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awstest.SecretAccessKey)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"ValidationException","message":"bad\u001b[2J\u001b[31m\nerror: fake second line\r"}`))
	}))
	defer evil.Close()
	t.Setenv("AWS_ENDPOINT_URL", evil.URL)
	_, stderr, code := runAttempts(t, 1, resolveArgs...)
	oneLine(t, "escaped", stderr)
	if code != 1 || strings.ContainsAny(stderr, "\x1b\r") || !strings.Contains(stderr, `ValidationException: bad\x1b[2J\x1b[31m\x0aerror: fake second line\x0d`) {
		t.Errorf("exit %d: %q", code, stderr)
	}
}

// TestAccessFixNamesTheSpec: with -f, the policy command the fix suggests is the
// spec's (its resources named); an action winami's operator policy does not list is
// not sent there.
func TestAccessFixNamesTheSpec(t *testing.T) {
	t.Parallel()
	f := &awsapi.Failure{Kind: awsapi.AccessDenied, Action: "imagebuilder:GetImagePipeline"}
	if got := fixFor(f, "winami.yaml"); got != "grant imagebuilder:GetImagePipeline to the caller: `winami iam-policy --for operator -f winami.yaml` prints the policy winami needs" {
		t.Errorf("got %q", got)
	}
	f.Action = "dynamodb:Scan"
	if got := fixFor(f, ""); !strings.Contains(got, "does not list it") || strings.Contains(got, "winami iam-policy") {
		t.Errorf("an action the policy lacks: %q", got)
	}
}

// TestErrorSSOSessionExpired: a profile of IAM Identity Center whose cached sign-in has
// expired (ssocreds.InvalidTokenError, from the SDK reading ~/.aws/sso/cache) says so,
// naming the profile, and that `aws sso login --profile …` renews it; no call is made.
func TestErrorSSOSessionExpired(t *testing.T) {
	clearAWSEnv(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	const startURL = "https://example.awsapps.com/start"
	cfg := "[profile dev]\nregion = us-east-1\nsso_start_url = " + startURL + "\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Admin\n"
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cache, err := ssocreds.StandardCachedTokenFilepath(startURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(cache), 0o700); err != nil {
		t.Fatal(err)
	}
	token := `{"accessToken":"expired-sso-access-token-EXAMPLE","expiresAt":"2020-01-01T00:00:00Z","region":"us-east-1","startUrl":"` + startURL + `"}`
	if err := os.WriteFile(cache, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := emulatortest.Start(t)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL())
	_, stderr, code := runAttempts(t, 1, append(resolveArgs, "--profile", "dev")...)
	oneLine(t, "sso expired", stderr)
	if code != 1 || !strings.Contains(stderr, "SSM GetParameters: the AWS credentials have expired (profile dev, region us-east-1): the SSO session has expired or is invalid: sign in again with `aws sso login --profile dev`") ||
		strings.Contains(stderr, "expired-sso-access-token-EXAMPLE") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	if n := srv.Faults.Count("ssm", "GetParameters", ""); n != 0 {
		t.Errorf("SSM was called %d times with an expired sign-in", n)
	}
}

// TestErrorEndpointUserInfoNotShown: an endpoint URL with user information (a proxy's
// password) is shown by its scheme and host only.
func TestErrorEndpointUserInfoNotShown(t *testing.T) {
	clearAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", awstest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awstest.SecretAccessKey)
	addr := closedPort(t)
	t.Setenv("AWS_ENDPOINT_URL", "http://admin:hunter2-proxy-password@"+addr)
	_, stderr, code := runAttempts(t, 0, resolveArgs...)
	oneLine(t, "user info", stderr)
	if code != 1 || strings.Contains(stderr, "hunter2") || strings.Contains(stderr, "admin") ||
		!strings.Contains(stderr, "http://"+addr+" refused the connection (3 attempts)") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}
