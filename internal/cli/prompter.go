package cli

import (
	"fmt"
	"strings"
)

// Prompter asks the user yes/no questions: apply and build confirm their changes, and
// build asks whether to cancel an interrupted build.
type Prompter interface {
	// CanPrompt reports whether winami may ask a question at all.
	CanPrompt() bool
	// Confirm asks question and reports whether the answer is yes (no by default).
	Confirm(question string) bool
}

// streamPrompter asks on the command's streams: the question on stderr, the answer a
// line of stdin. It may ask when stdin and stderr are terminals.
type streamPrompter struct{ io *IOStreams }

// CanPrompt implements Prompter.
func (p streamPrompter) CanPrompt() bool { return p.io.IsStdinTTY() && p.io.IsStderrTTY() }

// Confirm implements Prompter: "y" or "yes" (any case) is yes; anything else, or the end
// of stdin, is no. It reads stdin a byte at a time, so it takes one line and no more.
func (p streamPrompter) Confirm(question string) bool {
	_, _ = fmt.Fprintf(p.io.Stderr, "%s [y/N] ", question)
	var line []byte
	buf := make([]byte, 1)
	for {
		n, err := p.io.Stdin.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				break
			}
			line = append(line, buf[0])
		}
		if err != nil {
			break
		}
	}
	a := strings.ToLower(strings.TrimSpace(string(line)))
	return a == "y" || a == "yes"
}
