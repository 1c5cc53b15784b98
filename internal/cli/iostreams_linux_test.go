package cli

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// openPty opens a pseudo-terminal of cols columns and returns its terminal side.
func openPty(t *testing.T, cols uint16) *os.File {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { _ = ptm.Close() })
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("reading the pty's number: %v", err)
	}
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening the pty: %v", err)
	}
	t.Cleanup(func() { _ = pts.Close() })
	if err := unix.IoctlSetWinsize(int(pts.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: cols, Row: 24}); err != nil {
		t.Fatalf("sizing the pty: %v", err)
	}
	return pts
}

// TestStreamsWidthFromTerminal: on a terminal, tables are fitted to its width, unless
// COLUMNS says otherwise; a pipe next to it gets DefaultWidth (not parallel: it sets
// COLUMNS).
func TestStreamsWidthFromTerminal(t *testing.T) {
	pts := openPty(t, 93)
	t.Setenv("COLUMNS", "")
	s := NewIOStreams(nil, pts, os.Stderr)
	if !s.IsStdoutTTY() || s.StdoutWidth() != 93 {
		t.Errorf("stdout on a 93-column terminal: terminal %v, width %d", s.IsStdoutTTY(), s.StdoutWidth())
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close(); _ = w.Close() }()
	if s := NewIOStreams(nil, w, pts); s.StdoutWidth() != DefaultWidth || s.StderrWidth() != 93 {
		t.Errorf("stdout a pipe, stderr the terminal: widths %d, %d, want %d, 93", s.StdoutWidth(), s.StderrWidth(), DefaultWidth)
	}
	t.Setenv("COLUMNS", "150")
	if s := NewIOStreams(nil, pts, pts); s.StdoutWidth() != 150 {
		t.Errorf("COLUMNS=150 on a 93-column terminal: width %d", s.StdoutWidth())
	}
}
