package history

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/perfplan/perfplan/history/series"
	"github.com/perfplan/perfplan/internal/pgtest"
)

// TestMain stops the throw-away PostgreSQL server that the tests of both
// stores start (see forEachStore).
func TestMain(m *testing.M) { pgtest.Main(m) }

// forEachStore runs test against each kind of store, SQLite and PostgreSQL,
// with a function that opens an empty store of that kind. PostgreSQL's
// tests skip where it is not installed, unless PERFPLAN_REQUIRE_POSTGRES is
// set (test.sh sets it), in which case they fail.
func forEachStore(t *testing.T, test func(t *testing.T, open func(*testing.T) *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, openTemp)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, openPostgresTemp)
	})
}

// openPostgresTemp opens a store in a new database of the shared server.
func openPostgresTemp(t *testing.T) *Store {
	t.Helper()
	url := pgtest.Shared(t).NewDatabase(t)
	s, err := Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestIsURLRedact(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"postgres://u:secret@h/db", "postgresql://h/db"} {
		if !IsURL(p) {
			t.Errorf("IsURL(%q) = false", p)
		}
	}
	if IsURL(".perfplan/history.db") || IsURL("postgres.db") {
		t.Error("a file is a URL")
	}
	if got := Redact("postgres://u:secret@h:5432/db?sslmode=require"); got != "postgres://u:xxxxx@h:5432/db?sslmode=require" {
		t.Errorf("Redact = %q", got)
	}
	if got := rebind(`SELECT a FROM t WHERE ? = '' OR b = ? AND c = ?`); got != `SELECT a FROM t WHERE $1 = '' OR b = $2 AND c = $3` {
		t.Errorf("rebind = %q", got)
	}
}

// TestStoresAgree records the same documents in a SQLite and a PostgreSQL
// store and checks that they answer every query the same way: runs, plans,
// keys, series (so trends and change points), the latest and the last good
// run.
func TestStoresAgree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lite, pg := openTemp(t), openPostgresTemp(t)
	for i := range 30 {
		// A level of 10 with a fixed wiggle of ±0.2, then a shift.
		v := 10 + 0.2*[]float64{-1, 0.5, 1, -0.5, 0}[i%5]
		if i >= 15 {
			v += 3 // a shift for E-Divisive to find
		}
		d := doc("p", v, fmt.Sprintf("c%02d", i), 2)
		d.Start = d.Start.Add(time.Duration(i) * time.Hour)
		if i%7 == 3 {
			d.Plans[0].Passed = false
			d.ExitCode = 1
		}
		for _, s := range []*Store{lite, pg} {
			if err := s.Append(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, s := range []*Store{lite, pg} {
		if err := s.Append(ctx, doc("Q-upper", 1, "q", 1)); err != nil {
			t.Fatal(err)
		}
	}
	same := func(what string, a, b any, errA, errB error) {
		t.Helper()
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v, %v", what, errA, errB)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s differ:\nsqlite   %+v\npostgres %+v", what, a, b)
		}
	}
	ra, ea := lite.Runs(ctx, "")
	rb, eb := pg.Runs(ctx, "")
	same("runs", ra, rb, ea, eb)
	pa, ea := lite.Plans(ctx)
	pb, eb := pg.Plans(ctx)
	same("plans", pa, pb, ea, eb)
	ka, ea := lite.Keys(ctx, "")
	kb, eb := pg.Keys(ctx, "")
	same("keys", ka, kb, ea, eb)
	k := series.Key{Plan: "p", Scenario: "steady", Metric: "latency.p99"}
	sa, ea := lite.Series(ctx, k)
	sb, eb := pg.Series(ctx, k)
	same("series", sa, sb, ea, eb)
	vals := make([]float64, len(sb))
	for i, p := range sb {
		vals[i] = p.Value
	}
	cps := series.ChangePoints(vals, series.DefaultChangePointOptions())
	if len(cps) != 1 || cps[0].Index != 15 {
		t.Errorf("change points in PostgreSQL's series: %+v, want one at 15", cps)
	}
	la, ea := lite.Latest(ctx, "p")
	lb, eb := pg.Latest(ctx, "p")
	same("latest", la, lb, ea, eb)
	ga, skA, ea := lite.LatestGood(ctx, "p")
	gb, skB, eb := pg.LatestGood(ctx, "p")
	same("last good run", ga, gb, ea, eb)
	same("passed over", skA, skB, nil, nil)
	na, ea := lite.Count(ctx)
	nb, eb := pg.Count(ctx)
	same("count", na, nb, ea, eb)
}

// TestPostgresConcurrentWriters starts 50 writer processes at once (the
// test binary again, as TestHelperWriter) against one PostgreSQL database
// that has no tables yet, so that they race to create the schema and then
// to append, and counts the rows: every run and every document must be
// there.
func TestPostgresConcurrentWriters(t *testing.T) {
	t.Parallel()
	const procs, perProc, reps = 50, 4, 2
	url := pgtest.Shared(t).NewDatabase(t)
	runWriters(t, url, procs, perProc)
	ctx := context.Background()
	s, err := Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var docs, runs, metrics int
	for q, n := range map[string]*int{`SELECT COUNT(*) FROM documents`: &docs, `SELECT COUNT(*) FROM runs`: &runs, `SELECT COUNT(*) FROM metrics`: &metrics} {
		if err := s.db.QueryRowContext(ctx, q).Scan(n); err != nil {
			t.Fatal(err)
		}
	}
	// Each run of doc() records 26 metrics (total, two ops, dropped,
	// target.hit_ratio).
	if docs != procs*perProc || runs != procs*perProc*reps || metrics != runs*perRunMetrics(t) {
		t.Errorf("rows: %d documents, %d runs, %d metrics; want %d, %d, %d", docs, runs, metrics, procs*perProc, procs*perProc*reps, procs*perProc*reps*perRunMetrics(t))
	}
	for i := 0; i < procs; i++ {
		rs, err := s.Runs(ctx, fmt.Sprintf("p%d", i))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, r := range rs {
			got[r.Commit]++
		}
		for j := 0; j < perProc; j++ {
			if c := fmt.Sprintf("c%d-%d", i, j); got[c] != reps {
				t.Errorf("writer %d: %d runs of document %s, want %d", i, got[c], c, reps)
			}
		}
	}
}

// perRunMetrics is the number of metrics Append records for one run of doc.
func perRunMetrics(t *testing.T) int {
	t.Helper()
	d := doc("p", 1, "c", 1)
	return len(ScenarioMetrics(&d.Plans[0].Scenarios[0]))
}
