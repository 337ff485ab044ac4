// Package slowdb is an example of a custom perfplan target: an in-process
// key-value store that behaves like a remote database. Every query holds one
// connection of a fixed pool for its latency, so that, as with a real
// database, callers beyond the pool size queue for a connection and the
// wait is part of their latency; a fraction of the queries fail.
//
// It shows the parts of a target kind: the schema of its plan block with
// defaults and minimums (read back through targets.Schema.Resolve, so that
// a Config built in Go gets them too), a Validate for what the schema
// cannot say, operations, statistics (counters, gauges and a ratio), and a
// Target whose Worker keeps per-worker state without locks.
package slowdb

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfplan/perfplan/targets"
)

// ErrQueryFailed is the error of a query that fails because of error_rate.
var ErrQueryFailed = errors.New("slowdb: query failed (injected by error_rate)")

// Operation indexes in Kind().Ops.
const (
	opGet = iota
	opPut
	opDelete
)

// shards is the number of independently locked parts of the store.
const shards = 64

func ptr(f float64) *float64 { return &f }

// schema declares the plan block and each default and minimum, once.
func schema() targets.Schema {
	return targets.Schema{Attrs: []targets.Attr{
		{Name: "rows", Type: targets.Int, Default: int64(1000), Min: ptr(0),
			Doc: "rows stored in Open, keys 0..rows-1, so reads are not measured on an empty table"},
		{Name: "latency", Type: targets.Duration, Default: time.Millisecond, Min: ptr(0),
			Doc: "mean time a query holds its connection"},
		{Name: "jitter", Type: targets.Number, Default: 0.2, Min: ptr(0),
			Doc: "each query takes latency × (1 ± jitter), uniformly; from 0 to 1"},
		{Name: "error_rate", Type: targets.Number, Default: 0.0, Min: ptr(0),
			Doc: "probability from 0 to 1 that a query fails after its latency"},
		{Name: "pool_size", Type: targets.Int, Default: int64(4), Min: ptr(1),
			Doc: "connections; more queries at once wait for one"},
		{Name: "seed", Type: targets.Int, Default: int64(1),
			Doc: "seeds each worker's random source, with the worker id"},
	}}
}

// Kind is the slowdb target kind, for a registry:
//
//	reg := builtin.Registry()
//	reg.MustRegister(slowdb.Kind())
func Kind() targets.Kind {
	return targets.Kind{
		Name:   "slowdb",
		Doc:    "example custom target: an in-process key-value store with a database's latency, connection pool and errors",
		Schema: schema(),
		Ops: []targets.OpSpec{
			{Name: "get", Doc: "read the row of the key (a missing row is a miss, not an error)"},
			{Name: "put", Doc: "write the value as the row of the key"},
			{Name: "delete", Doc: "remove the row of the key"},
		},
		Stats:  []string{"queries", "hits", "misses", "hit_ratio", "errors", "pool_waits", "rows", "in_use_max"},
		Gauges: []string{"rows", "in_use_max"},
		Ratios: map[string]targets.Ratio{"hit_ratio": {Num: []string{"hits"}, Den: []string{"hits", "misses"}}},
		Validate: func(cfg targets.Config) error {
			_, err := parse(cfg)
			return err
		},
		New: func(cfg targets.Config) (targets.Target, error) { return New(cfg) },
	}
}

// config is a checked configuration.
type config struct {
	rows      int
	latency   time.Duration
	jitter    float64
	errorRate float64
	poolSize  int
	seed      uint64
}

// parse reads a configuration through the schema (defaults, minimums) and
// checks the upper bounds the schema cannot express.
func parse(cfg targets.Config) (*config, error) {
	cfg, err := schema().Resolve(cfg)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	c := &config{
		rows:      int(cfg.Int("rows")),
		latency:   cfg.Duration("latency"),
		jitter:    cfg.Float("jitter"),
		errorRate: cfg.Float("error_rate"),
		poolSize:  int(cfg.Int("pool_size")),
		seed:      uint64(cfg.Int("seed")),
	}
	if c.jitter > 1 {
		errs = append(errs, targets.Errorf("jitter", "must be at most 1, got %g", c.jitter))
	}
	if c.errorRate > 1 {
		errs = append(errs, targets.Errorf("error_rate", "must be at most 1, got %g", c.errorRate))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// shard is one locked part of the store.
type shard struct {
	mu   sync.RWMutex
	rows map[uint64][]byte
}

// Target is an opened slowdb.
type Target struct {
	cfg    *config
	seed   maphash.Seed
	shards [shards]shard
	pool   chan struct{} // a token per connection
	// Statistics, read concurrently by Stats.
	queries, hits, misses, errors, poolWaits atomic.Int64
	rows, inUse, inUseMax                    atomic.Int64
}

// New builds an unopened slowdb from a configuration.
func New(cfg targets.Config) (*Target, error) {
	c, err := parse(cfg)
	if err != nil {
		return nil, fmt.Errorf("slowdb: %w", err)
	}
	t := &Target{cfg: c, seed: maphash.MakeSeed(), pool: make(chan struct{}, c.poolSize)}
	for i := range t.shards {
		t.shards[i].rows = map[uint64][]byte{}
	}
	return t, nil
}

// Open stores the configured rows, keys 0..rows-1, without latency.
func (t *Target) Open(ctx context.Context) error {
	for k := range uint64(t.cfg.rows) {
		if k%4096 == 0 && ctx.Err() != nil {
			return fmt.Errorf("slowdb: fill: %w", ctx.Err())
		}
		t.store(k, fmt.Appendf(nil, "row %d", k))
	}
	return nil
}

// Close drops the rows.
func (t *Target) Close() error {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		clear(s.rows)
		s.mu.Unlock()
	}
	t.rows.Store(0)
	return nil
}

// NewWorker returns a worker with its own random source.
func (t *Target) NewWorker(id int) (targets.Worker, error) {
	return &worker{t: t, rng: rand.New(rand.NewPCG(t.cfg.seed, uint64(id)))}, nil
}

// Stats returns the statistics named in Kind().Stats.
func (t *Target) Stats() map[string]float64 {
	hits, misses := float64(t.hits.Load()), float64(t.misses.Load())
	ratio := 0.0
	if hits+misses > 0 {
		ratio = hits / (hits + misses)
	}
	return map[string]float64{
		"queries":    float64(t.queries.Load()),
		"hits":       hits,
		"misses":     misses,
		"hit_ratio":  ratio,
		"errors":     float64(t.errors.Load()),
		"pool_waits": float64(t.poolWaits.Load()),
		"rows":       float64(t.rows.Load()),
		"in_use_max": float64(t.inUseMax.Load()),
	}
}

func (t *Target) shardOf(key uint64) *shard {
	return &t.shards[maphash.Comparable(t.seed, key)%shards]
}

// store writes a copy of value as the row of key.
func (t *Target) store(key uint64, value []byte) {
	s := t.shardOf(key)
	row := append([]byte(nil), value...)
	s.mu.Lock()
	if _, ok := s.rows[key]; !ok {
		t.rows.Add(1)
	}
	s.rows[key] = row
	s.mu.Unlock()
}

// acquire takes a connection from the pool, waiting for one if all are in
// use (counted in pool_waits), or fails when ctx ends first.
func (t *Target) acquire(ctx context.Context) error {
	select {
	case t.pool <- struct{}{}:
	default:
		t.poolWaits.Add(1)
		select {
		case t.pool <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	n := t.inUse.Add(1)
	for {
		m := t.inUseMax.Load()
		if n <= m || t.inUseMax.CompareAndSwap(m, n) {
			return nil
		}
	}
}

// release gives a connection back.
func (t *Target) release() {
	t.inUse.Add(-1)
	<-t.pool
}

// worker runs the queries of one executor worker.
type worker struct {
	t       *Target
	rng     *rand.Rand
	sleeper targets.Sleeper
}

// Do runs one query: it takes a connection, holds it for the query's
// latency, then reads or changes the store, or fails at error_rate.
func (w *worker) Do(ctx context.Context, req *targets.Request) error {
	t := w.t
	if err := t.acquire(ctx); err != nil {
		return err
	}
	defer t.release()
	t.queries.Add(1)
	if err := w.sleeper.Sleep(ctx, w.latency()); err != nil {
		return err
	}
	if t.cfg.errorRate > 0 && w.rng.Float64() < t.cfg.errorRate {
		t.errors.Add(1)
		return ErrQueryFailed
	}
	switch req.Op {
	case opGet:
		s := t.shardOf(req.Key)
		s.mu.RLock()
		_, ok := s.rows[req.Key]
		s.mu.RUnlock()
		if ok {
			t.hits.Add(1)
		} else {
			t.misses.Add(1)
		}
	case opPut:
		t.store(req.Key, req.Value)
	case opDelete:
		s := t.shardOf(req.Key)
		s.mu.Lock()
		if _, ok := s.rows[req.Key]; ok {
			delete(s.rows, req.Key)
			t.rows.Add(-1)
		}
		s.mu.Unlock()
	default:
		return fmt.Errorf("slowdb: unknown operation %d", req.Op)
	}
	return nil
}

// latency draws a query's latency: latency × (1 ± jitter), uniformly.
func (w *worker) latency() time.Duration {
	c := w.t.cfg
	if c.jitter == 0 {
		return c.latency
	}
	f := 1 + c.jitter*(2*w.rng.Float64()-1)
	return time.Duration(float64(c.latency) * f)
}
