package rollout

import (
	"context"
	"errors"
)

// Discover finds the targets and plans the rollout. (Owned by the discover helper.)
func Discover(ctx context.Context, o DiscoverOptions) (*Plan, error) {
	return nil, errors.New("rollout: Discover is not written yet")
}
