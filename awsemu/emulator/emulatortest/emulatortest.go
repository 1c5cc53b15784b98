package emulatortest

import (
	"testing"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/emulator"
)

// Start assembles a server with emulator.New, starts it on 127.0.0.1 at a random port and
// closes it when the test ends. The endpoint URL is srv.URL().
func Start(t testing.TB, opts ...emulator.Option) *awsemu.Server {
	t.Helper()
	srv := emulator.New(opts...)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("starting awsemu: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}
