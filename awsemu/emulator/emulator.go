package emulator

import (
	"time"

	"github.com/winami/winami/awsemu"
)

// Option configures the server New assembles.
type Option func(*options)

type options struct {
	clock   awsemu.Clock
	account string
	latency time.Duration
}

// WithClock drives every time-dependent state machine (builds, Fast Launch) from c;
// tests pass an *awsemu.ManualClock to step through states.
func WithClock(c awsemu.Clock) Option { return func(o *options) { o.clock = c } }

// WithAccount makes every caller belong to account (awsemu.DefaultAccount otherwise).
func WithAccount(account string) Option { return func(o *options) { o.account = account } }

// WithLatency delays every request by d, as a distant AWS region would.
func WithLatency(d time.Duration) Option { return func(o *options) { o.latency = d } }

// New returns a server with every service registered and the seed loaded. It is not
// started: call Start on it (tests use emulatortest.Start).
func New(opts ...Option) *awsemu.Server {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	srv := awsemu.NewServer()
	if o.clock != nil {
		srv.Clock = o.clock
	}
	if o.account != "" {
		srv.Account = o.account
	}
	if o.latency > 0 {
		srv.Faults.SetLatency(o.latency)
	}
	register(srv)
	return srv
}
