package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/report"
)

// TestAvailabilityGates runs a plan that asserts availability >= 0.99
// against a target that always succeeds and one that always fails: the
// first passes, the second fails (exit 1), and the JSON document carries
// the availability of each.
func TestAvailabilityGates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		errorRate string
		code      int
		ratio     float64
	}{
		{"up", "0", 0, 1},
		{"down", "1", 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			src := strings.Replace(sleepPlan, "%q", `"avail"`, 1)
			src = strings.Replace(src, "latency = var.latency", "latency = var.latency\n  error_rate = "+tc.errorRate, 1)
			src = strings.Replace(src, "%s", "  assert {\n    condition = availability >= 0.99 && availability_windows >= 0.5\n  }\n", 1)
			path := filepath.Join(dir, "avail.hcl")
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			js := filepath.Join(dir, "out.json")
			r := runEnv(t, nil, "run", "--quiet", "--no-history", "--out", "json="+js, path)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tc.code, r.stdout, r.stderr)
			}
			d, err := report.ReadDocumentFile(js)
			if err != nil {
				t.Fatal(err)
			}
			a := d.Plans[0].Scenarios[0].Availability
			if a == nil || a.Ratio != tc.ratio || a.Windows == nil || *a.Windows != tc.ratio || a.WindowsTotal == 0 {
				t.Fatalf("availability %+v, want ratio and windows %v", a, tc.ratio)
			}
			obs := d.Plans[0].Scenarios[0].Assertions[0].Observed
			if obs["availability"] != tc.ratio {
				t.Errorf("observed %v", obs)
			}
		})
	}
}

// TestHistoryResourceMetrics: after two runs, perfplan history shows the
// series of a resource metric and of availability.
func TestHistoryResourceMetrics(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := writePlan(t, dir, "h", "")
	db := filepath.Join(dir, "history.db")
	for range 2 {
		if r := runEnv(t, nil, "run", "--quiet", "--history", db, p); r.code != 0 {
			t.Fatalf("run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	r := runEnv(t, nil, "history", "--history", db, "--metric", "cpu.percent", "--metric", "memory.rss_peak", "--metric", "availability", "h")
	for _, want := range []string{"h/steady cpu.percent: 2 runs", "h/steady memory.rss_peak: 2 runs", "h/steady availability: 2 runs"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("exit %d, output lacks %q:\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
}
