package cache

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/perfplan/perfplan/internal/nettest"
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/internal/redistest"
)

type fakeClock struct{ now atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.now.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *fakeClock) NowNano() int64                      { return c.now.Load() }
func (c *fakeClock) Tick(time.Duration) <-chan time.Time { return nil }
func (c *fakeClock) advance(d time.Duration)             { c.now.Add(int64(d)) }

type tierSpec struct {
	label string
	attrs map[string]any
}

func cfgOf(top map[string]any, loader map[string]any, tiers ...tierSpec) targets.Config {
	c := targets.Config{Attrs: top}
	if c.Attrs == nil {
		c.Attrs = map[string]any{}
	}
	for _, ts := range tiers {
		a := ts.attrs
		if a == nil {
			a = map[string]any{}
		}
		c.Blocks = append(c.Blocks, targets.Block{Type: "tier", Labels: []string{ts.label}, Config: targets.Config{Attrs: a}})
	}
	if loader != nil {
		c.Blocks = append(c.Blocks, targets.Block{Type: "loader", Config: targets.Config{Attrs: loader}})
	}
	return c
}

// withBreaker adds a breaker block with attrs to the tier labelled label.
func withBreaker(c targets.Config, label string, attrs map[string]any) targets.Config {
	if attrs == nil {
		attrs = map[string]any{}
	}
	for i, b := range c.Blocks {
		if b.Type == "tier" && b.Labels[0] == label {
			c.Blocks[i].Config.Blocks = append(b.Config.Blocks, targets.Block{Type: "breaker", Config: targets.Config{Attrs: attrs}})
		}
	}
	return c
}

func open(t *testing.T, cfg targets.Config, opts ...option) *Target {
	t.Helper()
	tg, err := newTarget(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tg.Close() })
	return tg
}

func wk(t *testing.T, tg *Target, id int) *worker {
	t.Helper()
	w, err := tg.NewWorker(id)
	if err != nil {
		t.Fatal(err)
	}
	return w.(*worker)
}

// present reports which tiers hold key, reading them directly.
func present(t *testing.T, tg *Target, w *worker, key uint64) []bool {
	t.Helper()
	out := make([]bool, len(tg.tiers))
	for i, tr := range tg.tiers {
		d, _, ok, err := tr.get(context.Background(), w, key, true)
		if err != nil {
			t.Fatalf("tier %d get: %v", i, err)
		}
		if ok && !stamped(key, d) {
			t.Fatalf("tier %d holds a value for key %d stamped %x", i, key, d[:8])
		}
		out[i] = ok
	}
	return out
}

var ctx = context.Background()

func TestKindRegisters(t *testing.T) {
	t.Parallel()
	k := Kind()
	if err := targets.NewRegistry().Register(k); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"hit_ratio", "l1_hits", "l1_hit_ratio", "l2_hits", "l3_hits", "evictions", "redis_errors", "loads", "load_waits",
		"l3_timeouts", "l3_bypassed", "l3_breaker_opens", "l3_breaker_closes", "l3_breaker_state"} {
		if !k.HasStat(s) {
			t.Errorf("stat %q missing", s)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    targets.Config
		wantOK bool
		attrs  []string
	}{
		{"l1 only", cfgOf(nil, nil, tierSpec{"l1", nil}), true, nil},
		{"three tiers", cfgOf(nil, map[string]any{"latency": time.Millisecond},
			tierSpec{"l1", nil}, tierSpec{"l2", nil}, tierSpec{"l3", map[string]any{"address": "127.0.0.1:1"}}), true, nil},
		{"no tier", cfgOf(nil, nil), false, []string{"tier"}},
		{"bad label", cfgOf(nil, nil, tierSpec{"hot", nil}), false, []string{"name"}},
		{"out of order", cfgOf(nil, nil, tierSpec{"l2", nil}, tierSpec{"l1", nil}), false, []string{"name"}},
		{"address on otter", cfgOf(nil, nil, tierSpec{"l1", map[string]any{"address": "x:1"}}), false, []string{"address"}},
		{"capacity on redis", cfgOf(nil, nil, tierSpec{"l3", map[string]any{"capacity": int64(5)}}), false, []string{"capacity"}},
		{"zero capacity", cfgOf(nil, nil, tierSpec{"l1", map[string]any{"capacity": int64(0)}}), false, []string{"capacity"}},
		{"two redis", cfgOf(nil, nil, tierSpec{"l2", map[string]any{"kind": KindRedis}}, tierSpec{"l3", nil}), false, []string{"kind"}},
		{"loader rates", cfgOf(nil, map[string]any{"error_rate": 2.0, "not_found_rate": -1.0}, tierSpec{"l1", nil}), false,
			[]string{"error_rate", "not_found_rate"}},
		{"negative ttl", cfgOf(map[string]any{"negative_ttl": -time.Second}, nil, tierSpec{"l1", nil}), false, []string{"negative_ttl"}},
		{"loader concurrency", cfgOf(nil, map[string]any{"concurrency": int64(4)}, tierSpec{"l1", nil}), true, nil},
		{"unlimited loader concurrency", cfgOf(nil, map[string]any{"concurrency": int64(0)}, tierSpec{"l1", nil}), true, nil},
		{"negative loader concurrency", cfgOf(nil, map[string]any{"concurrency": int64(-1)}, tierSpec{"l1", nil}), false, []string{"concurrency"}},
		{"breaker", withBreaker(cfgOf(nil, nil, tierSpec{"l1", nil}, tierSpec{"l3", nil}), "l3",
			map[string]any{"failures": int64(3), "cooldown": 500 * time.Millisecond}), true, nil},
		{"breaker disabled", withBreaker(cfgOf(nil, nil, tierSpec{"l3", nil}), "l3", map[string]any{"failures": int64(0)}), true, nil},
		{"breaker on otter", withBreaker(cfgOf(nil, nil, tierSpec{"l1", nil}), "l1", nil), false, []string{"breaker"}},
		{"breaker values", withBreaker(cfgOf(nil, nil, tierSpec{"l3", nil}), "l3",
			map[string]any{"failures": int64(-1), "cooldown": time.Duration(0)}), false, []string{"cooldown", "failures"}},
		{"two breakers", withBreaker(withBreaker(cfgOf(nil, nil, tierSpec{"l3", nil}), "l3", nil), "l3", nil), false, []string{"breaker"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Kind().Validate(tc.cfg)
			if (err == nil) != tc.wantOK {
				t.Fatalf("Validate = %v, want ok %v", err, tc.wantOK)
			}
			var got []string
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				for _, e := range j.Unwrap() {
					var ae *targets.AttrError
					if !errors.As(e, &ae) {
						t.Fatalf("%v is not an *AttrError", e)
					}
					got = append(got, ae.Attr)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.attrs) {
				t.Errorf("errors on %v, want %v (%v)", got, tc.attrs, err)
			}
		})
	}
}

func TestGetSetDelete(t *testing.T) {
	t.Parallel()
	tg := open(t, cfgOf(map[string]any{"prefill": int64(100)}, nil,
		tierSpec{"l1", map[string]any{"capacity": int64(1000)}}, tierSpec{"l2", nil}))
	w := wk(t, tg, 0)
	val := bytes.Repeat([]byte{0xAB}, 32)
	tests := []struct {
		name  string
		op    int
		key   uint64
		check func(t *testing.T)
	}{
		{"prefilled hit", opGet, 5, func(t *testing.T) {
			if got := present(t, tg, w, 5); !slices.Equal(got, []bool{true, true}) {
				t.Errorf("present = %v", got)
			}
		}},
		{"set", opSet, 500, func(t *testing.T) {
			d, err := w.get(ctx, 500)
			if err != nil || !bytes.Equal(d[8:], val[8:]) {
				t.Errorf("get after set = %x, %v", d, err)
			}
		}},
		{"delete", opDelete, 500, func(t *testing.T) {
			if got := present(t, tg, w, 500); slices.Contains(got, true) {
				t.Errorf("present after delete = %v", got)
			}
		}},
		{"miss", opGet, 9999, nil},
	}
	for _, tc := range tests { // sequential: steps share the target
		if err := w.Do(ctx, &targets.Request{Op: tc.op, Key: tc.key, Value: val}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.check != nil {
			t.Run(tc.name, tc.check)
		}
	}
	st := tg.Stats()
	want := map[string]float64{"hits": 2, "l1_hits": 2, "misses": 1, "l1_misses": 1, "l2_misses": 1, "sets": 1, "deletes": 1, "corrupt": 0}
	for k, v := range want {
		if st[k] != v {
			t.Errorf("%s = %v, want %v", k, st[k], v)
		}
	}
	if st["hit_ratio"] != 2.0/3 {
		t.Errorf("hit_ratio = %v", st["hit_ratio"])
	}
}

func TestTTLExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		tiers []tierSpec
	}{
		{"otter", []tierSpec{{"l1", map[string]any{"ttl": 10 * time.Second}}}},
		{"bigcache", []tierSpec{{"l2", map[string]any{"ttl": 10 * time.Second}}}},
		{"both", []tierSpec{{"l1", map[string]any{"ttl": 10 * time.Second}}, {"l2", map[string]any{"ttl": 10 * time.Second}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newFakeClock()
			tg := open(t, cfgOf(nil, nil, tc.tiers...), withClock(clk))
			w := wk(t, tg, 0)
			if err := w.set(ctx, 1, []byte("value-of-1")); err != nil {
				t.Fatal(err)
			}
			clk.advance(9 * time.Second)
			if d, _ := w.get(ctx, 1); d == nil {
				t.Fatal("entry gone before its ttl")
			}
			clk.advance(2 * time.Second)
			if d, _ := w.get(ctx, 1); d != nil {
				t.Fatal("entry still there after its ttl")
			}
		})
	}
}

func TestPromotionCarriesRemainingTTL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		l1TTL   time.Duration
		wantTTL time.Duration // of the promoted L1 entry
	}{
		{"remaining lifetime", 0, 3 * time.Second},
		{"capped by l1 ttl", time.Second, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newFakeClock()
			tg := open(t, cfgOf(nil, nil,
				tierSpec{"l1", map[string]any{"ttl": tc.l1TTL}},
				tierSpec{"l2", map[string]any{"ttl": 10 * time.Second}}), withClock(clk))
			w := wk(t, tg, 0)
			if err := w.set(ctx, 7, []byte("seven---")); err != nil {
				t.Fatal(err)
			}
			_ = tg.tiers[0].del(ctx, w, 7) // as if L1 had evicted it
			clk.advance(7 * time.Second)
			if d, _ := w.get(ctx, 7); d == nil {
				t.Fatal("L2 miss")
			}
			st := tg.Stats()
			if st["l2_hits"] != 1 || st["l1_promotions"] != 1 {
				t.Fatalf("stats after promotion: l2_hits %v l1_promotions %v", st["l2_hits"], st["l1_promotions"])
			}
			_, ttl, ok, _ := tg.tiers[0].get(ctx, w, 7, true)
			if !ok || ttl != tc.wantTTL {
				t.Fatalf("promoted L1 entry ttl = %v (ok %v), want %v", ttl, ok, tc.wantTTL)
			}
			clk.advance(tc.wantTTL - time.Millisecond)
			if ok := present(t, tg, w, 7); !ok[0] {
				t.Fatal("promoted entry expired early")
			}
			clk.advance(2 * time.Millisecond)
			if ok := present(t, tg, w, 7); ok[0] {
				t.Fatal("promoted entry outlived its remaining lifetime")
			}
		})
	}
}

// blockingLoader returns a load hook that signals entry and waits for release.
func blockingLoader() (hook func(context.Context, uint64) error, entered chan uint64, release chan struct{}) {
	entered, release = make(chan uint64, 16), make(chan struct{})
	return func(ctx context.Context, key uint64) error {
		entered <- key
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, entered, release
}

func TestWriteDuringLoadLeavesNoStaleData(t *testing.T) {
	t.Parallel()
	loaderVal := []byte("LOADER--payload")
	setVal := []byte("SETTER--payload")
	tests := []struct {
		name  string
		race  func(w *worker) error
		check func(t *testing.T, tg *Target, w *worker)
	}{
		{"delete", func(w *worker) error { return w.del(ctx, 42) }, func(t *testing.T, tg *Target, w *worker) {
			if got := present(t, tg, w, 42); slices.Contains(got, true) {
				t.Errorf("deleted key present after the load: %v", got)
			}
		}},
		{"set", func(w *worker) error { return w.set(ctx, 42, setVal) }, func(t *testing.T, tg *Target, w *worker) {
			for i, tr := range tg.tiers {
				if d, _, ok, _ := tr.get(ctx, w, 42, false); ok && bytes.Equal(d[8:], loaderVal[8:]) {
					t.Errorf("tier %d holds the loader's stale value", i)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hook, entered, release := blockingLoader()
			tg := open(t, cfgOf(nil, nil, tierSpec{"l1", nil}, tierSpec{"l2", nil}), withLoadHook(hook))
			loaderW, otherW := wk(t, tg, 0), wk(t, tg, 1)
			done := make(chan error, 1)
			go func() {
				d, err := loaderW.getOrLoad(ctx, 42, loaderVal)
				if err == nil && !stamped(42, d) {
					err = errors.New("loaded value not stamped")
				}
				done <- err
			}()
			<-entered // the load is in flight
			if err := tc.race(otherW); err != nil {
				t.Fatal(err)
			}
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			tc.check(t, tg, otherW)
			if st := tg.Stats(); st["load_dropped"] != 1 || st["loads"] != 1 {
				t.Errorf("loads %v load_dropped %v, want 1 and 1", st["loads"], st["load_dropped"])
			}
		})
	}
}

func TestLoadsMerged(t *testing.T) {
	t.Parallel()
	hook, entered, release := blockingLoader()
	tg := open(t, cfgOf(nil, nil, tierSpec{"l1", nil}), withLoadHook(hook))
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		w := wk(t, tg, i)
		wg.Go(func() {
			if d, err := w.getOrLoad(ctx, 3, []byte("payload!")); err != nil || !stamped(3, d) {
				t.Errorf("getOrLoad = %x, %v", d, err)
			}
		})
	}
	<-entered
	time.Sleep(20 * time.Millisecond) // let the other callers join the flight
	close(release)
	wg.Wait()
	if loads := tg.Stats()["loads"]; loads >= n {
		t.Errorf("loads = %v for %d concurrent callers; not merged", loads, n)
	}
}

func TestLoaderOutcomes(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	tests := []struct {
		name   string
		top    map[string]any
		loader map[string]any
		run    func(t *testing.T, tg *Target, w *worker)
	}{
		{"loads then hits", nil, map[string]any{"latency": time.Duration(0)}, func(t *testing.T, tg *Target, w *worker) {
			for range 3 {
				if d, err := w.getOrLoad(ctx, 1, []byte("abcdefghij")); err != nil || !stamped(1, d) {
					t.Fatalf("getOrLoad = %x, %v", d, err)
				}
			}
			if st := tg.Stats(); st["loads"] != 1 || st["hits"] != 2 {
				t.Errorf("loads %v hits %v", st["loads"], st["hits"])
			}
		}},
		{"load errors", nil, map[string]any{"latency": time.Duration(0), "error_rate": 1.0}, func(t *testing.T, tg *Target, w *worker) {
			if _, err := w.getOrLoad(ctx, 1, nil); !errors.Is(err, ErrLoad) {
				t.Fatalf("err = %v, want ErrLoad", err)
			}
			if st := tg.Stats(); st["load_errors"] != 1 {
				t.Errorf("load_errors %v", st["load_errors"])
			}
		}},
		{"negative caching", map[string]any{"negative_ttl": 5 * time.Second},
			map[string]any{"latency": time.Duration(0), "not_found_rate": 1.0}, func(t *testing.T, tg *Target, w *worker) {
				for range 2 {
					if d, err := w.getOrLoad(ctx, 9, nil); d != nil || err != nil {
						t.Fatalf("getOrLoad = %x, %v; want not found", d, err)
					}
				}
				if st := tg.Stats(); st["loads"] != 1 || st["negative_hits"] != 1 || st["not_found"] != 1 {
					t.Errorf("loads %v negative_hits %v not_found %v", st["loads"], st["negative_hits"], st["not_found"])
				}
				clk.advance(6 * time.Second)
				_, _ = w.getOrLoad(ctx, 9, nil)
				if st := tg.Stats(); st["loads"] != 2 {
					t.Errorf("loads after negative ttl = %v, want 2", st["loads"])
				}
				_ = w.set(ctx, 9, []byte("now-here"))
				if d, err := w.getOrLoad(ctx, 9, nil); err != nil || d == nil {
					t.Errorf("getOrLoad after set = %x, %v", d, err)
				}
			}},
		{"cancelled load", nil, map[string]any{"latency": time.Hour}, func(t *testing.T, tg *Target, w *worker) {
			c, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := w.getOrLoad(c, 1, nil); !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := open(t, cfgOf(tc.top, tc.loader, tierSpec{"l1", nil}), withClock(clk))
			tc.run(t, tg, wk(t, tg, 0))
		})
	}
}

// countingLoader is blockingLoader that also tracks the loader calls in
// flight and the most seen at once.
func countingLoader() (hook func(context.Context, uint64) error, entered chan uint64, release chan struct{}, maxInFlight *atomic.Int64) {
	inner, entered, release := blockingLoader()
	var inFlight atomic.Int64
	maxInFlight = new(atomic.Int64)
	return func(ctx context.Context, key uint64) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
		}
		return inner(ctx, key)
	}, entered, release, maxInFlight
}

func TestLoaderConcurrencyLimit(t *testing.T) {
	t.Parallel()
	const callers = 6 // distinct keys, so singleflight merges nothing
	tests := []struct {
		name        string
		concurrency int64
		wantRunning int // loader calls running while none is released
	}{
		{"unlimited", 0, callers},
		{"one", 1, 1},
		{"two", 2, 2},
		{"five", 5, 5},
		{"more than callers", 10, callers},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hook, entered, release, maxInFlight := countingLoader()
			tg := open(t, cfgOf(nil, map[string]any{"concurrency": tc.concurrency}, tierSpec{"l1", nil}), withLoadHook(hook))
			var wg sync.WaitGroup
			for i := range callers {
				w := wk(t, tg, i)
				key := uint64(100 + i)
				wg.Go(func() {
					if d, err := w.getOrLoad(ctx, key, []byte("payload!")); err != nil || !stamped(key, d) {
						t.Errorf("getOrLoad(%d) = %x, %v", key, d, err)
					}
				})
			}
			// Every caller is either in the loader or queued for a slot.
			for range tc.wantRunning {
				<-entered
			}
			wantWaits := float64(callers - tc.wantRunning)
			nettest.WaitFor(t, "the other loads to queue", 30*time.Second, func() bool {
				return len(entered) > 0 || tg.Stats()["load_waits"] == wantWaits // an extra load fails below
			})
			select {
			case k := <-entered:
				t.Fatalf("load of key %d started while %d were in flight and the limit is %d", k, tc.wantRunning, tc.concurrency)
			default:
			}
			if st := tg.Stats(); st["loads"] != float64(tc.wantRunning) {
				t.Errorf("loads = %v before any finished, want %d (queued loads do not count)", st["loads"], tc.wantRunning)
			}
			close(release)
			wg.Wait()
			if got := maxInFlight.Load(); got != int64(tc.wantRunning) {
				t.Errorf("most loader calls in flight = %d, want %d", got, tc.wantRunning)
			}
			st := tg.Stats()
			if st["loads"] != callers || st["load_waits"] != wantWaits || st["load_errors"] != 0 {
				t.Errorf("loads %v load_waits %v load_errors %v, want %d, %v, 0", st["loads"], st["load_waits"], st["load_errors"], callers, wantWaits)
			}
		})
	}
}

func TestQueuedLoadCancelled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// ctx returns the queued load's context and a function that ends it.
		ctx     func() (context.Context, context.CancelFunc)
		wantErr error
	}{
		{"cancelled while queued", func() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }, context.Canceled},
		{"deadline passed", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(ctx, time.Now().Add(-time.Second))
		}, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hook, entered, release := blockingLoader()
			tg := open(t, cfgOf(nil, map[string]any{"concurrency": int64(1)}, tierSpec{"l1", nil}, tierSpec{"l2", nil}),
				withLoadHook(hook))
			holder, queued := wk(t, tg, 0), wk(t, tg, 1)
			held := make(chan error, 1)
			go func() {
				_, err := holder.getOrLoad(ctx, 1, []byte("holder--"))
				held <- err
			}()
			<-entered // key 1's load holds the only slot until release

			qctx, cancel := tc.ctx()
			defer cancel()
			done := make(chan error, 1)
			go func() {
				d, err := queued.getOrLoad(qctx, 2, []byte("queued--"))
				if d != nil {
					err = errors.Join(err, errors.New("queued load returned a value"))
				}
				done <- err
			}()
			nettest.WaitFor(t, "the load of key 2 to queue", 30*time.Second, func() bool {
				return len(entered) > 0 || tg.Stats()["load_waits"] == 1 // a load that did not queue fails below
			})
			cancel()
			// The slot is still held, so returning proves the wait honours
			// the context rather than the slot. The timer only turns a hang
			// into a failure.
			select {
			case err := <-done:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("queued getOrLoad err = %v, want %v", err, tc.wantErr)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("queued getOrLoad did not return after its context ended")
			}
			select {
			case k := <-entered:
				t.Fatalf("loader called for key %d after its wait was abandoned", k)
			default:
			}
			if got := present(t, tg, queued, 2); slices.Contains(got, true) {
				t.Errorf("abandoned key present: %v", got)
			}
			if st := tg.Stats(); st["loads"] != 1 || st["load_errors"] != 0 {
				t.Errorf("loads %v load_errors %v after the abandoned wait, want 1 and 0", st["loads"], st["load_errors"])
			}

			// The abandoned wait took no slot: once the holder finishes, key 2
			// loads.
			close(release)
			if err := <-held; err != nil {
				t.Fatalf("holder: %v", err)
			}
			if d, err := queued.getOrLoad(ctx, 2, []byte("queued--")); err != nil || !stamped(2, d) {
				t.Fatalf("getOrLoad after release = %x, %v", d, err)
			}
			if st := tg.Stats(); st["loads"] != 2 {
				t.Errorf("loads = %v, want 2", st["loads"])
			}
		})
	}
}

// TestRaceStress hammers a small two-tier cache with concurrent get, set,
// delete and get_or_load on overlapping keys, so that evictions, promotions
// and write/load races all happen; every value read must carry its key.
func TestRaceStress(t *testing.T) {
	t.Parallel()
	const keys, workers = 300, 4
	ops := 20000
	if testing.Short() {
		ops = 2000
	}
	tg := open(t, cfgOf(map[string]any{"prefill": int64(keys / 2)}, map[string]any{"latency": time.Duration(0)},
		tierSpec{"l1", map[string]any{"capacity": int64(50)}},
		tierSpec{"l2", map[string]any{"capacity": int64(200), "entry_size": int64(64)}}))
	var wg sync.WaitGroup
	for id := range workers {
		w := wk(t, tg, id)
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(id), 1))
			val := make([]byte, 24)
			req := &targets.Request{Value: val}
			for range ops {
				req.Key = r.Uint64N(keys)
				req.Op = []int{opGet, opGet, opGet, opSet, opDelete, opGetOrLoad}[r.IntN(6)]
				for i := range val {
					val[i] = byte(r.Uint32()) // the executor reuses Value
				}
				if err := w.Do(ctx, req); err != nil {
					t.Errorf("op %d key %d: %v", req.Op, req.Key, err)
					return
				}
			}
		})
	}
	wg.Wait()
	w := wk(t, tg, workers)
	for k := range uint64(keys) {
		present(t, tg, w, k) // fails on a value stamped with another key
	}
	st := tg.Stats()
	if st["corrupt"] != 0 {
		t.Errorf("corrupt = %v", st["corrupt"])
	}
	if st["l1_evictions"] == 0 || st["l1_promotions"] == 0 {
		t.Errorf("stress did not exercise evictions (%v) or promotions (%v)", st["l1_evictions"], st["l1_promotions"])
	}
}

func TestRedisTier(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	prefix := "t:" + t.Name() + ":"
	tg := open(t, cfgOf(map[string]any{"key_prefix": prefix, "prefill": int64(10)}, map[string]any{"latency": time.Duration(0)},
		tierSpec{"l1", nil},
		tierSpec{"l3", map[string]any{"address": srv.Addr, "ttl": 10 * time.Second}}))
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	w := wk(t, tg, 0)

	// Prefill and set write through to Redis.
	if b, err := rdb.Get(ctx, prefix+"3").Bytes(); err != nil || !stamped(3, b) {
		t.Fatalf("prefilled key in redis = %x, %v", b, err)
	}
	if err := w.set(ctx, 100, []byte("hundred-")); err != nil {
		t.Fatal(err)
	}
	b, err := rdb.Get(ctx, prefix+"100").Bytes()
	if err != nil || !stamped(100, b) {
		t.Fatalf("redis value = %q, %v", b, err)
	}
	// An L3 hit is promoted into L1 with Redis's remaining TTL.
	_ = tg.tiers[0].del(ctx, w, 100)
	if err := rdb.PExpire(ctx, prefix+"100", 4*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if d, err := w.get(ctx, 100); err != nil || d == nil {
		t.Fatalf("get = %x, %v", d, err)
	}
	_, ttl, ok, _ := tg.tiers[0].get(ctx, w, 100, true)
	if !ok || ttl > 4*time.Second || ttl < 3*time.Second {
		t.Errorf("promoted ttl = %v (ok %v), want about 4s", ttl, ok)
	}
	// Delete removes from Redis; get_or_load stores there.
	_ = w.del(ctx, 100)
	if n, _ := rdb.Exists(ctx, prefix+"100").Result(); n != 0 {
		t.Error("deleted key still in redis")
	}
	if _, err := w.getOrLoad(ctx, 200, []byte("loaded--")); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(ctx, prefix+"200").Result(); n != 1 {
		t.Error("loaded key not in redis")
	}
	if st := tg.Stats(); st["l3_hits"] != 1 || st["l1_promotions"] != 1 || st["redis_errors"] != 0 {
		t.Errorf("l3_hits %v l1_promotions %v redis_errors %v", st["l3_hits"], st["l1_promotions"], st["redis_errors"])
	}
}

func TestRedisDown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	tg := open(t, cfgOf(map[string]any{"prefill": int64(10)}, map[string]any{"latency": time.Duration(0)},
		tierSpec{"l1", nil},
		tierSpec{"l3", map[string]any{"address": srv.Addr, "timeout": 200 * time.Millisecond}}))
	w := wk(t, tg, 0)
	srv.Stop()

	steps := []struct {
		name string
		do   func() ([]byte, error)
		want bool // a value
	}{
		{"L1 hit unaffected", func() ([]byte, error) { return w.get(ctx, 3) }, true},
		{"miss falls through", func() ([]byte, error) { return w.get(ctx, 500) }, false},
		{"set still fills L1", func() ([]byte, error) { return nil, w.set(ctx, 501, []byte("x")) }, false},
		{"read back from L1", func() ([]byte, error) { return w.get(ctx, 501) }, true},
		{"load still served", func() ([]byte, error) { return w.getOrLoad(ctx, 502, nil) }, true},
		{"delete", func() ([]byte, error) { return nil, w.del(ctx, 501) }, false},
	}
	for _, s := range steps {
		d, err := s.do()
		if err != nil {
			t.Fatalf("%s: caller saw %v", s.name, err)
		}
		if (d != nil) != s.want {
			t.Errorf("%s: value %x, want present %v", s.name, d, s.want)
		}
	}
	before := tg.Stats()["redis_errors"]
	if before < 4 {
		t.Errorf("redis_errors = %v, want at least 4", before)
	}

	srv.Restart()
	// The pool may hold a dead connection or two; Redis is used again soon.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := w.set(ctx, 600, []byte("back----")); err != nil {
			t.Fatal(err)
		}
		_ = tg.tiers[0].del(ctx, w, 600)
		if d, _ := w.get(ctx, 600); d != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("redis not used again after restart")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestOpenFailsWithoutRedis(t *testing.T) {
	t.Parallel()
	tg, err := New(cfgOf(nil, nil, tierSpec{"l1", nil}, tierSpec{"l3", map[string]any{"address": "127.0.0.1:1", "timeout": 100 * time.Millisecond}}))
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Open(ctx); err == nil {
		_ = tg.Close()
		t.Fatal("Open succeeded against a closed port")
	}
}

// TestEntriesAndHeapGrowth is not parallel: heap growth is a process-wide
// figure, so it runs while no other test allocates.
func TestEntriesAndHeapGrowth(t *testing.T) {
	const n, size = 1000, 4096
	tg := open(t, cfgOf(map[string]any{"prefill": int64(n), "prefill_value_size": int64(size)}, nil,
		tierSpec{"l1", map[string]any{"capacity": int64(10 * n)}}, tierSpec{"l2", map[string]any{"entry_size": int64(size + 64)}}))
	st := tg.Stats()
	if st["l2_entries"] != n {
		t.Errorf("l2_entries = %v, want %d", st["l2_entries"], n)
	}
	if st["l1_entries"] < n*0.9 || st["l1_entries"] > n*1.1 {
		t.Errorf("l1_entries = %v, want about %d", st["l1_entries"], n)
	}
	if st["entries"] != st["l1_entries"]+st["l2_entries"] {
		t.Errorf("entries = %v, want the sum of the tiers", st["entries"])
	}
	// L1 holds n values of size bytes on the Go heap (bigcache's shards were
	// allocated too), so the heap grew by at least n*size.
	if st["heap_growth_bytes"] < n*size {
		t.Errorf("heap_growth_bytes = %v, want at least %d", st["heap_growth_bytes"], n*size)
	}
}

// TestGetPathsCountAlike: a get counts the same statistics and detects a
// corrupt value the same way whether it takes Do's fast path (an otter L1)
// or the general one (a bigcache L1), on a hit in the first tier, a hit in
// the second and a miss in both.
func TestGetPathsCountAlike(t *testing.T) {
	t.Parallel()
	for _, l1kind := range []string{KindOtter, KindBigcache} {
		t.Run(l1kind, func(t *testing.T) {
			t.Parallel()
			tg := open(t, cfgOf(nil, nil,
				tierSpec{"l1", map[string]any{"kind": l1kind, "capacity": int64(1000)}},
				tierSpec{"l2", map[string]any{"kind": KindBigcache}}))
			if fast := wk(t, tg, 0).l1 != nil; fast != (l1kind == KindOtter) {
				t.Fatalf("fast path = %v for an L1 of kind %s", fast, l1kind)
			}
			w := wk(t, tg, 1)
			val := make([]byte, 16)
			put := func(tier int, key, stampKey uint64) {
				if err := tg.tiers[tier].set(ctx, w, key, stamp(stampKey, val), forever); err != nil {
					t.Fatal(err)
				}
			}
			put(0, 1, 1)  // L1 hit
			put(1, 2, 2)  // L2 hit, promoted
			put(0, 3, 99) // corrupt in L1
			put(1, 4, 98) // corrupt in L2
			steps := []struct {
				key     uint64
				corrupt bool
			}{{1, false}, {2, false}, {2, false}, {5, false}, {3, true}, {4, true}}
			for _, s := range steps {
				err := w.Do(ctx, &targets.Request{Op: opGet, Key: s.key})
				if got := errors.Is(err, ErrCorrupt); got != s.corrupt || (err != nil && !got) {
					t.Errorf("get %d: %v, want corrupt %v", s.key, err, s.corrupt)
				}
			}
			st := tg.Stats()
			want := map[string]float64{
				"l1_hits": 3, "l1_misses": 3, "l2_hits": 2, "l2_misses": 1,
				"hits": 5, "misses": 1, "l1_promotions": 2, "corrupt": 2,
			}
			for k, v := range want {
				if st[k] != v {
					t.Errorf("%s = %v, want %v", k, st[k], v)
				}
			}
		})
	}
}

// TestParseDefaults: a configuration built by hand in Go, without the plan
// loader, gets the schema's defaults (declared once, in schema()) and the
// kind-dependent ones of its tiers.
func TestParseDefaults(t *testing.T) {
	t.Parallel()
	c, err := parse(cfgOf(nil, nil, tierSpec{"l1", nil}, tierSpec{"l2", nil}, tierSpec{"l3", nil}))
	if err != nil {
		t.Fatal(err)
	}
	if c.prefill != 0 || c.prefillValueSize != 64 || c.negativeTTL != 0 || c.negativeCapacity != 10_000 || c.keyPrefix != "perfplan:cache:" {
		t.Errorf("top-level defaults %+v", c)
	}
	if c.loader != (loaderConfig{latency: time.Millisecond}) {
		t.Errorf("loader defaults %+v", c.loader)
	}
	want := []tierConfig{
		{label: "l1", level: 0, kind: KindOtter, capacity: DefaultL1Capacity, entrySize: DefaultEntrySize},
		{label: "l2", level: 1, kind: KindBigcache, capacity: DefaultL2Capacity, entrySize: DefaultEntrySize},
		{label: "l3", level: 2, kind: KindRedis, address: DefaultRedisAddress, timeout: DefaultRedisTimeout,
			breaker: breakerConfig{failures: DefaultBreakerFailures, cooldown: DefaultBreakerCooldown}},
	}
	if !slices.Equal(c.tiers, want) {
		t.Errorf("tiers\n%+v\nwant\n%+v", c.tiers, want)
	}
	_, err = parse(cfgOf(map[string]any{"prefill_value_size": int64(4)}, nil, tierSpec{"l1", nil}))
	if err == nil || !strings.Contains(err.Error(), "prefill_value_size: must be at least 8, got 4") {
		t.Errorf("schema minimum not checked: %v", err)
	}
}

// TestOtterEvictionsCounted: an otter tier counts as evictions the entries
// it dropped for its size limit, and not the ones deleted or replaced.
func TestOtterEvictionsCounted(t *testing.T) {
	t.Parallel()
	tr, err := newOtterTier(tierConfig{label: "l1", capacity: 10, ttl: time.Hour}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.close()
	val := stamp(0, make([]byte, 16))
	for k := range uint64(100) {
		_ = tr.set(ctx, nil, k, val, forever)
	}
	_ = tr.set(ctx, nil, 99, val, forever) // a replacement, if still there
	tr.c.CleanUp()
	size := tr.entries()
	if got, want := tr.evictions(), 100-size; got != want || size > 10 {
		t.Fatalf("%d evictions with %d entries left of 100 inserted, want %d", got, size, want)
	}
	before := tr.evictions()
	for k := range uint64(100) {
		_ = tr.del(ctx, nil, k)
	}
	tr.c.CleanUp()
	if got := tr.evictions(); got != before || tr.entries() != 0 {
		t.Fatalf("deleting every key moved evictions from %d to %d (%d entries left)", before, got, tr.entries())
	}
}
