// Package limiter is a keyed rate limiter with four algorithms, policies that
// change at run time, an in-memory backend and a distributed Redis backend
// that falls back to memory when Redis fails. It is usable on its own from Go
// (New, Limiter.AllowN, Limiter.SetPolicy) and as the perfplan target kind
// "limiter" (Kind).
//
// # Algorithms
//
// A policy admits Rate events per Period:
//
//   - token_bucket: a bucket of Burst tokens, refilled continuously at
//     Rate/Period; it starts full. An event of weight n takes n tokens.
//   - gcra: the generic cell rate algorithm. It admits the same traffic as
//     token_bucket (Burst at once, then Rate/Period) but keeps one number per
//     key, the theoretical arrival time.
//   - fixed_window: at most Rate events in each window of length Period.
//     Windows are aligned to multiples of Period (since the limiter was
//     created for the memory backend, since the Unix epoch for Redis), so up
//     to 2×Rate events pass around a window boundary.
//   - sliding_window: the sliding-window counter (as Cloudflare describes it):
//     the previous window's count, weighted by how much of it still overlaps
//     the sliding window and rounded down, plus the current window's count,
//     must stay within Rate. It does not admit the 2× burst at a boundary.
//
// Burst applies to token_bucket and gcra only; it defaults to Rate rounded up
// (at least 1), so that by default a full period's worth may pass at once.
//
// # Policies and keys
//
// A policy matches keys globally (one shared state for all keys), per key
// (one state per key), or per key for the keys that match a glob pattern
// ('*' matches any run of bytes, '?' one byte, everything else itself). An
// event is admitted only when every policy that matches its key admits it;
// the check and the update are atomic across those policies, so a denial by
// one policy does not consume another's budget.
//
// Inside perfplan a workload's key index k becomes the key string
// KeyPrefix+decimal(k), "key:123" by default; the target's key_prefix
// attribute changes the prefix, so that pattern = "user:1*" can select keys.
// The memory backend makes a decision for a known key without allocating.
// Per-key state is never evicted, so a memory limiter grows with the number
// of distinct keys it has seen.
//
// SetPolicy adds or replaces a policy while decisions are being made;
// RemovePolicy removes one. A replaced policy keeps its per-key state when
// its algorithm, match and pattern are unchanged (the new rate and burst
// apply to the existing state at once); otherwise its state starts fresh
// (a full bucket, empty windows).
//
// # Backends and fallback
//
// The memory backend decides in process. The Redis backend makes each
// decision atomically in one Lua script that reads the server's TIME, so
// the clients' clocks do not matter and every process sharing the Redis
// shares the limits. State keys are Namespace+policy+":"+algorithm+":"+key
// (algorithm codes tb, gcra, fw, sw; the key "*global*" for a global policy)
// and expire when idle. Periods are whole microseconds in Redis. Decisions on several policies use several keys in one script, so the
// Redis backend needs a single Redis server, not a cluster.
//
// When a Redis call fails or takes longer than Timeout, that decision and all
// that follow are made by an in-memory limiter with the same policies, at
// once: the limiter is in fallback. A health probe pings Redis every
// ProbeInterval and switches back when Redis answers; while Redis is in use
// the probe also detects a dead Redis when no traffic does. Both transitions
// are counted (Stats.Fallbacks, Stats.Recoveries), as are the decisions made
// in fallback and the failed Redis calls.
//
// The cost of fallback: while in fallback each process limits alone, with
// its own in-memory state, so N processes together admit up to N times the
// policy's rate; and state built up in Redis is not seen by the fallback
// limiter (nor is fallback state written back), so a switch in either
// direction can admit up to one extra burst per process.
//
// # Modes
//
// Stats.Mode (the target's "mode" statistic) is 0 for the memory backend,
// 1 while the Redis backend uses Redis and 2 while it is in fallback.
package limiter

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Algorithm names a rate-limiting algorithm.
type Algorithm string

// The algorithms.
const (
	TokenBucket   Algorithm = "token_bucket"
	SlidingWindow Algorithm = "sliding_window"
	FixedWindow   Algorithm = "fixed_window"
	GCRA          Algorithm = "gcra"
)

// algorithmNames lists every algorithm, for schemas and messages.
var algorithmNames = []string{string(TokenBucket), string(SlidingWindow), string(FixedWindow), string(GCRA)}

// Match says which keys a policy applies to and how they share state.
type Match string

// The ways a policy matches keys.
const (
	// MatchGlobal applies the policy to every key with one shared state.
	MatchGlobal Match = "global"
	// MatchKey applies the policy to every key, with one state per key.
	MatchKey Match = "key"
	// MatchPattern applies the policy to the keys that match Pattern, with
	// one state per key.
	MatchPattern Match = "pattern"
)

var matchNames = []string{string(MatchGlobal), string(MatchKey), string(MatchPattern)}

// Policy is one rate limit.
type Policy struct {
	// Name identifies the policy; SetPolicy replaces the policy of the same
	// name.
	Name string
	// Match selects the keys; empty means MatchGlobal.
	Match Match
	// Pattern is the glob for MatchPattern.
	Pattern string
	// Algorithm; empty means TokenBucket.
	Algorithm Algorithm
	// Rate is the number of events admitted per Period. It must be positive.
	Rate float64
	// Period is the length of the rate's period and of a window; zero means
	// one second.
	Period time.Duration
	// Burst is the bucket size of token_bucket and gcra; zero means Rate
	// rounded up. It must be zero for the window algorithms.
	Burst int64
}

// normalized fills defaults and checks the policy.
func (p Policy) normalized() (Policy, error) {
	if p.Name == "" {
		return p, errors.New("policy: empty name")
	}
	if p.Match == "" {
		p.Match = MatchGlobal
	}
	if p.Algorithm == "" {
		p.Algorithm = TokenBucket
	}
	if p.Period == 0 {
		p.Period = time.Second
	}
	var errs []error
	switch p.Match {
	case MatchGlobal, MatchKey:
		if p.Pattern != "" {
			errs = append(errs, fmt.Errorf("pattern applies only to match %q", MatchPattern))
		}
	case MatchPattern:
		if p.Pattern == "" {
			errs = append(errs, fmt.Errorf("match %q needs a pattern", MatchPattern))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown match %q", p.Match))
	}
	switch p.Algorithm {
	case TokenBucket, GCRA:
		if p.Burst < 0 {
			errs = append(errs, fmt.Errorf("burst must not be negative, got %d", p.Burst))
		}
		if p.Burst == 0 && p.Rate > 0 && !math.IsInf(p.Rate, 0) {
			p.Burst = max(1, int64(math.Ceil(p.Rate)))
		}
	case FixedWindow, SlidingWindow:
		if p.Burst != 0 {
			errs = append(errs, fmt.Errorf("burst does not apply to %s", p.Algorithm))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown algorithm %q", p.Algorithm))
	}
	if !(p.Rate > 0) || math.IsInf(p.Rate, 0) {
		errs = append(errs, fmt.Errorf("rate must be positive and finite, got %v", p.Rate))
	}
	if p.Period < 0 {
		errs = append(errs, fmt.Errorf("period must be positive, got %s", p.Period))
	}
	if err := errors.Join(errs...); err != nil {
		return p, fmt.Errorf("policy %q: %w", p.Name, err)
	}
	return p, nil
}

// Backend names.
const (
	BackendMemory = "memory"
	BackendRedis  = "redis"
)

// Mode is the limiter's current way of deciding.
type Mode int

// The modes, as the target's "mode" statistic reports them.
const (
	ModeMemory   Mode = 0 // memory backend
	ModeRedis    Mode = 1 // Redis backend, using Redis
	ModeFallback Mode = 2 // Redis backend, deciding in memory because Redis failed
)

func (m Mode) String() string {
	switch m {
	case ModeMemory:
		return "memory"
	case ModeRedis:
		return "redis"
	case ModeFallback:
		return "fallback"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Defaults of the Redis options.
const (
	DefaultRedisAddress   = "127.0.0.1:6379"
	DefaultRedisTimeout   = 100 * time.Millisecond
	DefaultProbeInterval  = 100 * time.Millisecond
	DefaultRedisNamespace = "perfplan:limiter:"
	DefaultKeyPrefix      = "key:"
)

// RedisConfig configures the Redis backend.
type RedisConfig struct {
	// Address is host:port; empty means DefaultRedisAddress.
	Address string
	// Timeout bounds each Redis call (dial, write, read); a decision that
	// takes longer falls back. Zero means DefaultRedisTimeout.
	Timeout time.Duration
	// ProbeInterval is how often the health probe pings Redis. Zero means
	// DefaultProbeInterval.
	ProbeInterval time.Duration
	// Namespace prefixes every Redis key; empty means
	// DefaultRedisNamespace.
	Namespace string
}

// Config configures a Limiter.
type Config struct {
	// Backend is BackendMemory (the default when empty) or BackendRedis.
	Backend string
	// Policies are the initial policies; their names must be distinct.
	Policies []Policy
	// Redis configures the Redis backend.
	Redis RedisConfig
	// KeyPrefix is prepended to a key index by Handle.AllowIndex; empty
	// means DefaultKeyPrefix.
	KeyPrefix string
	// Clock returns the monotonic time elapsed since some fixed origin; the
	// memory algorithms read it once per decision. Nil means the real
	// monotonic clock since New. Tests inject a fake clock.
	Clock func() time.Duration
}

// Stats are a limiter's counters.
type Stats struct {
	Allowed           int64 // events admitted
	Denied            int64 // events denied (a denial is not an error)
	FallbackDecisions int64 // decisions made in memory because Redis failed
	BackendErrors     int64 // failed or timed-out Redis calls (decisions and probes while Redis was in use)
	Fallbacks         int64 // transitions from Redis to fallback
	Recoveries        int64 // transitions from fallback back to Redis
	Mode              Mode
}

// counters are per-handle decision counts, padded so that handles used by
// different goroutines do not share a cache line.
type counters struct {
	allowed  atomic.Int64
	denied   atomic.Int64
	fallback atomic.Int64
	_        [40]byte
}

// Limiter is a keyed rate limiter. It is safe for concurrent use.
type Limiter struct {
	cfg   Config
	mem   *memory // the backend (memory) or the fallback (redis)
	redis *redisBackend

	mu       sync.Mutex // serialises policy changes and handle registration
	policies []Policy   // current, in insertion order
	handles  []*counters

	shared counters // for Limiter.AllowN

	mode          atomic.Int32
	backendErrors atomic.Int64
	fallbacks     atomic.Int64
	recoveries    atomic.Int64

	stop      chan struct{}
	probeDone chan struct{}
	closeOnce sync.Once
}

// New builds a limiter. For the Redis backend it connects and pings Redis
// (bounded by ctx and the Redis timeout) and starts the health probe; an
// unreachable Redis is not an error: the limiter starts in fallback and the
// probe switches to Redis once it answers. Close stops the probe.
func New(ctx context.Context, cfg Config) (*Limiter, error) {
	if cfg.Backend == "" {
		cfg.Backend = BackendMemory
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = DefaultKeyPrefix
	}
	if cfg.Clock == nil {
		start := time.Now()
		cfg.Clock = func() time.Duration { return time.Since(start) }
	}
	l := &Limiter{cfg: cfg, mem: newMemory(cfg.Clock)}
	seen := map[string]bool{}
	for _, p := range cfg.Policies {
		np, err := p.normalized()
		if err != nil {
			return nil, fmt.Errorf("limiter: %w", err)
		}
		if seen[np.Name] {
			return nil, fmt.Errorf("limiter: duplicate policy %q", np.Name)
		}
		seen[np.Name] = true
		l.policies = append(l.policies, np)
	}
	l.handles = []*counters{&l.shared}
	switch cfg.Backend {
	case BackendMemory:
		l.mem.set(l.policies)
		l.mode.Store(int32(ModeMemory))
	case BackendRedis:
		l.mem.set(l.policies)
		rb, err := newRedisBackend(cfg.Redis)
		if err != nil {
			return nil, fmt.Errorf("limiter: %w", err)
		}
		rb.set(l.policies)
		l.redis = rb
		if err := rb.ping(ctx); err != nil {
			// Start in fallback: a run against an unreachable Redis still
			// completes, and the transition shows in the statistics.
			l.mode.Store(int32(ModeFallback))
			l.fallbacks.Add(1)
		} else {
			l.mode.Store(int32(ModeRedis))
		}
		l.stop = make(chan struct{})
		l.probeDone = make(chan struct{})
		go l.probe()
	default:
		return nil, fmt.Errorf("limiter: unknown backend %q (want %q or %q)", cfg.Backend, BackendMemory, BackendRedis)
	}
	return l, nil
}

// Close stops the health probe and closes the Redis client. It is safe to
// call more than once.
func (l *Limiter) Close() error {
	var err error
	l.closeOnce.Do(func() {
		if l.stop != nil {
			close(l.stop)
			<-l.probeDone
		}
		if l.redis != nil {
			if cerr := l.redis.close(); cerr != nil {
				err = fmt.Errorf("limiter: close redis: %w", cerr)
			}
		}
	})
	return err
}

// Mode returns the current mode.
func (l *Limiter) Mode() Mode { return Mode(l.mode.Load()) }

// SetPolicy adds a policy, or replaces the policy with the same name. It
// takes effect for the decisions that start after it returns.
func (l *Limiter) SetPolicy(p Policy) error {
	np, err := p.normalized()
	if err != nil {
		return fmt.Errorf("set policy: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ps := make([]Policy, 0, len(l.policies)+1)
	replaced := false
	for _, old := range l.policies {
		if old.Name == np.Name {
			ps = append(ps, np)
			replaced = true
		} else {
			ps = append(ps, old)
		}
	}
	if !replaced {
		ps = append(ps, np)
	}
	l.apply(ps)
	return nil
}

// RemovePolicy removes the named policy. It fails if there is none.
func (l *Limiter) RemovePolicy(name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ps := make([]Policy, 0, len(l.policies))
	for _, old := range l.policies {
		if old.Name != name {
			ps = append(ps, old)
		}
	}
	if len(ps) == len(l.policies) {
		return fmt.Errorf("remove policy: no policy named %q", name)
	}
	l.apply(ps)
	return nil
}

func (l *Limiter) apply(ps []Policy) {
	l.policies = ps
	l.mem.set(ps)
	if l.redis != nil {
		l.redis.set(ps)
	}
}

// Policies returns the current policies, with defaults filled in.
func (l *Limiter) Policies() []Policy {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Policy(nil), l.policies...)
}

// Stats returns the counters summed over every handle.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	hs := l.handles
	l.mu.Unlock()
	var s Stats
	for _, c := range hs {
		s.Allowed += c.allowed.Load()
		s.Denied += c.denied.Load()
		s.FallbackDecisions += c.fallback.Load()
	}
	s.BackendErrors = l.backendErrors.Load()
	s.Fallbacks = l.fallbacks.Load()
	s.Recoveries = l.recoveries.Load()
	s.Mode = l.Mode()
	return s
}

// Allow reports whether one event for key is admitted.
func (l *Limiter) Allow(ctx context.Context, key string) (bool, error) {
	return l.decide(ctx, key, 1, &l.shared)
}

// AllowN reports whether an event of weight n for key is admitted. A denial
// is reported as false with a nil error. Errors come only from a cancelled
// ctx or a non-positive n: Redis failures fall back to memory.
func (l *Limiter) AllowN(ctx context.Context, key string, n int64) (bool, error) {
	return l.decide(ctx, key, n, &l.shared)
}

// Handle is a per-goroutine view of a Limiter: it keeps its own counters (so
// that goroutines do not contend on shared ones) and a buffer for formatting
// key indexes. A Handle must not be used by two goroutines at once.
type Handle struct {
	l   *Limiter
	c   *counters
	buf []byte
	pre int
}

// NewHandle returns a new handle whose counters add to l.Stats.
func (l *Limiter) NewHandle() *Handle {
	c := new(counters)
	l.mu.Lock()
	l.handles = append(l.handles[:len(l.handles):len(l.handles)], c)
	l.mu.Unlock()
	buf := make([]byte, 0, len(l.cfg.KeyPrefix)+20)
	buf = append(buf, l.cfg.KeyPrefix...)
	return &Handle{l: l, c: c, buf: buf, pre: len(l.cfg.KeyPrefix)}
}

// AllowN reports whether an event of weight n for key is admitted.
func (h *Handle) AllowN(ctx context.Context, key string, n int64) (bool, error) {
	return h.l.decide(ctx, key, n, h.c)
}

// AllowIndex reports whether an event of weight n for the key
// KeyPrefix+decimal(idx) is admitted. It does not allocate for a key the
// memory backend has seen before.
func (h *Handle) AllowIndex(ctx context.Context, idx uint64, n int64) (bool, error) {
	h.buf = strconv.AppendUint(h.buf[:h.pre], idx, 10)
	// The string aliases h.buf only for this call: the memory backend copies
	// it before keeping it and the Redis backend builds new strings from it.
	key := unsafe.String(unsafe.SliceData(h.buf), len(h.buf))
	return h.l.decide(ctx, key, n, h.c)
}

func (l *Limiter) decide(ctx context.Context, key string, n int64, c *counters) (bool, error) {
	if n <= 0 {
		return false, fmt.Errorf("limiter: weight must be positive, got %d", n)
	}
	var ok bool
	switch Mode(l.mode.Load()) {
	case ModeMemory:
		ok = l.mem.allow(key, n)
	case ModeRedis:
		var err error
		ok, err = l.redis.allow(ctx, key, n)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return false, fmt.Errorf("limiter: %w", cerr)
			}
			l.backendErrors.Add(1)
			if l.mode.CompareAndSwap(int32(ModeRedis), int32(ModeFallback)) {
				l.fallbacks.Add(1)
			}
			ok = l.mem.allow(key, n)
			c.fallback.Add(1)
		}
	default:
		ok = l.mem.allow(key, n)
		c.fallback.Add(1)
	}
	if ok {
		c.allowed.Add(1)
	} else {
		c.denied.Add(1)
	}
	return ok, nil
}

// probe pings Redis every ProbeInterval: in fallback a successful ping
// switches back to Redis; while Redis is in use a failed ping switches to
// fallback, so that a dead Redis is noticed without traffic too.
func (l *Limiter) probe() {
	defer close(l.probeDone)
	t := time.NewTicker(l.redis.probeInterval)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-l.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		err := l.redis.ping(ctx)
		if ctx.Err() != nil {
			return
		}
		switch Mode(l.mode.Load()) {
		case ModeFallback:
			if err == nil && l.mode.CompareAndSwap(int32(ModeFallback), int32(ModeRedis)) {
				l.recoveries.Add(1)
			}
		case ModeRedis:
			if err != nil {
				l.backendErrors.Add(1)
				if l.mode.CompareAndSwap(int32(ModeRedis), int32(ModeFallback)) {
					l.fallbacks.Add(1)
				}
			}
		}
	}
}
