package cli

import (
	"testing"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
)

// useEmulator starts awsemu and points the test's AWS settings at it, as a user of
// `winami sandbox` would with the variables it prints.
func useEmulator(t *testing.T, opts ...emulator.Option) *awsemu.Server {
	t.Helper()
	srv := emulatortest.Start(t, opts...)
	useEndpoint(t, srv.URL())
	return srv
}

// useEndpoint points the test's AWS settings at endpoint, with test credentials, the
// region us-east-1 by default, and no profile, config file or instance metadata of the
// machine's. It goes through the test's Factory (testEnv), not the process's
// environment, so the test may run in parallel.
func useEndpoint(t *testing.T, endpoint string) {
	t.Helper()
	env := envOf(t)
	env.mu.Lock()
	defer env.mu.Unlock()
	env.endpoint = endpoint
}
