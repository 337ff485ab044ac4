package cli_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfplan/perfplan/internal/nettest"
)

// panickyBinary builds testdata/panicky, perfplan with a custom target that
// panics where its plan says.
func panickyBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "panicky")
	build := exec.Command("go", "build", "-o", bin, "./testdata/panicky")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build panicky: %v\n%s", err, out)
	}
	return bin
}

// TestCustomTargetPanics runs a custom target that panics in each of its
// methods through a real binary: never a crash or a Go stack trace, always
// the documented exit code, and the results written.
func TestCustomTargetPanics(t *testing.T) {
	t.Parallel()
	bin := panickyBinary(t)
	for _, tc := range []struct {
		in   string
		code int
		want []string
	}{
		{"do", 0, []string{"the target panicked 100 times in Do", "panic: do exploded at main.go:"}},
		{"new", 4, []string{"New panicked: new exploded"}},
		{"open", 4, []string{"Open panicked: open exploded"}},
		{"newworker", 4, []string{"NewWorker panicked: newworker exploded", "target failed to start", "FAIL: 1 of 1 assertions failed grade 0 (Poor)"}},
		{"stats", 1, []string{"Stats panicked: stats exploded", "FAIL: scenario s: target panicky.t: Stats panicked"}},
		{"close", 0, []string{"close: Close panicked: close exploded"}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			plan := filepath.Join(dir, "p.hcl")
			src := fmt.Sprintf(`
plan "panics" {}
target "panicky" "t" {
  panic_in = %q
}
workload "w" {
  target = target.panicky.t
  op "op" { weight = 1 }
}
scenario "s" {
  workload   = workload.w
  executor   = "per-vu-iterations"
  vus        = 1
  iterations = 1000
  assert {
    condition = ops == 1000
  }
}
`, tc.in)
			if err := os.WriteFile(plan, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "run.json")
			cmd := exec.Command(bin, "run", "--quiet", "--no-color", "--out", "json="+out, plan)
			cmd.Env = append(os.Environ(), "CI=true", "PERFPLAN_HISTORY="+filepath.Join(dir, "h.db"))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			all := stdout.String() + stderr.String()
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, all)
			}
			if strings.Contains(all, "goroutine ") || strings.Contains(all, "panic(") {
				t.Errorf("output has a Go stack trace:\n%s", all)
			}
			flat := strings.Join(strings.Fields(all), " ")
			for _, w := range tc.want {
				if !strings.Contains(flat, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
			if _, err := os.Stat(out); err != nil {
				t.Errorf("results not written: %v", err)
			}
			if tc.in == "do" {
				d := readRunDoc(t, out)
				s := d.Plans[0].Scenarios[0]
				if s.Total.Ops != 1000 || s.Total.Errors != 100 || s.Panics != 100 || len(s.Ops[0].ErrorSamples) != 1 {
					t.Errorf("ops %d errors %d panics %d samples %+v", s.Total.Ops, s.Total.Errors, s.Panics, s.Ops[0].ErrorSamples)
				}
			}
		})
	}
}

// TestSecondInterruptCutsAtOnce: the first Ctrl-C waits for the operations
// in flight (graceful_stop is an hour here); the second cuts them, and the
// run exits 3 with its results written.
func TestSecondInterruptCutsAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plan := filepath.Join(dir, "stuck.hcl")
	src := `
plan "stuck" {}
target "sleep" "s" {
  latency = "1h"
}
workload "w" {
  target = target.sleep.s
  op "op" { weight = 1 }
}
scenario "s" {
  workload      = workload.w
  executor      = "constant-vus"
  vus           = 3
  duration      = "1h"
  graceful_stop = "1h"
}
`
	if err := os.WriteFile(plan, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run.json")
	cmd := exec.Command(binary, "run", "--out", "json="+out, "--progress-interval", "100ms", plan)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "CI=true", "PERFPLAN_HISTORY="+filepath.Join(dir, "h.db"))
	var stdout bytes.Buffer
	var stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor := func(s string) {
		t.Helper()
		if !nettest.Wait(30*time.Second, func() bool { return strings.Contains(stderr.String(), s) }) {
			t.Fatalf("no %q on stderr:\n%s", s, stderr.String())
		}
	}
	waitFor("ops=")
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	waitFor("stopping gracefully")
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		t.Fatalf("exited (%v) on the first interrupt with operations in flight and graceful_stop 1h", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := <-exited // the test's timeout catches a hang
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("exit %v, want 3\n%s%s", err, stdout.String(), stderr.String())
	}
	d := readRunDoc(t, out)
	if !d.Interrupted || d.Plans[0].Scenarios[0].Cut != 3 {
		t.Fatalf("document: interrupted %v, cut %d, want the 3 stuck operations cut", d.Interrupted, d.Plans[0].Scenarios[0].Cut)
	}
}
