package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// lockedDB returns a database at path in a connection that holds its write
// lock (an open immediate transaction, in rollback-journal mode, after
// creating a table), and a function that commits and releases it.
func lockedDB(t *testing.T, path string) func() {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`BEGIN IMMEDIATE`, `CREATE TABLE IF NOT EXISTS other(x)`} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		t.Helper()
		if _, err := conn.ExecContext(context.Background(), `COMMIT`); err != nil {
			t.Error(err)
		}
		conn.Close()
	}
}

// busyErr returns a real SQLITE_BUSY: a write to a database whose write lock
// another connection holds, without a busy timeout.
func busyErr(t *testing.T) error {
	t.Helper()
	path := filepath.Join(t.TempDir(), "busy.db")
	release := lockedDB(t, path)
	defer release()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(`BEGIN IMMEDIATE`)
	if err == nil || !isBusy(err) {
		t.Fatalf("want SQLITE_BUSY, got %v", err)
	}
	return err
}

func TestRetryBusy(t *testing.T) {
	t.Parallel()
	busy := busyErr(t)
	if isBusy(errors.New("database is locked")) || isBusy(nil) || !isBusy(fmt.Errorf("wrapped: %w", busy)) {
		t.Error("isBusy misclassifies")
	}
	ctx := context.Background()

	attempts := 0
	err := retryBusy(ctx, func(context.Context) error {
		if attempts++; attempts < 4 {
			return fmt.Errorf("append: %w", busy)
		}
		return nil
	})
	if err != nil || attempts != 4 {
		t.Errorf("busy three times, then done: %v after %d attempts", err, attempts)
	}

	other := errors.New("disk full")
	attempts = 0
	err = retryBusy(ctx, func(context.Context) error { attempts++; return other })
	if !errors.Is(err, other) || attempts != 1 {
		t.Errorf("another error is not retried: %v after %d attempts", err, attempts)
	}

	cctx, cancel := context.WithCancel(ctx)
	attempts = 0
	err = retryBusy(cctx, func(context.Context) error {
		if attempts++; attempts == 2 {
			cancel()
		}
		return busy
	})
	if !errors.Is(err, context.Canceled) || !isBusy(err) || attempts != 2 {
		t.Errorf("cancelled while busy: %v after %d attempts", err, attempts)
	}
}

// TestOpenWhileAnotherWrites opens a store while another connection holds
// the write lock of the database in rollback-journal mode, as a process
// that is creating it does. Switching to WAL then fails at once with
// SQLITE_BUSY (SQLite does not wait to upgrade a read lock); Open must wait
// and succeed once the lock is released, not fail.
func TestOpenWhileAnotherWrites(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "history.db")
	release := lockedDB(t, path)
	type opened struct {
		s   *Store
		err error
	}
	done := make(chan opened, 1)
	go func() {
		s, err := Open(path)
		done <- opened{s, err}
	}()
	// Give Open time to run into the lock; the outcome must not depend on it.
	time.Sleep(100 * time.Millisecond)
	release()
	o := <-done
	if o.err != nil {
		t.Fatalf("Open while another connection writes: %v", o.err)
	}
	defer o.s.Close()
	if err := o.s.Append(context.Background(), doc("p", 1, "c", 1)); err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := o.s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal mode %q (%v), want wal", mode, err)
	}
}
