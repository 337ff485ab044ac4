package hrtimer

import (
	"sync"
	"sync/atomic"
	"time"
)

// maxPending bounds the deadlines an alarm keeps; waits beyond it sleep on a
// Go timer alone (with that many waits at once the process is busy, and Go's
// timers are on time). It keeps the scans of add and done short.
const maxPending = 64

// alarm wakes the process for the earliest of its pending deadlines, without
// being read: it is one timer file (a kernel hrtimer on CLOCK_MONOTONIC with
// an absolute deadline) registered with Go's network poller. When it
// expires, the poller's epoll_wait returns at once, whatever its
// millisecond timeout, and the runtime then runs the Go timers that are
// due: the waiting goroutine's own timer for the same instant. So a wait
// costs one Go timer and, when its deadline is the earliest, one
// timerfd_settime; nothing reads the file, nothing spins, and no goroutine
// is woken to hand a wait over.
//
// Deadlines are offsets from the Sleeper's base on the monotonic clock.
type alarm struct {
	mu       sync.Mutex
	clock    alarmClock
	base     time.Time
	pending  []time.Duration
	armed    time.Duration // the deadline the file is set for; 0 when none
	closed   bool
	arms     int64 // timerfd_settime calls, for tests and benchmarks
	overflow int64 // waits that found pending full
	// stale counts the entries that done could not remove (a busy lock
	// with try); add purges past entries only when there are some.
	stale atomic.Int32
	// n is len(pending), for full.
	n atomic.Int32
}

// full reports whether the alarm keeps as many waits as it can: the
// process is busy, and Go's timers are on time.
func (a *alarm) full() bool { return a.n.Load() >= maxPending }

// alarmClock is the timer file, or nothing on systems without one.
type alarmClock interface {
	// set arms the file to expire at at (an offset from base), and
	// reports success.
	set(at time.Duration) bool
	close()
}

// newAlarm returns an alarm, or nil when the system has no timer files.
func newAlarm(base time.Time, baseMono int64) *alarm {
	c, err := newAlarmClock(baseMono)
	if err != nil {
		return nil
	}
	return &alarm{clock: c, base: base, pending: make([]time.Duration, 0, maxPending)}
}

// add registers a wait until at and arms the file when at is the earliest
// deadline ahead. It reports whether the wait was registered; the caller
// then calls done after its wait. With try, it gives up rather than wait
// for the lock (see Waiter.Sleep: a goroutine blocked on a mutex would need
// more than the smallest stack).
func (a *alarm) add(at time.Duration, try bool) bool {
	if try {
		if !a.mu.TryLock() {
			return false
		}
	} else {
		a.mu.Lock()
	}
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	now := time.Since(a.base)
	if len(a.pending) == cap(a.pending) {
		if a.stale.Load() > 0 {
			a.stale.Store(0)
			a.purge(now)
		}
		if len(a.pending) == cap(a.pending) {
			a.overflow++
			return false
		}
	}
	a.pending = append(a.pending, at)
	a.n.Store(int32(len(a.pending)))
	if a.armed <= now || at < a.armed {
		a.arm(at)
	}
	return true
}

// done removes a wait until at that add registered and, when the file has
// expired (or was set for this wait), sets it for the earliest deadline
// still ahead. With try, a busy lock leaves the entry, which purge drops
// once it is past.
func (a *alarm) done(at time.Duration, try bool) {
	if try {
		if !a.mu.TryLock() {
			a.stale.Add(1)
			return
		}
	} else {
		a.mu.Lock()
	}
	defer a.mu.Unlock()
	for i, p := range a.pending {
		if p == at {
			last := len(a.pending) - 1
			a.pending[i] = a.pending[last]
			a.pending = a.pending[:last]
			break
		}
	}
	a.n.Store(int32(len(a.pending)))
	if a.closed {
		return
	}
	now := time.Since(a.base)
	if a.armed > now && a.armed != at {
		return // set for another wait still ahead
	}
	var next time.Duration
	for _, p := range a.pending {
		if p > now && (next == 0 || p < next) {
			next = p
		}
	}
	if next != 0 && next != a.armed {
		a.arm(next)
	}
}

// purge drops the deadlines already past (entries that done could not
// remove).
func (a *alarm) purge(now time.Duration) {
	out := a.pending[:0]
	for _, p := range a.pending {
		if p > now {
			out = append(out, p)
		}
	}
	a.pending = out
	a.n.Store(int32(len(a.pending)))
}

// alarmSlack is how long after a deadline the file expires: the waiting
// goroutine's Go timer, set a few nanoseconds after the deadline was read,
// must be due when the poller wakes, or the runtime would go back to
// epoll_wait for a whole millisecond.
const alarmSlack = time.Microsecond

// arm sets the file for at (plus alarmSlack).
func (a *alarm) arm(at time.Duration) {
	if a.clock.set(at + alarmSlack) {
		a.armed = at
		a.arms++
	}
}

// close releases the timer file; later waits use Go timers alone.
func (a *alarm) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.closed {
		a.closed = true
		a.clock.close()
	}
}
