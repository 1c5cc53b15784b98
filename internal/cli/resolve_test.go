package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/winami/winami/awsemu"
)

func TestResolveJSONContract(t *testing.T) {
	srv := useEmulator(t)
	out, stderr, code := run(t, "resolve", "--windows", "2022,2025", "--edition", "core", "--kubernetes", "1.35,1.36", "--region", "us-east-1,eu-west-1", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var raw []map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("output is not a JSON array: %v\n%s", err, out)
	}
	if len(raw) != 8 {
		t.Fatalf("%d entries, want 8 (2 regions × 2 windows × 2 kubernetes)", len(raw))
	}
	for _, e := range raw {
		for _, k := range []string{"region", "windows", "edition", "kubernetes", "parameter", "imageId", "version", "lastModified"} {
			if _, ok := e[k]; !ok {
				t.Errorf("entry lacks %q: %v", k, e)
			}
		}
		if _, ok := e["error"]; ok {
			t.Errorf("entry has an error: %v", e)
		}
	}
	if n := srv.Faults.Count("ssm", "GetParameters", "eu-west-1"); n != 1 {
		t.Errorf("GetParameters in eu-west-1: %d requests, want 1", n)
	}
}

func TestResolveDefaultsToNewestStandardKubernetes(t *testing.T) {
	useEmulator(t)
	out, stderr, code := run(t, "resolve", "--windows", "2019", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var entries []struct{ Kubernetes, Edition, Region string }
	if err := json.Unmarshal([]byte(out), &entries); err != nil || len(entries) != 2 {
		t.Fatalf("entries %v (%v): %s", entries, err, out)
	}
	if entries[0].Region != "us-east-1" || entries[0].Kubernetes == "" || entries[0].Kubernetes != entries[1].Kubernetes {
		t.Errorf("defaults gave %+v", entries)
	}
}

func TestResolveMissingParameterExits1(t *testing.T) {
	useEmulator(t)
	out, stderr, code := run(t, "resolve", "--windows", "2019", "--edition", "full", "--kubernetes", "1.24,1.36", "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
	}
	if !strings.Contains(stderr, "missing: /aws/service/ami-windows-latest/Windows_Server-2019-English-Full-EKS_Optimized-1.24/image_id in us-east-1") {
		t.Errorf("stderr does not name the missing parameter: %s", stderr)
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(out), &entries); err != nil || len(entries) != 2 {
		t.Fatalf("%v: %s", err, out)
	}
	if entries[0]["error"] == nil || entries[1]["error"] != nil {
		t.Errorf("errors on the wrong entries: %v", entries)
	}
}

func TestResolveBadFlagsExit2(t *testing.T) {
	useEmulator(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--kubernetes", "v1.31"}, "--kubernetes"},
		{[]string{"--kubernetes", "1.31.2"}, "--kubernetes"},
		{[]string{"--windows", "20H2"}, "retired"},
		{[]string{"--windows", "2025", "--kubernetes", "1.31"}, "1.35 and later"},
		{[]string{"--edition", "nano"}, "--edition"},
		{[]string{"--region", "moon-1"}, "--region"},
		{[]string{"--concurrency", "0"}, "--concurrency"},
	} {
		_, stderr, code := run(t, append([]string{"resolve"}, tt.args...)...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("resolve %v: exit %d, stderr %q; want exit 2 naming %q", tt.args, code, stderr, tt.want)
		}
	}
}

func TestResolveExpiredCredentials(t *testing.T) {
	srv := useEmulator(t)
	for i := 0; i < 12; i++ { // every retry attempt sees the expired token
		srv.Faults.FailNext("ssm", "GetParameters", awsemu.FaultError{Code: "ExpiredTokenException", Message: "The security token included in the request is expired"})
	}
	_, stderr, code := run(t, "resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "1.36", "--profile", "")
	if code != 1 || !strings.Contains(stderr, "credentials were refused or are missing") || !strings.Contains(stderr, "region us-east-1") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestResolveNoCredentials(t *testing.T) {
	useEmulator(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	_, stderr, code := run(t, "resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "1.36")
	if code != 1 || !strings.Contains(stderr, "credentials were refused or are missing") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
