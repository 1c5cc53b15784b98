package cli

import (
	"strings"
	"testing"

	"github.com/winami/winami/imagebuilder"
)

// TestCreateRoles: plan/apply --create-roles manage the instance profile and the
// pipeline's execution role (the spec publishes outside /imagebuilder/, so executionRole
// defaults to cli-win2022-imagebuilder-execution); --create-instance-profile manages the
// profile only, as before, so plan with it exits 1: apply's preflight would stop at the
// missing execution role. apply counts versions from 1.0.0, unlike rendered files.
func TestCreateRoles(t *testing.T) {
	t.Parallel()
	useEmulator(t, buildClock())
	f := writeSpec(t, t.TempDir(), appV1, "cli-build")

	out, errOut, code := run(t, "plan", "-f", f, "--no-registry", "--create-instance-profile", "-o", "json")
	// The table still shows the plan; the preflight then says apply would stop, since
	// --create-instance-profile does not create the execution role.
	if cs := planActions(t, out); code != 1 || cs["instance-profile"].Action != imagebuilder.ActionCreate || cs["execution-role"].Action != "" ||
		!strings.Contains(errOut, "execution role cli-win2022-imagebuilder-execution (spec.build.executionRole) does not exist") ||
		!strings.Contains(errOut, "apply and build would stop") {
		t.Errorf("plan --create-instance-profile: exit %d, %+v: %s", code, cs, errOut)
	}

	out, errOut, code = run(t, "plan", "-f", f, "--no-registry", "--create-roles", "-o", "json")
	cs := planActions(t, out)
	if role := cs["execution-role"]; code != 0 || role.Action != imagebuilder.ActionCreate || role.Name != "cli-win2022-imagebuilder-execution" ||
		cs["instance-profile"].Action != imagebuilder.ActionCreate {
		t.Fatalf("plan --create-roles: exit %d, %+v: %s", code, cs, errOut)
	}
	if v := cs["component"].Version; v != "1.0.0" {
		t.Errorf("plan would create component version %s, want 1.0.0", v)
	}

	if _, errOut, code := run(t, "apply", "-f", f, "--no-registry", "--create-roles", "--yes"); code != 0 {
		t.Fatalf("apply --create-roles: exit %d: %s", code, errOut)
	}
	out, errOut, code = run(t, "plan", "-f", f, "--no-registry", "--create-roles", "-o", "json")
	for r, c := range planActions(t, out) {
		if code != 0 || c.Action != imagebuilder.ActionUnchanged {
			t.Errorf("plan after apply --create-roles: exit %d, %s %+v: %s", code, r, c, errOut)
		}
	}
}
