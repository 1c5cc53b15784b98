package cli

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/winami/winami/audit"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/prune"
	"github.com/winami/winami/spec"
)

// parse runs cmd with args, its body replaced by runF (the constructors' test hook), and
// fails the test when cobra refuses the flags.
func parse(t *testing.T, cmd *cobra.Command, args ...string) {
	t.Helper()
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%s %s: %v", cmd.Name(), strings.Join(args, " "), err)
	}
}

// TestFlagsParseIntoOptions: each command's flags land in its options, with their
// defaults, without running the command (no AWS, no cluster): the constructors' runF.
func TestFlagsParseIntoOptions(t *testing.T) {
	t.Parallel()
	f := NewFactory(strings.NewReader(""), io.Discard, io.Discard)

	var po *pruneOptions
	parse(t, newPruneCmd(f, func(o *pruneOptions) error { po = o; return nil }), "-f", "w.yaml")
	want := &pruneOptions{file: "w.yaml", keep: spec.DefaultKeep, timeout: 30 * time.Minute, interval: 15 * time.Second, concurrency: prune.DefaultConcurrency}
	if !reflect.DeepEqual(po, want) {
		t.Errorf("prune defaults: %+v, want %+v", po, want)
	}
	parse(t, newPruneCmd(f, func(o *pruneOptions) error { po = o; return nil }),
		"-f", "w.yaml", "--keep", "1", "--older-than", "30d", "--yes", "--kubeconfig", "kc", "--context", "prod", "--include-shared", "--concurrency", "2")
	want = &pruneOptions{file: "w.yaml", keep: 1, keepSet: true, olderThan: "30d", yes: true, kubeconfig: "kc", kubeContext: "prod",
		timeout: 30 * time.Minute, interval: 15 * time.Second, includeShared: true, concurrency: 2}
	if !reflect.DeepEqual(po, want) {
		t.Errorf("prune --keep 1 …: %+v, want %+v (a --keep given must win over the spec's keep)", po, want)
	}

	var ro *resolveOptions
	parse(t, newResolveCmd(f, func(o *resolveOptions) error { ro = o; return nil }), "--windows", "2019,2022", "--edition", "core", "--kubernetes", "all", "--details")
	if want := (&resolveOptions{windows: []string{"2019", "2022"}, editions: []string{"core"}, kubernetes: []string{"all"}, details: true, concurrency: 16}); !reflect.DeepEqual(ro, want) {
		t.Errorf("resolve: %+v, want %+v", ro, want)
	}

	var ao *auditOptions
	parse(t, newAuditCmd(f, func(o *auditOptions) error { ao = o; return nil }), "--context", "prod", "--expect-image", "ssm:/p", "--no-coverage")
	if want := (&auditOptions{context: "prod", expectImage: "ssm:/p", pageSize: audit.DefaultPageSize, noCoverage: true}); !reflect.DeepEqual(ao, want) {
		t.Errorf("audit: %+v, want %+v", ao, want)
	}

	var eo *fastLaunchEnableOptions
	parse(t, newFastLaunchEnableCmd(f, func(o *fastLaunchEnableOptions) error { eo = o; return nil }), "--image", "ami-0123456789abcdef0", "--wait", "--dry-run")
	if want := (&fastLaunchEnableOptions{image: "ami-0123456789abcdef0", snapshots: fastlaunch.DefaultTargetSnapshots, maxParallel: fastlaunch.MinParallelLaunches,
		dryRun: true, waitFlags: waitFlags{wait: true, timeout: 30 * time.Minute, interval: 15 * time.Second}}); !reflect.DeepEqual(eo, want) {
		t.Errorf("fast-launch enable: %+v, want %+v", eo, want)
	}
}
