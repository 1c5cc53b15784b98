package preflight_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/winami/winami/preflight"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestPolicyGolden: the operator and instance policies, for the base spec (-f), the
// enterprise spec (keys, logs, scanning, a target account) and for no spec, and the
// target accounts' role for the enterprise spec and for no spec, are the documents under
// testdata/ (go test ./preflight -run TestPolicyGolden
// -update rewrites them; review the diff: every statement's scope is a security decision).
func TestPolicyGolden(t *testing.T) {
	type instance struct {
		Managed []string           `json:"managedPolicyArns"`
		Inline  preflight.Document `json:"inlinePolicy"`
	}
	for name, sc := range map[string]preflight.Scope{"spec": preflight.ScopeOf(loadSpec(t)), "any": {}, "enterprise": preflight.ScopeOf(loadEnterprise(t))} {
		managed, inline := preflight.InstancePolicy(sc)
		docs := map[string]any{"operator": preflight.OperatorPolicy(sc), "instance": instance{managed, inline}}
		if name != "spec" {
			docs["target-account"] = preflight.TargetAccountPolicy(sc, "123456789012")
		}
		for kind, doc := range docs {
			b, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			path := filepath.Join("testdata", kind+"-policy-"+name+".json")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if string(want) != string(b) {
				t.Errorf("%s differs from the policy printed now (run with -update and review the diff):\n%s", path, b)
			}
		}
	}
}
