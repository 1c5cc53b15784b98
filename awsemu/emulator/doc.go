// Package emulator assembles a complete awsemu endpoint: every service winami calls,
// registered on one awsemu.Server and started from the seeded public world of package seed.
//
// Tests call emulatortest.Start, which listens on a random loopback port and closes the
// server when the test ends; `winami sandbox` calls New and starts the server itself, so
// this package does not import testing.
package emulator
