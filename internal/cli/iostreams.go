package cli

import (
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"
)

// IOStreams are a command's standard streams and whether each is a terminal, as
// cli/cli's iostreams: detected once from the process's files, overridden in tests so
// that a test can play a terminal (a prompt) or a pipe without one.
type IOStreams struct {
	// Stdin is where prompts read from.
	Stdin io.Reader
	// Stdout is where data goes (-o table|wide|json|yaml).
	Stdout io.Writer
	// Stderr is where progress, warnings, prompts and errors go.
	Stderr io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
	// stdoutWidth and stderrWidth are the widths tables are fitted to on each stream.
	stdoutWidth, stderrWidth int
}

// NewIOStreams wraps the given streams; each is a terminal when it is an *os.File on one.
func NewIOStreams(stdin io.Reader, stdout, stderr io.Writer) *IOStreams {
	columns := os.Getenv("COLUMNS")
	return &IOStreams{
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		stdinTTY: isTerminal(stdin), stdoutTTY: isTerminal(stdout), stderrTTY: isTerminal(stderr),
		stdoutWidth: width(columns, terminalWidth(stdout)), stderrWidth: width(columns, terminalWidth(stderr)),
	}
}

// width is the width tables are fitted to on a stream: COLUMNS when it is a positive
// number (the user's word beats what is detected, as git's term_columns and Python's
// shutil.get_terminal_size have it), else the terminal's (0: not a terminal), else
// DefaultWidth.
func width(columns string, terminal int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(columns)); err == nil && n > 0 {
		return n
	}
	if terminal > 0 {
		return terminal
	}
	return DefaultWidth
}

// terminalWidth is the width of the terminal s is a file on, else 0.
func terminalWidth(s any) int {
	f, ok := s.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	w, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return w
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

// StdoutWidth is the width tables on stdout are fitted to: COLUMNS, else the
// terminal's, else DefaultWidth.
func (s *IOStreams) StdoutWidth() int { return s.stdoutWidth }

// StderrWidth is the width tables on stderr are fitted to, as StdoutWidth.
func (s *IOStreams) StderrWidth() int { return s.stderrWidth }

// SetWidth sets the width tables are fitted to on stdout and stderr (tests).
func (s *IOStreams) SetWidth(n int) { s.stdoutWidth, s.stderrWidth = n, n }

// SetStderrTTY overrides whether stderr counts as a terminal (tests).
func (s *IOStreams) SetStderrTTY(tty bool) { s.stderrTTY = tty }
