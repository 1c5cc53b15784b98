package kube

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func kubeconfigWith(t *testing.T, current string, contexts ...string) string {
	t.Helper()
	s := "apiVersion: v1\nkind: Config\ncurrent-context: " + current + "\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\ncontexts:\n"
	for _, c := range contexts {
		s += "- name: " + c + "\n  context: {cluster: c}\n"
	}
	p := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestContextsOfKUBECONFIG: the files of KUBECONFIG merge (the first current-context
// wins); missing, oversized and non-regular files are skipped; an explicit file must be
// readable.
func TestContextsOfKUBECONFIG(t *testing.T) {
	a := kubeconfigWith(t, "a1", "a1", "shared")
	b := kubeconfigWith(t, "b1", "b1", "shared")
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, []byte("contexts:\n"+strings.Repeat("#", MaxKubeconfigSize)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", strings.Join([]string{filepath.Join(t.TempDir(), "missing"), big, os.DevNull, a, b}, string(os.PathListSeparator)))
	names, current, err := Contexts("")
	if err != nil || current != "a1" || !slices.Equal(names, []string{"a1", "b1", "shared"}) {
		t.Errorf("Contexts(KUBECONFIG) = %q, %q, %v", names, current, err)
	}
	names, current, err = Contexts(b)
	if err != nil || current != "b1" || !slices.Equal(names, []string{"b1", "shared"}) {
		t.Errorf("Contexts(%s) = %q, %q, %v", b, names, current, err)
	}
	for _, bad := range []string{big, os.DevNull, filepath.Join(t.TempDir(), "missing")} {
		if _, _, err := Contexts(bad); err == nil {
			t.Errorf("Contexts(%s): no error", bad)
		}
	}
}
