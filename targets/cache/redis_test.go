package cache

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/internal/redistest"
)

// These tests run a real redis-server (see redistest) and freeze it with
// SIGSTOP, kill it and restart it. The breaker runs on a fake clock, so its
// cool-down ends only when a test advances the clock: the counts they check
// do not depend on how fast the machine is. Wall time is checked only
// against a generous bound (slowOp).

const (
	testTimeout  = 200 * time.Millisecond
	testFailures = 3
	testCooldown = time.Second
	// slowOp is the bound on one operation's duration while Redis fails:
	// its Redis budget (testTimeout) with room for a loaded 2-core machine.
	slowOp = 5 * testTimeout
)

// openBreaker opens a target with a 1000-entry L1 and the Redis L3 at addr,
// its breaker on a fake clock, and a loader without latency.
func openBreaker(t *testing.T, addr string, failures int) (*Target, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	cfg := withBreaker(cfgOf(map[string]any{"key_prefix": "t:" + t.Name() + ":"}, map[string]any{"latency": time.Duration(0)},
		tierSpec{"l1", map[string]any{"capacity": int64(1000)}},
		tierSpec{"l3", map[string]any{"address": addr, "timeout": testTimeout}}),
		"l3", map[string]any{"failures": int64(failures), "cooldown": testCooldown})
	return open(t, cfg, withClock(clk)), clk
}

// inRedisOnly stores keys 0..n-1 through the tiers and removes them from L1,
// so that reading them needs Redis.
func inRedisOnly(t *testing.T, tg *Target, w *worker, n int) {
	t.Helper()
	for k := range uint64(n) {
		if err := w.set(ctx, k, []byte("value---")); err != nil {
			t.Fatal(err)
		}
		_ = tg.tiers[0].del(ctx, w, k)
	}
	if st := tg.Stats(); st["redis_errors"] != 0 {
		t.Fatalf("redis_errors = %v before any failure", st["redis_errors"])
	}
}

// timed runs op and fails the test if it took longer than slowOp.
func timed(t *testing.T, what string, op func() error) {
	t.Helper()
	start := time.Now()
	err := op()
	if d := time.Since(start); d > slowOp {
		t.Errorf("%s took %v, more than %v with a Redis timeout of %v", what, d, slowOp, testTimeout)
	}
	if err != nil {
		t.Errorf("%s: caller saw %v", what, err)
	}
}

func stat(tg *Target, name string) int64 { return int64(tg.Stats()[name]) }

// recoverBreaker advances the fake clock past the cool-down and reads key until a
// probe succeeds and the breaker closes (a probe may fail while Redis comes
// back). It returns the value read by the probe that closed it.
func recoverBreaker(t *testing.T, tg *Target, clk *fakeClock, w *worker, key uint64) []byte {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		clk.advance(testCooldown)
		var d []byte
		timed(t, "probe", func() (err error) { d, err = w.get(ctx, key); return err })
		if stat(tg, "l3_breaker_state") == int64(breakerClosed) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("breaker not closed 15s after Redis came back: %v", tg.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRedisFrozen freezes Redis (SIGSTOP) under concurrent reads: each
// operation gives up within its timeout, the breaker opens once after
// testFailures failures and every later read bypasses Redis. Thawed
// (SIGCONT), the probe after the cool-down closes the breaker and L3 hits
// resume.
func TestRedisFrozen(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	tg, clk := openBreaker(t, srv.Addr, testFailures)
	const keys, workers, reads = 100, 4, 25
	inRedisOnly(t, tg, wk(t, tg, 0), keys)

	srv.Freeze()
	var wg sync.WaitGroup
	for i := range workers {
		w := wk(t, tg, i+1)
		wg.Go(func() {
			for j := range reads {
				key := uint64((i*reads + j) % keys)
				var d []byte
				timed(t, "get while frozen", func() (err error) { d, err = w.get(ctx, key); return err })
				if d != nil {
					t.Errorf("key %d read from a frozen Redis", key)
				}
			}
		})
	}
	wg.Wait()
	st := tg.Stats()
	errs, bypassed := int64(st["redis_errors"]), int64(st["l3_bypassed"])
	// Fewer than testFailures failures cannot open it; calls already in
	// flight when it opened fail too, at most one per worker.
	if errs < testFailures || errs > testFailures+workers {
		t.Errorf("redis_errors = %d, want %d to %d", errs, testFailures, testFailures+workers)
	}
	if got := int64(st["l3_timeouts"]); got != errs {
		t.Errorf("l3_timeouts = %d, want every failure (%d) to be a timeout", got, errs)
	}
	// The fake clock stands still: no probe, so one opening and no closing.
	if st["l3_breaker_opens"] != 1 || st["l3_breaker_closes"] != 0 || st["l3_breaker_state"] != float64(breakerOpen) {
		t.Errorf("opens %v closes %v state %v, want 1 0 %d", st["l3_breaker_opens"], st["l3_breaker_closes"], st["l3_breaker_state"], breakerOpen)
	}
	// Each read made one Redis call: it failed or was bypassed, and was an L3 miss.
	if errs+bypassed != workers*reads || st["l3_misses"] != workers*reads || st["l3_hits"] != 0 {
		t.Errorf("redis_errors %d + l3_bypassed %d != %d reads (l3_misses %v, l3_hits %v)", errs, bypassed, workers*reads, st["l3_misses"], st["l3_hits"])
	}

	// Open, the breaker answers at once: sets skip Redis, and get_or_load
	// skips it twice (the read, and the write after the load).
	w := wk(t, tg, 99)
	for k := range uint64(20) {
		timed(t, "set while open", func() error { return w.set(ctx, 1000+k, []byte("x")) })
		timed(t, "get_or_load while open", func() error { _, err := w.getOrLoad(ctx, 2000+k, nil); return err })
	}
	if got := stat(tg, "l3_bypassed"); got != bypassed+60 {
		t.Errorf("l3_bypassed = %d after 20 sets and 20 loads, want %d", got, bypassed+60)
	}
	if got := stat(tg, "redis_errors"); got != errs {
		t.Errorf("redis_errors grew from %d to %d while the breaker was open", errs, got)
	}

	// Thawed: after the cool-down one probe closes the breaker.
	srv.Thaw()
	d := recoverBreaker(t, tg, clk, w, 7)
	if d == nil {
		t.Error("the probe that closed the breaker did not read the key from Redis")
	}
	// Probes that ran while Redis was still catching up may have failed and
	// opened it again; one succeeded.
	if stat(tg, "l3_breaker_closes") != 1 || stat(tg, "l3_breaker_opens") < 1 {
		t.Errorf("after recovery: opens %d closes %d, want at least 1 and 1", stat(tg, "l3_breaker_opens"), stat(tg, "l3_breaker_closes"))
	}
	// L3 hits resume.
	hits := stat(tg, "l3_hits")
	for k := range uint64(10) {
		if d, err := w.get(ctx, 50+k); err != nil || d == nil {
			t.Fatalf("get %d after recovery = %x, %v", 50+k, d, err)
		}
	}
	if got := stat(tg, "l3_hits"); got != hits+10 {
		t.Errorf("l3_hits = %d after 10 reads of keys only Redis holds, want %d", got, hits+10)
	}
}

// TestRedisFrozenNoBreaker checks that the deadline alone bounds an
// operation: with the breaker disabled, every operation on a frozen Redis
// still returns within its timeout, and a get_or_load that timed out reading
// skips the write to Redis after its load.
func TestRedisFrozenNoBreaker(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	tg, _ := openBreaker(t, srv.Addr, 0)
	w := wk(t, tg, 0)
	inRedisOnly(t, tg, w, 1)
	srv.Freeze()
	const ops = 4
	for k := range uint64(ops) {
		timed(t, "get_or_load", func() error { _, err := w.getOrLoad(ctx, 100+k, nil); return err })
	}
	st := tg.Stats()
	if st["l3_timeouts"] != ops || st["redis_errors"] != ops || st["l3_bypassed"] != ops || st["loads"] != ops {
		t.Errorf("l3_timeouts %v redis_errors %v l3_bypassed %v loads %v, want %d each",
			st["l3_timeouts"], st["redis_errors"], st["l3_bypassed"], st["loads"], ops)
	}
	if st["l3_breaker_opens"] != 0 || st["l3_breaker_state"] != float64(breakerClosed) {
		t.Errorf("disabled breaker: opens %v state %v", st["l3_breaker_opens"], st["l3_breaker_state"])
	}
	srv.Thaw()
}

// TestRedisRestarted kills Redis: calls fail at once (connection refused),
// the breaker opens after exactly testFailures of them, and once Redis is
// restarted on the same port a probe closes it again.
func TestRedisRestarted(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	tg, clk := openBreaker(t, srv.Addr, testFailures)
	w := wk(t, tg, 0)
	inRedisOnly(t, tg, w, 10)

	srv.Stop()
	for k := range uint64(10) {
		timed(t, "get while down", func() error { _, err := w.get(ctx, k); return err })
	}
	st := tg.Stats()
	if st["redis_errors"] != testFailures || st["l3_bypassed"] != 10-testFailures {
		t.Errorf("redis_errors %v l3_bypassed %v, want %d and %d", st["redis_errors"], st["l3_bypassed"], testFailures, 10-testFailures)
	}
	if st["l3_breaker_opens"] != 1 || st["l3_breaker_state"] != float64(breakerOpen) {
		t.Errorf("opens %v state %v, want 1 and open", st["l3_breaker_opens"], st["l3_breaker_state"])
	}

	// Restarted empty: the probe reads a miss, which is an answer.
	srv.Restart()
	recoverBreaker(t, tg, clk, w, 3)
	if err := w.set(ctx, 500, []byte("again---")); err != nil {
		t.Fatal(err)
	}
	_ = tg.tiers[0].del(ctx, w, 500)
	hits := stat(tg, "l3_hits")
	if d, err := w.get(ctx, 500); err != nil || d == nil {
		t.Fatalf("get after restart = %x, %v", d, err)
	}
	if stat(tg, "l3_hits") != hits+1 {
		t.Error("the read after the restart was not an L3 hit")
	}
}

// TestOpenUnreachableRedis: a Redis that does not answer when the target
// opens is a start failure, reported within the ping's bound (the larger of
// timeout and 1s) whether the port is closed or the server frozen.
func TestOpenUnreachableRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	srv.Freeze()
	defer srv.Thaw()
	for _, addr := range []string{srv.Addr, "127.0.0.1:1"} {
		tg, err := New(cfgOf(nil, nil, tierSpec{"l1", nil}, tierSpec{"l3", map[string]any{"address": addr, "timeout": 100 * time.Millisecond}}))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = tg.Open(ctx)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Open against %s took %v", addr, d)
		}
		if err == nil {
			_ = tg.Close()
			t.Fatalf("Open succeeded against %s", addr)
		}
		if !strings.Contains(err.Error(), addr) {
			t.Errorf("error %q does not name the address %s", err, addr)
		}
	}
}

// TestRedisOutOfTime checks the shared budget without a slow server: once an
// operation's earlier Redis calls used up its timeout, its next call is not
// made and counts as a timeout, and the breaker is not told.
func TestRedisOutOfTime(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	tg, _ := openBreaker(t, srv.Addr, 1)
	w := wk(t, tg, 0)
	w.rspent = testTimeout
	err := tg.redis.set(ctx, w, 1, []byte("value---"), forever)
	if !errors.Is(err, errOutOfTime) {
		t.Fatalf("set with no time left = %v, want errOutOfTime", err)
	}
	// The operation's later calls are skipped as after a failure.
	if _, _, ok, err := tg.redis.get(ctx, w, 1, true); ok || err != nil {
		t.Fatalf("get after running out of time = %v, %v", ok, err)
	}
	w.endOp()
	st := tg.Stats()
	if st["l3_timeouts"] != 1 || st["l3_bypassed"] != 1 || st["l3_breaker_opens"] != 0 {
		t.Errorf("l3_timeouts %v l3_bypassed %v opens %v, want 1 1 0", st["l3_timeouts"], st["l3_bypassed"], st["l3_breaker_opens"])
	}
	// A new operation has its whole budget again.
	if err := w.set(ctx, 1, []byte("value---")); err != nil || stat(tg, "l3_timeouts") != 1 {
		t.Fatalf("set in a new operation: %v, l3_timeouts %d", err, stat(tg, "l3_timeouts"))
	}
}

// TestBreakerConfig checks the defaults and that a breaker error points at
// the breaker block inside its tier.
func TestBreakerConfig(t *testing.T) {
	t.Parallel()
	c, err := parse(cfgOf(nil, nil, tierSpec{"l3", nil}))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.tiers[0].breaker; got != (breakerConfig{failures: DefaultBreakerFailures, cooldown: DefaultBreakerCooldown}) {
		t.Errorf("default breaker %+v", got)
	}
	_, err = parse(withBreaker(cfgOf(nil, nil, tierSpec{"l3", nil}), "l3", map[string]any{"cooldown": -time.Second}))
	var ae *targets.AttrError
	if !errors.As(err, &ae) || ae.Attr != "cooldown" || strings.Join(ae.Path, "/") != "tier.l3/breaker" {
		t.Fatalf("error %v, want one on tier.l3/breaker cooldown", err)
	}
}

// TestRunAbandons checks the hard bound: a Redis call that ignores its
// context (as go-redis was seen to in a connection handshake with a frozen
// server) is abandoned when the deadline passes.
func TestRunAbandons(t *testing.T) {
	t.Parallel()
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	rc := redisCall{ctx: cctx}
	release := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	err := rc.run(func(context.Context) error {
		defer close(finished)
		<-release // blocks past the deadline, whatever the context says
		return nil
	})
	if d := time.Since(start); d > slowOp {
		t.Errorf("run returned after %v, deadline 50ms", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !isTimeout(err) {
		t.Errorf("run = %v, want a deadline error", err)
	}
	close(release)
	<-finished

	// A call that returns in time passes its error on.
	want := errors.New("boom")
	if err := (&redisCall{ctx: ctx}).run(func(context.Context) error { return want }); err != want {
		t.Errorf("run = %v, want %v", err, want)
	}
}
