package cli_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/history"
	"github.com/perfplan/perfplan/report"
)

// sleepPlan is a plan on the sleep target whose latency is a variable.
// Assertions are appended from asserts.
const sleepPlan = `plan %q {}

variable "latency" {
  type    = string
  default = "1ms"
}

target "sleep" "s" {
  latency = var.latency
}

workload "w" {
  target = target.sleep.s
  op "get" { weight = 1 }
  keys { count = 10 }
}

scenario "steady" {
  workload   = workload.w
  executor   = "per-vu-iterations"
  vus        = 1
  iterations = 20
%s}
`

// writePlan writes a sleep plan named name with the given assert blocks.
func writePlan(t *testing.T, dir, name, asserts string) string {
	t.Helper()
	src := strings.Replace(strings.Replace(sleepPlan, "%q", `"`+name+`"`, 1), "%s", asserts, 1)
	path := filepath.Join(dir, name+".hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runEnv runs the binary with extra environment variables (and no
// PERFPLAN_HISTORY unless given).
func runEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, history.EnvVar+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	// Wide tables, so that the tests read whole cells; TestTablesFitColumns
	// checks the width.
	cmd.Env = append(cmd.Env, "NO_COLOR=1", "CI=true", "COLUMNS=1000")
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run perfplan %v: %v", args, err)
	}
	return result{code, out.String(), errb.String()}
}

func readRunDoc(t *testing.T, path string) *report.Document {
	t.Helper()
	d, err := report.ReadDocumentFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRunCountInterleaves(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := writePlan(t, dir, "a", "")
	b := writePlan(t, dir, "b", "")
	out := filepath.Join(dir, "run.json")
	r := run(t, "run", "--quiet", "--count", "3", "--out", "json="+out, a, b)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	d := readRunDoc(t, out)
	var got []string
	for _, p := range d.Plans {
		got = append(got, p.Name+string(rune('0'+p.Repetition)))
	}
	if want := "a1 b1 a2 b2 a3 b3"; strings.Join(got, " ") != want {
		t.Errorf("plans in the document: %v, want %s", got, want)
	}
	for _, want := range []string{"plan a repetition 1/3:", "plan b repetition 3/3:", "last repetition of plan a in full"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	// perfplan report renders the repetitions as the live run printed them.
	rep := run(t, "report", "--format", "table", out)
	if rep.code != 0 || rep.stdout != r.stdout {
		t.Errorf("report (exit %d) differs from the live run:\n--- report ---\n%s\n--- live ---\n%s", rep.code, rep.stdout, r.stdout)
	}
}

func TestRunCountExitConsidersEveryRepetition(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Every repetition fails; the exit code and the document say so.
	p := writePlan(t, dir, "f", "  assert {\n    condition = ops < 0\n  }\n")
	out := filepath.Join(dir, "run.json")
	r := run(t, "run", "--quiet", "--count", "2", "--out", "json="+out, p)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	if d := readRunDoc(t, out); len(d.Plans) != 2 || d.Passed {
		t.Errorf("plans %d passed %v", len(d.Plans), d.Passed)
	}
}

func TestBaselineGate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gate := "  assert {\n    condition     = latency.p99 < baseline.latency.p99 * 10\n    error_message = \"p99 regressed\"\n  }\n"
	p := writePlan(t, dir, "gate", gate)
	other := writePlan(t, dir, "other", gate)

	// The baseline comes from a run of the plan with the gate failing for
	// want of a baseline.
	self := filepath.Join(dir, "self.json")
	if r := run(t, "run", "--quiet", "--save-baseline", self, p); r.code != 1 {
		t.Fatalf("saving the baseline: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A crafted baseline whose p99 is far lower (10µs against ~1ms).
	low := readRunDoc(t, self)
	for i := range low.Plans[0].Scenarios {
		sc := &low.Plans[0].Scenarios[i]
		sc.Total.Latency.P99 = 10_000
		// The saved run may have seen a hiccup of this shared machine
		// as a closed-model stall; the crafted baseline has none.
		sc.Stall, sc.Total.Corrected = nil, nil
	}
	lowPath := filepath.Join(dir, "low.json")
	if err := low.WriteFile(lowPath); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
	}{
		{"against itself", []string{"--baseline", self, p}, 0, []string{"PASS", "baseline.latency.p99="}},
		{"much lower p99", []string{"--baseline", lowPath, p}, 1, []string{"FAIL", "p99 regressed", "baseline.latency.p99=10"}},
		{"no --baseline", []string{p}, 1, []string{"no baseline value for baseline.latency.p99: run with --baseline FILE"}},
		{"plan not in baseline", []string{"--baseline", self, other}, 1, []string{`no baseline value for baseline.latency.p99: plan "other" is not in baseline ` + self}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "run.json")
			r := run(t, append([]string{"run", "--quiet", "--no-color", "--out", "json=" + out}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			flat := strings.Join(strings.Fields(r.stdout), " ")
			for _, want := range tt.stdout {
				if !strings.Contains(r.stdout, want) && !strings.Contains(flat, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
			if d := readRunDoc(t, out); d.Plans[0].Scenarios[0].Assertions[0].Passed != (tt.code == 0) {
				t.Errorf("assertion in the document: %+v", d.Plans[0].Scenarios[0].Assertions[0])
			}
		})
	}
	if _, err := report.ReadDocumentFile(self); err != nil {
		t.Errorf("--save-baseline wrote an unreadable document: %v", err)
	}
}

func TestRunHistory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := writePlan(t, dir, "h", "")
	count := func(path string) int {
		t.Helper()
		s, err := history.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		n, err := s.Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	flagDB := filepath.Join(dir, "flag", "history.db")
	envDB := filepath.Join(dir, "env", "history.db")
	skipped := filepath.Join(dir, "skipped", "history.db")
	tests := []struct {
		name string
		env  []string
		args []string
		db   string
		runs int
	}{
		{"--history", nil, []string{"--history", flagDB, "--count", "2"}, flagDB, 2},
		{"--history again", nil, []string{"--history", flagDB}, flagDB, 3},
		{"PERFPLAN_HISTORY", []string{history.EnvVar + "=" + envDB}, nil, envDB, 1},
		{"--no-history", []string{history.EnvVar + "=" + skipped}, []string{"--no-history", "--history", skipped}, skipped, 0},
	}
	// Sequential: the first two share a store and count cumulatively.
	for _, tt := range tests {
		r := runEnv(t, tt.env, append(append([]string{"run", "--quiet"}, tt.args...), p)...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", tt.name, r.code, r.stdout, r.stderr)
		}
		if tt.runs == 0 {
			if _, err := os.Stat(tt.db); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: history written: %v", tt.name, err)
			}
			continue
		}
		if n := count(tt.db); n != tt.runs {
			t.Errorf("%s: %d runs in history, want %d", tt.name, n, tt.runs)
		}
	}
	// A history that cannot be opened warns and keeps the exit code.
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runEnv(t, nil, "run", "--quiet", "--history", filepath.Join(blocker, "history.db"), p)
	if r.code != 0 || !strings.Contains(r.stderr, "warning: run not recorded in history") {
		t.Errorf("broken history: exit %d\n%s", r.code, r.stderr)
	}
}

func TestModeRegression(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := writePlan(t, dir, "reg", "")
	db := filepath.Join(dir, "history.db")
	base := filepath.Join(dir, "base.json")
	// The fast run: the baseline, and the latest run in the history.
	r := run(t, "run", "--quiet", "--count", "5", "--history", db, "--save-baseline", base, "--var", "latency=1ms", p)
	if r.code != 0 {
		t.Fatalf("fast run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"against --baseline", []string{"--baseline", base, "--no-history"}},
		{"against history", []string{"--history", db}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"run", "--quiet", "--mode", "regression", "--count", "5", "--var", "latency=2ms"}, tt.args...)
			r := run(t, append(args, p)...)
			if r.code != 1 {
				t.Fatalf("2x slower run: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
			}
			for _, want := range []string{"regression check", "Critical"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
		})
	}
}

func TestRunHelpDocumentsModes(t *testing.T) {
	t.Parallel()
	r := run(t, "run", "-h")
	for _, want := range []string{"-mode", "quick", "benchmark", "regression", "-count", "-baseline", "-save-baseline", "-history", "-no-history", "-no-abort", "-threshold"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("run -h lacks %q:\n%s", want, r.stderr)
		}
	}
	if r := run(t, "run", "--mode", "fast", "x.hcl"); r.code != 2 || !strings.Contains(r.stderr, `unknown --mode "fast"`) {
		t.Errorf("bad mode: exit %d\n%s", r.code, r.stderr)
	}
	if r := run(t, "run", "--threshold", "10%", "x.hcl"); r.code != 2 || !strings.Contains(r.stderr, "--threshold applies only to --mode regression") {
		t.Errorf("--threshold without regression mode: exit %d\n%s", r.code, r.stderr)
	}
	if r := run(t, "run", "--count", "0", "x.hcl"); r.code != 2 {
		t.Errorf("--count 0: exit %d\n%s", r.code, r.stderr)
	}
}
