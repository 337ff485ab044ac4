// Package redistest starts a real redis-server on a free loopback port for
// tests. It looks for redis-server on PATH; tests skip when it is missing
// unless PERFPLAN_REQUIRE_REDIS is set (as CI sets it), in which case they fail.
package redistest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfplan/perfplan/internal/nettest"
)

// Server is a redis-server child process listening on 127.0.0.1.
type Server struct {
	Addr   string
	Port   int
	dir    string
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	out    *bytes.Buffer // cmd's output, for errors
	t      testing.TB
}

// startAttempts is how many free ports Start tries: a port found free may be
// taken by another process before redis-server binds it.
const startAttempts = 5

// Start launches redis-server on a free port and waits until it answers PING.
// The server is stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("PERFPLAN_REQUIRE_REDIS") != "" {
			t.Fatalf("redis-server not on PATH and PERFPLAN_REQUIRE_REDIS is set")
		}
		t.Skip("redis-server not on PATH; install it (apt-get install redis-server) to run this test")
	}
	s := &Server{dir: t.TempDir(), t: t}
	t.Cleanup(s.Stop)
	for attempt := 1; ; attempt++ {
		if s.Port, err = nettest.FreePort(); err != nil {
			t.Fatalf("find free port: %v", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
		err := s.start(bin)
		if err == nil {
			return s
		}
		if attempt == startAttempts {
			t.Fatalf("start redis-server (%d attempts): %v", attempt, err)
		}
		t.Logf("start redis-server: %v; trying another port", err)
	}
}

// start launches the server on s.Port and waits until it answers PING.
func (s *Server) start(bin string) error {
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(s.Port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--protected-mode", "yes",
	)
	out := new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited, s.out = cmd, exited, out
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if s.ping() == nil {
			return nil
		}
		select {
		case <-exited:
			s.cmd = nil
			return fmt.Errorf("redis-server on %s exited: %s", s.Addr, lastLine(out.String()))
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.Stop()
	return fmt.Errorf("redis-server on %s did not answer PING within 10s: %s", s.Addr, lastLine(out.String()))
}

// lastLine returns the last non-empty line of a server's output.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// Stop kills the server and waits for it to exit. It is safe to call twice.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Freeze stops the server with SIGSTOP: it keeps its port and the kernel
// still accepts connections for it, but it answers nothing until Thaw.
// Stop kills a frozen server too.
func (s *Server) Freeze() {
	s.t.Helper()
	s.signal(syscall.SIGSTOP)
}

// Thaw resumes a frozen server with SIGCONT.
func (s *Server) Thaw() {
	s.t.Helper()
	s.signal(syscall.SIGCONT)
}

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		s.t.Fatalf("redis-server on %s is not running", s.Addr)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal redis-server: %v", err)
	}
}

// Restart starts the server again on the same port after Stop.
func (s *Server) Restart() {
	s.t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		s.t.Fatalf("redis-server: %v", err)
	}
	if err := s.start(bin); err != nil {
		s.t.Fatalf("restart redis-server: %v", err)
	}
}

// ping speaks RESP directly so that this package needs no client library.
func (s *Server) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

// Dir returns the server's working directory.
func (s *Server) Dir() string { return filepath.Clean(s.dir) }
