package limiter

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/perfplan/perfplan/internal/nettest"
	"github.com/perfplan/perfplan/targets/internal/redistest"
)

func newRedisLimiter(t *testing.T, rc RedisConfig, ps ...Policy) *Limiter {
	t.Helper()
	l, err := New(context.Background(), Config{Backend: BackendRedis, Redis: rc, Policies: ps})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// TestRedisLongWindowRate runs every algorithm against a real Redis for a
// real window of 3 seconds (the script uses the server's TIME, so no fake
// clock) from 4 goroutines, and checks the admitted count within 1% of
// rate × window (+ burst for the bucket algorithms; whole windows for the
// window algorithms, so the run starts just after a period boundary).
func TestRedisLongWindowRate(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	const (
		rate    = 500.0
		burst   = 50
		windows = 3
		workers = 4
	)
	for _, alg := range []Algorithm{TokenBucket, GCRA, FixedWindow, SlidingWindow} {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			p := Policy{Name: "p", Algorithm: alg, Rate: rate, Period: time.Second}
			if alg == TokenBucket || alg == GCRA {
				p.Burst = burst
			}
			l := newRedisLimiter(t, RedisConfig{Address: srv.Addr, Namespace: "test:" + string(alg) + ":", Timeout: 2 * time.Second}, p)
			if m := l.Mode(); m != ModeRedis {
				t.Fatalf("mode %s, want redis", m)
			}
			// Redis runs on this host, so its TIME is this wall clock: start
			// 10ms after a whole second and stop 10ms before one.
			now := time.Now()
			start := now.Truncate(time.Second).Add(time.Second + 10*time.Millisecond)
			end := start.Add(windows*time.Second - 20*time.Millisecond)
			time.Sleep(time.Until(start))
			var wg sync.WaitGroup
			var admitted atomic.Int64
			// last is when any worker last asked (ns since start), and
			// lost the tokens that expired unused while nobody could ask
			// (a machine that held every worker back for longer than the
			// bucket holds): the bucket algorithms cannot admit them.
			var last, lost atomic.Int64
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					h := l.NewHandle()
					for time.Now().Before(end) {
						ok, err := h.AllowIndex(context.Background(), uint64(w), 1)
						if err != nil {
							t.Error(err)
							return
						}
						if ok {
							admitted.Add(1)
						}
						now := int64(time.Since(start))
						if gap := time.Duration(now - last.Swap(now)); gap > time.Duration(burst/rate*float64(time.Second)) {
							lost.Add(int64(gap.Seconds()*rate - burst))
						}
					}
				}()
			}
			wg.Wait()
			s := l.Stats()
			if s.FallbackDecisions != 0 || s.BackendErrors != 0 {
				t.Fatalf("Redis failed during the run: %+v", s)
			}
			var want float64
			switch alg {
			case TokenBucket, GCRA:
				want = rate*end.Sub(start).Seconds() + burst - float64(lost.Load())
				if lost.Load() > 0 {
					t.Logf("%d tokens expired while no worker could ask", lost.Load())
				}
			default:
				want = rate * windows
			}
			within(t, "admitted", float64(admitted.Load()), want, 0.01)
			if s.Denied == 0 {
				t.Errorf("no denials: demand did not exceed the rate (%+v)", s)
			}
		})
	}
}

// TestRedisKillAndRecover kills the Redis server in mid-run: callers get no
// errors, decisions fall back within 250ms, and after a restart Redis is used
// again.
func TestRedisKillAndRecover(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	l := newRedisLimiter(t, RedisConfig{Address: srv.Addr, Timeout: 100 * time.Millisecond, ProbeInterval: 50 * time.Millisecond},
		Policy{Name: "per-key", Match: MatchKey, Rate: 1e6})
	if m := l.Mode(); m != ModeRedis {
		t.Fatalf("mode %s, want redis", m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var calls atomic.Int64
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := l.NewHandle()
			for i := uint64(w); ctx.Err() == nil; i++ {
				if _, err := h.AllowIndex(ctx, i%50, 1); err != nil && ctx.Err() == nil {
					t.Errorf("decision error: %v", err)
					return
				}
				calls.Add(1)
			}
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
	}()

	waitFor := func(what string, limit time.Duration, cond func() bool) {
		t.Helper()
		if !nettest.Wait(limit, cond) {
			t.Fatalf("%s: not within %s; stats %+v", what, limit, l.Stats())
		}
	}
	waitFor("decisions in Redis", 5*time.Second, func() bool { return l.Stats().Allowed > 200 })
	if s := l.Stats(); s.FallbackDecisions != 0 || s.Mode != ModeRedis {
		t.Fatalf("fell back before the kill: %+v", s)
	}

	killed := time.Now()
	srv.Stop()
	waitFor("first fallback decision", 5*time.Second, func() bool { return l.Stats().FallbackDecisions > 0 })
	took := time.Since(killed) // from before the kill, polled every millisecond
	t.Logf("first fallback decision %s after the kill began", took.Round(time.Microsecond))
	if took > 250*time.Millisecond {
		t.Errorf("fallback took %s, want within 250ms", took)
	}
	s := l.Stats()
	if s.Mode != ModeFallback || s.Fallbacks != 1 {
		t.Errorf("after the kill: %+v, want mode fallback and 1 fallback", s)
	}
	before := s.FallbackDecisions
	waitFor("decisions in fallback", 5*time.Second, func() bool { return l.Stats().FallbackDecisions > before+100 })

	srv.Restart()
	waitFor("recovery", 5*time.Second, func() bool { return l.Stats().Recoveries >= 1 && l.Mode() == ModeRedis })
	// The restarted Redis has no data: keys appearing prove decisions are
	// made there again.
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	waitFor("state keys in the restarted Redis", 5*time.Second, func() bool {
		keys, err := rdb.Keys(context.Background(), DefaultRedisNamespace+"*").Result()
		return err == nil && len(keys) > 0
	})
	s = l.Stats()
	t.Logf("stats: %+v, calls %d", s, calls.Load())
	if s.BackendErrors == 0 || s.Fallbacks < 1 || s.Recoveries < 1 {
		t.Errorf("transitions not counted: %+v", s)
	}
}

// TestRedisKilledIdle kills Redis while the limiter is idle, so the next
// decision has to dial: it falls back within 250ms, not after the client's
// dial retries.
func TestRedisKilledIdle(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	l := newRedisLimiter(t, RedisConfig{Address: srv.Addr, Timeout: 100 * time.Millisecond, ProbeInterval: time.Hour},
		Policy{Name: "g", Rate: 1e6})
	ctx := context.Background()
	if _, err := l.Allow(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	start := time.Now()
	ok, err := l.Allow(ctx, "a")
	took := time.Since(start)
	t.Logf("first decision after the kill took %s", took.Round(time.Microsecond))
	if err != nil || !ok {
		t.Fatalf("Allow = %v, %v; want true, nil", ok, err)
	}
	if s := l.Stats(); s.Mode != ModeFallback || s.FallbackDecisions != 1 || s.Fallbacks != 1 {
		t.Errorf("stats %+v", s)
	}
	if took > 250*time.Millisecond {
		t.Errorf("fallback took %s, want within 250ms", took)
	}
}

// TestRedisSlow pauses Redis (CLIENT PAUSE) so that calls exceed the timeout:
// decisions fall back, and return to Redis once the pause ends.
func TestRedisSlow(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	l := newRedisLimiter(t, RedisConfig{Address: srv.Addr, Timeout: 50 * time.Millisecond, ProbeInterval: 50 * time.Millisecond},
		Policy{Name: "g", Rate: 1e6})
	ctx := context.Background()
	if _, err := l.Allow(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if s := l.Stats(); s.Mode != ModeRedis || s.FallbackDecisions != 0 {
		t.Fatalf("before the pause: %+v", s)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	if err := rdb.Do(ctx, "CLIENT", "PAUSE", "700", "ALL").Err(); err != nil {
		t.Fatalf("CLIENT PAUSE: %v", err)
	}
	start := time.Now()
	ok, err := l.Allow(ctx, "a")
	took := time.Since(start)
	if err != nil || !ok {
		t.Fatalf("Allow during the pause = %v, %v; want true, nil", ok, err)
	}
	t.Logf("decision during the pause took %s", took.Round(time.Microsecond))
	if s := l.Stats(); s.Mode != ModeFallback || s.FallbackDecisions != 1 || s.Fallbacks != 1 {
		t.Errorf("during the pause: %+v", s)
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.Mode() != ModeRedis {
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after the pause: %+v", l.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := l.Stats(); s.Recoveries != 1 {
		t.Errorf("after the pause: %+v", s)
	}
}

// TestRedisUnreachable starts against a closed port: no error, fallback from
// the start, counted.
func TestRedisUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	l := newRedisLimiter(t, RedisConfig{Address: addr, Timeout: 50 * time.Millisecond, ProbeInterval: 20 * time.Millisecond},
		Policy{Name: "g", Rate: 3, Burst: 3, Period: time.Hour})
	admitted := 0
	for range 5 {
		ok, err := l.Allow(context.Background(), "x")
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			admitted++
		}
	}
	time.Sleep(100 * time.Millisecond) // a few failed probes
	s := l.Stats()
	if admitted != 3 || s.Mode != ModeFallback || s.Fallbacks != 1 || s.FallbackDecisions != 5 || s.Recoveries != 0 {
		t.Errorf("admitted %d, stats %+v; want 3 admitted, fallback mode, 1 fallback, 5 fallback decisions", admitted, s)
	}
}

// TestRedisPolicyChange changes and removes a policy of the Redis backend.
func TestRedisPolicyChange(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := context.Background()
	// An hour-long window: the test does not cross a boundary in practice.
	p := Policy{Name: "fw", Algorithm: FixedWindow, Rate: 5, Period: time.Hour}
	l := newRedisLimiter(t, RedisConfig{Address: srv.Addr, Timeout: time.Second}, p,
		Policy{Name: "other", Match: MatchPattern, Pattern: "vip:*", Algorithm: GCRA, Rate: 1, Burst: 1, Period: time.Hour})
	count := func(key string, n int) int {
		got := 0
		for range n {
			ok, err := l.Allow(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				got++
			}
		}
		return got
	}
	if got := count("k", 8); got != 5 {
		t.Errorf("rate 5: admitted %d of 8", got)
	}
	p.Rate = 10
	must(t, l.SetPolicy(p))
	if got := count("k", 8); got != 5 {
		t.Errorf("rate raised to 10 with 5 used: admitted %d of 8", got)
	}
	must(t, l.RemovePolicy("fw"))
	if got := count("k", 8); got != 8 {
		t.Errorf("policy removed: admitted %d of 8", got)
	}
	if got := count("vip:1", 3); got != 1 {
		t.Errorf("pattern policy: admitted %d of 3 for vip:1", got)
	}
	// The same name with another algorithm starts fresh, in keys of its own.
	must(t, l.SetPolicy(Policy{Name: "fw", Algorithm: GCRA, Rate: 2, Burst: 2, Period: time.Hour}))
	if got := count("k", 3); got != 2 {
		t.Errorf("policy changed to gcra: admitted %d of 3", got)
	}
	if s := l.Stats(); s.FallbackDecisions != 0 {
		t.Errorf("fell back: %+v", s)
	}
}

func Example() {
	l, err := New(context.Background(), Config{Policies: []Policy{
		{Name: "global", Rate: 1000, Period: time.Second},
		{Name: "per-user", Match: MatchPattern, Pattern: "user:*", Algorithm: GCRA, Rate: 2, Burst: 2},
	}})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	for range 3 {
		ok, _ := l.Allow(context.Background(), "user:42")
		fmt.Println(ok)
	}
	// Output:
	// true
	// true
	// false
}
