package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfplan/perfplan/history"
	"github.com/perfplan/perfplan/internal/pgtest"
)

// segmentPlanSrc has a shared-iterations scenario and a ramping arrival
// rate of three stages (50 + 100 + 50 iterations).
const segmentPlanSrc = `
plan "segmented" {}

target "noop" "t" {}

workload "w" {
  target = target.noop.t
  op "get" { weight = 1 }
  keys { count = 100 }
}

scenario "shared" {
  workload   = workload.w
  executor   = "shared-iterations"
  vus        = 3
  iterations = 1001

  assert {
    condition = ops == 1001
  }
}

scenario "ramp" {
  workload          = workload.w
  executor          = "ramping-arrival-rate"
  start_rate        = 0
  pre_allocated_vus = 3
  max_vus           = 30

  stage {
    duration = "500ms"
    target   = 200
  }
  stage {
    duration = "500ms"
    target   = 200
  }
  stage {
    duration = "500ms"
    target   = 0
  }

  # Each segment may miss the last iteration of a stage when its worker
  # wakes for it only after the stage ended (a loaded machine): at most one
  # per stage and segment.
  assert {
    condition = ops + dropped >= 194 && ops + dropped <= 200
  }
}
`

func writeSrc(t *testing.T, dir, name, src string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runSegments runs n segments of plan at once with a common start and
// returns their documents' paths.
func runSegments(t *testing.T, dir, plan string, n int, extra ...string) []string {
	t.Helper()
	start := strconv.FormatInt(time.Now().Add(3*time.Second).Unix(), 10)
	docs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		docs[i] = filepath.Join(dir, fmt.Sprintf("seg%d.json", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append([]string{"run", "--quiet", "--segment", fmt.Sprintf("%d/%d", i, n), "--start-at", start, "--out", "json=" + docs[i]}, extra...)
			r := run(t, append(args, plan)...)
			noted := strings.Contains(r.stderr, "is not recorded in the history")
			if r.code != 0 || noted == slices.Contains(extra, "--no-history") {
				t.Errorf("segment %d/%d: exit %d\n%s%s", i, n, r.code, r.stdout, r.stderr)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return docs
}

// TestSegmentsMerge runs a plan as two segments and merges them: the
// shared iterations add up exactly, the arrival rate's iterations too
// (each run or dropped), the assertions that only the whole plan meets pass
// on the merged run, and the merged run is recorded in the history.
func TestSegmentsMerge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plan := writeSrc(t, dir, "segmented.hcl", segmentPlanSrc)
	docs := runSegments(t, dir, plan, 2)
	for _, d := range docs {
		doc := readRunDoc(t, d)
		if p := doc.Plans[0]; p.Segment == nil || p.Scenarios[0].Total.Ops == 1001 || p.Passed {
			t.Errorf("%s: segment %v, %d shared iterations, passed %v", d, p.Segment, p.Scenarios[0].Total.Ops, p.Passed)
		}
	}
	hist := filepath.Join(dir, "history.db")
	out := filepath.Join(dir, "merged.json")
	r := run(t, "merge", "--history", hist, "--out", "json="+out, "--out", "markdown="+filepath.Join(dir, "merged.md"), docs[0], docs[1])
	if r.code != 0 || !strings.Contains(r.stdout, "merged verdict: PASS") || !strings.Contains(r.stdout, "segments 0/2, 1/2") {
		t.Fatalf("merge: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	m := readRunDoc(t, out)
	shared, ramp := m.Plans[0].Scenarios[0], m.Plans[0].Scenarios[1]
	if shared.Total.Ops != 1001 || ramp.Total.Ops+ramp.Dropped > 200 || ramp.Total.Ops+ramp.Dropped < 194 || !m.Passed || m.ExitCode != 0 {
		t.Errorf("merged: %d shared iterations, %d+%d arrivals, passed %v", shared.Total.Ops, ramp.Total.Ops, ramp.Dropped, m.Passed)
	}
	store, err := history.Open(hist)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if runs, err := store.Runs(context.Background(), "segmented"); err != nil || len(runs) != 1 {
		t.Errorf("history holds %v (%v), want the merged run", runs, err)
	}

	// The arrival rate run whole issues as many iterations as its segments.
	whole := filepath.Join(dir, "whole.json")
	if r := run(t, "run", "--quiet", "--no-history", "--out", "json="+whole, plan); r.code != 0 {
		t.Fatalf("whole run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	w := readRunDoc(t, whole).Plans[0].Scenarios[1]
	if d := (w.Total.Ops + w.Dropped) - (ramp.Total.Ops + ramp.Dropped); d > 6 || d < -3 {
		t.Errorf("whole run: %d+%d arrivals, segments %d+%d", w.Total.Ops, w.Dropped, ramp.Total.Ops, ramp.Dropped)
	}

	// A merged verdict that fails exits 1; documents that cannot be merged
	// exit 2 and say why.
	failing := strings.Replace(segmentPlanSrc, "condition = ops == 1001", "condition = ops == 1000", 1)
	fdir := t.TempDir()
	fdocs := runSegments(t, fdir, writeSrc(t, fdir, "segmented.hcl", failing), 2, "--no-history")
	if r := run(t, "merge", "--no-history", fdocs[0], fdocs[1]); r.code != 1 || !strings.Contains(r.stdout, "merged verdict: FAIL") {
		t.Errorf("failing merge: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	other := readRunDoc(t, docs[1])
	other.Plans[0].Name = "other"
	otherPath := filepath.Join(dir, "other.json")
	if err := other.WriteFile(otherPath); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{docs[0]}, "missing segment 1 of 2"},
		{[]string{docs[0], docs[0]}, "overlapping segments"},
		{[]string{docs[0], fdocs[1]}, "different plan versions"},
		{[]string{docs[0], otherPath}, "different plans"},
		{[]string{docs[0], whole}, "is a whole run, not a segment"},
		{[]string{fdir}, "different plan versions"},
	} {
		args := append([]string{"merge", "--no-history"}, tc.args...)
		if tc.args[0] == fdir {
			// A directory: its documents, with one of the other plan's.
			if err := os.WriteFile(filepath.Join(fdir, "seg1.json"), mustRead(t, docs[1]), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if r := run(t, args...); r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("merge %v: exit %d, want 2 and %q\n%s", tc.args, r.code, tc.want, r.stderr)
		}
	}
	r = run(t, "merge", "--no-history", "--allow-partial", "--out", "json="+filepath.Join(dir, "partial.json"), docs[0])
	if r.code != 1 || !strings.Contains(r.stdout, "PARTIAL: 1 of 2 segments") {
		t.Errorf("partial merge: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMergePostgresHistory records a merged run in a PostgreSQL history
// (PERFPLAN_HISTORY set to its URL) and reads it back with perfplan
// history.
func TestMergePostgresHistory(t *testing.T) {
	t.Parallel()
	url := pgtest.Shared(t).NewDatabase(t)
	dir := t.TempDir()
	src := strings.ReplaceAll(segmentPlanSrc, `duration = "500ms"`, `duration = "100ms"`)
	plan := writeSrc(t, dir, "segmented.hcl", strings.Replace(src, "ops + dropped >= 194 && ops + dropped <= 200", "ops + dropped >= 34 && ops + dropped <= 40", 1))
	docs := runSegments(t, dir, plan, 2, "--no-history")
	env := []string{history.EnvVar + "=" + url}
	if r := runEnv(t, env, "merge", docs[0], docs[1]); r.code != 0 || strings.Contains(r.stderr, "not recorded") {
		t.Fatalf("merge: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := runEnv(t, env, "history", "segmented", "--metric", "ops")
	if r.code != 0 || !strings.Contains(r.stdout, "segmented/shared ops: 1 runs") {
		t.Errorf("history: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestSegmentFlags(t *testing.T) {
	t.Parallel()
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--segment", "2/2"}, "segment index 2 out of range"},
		{[]string{"--segment", "x"}, "want INDEX/COUNT"},
		{[]string{"--start-at", "2001-01-01T00:00:00Z"}, "in the past"},
		{[]string{"--start-at", "4102444800"}, "more than 24h"},
		{[]string{"--start-at", "tomorrow"}, "RFC 3339"},
		{[]string{"--segment", "0/2", "--mode", "regression"}, "--mode regression compares whole runs"},
		{[]string{"--segment", "0/2", "--start-at", future, "testdata/breakpoint.hcl"}, "breakpoint executor cannot run as a segment"},
	} {
		args := append([]string{"run", "--quiet"}, tc.args...)
		if !strings.HasSuffix(args[len(args)-1], ".hcl") {
			args = append(args, "testdata/vars.hcl")
		}
		if r := run(t, args...); r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s", tc.args, r.code, tc.want, r.stderr)
		}
	}
	r := run(t, "run", "-h")
	for _, flag := range []string{"-segment I/N", "-start-at TIME"} {
		if !strings.Contains(r.stderr, flag) {
			t.Errorf("run -h lacks %s:\n%s", flag, r.stderr)
		}
	}
	if r := run(t, "--help"); !strings.Contains(r.stdout, "perfplan merge [flags] RUN.json") {
		t.Errorf("--help lacks merge:\n%s", r.stdout)
	}
	if r := run(t, "merge", "-h"); r.code != 0 || !strings.Contains(r.stderr, "-allow-partial") {
		t.Errorf("merge -h: exit %d\n%s", r.code, r.stderr)
	}
}
