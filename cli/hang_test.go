package cli_test

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// silentServer listens on 127.0.0.1 and accepts connections that it never
// answers, as a frozen PostgreSQL does; it returns its address.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// startBinary starts perfplan with args; waitOrKill waits for it, and
// kills it after limit, which only a hang reaches.
func startBinary(t *testing.T, args ...string) (*exec.Cmd, *syncBuffer, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "CI=true", "PERFPLAN_HISTORY="+filepath.Join(t.TempDir(), "history.db"))
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stdout, &stderr
}

func waitOrKill(t *testing.T, cmd *exec.Cmd, limit time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("perfplan still running after %s", limit)
		return -1
	}
}

// TestSilentPostgresHistory: a PostgreSQL history that accepts and never
// answers costs the run its connect_timeout (5s by default), a warning, and nothing else;
// the URL's password is not printed.
func TestSilentPostgresHistory(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	cmd, stdout, stderr := startBinary(t, "run", "--quiet", "--history", "postgres://u:hushPW1@"+addr+"/db", "testdata/vars.hcl")
	code := waitOrKill(t, cmd, 2*time.Minute)
	out := stdout.String() + stderr.String()
	if code != 0 || !strings.Contains(out, "warning: run not recorded in history") || strings.Contains(out, "hushPW1") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestSecondInterruptAbandonsHistory: with a history that never answers
// (a minute's connect_timeout), a second interrupt abandons the write at
// once; the first does not (the run is over, its results written).
func TestSecondInterruptAbandonsHistory(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	cmd, stdout, stderr := startBinary(t, "run", "--quiet", "--history", "postgres://u:p@"+addr+"/db?connect_timeout=60", "testdata/vars.hcl")
	// The verdict is printed before the history is written.
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(stdout.String(), "grade") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	for range 2 {
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	code := waitOrKill(t, cmd, 30*time.Second)
	if code != 0 || !strings.Contains(stderr.String(), "abandoned on the second interrupt") {
		t.Errorf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
}
