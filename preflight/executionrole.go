package preflight

import "github.com/winami/winami/spec"

// ExecutionRoleSuffix ends the name of the execution role winami creates for a spec:
// <metadata.name>-imagebuilder-execution.
const ExecutionRoleSuffix = spec.ExecutionRoleSuffix

// executionRoleOf is the spec's effective spec.build.executionRole ("" for none).
func executionRoleOf(img *spec.WindowsImage) string { return img.Spec.Build.ExecutionRole }
