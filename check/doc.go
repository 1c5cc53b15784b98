// Package check is the one shape of a preflight's findings: doctor's checks (package
// preflight), the Fast Launch preflight of package fastlaunch and the checks package
// imagebuilder runs before plan and apply all report [Check] values, and stop with a
// [PreflightError] when one fails.
package check
