package kube

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeAPI serves /version and records the user agent and bearer token it saw.
func fakeAPI(t *testing.T, gitVersion string) (*httptest.Server, *atomic.Value) {
	t.Helper()
	seen := &atomic.Value{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("User-Agent") + "|" + r.Header.Get("Authorization"))
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"gitVersion": gitVersion, "major": "1", "minor": "37"})
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

func writeKubeconfig(t *testing.T, a, b string) string {
	t.Helper()
	cfg := `apiVersion: v1
kind: Config
current-context: alpha
clusters:
- name: alpha
  cluster: {server: "` + a + `", insecure-skip-tls-verify: true}
- name: beta
  cluster: {server: "` + b + `", insecure-skip-tls-verify: true}
users:
- name: alice
  user: {token: alpha-token}
- name: bob
  user: {token: beta-token}
contexts:
- name: alpha
  context: {cluster: alpha, user: alice}
- name: beta
  context: {cluster: beta, user: bob, namespace: windows-apps}
`
	p := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewClientsetFollowsContext(t *testing.T) {
	a, seenA := fakeAPI(t, "v1.37.2-alpha")
	b, seenB := fakeAPI(t, "v1.36.4-beta")
	path := writeKubeconfig(t, a.URL, b.URL)

	for _, tc := range []struct {
		context, wantVersion, wantNS, wantToken string
		seen                                    *atomic.Value
	}{
		{"", "v1.37.2-alpha", "default", "Bearer alpha-token", seenA},
		{"beta", "v1.36.4-beta", "windows-apps", "Bearer beta-token", seenB},
	} {
		cs, ns, err := NewClientset(Options{Kubeconfig: path, Context: tc.context})
		if err != nil {
			t.Fatalf("context %q: %v", tc.context, err)
		}
		if ns != tc.wantNS {
			t.Errorf("context %q: namespace %q, want %q", tc.context, ns, tc.wantNS)
		}
		v, err := cs.Discovery().ServerVersion()
		if err != nil {
			t.Fatalf("context %q: server version: %v", tc.context, err)
		}
		if v.GitVersion != tc.wantVersion {
			t.Errorf("context %q: talked to %s, want %s", tc.context, v.GitVersion, tc.wantVersion)
		}
		got, _ := tc.seen.Load().(string)
		if !strings.HasPrefix(got, "winami|") || !strings.HasSuffix(got, tc.wantToken) {
			t.Errorf("context %q: request headers %q, want user agent winami and %s", tc.context, got, tc.wantToken)
		}
	}
}

func TestRESTConfigRateLimits(t *testing.T) {
	a, _ := fakeAPI(t, "v1")
	path := writeKubeconfig(t, a.URL, a.URL)
	cfg, _, err := RESTConfig(Options{Kubeconfig: path})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QPS != DefaultQPS || cfg.Burst != DefaultBurst {
		t.Errorf("QPS/Burst = %v/%d, want %v/%d", cfg.QPS, cfg.Burst, DefaultQPS, DefaultBurst)
	}
	cfg, _, err = RESTConfig(Options{Kubeconfig: path, QPS: 7, Burst: 9, UserAgent: "audit"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QPS != 7 || cfg.Burst != 9 || cfg.UserAgent != "audit" {
		t.Errorf("overrides not applied: %v/%d/%q", cfg.QPS, cfg.Burst, cfg.UserAgent)
	}
}

func TestUnknownContext(t *testing.T) {
	a, _ := fakeAPI(t, "v1")
	path := writeKubeconfig(t, a.URL, a.URL)
	_, _, err := NewClientset(Options{Kubeconfig: path, Context: "gamma"})
	if err == nil || !strings.Contains(err.Error(), "gamma") {
		t.Fatalf("err = %v, want an error naming context gamma", err)
	}
	var cnf *ContextNotFoundError
	if !errors.As(err, &cnf) || cnf.Context != "gamma" || strings.Join(cnf.Available, ",") != "alpha,beta" ||
		!strings.Contains(err.Error(), "alpha, beta") {
		t.Errorf("err = %v (%T), want a *ContextNotFoundError listing alpha, beta", err, err)
	}
}

func TestKUBECONFIGEnv(t *testing.T) {
	a, _ := fakeAPI(t, "v1.37.2-env")
	b, _ := fakeAPI(t, "v1")
	t.Setenv("KUBECONFIG", writeKubeconfig(t, a.URL, b.URL))
	cs, _, err := NewClientset(Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != "v1.37.2-env" {
		t.Errorf("KUBECONFIG not followed: got %s", v.GitVersion)
	}
}
