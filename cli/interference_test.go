package cli_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfplan/perfplan/cli"
)

// pausePlan is an open model on a sleep backend of LATENCY, gated on GATE.
const pausePlan = `
plan "pause" {}
target "sleep" "backend" {
  latency = "LATENCY"
}
workload "w" {
  target = target.sleep.backend
  op "op" {}
}
scenario "steady" {
  workload          = workload.w
  executor          = "constant-arrival-rate"
  rate              = 100
  duration          = "3s"
  pre_allocated_vus = 8
  max_vus           = 200
  assert {
    condition = GATE
  }
}
`

// TestPauseOfTheProcess pauses the real binary from outside with SIGSTOP for
// 400ms in the middle of a scenario, as a hypervisor or a CPU quota would:
// a gate that only the pause broke is INCONCLUSIVE (exit 6, or what
// --inconclusive says), and a 20ms backend gated at 10ms still FAILs beside
// the same pause. The pause only ever makes the figures worse, so the test
// does not depend on the machine being quiet.
func TestPauseOfTheProcess(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, latency, gate string
		args                []string
		codes               []int
		stdout, stderr      string
	}{
		{name: "a gate only the pause broke is inconclusive", latency: "1ms", gate: `latency.max < duration("150ms")`,
			codes: []int{cli.ExitInconclusive}, stdout: "INCONCLUSIVE"},
		{name: "--inconclusive fail", latency: "1ms", gate: `latency.max < duration("150ms")`, args: []string{"--inconclusive", "fail"},
			codes: []int{cli.ExitFailed}, stdout: "INCONCLUSIVE"},
		{name: "--retry-inconclusive runs it again", latency: "1ms", gate: `latency.max < duration("150ms")`, args: []string{"--retry-inconclusive", "1"},
			// The retry is not paused: it passes, unless this machine's own
			// neighbours make it inconclusive too.
			codes: []int{cli.ExitOK, cli.ExitInconclusive}, stderr: "was inconclusive (measured interference explains its failures): retry 1 of 1"},
		{name: "a real regression fails beside the pause", latency: "20ms", gate: `latency.p50 < duration("10ms")`,
			codes: []int{cli.ExitFailed}, stdout: "FAIL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			planFile := filepath.Join(dir, "pause.hcl")
			src := strings.NewReplacer("LATENCY", c.latency, "GATE", c.gate).Replace(pausePlan)
			if err := os.WriteFile(planFile, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "run.json")
			args := append([]string{"run", "--no-history", "--out", "json=" + out}, c.args...)
			cmd := exec.Command(binary, append(args, planFile)...)
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			pipe, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			paused := false
			sc := bufio.NewScanner(pipe)
			for sc.Scan() {
				line := sc.Text()
				stderr.WriteString(line + "\n")
				if !paused && strings.Contains(line, "[steady] started") {
					paused = true
					time.Sleep(500 * time.Millisecond)
					if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
						t.Fatal(err)
					}
					time.Sleep(400 * time.Millisecond)
					if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
						t.Fatal(err)
					}
				}
			}
			err = cmd.Wait()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if !paused {
				t.Fatalf("the scenario never started\nstderr:\n%s", stderr.String())
			}
			ok := false
			for _, want := range c.codes {
				ok = ok || code == want
			}
			if !ok || !strings.Contains(stdout.String(), c.stdout) || !strings.Contains(stderr.String(), c.stderr) {
				t.Fatalf("exit %d, want one of %v, stdout with %q, stderr with %q\nstdout:\n%s\nstderr:\n%s",
					code, c.codes, c.stdout, c.stderr, stdout.String(), stderr.String())
			}
			var doc struct {
				Verdict string `json:"verdict"`
				Plans   []struct {
					Retries   int `json:"retries"`
					Scenarios []struct {
						Interference *struct {
							Pauses   int   `json:"pauses"`
							WakeMaxN int64 `json:"wake_max_ns"`
						} `json:"interference"`
					} `json:"scenarios"`
				} `json:"plans"`
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Plans) != 1 || len(doc.Plans[0].Scenarios) != 1 || doc.Plans[0].Scenarios[0].Interference == nil {
				t.Fatalf("document without interference: %s", b)
			}
			in := doc.Plans[0].Scenarios[0].Interference
			retried := c.stderr != ""
			if !retried && (in.Pauses == 0 || time.Duration(in.WakeMaxN) < 300*time.Millisecond) {
				t.Errorf("the probe did not see the 400ms pause: %+v", in)
			}
			if retried && doc.Plans[0].Retries != 1 {
				t.Errorf("retries = %d, want 1", doc.Plans[0].Retries)
			}
			want := map[int]string{cli.ExitOK: "pass", cli.ExitFailed: "fail", cli.ExitInconclusive: "inconclusive"}[code]
			if c.name == "--inconclusive fail" {
				want = "inconclusive"
			}
			if doc.Verdict != want {
				t.Errorf("document verdict %q, want %q", doc.Verdict, want)
			}
		})
	}
}
