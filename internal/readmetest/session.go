package readmetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Session is one bash process that runs a scene's commands one after another, so that
// variables, the working directory and background jobs carry over as in a terminal.
// bash and every process it starts run in a process group of their own, which Close
// kills.
type Session struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	tmp    string
	n      int
	closed bool
}

// Result is what one command printed and how it ended.
type Result struct {
	// Output is stdout and stderr together, in the order written.
	Output string
	// ExitCode is the command's exit status ($?).
	ExitCode int
}

// StartSession starts bash in dir with env (the whole environment). Scratch files (the
// commands, their outputs) go to tmp, never to dir.
func StartSession(dir, tmp string, env []string) (*Session, error) {
	cmd := exec.Command("bash", "--noprofile", "--norc")
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("starting bash: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("starting bash: %w", err)
	}
	cmd.Stderr = cmd.Stdout // bash's own messages, outside any command's redirection
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting bash: %w", err)
	}
	s := &Session{cmd: cmd, stdin: stdin, lines: make(chan string, 64), tmp: tmp}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	return s, nil
}

const marker = "__READMETEST_DONE__"

// Run runs text as the next command of the session, with stdin from /dev/null and stdout
// and stderr to one file, and waits for it (at most timeout). When interrupt is positive
// the command gets SIGINT (in a process group of its own, as Ctrl-C in a terminal) after
// that delay. A command that leaves a job in the background (a &) is waited for until
// it has printed wantLines lines or stops printing for a while (not at all when
// wantLines is negative): its output is what it printed by then.
func (s *Session) Run(ctx context.Context, text string, timeout, interrupt time.Duration, wantLines int) (Result, error) {
	if s.closed {
		return Result{}, errors.New("session closed")
	}
	s.n++
	cmdFile := filepath.Join(s.tmp, fmt.Sprintf("cmd-%03d.sh", s.n))
	// One file stands for the terminal: every command, and every job it leaves in the
	// background, appends to it, so a background job's later output (a sandbox saying it
	// stopped) shows under the command that was running, as in a terminal.
	outFile := filepath.Join(s.tmp, "terminal.txt")
	var offset int64
	if fi, err := os.Stat(outFile); err == nil {
		offset = fi.Size()
	}
	if err := os.WriteFile(cmdFile, []byte(text+"\n"), 0o600); err != nil {
		return Result{}, fmt.Errorf("writing the command: %w", err)
	}
	var script string
	if interrupt > 0 {
		// Job control on for this command only: its job gets a process group of its own
		// that does not ignore SIGINT, as a foreground job in a terminal.
		script = fmt.Sprintf("set -m; . %q </dev/null >>%q 2>&1 & __p=$!; set +m; sleep %.3f; kill -INT -- -$__p 2>/dev/null; wait $__p; __rc=$?; echo %s $__rc; (exit $__rc)\n",
			cmdFile, outFile, interrupt.Seconds(), marker)
	} else {
		script = fmt.Sprintf("{ . %q ; } </dev/null >>%q 2>&1; __rc=$?; echo %s $__rc; (exit $__rc)\n", cmdFile, outFile, marker)
	}
	if _, err := io.WriteString(s.stdin, script); err != nil {
		return Result{}, fmt.Errorf("writing to bash: %w", err)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var res Result
	var noise []string
wait:
	for {
		select {
		case l, ok := <-s.lines:
			if !ok {
				return Result{}, fmt.Errorf("bash exited: %s", strings.Join(noise, "\n"))
			}
			if rest, found := strings.CutPrefix(l, marker+" "); found {
				res.ExitCode, _ = strconv.Atoi(rest)
				break wait
			}
			noise = append(noise, l)
		case <-timer.C:
			out := readFrom(outFile, offset)
			s.Close()
			return Result{Output: out}, fmt.Errorf("no end after %s (the session was killed); output so far:\n%s", timeout, out)
		case <-ctx.Done():
			s.Close()
			return Result{}, ctx.Err()
		}
	}
	if wantLines >= 0 && (background(text) || strings.Contains(text, "kill")) {
		waitOutput(outFile, offset, wantLines, 30*time.Second)
	}
	res.Output = readFrom(outFile, offset)
	return res, nil
}

// readFrom returns file's content after offset.
func readFrom(file string, offset int64) string {
	b, _ := os.ReadFile(file)
	if int64(len(b)) < offset {
		return ""
	}
	return string(b[offset:])
}

// background reports whether a command leaves a job running (a & that is not &&); a
// command that kills one is waited for too (the job may say something as it ends).
func background(text string) bool {
	t := strings.ReplaceAll(text, "&&", "")
	t = strings.ReplaceAll(t, ">&", "")
	t = strings.ReplaceAll(t, "&>", "")
	return strings.Contains(t, "&")
}

// waitOutput waits until file has want lines, or has not grown for a second (want 0)
// or five (want > 0), or limit passed.
func waitOutput(file string, offset int64, want int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	last, lastChange := -1, time.Now()
	for time.Now().Before(deadline) {
		b := readFrom(file, offset)
		n := strings.Count(b, "\n")
		if want > 0 && n >= want {
			return
		}
		if len(b) != last {
			last, lastChange = len(b), time.Now()
		}
		if want == 0 && time.Since(lastChange) > time.Second {
			return
		}
		if want > 0 && len(b) > 0 && time.Since(lastChange) > 5*time.Second {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Close ends the session: bash and every process of its group (background jobs: the
// sandbox, the registry) get SIGTERM, then SIGKILL after 5 s.
func (s *Session) Close() {
	if s.closed {
		return
	}
	s.closed = true
	_ = s.stdin.Close()
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(-pgid, 0) != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-done
	// The group's last processes are gone once init has reaped them.
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && syscall.Kill(-pgid, 0) == nil; {
		time.Sleep(20 * time.Millisecond)
	}
}
