package history

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The backoff between attempts of retryBusy: it starts at minBackoff and
// doubles up to maxBackoff, each sleep drawn at random from its upper half
// so that writers that collided do not collide again.
const (
	minBackoff = time.Millisecond
	maxBackoff = 100 * time.Millisecond
)

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED (or
// one of their extended codes): another connection holds a lock this one
// needs, and the same work may succeed later.
func isBusy(err error) bool {
	if isPgRetryable(err) {
		return true
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// retryBusy runs op until it returns nil or an error that is not busy or
// locked (isBusy), until ctx is done, or until BusyTimeout has passed since
// the first attempt, with a bounded, jittered exponential backoff between
// attempts.
//
// It is the last resort behind SQLite's busy timeout, for the cases in which
// SQLite returns SQLITE_BUSY without waiting: a connection that holds a read
// lock and needs a write lock (as PRAGMA journal_mode=WAL does when it
// converts a database another process is writing), or WAL recovery by
// another process. op must be safe to repeat: one whole transaction, rolled
// back when it fails.
func retryBusy(ctx context.Context, op func(context.Context) error) error {
	deadline := time.Now().Add(BusyTimeout)
	backoff := minBackoff
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil || !isBusy(err) {
			return err
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("still locked after %d attempts in %s: %w", attempt, BusyTimeout, err)
		}
		sleep := backoff/2 + rand.N(backoff/2+1)
		timer := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%w (gave up waiting: %w)", err, context.Cause(ctx))
		case <-timer.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}
