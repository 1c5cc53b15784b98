package awse2e

import (
	"strings"
	"testing"
	"time"
)

// TestSelectWorld: the suite runs against AWS only when WINAMI_E2E_AWS=1, and refuses an
// environment that points two ways at once, naming the variable and what to do.
func TestSelectWorld(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     []string
		want    worldKind
		wantErr []string
	}{
		{"nothing set: the sandbox", []string{"HOME=/root"}, sandboxWorld, nil},
		{"a sandbox's variables exported: still the suite's own sandbox",
			[]string{"AWS_ENDPOINT_URL=http://127.0.0.1:4566", "AWS_ACCESS_KEY_ID=sandbox"}, sandboxWorld, nil},
		{"localhost", []string{"AWS_ENDPOINT_URL_EC2=http://localhost:4566"}, sandboxWorld, nil},
		{"IPv6 loopback", []string{"AWS_ENDPOINT_URL=http://[::1]:4566"}, sandboxWorld, nil},
		{"an empty endpoint is unset", []string{"WINAMI_E2E_AWS=1", "AWS_ENDPOINT_URL="}, awsWorld, nil},
		{"WINAMI_E2E_AWS=1: a real account", []string{"WINAMI_E2E_AWS=1", "AWS_PROFILE=ci"}, awsWorld, nil},
		{"a real account through a remote endpoint", []string{"WINAMI_E2E_AWS=1", "AWS_ENDPOINT_URL_EC2=https://ec2-fips.us-east-1.amazonaws.com"}, awsWorld, nil},
		{"WINAMI_E2E_AWS=1 at a sandbox", []string{"WINAMI_E2E_AWS=1", "AWS_ENDPOINT_URL=http://127.0.0.1:4566"}, 0,
			[]string{"WINAMI_E2E_AWS=1", "AWS_ENDPOINT_URL=http://127.0.0.1:4566", "points at this machine", "unset AWS_ENDPOINT_URL", "unset WINAMI_E2E_AWS"}},
		{"WINAMI_E2E_AWS=1 with one service at a sandbox", []string{"WINAMI_E2E_AWS=1", "AWS_ENDPOINT_URL_SSM=http://localhost:4566"}, 0,
			[]string{"AWS_ENDPOINT_URL_SSM=http://localhost:4566", "points at this machine"}},
		{"a remote endpoint without WINAMI_E2E_AWS", []string{"AWS_ENDPOINT_URL=https://ec2.us-east-1.amazonaws.com"}, 0,
			[]string{"AWS_ENDPOINT_URL=https://ec2.us-east-1.amazonaws.com", "remote endpoint", "WINAMI_E2E_AWS is not set", "set WINAMI_E2E_AWS=1"}},
		{"WINAMI_E2E_AWS=true", []string{"WINAMI_E2E_AWS=true"}, 0, []string{`WINAMI_E2E_AWS="true"`, "set it to 1"}},
		{"not a URL", []string{"AWS_ENDPOINT_URL=127.0.0.1:4566"}, 0, []string{"AWS_ENDPOINT_URL", "not an endpoint URL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := selectWorld(tc.env)
			if tc.wantErr == nil {
				if err != nil || got != tc.want {
					t.Fatalf("selectWorld(%v) = %s, %v; want %s", tc.env, got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("selectWorld(%v) = %s, want an error", tc.env, got)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

// TestCheckTimeout: against AWS, go test's default 10-minute -timeout is refused before
// anything is sent; no -timeout (0) or a long one is accepted.
func TestCheckTimeout(t *testing.T) {
	if err := checkTimeout(time.Now().Add(10*time.Minute), true, awsMinTimeout); err == nil ||
		!strings.Contains(err.Error(), "-timeout 6h") || !strings.Contains(err.Error(), "WINAMI_E2E_AWS=1") {
		t.Errorf("a 10-minute deadline: %v", err)
	}
	if err := checkTimeout(time.Time{}, false, awsMinTimeout); err != nil {
		t.Errorf("no deadline: %v", err)
	}
	if err := checkTimeout(time.Now().Add(6*time.Hour), true, awsMinTimeout); err != nil {
		t.Errorf("a 6-hour deadline: %v", err)
	}
}

// TestPrefix: run prefixes are random, look as the sweep requires, and the names made
// from them fit IAM's 64-character role names.
func TestPrefix(t *testing.T) {
	a, b := newPrefix(t), newPrefix(t)
	if a == b || !prefixRE.MatchString(a) || !prefixRE.MatchString(b) {
		t.Fatalf("prefixes %q, %q", a, b)
	}
	w := &world{prefix: a}
	for _, name := range []string{w.instanceProfile(), w.executionRole()} {
		if len(name) > 64 {
			t.Errorf("role name %s is %d characters, IAM allows 64", name, len(name))
		}
	}
	if !w.owned(w.instanceProfile()) || w.owned("EC2InstanceProfileForImageBuilder") {
		t.Error("owned() must take exactly the run's names")
	}
}
