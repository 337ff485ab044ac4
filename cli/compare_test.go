package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/compare"
	"github.com/perfplan/perfplan/history"
	"github.com/perfplan/perfplan/report"
)

// seriesDoc is a run document of one plan with per-second intervals whose
// p50 is p50 (with a little deterministic spread).
func seriesDoc(p50 time.Duration, commit string) *report.Document {
	s := report.ScenarioDoc{Name: "steady", Executor: "constant-vus",
		Total: report.OpDoc{Ops: 3000, Throughput: 100, Latency: report.LatencyDoc{P50: int64(p50), P99: int64(3 * p50)}}}
	for i := 0; i < 30; i++ {
		f := 1 + 0.01*float64(i%7-3)
		s.Series = append(s.Series, report.SeriesDoc{OffsetNS: int64(i) * int64(time.Second), Ops: 100, Throughput: 100 / f,
			P50NS: int64(float64(p50) * f), P90NS: int64(2 * float64(p50) * f), P99NS: int64(3 * float64(p50) * f)})
	}
	return &report.Document{SchemaVersion: report.SchemaVersion, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Environment: report.Environment{GitCommit: commit},
		Plans:       []report.PlanDoc{{Name: "p", Passed: true, Scenarios: []report.ScenarioDoc{s}}}}
}

// shortDoc is seriesDoc cut to n intervals: too few for a verdict from one
// run per side.
func shortDoc(p50 time.Duration, n int) *report.Document {
	d := seriesDoc(p50, "short")
	s := &d.Plans[0].Scenarios[0]
	s.Series = s.Series[:n]
	return d
}

func writeDoc(t *testing.T, d *report.Document) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.json")
	if err := d.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(cmd func(Env, []string) int, environ []string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := cmd(Env{Stdout: &out, Stderr: &errb, Environ: environ}, args)
	return code, out.String(), errb.String()
}

func TestCompareCommand(t *testing.T) {
	t.Parallel()
	base := writeDoc(t, seriesDoc(time.Millisecond, "a"))
	same := writeDoc(t, seriesDoc(time.Millisecond, "b"))
	slow := writeDoc(t, seriesDoc(1300*time.Microsecond, "c"))
	shortBase := writeDoc(t, shortDoc(time.Millisecond, 6))
	shortSlow := writeDoc(t, shortDoc(2*time.Millisecond, 6))
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unchanged", []string{base, same}, ExitOK, "no significant regression"},
		{"slower", []string{base, slow, "--threshold", "5%"}, ExitFailed, "High"},
		{"below threshold", []string{"--threshold=50%", base, slow}, ExitOK, "below the 50% threshold"},
		{"one run, too short", []string{shortBase, shortSlow}, ExitOK, "rerun both sides with --count"},
		{"one file", []string{base}, ExitUsage, ""},
		{"bad threshold", []string{base, slow, "--threshold", "x"}, ExitUsage, ""},
		{"missing file", []string{base, filepath.Join(t.TempDir(), "nope.json")}, ExitUsage, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(compareCommand, nil, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
		})
	}
}

func TestReportCommand(t *testing.T) {
	t.Parallel()
	path := writeDoc(t, seriesDoc(time.Millisecond, "a"))
	for _, tc := range []struct {
		format string
		code   int
		want   string
	}{
		{"table", ExitOK, "plan p"},
		{"markdown", ExitOK, "## perfplan results"},
		{"csv", ExitOK, "plan,repetition"},
		{"junit", ExitOK, "<testsuites"},
		{"json", ExitOK, `"schema_version": 1`},
		{"html", ExitOK, "<!DOCTYPE html>"},
		{"pdf", ExitUsage, ""},
	} {
		t.Run(tc.format, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(reportCommand, nil, path, "--format", tc.format)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
		})
	}
}

func TestHistoryCommand(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "h.db")
	store, err := history.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		p50 := time.Millisecond + time.Duration(i%3)*10*time.Microsecond
		if i >= 25 {
			p50 += 300 * time.Microsecond
		}
		if err := store.Append(context.Background(), seriesDoc(p50, "commit"+string(rune('a'+i%26)))); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	code, out, errOut := run(historyCommand, []string{history.EnvVar + "=" + path}, "p", "--metric", "latency.p50")
	if code != ExitOK || !strings.Contains(out, "change point at run #26") || !strings.Contains(out, "◀ shift") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, _ = run(historyCommand, nil, "--history", path, "nope")
	if code != ExitOK || !strings.Contains(out, "no history") {
		t.Errorf("unknown plan: exit %d\n%s", code, out)
	}
}

// TestRegressionCheckOneRun checks --mode regression's comparison with one
// run per side (its default --count 1): batch means of the per-second
// series, or no verdict and the advice to use --count when they are too
// short.
func TestRegressionCheckOneRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		base, new *report.Document
		regressed bool
		want      string
	}{
		{"unchanged", seriesDoc(time.Millisecond, "a"), seriesDoc(time.Millisecond, "b"), false, "batch means: "},
		{"30% slower", seriesDoc(time.Millisecond, "a"), seriesDoc(1300*time.Microsecond, "b"), true, "batch means: "},
		{"too short", shortDoc(time.Millisecond, 6), shortDoc(2*time.Millisecond, 6), false, "--count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			got, err := regressionCheck(&out, tc.base, tc.new, compare.DefaultOptions(), "base.json", nil)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.regressed || !strings.Contains(out.String(), tc.want) {
				t.Errorf("regressed = %v, want %v; output lacks %q?\n%s", got, tc.regressed, tc.want, out.String())
			}
		})
	}
}
