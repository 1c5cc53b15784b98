// Package emulatorfuzz holds FuzzServe, the fuzz test of a whole emulator world's HTTP
// surface (every service's decoder and handlers), and nothing else: a package of its own,
// its instrumented test binary builds none of the AWS SDK that package emulator's tests
// drive, so .ci/fuzz builds it in seconds.
package emulatorfuzz
