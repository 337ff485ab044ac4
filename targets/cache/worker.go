package cache

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/perfplan/perfplan/targets"
)

// worker is one executor worker's handle: its counters, key buffers, random
// source and timer. It is used by one goroutine at a time.
type worker struct {
	t *Target
	c *counters
	// l1 is the first tier when it is otter (nil otherwise), and l1hits
	// its hit counter: get's fast path (see Do).
	l1      *otter.Cache[uint64, item]
	l1hits  *atomic.Int64
	rng     *rand.Rand
	sleeper targets.Sleeper
	kbuf    []byte // bigcache key
	bbuf    []byte // bigcache entry
	rbuf    []byte // redis key
	// The current operation's Redis calls so far: the time they took, and
	// whether one failed (the operation's later Redis calls are then
	// skipped). endOp resets both.
	rspent  time.Duration
	rfailed bool
}

// endOp ends an operation's use of Redis. Each of get, set, del and
// getOrLoad calls it when it returns, so that the next operation starts with
// the whole Redis time budget.
func (w *worker) endOp() { w.rspent, w.rfailed = 0, false }

// Do performs one operation: get, set, delete or get_or_load.
//
// A get that hits an otter L1 takes a fast path: one otter lookup, one
// increment of the worker's own l1_hits counter and the stamp check, with
// no call through the tier interface, no deferred call and no Redis
// bookkeeping (an L1 hit makes no Redis call). Everything else, L1 misses
// included, takes the general path, which does not repeat the L1 lookup.
func (w *worker) Do(ctx context.Context, req *targets.Request) error {
	switch req.Op {
	case opGet:
		if w.l1 != nil {
			key := req.Key
			if it, ok := w.l1.GetIfPresent(key); ok {
				w.l1hits.Add(1)
				if !stamped(key, it.data) {
					return w.corrupt(key)
				}
				return nil
			}
			return w.getBelowL1(ctx, key)
		}
		_, err := w.get(ctx, req.Key)
		return err
	case opSet:
		return w.set(ctx, req.Key, req.Value)
	case opDelete:
		return w.del(ctx, req.Key)
	case opGetOrLoad:
		_, err := w.getOrLoad(ctx, req.Key, req.Value)
		return err
	}
	return fmt.Errorf("cache: unknown operation index %d", req.Op)
}

// tierErr handles a tier's error: Redis errors (failed and timed-out calls)
// are counted and swallowed (the read becomes a miss, the write is skipped);
// others are returned.
func (w *worker) tierErr(tr tier, err error) error {
	if tr == tier(w.t.redis) {
		w.c.redisErrors.Add(1)
		return nil
	}
	return err
}

// corrupt counts a value that does not carry key's stamp and returns the
// error of a get.
func (w *worker) corrupt(key uint64) error {
	w.c.corrupt.Add(1)
	return fmt.Errorf("get key %d: %w", key, ErrCorrupt)
}

// get returns the key's value, or nil when no tier holds it.
func (w *worker) get(ctx context.Context, key uint64) ([]byte, error) {
	defer w.endOp()
	d, ok, _, err := w.lookup(ctx, key)
	return w.checked(key, d, ok, err)
}

// getBelowL1 is get after Do's fast path missed the otter L1: it counts
// the miss and reads the lower tiers.
func (w *worker) getBelowL1(ctx context.Context, key uint64) error {
	defer w.endOp()
	w.c.misses[w.t.level[0]].Add(1)
	d, ok, _, err := w.lookupBelow(ctx, key)
	_, err = w.checked(key, d, ok, err)
	return err
}

// checked returns a lookup's value after checking its stamp.
func (w *worker) checked(key uint64, d []byte, ok bool, err error) ([]byte, error) {
	if err != nil || !ok {
		return nil, err
	}
	if !stamped(key, d) {
		return nil, w.corrupt(key)
	}
	return d, nil
}

// lookup reads the tiers in order and promotes a lower-tier hit. g0 is the
// key's generation noted before the lower tiers were read.
func (w *worker) lookup(ctx context.Context, key uint64) (data []byte, ok bool, g0 uint64, err error) {
	t, c := w.t, w.c
	tiers := t.tiers
	d, _, ok, err := tiers[0].get(ctx, w, key, false)
	if err != nil {
		if err = w.tierErr(tiers[0], err); err != nil {
			return nil, false, 0, err
		}
	}
	if ok {
		c.hits[t.level[0]].Add(1)
		return d, true, 0, nil
	}
	c.misses[t.level[0]].Add(1)
	return w.lookupBelow(ctx, key)
}

// lookupBelow is lookup after a miss in the first tier (counted by the
// caller): it reads the lower tiers in order and promotes a hit.
func (w *worker) lookupBelow(ctx context.Context, key uint64) (data []byte, ok bool, g0 uint64, err error) {
	t, c := w.t, w.c
	tiers := t.tiers
	gen := t.gen(key)
	g0 = gen.Load()
	for i := 1; i < len(tiers); i++ {
		d, ttl, ok, err := tiers[i].get(ctx, w, key, true)
		if err != nil {
			if err = w.tierErr(tiers[i], err); err != nil {
				return nil, false, g0, err
			}
		}
		if !ok {
			c.misses[t.level[i]].Add(1)
			continue
		}
		c.hits[t.level[i]].Add(1)
		for j := i - 1; j >= 0; j-- {
			if err := tiers[j].set(ctx, w, key, d, ttl); err != nil {
				if err = w.tierErr(tiers[j], err); err != nil {
					return nil, false, g0, fmt.Errorf("promote key %d: %w", key, err)
				}
				continue
			}
			c.promotions[t.level[j]].Add(1)
		}
		if gen.Load() != g0 {
			// A set or delete raced with the promotion: undo it.
			w.remove(ctx, key, i)
		}
		return d, true, g0, nil
	}
	return nil, false, g0, nil
}

// remove deletes key from the first n tiers, swallowing counted Redis errors.
func (w *worker) remove(ctx context.Context, key uint64, n int) error {
	var first error
	for _, tr := range w.t.tiers[:n] {
		if err := tr.del(ctx, w, key); err != nil {
			if err = w.tierErr(tr, err); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// store writes data through every tier.
func (w *worker) store(ctx context.Context, key uint64, data []byte) error {
	for _, tr := range w.t.tiers {
		if err := tr.set(ctx, w, key, data, forever); err != nil {
			if err = w.tierErr(tr, err); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *worker) set(ctx context.Context, key uint64, val []byte) error {
	defer w.endOp()
	t := w.t
	data := stamp(key, val)
	t.gen(key).Add(1)
	if t.neg != nil {
		t.neg.Invalidate(key)
	}
	w.c.sets.Add(1)
	if err := w.store(ctx, key, data); err != nil {
		return fmt.Errorf("set key %d: %w", key, err)
	}
	return nil
}

func (w *worker) del(ctx context.Context, key uint64) error {
	defer w.endOp()
	w.t.gen(key).Add(1)
	w.c.deletes.Add(1)
	if err := w.remove(ctx, key, len(w.t.tiers)); err != nil {
		return fmt.Errorf("delete key %d: %w", key, err)
	}
	return nil
}

// getOrLoad returns the cached value or loads it. It returns nil, nil when
// the loader finds no value for the key.
func (w *worker) getOrLoad(ctx context.Context, key uint64, val []byte) ([]byte, error) {
	defer w.endOp()
	t := w.t
	d, ok, g0, err := w.lookup(ctx, key)
	if err != nil {
		return nil, err
	}
	if !ok {
		if t.neg != nil {
			if _, neg := t.neg.GetIfPresent(key); neg {
				w.c.negHits.Add(1)
				return nil, nil
			}
		}
		v, err, _ := t.sf.Do(strconv.FormatUint(key, 10), func() (any, error) {
			return w.load(ctx, key, g0, val)
		})
		if err != nil {
			return nil, err
		}
		d, _ = v.([]byte)
		if d == nil {
			return nil, nil
		}
	}
	if !stamped(key, d) {
		w.c.corrupt.Add(1)
		return nil, fmt.Errorf("get_or_load key %d: %w", key, ErrCorrupt)
	}
	return d, nil
}

// load calls the loader for key and stores its value in every tier, unless
// the key's generation moved past g0 meanwhile (a set or delete raced with
// the load), in which case what was stored is removed again. With a loader
// concurrency limit, the loader call holds one of t.loadSlots; the wait for
// it is part of the load.
func (w *worker) load(ctx context.Context, key, g0 uint64, val []byte) ([]byte, error) {
	t, c := w.t, w.c
	if t.loadSlots != nil {
		if err := w.acquireLoadSlot(ctx); err != nil {
			return nil, fmt.Errorf("load key %d: wait for a loader slot: %w", key, err)
		}
	}
	c.loads.Add(1)
	var err error
	if t.hook != nil {
		err = t.hook(ctx, key)
	} else {
		err = w.sleeper.Sleep(ctx, t.cfg.loader.latency)
	}
	if t.loadSlots != nil {
		<-t.loadSlots // the origin's connection is free again; storing does not need it
	}
	if err != nil {
		c.loadErrors.Add(1)
		return nil, fmt.Errorf("load key %d: %w", key, err)
	}
	if r := t.cfg.loader.errorRate; r > 0 && w.rng.Float64() < r {
		c.loadErrors.Add(1)
		return nil, fmt.Errorf("load key %d: %w", key, ErrLoad)
	}
	gen := t.gen(key)
	if t.notFound(key) {
		c.notFound.Add(1)
		if t.neg != nil {
			t.neg.Set(key, struct{}{})
			if gen.Load() != g0 {
				t.neg.Invalidate(key)
			}
		}
		return nil, nil
	}
	data := stamp(key, val)
	if err := w.store(ctx, key, data); err != nil {
		return nil, fmt.Errorf("load key %d: store: %w", key, err)
	}
	if gen.Load() != g0 {
		c.loadDropped.Add(1)
		if err := w.remove(ctx, key, len(t.tiers)); err != nil {
			return nil, fmt.Errorf("load key %d: drop: %w", key, err)
		}
	}
	return data, nil
}

// acquireLoadSlot takes a loader slot, waiting (counted in load_waits) while
// every slot is taken. It returns the context's error if the context ends
// first, holding no slot.
func (w *worker) acquireLoadSlot(ctx context.Context) error {
	slots := w.t.loadSlots
	select {
	case slots <- struct{}{}:
		return nil
	default:
	}
	w.c.loadWaits.Add(1)
	select {
	case slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
