package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/winami/winami/catalog"
	"github.com/winami/winami/spec"
)

// complete runs cobra's hidden __complete command, as the shell scripts do, and returns
// the completions and the directive line.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	out, stderr, code := run(t, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d, %s", args, code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

const (
	noFiles    = ":4" // cobra.ShellCompDirectiveNoFileComp
	fileExt    = ":8" // cobra.ShellCompDirectiveFilterFileExt
	errNoFiles = ":5" // ShellCompDirectiveError | ShellCompDirectiveNoFileComp
)

func TestCompletionOfFlagValues(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args      []string
		want      []string
		directive string
	}{
		{[]string{"resolve", "-o", ""}, outputFormats, noFiles},
		{[]string{"version", "--output", "j"}, []string{"json"}, noFiles},
		{[]string{"resolve", "--windows", ""}, []string{"2019", "2022", "2025", "all"}, noFiles},
		{[]string{"resolve", "--windows", "2019,20"}, []string{"2019,2022", "2019,2025"}, noFiles},
		{[]string{"resolve", "--edition", ""}, []string{"core", "full", "all"}, noFiles},
		{[]string{"resolve", "--edition", "Core,"}, []string{"Core,full"}, noFiles},
		{[]string{"resolve", "--kubernetes", "1.3"}, filter(catalog.KubernetesVersions(), "1.3"), noFiles},
		{[]string{"images", "check", "--windows", ""}, []string{"2019", "2022", "2025"}, noFiles}, // one version: no all
		{[]string{"images", "check", "--kubernetes", "1.3"}, filter(catalog.KubernetesVersions(), "1.3"), noFiles},
		{[]string{"resolve", "--region", "eu-west"}, []string{"eu-west-1", "eu-west-2", "eu-west-3"}, noFiles},
		{[]string{"resolve", "--region", "us-east-1,us-w"}, []string{"us-east-1,us-west-1", "us-east-1,us-west-2"}, noFiles},
		{[]string{"resolve", "--region", "a"}, append(filter(spec.Regions, "a"), "all"), noFiles},
		{[]string{"plan", "--region", "a"}, filter(spec.Regions, "a"), noFiles}, // one region: no all
		{[]string{"fast-launch", "status", "--region", "us-east-1,eu-c"}, []string{"us-east-1,eu-central-1", "us-east-1,eu-central-2"}, noFiles},
		{[]string{"version", "--region", ""}, nil, noFiles}, // refuses --region
		{[]string{"iam-policy", "--for", ""}, []string{"operator", "instance", "target-account"}, noFiles},
		{[]string{"iam-policy", "--document", ""}, []string{"trust", "inline"}, noFiles},
		{[]string{"plan", "-f", ""}, []string{"yaml", "yml"}, fileExt},
		{[]string{"prune", "--file", "ex"}, []string{"yaml", "yml"}, fileExt},
	} {
		got, directive := complete(t, tt.args...)
		if !slices.Equal(got, tt.want) || directive != tt.directive {
			t.Errorf("complete %q: %q %s, want %q %s", tt.args, got, directive, tt.want, tt.directive)
		}
	}
}

func filter(vs []string, prefix string) []string {
	var out []string
	for _, v := range vs {
		if strings.HasPrefix(v, prefix) {
			out = append(out, v)
		}
	}
	return out
}

// TestCompletedValuesAreAccepted: every value completion offers is one the flag accepts.
func TestCompletedValuesAreAccepted(t *testing.T) {
	t.Parallel()
	for _, o := range outputFormats {
		if err := checkFormat(o); err != nil {
			t.Errorf("-o %s offered, refused: %v", o, err)
		}
	}
	for _, w := range flagValues["windows"](nil) {
		if _, err := catalog.Windows(w); err != nil {
			t.Errorf("--windows %s offered, refused: %v", w, err)
		}
	}
	for _, e := range flagValues["edition"](nil) {
		if _, err := catalog.ParseEdition(e); err != nil {
			t.Errorf("--edition %s offered, refused: %v", e, err)
		}
	}
	for _, k := range flagValues["kubernetes"](nil) {
		if _, err := catalog.ParseKubernetes(k); err != nil {
			t.Errorf("--kubernetes %s offered, refused: %v", k, err)
		}
	}
	for _, r := range iamPolicyRoles {
		if _, stderr, _ := run(t, "iam-policy", "--for", r); strings.Contains(stderr, "flag --for") {
			t.Errorf("--for %s offered, refused: %s", r, stderr)
		}
	}
	for _, d := range flagValues["document"](nil) {
		if _, stderr, _ := run(t, "iam-policy", "--for", "target-account", "--build-account", "123456789012", "--document", d); strings.Contains(stderr, "flag --document") {
			t.Errorf("--document %s offered, refused: %s", d, stderr)
		}
	}
}

// TestCompletionOfContexts: --context completes from the kubeconfig --kubeconfig names,
// only the context names (never a credential), without running its exec plugin, and
// leaves out names that would break the completion protocol or the terminal.
func TestCompletionOfContexts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marker := filepath.Join(dir, "plugin-ran")
	cfg := `apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: token
  user: {token: SECRET-TOKEN-123}
- name: plugin
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: sh, args: ["-c", "touch ` + marker + `"]}
contexts:
- name: prod
  context: {cluster: c, user: token}
- name: staging
  context: {cluster: c, user: plugin}
- name: "evil\nrm -rf"
  context: {cluster: c, user: token}
- name: "tab\there"
  context: {cluster: c, user: token}
- name: "esc\u001b[31m"
  context: {cluster: c, user: token}
`
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"audit"}, {"images", "discover"}, {"prune"}, {"rollout"}} {
		args := append(slices.Clone(cmd), "--kubeconfig", path, "--context", "")
		got, directive := complete(t, args...)
		if want := []string{"prod\tcurrent context", "staging"}; !slices.Equal(got, want) || directive != noFiles {
			t.Errorf("complete %q: %q %s, want %q", args, got, directive, want)
		}
	}
	got, _ := complete(t, "audit", "--kubeconfig", path, "--context", "st")
	if !slices.Equal(got, []string{"staging"}) {
		t.Errorf("--context st: %q", got)
	}
	out, _, _ := run(t, "__complete", "audit", "--kubeconfig", path, "--context", "")
	if strings.Contains(out, "SECRET") || strings.Contains(out, "127.0.0.1") {
		t.Errorf("completion printed more than context names:\n%s", out)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("completing --context ran the kubeconfig's exec plugin")
	}
	// A kubeconfig that cannot be read: no completions, an error directive, no file names.
	got, directive := complete(t, "audit", "--kubeconfig", filepath.Join(dir, "missing"), "--context", "")
	if len(got) != 0 || directive != errNoFiles {
		t.Errorf("missing kubeconfig: %q %s", got, directive)
	}
}

func TestCompletionScripts(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		out, stderr, code := run(t, "completion", shell)
		if code != 0 || !strings.Contains(out, "winami") || !strings.Contains(out, "__complete") {
			t.Errorf("completion %s: exit %d, %d bytes, %s", shell, code, len(out), stderr)
		}
	}
}
