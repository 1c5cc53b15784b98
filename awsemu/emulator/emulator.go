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
	peers   []string
	seeded  bool
	images  []awsemu.Image
	params  []awsemu.Parameter
}

// SandboxPeerAccount is the second account `winami sandbox` serves besides
// awsemu.DefaultAccount: the target account of cross-account distribution.
const SandboxPeerAccount = "210987654321"

// WithPeerAccounts serves these accounts too, each a full world of its own (every service,
// the seed) sharing the clock and faults; a caller reaches one with awsemu.AccessKeyFor or
// with credentials from STS AssumeRole into one of its roles.
func WithPeerAccounts(accounts ...string) Option {
	return func(o *options) { o.peers = append(o.peers, accounts...) }
}

// WithClock drives every time-dependent state machine (builds, Fast Launch) from c;
// tests pass an *awsemu.ManualClock to step through states.
func WithClock(c awsemu.Clock) Option { return func(o *options) { o.clock = c } }

// WithAccount makes every caller belong to account (awsemu.DefaultAccount otherwise).
func WithAccount(account string) Option { return func(o *options) { o.account = account } }

// WithSeed serves images (EC2's Amazon-owned AMIs) and params (SSM's public parameters) in
// place of package seed's, in every account. A world seeded with one region is made in a
// few milliseconds instead of ~30 (the fuzz tests make one per input).
func WithSeed(images []awsemu.Image, params []awsemu.Parameter) Option {
	return func(o *options) { o.seeded, o.images, o.params = true, images, params }
}

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
	register(srv, o)
	for _, account := range o.peers {
		if account == srv.Account {
			continue
		}
		register(srv.AddPeer(account), o)
	}
	return srv
}
