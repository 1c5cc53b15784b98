// Package emulatortest starts an emulator for a Go test: Start assembles the server with
// emulator.New, listens on 127.0.0.1 and closes it when the test ends.
//
// It is the only part of the emulator that imports package testing, so a program that
// embeds the emulator (winami sandbox) does not link it.
package emulatortest
