// Package cache provides the cache target: a multi-tier cache manager with an
// in-process L1 (otter v2, W-TinyLFU, per-entry TTL), an optional larger
// in-process L2 (bigcache v3, GC-friendly byte shards) and an optional Redis
// L3 (go-redis v9), with a read-through loader for get_or_load.
//
// # Semantics
//
//   - A read looks in L1, then L2, then L3. A hit in a lower tier is promoted
//     into every tier above it with the entry's remaining lifetime, capped by
//     each tier's own ttl.
//   - set writes through every tier; delete removes from every tier.
//   - get_or_load reads through: when every tier misses (and the key is not
//     remembered as not found, see negative_ttl) it calls the loader.
//     Concurrent loads of one key are merged with singleflight; the merged
//     load runs on the first caller's goroutine and under its context.
//   - loader concurrency, when positive, bounds the loader calls in flight
//     (after merging), like an origin database's connection pool: a load
//     that finds every slot taken waits for one (counted as load_waits), the
//     wait is part of its get_or_load latency, and a wait cut short by the
//     context fails with the context's error and counts as no load. The slot
//     is held for the loader call only, not while the tiers are written.
//   - A write that results from a read (a promotion or a load) never
//     resurrects data that a concurrent delete or set replaced: each key maps
//     to a generation counter that set and delete bump before they touch the
//     tiers; a reader notes the generation before it reads the lower tiers and,
//     after storing, checks it again and removes what it stored if it changed
//     (counted as load_dropped for loads). The outcome of such a race is a
//     miss, never stale data.
//   - Values are copies of the request's value whose first 8 bytes are
//     overwritten with the key (little endian). get checks the stamp and fails
//     with ErrCorrupt (counted as corrupt) if a value does not match its key.
//   - A Redis error never fails a caller: a failed Redis read counts as an L3
//     miss and a failed Redis write or delete is skipped; both count
//     redis_errors. A delete that fails in Redis may leave the old value there
//     until it expires. Open fails if Redis does not answer PING.
//   - The Redis calls of one operation share one budget of the tier's
//     timeout, enforced by a context deadline on each call (and go-redis's
//     own timeouts, without retries). Calls that run out of it count as
//     l3_timeouts (and redis_errors). After a failed Redis call the
//     operation skips Redis for the rest of its work (counted as
//     l3_bypassed).
//   - A circuit breaker guards Redis: after breaker.failures consecutive
//     failed calls it opens, and Redis is bypassed (l3_bypassed; a bypassed
//     read is an L3 miss) for breaker.cooldown; then one call probes Redis
//     while the others still bypass it. A successful probe closes the
//     breaker, a failed one opens it again. l3_breaker_opens and
//     l3_breaker_closes count the transitions, l3_breaker_state is the
//     current state (0 closed, 1 open, 2 half-open). A call cut short by the
//     caller's context (the run stopping) counts as nothing.
//
// Statistics are listed in Kind().Stats. Tier statistics are named by the
// tier's level (l1_, l2_, l3_); overall hits are reads served by any tier,
// misses are reads no tier served (negative hits included), and
// hit_ratio = hits / (hits + misses).
package cache

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"

	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/singleflight"

	"github.com/perfplan/perfplan/targets"
)

// Errors returned by operations.
var (
	// ErrCorrupt means a stored value does not carry its key's stamp.
	ErrCorrupt = errors.New("cache: value does not match its key")
	// ErrLoad is the loader's injected failure (loader error_rate).
	ErrLoad = errors.New("cache: loader failed")
)

// Operation indexes in Kind().Ops.
const (
	opGet = iota
	opSet
	opDelete
	opGetOrLoad
)

// Kind is the cache target kind.
func Kind() targets.Kind {
	return targets.Kind{
		Name:   "cache",
		Doc:    "multi-tier cache manager: otter L1, bigcache L2, Redis L3, read-through loader",
		Schema: schema(),
		Ops: []targets.OpSpec{
			{Name: "get", Doc: "read L1, L2, L3 in order; promote a lower-tier hit"},
			{Name: "set", Doc: "write a copy of the value through every tier"},
			{Name: "delete", Doc: "remove the key from every tier"},
			{Name: "get_or_load", Doc: "get, and on a miss in every tier load the value and store it (loads merged per key)"},
		},
		Stats:    statNames(),
		Gauges:   gaugeNames(),
		Ratios:   ratioStats(),
		Validate: func(cfg targets.Config) error { _, err := parse(cfg); return err },
		New:      func(cfg targets.Config) (targets.Target, error) { return New(cfg) },
	}
}

var overallStats = []string{
	"hits", "misses", "hit_ratio", "evictions", "promotions",
	"loads", "load_errors", "load_dropped", "load_waits", "not_found", "negative_hits",
	"redis_errors", "sets", "deletes", "corrupt", "entries", "heap_growth_bytes",
	"l3_timeouts", "l3_bypassed", "l3_breaker_opens", "l3_breaker_closes", "l3_breaker_state",
}

var tierStats = []string{"hits", "misses", "hit_ratio", "evictions", "promotions", "entries"}

// gaugeNames are the statistics that are levels, not counters: a
// scenario reports their value at its end.
func gaugeNames() []string {
	g := []string{"entries", "heap_growth_bytes", "l3_breaker_state"}
	for _, l := range tierLabels {
		g = append(g, l+"_entries")
	}
	return g
}

// ratioStats are the hit ratios, recomputed over a scenario's span from
// their counters.
func ratioStats() map[string]targets.Ratio {
	r := map[string]targets.Ratio{"hit_ratio": {Num: []string{"hits"}, Den: []string{"hits", "misses"}}}
	for _, l := range tierLabels {
		r[l+"_hit_ratio"] = targets.Ratio{Num: []string{l + "_hits"}, Den: []string{l + "_hits", l + "_misses"}}
	}
	return r
}

func statNames() []string {
	names := append([]string(nil), overallStats...)
	for _, l := range tierLabels {
		for _, s := range tierStats {
			names = append(names, l+"_"+s)
		}
	}
	return names
}

// counters are one worker's statistics. Only its worker writes them; Stats
// reads them concurrently, hence the atomics (uncontended).
type counters struct {
	hits, misses, promotions [3]atomic.Int64

	loads, loadErrors, loadDropped, loadWaits, notFound, negHits atomic.Int64
	redisErrors, sets, deletes, corrupt                          atomic.Int64
	l3Timeouts, l3Bypassed                                       atomic.Int64
	_                                                            [64]byte // keep workers' counters on separate cache lines
}

const genBits = 16

// Target is the cache target.
type Target struct {
	cfg   *config
	clk   clock
	fake  bool                                // clk is a test clock, handed to otter
	hook  func(context.Context, uint64) error // test hook replacing the loader's sleep
	tiers []tier
	level []int // tiers[i]'s statistics index
	redis *redisTier
	neg   *otter.Cache[uint64, struct{}]
	sf    singleflight.Group
	gens  []atomic.Uint64
	// loadSlots is the loader's semaphore: a load holds one element for its
	// loader call. Nil when loader concurrency is 0 (unlimited).
	loadSlots chan struct{}

	mu       sync.Mutex
	counters []*counters
	base     *worker // for prefill and internal use
	// heapAtOpen is the process's live heap object bytes when Open began,
	// the reference for heap_growth_bytes.
	heapAtOpen uint64
}

// heapObjectBytes reads the bytes in live and not-yet-swept heap objects
// from runtime/metrics, which does not stop the world.
func heapObjectBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// option configures a Target in tests.
type option func(*Target)

// withClock makes the target (and its otter tiers) use clk for expiry.
func withClock(c clock) option { return func(t *Target) { t.clk, t.fake = c, true } }

// withLoadHook replaces the loader's latency with a call to f.
func withLoadHook(f func(context.Context, uint64) error) option {
	return func(t *Target) { t.hook = f }
}

// New builds an unopened cache target from a configuration.
func New(cfg targets.Config) (*Target, error) { return newTarget(cfg) }

func newTarget(cfg targets.Config, opts ...option) (*Target, error) {
	c, err := parse(cfg)
	if err != nil {
		return nil, fmt.Errorf("cache target: %w", err)
	}
	t := &Target{cfg: c, clk: realClock{}, gens: make([]atomic.Uint64, 1<<genBits)}
	if n := c.loader.concurrency; n > 0 {
		t.loadSlots = make(chan struct{}, n)
	}
	for _, o := range opts {
		o(t)
	}
	return t, nil
}

// Open creates the tiers, checks that Redis answers and prefills keys
// 0..prefill-1 through every tier (values of prefill_value_size bytes).
// The Redis check and prefill are not under the per-operation deadline:
// they have timeouts of the larger of timeout and 1s, and retry.
func (t *Target) Open(ctx context.Context) error {
	runtime.GC()
	t.heapAtOpen = heapObjectBytes()
	for _, tc := range t.cfg.tiers {
		var (
			tr  tier
			err error
		)
		switch tc.kind {
		case KindOtter:
			tr, err = newOtterTier(tc, t.clk, t.fake)
		case KindBigcache:
			tr, err = newBigTier(tc, t.clk)
		case KindRedis:
			now := monotonicNow()
			if t.fake {
				now = t.clk.NowNano
			}
			r := newRedisTier(tc, t.cfg.keyPrefix, now)
			tr, t.redis = r, r
			pctx, cancel := context.WithTimeout(ctx, max(tc.timeout, setupTimeout))
			err = r.ping(pctx)
			cancel()
		}
		if tr != nil {
			t.tiers = append(t.tiers, tr)
			t.level = append(t.level, tc.level)
		}
		if err != nil {
			_ = t.Close()
			return fmt.Errorf("open cache target: %w", err)
		}
	}
	if t.cfg.negativeTTL > 0 {
		opts := &otter.Options[uint64, struct{}]{
			MaximumSize:      t.cfg.negativeCapacity,
			ExpiryCalculator: otter.ExpiryWriting[uint64, struct{}](t.cfg.negativeTTL),
		}
		if t.fake {
			opts.Clock = t.clk
		}
		neg, err := otter.New(opts)
		if err != nil {
			_ = t.Close()
			return fmt.Errorf("open cache target: negative cache: %w", err)
		}
		t.neg = neg
	}
	t.base = t.newWorker(-1)
	if err := t.prefill(ctx); err != nil {
		_ = t.Close()
		return fmt.Errorf("open cache target: prefill: %w", err)
	}
	if t.redis != nil {
		if err := t.redis.closeSetup(); err != nil {
			_ = t.Close()
			return fmt.Errorf("open cache target: %w", err)
		}
	}
	return nil
}

func (t *Target) prefill(ctx context.Context) error {
	n := t.cfg.prefill
	if n == 0 {
		return nil
	}
	w := t.base
	val := make([]byte, t.cfg.prefillValueSize)
	const batch = 1000
	for lo := 0; lo < n; lo += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+batch, n)
		for k := lo; k < hi; k++ {
			data := stamp(uint64(k), val)
			for _, tr := range t.tiers {
				if tr == tier(t.redis) {
					continue
				}
				if err := tr.set(ctx, w, uint64(k), data, forever); err != nil {
					return err
				}
			}
		}
		if t.redis != nil {
			if err := t.redis.prefill(ctx, w, lo, hi, val); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close stops every tier's background work and closes the Redis client.
func (t *Target) Close() error {
	var errs []error
	for _, tr := range t.tiers {
		if err := tr.close(); err != nil {
			errs = append(errs, err)
		}
	}
	t.tiers = nil
	if t.neg != nil {
		t.neg.StopAllGoroutines()
		t.neg = nil
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close cache target: %w", err)
	}
	return nil
}

// NewWorker returns a worker with its own counters, buffers and random
// source (seeded by id, for the loader's error rate).
func (t *Target) NewWorker(id int) (targets.Worker, error) {
	if t.base == nil {
		return nil, errors.New("cache target: NewWorker before Open")
	}
	return t.newWorker(id), nil
}

func (t *Target) newWorker(id int) *worker {
	w := &worker{
		t:   t,
		c:   &counters{},
		rng: rand.New(rand.NewPCG(uint64(id), 0x5eed)),
	}
	if len(t.tiers) > 0 {
		if l1, ok := t.tiers[0].(*otterTier); ok {
			w.l1, w.l1hits = l1.c, &w.c.hits[t.level[0]]
		}
	}
	t.mu.Lock()
	t.counters = append(t.counters, w.c)
	t.mu.Unlock()
	return w
}

// Stats sums the workers' counters. It is safe to call concurrently with Do.
func (t *Target) Stats() map[string]float64 {
	var sum struct {
		hits, misses, promotions                                     [3]int64
		loads, loadErrors, loadDropped, loadWaits, notFound, negHits int64
		redisErrors, sets, deletes, corrupt                          int64
		l3Timeouts, l3Bypassed                                       int64
	}
	t.mu.Lock()
	for _, c := range t.counters {
		for i := range 3 {
			sum.hits[i] += c.hits[i].Load()
			sum.misses[i] += c.misses[i].Load()
			sum.promotions[i] += c.promotions[i].Load()
		}
		sum.loads += c.loads.Load()
		sum.loadErrors += c.loadErrors.Load()
		sum.loadDropped += c.loadDropped.Load()
		sum.loadWaits += c.loadWaits.Load()
		sum.notFound += c.notFound.Load()
		sum.negHits += c.negHits.Load()
		sum.redisErrors += c.redisErrors.Load()
		sum.sets += c.sets.Load()
		sum.deletes += c.deletes.Load()
		sum.corrupt += c.corrupt.Load()
		sum.l3Timeouts += c.l3Timeouts.Load()
		sum.l3Bypassed += c.l3Bypassed.Load()
	}
	var evictions, entries [3]int64
	for i, tr := range t.tiers {
		evictions[t.level[i]] = tr.evictions()
		entries[t.level[i]] = tr.entries()
	}
	// The last tier's misses are the reads no tier served.
	var lastMisses int64
	if n := len(t.level); n > 0 {
		lastMisses = sum.misses[t.level[n-1]]
	}
	t.mu.Unlock()

	ratio := func(h, m int64) float64 {
		if h+m == 0 {
			return 0
		}
		return float64(h) / float64(h+m)
	}
	st := make(map[string]float64, 32)
	var hits, evict, promo, ents int64
	for i, l := range tierLabels {
		ents += entries[i]
		st[l+"_entries"] = float64(entries[i])
		hits += sum.hits[i]
		evict += evictions[i]
		promo += sum.promotions[i]
		st[l+"_hits"] = float64(sum.hits[i])
		st[l+"_misses"] = float64(sum.misses[i])
		st[l+"_hit_ratio"] = ratio(sum.hits[i], sum.misses[i])
		st[l+"_evictions"] = float64(evictions[i])
		st[l+"_promotions"] = float64(sum.promotions[i])
	}
	st["hits"] = float64(hits)
	st["misses"] = float64(lastMisses)
	st["hit_ratio"] = ratio(hits, lastMisses)
	st["evictions"] = float64(evict)
	st["promotions"] = float64(promo)
	st["loads"] = float64(sum.loads)
	st["load_errors"] = float64(sum.loadErrors)
	st["load_dropped"] = float64(sum.loadDropped)
	st["load_waits"] = float64(sum.loadWaits)
	st["not_found"] = float64(sum.notFound)
	st["negative_hits"] = float64(sum.negHits)
	st["redis_errors"] = float64(sum.redisErrors)
	st["sets"] = float64(sum.sets)
	st["deletes"] = float64(sum.deletes)
	st["corrupt"] = float64(sum.corrupt)
	st["entries"] = float64(ents)
	st["l3_timeouts"] = float64(sum.l3Timeouts)
	st["l3_bypassed"] = float64(sum.l3Bypassed)
	var opens, closes, state int64
	if t.redis != nil {
		opens, closes, state = t.redis.br.opens.Load(), t.redis.br.closes.Load(), int64(t.redis.br.state.Load())
	}
	st["l3_breaker_opens"] = float64(opens)
	st["l3_breaker_closes"] = float64(closes)
	st["l3_breaker_state"] = float64(state)
	// Growth of the whole process's heap since Open (which starts with a
	// GC): an upper bound on what the cache holds, including garbage not
	// yet collected, so it is a figure to bound, not an exact size.
	st["heap_growth_bytes"] = float64(int64(heapObjectBytes()) - int64(t.heapAtOpen))
	return st
}

// stamp returns a copy of val, at least 8 bytes long, whose first 8 bytes
// hold key.
func stamp(key uint64, val []byte) []byte {
	b := make([]byte, max(len(val), 8))
	copy(b, val)
	binary.LittleEndian.PutUint64(b, key)
	return b
}

// stamped reports whether data carries key's stamp.
func stamped(key uint64, data []byte) bool {
	return len(data) >= 8 && binary.LittleEndian.Uint64(data) == key
}

func (t *Target) gen(key uint64) *atomic.Uint64 {
	return &t.gens[(key*0x9e3779b97f4a7c15)>>(64-genBits)]
}

// notFound reports whether the loader finds no value for key: a fixed
// fraction not_found_rate of the keys, chosen by hashing.
func (t *Target) notFound(key uint64) bool {
	r := t.cfg.loader.notFoundRate
	if r <= 0 {
		return false
	}
	h := key*0xbf58476d1ce4e5b9 + 0x94d049bb133111eb
	h ^= h >> 31
	h *= 0x9e3779b97f4a7c15
	h ^= h >> 29
	return float64(h>>11)/(1<<53) < r
}
