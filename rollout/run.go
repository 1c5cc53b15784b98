package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// Defaults of RunOptions.
const (
	DefaultPoll        = 15 * time.Second
	DefaultGateTimeout = 15 * time.Minute
	DefaultTimeout     = 2 * time.Hour
)

// Target states (TargetResult.State).
const (
	StateMoved      = "moved"
	StateUpToDate   = "up-to-date"
	StateSkipped    = "skipped"
	StateFailed     = "failed"
	StateRolledBack = "rolled-back"
	StateNotStarted = "not-started"
)

// ErrGate is wrapped by Run's error when a gate failed (Result.Gate says why).
var ErrGate = errors.New("gate failed")

// ErrInterrupted is wrapped by Run's error when its context was cancelled (Ctrl-C).
var ErrInterrupted = errors.New("rollout interrupted")

// ErrTimeout is wrapped by Run's error when RunOptions.Timeout passed before the rollout
// ended (it then rolls back, unless NoRollback).
var ErrTimeout = errors.New("the rollout's timeout passed")

// Run carries out the plan, target by target in the plan's order: the canary's target
// first, its first Canary nodes replaced, then the gate, then the rest of it and the other
// targets, each followed by its gate. A failed gate, a failed instance refresh or node
// group update, the timeout, or a cancelled context (Ctrl-C, when RunOptions.Interrupted
// answers yes) stops the rollout and, unless NoRollback, rolls back what it changed (see
// Result.RolledBack). Run is safe to run again: targets already on the new AMI are
// skipped, and an instance refresh or node group update already under way toward it is
// followed instead of started again.
//
// The returned Result is never nil once the plan is valid; the error is nil only when every
// target moved (or had nothing to do, or was skipped for want of --yes) and passed its gate.
func Run(ctx context.Context, p *Plan, o RunOptions) (*Result, error) {
	if p == nil {
		return nil, errors.New("running the rollout: no plan")
	}
	if o.AWS == nil {
		return nil, errors.New("running the rollout: no AWS clients")
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.GateTimeout <= 0 {
		o.GateTimeout = DefaultGateTimeout
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepTimer
	}
	if o.Progress == nil {
		o.Progress = func(string, ...any) {}
	}
	r := &runner{p: p, o: o, res: &Result{Targets: make([]TargetResult, len(p.Targets))}}
	for i, t := range p.Targets {
		r.res.Targets[i] = TargetResult{Kind: t.Kind, Name: t.Name, Region: t.Region, Total: t.Capacity, State: StateNotStarted}
	}
	r.start = o.Now()
	r.deadline = r.start.Add(o.Timeout)
	if !r.kubeGate() {
		o.Progress("no kubeconfig: the gates check EC2 and Auto Scaling health only (instances running, InService and Healthy), not the nodes and pods")
	}

	err := r.run(ctx)
	if err == nil {
		return r.res, nil
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w: %w", ErrInterrupted, err)
	}
	if o.NoRollback {
		o.Progress("--no-rollback: leaving the targets as they are")
		return r.res, err
	}
	if ctx.Err() != nil && o.Interrupted != nil && !o.Interrupted() {
		o.Progress("interrupted: leaving the targets as they are (no rollback)")
		return r.res, err
	}
	// The rollback gets its own time: the rollout's may be what ran out, and a cancelled
	// context must not stop it half way.
	r.deadline = o.Now().Add(o.Timeout)
	if rerr := r.rollback(context.WithoutCancel(ctx)); rerr != nil {
		return r.res, errors.Join(err, fmt.Errorf("rolling back: %w", rerr))
	}
	return r.res, err
}

// sleepTimer waits d or until ctx ends.
func sleepTimer(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// runner is one Run.
type runner struct {
	p        *Plan
	o        RunOptions
	res      *Result
	start    time.Time
	deadline time.Time
	// moves are the targets the rollout started to change, in order (rollback undoes them
	// in reverse).
	moves []*move
}

// move is what the rollout did to one target: what rollback needs.
type move struct {
	t       *Target
	tr      *TargetResult
	to      string
	started time.Time
	// canary is how many of the target's nodes move first (0: no canary step).
	canary int
	// changed: the rollout wrote something for the target, or took over a refresh or
	// update under way (a rollback leaves alone a target it did not touch).
	changed bool

	// Launch template: the template, the version the target launched from before, and the
	// version the rollout created (0: none).
	templateID  string
	prevVersion int64
	prevImage   string
	newVersion  int64
	// groupVersion is how the group or node group names its version ("$Default", "$Latest",
	// a number).
	groupVersion string
	// prevDefault is the template's default version before the rollout changed it (0: not
	// changed).
	prevDefault int64
	// refreshID is the instance refresh started or followed; desired: it carries a
	// DesiredConfiguration (RollbackInstanceRefresh is possible).
	refreshID string
	desired   bool
	// followsSSM: the template's ImageId is resolve:ssm:.
	followsSSM bool

	// Node group: the update started or followed, and the update configuration the rollout
	// replaced (nil: not changed).
	updateID         string
	prevUpdateConfig *ekstypes.NodegroupUpdateConfig

	// Karpenter: the EC2NodeClass's amiSelectorTerms before the rollout patched them (nil:
	// not patched).
	prevTerms []any
}

// kubeGate tells whether gates check nodes and pods.
func (r *runner) kubeGate() bool { return r.o.Kube.Client != nil }

func (r *runner) now() time.Time { return r.o.Now() }

func (r *runner) elapsed(since time.Time) string {
	return r.now().Sub(since).Round(time.Second).String()
}

// sleep waits one poll interval; it fails when the rollout's deadline passed or ctx ended.
func (r *runner) sleep(ctx context.Context) error {
	if !r.now().Before(r.deadline) {
		return fmt.Errorf("%w (%s)", ErrTimeout, r.o.Timeout)
	}
	if err := r.o.Sleep(ctx, r.o.Poll); err != nil {
		return err
	}
	return ctx.Err()
}

// label names a target in progress lines: "auto-scaling-group win-asg (us-east-1)".
func label(t *Target) string {
	return fmt.Sprintf("%s %s (%s)", t.Kind, t.Name, t.Region)
}

func (r *runner) run(ctx context.Context) error {
	canaryLeft := r.p.Canary.Count > 0 || r.p.Canary.Percent > 0
	for i := range r.p.Targets {
		t := &r.p.Targets[i]
		tr := &r.res.Targets[i]
		if t.UpToDate {
			tr.State, tr.Replaced, tr.Elapsed = StateUpToDate, t.Capacity, "0s"
			r.o.Progress("%s: nothing to do (it launches %s and every instance runs it)", label(t), t.To)
			continue
		}
		to := r.p.To[t.Region]
		if to == "" {
			to = t.To
		}
		if to == "" {
			tr.State = StateFailed
			return fmt.Errorf("moving %s: the plan names no AMI for %s", label(t), t.Region)
		}
		if t.NeedsYes && !r.o.Yes {
			tr.State, tr.Elapsed = StateSkipped, "0s"
			r.o.Progress("%s: skipped: %s (applied only with --yes)", label(t), t.Change)
			continue
		}
		m := &move{t: t, tr: tr, to: to, started: r.now()}
		if canaryLeft && t.Kind != KindKarpenter {
			m.canary = canaryCount(r.p.Canary, t.Capacity)
			canaryLeft = false
		}
		r.moves = append(r.moves, m)
		r.o.Progress("%s: moving to %s (%d instances%s)", label(t), to, t.Capacity, canaryNote(m.canary))
		var err error
		switch t.Kind {
		case KindAutoScalingGroup:
			err = r.moveGroup(ctx, m)
		case KindNodeGroup:
			err = r.moveNodeGroup(ctx, m)
		case KindKarpenter:
			err = r.moveKarpenter(ctx, m)
		default:
			err = fmt.Errorf("unknown target kind %q", t.Kind)
		}
		tr.Elapsed = r.elapsed(m.started)
		if err != nil {
			tr.State = StateFailed
			return fmt.Errorf("moving %s: %w", label(t), err)
		}
		tr.State = StateMoved
		r.o.Progress("%s: moved: %d/%d on %s in %s", label(t), tr.Replaced, tr.Total, to, tr.Elapsed)
	}
	return nil
}

func canaryNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", canary: the first %d", n)
}

// progressLine prints a target's progress when it changed since the last line.
type progressLine struct {
	last string
}

func (r *runner) report(pl *progressLine, m *move, state string) {
	line := fmt.Sprintf("%s: %d/%d replaced, %s", label(m.t), m.tr.Replaced, m.tr.Total, state)
	if line == pl.last {
		return
	}
	pl.last = line
	r.o.Progress("%s, %s", line, r.elapsed(m.started))
}

// gateFailed records a failed gate and returns the error that stops the rollout.
func (r *runner) gateFailed(m *move, finding string) error {
	r.res.Gate = fmt.Sprintf("%s: %s", label(m.t), finding)
	r.o.Progress("%s: FAILED %s", label(m.t), finding)
	return fmt.Errorf("%w: %s", ErrGate, finding)
}

// oneLine keeps a message AWS or the cluster wrote on one line, without control
// characters (a terminal escape sequence in a StatusReason prints as text, not as a
// command to the terminal).
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\t' && r != '\n' {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
