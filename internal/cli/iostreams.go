package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are a command's standard streams and whether each is a terminal, as
// cli/cli's iostreams: detected once from the process's files, overridden in tests so
// that a test can play a terminal (a prompt) or a pipe without one.
type IOStreams struct {
	// Stdin is where prompts read from.
	Stdin io.Reader
	// Stdout is where data goes (-o table|json|yaml).
	Stdout io.Writer
	// Stderr is where progress, warnings, prompts and errors go.
	Stderr io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
}

// NewIOStreams wraps the given streams; each is a terminal when it is an *os.File on one.
func NewIOStreams(stdin io.Reader, stdout, stderr io.Writer) *IOStreams {
	return &IOStreams{
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		stdinTTY: isTerminal(stdin), stdoutTTY: isTerminal(stdout), stderrTTY: isTerminal(stderr),
	}
}

// isTerminal reports whether s is a file on a terminal.
func isTerminal(s any) bool {
	f, ok := s.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY overrides whether stdin counts as a terminal (tests).
func (s *IOStreams) SetStdinTTY(tty bool) { s.stdinTTY = tty }

// SetStdoutTTY overrides whether stdout counts as a terminal (tests).
func (s *IOStreams) SetStdoutTTY(tty bool) { s.stdoutTTY = tty }

// SetStderrTTY overrides whether stderr counts as a terminal (tests).
func (s *IOStreams) SetStderrTTY(tty bool) { s.stderrTTY = tty }
