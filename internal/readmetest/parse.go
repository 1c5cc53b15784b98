package readmetest

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Doc is a parsed Markdown file: its lines and its fenced blocks.
type Doc struct {
	// Name is the file's name, used in messages (README.md).
	Name string
	// Lines are the file's lines, without their newlines.
	Lines []string
	// Blocks are the fenced blocks in file order.
	Blocks []*Block
}

// Block is one fenced code block and the directives before it.
type Block struct {
	// Line is the 1-based line of the opening fence.
	Line int
	// End is the 1-based line of the closing fence.
	End int
	// Lang is the fence's info string (console, yaml, sh, …).
	Lang string
	// Body is the block's content, lines joined with "\n".
	Body string
	// Commands are a console block's commands, in order.
	Commands []*Command
	// Scene is the scene the block runs in ("" when it runs in none).
	Scene string
	// Skip is why the block does not run, when a skip directive says so.
	Skip string
	// Setup is the hidden commands run before the block's first command.
	Setup []string
	// File is where a non-console block's content is written in the scene's directory.
	File string
	// Interrupt maps a command index (0-based) to the delay after which it gets SIGINT.
	Interrupt map[int]time.Duration
	// Timeout bounds each of the block's commands (0: the runner's default).
	Timeout time.Duration
	// Directives are the block's directive lines, as written (for messages).
	Directives []string
}

// Command is one "$ " command of a console block and the output the file shows for it.
type Command struct {
	// Line is the 1-based line of the "$ ".
	Line int
	// Text is the command as bash reads it (continuation lines included).
	Text string
	// Output is the captured output shown after it ("" when none).
	Output string
	// OutStart and OutEnd are the 0-based line range of Output in the file.
	OutStart, OutEnd int
	// Block is the block the command belongs to.
	Block *Block
}

// Scene is the blocks that run in one bash session.
type Scene struct {
	// Name is the scene's name.
	Name string
	// Tags are the words after the name in its first scene directive (k8s: needs a
	// Kubernetes API server).
	Tags []string
	// After names a scene whose blocks are replayed, not compared, before this one.
	After string
	// Blocks are the scene's blocks in file order.
	Blocks []*Block
}

// HasTag reports whether the scene carries tag.
func (s *Scene) HasTag(tag string) bool {
	for _, t := range s.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// First returns a short description of the block for messages: its line and first command.
func (b *Block) First() string {
	if len(b.Commands) > 0 {
		first, _, _ := strings.Cut(b.Commands[0].Text, "\n")
		return fmt.Sprintf("block of \"$ %s\"", first)
	}
	return fmt.Sprintf("%s block", b.Lang)
}

// Parse reads a Markdown file's fenced blocks, the directives before them and, in
// console blocks, the commands and their outputs. It needs bash on PATH to tell where a
// multi-line command ends.
func Parse(name string, src []byte) (*Doc, error) {
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	d := &Doc{Name: name, Lines: lines}
	var pending []string // directive bodies waiting for their block
	pendingLine := 0
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		trim := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(trim, "<!-- test:"):
			start := i
			body := strings.TrimPrefix(trim, "<!-- test:")
			for !strings.Contains(body, "-->") {
				i++
				if i >= len(lines) {
					return nil, fmt.Errorf("%s:%d: directive not closed with -->", name, start+1)
				}
				body += "\n" + lines[i]
			}
			body, _, _ = strings.Cut(body, "-->")
			pending = append(pending, strings.TrimSpace(body))
			if pendingLine == 0 {
				pendingLine = start + 1
			}
		case strings.HasPrefix(l, "```"):
			fence := l[:len(l)-len(strings.TrimLeft(l, "`"))]
			b := &Block{Line: i + 1, Lang: strings.TrimSpace(strings.TrimPrefix(l, fence))}
			j := i + 1
			for j < len(lines) && (!strings.HasPrefix(lines[j], fence) || strings.TrimSpace(lines[j]) != fence) {
				j++
			}
			if j >= len(lines) {
				return nil, fmt.Errorf("%s:%d: code block not closed", name, i+1)
			}
			b.End = j + 1
			b.Body = strings.Join(lines[i+1:j], "\n")
			if err := b.directives(name, pending); err != nil {
				return nil, err
			}
			if b.Lang == "console" {
				if err := b.parseCommands(name, lines, i+1, j); err != nil {
					return nil, err
				}
			}
			d.Blocks = append(d.Blocks, b)
			pending, pendingLine = nil, 0
			i = j
		case trim == "":
		default:
			if len(pending) > 0 {
				return nil, fmt.Errorf("%s:%d: test directive not followed by a code block (only blank lines may come between)", name, pendingLine)
			}
		}
	}
	if len(pending) > 0 {
		return nil, fmt.Errorf("%s:%d: test directive not followed by a code block", name, pendingLine)
	}
	return d, nil
}

func (b *Block) directives(name string, ds []string) error {
	for _, d := range ds {
		b.Directives = append(b.Directives, d)
		verb, rest, _ := strings.Cut(d, "\n")
		fields := strings.Fields(verb)
		if len(fields) == 0 {
			return fmt.Errorf("%s:%d: empty test directive", name, b.Line)
		}
		bad := func(why string) error {
			return fmt.Errorf("%s:%d: directive %q: %s", name, b.Line, verb, why)
		}
		switch fields[0] {
		case "scene":
			if len(fields) < 2 {
				return bad("want scene NAME [TAG...] [after=SCENE]")
			}
			b.Scene = fields[1]
		case "skip":
			if len(fields) < 2 {
				return bad("want skip REASON")
			}
			b.Skip = strings.TrimSpace(strings.TrimPrefix(verb, "skip"))
		case "setup":
			cmd := strings.TrimSpace(strings.TrimPrefix(verb, "setup") + "\n" + rest)
			if cmd == "" {
				return bad("no commands")
			}
			b.Setup = append(b.Setup, cmd)
		case "file":
			if len(fields) != 2 {
				return bad("want file NAME")
			}
			b.File = fields[1]
		case "interrupt":
			if len(fields) != 3 {
				return bad("want interrupt N AFTER")
			}
			n, err := strconv.Atoi(fields[1])
			if err != nil || n < 1 {
				return bad("N is the 1-based index of the command in the block")
			}
			after, err := time.ParseDuration(fields[2])
			if err != nil {
				return bad("AFTER is a duration such as 1500ms")
			}
			if b.Interrupt == nil {
				b.Interrupt = map[int]time.Duration{}
			}
			b.Interrupt[n-1] = after
		case "timeout":
			if len(fields) != 2 {
				return bad("want timeout DURATION")
			}
			t, err := time.ParseDuration(fields[1])
			if err != nil {
				return bad("not a duration")
			}
			b.Timeout = t
		default:
			return bad("unknown directive: use scene, skip, setup, file, interrupt or timeout")
		}
	}
	if b.Scene != "" && b.Skip != "" {
		return fmt.Errorf("%s:%d: a block is in a scene or skipped, not both", name, b.Line)
	}
	return nil
}

// parseCommands splits a console block's lines [from, to) into commands and outputs.
func (b *Block) parseCommands(name string, lines []string, from, to int) error {
	var cur *Command
	for i := from; i < to; i++ {
		l := lines[i]
		if strings.HasPrefix(l, "$ ") || l == "$" {
			if cur != nil {
				cur.OutEnd = i
			}
			c := &Command{Line: i + 1, Text: strings.TrimPrefix(strings.TrimPrefix(l, "$"), " "), Block: b}
			for !complete(c.Text) && i+1 < to {
				i++
				c.Text += "\n" + lines[i]
			}
			c.OutStart, c.OutEnd = i+1, i+1
			b.Commands = append(b.Commands, c)
			cur = c
			continue
		}
		if cur == nil {
			if strings.TrimSpace(l) != "" && len(b.Commands) == 0 {
				// Output before any command: a block of output only (no command to run).
				continue
			}
		}
	}
	if cur != nil {
		cur.OutEnd = to
	}
	for _, c := range b.Commands {
		c.Output = strings.Join(lines[c.OutStart:c.OutEnd], "\n")
	}
	return nil
}

// complete reports whether bash would read text as a whole command (no open quote,
// heredoc, compound command or trailing backslash).
func complete(text string) bool {
	if strings.HasSuffix(text, "\\") {
		return false
	}
	cmd := exec.Command("bash", "-n")
	cmd.Stdin = strings.NewReader(text + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		return true
	}
	return !strings.Contains(stderr.String(), "unexpected end of file") && !strings.Contains(stderr.String(), "unexpected EOF")
}

// Scenes groups the blocks that have a scene, in the order each scene first appears.
func (d *Doc) Scenes() []*Scene {
	var out []*Scene
	byName := map[string]*Scene{}
	for _, b := range d.Blocks {
		if b.Scene == "" {
			continue
		}
		s := byName[b.Scene]
		if s == nil {
			s = &Scene{Name: b.Scene}
			for _, dir := range b.Directives {
				fields := strings.Fields(dir)
				if len(fields) >= 2 && fields[0] == "scene" {
					for _, f := range fields[2:] {
						if after, ok := strings.CutPrefix(f, "after="); ok {
							s.After = after
						} else {
							s.Tags = append(s.Tags, f)
						}
					}
				}
			}
			byName[b.Scene] = s
			out = append(out, s)
		}
		s.Blocks = append(s.Blocks, b)
	}
	return out
}

// Scene returns the scene named name, or nil.
func (d *Doc) Scene(name string) *Scene {
	for _, s := range d.Scenes() {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Unmarked returns the console blocks with commands that carry neither a scene nor a
// skip directive: blocks nobody runs.
func (d *Doc) Unmarked() []*Block {
	var out []*Block
	for _, b := range d.Blocks {
		if b.Lang == "console" && len(b.Commands) > 0 && b.Scene == "" && b.Skip == "" {
			out = append(out, b)
		}
	}
	return out
}
