package cli

import (
	"context"
	"errors"
	"fmt"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitProblem = 1
	ExitUsage   = 2
)

// UsageError is bad input: a flag, an argument or the spec file. It exits 2.
type UsageError struct{ Err error }

// Error implements error.
func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *UsageError) Unwrap() error { return e.Err }

// Usage marks err as bad input (exit 2). Usage(nil) is nil.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return &UsageError{Err: err}
}

// Usagef formats a bad-input error (exit 2).
func Usagef(format string, args ...any) error { return &UsageError{Err: fmt.Errorf(format, args...)} }

// ProblemError is a problem found by a command that otherwise ran (drift, an
// incompatible image): its data was printed; the message goes to stderr and it exits 1.
type ProblemError struct{ Msg string }

// Error implements error.
func (e *ProblemError) Error() string { return e.Msg }

// silentError carries an exit code for a failure already reported on stderr.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// ExitCode maps an error to the process's exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var u *UsageError
	if errors.As(err, &u) {
		return ExitUsage
	}
	var s *silentError
	if errors.As(err, &s) {
		return s.code
	}
	return ExitProblem
}

// isInterrupted reports whether err comes from the context being cancelled (Ctrl-C).
func isInterrupted(err error) bool { return errors.Is(err, context.Canceled) }
