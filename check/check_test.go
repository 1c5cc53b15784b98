package check_test

import (
	"errors"
	"testing"

	"github.com/winami/winami/check"
)

func TestPreflightError(t *testing.T) {
	one := check.Errorf("checking before apply", "parent-image", "parent image ami-1 does not exist in us-east-1")
	if got, want := one.Error(), "checking before apply: parent image ami-1 does not exist in us-east-1"; got != want {
		t.Errorf("one problem: %q, want %q", got, want)
	}
	two := &check.PreflightError{What: "Fast Launch preflight for ami-1 in us-east-1", Checks: []check.Check{
		{Name: "image-exists", Status: check.Pass, Message: "AMI ami-1 exists"},
		{Name: "image-owned", Status: check.Fail, Message: "AMI ami-1 is owned by amazon", Fix: "build one"},
		{Name: "vcpu-quota", Status: check.Warn, Message: "close to the quota"},
		{Name: "default-vpc", Status: check.Fail, Message: "no default VPC"},
	}}
	if got, want := two.Error(), "Fast Launch preflight for ami-1 in us-east-1:\n  - AMI ami-1 is owned by amazon: build one\n  - no default VPC"; got != want {
		t.Errorf("two problems: %q, want %q", got, want)
	}
	var pe *check.PreflightError
	if err := error(two); !errors.As(err, &pe) || len(pe.Problems()) != 2 {
		t.Errorf("problems: %v", pe)
	}
	if !check.Failed(two.Checks) || check.Failed(two.Checks[:1]) || len(check.Problems(two.Checks)) != 2 {
		t.Errorf("Failed/Problems disagree with the checks")
	}
}
