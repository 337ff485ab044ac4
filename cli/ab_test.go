package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/report"
)

// TestABSleep runs perfplan ab through the binary on a one-scenario sleep
// plan with B's backend at a median of 12ms against A's 10ms (each call
// uniform within ±40 %, see testdata/ab.hcl), both at the same time:
// it exits 1 and reports p50 about 20 % higher. (On a machine with a load
// average of 18 on 2 cores, 1ms against 1.2ms drowned in the wake-up
// delays of both sides; 2ms of difference does not.) The plan runs 22s for
// about 20 pairs of intervals: with 10, the paired test needs a lag-1
// autocorrelation below 0.2, or below 0.1 at five batches of two, and a
// busy CI machine drifts more than that; it then rightly gives no verdict.
func TestABSleep(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "ab.json")
	r := run(t, "ab", "--no-color", "--b-var", "latency=12", "--out", "json="+out, "testdata/ab.hcl")
	if r.code != cli.ExitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, w := range []string{"A and B at the same time", "REGRESSION", "paired t on log ratios"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "B = latency=12") {
		t.Errorf("stderr does not say what B is:\n%s", r.stderr)
	}
	var doc struct {
		Mode   string `json:"mode"`
		Failed bool   `json:"failed"`
		Rows   []struct {
			Metric  string   `json:"metric"`
			Change  *float64 `json:"change"`
			Failing bool     `json:"failing"`
		} `json:"rows"`
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, row := range doc.Rows {
		if row.Metric == "p50" {
			found = true
			// Interference adds to both sides' latency alike, which
			// pulls the ratio (12+δ)/(10+δ) below 1.2 on a loaded machine.
			if row.Change == nil || *row.Change < 0.12 || *row.Change > 0.26 || !row.Failing {
				t.Errorf("p50 row: change %v, failing %v; want a failing change of about +20%%\n%s", deref(row.Change), row.Failing, r.stdout)
			}
		}
	}
	if !found || !doc.Failed || doc.Mode != "duet" {
		t.Errorf("document: %s", b)
	}
}

// fakeSide writes a stand-in for a perfplan binary that, run as perfplan
// run ... --out json=PATH, copies the run document doc to PATH, so that
// perfplan ab's protocol and verdicts can be checked on known figures.
func fakeSide(t *testing.T, dir, name string, doc *report.Document) string {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	docPath := filepath.Join(dir, name+".doc.json")
	if err := os.WriteFile(docPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`#!/bin/sh
[ "$1" = run ] || exit 2
for a in "$@"; do
  case "$a" in json=*) cp %q "${a#json=}" ;; esac
done
`, docPath)
	bin := filepath.Join(dir, name)
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// sleepDoc is a run document of one scenario whose 30 intervals have a p50
// of scale × (1ms, 1.1ms, 1.2ms, 1.05ms repeating) times a common
// interference factor that moves from interval to interval.
func sleepDoc(scale float64) *report.Document {
	s := report.ScenarioDoc{Name: "steady", Executor: "constant-arrival-rate"}
	for i := range 32 {
		common := 1 + float64((i*7)%5)/2 // 1 to 3: a noisy neighbour
		v := scale * common * []float64{1, 1.1, 1.2, 1.05}[i%4] * float64(time.Millisecond)
		s.Series = append(s.Series, report.SeriesDoc{OffsetNS: int64(i+1) * int64(time.Second), Ops: 200,
			Throughput: 200, P50NS: int64(v), P90NS: int64(2 * v), P99NS: int64(3 * v)})
	}
	ms := scale * float64(time.Millisecond)
	s.Total = report.OpDoc{Name: "(all)", Ops: 200 * 32, Throughput: 200,
		Latency: report.LatencyDoc{P50: int64(ms), P90: int64(2 * ms), P99: int64(3 * ms)}}
	return &report.Document{SchemaVersion: report.SchemaVersion, Plans: []report.PlanDoc{{Name: "ab", Scenarios: []report.ScenarioDoc{s}}}}
}

// TestABVerdicts checks perfplan ab's verdicts and exit codes on known
// figures, with --a-bin and --b-bin standing in for two builds: the same
// figures exit 0 with no significant change; B 4 % slower everywhere is a
// significant regression below the 5 % threshold (exit 0) and a failing one
// with --threshold 3% (exit 1), in duet and in alternating slices.
func TestABVerdicts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := fakeSide(t, dir, "a", sleepDoc(1))
	same := fakeSide(t, dir, "same", sleepDoc(1))
	slower := fakeSide(t, dir, "slower", sleepDoc(1.04))
	broken := filepath.Join(dir, "broken")
	if err := os.WriteFile(broken, []byte("#!/bin/sh\necho 'target sleep.backend: cannot connect' >&2\nexit 4\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no difference", []string{"--b-bin", same}, cli.ExitOK, []string{"OK: no significant regression", "│ steady   │ (all) │ p50        │ 2.18ms │ 2.18ms │     ~ │ p=1.000 n=30"}},
		{"4% below threshold", []string{"--b-bin", slower}, cli.ExitOK, []string{"+4.00% [+4.0%, +4.0%]", "Low"}},
		{"4% beyond 3% threshold", []string{"--b-bin", slower, "--threshold", "3%"}, cli.ExitFailed, []string{"REGRESSION", "[fails: ≥ threshold]"}},
		{"alternating slices", []string{"--b-bin", slower, "--threshold", "3%", "--alternate", "--slices", "6"}, cli.ExitFailed, []string{"alternating slices", "6 pairs"}},
		{"slices without alternate", []string{"--b-bin", slower, "--slices", "6"}, cli.ExitUsage, nil},
		{"too few slices", []string{"--b-bin", slower, "--alternate", "--slices", "2"}, cli.ExitUsage, nil},
		{"unknown format", []string{"--b-bin", slower, "--out", "csv=x.csv"}, cli.ExitUsage, nil},
		{"missing binary", []string{"--b-bin", filepath.Join(dir, "nope")}, cli.ExitUsage, nil},
		{"side's target fails", []string{"--b-bin", broken}, cli.ExitTarget, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"ab", "--no-color", "--a-bin", a}, tc.args...)
			r := run(t, append(args, "testdata/ab.hcl")...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			if tc.code == cli.ExitTarget && (!strings.Contains(r.stderr, "side B") || !strings.Contains(r.stderr, "cannot connect")) {
				t.Errorf("stderr does not name the side and its error:\n%s", r.stderr)
			}
		})
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
