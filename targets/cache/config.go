package cache

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/perfplan/perfplan/targets"
)

// Tier kinds.
const (
	KindOtter    = "otter"
	KindBigcache = "bigcache"
	KindRedis    = "redis"
)

// Defaults of the tier and loader attributes that depend on the tier kind.
const (
	DefaultL1Capacity   = 10_000
	DefaultL2Capacity   = 100_000
	DefaultEntrySize    = 512
	DefaultRedisAddress = "127.0.0.1:6379"
	DefaultRedisTimeout = 100 * time.Millisecond
	// DefaultBreakerFailures is how many consecutive failed Redis calls open
	// the Redis tier's circuit breaker.
	DefaultBreakerFailures = 5
	// DefaultBreakerCooldown is how long an open breaker bypasses Redis
	// before it lets one probe call through.
	DefaultBreakerCooldown = time.Second
)

// forever is the remaining lifetime of an entry that does not expire. It is
// small enough that adding it to a Unix time in nanoseconds cannot overflow.
const forever = time.Duration(math.MaxInt64 / 4)

var tierLabels = []string{"l1", "l2", "l3"}

func ptr(f float64) *float64 { return &f }

func schema() targets.Schema {
	return targets.Schema{
		Attrs: []targets.Attr{
			{Name: "prefill", Type: targets.Int, Default: int64(0), Min: ptr(0),
				Doc: "keys 0..prefill-1 are written through every tier in Open, so the hit ratio is not measured cold"},
			{Name: "prefill_value_size", Type: targets.Int, Default: int64(64), Min: ptr(8),
				Doc: "size in bytes of the prefilled values"},
			{Name: "negative_ttl", Type: targets.Duration, Default: time.Duration(0), Min: ptr(0),
				Doc: "how long get_or_load remembers that the loader found no value for a key; 0 disables negative caching"},
			{Name: "negative_capacity", Type: targets.Int, Default: int64(10_000), Min: ptr(1),
				Doc: "most keys remembered as not found"},
			{Name: "key_prefix", Type: targets.String, Default: "perfplan:cache:",
				Doc: "prefix of the keys in a Redis tier"},
		},
		Blocks: []targets.BlockSpec{
			{
				Type: "tier", Labels: []string{"name"}, LabelValues: tierLabels, Multi: true, Required: true,
				Doc: `a cache tier; tiers are "l1", "l2" and "l3", declared in that order, any of them may be left out`,
				Schema: targets.Schema{Attrs: []targets.Attr{
					{Name: "kind", Type: targets.String, OneOf: []string{KindOtter, KindBigcache, KindRedis},
						Doc: `"otter", "bigcache" or "redis"; defaults to otter for l1, bigcache for l2, redis for l3`},
					{Name: "capacity", Type: targets.Int, Min: ptr(1),
						Doc: "most entries (otter: exact, W-TinyLFU; bigcache: sizes memory as capacity × entry_size)"},
					{Name: "ttl", Type: targets.Duration, Default: time.Duration(0), Min: ptr(0),
						Doc: "lifetime of an entry written to this tier; 0 is no expiry; a promoted entry keeps its remaining lifetime, capped by ttl"},
					{Name: "entry_size", Type: targets.Int, Min: ptr(16),
						Doc: "bigcache: expected bytes per entry (key, value, headers); default 512"},
					{Name: "address", Type: targets.String, Doc: `redis: host:port; default "127.0.0.1:6379"`},
					{Name: "timeout", Type: targets.Duration, Min: ptr(0),
						Doc: "redis: the most time one cache operation spends in Redis, all its Redis calls together (also go-redis's dial, read, write and pool timeout); default 100ms"},
				}, Blocks: []targets.BlockSpec{{
					Type: "breaker",
					Doc:  "redis: the circuit breaker that bypasses Redis after consecutive failures",
					Schema: targets.Schema{Attrs: []targets.Attr{
						{Name: "failures", Type: targets.Int, Default: int64(DefaultBreakerFailures), Min: ptr(0),
							Doc: "consecutive failed or timed-out Redis calls that open the breaker; 0 disables it"},
						{Name: "cooldown", Type: targets.Duration, Default: DefaultBreakerCooldown, Min: ptr(0),
							Doc: "how long an open breaker bypasses Redis before one probe call decides whether it closes"},
					}},
				}}},
			},
			{
				Type: "loader",
				Doc:  "the source of truth behind get_or_load",
				Schema: targets.Schema{Attrs: []targets.Attr{
					{Name: "latency", Type: targets.Duration, Default: time.Millisecond, Min: ptr(0), Doc: "time one load takes"},
					{Name: "error_rate", Type: targets.Number, Default: 0.0, Min: ptr(0), Doc: "probability in [0,1] that a load fails"},
					{Name: "not_found_rate", Type: targets.Number, Default: 0.0, Min: ptr(0),
						Doc: "fraction in [0,1] of keys for which the loader finds no value (fixed per key)"},
					{Name: "concurrency", Type: targets.Int, Default: int64(0), Min: ptr(0),
						Doc: "most loads in flight at once (the origin's connection pool); more wait for a slot, and the wait counts in the latency; 0 is unlimited"},
				}},
			},
		},
	}
}

type tierConfig struct {
	label     string
	level     int // 0, 1, 2 for l1, l2, l3: the index of its statistics
	kind      string
	capacity  int
	ttl       time.Duration
	entrySize int
	address   string
	timeout   time.Duration
	breaker   breakerConfig
}

// breakerConfig configures the Redis tier's circuit breaker.
type breakerConfig struct {
	failures int           // consecutive failures that open it; 0 disables it
	cooldown time.Duration // how long it stays open before a probe
}

type loaderConfig struct {
	latency      time.Duration
	errorRate    float64
	notFoundRate float64
	concurrency  int // most loader calls at once; 0 is unlimited
}

type config struct {
	tiers            []tierConfig
	loader           loaderConfig
	prefill          int
	prefillValueSize int
	negativeTTL      time.Duration
	negativeCapacity int
	keyPrefix        string
}

func tierErr(label, attr, format string, args ...any) error {
	return &targets.AttrError{Path: []string{"tier." + label}, Attr: attr, Err: fmt.Errorf(format, args...)}
}

func breakerErr(label, attr, format string, args ...any) error {
	return &targets.AttrError{Path: []string{"tier." + label, "breaker"}, Attr: attr, Err: fmt.Errorf(format, args...)}
}

func loaderErr(attr, format string, args ...any) error {
	return &targets.AttrError{Path: []string{"loader"}, Attr: attr, Err: fmt.Errorf(format, args...)}
}

// parse checks and decodes a configuration. Errors are *targets.AttrError
// values joined with errors.Join.
func parse(cfg targets.Config) (*config, error) {
	var errs []error
	c := &config{
		prefill:          int(cfg.Int("prefill")),
		prefillValueSize: int(cfg.Int("prefill_value_size")),
		negativeTTL:      cfg.Duration("negative_ttl"),
		negativeCapacity: int(cfg.Int("negative_capacity")),
		keyPrefix:        cfg.String("key_prefix"),
		loader:           loaderConfig{latency: time.Millisecond},
	}
	if !cfg.Has("prefill_value_size") {
		c.prefillValueSize = 64
	}
	if !cfg.Has("negative_capacity") {
		c.negativeCapacity = 10_000
	}
	if !cfg.Has("key_prefix") {
		c.keyPrefix = "perfplan:cache:"
	}
	if c.prefill < 0 {
		errs = append(errs, targets.Errorf("prefill", "must not be negative, got %d", c.prefill))
	}
	if c.prefillValueSize < 8 {
		errs = append(errs, targets.Errorf("prefill_value_size", "must be at least 8 (the key stamp), got %d", c.prefillValueSize))
	}
	if c.negativeTTL < 0 {
		errs = append(errs, targets.Errorf("negative_ttl", "must not be negative, got %s", c.negativeTTL))
	}
	if c.negativeCapacity < 1 {
		errs = append(errs, targets.Errorf("negative_capacity", "must be positive, got %d", c.negativeCapacity))
	}

	blocks := cfg.BlocksOf("tier")
	if len(blocks) == 0 {
		errs = append(errs, targets.Errorf("tier", "at least one tier block is required"))
	}
	prev, redisSeen := -1, false
	for _, b := range blocks {
		label := ""
		if len(b.Labels) > 0 {
			label = b.Labels[0]
		}
		level := -1
		for i, l := range tierLabels {
			if l == label {
				level = i
			}
		}
		if level < 0 {
			errs = append(errs, tierErr(label, "name", `tier name must be "l1", "l2" or "l3", got %q`, label))
			continue
		}
		if level <= prev {
			errs = append(errs, tierErr(label, "name", "tier %q must come after the tiers above it and appear once", label))
			continue
		}
		prev = level
		bc := b.Config
		tc := tierConfig{label: label, level: level, kind: bc.String("kind"), ttl: bc.Duration("ttl")}
		if tc.kind == "" {
			tc.kind = []string{KindOtter, KindBigcache, KindRedis}[level]
		}
		only := func(attr string, kinds ...string) {
			if !bc.Has(attr) {
				return
			}
			for _, k := range kinds {
				if k == tc.kind {
					return
				}
			}
			errs = append(errs, tierErr(label, attr, "does not apply to a %s tier", tc.kind))
		}
		only("capacity", KindOtter, KindBigcache)
		only("entry_size", KindBigcache)
		only("address", KindRedis)
		only("timeout", KindRedis)
		breakers := bc.BlocksOf("breaker")
		if len(breakers) > 0 && tc.kind != KindRedis {
			errs = append(errs, tierErr(label, "breaker", "does not apply to a %s tier", tc.kind))
		}
		if tc.ttl < 0 {
			errs = append(errs, tierErr(label, "ttl", "must not be negative, got %s", tc.ttl))
		}
		switch tc.kind {
		case KindOtter, KindBigcache:
			tc.capacity = int(bc.Int("capacity"))
			if !bc.Has("capacity") {
				tc.capacity = DefaultL1Capacity
				if tc.kind == KindBigcache {
					tc.capacity = DefaultL2Capacity
				}
			}
			if tc.capacity < 1 {
				errs = append(errs, tierErr(label, "capacity", "must be positive, got %d", tc.capacity))
			}
			tc.entrySize = int(bc.Int("entry_size"))
			if !bc.Has("entry_size") {
				tc.entrySize = DefaultEntrySize
			}
			if tc.kind == KindBigcache && tc.entrySize < 16 {
				errs = append(errs, tierErr(label, "entry_size", "must be at least 16, got %d", tc.entrySize))
			}
		case KindRedis:
			if redisSeen {
				errs = append(errs, tierErr(label, "kind", "only one redis tier is supported"))
			}
			redisSeen = true
			tc.address = bc.String("address")
			if !bc.Has("address") {
				tc.address = DefaultRedisAddress
			}
			if tc.address == "" {
				errs = append(errs, tierErr(label, "address", "must not be empty"))
			}
			tc.timeout = bc.Duration("timeout")
			if !bc.Has("timeout") {
				tc.timeout = DefaultRedisTimeout
			}
			if tc.timeout <= 0 {
				errs = append(errs, tierErr(label, "timeout", "must be positive, got %s", tc.timeout))
			}
			tc.breaker = breakerConfig{failures: DefaultBreakerFailures, cooldown: DefaultBreakerCooldown}
			if len(breakers) > 1 {
				errs = append(errs, tierErr(label, "breaker", "only one breaker block is allowed"))
			}
			if len(breakers) > 0 {
				errs = append(errs, parseBreaker(label, breakers[0].Config, &tc.breaker)...)
			}
		default:
			errs = append(errs, tierErr(label, "kind", "unknown tier kind %q", tc.kind))
		}
		c.tiers = append(c.tiers, tc)
	}

	if ls := cfg.BlocksOf("loader"); len(ls) > 0 {
		lc := ls[0].Config
		if lc.Has("latency") {
			c.loader.latency = lc.Duration("latency")
		}
		c.loader.errorRate = lc.Float("error_rate")
		c.loader.notFoundRate = lc.Float("not_found_rate")
		c.loader.concurrency = int(lc.Int("concurrency"))
		if c.loader.latency < 0 {
			errs = append(errs, loaderErr("latency", "must not be negative, got %s", c.loader.latency))
		}
		if r := c.loader.errorRate; r < 0 || r > 1 || math.IsNaN(r) {
			errs = append(errs, loaderErr("error_rate", "must be between 0 and 1, got %g", r))
		}
		if r := c.loader.notFoundRate; r < 0 || r > 1 || math.IsNaN(r) {
			errs = append(errs, loaderErr("not_found_rate", "must be between 0 and 1, got %g", r))
		}
		if c.loader.concurrency < 0 {
			errs = append(errs, loaderErr("concurrency", "must not be negative, got %d", c.loader.concurrency))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// parseBreaker decodes a breaker block into bc, which holds the defaults.
func parseBreaker(label string, cfg targets.Config, bc *breakerConfig) []error {
	var errs []error
	if cfg.Has("failures") {
		n := cfg.Int("failures")
		if n < 0 || n > math.MaxInt32 {
			errs = append(errs, breakerErr(label, "failures", "must be between 0 (no breaker) and %d, got %d", math.MaxInt32, n))
		}
		bc.failures = int(n)
	}
	if cfg.Has("cooldown") {
		bc.cooldown = cfg.Duration("cooldown")
		if bc.cooldown <= 0 {
			errs = append(errs, breakerErr(label, "cooldown", "must be positive, got %s", bc.cooldown))
		}
	}
	return errs
}
