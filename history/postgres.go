package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// A team's history can live in PostgreSQL, which every CI runner of the team
// reaches: --history (or PERFPLAN_HISTORY) set to a postgres:// or
// postgresql:// URL, in the form libpq and pgx take
// (postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require; the
// PG* environment variables fill in what it leaves out). The store has the
// same tables, columns and indexes as the SQLite one, in PostgreSQL's types,
// and answers the same queries: the queries are written once, with ?
// placeholders that rebind turns into $1, $2, … for PostgreSQL.
//
// Concurrent writers lose nothing: each Append is one transaction that only
// inserts, with ids from sequences, so writers never conflict; the schema is
// created under a transaction-scoped advisory lock, so that stores opened at
// the same time on an empty database do not race to create it.

// IsURL reports whether path names a PostgreSQL database rather than a
// SQLite file.
func IsURL(path string) bool {
	return strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://")
}

// Redact returns path with any password in it replaced, for messages.
func Redact(path string) string {
	if !IsURL(path) {
		return path
	}
	u, err := url.Parse(path)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// DefaultConnectTimeout is a PostgreSQL history's connect_timeout (the
// whole connection, TLS and start-up included) when its URL does not set
// one: a server that accepts connections and never answers cannot hold a
// run.
const DefaultConnectTimeout = 5 * time.Second

// DefaultStatementTimeout is a PostgreSQL history's statement_timeout (each
// statement, on the server) when its URL does not set one: BusyTimeout, as
// long as a writer waits for another's lock (the schema's advisory lock,
// which many CI jobs starting at once queue for).
const DefaultStatementTimeout = BusyTimeout

// pgTimeouts returns dsn with connect_timeout and statement_timeout set to
// their defaults where it leaves them out, and the two bounds.
func pgTimeouts(dsn string) (out string, connect, statement time.Duration) {
	connect, statement = DefaultConnectTimeout, DefaultStatementTimeout
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn, connect, statement // sql.Open says what is wrong
	}
	q := u.Query()
	if v := q.Get("connect_timeout"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			connect = time.Duration(n) * time.Second
		}
	} else {
		q.Set("connect_timeout", strconv.Itoa(int(DefaultConnectTimeout/time.Second)))
	}
	if v := q.Get("statement_timeout"); v != "" {
		if d, ok := pgDuration(v); ok && d > 0 {
			statement = d
		}
	} else {
		q.Set("statement_timeout", strconv.FormatInt(DefaultStatementTimeout.Milliseconds(), 10))
	}
	u.RawQuery = q.Encode()
	return u.String(), connect, statement
}

// pgDuration parses a PostgreSQL time setting: milliseconds, or a number
// with one of its units (us, ms, s, min, h, d).
func pgDuration(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	i := strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := v, "ms"
	if i >= 0 {
		num, unit = v[:i], strings.TrimSpace(v[i:])
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, false
	}
	units := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second,
		"min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}
	d, ok := units[unit]
	if !ok {
		return 0, false
	}
	return time.Duration(f * float64(d)), true
}

// Timeout is the client-side bound of one use of the store at path (open,
// then an append or a query): for PostgreSQL, its connect_timeout and twice
// its statement_timeout (65s by default), which holds even when the server
// stops answering in the middle of a statement; 0 (no bound) for SQLite,
// which waits for locks BusyTimeout at most.
func Timeout(path string) time.Duration {
	if !IsURL(path) {
		return 0
	}
	_, connect, statement := pgTimeouts(path)
	return connect + 2*statement
}

// pgSchema is schema in PostgreSQL's types: identity columns from
// sequences, BOOLEAN for passed, DOUBLE PRECISION for REAL (which is
// single precision in PostgreSQL).
var pgSchema = []string{
	`CREATE TABLE IF NOT EXISTS documents (
	id         BIGSERIAL PRIMARY KEY,
	start      TEXT NOT NULL,
	git_commit TEXT NOT NULL DEFAULT '',
	host       TEXT NOT NULL DEFAULT '',
	document   TEXT NOT NULL
)`,
	`CREATE TABLE IF NOT EXISTS runs (
	id          BIGSERIAL PRIMARY KEY,
	document_id BIGINT NOT NULL REFERENCES documents(id),
	plan        TEXT NOT NULL,
	repetition  INTEGER NOT NULL,
	start       TEXT NOT NULL,
	passed      BOOLEAN NOT NULL,
	grade       DOUBLE PRECISION NOT NULL,
	error       TEXT NOT NULL DEFAULT ''
)`,
	`CREATE INDEX IF NOT EXISTS runs_plan ON runs(plan, id)`,
	`CREATE TABLE IF NOT EXISTS metrics (
	run_id   BIGINT NOT NULL REFERENCES runs(id),
	scenario TEXT NOT NULL,
	metric   TEXT NOT NULL,
	value    DOUBLE PRECISION NOT NULL
)`,
	`CREATE INDEX IF NOT EXISTS metrics_key ON metrics(scenario, metric, run_id)`,
}

// pgSchemaLock is the advisory lock key under which the schema is created
// ("perf" in ASCII).
const pgSchemaLock = 0x70657266

// openPostgres opens the PostgreSQL store at the URL dsn and creates its
// schema if needed.
func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	name := Redact(dsn)
	dsn, _, _ = pgTimeouts(dsn)
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", name, err)
	}
	// A CLI run needs one connection at a time; a few spare ones serve the
	// goroutines of a program that shares the store.
	raw.SetMaxOpenConns(4)
	raw.SetMaxIdleConns(2)
	s := &Store{db: &sqlDB{DB: raw, postgres: true}, path: name}
	err = retryBusy(ctx, func(ctx context.Context) error {
		// A complete schema (its last index exists: the schema is created
		// in one transaction) is not touched: CREATE INDEX IF NOT EXISTS
		// locks its table even when the index exists, and would wait
		// for, or deadlock with, other processes' appends.
		if done, err := s.pgSchemaDone(ctx, s.db.DB); err != nil || done {
			return err
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(pgSchemaLock)); err != nil {
			return err
		}
		// Another process may have created it while this one waited for
		// the lock.
		if done, err := s.pgSchemaDone(ctx, tx.Tx); err != nil || done {
			return err
		}
		for _, stmt := range pgSchema {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return tx.Commit()
	})
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("history: %s: create schema: %w", name, err)
	}
	return s, nil
}

// pgSchemaDone reports whether the schema is complete: its last index
// exists.
func (s *Store) pgSchemaDone(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (bool, error) {
	var done bool
	err := q.QueryRowContext(ctx, `SELECT to_regclass('metrics_key') IS NOT NULL`).Scan(&done)
	return done, err
}

// isPgRetryable reports whether err is a PostgreSQL error after which the
// same transaction may succeed: a serialization failure, a deadlock, too
// many connections, or a server starting up or shutting down.
func isPgRetryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01", "53300", "57P03":
		return true
	}
	return false
}

// sqlDB is the store's database, with its queries written with ?
// placeholders rebound for PostgreSQL.
type sqlDB struct {
	*sql.DB
	postgres bool
}

func (d *sqlDB) q(query string) string {
	if d.postgres {
		return rebind(query)
	}
	return query
}

func (d *sqlDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.DB.QueryContext(ctx, d.q(query), args...)
}

func (d *sqlDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return d.DB.QueryRowContext(ctx, d.q(query), args...)
}

func (d *sqlDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.DB.ExecContext(ctx, d.q(query), args...)
}

func (d *sqlDB) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sqlTx, error) {
	tx, err := d.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &sqlTx{Tx: tx, db: d}, nil
}

// sqlTx is a transaction of a sqlDB.
type sqlTx struct {
	*sql.Tx
	db *sqlDB
}

func (t *sqlTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, t.db.q(query), args...)
}

func (t *sqlTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, t.db.q(query), args...)
}

func (t *sqlTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.Tx.PrepareContext(ctx, t.db.q(query))
}

// rebind turns the ? placeholders of query into PostgreSQL's $1, $2, …. The
// store's queries have no ? in literals.
func rebind(query string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}
