package cli

import (
	"net"
	"strings"
	"sync"
	"testing"
)

// silentServer accepts connections and never answers (nor closes them until the test
// ends): the endpoint issue 14 found resolve and plan hanging on forever.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// useSilentEndpoint points the process's AWS settings at a silent server.
func useSilentEndpoint(t *testing.T) string {
	t.Helper()
	addr := silentServer(t)
	useEndpoint(t, "http://"+addr)
	return addr
}

// TestSilentEndpointEnds: against an endpoint that accepts connections and never
// answers, resolve and plan end (they hung forever before) with an error that names the
// endpoint and says it did not answer. Not a timed assertion: the test only needs them to
// end; go test's -timeout catches a hang.
func TestSilentEndpointEnds(t *testing.T) {
	t.Parallel()
	addr := useSilentEndpoint(t)
	file := writePruneSpec(t, pruneSpec)
	for _, args := range [][]string{
		{"resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "1.33", "--region", "us-east-1"},
		{"resolve"}, // asks EKS for the newest Kubernetes version first
		{"plan", "-f", file},
	} {
		_, stderr, code := run(t, append(args, "--request-timeout", "200ms")...)
		if code != 1 || !strings.Contains(stderr, "no answer from http://"+addr+" within 200ms (3 attempts)") ||
			!strings.Contains(stderr, "--request-timeout sets the bound") || strings.Contains(stderr, "--command-timeout") || strings.Contains(stderr, "winami sandbox") {
			t.Errorf("%s: exit %d, want 1 with an error naming %s and the timeout\n%s", strings.Join(args, " "), code, addr, stderr)
		}
	}
}

// TestCommandTimeout: a command with no bound of its own ends at --command-timeout, and
// says so, even when each request would wait longer.
func TestCommandTimeout(t *testing.T) {
	t.Parallel()
	useSilentEndpoint(t)
	_, stderr, code := run(t, "resolve", "--windows", "2022", "--edition", "core", "--kubernetes", "1.33", "--region", "us-east-1",
		"--request-timeout", "1h", "--command-timeout", "500ms")
	if code != 1 || !strings.Contains(stderr, "--command-timeout 500ms") {
		t.Errorf("exit %d, want 1 saying --command-timeout ended it\n%s", code, stderr)
	}
	if _, stderr, code := run(t, "resolve", "--command-timeout", "-1s"); code != 2 || !strings.Contains(stderr, "--command-timeout") {
		t.Errorf("negative --command-timeout: exit %d\n%s", code, stderr)
	}
}
