package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/catalog"
)

// TestSandboxServesTheSeedToTheAWSCLI runs `winami sandbox` and answers the seed's own
// command with the AWS CLI: the parameter's AMI is one describe-images finds.
func TestSandboxServesTheSeedToTheAWSCLI(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		done <- Run(ctx, []string{"sandbox", "--listen", "127.0.0.1:0"}, strings.NewReader(""), pw, &stderr)
		_ = pw.Close()
	}()
	env := map[string]string{}
	sc := bufio.NewScanner(pr)
	for env["AWS_SECRET_ACCESS_KEY"] == "" && sc.Scan() { // the last line it prints
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if ok {
			env[k] = v
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	endpoint := env["AWS_ENDPOINT_URL"]
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") || env["AWS_REGION"] != "us-east-1" || env["AWS_ACCESS_KEY_ID"] == "" {
		t.Fatalf("sandbox printed %v", env)
	}
	param := catalog.EKSOptimizedParameter("2019", catalog.Core, catalog.LatestKubernetes())
	// The seed's command with nothing but what the sandbox printed: the AWS CLI (v1 reads
	// only AWS_DEFAULT_REGION) must find its region, endpoint and credentials there.
	out, errOut, code := awsCLIWithEnv(t, env, "ssm", "get-parameter", "--name", param, "--query", "Parameter.Value", "--output", "text")
	ami := strings.TrimSpace(string(out))
	if code != 0 || !strings.HasPrefix(ami, "ami-") {
		t.Fatalf("aws ssm get-parameter with the printed environment %v: exit %d, %q, %s", env, code, out, errOut)
	}
	out, errOut, code = awstest.AWSCLI(t, endpoint, "us-east-1", "ec2", "describe-images", "--image-ids", ami)
	if code != 0 {
		t.Fatalf("aws ec2 describe-images: exit %d, %s", code, errOut)
	}
	var di struct {
		Images []struct{ ImageId, Name, OwnerId string }
	}
	if err := json.Unmarshal(out, &di); err != nil || len(di.Images) != 1 {
		t.Fatalf("describe-images: %v %s", err, out)
	}
	if img := di.Images[0]; img.ImageId != ami || img.OwnerId != catalog.AmazonOwner || !strings.HasPrefix(img.Name, "Windows_Server-2019-English-Core-EKS_Optimized-"+catalog.LatestKubernetes()+"-") {
		t.Errorf("describe-images found %+v", img)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("sandbox exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not stop when interrupted")
	}
}

// awsCLIWithEnv runs the aws CLI with PATH, an empty home and env only (no config files,
// no instance metadata).
func awsCLIWithEnv(t *testing.T, env map[string]string, args ...string) (stdout, stderr []byte, exitCode int) {
	t.Helper()
	aws, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("%s: %v", awstest.AWSCLIMissing, err)
	}
	home := t.TempDir()
	cmd := exec.Command(aws, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"), "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER="}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return out.Bytes(), errb.Bytes(), exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("running aws: %v", err)
	}
	return out.Bytes(), errb.Bytes(), 0
}

func TestSandboxBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"sandbox", "--listen", "0.0.0.0:4566"},
		{"sandbox", "--time-scale", "0.5"},
		{"sandbox", "--account", "12"},
		{"sandbox", "--peer-account", "21098765432"},
		{"sandbox", "--peer-account", "123456789012"},
		{"sandbox", "--account", "111122223333", "--peer-account", "111122223333"},
	} {
		_, stderr, code := run(t, args...)
		if code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// TestSandboxServesTheSecondAccount runs `winami sandbox` and reaches its second account
// with the AWS CLI profile it prints (as comments after the exports): the caller is that
// account's user, and the build account's resources are not there.
func TestSandboxServesTheSecondAccount(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		done <- Run(ctx, []string{"sandbox", "--listen", "127.0.0.1:0"}, strings.NewReader(""), pw, &stderr)
		_ = pw.Close()
	}()
	var profile []string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "# ") {
			continue
		}
		if strings.HasPrefix(line, "# [") || strings.Contains(line, " = ") {
			profile = append(profile, strings.TrimPrefix(line, "# "))
		}
		if strings.HasPrefix(line, "# aws_secret_access_key") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if len(profile) != 5 || profile[0] != "[profile sandbox-210987654321]" || profile[3] != "aws_access_key_id = AKIAEMU0210987654321" {
		t.Fatalf("sandbox printed the profile %q", profile)
	}
	home := t.TempDir()
	config := filepath.Join(home, "config")
	if err := os.WriteFile(config, []byte(strings.Join(profile, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	aws, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("%s: %v", awstest.AWSCLIMissing, err)
	}
	cmd := exec.Command(aws, "--profile", "sandbox-210987654321", "sts", "get-caller-identity", "--output", "json")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "AWS_CONFIG_FILE=" + config,
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"), "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER="}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws --profile sandbox-210987654321 sts get-caller-identity: %v %s", err, out)
	}
	var id struct{ Account, Arn string }
	if err := json.Unmarshal(out, &id); err != nil || id.Account != "210987654321" || id.Arn != "arn:aws:iam::210987654321:user/awsemu" {
		t.Errorf("the second account's caller: %v %s", err, out)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("sandbox exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not stop when interrupted")
	}
}

func TestSandboxPeers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		account string
		peers   []string
		given   bool
		want    string
	}{
		{"", []string{"210987654321"}, false, "[210987654321]"},
		{"210987654321", []string{"210987654321"}, false, "[123456789012]"}, // --account alone keeps two accounts
		{"210987654321", []string{"210987654321"}, true, "error"},
		{"", []string{"111122223333", "444455556666"}, true, "[111122223333 444455556666]"},
		{"", []string{"123456789012"}, true, "error"},
		{"", nil, true, "error"},
		{"", []string{"1234"}, true, "error"},
	} {
		got, err := sandboxPeers(tc.account, tc.peers, tc.given)
		s := fmt.Sprint(got)
		if err != nil {
			s = "error"
			if !strings.Contains(err.Error(), "--peer-account") {
				t.Errorf("%+v: error %v does not name the flag", tc, err)
			}
		}
		if s != tc.want {
			t.Errorf("%+v: %s, want %s", tc, s, tc.want)
		}
	}
}
