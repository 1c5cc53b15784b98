package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/winami/winami/audit"
)

// TestAuditUnknownContext: a --context the kubeconfig lacks is bad input (exit 2), and
// the message lists the contexts that exist.
func TestAuditUnknownContext(t *testing.T) {
	t.Parallel()
	kc := twoContextKubeconfig(t)
	_, stderr, code := run(t, "audit", "--kubeconfig", kc, "--context", "prod")
	if code != ExitUsage || !strings.Contains(stderr, "--context") || !strings.Contains(stderr, `"prod"`) || !strings.Contains(stderr, "admin, audit") {
		t.Errorf("exit %d, stderr %q; want 2, naming --context prod and listing admin, audit", code, stderr)
	}
}

// TestPruneUnknownContext: prune names --context, not --kubeconfig, for a context the
// kubeconfig lacks (exit 2, nothing planned), as audit does.
func TestPruneUnknownContext(t *testing.T) {
	t.Parallel()
	kc := twoContextKubeconfig(t)
	_, stderr, code := run(t, "prune", "-f", writePruneSpec(t, pruneSpec), "--region", "us-east-1", "--kubeconfig", kc, "--context", "prod")
	if code != ExitUsage || !strings.Contains(stderr, "flag --context") || !strings.Contains(stderr, "admin, audit") {
		t.Errorf("exit %d, stderr %q; want 2, naming --context and listing admin, audit", code, stderr)
	}
}

// twoContextKubeconfig writes a kubeconfig with the contexts admin and audit.
func twoContextKubeconfig(t *testing.T) string {
	t.Helper()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := `apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: e2e
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: t}
contexts:
- name: admin
  context: {cluster: e2e, user: u}
- name: audit
  context: {cluster: e2e, user: u}
`
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return kc
}

// TestAuditTableShowsNodeStates: the summary has NOT READY and CORDONED columns, and the
// JSON report's arrays are arrays on a cluster without Windows nodes.
func TestAuditTableShowsNodeStates(t *testing.T) {
	t.Parallel()
	w := newAuditWorld(t)
	out, stderr, code := run(t, "audit", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, field := range []string{`"findings": []`, `"regions": []`, `"nodes": []`} {
		if !strings.Contains(out, field) {
			t.Errorf("JSON report of a cluster without Windows nodes lacks %s:\n%s", field, out)
		}
	}
	w.windowsNodes("win-", "2026.11.12", "v1.35.2-eks-ba74326", 2)
	n := w.nodes[1].(*corev1.Node)
	n.Spec.Unschedulable = true
	out, stderr, code = run(t, "audit")
	if code != 0 || !strings.Contains(out, "NOT READY") || !strings.Contains(out, "CORDONED") || !strings.Contains(out, "node-cordoned") {
		t.Errorf("exit %d:\n%s%s", code, out, stderr)
	}
	out, _, _ = run(t, "audit", "-o", "json")
	var rep audit.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Summary) != 1 || rep.Summary[0].Cordoned != 1 || rep.Summary[0].NotReady != 0 {
		t.Errorf("summary %+v", rep.Summary)
	}
}
