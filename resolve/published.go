package resolve

import (
	"context"
	"errors"

	"github.com/winami/winami/catalog"
)

// Published tells whether EKS publishes an EKS-optimized Windows AMI for the target: its
// SSM public parameter exists in the target's region. It is how a Kubernetes version
// newer than the built-in catalog (catalog.NewerThanCatalog) is checked against AWS:
// the parameter appears when EKS releases Windows AMIs for the version ("Retrieve
// recommended Microsoft Windows AMI IDs", Amazon EKS User Guide,
// https://docs.aws.amazon.com/eks/latest/userguide/retrieve-windows-ami-id.html).
func Published(ctx context.Context, c Clients, t Target) (bool, error) {
	if t.Edition == "" {
		t.Edition = catalog.Core
	}
	entries, err := Resolve(ctx, c, []Target{t}, Options{Concurrency: 1})
	if errors.Is(err, ErrMissing) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return len(entries) == 1 && entries[0].Error == "", nil
}
