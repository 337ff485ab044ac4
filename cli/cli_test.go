package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/internal/pgtest"
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/builtin"
)

// binary is the perfplan binary built once for the CLI tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "perfplan-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "perfplan")
	build := exec.Command("go", "build", "-o", binary, "../cmd/perfplan")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("build perfplan: " + err.Error())
	}
	code := m.Run()
	pgtest.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	// Runs record into a history database of their own, never the
	// repository's .perfplan.
	return runEnv(t, []string{"PERFPLAN_HISTORY=" + filepath.Join(t.TempDir(), "history.db")}, args...)
}

// TestExitCodes runs the binary on each case of its table and checks the
// exit code and output. It is long because of the table; the logic is the
// loop at its end.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout []string
	}{
		{
			name: "help", args: []string{"--help"}, code: 0,
			stdout: []string{"Exit codes:", "3  interrupted", "5  a result file"},
		},
		{
			name: "unknown command", args: []string{"frobnicate"}, code: 2,
			stderr: []string{`unknown command "frobnicate"`},
		},
		{
			name: "no plans", args: []string{"run"}, code: 2,
			stderr: []string{"no plan files given"},
		},
		{
			name: "missing file", args: []string{"run", "testdata/nope.hcl"}, code: 2,
			stderr: []string{"nope.hcl"},
		},
		{
			name: "misspelled attribute", args: []string{"run", "testdata/misspelled.hcl"}, code: 2,
			stderr:   []string{"testdata/misspelled.hcl:15,3", "duraton", "nothing was run"},
			noStdout: []string{"PASS", "FAIL"},
		},
		{
			name: "validate misspelled", args: []string{"validate", "testdata/misspelled.hcl"}, code: 2,
			stderr: []string{"testdata/misspelled.hcl:15,3"},
		},
		{
			name: "failing assertion", args: []string{"run", "--quiet", "testdata/failing.hcl"}, code: 1,
			stdout: []string{"FAIL", `latency.p99 < duration("500us")`, "latency.p99=", "p99 above 500us"},
		},
		{
			name: "breakpoint search", args: []string{"run", "--quiet", "testdata/breakpoint.hcl"}, code: 1,
			stdout: []string{"breaking point", "search stopped", "stop_when held at", "NOT RECOVERED at 150/s", "│ recovery │",
				"PASS   │ search   │ breaking_point > 0", "FAIL   │ search   │ recovery_time", "did not clear within recovery_timeout"},
		},
		{
			name: "var sets the plan", args: []string{"run", "--quiet", "testdata/vars.hcl", "--var", "vus=3"}, code: 0,
			stdout: []string{"PASS", "300"},
		},
		{
			name: "undeclared var", args: []string{"run", "testdata/vars.hcl", "--var", "nope=1"}, code: 2,
			stderr: []string{`no plan declares a variable "nope"`},
		},
		{
			name: "validate bundled plans", args: []string{"validate", "../plans"}, code: 0,
			stdout: []string{"is valid"},
		},
		{
			name: "fmt check", args: []string{"fmt", "-check", "-diff", "testdata/unformatted.hcl"}, code: 1,
			stdout: []string{"testdata/unformatted.hcl", "+  description = \"x\""},
		},
		{
			name: "version", args: []string{"version"}, code: 0,
			stdout: []string{"perfplan"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			for _, s := range tt.noStdout {
				if strings.Contains(r.stdout, s) {
					t.Errorf("stdout has %q:\n%s", s, r.stdout)
				}
			}
		})
	}
}

type document struct {
	SchemaVersion int  `json:"schema_version"`
	Interrupted   bool `json:"interrupted"`
	Passed        bool `json:"passed"`
	ExitCode      int  `json:"exit_code"`
	Plans         []struct {
		Name      string `json:"name"`
		Hash      string `json:"hash"`
		Scenarios []struct {
			Name  string `json:"name"`
			Total struct {
				Ops       int64  `json:"ops"`
				Histogram string `json:"histogram"`
			} `json:"total"`
			Interrupted bool `json:"interrupted"`
			Assertions  []struct {
				Passed      bool               `json:"passed"`
				Observed    map[string]float64 `json:"observed"`
				Comparisons []comparison       `json:"comparisons"`
				Logic       any                `json:"logic"`
			} `json:"assertions"`
		} `json:"scenarios"`
	} `json:"plans"`
}

type comparison struct {
	Left       string  `json:"left"`
	LeftValue  float64 `json:"left_value"`
	Op         string  `json:"op"`
	Right      string  `json:"right"`
	RightValue float64 `json:"right_value"`
	Held       bool    `json:"held"`
}

func readDoc(t *testing.T, path string) document {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read results: %v", err)
	}
	var d document
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("decode results: %v\n%s", err, b)
	}
	return d
}

func TestFailedRunStillWritesResults(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "sub", "run.json")
	r := run(t, "run", "--quiet", "--out", "json="+out, "testdata/failing.hcl")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	d := readDoc(t, out)
	if d.SchemaVersion != 1 || d.Passed || d.ExitCode != 1 || len(d.Plans) != 1 {
		t.Fatalf("document header wrong: %+v", d)
	}
	s := d.Plans[0].Scenarios[0]
	if s.Total.Ops == 0 || s.Total.Histogram == "" {
		t.Errorf("scenario has no figures: %+v", s)
	}
	if len(s.Assertions) != 1 || s.Assertions[0].Passed || s.Assertions[0].Observed["latency.p99"] <= 0.5 {
		t.Fatalf("assertion outcome wrong: %+v", s.Assertions)
	}
	// The comparison is recorded as evaluated, and the grade reads it.
	want := comparison{Left: "latency.p99", LeftValue: s.Assertions[0].Observed["latency.p99"], Op: "<", Right: `duration("500us")`, RightValue: 0.5}
	if a := s.Assertions[0]; len(a.Comparisons) != 1 || a.Comparisons[0] != want || a.Logic != nil {
		t.Errorf("comparisons %+v logic %v, want [%+v]", a.Comparisons, a.Logic, want)
	}
	if len(d.Plans[0].Hash) != 64 {
		t.Errorf("plan hash %q", d.Plans[0].Hash)
	}
}

func TestInterruptWritesPartialResults(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "run.json")
	cmd := exec.Command(binary, "run", "--out", "json="+out, "--progress-interval", "100ms", "testdata/long.hcl")
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "CI=true", "PERFPLAN_HISTORY="+filepath.Join(t.TempDir(), "history.db"))
	var stdout bytes.Buffer
	var stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the scenario reports progress, then interrupt it.
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stderr.String(), "ops=") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("exit %v, want code 3\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "INTERRUPTED") {
		t.Errorf("table does not say the run was interrupted:\n%s", stdout.String())
	}
	d := readDoc(t, out)
	if !d.Interrupted || d.ExitCode != 3 || len(d.Plans) != 1 || !d.Plans[0].Scenarios[0].Interrupted {
		t.Fatalf("document does not record the interruption: %+v", d)
	}
	if d.Plans[0].Scenarios[0].Total.Ops == 0 {
		t.Errorf("partial results lost")
	}
}

// syncBuffer is a bytes.Buffer that the test may read while a child process
// writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// failing is a custom target kind whose Open fails, registered from Go the
// way a team extends its own perfplan binary.
type failing struct{}

func (failing) Open(context.Context) error            { return errors.New("connection refused") }
func (failing) NewWorker(int) (targets.Worker, error) { return nil, errors.New("not open") }
func (failing) Stats() map[string]float64             { return nil }
func (failing) Close() error                          { return nil }

func TestCustomTargetAndStartFailure(t *testing.T) {
	t.Parallel()
	reg := builtin.Registry()
	reg.MustRegister(targets.Kind{
		Name: "broken",
		Ops:  []targets.OpSpec{{Name: "ping"}},
		New:  func(targets.Config) (targets.Target, error) { return failing{}, nil },
	})
	dir := t.TempDir()
	planFile := filepath.Join(dir, "broken.hcl")
	src := `
target "broken" "db" {}
workload "w" {
  target = target.broken.db
  op "ping" { weight = 1 }
  keys { count = 1 }
}
scenario "s" {
  workload = workload.w
  executor = "shared-iterations"
  vus = 1
  iterations = 10
}
`
	if err := os.WriteFile(planFile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run.json")
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), cli.Env{
		Args:     []string{"run", "--quiet", "--history", filepath.Join(dir, "history.db"), "--out", "json=" + out, planFile},
		Registry: reg, Stdout: &stdout, Stderr: &stderr,
	})
	if code != cli.ExitTarget {
		t.Fatalf("exit %d, want %d\n%s%s", code, cli.ExitTarget, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "connection refused") {
		t.Errorf("stderr does not explain the failure:\n%s", stderr.String())
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("results not written after a start failure: %v", err)
	}
}
