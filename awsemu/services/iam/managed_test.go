package iam

import (
	"encoding/json"
	"testing"
)

// TestManagedPoliciesOncePerName: each AWS managed policy appears once in
// managed_policies.json, since load keeps the last entry of a name and a second copy
// would silently replace the first.
func TestManagedPoliciesOncePerName(t *testing.T) {
	var managed []struct{ PolicyName, Path string }
	if err := json.Unmarshal(managedJSON, &managed); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range managed {
		arn := "arn:aws:iam::aws:policy" + m.Path + m.PolicyName
		if seen[arn] {
			t.Errorf("%s appears more than once in managed_policies.json", arn)
		}
		seen[arn] = true
	}
}
