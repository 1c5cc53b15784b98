package rollout

import (
	"context"
	"errors"
)

// Run carries out the plan. (Owned by the engine helper.)
func Run(ctx context.Context, p *Plan, o RunOptions) (*Result, error) {
	return nil, errors.New("rollout: Run is not written yet")
}
