package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestVarFileUndeclared: a --var-file that sets a variable no plan declares
// is a usage error, as the same --var is.
func TestVarFileUndeclared(t *testing.T) {
	t.Parallel()
	vf := filepath.Join(t.TempDir(), "vars.hcl")
	if err := os.WriteFile(vf, []byte("vus = 2\nnope = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "run", "--quiet", "testdata/vars.hcl", "--var-file", vf)
	if r.code != 2 || !strings.Contains(r.stderr, `--var-file `+vf+`: no plan declares a variable "nope"`) {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}

// TestHugeNumberVariable: a number beyond float64 is a clean error, not a
// JSON decoder's message with all its digits.
func TestHugeNumberVariable(t *testing.T) {
	t.Parallel()
	r := run(t, "run", "--quiet", "testdata/vars.hcl", "--var", "vus=1e400")
	if r.code != 2 || !strings.Contains(r.stderr, "var.vus holds a number beyond ±1.8e308") || strings.Contains(r.stderr, "0000000000") || strings.Contains(r.stderr, "json") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}

// TestOutStdout: --out json=- writes the document to standard output, and
// the tables go to standard error, so that standard output is the JSON
// alone; no file named - is made.
func TestOutStdout(t *testing.T) {
	t.Parallel()
	r := run(t, "run", "testdata/vars.hcl", "--out", "json=-")
	var doc struct {
		Plans []struct{ Name string } `json:"plans"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); r.code != 0 || err != nil || len(doc.Plans) != 1 || doc.Plans[0].Name != "vars" {
		t.Fatalf("exit %d, %v\nstdout:\n%s\nstderr:\n%s", r.code, err, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "grade") || !strings.Contains(r.stderr, "wrote json results to standard output") {
		t.Errorf("the tables are not on standard error:\n%s", r.stderr)
	}
	if _, err := os.Stat("-"); err == nil {
		t.Error("a file named - was written")
	}
	if r := run(t, "run", "testdata/vars.hcl", "--out", "json=-", "--out", "csv=-"); r.code != 2 || !strings.Contains(r.stderr, "both write to standard output") {
		t.Errorf("two results to -: exit %d\n%s", r.code, r.stderr)
	}
}

// TestReportNullPlans: a document whose plans are null is an error, not an
// empty report that passes.
func TestReportNullPlans(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "doc.json")
	if err := os.WriteFile(path, []byte(`{"schema_version": 1, "plans": null}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "report", path)
	if r.code != 2 || !strings.Contains(r.stderr, "holds no plans") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestFIFOPlanInterrupt: a named pipe that no program writes holds the
// load, as it would hold cat, but the first interrupt ends it (exit 3).
func TestFIFOPlanInterrupt(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "plan.hcl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no named pipes:", err)
	}
	cmd, _, stderr := startBinary(t, "run", fifo)
	waitSignalHandler(t, cmd.Process.Pid)
	// The Go runtime catches SIGINT from its start, before main asks for
	// it: wait until the loader blocks opening the pipe, which main does
	// after signal.NotifyContext.
	waitOpenat(t, cmd.Process.Pid)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := waitOrKill(t, cmd, 30*time.Second); code != 3 || !strings.Contains(stderr.String(), "interrupted while loading plans") {
		t.Errorf("exit %d\n%s", code, stderr.String())
	}
}

// waitOpenat waits until a thread of process pid is blocked in openat
// (/proc/PID/task/*/syscall, Linux); elsewhere it waits a second.
func waitOpenat(t *testing.T, pid int) {
	t.Helper()
	want := strconv.Itoa(syscall.SYS_OPENAT) + " "
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/syscall", pid))
		if err != nil || len(tasks) == 0 {
			time.Sleep(time.Second)
			return
		}
		for _, f := range tasks {
			if b, err := os.ReadFile(f); err == nil && strings.HasPrefix(string(b), want) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("perfplan never blocked opening the pipe")
}

// waitSignalHandler waits until process pid catches SIGINT (Linux's
// /proc/PID/status), so that an interrupt sent then reaches perfplan's
// handler rather than the default action; elsewhere it waits a second.
func waitSignalHandler(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			time.Sleep(time.Second)
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			if mask, ok := strings.CutPrefix(line, "SigCgt:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64); err == nil && m&(1<<(syscall.SIGINT-1)) != 0 {
					return
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("perfplan never caught SIGINT")
}
