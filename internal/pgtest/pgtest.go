// Package pgtest starts a throw-away PostgreSQL server for tests: initdb into
// a temporary directory, postgres on a free loopback port (and its socket in
// that directory), stopped and removed when the tests end. It looks for
// PostgreSQL's programs on PATH and in Debian's /usr/lib/postgresql/*/bin
// (apt-get install postgresql). Tests skip when they are missing unless
// PERFPLAN_REQUIRE_POSTGRES is set (as test.sh and CI set it), in which case
// they fail.
//
// PostgreSQL refuses to run as root. When the tests run as root (as in CI
// here), the server runs as the "postgres" user that Debian's package
// creates (or "nobody"), with its directory owned by that user.
package pgtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/perfplan/perfplan/internal/nettest"
)

// RequireEnv is the environment variable that turns a missing PostgreSQL
// into a test failure.
const RequireEnv = "PERFPLAN_REQUIRE_POSTGRES"

// Server is a running throw-away PostgreSQL server.
type Server struct {
	Port int
	dir  string
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}

	mu  sync.Mutex
	dbs int
}

var (
	sharedMu  sync.Mutex
	shared    *Server
	sharedErr error
)

// Shared returns the package's server, started on first use and stopped by
// Stop (call it from TestMain after m.Run). When PostgreSQL is not installed
// the test skips, or fails with RequireEnv set.
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		shared, sharedErr = start()
	}
	if sharedErr != nil {
		if errors.Is(sharedErr, errNotInstalled) && os.Getenv(RequireEnv) == "" {
			t.Skipf("%v; install it (apt-get install postgresql) to run this test", sharedErr)
		}
		t.Fatalf("start PostgreSQL: %v", sharedErr)
	}
	return shared
}

// Stop stops the shared server, if one was started, and removes its files.
func Stop() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		shared.stop()
		shared = nil
	}
}

// Main runs the tests of m with a shared server stopped at the end, and
// exits: call it from TestMain.
func Main(m interface{ Run() int }) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// NewDatabase creates an empty database on the server and returns its URL.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	s.dbs++
	name := fmt.Sprintf("test%d_%d", os.Getpid(), s.dbs)
	s.mu.Unlock()
	db, err := sql.Open("pgx", s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	return s.URL(name)
}

// URL returns the URL of database name on the server.
func (s *Server) URL(name string) string {
	return fmt.Sprintf("postgres://perfplan@127.0.0.1:%d/%s?sslmode=disable", s.Port, name)
}

var errNotInstalled = errors.New("PostgreSQL (initdb, postgres) not found on PATH or in /usr/lib/postgresql/*/bin")

// binDir returns the directory of initdb and postgres.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errNotInstalled
}

// version reads the major version of /usr/lib/postgresql/VERSION/bin.
func version(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// credential returns who the server runs as: nil (the current user) unless
// that is root, which PostgreSQL refuses.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root, and there is no postgres or nobody user to run PostgreSQL as")
}

// startAttempts is how many free ports start tries.
const startAttempts = 5

func start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	// The server's user must reach its directory: under root's own
	// TMPDIR it may not, so as root the directory goes in /tmp.
	parent := ""
	if cred != nil {
		if st, err := os.Stat("/tmp"); err == nil && st.IsDir() {
			parent = "/tmp"
		}
	}
	dir, err := os.MkdirTemp(parent, "perfplan-pg-")
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := command(cred, filepath.Join(bin, "initdb"), "-D", data, "-U", "perfplan", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, lastLines(string(out)))
	}
	var lastErr error
	for range startAttempts {
		s := &Server{dir: dir}
		if s.Port, err = nettest.FreePort(); err != nil {
			lastErr = err
			continue
		}
		if lastErr = s.run(cred, bin, data); lastErr == nil {
			return s, nil
		}
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

// run starts postgres on s.Port and waits until it accepts connections.
func (s *Server) run(cred *syscall.Credential, bin, data string) error {
	cmd := command(cred, filepath.Join(bin, "postgres"), "-D", data,
		"-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-k", s.dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=32MB", "-c", "logging_collector=off")
	s.out = new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	// The server dies with the test process, even one that is killed.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s.ping() == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("postgres on port %d exited: %s", s.Port, lastLines(s.out.String()))
		case <-time.After(50 * time.Millisecond):
		}
	}
	s.kill()
	return fmt.Errorf("postgres on port %d did not accept connections within 30s: %s", s.Port, lastLines(s.out.String()))
}

func (s *Server) ping() error {
	db, err := sql.Open("pgx", s.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// stop shuts the server down (fast shutdown, then a kill) and removes its
// directory.
func (s *Server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			s.kill()
		}
	}
	os.RemoveAll(s.dir)
}

func (s *Server) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// command returns a command that runs as cred (nil: the current user).
func command(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	return cmd
}

func lastLines(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}
