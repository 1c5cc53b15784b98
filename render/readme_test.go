package render

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeFillIn returns the README's command that fills the account placeholder: the one
// console line ("$ …") of README.md that runs envsubst.
func readmeFillIn(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "$ ") && strings.Contains(line, "envsubst") {
			cmds = append(cmds, strings.TrimPrefix(line, "$ "))
		}
	}
	if len(cmds) != 1 {
		t.Fatalf("README.md has %d console lines running envsubst, want the one fill-in step: %q", len(cmds), cmds)
	}
	return cmds[0]
}

// TestREADMEFillInStep runs the README's exact envsubst step on the files `winami render
// -d out` writes for the walkthrough's example: the account placeholder is filled in every
// request that has it, and nothing else changes, above all not the image-cache component's
// PowerShell ($ErrorActionPreference, $ctr, ${ctr}…), which a bare envsubst empties.
func TestREADMEFillInStep(t *testing.T) {
	if _, err := exec.LookPath("envsubst"); err != nil {
		t.Fatal("envsubst is not installed: this test runs the README's fill-in step with it (Debian/Ubuntu: apt-get install gettext-base)")
	}
	cmd := readmeFillIn(t)
	const account = "123456789012"
	_, files := renderFile(t, "../examples/win2022-core-cached-fastlaunch.yaml", Options{})
	dir := t.TempDir()
	if _, err := Write(filepath.Join(dir, "out"), files); err != nil {
		t.Fatal(err)
	}
	sh := exec.Command("bash", "-c", cmd)
	sh.Dir = dir
	// A clean environment, as on a fresh shell: the account, and variables of the same
	// names as the script's, which envsubst must not use either.
	sh.Env = []string{"PATH=" + os.Getenv("PATH"), "AWS_ACCOUNT_ID=" + account, "ctr=oops", "ErrorActionPreference=oops"}
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("the README's step %q failed: %v\n%s", cmd, err, out)
	}
	filled := 0
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, "out", f.Name))
		if err != nil {
			t.Fatal(err)
		}
		want := bytes.ReplaceAll(f.Data, []byte(AccountPlaceholder), []byte(account))
		if !bytes.Equal(got, want) {
			t.Errorf("%s after %q differs from the rendered file with only the account filled in:\n%s", f.Name, cmd, got)
		}
		if !bytes.Equal(want, f.Data) {
			filled++
		}
		if strings.HasPrefix(f.Name, "create-component-") {
			var in struct{ Data string }
			if err := json.Unmarshal(got, &in); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, f.Data) || in.Data != *r0(t).Components[0].Input.Data || !strings.Contains(in.Data, "$ErrorActionPreference = 'Stop'") {
				t.Errorf("%s: the component's script changed", f.Name)
			}
		}
	}
	if filled < 3 {
		t.Errorf("the step filled the account in %d file(s); the recipe, the pipeline and the role's policy carry it", filled)
	}
}

// r0 renders the walkthrough's example again, for its component document.
func r0(t *testing.T) *Resources {
	t.Helper()
	r, _ := renderFile(t, "../examples/win2022-core-cached-fastlaunch.yaml", Options{})
	return r
}

// TestNoPlaceholderInComponents: the placeholder never appears in a component document,
// and Files refuses to write one that has it.
func TestNoPlaceholderInComponents(t *testing.T) {
	for _, path := range examples(t) {
		r, _ := renderFile(t, path, Options{})
		for _, c := range r.Components {
			if strings.Contains(c.Document.Data, "AWS_ACCOUNT_ID") {
				t.Errorf("%s: component %s mentions AWS_ACCOUNT_ID", path, c.Document.Name)
			}
		}
	}
	r := r0(t)
	r.Components[0].Document.Data += "# " + AccountPlaceholder + "\n"
	if _, err := r.Files(); err == nil || !strings.Contains(err.Error(), "envsubst") {
		t.Errorf("Files with the placeholder in a component = %v", err)
	}
}
