package cache

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testBreaker returns a breaker on a fake clock that starts at 0.
func testBreaker(failures int, cooldown time.Duration) (*breaker, *atomic.Int64) {
	var now atomic.Int64
	return newBreaker(breakerConfig{failures: failures, cooldown: cooldown}, now.Load), &now
}

func wantState(t *testing.T, b *breaker, state int32, opens, closes int64) {
	t.Helper()
	if s, o, c := b.state.Load(), b.opens.Load(), b.closes.Load(); s != state || o != opens || c != closes {
		t.Fatalf("state %d opens %d closes %d, want %d %d %d", s, o, c, state, opens, closes)
	}
}

// call acquires a permit and, unless it is a bypass, reports ok as the
// outcome. It returns the permit.
func call(b *breaker, ok bool) permit {
	p := b.acquire()
	if p == permitBypass {
		return p
	}
	if ok {
		b.success(p)
	} else {
		b.failure(p)
	}
	return p
}

func TestBreakerCycle(t *testing.T) {
	t.Parallel()
	const cooldown = time.Second
	b, now := testBreaker(3, cooldown)

	// Failures below the threshold, or interrupted by a success, keep it closed.
	for range 2 {
		call(b, false)
	}
	call(b, true)
	for range 2 {
		if p := call(b, false); p != permitCall {
			t.Fatalf("closed breaker gave permit %d", p)
		}
	}
	wantState(t, b, breakerClosed, 0, 0)

	// The third consecutive failure opens it.
	call(b, false)
	wantState(t, b, breakerOpen, 1, 0)

	// Open: every call bypasses Redis until the cool-down is over.
	for _, at := range []time.Duration{0, cooldown / 2, cooldown - 1} {
		now.Store(int64(at))
		if p := b.acquire(); p != permitBypass {
			t.Fatalf("at %v into the cool-down: permit %d, want bypass", at, p)
		}
	}

	// After it, one probe; the others bypass while it is in flight.
	now.Store(int64(cooldown))
	probe := b.acquire()
	if probe != permitProbe {
		t.Fatalf("after the cool-down: permit %d, want a probe", probe)
	}
	wantState(t, b, breakerHalfOpen, 1, 0)
	for range 3 {
		if p := b.acquire(); p != permitBypass {
			t.Fatalf("half-open: permit %d, want bypass", p)
		}
	}
	// A late answer to a call made before the breaker opened changes nothing.
	b.failure(permitCall)
	b.success(permitCall)
	wantState(t, b, breakerHalfOpen, 1, 0)

	// A failed probe opens it for another whole cool-down.
	now.Add(int64(100 * time.Millisecond))
	b.failure(probe)
	wantState(t, b, breakerOpen, 2, 0)
	now.Add(int64(cooldown - 1))
	if p := b.acquire(); p != permitBypass {
		t.Fatalf("before the second cool-down ends: permit %d", p)
	}
	now.Add(1)
	if probe = b.acquire(); probe != permitProbe {
		t.Fatalf("after the second cool-down: permit %d", probe)
	}

	// A successful probe closes it, and the failure count starts afresh.
	b.success(probe)
	wantState(t, b, breakerClosed, 2, 1)
	for range 2 {
		call(b, false)
	}
	wantState(t, b, breakerClosed, 2, 1)
	call(b, false)
	wantState(t, b, breakerOpen, 3, 1)
}

func TestBreakerAbandonedProbe(t *testing.T) {
	t.Parallel()
	b, now := testBreaker(1, time.Second)
	call(b, false)
	now.Store(int64(time.Second))
	p := b.acquire()
	if p != permitProbe {
		t.Fatalf("permit %d, want a probe", p)
	}
	// The probe's caller went away: the next call probes at once.
	b.abandon(p)
	wantState(t, b, breakerOpen, 1, 0)
	if p = b.acquire(); p != permitProbe {
		t.Fatalf("after an abandoned probe: permit %d, want a probe", p)
	}
	b.success(p)
	wantState(t, b, breakerClosed, 1, 1)
	// An abandoned ordinary call is neither a success nor a failure.
	b.abandon(b.acquire())
	wantState(t, b, breakerClosed, 1, 1)
}

func TestBreakerDisabled(t *testing.T) {
	t.Parallel()
	b, _ := testBreaker(0, time.Second)
	for range 1000 {
		if p := call(b, false); p != permitCall {
			t.Fatalf("disabled breaker gave permit %d", p)
		}
	}
	wantState(t, b, breakerClosed, 0, 0)
}

// TestBreakerConcurrent has many goroutines fail at once: the breaker opens
// once, and after the cool-down exactly one of them probes.
func TestBreakerConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines = 16
	b, now := testBreaker(5, time.Second)
	run := func(f func()) {
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(f)
		}
		wg.Wait()
	}
	run(func() {
		for range 100 {
			call(b, false)
		}
	})
	wantState(t, b, breakerOpen, 1, 0)

	now.Store(int64(time.Second))
	var probes, bypasses atomic.Int64
	run(func() {
		for range 100 {
			switch b.acquire() {
			case permitProbe:
				probes.Add(1)
			case permitBypass:
				bypasses.Add(1)
			default:
				t.Error("a call went through while the breaker was not closed")
			}
		}
	})
	if probes.Load() != 1 || bypasses.Load() != goroutines*100-1 {
		t.Fatalf("%d probes and %d bypasses, want 1 and %d", probes.Load(), bypasses.Load(), goroutines*100-1)
	}
	b.success(permitProbe)
	wantState(t, b, breakerClosed, 1, 1)
}
