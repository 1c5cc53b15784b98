package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/emulator"
)

// TestPruneSaysKarpenterWasNotChecked: without --kubeconfig the plan cannot see the AMIs
// EC2NodeClasses select, and prune says so.
func TestPruneSaysKarpenterWasNotChecked(t *testing.T) {
	t.Parallel()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	srv := useEmulator(t, emulator.WithClock(clock))
	pipelineImages(t, srv, clock, "us-east-1", 2)
	_, stderr, code := run(t, "prune", "-f", writePruneSpec(t, pruneSpec), "--region", "us-east-1")
	if code != 0 || !strings.Contains(stderr, "Karpenter not checked") || !strings.Contains(stderr, "--kubeconfig") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
