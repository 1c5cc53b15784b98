package cli

import (
	"path/filepath"
	"testing"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
)

// useEmulator starts awsemu and points the process's AWS settings at it, as a user of
// `winami sandbox` would with the variables it prints.
func useEmulator(t *testing.T, opts ...emulator.Option) *awsemu.Server {
	t.Helper()
	srv := emulatortest.Start(t, opts...)
	useEndpoint(t, srv.URL())
	return srv
}

// useEndpoint points the process's AWS settings at endpoint, with test credentials and
// no profile, config file or instance metadata of the machine's.
func useEndpoint(t *testing.T, endpoint string) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            endpoint,
		"AWS_ACCESS_KEY_ID":           "AKIDWINAMITEST",
		"AWS_SECRET_ACCESS_KEY":       "secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_MAX_ATTEMPTS":            "",
		"AWS_RETRY_MODE":              "",
		"AWS_CA_BUNDLE":               "", // as on most machines: the SDK then picks its default HTTP client
	} {
		t.Setenv(k, v)
	}
}
