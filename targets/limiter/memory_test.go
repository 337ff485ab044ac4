package limiter

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is an injectable clock. With step > 0 every read advances it by
// step, so concurrent callers see time pass at a fixed rate of demand.
type fakeClock struct {
	ns   atomic.Int64
	step int64
}

func (c *fakeClock) now() time.Duration {
	if c.step > 0 {
		return time.Duration(c.ns.Add(c.step) - c.step)
	}
	return time.Duration(c.ns.Load())
}

func (c *fakeClock) set(d time.Duration) { c.ns.Store(int64(d)) }
func (c *fakeClock) peek() time.Duration { return time.Duration(c.ns.Load()) }

func newMemLimiter(t testing.TB, clk *fakeClock, ps ...Policy) *Limiter {
	t.Helper()
	l, err := New(context.Background(), Config{Policies: ps, Clock: clk.now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*want {
		t.Errorf("%s: got %.0f, want %.0f ± %.1f%%", what, got, want, tol*100)
	} else {
		t.Logf("%s: got %.0f, want %.0f (%.3f%% off)", what, got, want, 100*math.Abs(got-want)/want)
	}
}

// TestMemoryLongWindowRate drives every algorithm from 8 goroutines for 100
// simulated periods at 50× the policy's rate and checks the admitted count
// against rate × window (+ burst for the bucket algorithms) within 1%.
func TestMemoryLongWindowRate(t *testing.T) {
	t.Parallel()
	const (
		rate    = 100.0
		burst   = 20
		periods = 100
		workers = 8
	)
	for _, alg := range []Algorithm{TokenBucket, GCRA, FixedWindow, SlidingWindow} {
		for _, match := range []Match{MatchGlobal, MatchKey} {
			t.Run(fmt.Sprintf("%s/%s", alg, match), func(t *testing.T) {
				t.Parallel()
				nkeys := 1
				if match == MatchKey {
					nkeys = 4
				}
				// Demand: one clock read per decision, 200µs apart: 5000/s
				// in total, 50× (global) or 12.5× (per key) the rate.
				clk := &fakeClock{step: int64(200 * time.Microsecond)}
				p := Policy{Name: "p", Match: match, Algorithm: alg, Rate: rate, Period: time.Second}
				if alg == TokenBucket || alg == GCRA {
					p.Burst = burst
				}
				l := newMemLimiter(t, clk, p)
				end := periods * time.Second
				var wg sync.WaitGroup
				for w := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						h := l.NewHandle()
						for i := uint64(w); clk.peek() < end; i++ {
							if _, err := h.AllowIndex(context.Background(), i%uint64(nkeys), 1); err != nil {
								t.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				s := l.Stats()
				want := rate * periods
				if alg == TokenBucket || alg == GCRA {
					want += burst
				}
				want *= float64(nkeys)
				within(t, "admitted", float64(s.Allowed), want, 0.01)
				if s.Denied == 0 {
					t.Errorf("no denials at 12× the rate")
				}
			})
		}
	}
}

// TestWindowBoundary shows the fixed window's 2× burst at a boundary, which
// the sliding window does not admit.
func TestWindowBoundary(t *testing.T) {
	t.Parallel()
	type burstAt struct {
		at   time.Duration
		n    int
		want int // admitted
	}
	tests := []struct {
		alg    Algorithm
		bursts []burstAt
	}{
		{FixedWindow, []burstAt{
			{900 * time.Millisecond, 10, 10},  // end of window 0: all 10
			{1000 * time.Millisecond, 10, 10}, // start of window 1: 10 more, 20 within 100ms
			{1500 * time.Millisecond, 10, 0},  // window 1 is full
			{2000 * time.Millisecond, 10, 10}, // window 2
		}},
		{SlidingWindow, []burstAt{
			{900 * time.Millisecond, 10, 10},  // end of window 0: all 10
			{1000 * time.Millisecond, 10, 0},  // previous window still weighs 10×100%
			{1500 * time.Millisecond, 10, 5},  // it weighs 10×50%: 5 fit
			{2000 * time.Millisecond, 10, 5},  // previous (5) weighs 100%: 5 fit
			{4500 * time.Millisecond, 10, 10}, // window 3 was empty: all
		}},
	}
	for _, tc := range tests {
		t.Run(string(tc.alg), func(t *testing.T) {
			t.Parallel()
			clk := &fakeClock{}
			l := newMemLimiter(t, clk, Policy{Name: "w", Algorithm: tc.alg, Rate: 10, Period: time.Second})
			for _, b := range tc.bursts {
				clk.set(b.at)
				got := 0
				for range b.n {
					ok, err := l.Allow(context.Background(), "k")
					if err != nil {
						t.Fatal(err)
					}
					if ok {
						got++
					}
				}
				if got != b.want {
					t.Errorf("burst of %d at %s: admitted %d, want %d", b.n, b.at, got, b.want)
				}
			}
		})
	}
}

// TestBucketBurst checks burst and refill of the bucket algorithms, and
// allow_n weights.
func TestBucketBurst(t *testing.T) {
	t.Parallel()
	type step struct {
		at   time.Duration
		n    int64
		want bool
	}
	steps := []step{
		{0, 3, true},  // 3 of burst 5
		{0, 2, true},  // 5 of 5
		{0, 1, false}, // empty
		{99 * time.Millisecond, 1, false},
		{100 * time.Millisecond, 1, true}, // rate 10/s refills one per 100ms
		{100 * time.Millisecond, 1, false},
		{time.Second, 6, false}, // weight above the burst never fits
		{time.Second, 5, true},  // full again
	}
	for _, alg := range []Algorithm{TokenBucket, GCRA} {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			clk := &fakeClock{}
			l := newMemLimiter(t, clk, Policy{Name: "b", Algorithm: alg, Rate: 10, Period: time.Second, Burst: 5})
			for i, s := range steps {
				clk.set(s.at)
				got, err := l.AllowN(context.Background(), "k", s.n)
				if err != nil {
					t.Fatal(err)
				}
				if got != s.want {
					t.Errorf("step %d (n=%d at %s): got %v, want %v", i, s.n, s.at, got, s.want)
				}
			}
		})
	}
}

// TestPolicyChangeMidRun runs concurrent callers over a simulated 20s and
// raises the rate at 10s: the second half admits the new rate. Then it
// removes the policy: everything is admitted.
func TestPolicyChangeMidRun(t *testing.T) {
	t.Parallel()
	for _, alg := range []Algorithm{TokenBucket, GCRA, FixedWindow, SlidingWindow} {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			clk := &fakeClock{step: int64(100 * time.Microsecond)} // demand 10000/s
			p := Policy{Name: "api", Algorithm: alg, Rate: 100, Period: time.Second}
			if alg == TokenBucket || alg == GCRA {
				p.Burst = 1
			}
			l := newMemLimiter(t, clk, p)
			run := func(until time.Duration) int64 {
				before := l.Stats().Allowed
				var wg sync.WaitGroup
				for range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						h := l.NewHandle()
						for clk.peek() < until {
							if _, err := h.AllowIndex(context.Background(), 7, 1); err != nil {
								t.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				return l.Stats().Allowed - before
			}
			first := run(10 * time.Second)
			p.Rate = 500
			if err := l.SetPolicy(p); err != nil {
				t.Fatal(err)
			}
			second := run(20 * time.Second)
			within(t, "admitted at 100/s", float64(first), 1000, 0.02)
			within(t, "admitted at 500/s", float64(second), 5000, 0.02)
			if err := l.RemovePolicy("api"); err != nil {
				t.Fatal(err)
			}
			denied := l.Stats().Denied
			for range 1000 { // with no policy the clock is not read
				if _, err := l.Allow(context.Background(), "key:7"); err != nil {
					t.Fatal(err)
				}
			}
			if d := l.Stats().Denied; d != denied {
				t.Errorf("denied %d after the policy was removed", d-denied)
			}
			if err := l.RemovePolicy("api"); err == nil {
				t.Errorf("removing a missing policy: no error")
			}
		})
	}
}

// TestSetPolicyConcurrent changes policies while callers decide, for -race.
func TestSetPolicyConcurrent(t *testing.T) {
	t.Parallel()
	l, err := New(context.Background(), Config{Policies: []Policy{{Name: "g", Rate: 1000}}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := l.NewHandle()
			for i := uint64(w); !stop.Load(); i++ {
				if _, err := h.AllowIndex(context.Background(), i%100, 1); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	algs := []Algorithm{TokenBucket, GCRA, FixedWindow, SlidingWindow}
	for i := range 200 {
		alg := algs[i%4]
		must(t, l.SetPolicy(Policy{Name: "k", Match: MatchKey, Algorithm: alg, Rate: float64(10 + i)}))
		must(t, l.SetPolicy(Policy{Name: "p", Match: MatchPattern, Pattern: "key:1*", Algorithm: algs[(i+1)%4], Rate: 5}))
		if i%3 == 0 {
			must(t, l.RemovePolicy("p"))
		}
	}
	stop.Store(true)
	wg.Wait()
	if s := l.Stats(); s.Allowed == 0 {
		t.Errorf("nothing admitted: %+v", s)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestLayeredPolicies checks that every matching policy must admit and that
// a denial by one consumes nothing from another.
func TestLayeredPolicies(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	l := newMemLimiter(t, clk,
		Policy{Name: "global", Rate: 10, Burst: 10},
		Policy{Name: "per-key", Match: MatchKey, Rate: 1, Burst: 1},
		Policy{Name: "vip", Match: MatchPattern, Pattern: "vip:*", Algorithm: FixedWindow, Rate: 1},
	)
	ctx := context.Background()
	check := func(key string, want bool) {
		t.Helper()
		got, err := l.Allow(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("Allow(%q) = %v, want %v", key, got, want)
		}
	}
	check("a", true)
	check("a", false) // per-key denies; global keeps 9
	check("vip:1", true)
	check("vip:1", false) // per-key and vip deny
	for i := range 8 {
		check(fmt.Sprintf("k%d", i), true) // global: 9 and 8 more = 10
	}
	check("fresh", false) // global is empty
	clk.set(time.Second)
	check("fresh", true)
}

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"user:*", "user:1", true},
		{"user:*", "user:", true},
		{"user:*", "usr:1", false},
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"key:1?", "key:12", true},
		{"key:1?", "key:123", false},
		{"key:*3", "key:123", true},
		{"key:*3", "key:1234", false},
		{"*a*b*c", "xxaybzzc", true},
		{"*a*b*c", "xxaybzzcd", false},
		{"a/*", "a/b/c", true},
	}
	for _, tc := range tests {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestPolicyErrors(t *testing.T) {
	t.Parallel()
	tests := []Policy{
		{Rate: 1},
		{Name: "x"},
		{Name: "x", Rate: -1},
		{Name: "x", Rate: 1, Match: MatchPattern},
		{Name: "x", Rate: 1, Pattern: "a*"},
		{Name: "x", Rate: 1, Algorithm: FixedWindow, Burst: 3},
		{Name: "x", Rate: 1, Algorithm: "leaky"},
		{Name: "x", Rate: 1, Match: "some"},
		{Name: "x", Rate: 1, Period: -time.Second},
	}
	for _, p := range tests {
		if _, err := New(context.Background(), Config{Policies: []Policy{p}}); err == nil {
			t.Errorf("New with %+v: no error", p)
		}
	}
	if _, err := New(context.Background(), Config{Policies: []Policy{{Name: "a", Rate: 1}, {Name: "a", Rate: 2}}}); err == nil {
		t.Errorf("duplicate policy: no error")
	}
	if _, err := New(context.Background(), Config{Backend: "etcd"}); err == nil {
		t.Errorf("unknown backend: no error")
	}
}

// TestNoAllocs checks that a decision for a known key does not allocate.
func TestNoAllocs(t *testing.T) {
	l, err := New(context.Background(), Config{Policies: []Policy{
		{Name: "g", Rate: 1e9},
		{Name: "k", Match: MatchKey, Algorithm: GCRA, Rate: 1e9},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	h := l.NewHandle()
	ctx := context.Background()
	for i := range uint64(100) {
		_, _ = h.AllowIndex(ctx, i, 1)
	}
	var i uint64
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = h.AllowIndex(ctx, i%100, 1)
		i++
	})
	if allocs != 0 {
		t.Errorf("AllowIndex allocates %.1f times per decision", allocs)
	}
}
