package cli_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/builtin"
)

// TestModeRegressionComparesWithLastGoodRun records, into one history, a
// good run, a run that failed the regression gate and a run that failed an
// assertion, and checks that the gate still compares with the good run (and
// so still fails), says which run that is and which it passed over. A
// history with nothing good says so, and does not read as a passed check.
func TestModeRegressionComparesWithLastGoodRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := writePlan(t, dir, "reg", "  assert {\n    condition = latency.p50 < duration(\"20ms\")\n  }\n")
	db := filepath.Join(dir, "history.db")
	gate := func(latency string) []string {
		return []string{"run", "--quiet", "--mode", "regression", "--threshold", "50%", "--count", "5", "--history", db, "--var", "latency=" + latency, p}
	}
	steps := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"first run, empty history", gate("1ms"), 0,
			[]string{"regression check: NOT COMPARED: no good earlier run of these plans in history " + db, "plan reg: no recorded run"},
			[]string{"warning: no good earlier run of these plans"}},
		{"4x slower", gate("4ms"), 1,
			[]string{"against history " + db + ":\n  plan reg: run #1 (", "5 repetitions)", "REGRESSION"}, nil},
		{"assertion fails", []string{"run", "--quiet", "--history", db, "--var", "latency=25ms", p}, 1, []string{"FAIL"}, nil},
		// Runs 6-10 regressed and run 11 failed its assertion: neither may
		// become the base, or the regression would pass from now on.
		{"4x slower again", gate("4ms"), 1,
			[]string{"plan reg: run #1 (", "passed over #11 (", "): assertions failed", "passed over #6 (", "): the run exited 1 although the plan passed", "REGRESSION"}, nil},
	}
	for _, st := range steps {
		r := run(t, st.args...)
		if r.code != st.code {
			t.Fatalf("%s: exit %d, want %d\n%s%s", st.name, r.code, st.code, r.stdout, r.stderr)
		}
		for _, want := range st.stdout {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%s: stdout lacks %q:\n%s", st.name, want, r.stdout)
			}
		}
		for _, want := range st.stderr {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", st.name, want, r.stderr)
			}
		}
		if strings.Contains(r.stdout, "NOT COMPARED") != (st.name == "first run, empty history") {
			t.Errorf("%s: compared or not, wrongly:\n%s", st.name, r.stdout)
		}
	}

	// A history whose only run failed its assertion: nothing to compare
	// with, said so; the exit status is the assertions'.
	bad := filepath.Join(dir, "bad.db")
	if r := run(t, "run", "--quiet", "--history", bad, "--var", "latency=25ms", p); r.code != 1 {
		t.Fatalf("failing run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := run(t, "run", "--quiet", "--mode", "regression", "--history", bad, "--var", "latency=1ms", p)
	if r.code != 0 {
		t.Fatalf("no good base: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"NOT COMPARED", "plan reg: no good run to compare with", "passed over #1 (", "assertions failed", "The exit status reflects the assertions only"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no good base: stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "OK: no significant regression") {
		t.Errorf("no good base reads as a passed check:\n%s", r.stdout)
	}
}

// cancelTarget is a target that interrupts its run, as Ctrl-C would: in
// Open (while the target starts) when inOpen is set, else after some
// operations.
type cancelTarget struct {
	cancel context.CancelFunc
	inOpen bool
	ops    atomic.Int64
}

func (c *cancelTarget) Open(ctx context.Context) error {
	if !c.inOpen {
		return nil
	}
	c.cancel()
	<-ctx.Done()
	return ctx.Err()
}

func (c *cancelTarget) NewWorker(int) (targets.Worker, error) { return c, nil }
func (c *cancelTarget) Stats() map[string]float64             { return nil }
func (c *cancelTarget) Close() error                          { return nil }

func (c *cancelTarget) Do(context.Context, *targets.Request) error {
	if c.ops.Add(1) == 100 {
		c.cancel()
	}
	return nil
}

// TestInterruptedRunsAreNotRecorded interrupts a run while its target
// starts (which ends as a target start failure) and while it runs: neither
// may reach the history, which is not even created.
func TestInterruptedRunsAreNotRecorded(t *testing.T) {
	t.Parallel()
	src := `plan "cut" {}
target "cancel" "t" {}
workload "w" {
  target = target.cancel.t
  op "get" { weight = 1 }
  keys { count = 10 }
}
scenario "forever" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 1
  duration = "1m"
}
`
	for _, tt := range []struct {
		name   string
		inOpen bool
		codes  []int
	}{
		// An interrupt during a target's start is an interrupt (3), not
		// a start failure (4), and is not recorded.
		{"while the target starts", true, []int{cli.ExitInterrupted}},
		{"while it runs", false, []int{cli.ExitInterrupted}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			reg := builtin.Registry()
			reg.MustRegister(targets.Kind{
				Name: "cancel",
				Ops:  []targets.OpSpec{{Name: "get"}},
				New: func(targets.Config) (targets.Target, error) {
					return &cancelTarget{cancel: cancel, inOpen: tt.inOpen}, nil
				},
			})
			dir := t.TempDir()
			planFile := filepath.Join(dir, "cut.hcl")
			if err := os.WriteFile(planFile, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "history", "history.db")
			var stdout, stderr bytes.Buffer
			code := cli.Main(ctx, cli.Env{
				Args:     []string{"run", "--quiet", "--history", db, planFile},
				Registry: reg, Stdout: &stdout, Stderr: &stderr,
			})
			ok := false
			for _, c := range tt.codes {
				ok = ok || code == c
			}
			if !ok {
				t.Fatalf("exit %d, want one of %v\n%s%s", code, tt.codes, stdout.String(), stderr.String())
			}
			if !strings.Contains(stderr.String(), "not recorded in the history") {
				t.Errorf("stderr does not say the run is not recorded:\n%s", stderr.String())
			}
			if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("history written for an interrupted run: %v", err)
			}
		})
	}
}
