package cache

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/allegro/bigcache/v3"
	"github.com/maypok86/otter/v2"
	"github.com/redis/go-redis/v9"
)

// clock is the time source for expiry. It is otter.Clock, so the same clock
// drives otter's own expiry. NowNano counts nanoseconds from the Unix epoch.
type clock interface {
	NowNano() int64
	Tick(d time.Duration) <-chan time.Time
}

// realClock is the wall clock. It is not handed to otter, which then uses its
// own, equivalent, built-in clock.
type realClock struct{}

func (realClock) NowNano() int64                        { return time.Now().UnixNano() }
func (realClock) Tick(d time.Duration) <-chan time.Time { return nil }

// tier is one level of the cache. Values are immutable once stored: a tier
// may keep the slice it is given, and callers must not modify returned ones.
// A remaining lifetime of forever means no expiry.
type tier interface {
	// get returns the value and, when wantTTL, its remaining lifetime.
	get(ctx context.Context, w *worker, key uint64, wantTTL bool) (data []byte, ttl time.Duration, ok bool, err error)
	// set stores the value for at most ttl, capped by the tier's own ttl.
	set(ctx context.Context, w *worker, key uint64, data []byte, ttl time.Duration) error
	del(ctx context.Context, w *worker, key uint64) error
	evictions() int64
	// entries is the number of entries held (an estimate for otter, 0 for
	// Redis, whose keyspace may be shared).
	entries() int64
	close() error
}

func capTTL(ttl, tierTTL time.Duration) time.Duration {
	if tierTTL > 0 && tierTTL < ttl {
		return tierTTL
	}
	return ttl
}

// ---- otter ----

// item is an otter value: the data and the lifetime it was written with, which
// the expiry calculator reads.
type item struct {
	data []byte
	ttl  time.Duration
}

// otterTier is an otter cache. Its evictions are counted without a
// stats.Recorder: with one, otter calls it (through a wrapper with a
// deferred recover) on every hit, which cost reads about a tenth of their
// time. An entry leaves the table by a delete (counted in removed), or by
// otter itself (for the size limit, or expired): evictions are the keys
// inserted less those deleted and those still there.
type otterTier struct {
	c                 *otter.Cache[uint64, item]
	ttl               time.Duration
	inserted, removed atomic.Int64
}

func newOtterTier(tc tierConfig, clk clock, fake bool) (*otterTier, error) {
	t := &otterTier{ttl: tc.ttl}
	opts := &otter.Options[uint64, item]{
		MaximumSize:      tc.capacity,
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[uint64, item]) time.Duration { return e.Value.ttl }),
	}
	if fake {
		opts.Clock = clk
	}
	c, err := otter.New(opts)
	if err != nil {
		return nil, fmt.Errorf("otter tier %s: %w", tc.label, err)
	}
	t.c = c
	return t, nil
}

func (t *otterTier) get(_ context.Context, _ *worker, key uint64, wantTTL bool) ([]byte, time.Duration, bool, error) {
	if !wantTTL {
		it, ok := t.c.GetIfPresent(key)
		return it.data, 0, ok, nil
	}
	e, ok := t.c.GetEntry(key)
	if !ok {
		return nil, 0, false, nil
	}
	ttl := forever
	if e.ExpiresAtNano != math.MaxInt64 {
		ttl = time.Duration(e.ExpiresAtNano - e.SnapshotAtNano)
		if ttl > forever {
			ttl = forever
		}
	}
	return e.Value.data, ttl, true, nil
}

func (t *otterTier) set(_ context.Context, _ *worker, key uint64, data []byte, ttl time.Duration) error {
	if _, added := t.c.Set(key, item{data: data, ttl: capTTL(ttl, t.ttl)}); added {
		t.inserted.Add(1)
	}
	return nil
}

func (t *otterTier) del(_ context.Context, _ *worker, key uint64) error {
	if _, gone := t.c.Invalidate(key); gone {
		t.removed.Add(1)
	}
	return nil
}

// evictions returns the entries otter removed by itself (see otterTier).
// Read while sets run, the three counts are not taken at one instant; the
// figure is exact once the tier is quiet.
func (t *otterTier) evictions() int64 {
	size := int64(t.c.EstimatedSize())
	return max(0, t.inserted.Load()-t.removed.Load()-size)
}

func (t *otterTier) entries() int64 { return int64(t.c.EstimatedSize()) }

func (t *otterTier) close() error {
	t.c.StopAllGoroutines()
	return nil
}

// ---- bigcache ----

// bigTier stores [8-byte expiry as Unix nanoseconds by the target's clock, 0
// for none][value] under the decimal key. bigcache has only one lifetime for
// all entries (LifeWindow, by the wall clock); it is set to the tier's ttl so
// that bigcache reclaims space, while the per-entry expiry in the header is
// what reads honour.
type bigTier struct {
	c     *bigcache.BigCache
	clk   clock
	ttl   time.Duration
	evict atomic.Int64
}

func newBigTier(tc tierConfig, clk clock) (*bigTier, error) {
	t := &bigTier{clk: clk, ttl: tc.ttl}
	life := tc.ttl
	if life <= 0 {
		life = forever
	}
	shards := 64
	mb := int(math.Ceil(float64(tc.capacity) * float64(tc.entrySize) / (1 << 20)))
	mb = max(mb, 1)
	bc := bigcache.Config{
		Shards:             shards,
		LifeWindow:         life,
		CleanWindow:        0, // no background goroutine; expired space is reclaimed on writes
		MaxEntriesInWindow: tc.capacity,
		MaxEntrySize:       tc.entrySize,
		HardMaxCacheSize:   mb,
		Logger:             bigcache.DefaultLogger(),
		OnRemoveWithReason: func(_ string, _ []byte, r bigcache.RemoveReason) {
			if r != bigcache.Deleted { // a delete is not an eviction
				t.evict.Add(1)
			}
		},
	}
	bc = bc.OnRemoveFilterSet(bigcache.NoSpace)
	c, err := bigcache.New(context.Background(), bc)
	if err != nil {
		return nil, fmt.Errorf("bigcache tier %s: %w", tc.label, err)
	}
	t.c = c
	return t, nil
}

// bigKey formats key into the worker's buffer. bigcache neither keeps nor
// modifies the key string (it copies its bytes into the entry), so the string
// may alias the buffer.
func bigKey(w *worker, key uint64) string {
	w.kbuf = strconv.AppendUint(w.kbuf[:0], key, 10)
	return unsafe.String(unsafe.SliceData(w.kbuf), len(w.kbuf))
}

func (t *bigTier) get(_ context.Context, w *worker, key uint64, _ bool) ([]byte, time.Duration, bool, error) {
	blob, err := t.c.Get(bigKey(w, key))
	if err != nil {
		if errors.Is(err, bigcache.ErrEntryNotFound) {
			return nil, 0, false, nil
		}
		return nil, 0, false, fmt.Errorf("bigcache get: %w", err)
	}
	if len(blob) < 8 {
		return nil, 0, false, nil
	}
	ttl := forever
	if exp := int64(binary.LittleEndian.Uint64(blob)); exp != 0 {
		ttl = time.Duration(exp - t.clk.NowNano())
		if ttl <= 0 {
			return nil, 0, false, nil
		}
	}
	return blob[8:], ttl, true, nil
}

func (t *bigTier) set(_ context.Context, w *worker, key uint64, data []byte, ttl time.Duration) error {
	ttl = capTTL(ttl, t.ttl)
	var exp int64
	if ttl < forever {
		exp = t.clk.NowNano() + int64(ttl)
	}
	w.bbuf = binary.LittleEndian.AppendUint64(w.bbuf[:0], uint64(exp))
	w.bbuf = append(w.bbuf, data...)
	if err := t.c.Set(bigKey(w, key), w.bbuf); err != nil {
		return fmt.Errorf("bigcache set: %w", err)
	}
	return nil
}

func (t *bigTier) del(_ context.Context, w *worker, key uint64) error {
	if err := t.c.Delete(bigKey(w, key)); err != nil && !errors.Is(err, bigcache.ErrEntryNotFound) {
		return fmt.Errorf("bigcache delete: %w", err)
	}
	return nil
}

func (t *bigTier) evictions() int64 { return t.evict.Load() }
func (t *bigTier) entries() int64   { return int64(t.c.Len()) }
func (t *bigTier) close() error     { return t.c.Close() }

// ---- redis ----

// errOutOfTime is the error of a Redis call that was not made because the
// Redis calls before it in the same operation used up its time.
var errOutOfTime = errors.New("the operation's Redis time is used up")

// redisTier stores the value under key_prefix + decimal key with Redis's own
// expiry (PX), so its lifetimes follow the Redis server's clock, not the
// target's.
//
// Each call goes through the circuit breaker and runs under a deadline: the
// Redis calls of one cache operation share a budget of timeout (see begin),
// go-redis does not retry and waits at most timeout for a dial, a pooled
// connection, a read or a write, and the operation stops waiting at the
// deadline even when go-redis does not (see redisCall.run).
type redisTier struct {
	rdb     *redis.Client
	prefix  string
	ttl     time.Duration
	timeout time.Duration
	br      *breaker
	// setup is the client of Open's ping and prefill, which are not
	// operations under test and get more lenient timeouts (see
	// setupTimeout), so that a loaded machine does not fail the start.
	// Open closes it when it is done.
	setup *redis.Client
}

// setupTimeout is the least dial, read and write timeout of Open's ping and
// prefill.
const setupTimeout = time.Second

// newRedisTier returns the tier; now is the breaker's clock in nanoseconds.
func newRedisTier(tc tierConfig, prefix string, now func() int64) *redisTier {
	setup := max(tc.timeout, setupTimeout)
	return &redisTier{
		prefix:  prefix,
		ttl:     tc.ttl,
		timeout: tc.timeout,
		br:      newBreaker(tc.breaker, now),
		rdb: redis.NewClient(&redis.Options{
			Addr: tc.address,
			// Each call's context carries its deadline, which go-redis
			// honours when it waits for a pooled connection, dials, writes
			// and reads (ContextTimeoutEnabled). Its own timeouts are the
			// same budget, so that no single step outlives it either.
			DialTimeout:           tc.timeout,
			ReadTimeout:           tc.timeout,
			WriteTimeout:          tc.timeout,
			PoolTimeout:           tc.timeout,
			ContextTimeoutEnabled: true,
			// No command retries (-1; 0 would mean the default of 3), so a
			// failed call is not repeated with back-off, and one dial
			// attempt instead of 5, 100ms apart: the caller falls back, and
			// the breaker decides when to try again.
			MaxRetries:    -1,
			DialerRetries: 1,
		}),
		setup: redis.NewClient(&redis.Options{
			Addr:                  tc.address,
			DialTimeout:           setup,
			ReadTimeout:           setup,
			WriteTimeout:          setup,
			PoolTimeout:           setup,
			ContextTimeoutEnabled: true,
			MaxRetries:            2,
			DialerRetries:         3,
		}),
	}
}

// closeSetup closes the setup client.
func (t *redisTier) closeSetup() error {
	if t.setup == nil {
		return nil
	}
	err := t.setup.Close()
	t.setup = nil
	return err
}

// redisCall is one Redis call in progress, between begin and end.
type redisCall struct {
	parent context.Context // the operation's context
	ctx    context.Context // parent with the call's deadline
	cancel context.CancelFunc
	permit permit
	start  time.Time
}

// run calls f with the call's context in a goroutine of its own and
// returns f's error, or the context's once it is done even if f has not
// returned. go-redis honours the deadline nearly always, but with a frozen
// server a new connection's handshake (HELLO) was seen to wait for the
// server to wake up, seconds later; running f apart keeps the operation's
// budget a hard bound. An abandoned f finishes in the background when Redis
// answers or the client is closed; it must not touch the worker, and its
// results must not be read after run returns the context's error.
func (rc *redisCall) run(f func(ctx context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- f(rc.ctx) }()
	select {
	case err := <-done:
		return err
	case <-rc.ctx.Done():
	}
	select {
	case err := <-done: // finished as the deadline passed
		return err
	default:
		return fmt.Errorf("redis call abandoned: %w", rc.ctx.Err())
	}
}

// begin prepares a Redis call of w's current operation. When ok is false the
// call must not be made: err is nil when the breaker bypasses Redis or an
// earlier call of the operation failed (both counted in l3_bypassed) or the
// caller's context has ended (not counted), and errOutOfTime when the
// operation's earlier Redis calls used up its timeout (counted in
// l3_timeouts). Otherwise the call runs through rc.run and must be
// finished with end.
func (t *redisTier) begin(ctx context.Context, w *worker) (rc redisCall, ok bool, err error) {
	if ctx.Err() != nil {
		return rc, false, nil
	}
	if w.rfailed {
		w.c.l3Bypassed.Add(1)
		return rc, false, nil
	}
	left := t.timeout - w.rspent
	if left <= 0 {
		w.rfailed = true
		w.c.l3Timeouts.Add(1)
		return rc, false, errOutOfTime
	}
	p := t.br.acquire()
	if p == permitBypass {
		w.c.l3Bypassed.Add(1)
		return rc, false, nil
	}
	rc.parent, rc.permit = ctx, p
	rc.ctx, rc.cancel = context.WithTimeout(ctx, left)
	rc.start = time.Now()
	return rc, true, nil
}

// end finishes a call that begin allowed: it charges the time to the
// operation, reports the outcome to the breaker and returns the error to
// pass on. That is nil when Redis answered (a redis.Nil "not found"
// included) and when the caller's context ended, which says nothing about
// Redis; otherwise it is err, and the operation's later Redis calls are
// skipped.
func (t *redisTier) end(w *worker, rc redisCall, err error) error {
	w.rspent += time.Since(rc.start)
	deadline := errors.Is(rc.ctx.Err(), context.DeadlineExceeded)
	rc.cancel()
	switch {
	case err == nil || errors.Is(err, redis.Nil):
		t.br.success(rc.permit)
		return nil
	case rc.parent.Err() != nil:
		t.br.abandon(rc.permit)
		return nil
	}
	t.br.failure(rc.permit)
	w.rfailed = true
	if deadline || isTimeout(err) {
		w.c.l3Timeouts.Add(1)
	}
	return err
}

// isTimeout reports whether err is a deadline or I/O timeout.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, redis.ErrPoolTimeout) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (t *redisTier) key(w *worker, key uint64) string {
	w.rbuf = append(w.rbuf[:0], t.prefix...)
	w.rbuf = strconv.AppendUint(w.rbuf, key, 10)
	return string(w.rbuf)
}

// ping checks that Redis answers, with the setup client.
func (t *redisTier) ping(ctx context.Context) error {
	if err := t.setup.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis tier %s: %w", t.setup.Options().Addr, err)
	}
	return nil
}

func (t *redisTier) get(ctx context.Context, w *worker, key uint64, wantTTL bool) ([]byte, time.Duration, bool, error) {
	rc, ok, err := t.begin(ctx, w)
	if !ok {
		if err != nil {
			return nil, 0, false, fmt.Errorf("redis get: %w", err)
		}
		return nil, 0, false, nil
	}
	k := t.key(w, key)
	if !wantTTL {
		var b []byte
		gerr := rc.run(func(ctx context.Context) (err error) {
			b, err = t.rdb.Get(ctx, k).Bytes()
			return err
		})
		if err := t.end(w, rc, gerr); err != nil {
			return nil, 0, false, fmt.Errorf("redis get: %w", err)
		}
		if gerr != nil { // not found, or the caller gave up
			return nil, 0, false, nil
		}
		return b, 0, true, nil
	}
	var (
		g *redis.StringCmd
		p *redis.DurationCmd
	)
	perr := rc.run(func(ctx context.Context) error {
		pipe := t.rdb.Pipeline()
		g = pipe.Get(ctx, k)
		p = pipe.PTTL(ctx, k)
		_, err := pipe.Exec(ctx)
		return err
	})
	if err := t.end(w, rc, perr); err != nil {
		return nil, 0, false, fmt.Errorf("redis get: %w", err)
	}
	if perr != nil && !errors.Is(perr, redis.Nil) { // the caller gave up
		return nil, 0, false, nil
	}
	b, err := g.Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, fmt.Errorf("redis get: %w", err)
	}
	ttl := p.Val()
	switch {
	case ttl == -1:
		ttl = forever
	case ttl < 0: // vanished between GET and PTTL
		return nil, 0, false, nil
	case ttl == 0:
		ttl = time.Millisecond // PTTL rounds down; the key still existed
	}
	return b, ttl, true, nil
}

func (t *redisTier) set(ctx context.Context, w *worker, key uint64, data []byte, ttl time.Duration) error {
	ttl = capTTL(ttl, t.ttl)
	var exp time.Duration // 0: no expiry
	if ttl < forever {
		if ttl < time.Millisecond {
			return nil // expires before Redis could keep it
		}
		exp = ttl
	}
	rc, ok, err := t.begin(ctx, w)
	if !ok {
		if err != nil {
			return fmt.Errorf("redis set: %w", err)
		}
		return nil
	}
	k := t.key(w, key)
	serr := rc.run(func(ctx context.Context) error { return t.rdb.Set(ctx, k, data, exp).Err() })
	if err := t.end(w, rc, serr); err != nil {
		return fmt.Errorf("redis set: %w", err)
	}
	return nil
}

func (t *redisTier) del(ctx context.Context, w *worker, key uint64) error {
	rc, ok, err := t.begin(ctx, w)
	if !ok {
		if err != nil {
			return fmt.Errorf("redis delete: %w", err)
		}
		return nil
	}
	k := t.key(w, key)
	derr := rc.run(func(ctx context.Context) error { return t.rdb.Del(ctx, k).Err() })
	if err := t.end(w, rc, derr); err != nil {
		return fmt.Errorf("redis delete: %w", err)
	}
	return nil
}

func (t *redisTier) evictions() int64 { return 0 }
func (t *redisTier) entries() int64   { return 0 }
func (t *redisTier) close() error     { return errors.Join(t.closeSetup(), t.rdb.Close()) }

// prefill writes keys lo..hi-1 in one pipeline, with the setup client.
func (t *redisTier) prefill(ctx context.Context, w *worker, lo, hi int, val []byte) error {
	pipe := t.setup.Pipeline()
	for k := lo; k < hi; k++ {
		pipe.Set(ctx, t.key(w, uint64(k)), stamp(uint64(k), val), t.ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis prefill: %w", err)
	}
	return nil
}
