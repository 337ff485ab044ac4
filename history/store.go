// Package history keeps every run in an embedded SQLite database (through
// the pure-Go modernc.org/sqlite driver: no cgo, no server), or in a
// PostgreSQL database that a team shares (a postgres:// URL, through
// github.com/jackc/pgx; see IsURL), and analyses each metric's series: its
// trend and its change points.
//
// The store is safe with concurrent writers, in one process or many, also
// when they create the database at the same time: it uses write-ahead
// logging, a busy timeout and immediate transactions, so a writer waits for
// the lock instead of failing, and it retries with a bounded backoff the few
// operations for which SQLite reports "database is locked" without waiting
// (see retryBusy).
package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the pure-Go "sqlite" database/sql driver

	"github.com/perfplan/perfplan/history/series"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/report"
)

// DefaultPath is where the store lives unless --history or
// PERFPLAN_HISTORY says otherwise.
const DefaultPath = ".perfplan/history.db"

// EnvVar names the environment variable that moves the store.
const EnvVar = "PERFPLAN_HISTORY"

// BusyTimeout is how long a writer waits for another writer's lock.
const BusyTimeout = 30 * time.Second

// schemaVersion is the PRAGMA user_version of a store whose schema is
// complete; init creates the schema only in a store with a smaller one.
const schemaVersion = 1

const schema = `
CREATE TABLE IF NOT EXISTS documents (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	start      TEXT NOT NULL,
	git_commit TEXT NOT NULL DEFAULT '',
	host       TEXT NOT NULL DEFAULT '',
	document   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	document_id INTEGER NOT NULL REFERENCES documents(id),
	plan        TEXT NOT NULL,
	repetition  INTEGER NOT NULL,
	start       TEXT NOT NULL,
	passed      INTEGER NOT NULL,
	grade       REAL NOT NULL,
	error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_plan ON runs(plan, id);
CREATE TABLE IF NOT EXISTS metrics (
	run_id   INTEGER NOT NULL REFERENCES runs(id),
	scenario TEXT NOT NULL,
	metric   TEXT NOT NULL,
	value    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_key ON metrics(scenario, metric, run_id);
`

// Store is an open history database.
type Store struct {
	db *sqlDB
	// path is the SQLite file, or the PostgreSQL URL without its password.
	path string
	// writeMu serialises this store's writers: they would only queue for
	// SQLite's write lock, each in a connection of its own, and make the
	// queue of other processes longer.
	writeMu sync.Mutex
}

// ResolvePath picks the store's path: flag if set, else the environment
// variable PERFPLAN_HISTORY (looked up with getenv), else DefaultPath.
func ResolvePath(flag string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	if getenv != nil {
		if v := getenv(EnvVar); v != "" {
			return v
		}
	}
	return DefaultPath
}

// Open opens (creating if needed, with its directory) the store at path. It
// is OpenContext with context.Background().
func Open(path string) (*Store, error) {
	return OpenContext(context.Background(), path)
}

// OpenContext opens (creating if needed, with its directory) the store at
// path. Any number of processes may open, and create, the same store at the
// same time: it waits (up to BusyTimeout, or until ctx is done) while
// another one holds the lock. A postgres:// URL opens a PostgreSQL store
// (see IsURL), creating its tables in the database if needed.
func OpenContext(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("history: empty path")
	}
	if IsURL(path) {
		return openPostgres(ctx, path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("history: create %s: %w", dir, err)
		}
	}
	// Only settings of the connection here: each new connection of the pool
	// runs them. journal_mode=WAL, which is a setting of the file and takes
	// a write lock to change it, is set once, by init.
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", path, err)
	}
	s := &Store{db: &sqlDB{DB: db}, path: path}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// init switches the database to write-ahead logging and creates the schema,
// both of which may race with other processes doing the same on a new
// database.
//
// PRAGMA journal_mode=WAL reads the file's header, and then needs the write
// lock to change it; SQLite does not wait for a lock a reader needs to
// upgrade to (that could deadlock), so when another process holds it, the
// pragma fails at once with SQLITE_BUSY: retryBusy repeats it. Once one
// process has switched the file, the pragma finds it in WAL mode and writes
// nothing. The schema is created with IF NOT EXISTS in an immediate
// transaction, which waits for the write lock and so runs one process at a
// time, and which sets the user_version to schemaVersion; a store that has
// it already is not written to at all.
func (s *Store) init(ctx context.Context) error {
	err := retryBusy(ctx, func(ctx context.Context) error {
		var mode string
		return s.db.QueryRowContext(ctx, `PRAGMA journal_mode=WAL`).Scan(&mode)
	})
	if err != nil {
		return fmt.Errorf("history: %s: set journal mode: %w", s.path, err)
	}
	err = retryBusy(ctx, func(ctx context.Context) error {
		var version int
		if err := s.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
			return err
		}
		if version >= schemaVersion {
			return nil
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, schema); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)); err != nil {
			return err
		}
		return tx.Commit()
	})
	if err != nil {
		return fmt.Errorf("history: %s: create schema: %w", s.path, err)
	}
	return nil
}

// Close closes the store.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("history: close %s: %w", s.path, err)
	}
	return nil
}

// Path returns the store's file, or its PostgreSQL URL without the
// password.
func (s *Store) Path() string { return s.path }

// Append records a run document: the document itself, one run per plan
// (repetitions numbered from 1) and the metrics of each scenario, named as
// assertions name them (latency.p99 in milliseconds, throughput,
// error_rate, op.NAME.latency.p99, target.STAT, ...). It is one
// transaction, repeated if SQLite reports the database locked without
// waiting (see retryBusy). It refuses a document that CheckRecordable
// rejects: an interrupted run, or one in which a plan could not run.
func (s *Store) Append(ctx context.Context, d *report.Document) error {
	if err := CheckRecordable(d); err != nil {
		return err
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("history: encode document: %w", err)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := retryBusy(ctx, func(ctx context.Context) error { return s.append(ctx, d, raw) }); err != nil {
		return fmt.Errorf("history: append: %w", err)
	}
	return nil
}

// append is one attempt of Append: raw is d encoded.
func (s *Store) append(ctx context.Context, d *report.Document, raw []byte) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// RETURNING, which both SQLite and PostgreSQL have: the pgx driver
	// has no LastInsertId.
	var docID int64
	err = tx.QueryRowContext(ctx, `INSERT INTO documents(start, git_commit, host, document) VALUES(?, ?, ?, ?) RETURNING id`,
		d.Start.UTC().Format(time.RFC3339Nano), d.Environment.GitCommit, d.Environment.Host, string(raw)).Scan(&docID)
	if err != nil {
		return fmt.Errorf("document: %w", err)
	}
	metricStmt, err := tx.PrepareContext(ctx, `INSERT INTO metrics(run_id, scenario, metric, value) VALUES(?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer metricStmt.Close()
	reps := map[string]int{}
	for i := range d.Plans {
		p := &d.Plans[i]
		reps[p.Name]++
		score, _ := report.Grade(*p)
		start := p.Start
		if start.IsZero() {
			start = d.Start
		}
		var runID int64
		err := tx.QueryRowContext(ctx, `INSERT INTO runs(document_id, plan, repetition, start, passed, grade, error) VALUES(?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			docID, p.Name, reps[p.Name], start.UTC().Format(time.RFC3339Nano), p.Passed && p.Error == "", score, p.Error).Scan(&runID)
		if err != nil {
			return fmt.Errorf("run %s: %w", p.Name, err)
		}
		for _, sc := range p.Scenarios {
			for name, v := range ScenarioMetrics(&sc) {
				if _, err := metricStmt.ExecContext(ctx, runID, sc.Name, name, v); err != nil {
					return fmt.Errorf("metric %s: %w", name, err)
				}
			}
		}
	}
	return tx.Commit()
}

// ScenarioMetrics returns the figures of a scenario that history keeps,
// named as in assertions: latencies in milliseconds. That is every metric
// an assertion can read that has a value, resources and availability
// included (per operation only with more than one operation), but
// baseline.*.
func ScenarioMetrics(s *report.ScenarioDoc) map[string]float64 {
	m := map[string]float64{}
	add := func(prefix string, o *report.OpDoc) {
		m[prefix+"ops"] = float64(o.Ops)
		m[prefix+"errors"] = float64(o.Errors)
		m[prefix+"error_rate"] = o.ErrorRate
		m[prefix+"throughput"] = o.Throughput
		// The families every executor measures, as recorded (latency
		// without the stall correction); the open-only ones are read
		// below, as the scenario resolves them.
		for _, fam := range plan.LatencyFamilies() {
			if l := o.Family(fam.Family); l != nil && !fam.OpenOnly {
				for _, f := range plan.LatencyFields {
					m[prefix+string(fam.Family)+"."+f] = float64(l.Field(f)) / 1e6
				}
			}
		}
	}
	add("", &s.Total)
	if len(s.Ops) > 1 {
		for i := range s.Ops {
			add("op."+s.Ops[i].Name+".", &s.Ops[i])
		}
	}
	m["dropped"] = float64(s.Dropped)
	for k, v := range s.TargetStats {
		m["target."+k] = v
	}
	// Every other name an assertion can read, as the scenario resolves
	// it: those without a value (no resources sampled, another executor's
	// figures, a closed model's open-only latency families) are left out.
	names := append([]string{"vus_max", "elapsed", "availability", "availability_windows",
		"breaking_point", "recovery_time", "stability"}, plan.ResourceMetrics...)
	names = append(names, plan.IOMetrics...)
	prefixes := []string{""}
	if len(s.Ops) > 1 {
		for i := range s.Ops {
			prefixes = append(prefixes, "op."+s.Ops[i].Name+".")
		}
	}
	for _, p := range prefixes {
		for _, f := range plan.LatencyFields {
			for _, fam := range plan.OpenFamilies() {
				names = append(names, p+fam+"."+f)
			}
		}
	}
	for _, name := range names {
		if v, ok := s.Metric(name); ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			m[name] = v
		}
	}
	return m
}

// Run is one recorded plan run.
type Run struct {
	ID         int64
	DocumentID int64
	Plan       string
	Repetition int
	Start      time.Time
	Commit     string
	Passed     bool
	Grade      float64
	Error      string
}

// Runs lists the runs of plan (all plans when plan is ""), oldest first.
func (s *Store) Runs(ctx context.Context, plan string) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.document_id, r.plan, r.repetition, r.start, d.git_commit, r.passed, r.grade, r.error
		FROM runs r JOIN documents d ON d.id = r.document_id WHERE ? = '' OR r.plan = ? ORDER BY r.id`, plan, plan)
	if err != nil {
		return nil, fmt.Errorf("history: runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var start string
		if err := rows.Scan(&r.ID, &r.DocumentID, &r.Plan, &r.Repetition, &start, &r.Commit, &r.Passed, &r.Grade, &r.Error); err != nil {
			return nil, fmt.Errorf("history: runs: %w", err)
		}
		r.Start, _ = time.Parse(time.RFC3339Nano, start)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: runs: %w", err)
	}
	return out, nil
}

// Plans lists the plan names in the store, sorted (by bytes, whatever
// the database's collation).
func (s *Store) Plans(ctx context.Context) ([]string, error) {
	out, err := s.strings(ctx, `SELECT DISTINCT plan FROM runs`)
	sort.Strings(out)
	return out, err
}

func (s *Store) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("history: query: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("history: query: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: query: %w", err)
	}
	return out, nil
}

// Keys lists the series of plan (every plan when ""), sorted.
func (s *Store) Keys(ctx context.Context, plan string) ([]series.Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT r.plan, m.scenario, m.metric FROM metrics m JOIN runs r ON r.id = m.run_id
		WHERE ? = '' OR r.plan = ? ORDER BY r.plan, m.scenario, m.metric`, plan, plan)
	if err != nil {
		return nil, fmt.Errorf("history: keys: %w", err)
	}
	defer rows.Close()
	var out []series.Key
	for rows.Next() {
		var k series.Key
		if err := rows.Scan(&k.Plan, &k.Scenario, &k.Metric); err != nil {
			return nil, fmt.Errorf("history: keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: keys: %w", err)
	}
	// By bytes, whatever the database's collation.
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Plan != b.Plan {
			return a.Plan < b.Plan
		}
		if a.Scenario != b.Scenario {
			return a.Scenario < b.Scenario
		}
		return a.Metric < b.Metric
	})
	return out, nil
}

// Series returns a metric's series, one point per recorded document, oldest
// first.
func (s *Store) Series(ctx context.Context, k series.Key) ([]series.Point, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.document_id, r.id, r.start, d.git_commit, m.value
		FROM metrics m JOIN runs r ON r.id = m.run_id JOIN documents d ON d.id = r.document_id
		WHERE r.plan = ? AND m.scenario = ? AND m.metric = ? ORDER BY r.document_id, r.id`, k.Plan, k.Scenario, k.Metric)
	if err != nil {
		return nil, fmt.Errorf("history: series %s: %w", k, err)
	}
	defer rows.Close()
	var out []series.Point
	var vals []float64
	flush := func() {
		if len(vals) == 0 {
			return
		}
		sort.Float64s(vals)
		mid := len(vals) / 2
		v := vals[mid]
		if len(vals)%2 == 0 {
			v = (vals[mid-1] + vals[mid]) / 2
		}
		out[len(out)-1].Value = v
		out[len(out)-1].N = len(vals)
		vals = vals[:0]
	}
	for rows.Next() {
		var p series.Point
		var start string
		var v float64
		if err := rows.Scan(&p.DocumentID, &p.RunID, &start, &p.Commit, &v); err != nil {
			return nil, fmt.Errorf("history: series %s: %w", k, err)
		}
		if len(out) == 0 || out[len(out)-1].DocumentID != p.DocumentID {
			flush()
			p.Start, _ = time.Parse(time.RFC3339Nano, start)
			out = append(out, p)
		}
		vals = append(vals, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: series %s: %w", k, err)
	}
	flush()
	return out, nil
}

// Latest returns the most recent document that ran plan without error, or
// nil when there is none. The run may have failed its assertions or, in a
// store written before interrupted runs were refused, have been
// interrupted: the base of a regression check comes from LatestGood.
func (s *Store) Latest(ctx context.Context, plan string) (*report.Document, error) {
	var raw string
	err := s.db.QueryRowContext(ctx, `SELECT d.document FROM documents d JOIN runs r ON r.document_id = d.id
		WHERE r.plan = ? AND r.error = '' ORDER BY d.id DESC LIMIT 1`, plan).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: latest %s: %w", plan, err)
	}
	d, err := report.ReadDocument(strings.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("history: latest %s: %w", plan, err)
	}
	return d, nil
}

// Count returns the number of recorded runs (plan runs, repetitions
// included).
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM runs`).Scan(&n); err != nil {
		return 0, fmt.Errorf("history: count: %w", err)
	}
	return n, nil
}
