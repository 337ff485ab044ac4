package history

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/perfplan/perfplan/history/series"
	"github.com/perfplan/perfplan/report"
)

func doc(plan string, p99ms float64, commit string, reps int) *report.Document {
	d := &report.Document{SchemaVersion: report.SchemaVersion, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Environment: report.Environment{GitCommit: commit, Host: "h"}}
	for r := 0; r < reps; r++ {
		d.Plans = append(d.Plans, report.PlanDoc{Name: plan, Passed: true, Scenarios: []report.ScenarioDoc{{
			Name:        "steady",
			Total:       report.OpDoc{Ops: 100, Throughput: 1000, Latency: report.LatencyDoc{P50: int64(p99ms * 1e6 / 3), P99: int64((p99ms + float64(r)) * 1e6)}},
			Ops:         []report.OpDoc{{Name: "get", Ops: 60, Latency: report.LatencyDoc{P99: 1e6}}, {Name: "set", Ops: 40, Latency: report.LatencyDoc{P99: 2e6}}},
			TargetStats: map[string]float64{"hit_ratio": 0.9},
		}}})
	}
	return d
}

func TestStoreRoundTrip(t *testing.T) {
	t.Parallel()
	forEachStore(t, testStoreRoundTrip)
}

func testStoreRoundTrip(t *testing.T, openTemp func(*testing.T) *Store) {
	ctx := context.Background()
	s := openTemp(t)
	for i, v := range []float64{5, 6, 7} {
		if err := s.Append(ctx, doc("p", v, fmt.Sprintf("c%d", i), 3)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Append(ctx, doc("q", 1, "c9", 1)); err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs(ctx, "p")
	if err != nil || len(runs) != 9 || runs[8].Repetition != 3 || runs[0].Commit != "c0" {
		t.Fatalf("runs %+v, %v", runs, err)
	}
	plans, err := s.Plans(ctx)
	if err != nil || len(plans) != 2 {
		t.Fatalf("plans %v, %v", plans, err)
	}
	pts, err := s.Series(ctx, series.Key{Plan: "p", Scenario: "steady", Metric: "latency.p99"})
	if err != nil {
		t.Fatal(err)
	}
	// One point per document: the median of 3 repetitions (v, v+1, v+2).
	if len(pts) != 3 || pts[0].Value != 6 || pts[2].Value != 8 || pts[1].N != 3 || pts[2].Commit != "c2" {
		t.Fatalf("series %+v", pts)
	}
	keys, err := s.Keys(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"latency.p99": false, "op.set.latency.p99": false, "target.hit_ratio": false, "throughput": false}
	for _, k := range keys {
		if _, ok := want[k.Metric]; ok {
			want[k.Metric] = true
		}
	}
	for m, ok := range want {
		if !ok {
			t.Errorf("no series for %s", m)
		}
	}
	latest, err := s.Latest(ctx, "p")
	if err != nil || latest == nil || latest.Environment.GitCommit != "c2" {
		t.Fatalf("latest %+v, %v", latest, err)
	}
	none, err := s.Latest(ctx, "nope")
	if err != nil || none != nil {
		t.Fatalf("latest of unknown plan: %v, %v", none, err)
	}
}

func TestResolvePath(t *testing.T) {
	t.Parallel()
	env := func(v string) func(string) string { return func(string) string { return v } }
	for _, tc := range []struct{ flag, env, want string }{
		{"a.db", "b.db", "a.db"}, {"", "b.db", "b.db"}, {"", "", DefaultPath},
	} {
		if got := ResolvePath(tc.flag, env(tc.env)); got != tc.want {
			t.Errorf("ResolvePath(%q, %q) = %q, want %q", tc.flag, tc.env, got, tc.want)
		}
	}
}

// TestConcurrentProcesses re-executes the test binary as several writer
// processes, each appending documents with goroutines of its own, and checks
// that no row is lost.
func TestConcurrentProcesses(t *testing.T) {
	t.Parallel()
	const procs, perProc = 4, 15
	path := filepath.Join(t.TempDir(), "history.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	var wg sync.WaitGroup
	errs := make(chan error, procs)
	for i := 0; i < procs; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
			cmd.Env = append(os.Environ(), "PERFPLAN_HISTORY_WRITER="+path, "PERFPLAN_HISTORY_N="+strconv.Itoa(perProc), "PERFPLAN_HISTORY_ID="+strconv.Itoa(i))
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("writer %d: %v\n%s", i, err, out)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, err := s.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != procs*perProc*2 {
		t.Errorf("got %d runs, want %d", n, procs*perProc*2)
	}
}

// TestHelperWriter is the writer process of TestConcurrentProcesses and
// TestConcurrentProcessesFreshDatabase. It waits for its standard input to
// close (at once when there is none), so that a test can release all its
// writers at the same moment. Then 3 goroutines each open the store and
// append their share of N documents of plan pID, the i-th with commit cID-i.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv("PERFPLAN_HISTORY_WRITER")
	if path == "" {
		t.Skip("helper process for TestConcurrentProcesses")
	}
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(os.Getenv("PERFPLAN_HISTORY_N"))
	id := os.Getenv("PERFPLAN_HISTORY_ID")
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			// Each goroutine opens the store of its own: more openers race.
			s, err := Open(path)
			if err != nil {
				t.Error(err)
				return
			}
			for i := g; i < n; i += 3 {
				if err := s.Append(context.Background(), doc("p"+id, float64(i), fmt.Sprintf("c%s-%d", id, i), 2)); err != nil {
					t.Error(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		}(g)
	}
	wg.Wait()
}

// TestConcurrentProcessesFreshDatabase starts 50 writer processes at once on
// a database that does not exist yet, so that they race to create the
// directory and the file, to switch it to write-ahead logging and to create
// the schema, and then to append. Every run must be there, and the database
// must pass SQLite's integrity check.
func TestConcurrentProcessesFreshDatabase(t *testing.T) {
	t.Parallel()
	const procs, perProc, reps = 50, 4, 2
	path := filepath.Join(t.TempDir(), "new", "history.db")
	runWriters(t, path, procs, perProc)
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Count(ctx); err != nil || n != procs*perProc*reps {
		t.Errorf("got %d runs (%v), want %d", n, err, procs*perProc*reps)
	}
	for i := 0; i < procs; i++ {
		runs, err := s.Runs(ctx, fmt.Sprintf("p%d", i))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, r := range runs {
			got[r.Commit]++
		}
		for j := 0; j < perProc; j++ {
			if c := fmt.Sprintf("c%d-%d", i, j); got[c] != reps {
				t.Errorf("writer %d: %d runs of document %s, want %d", i, got[c], c, reps)
			}
		}
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal mode %q (%v), want wal", mode, err)
	}
	rows, err := s.db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		problems = append(problems, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		t.Errorf("integrity check: %v", problems)
	}
}

// runWriters starts procs writer processes (TestHelperWriter), each
// appending perProc runs to the history at url, lets them all go at once
// when every one is running, and waits for them.
func runWriters(t *testing.T, url string, procs, perProc int) {
	t.Helper()
	cmds := make([]*exec.Cmd, procs)
	outs := make([]bytes.Buffer, procs)
	gates := make([]io.WriteCloser, procs)
	t.Cleanup(func() {
		for _, gate := range gates {
			if gate != nil {
				gate.Close()
			}
		}
	})
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), "PERFPLAN_HISTORY_WRITER="+url, "PERFPLAN_HISTORY_N="+strconv.Itoa(perProc), "PERFPLAN_HISTORY_ID="+strconv.Itoa(i))
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		gate, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i], gates[i] = cmd, gate
	}
	// Every writer is running (and blocked on its standard input): let them
	// all go.
	for _, gate := range gates {
		gate.Close()
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer %d: %v\n%s", i, err, outs[i].String())
		}
	}
}
