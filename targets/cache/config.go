package cache

import (
	"errors"
	"fmt"
	"math"
	"slices"
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

// schema is the cache block's schema. It declares every default and
// minimum that does not depend on a tier's kind; parse reads them through
// targets.Schema.Resolve and adds the kind-dependent defaults and the
// checks a schema cannot express.
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
				Doc:    `a cache tier; tiers are "l1", "l2" and "l3", declared in that order, any of them may be left out`,
				Schema: tierSchema(),
			},
			{
				Type:   "loader",
				Doc:    "the source of truth behind get_or_load",
				Schema: loaderSchema(),
			},
		},
	}
}

// tierSchema is the schema of a tier block. Its attributes that apply to
// some tier kinds only have no schema default: parseTier fills them in for
// the kinds they apply to.
func tierSchema() targets.Schema {
	return targets.Schema{Attrs: []targets.Attr{
		{Name: "kind", Type: targets.String, OneOf: []string{KindOtter, KindBigcache, KindRedis},
			Doc: `"otter", "bigcache" or "redis"; defaults to otter for l1, bigcache for l2, redis for l3`},
		{Name: "capacity", Type: targets.Int, Min: ptr(1), Example: int64(10_000),
			Doc: "most entries (otter: exact, W-TinyLFU; bigcache: sizes memory as capacity × entry_size)"},
		{Name: "ttl", Type: targets.Duration, Default: time.Duration(0), Min: ptr(0),
			Doc: "lifetime of an entry written to this tier; 0 is no expiry; a promoted entry keeps its remaining lifetime, capped by ttl"},
		{Name: "entry_size", Type: targets.Int, Min: ptr(16), Example: int64(512),
			Doc: "bigcache: expected bytes per entry (key, value, headers); default 512"},
		{Name: "address", Type: targets.String, Example: "127.0.0.1:6379", Doc: `redis: host:port; default "127.0.0.1:6379"`},
		{Name: "timeout", Type: targets.Duration, Min: ptr(0), Example: 100 * time.Millisecond,
			Doc: "redis: the most time one cache operation spends in Redis, all its Redis calls together (also go-redis's dial, read, write and pool timeout); default 100ms"},
	}, Blocks: []targets.BlockSpec{{
		Type:   "breaker",
		Doc:    "redis: the circuit breaker that bypasses Redis after consecutive failures",
		Schema: breakerSchema(),
	}}}
}

// breakerSchema is the schema of a Redis tier's breaker block.
func breakerSchema() targets.Schema {
	return targets.Schema{Attrs: []targets.Attr{
		{Name: "failures", Type: targets.Int, Default: int64(DefaultBreakerFailures), Min: ptr(0),
			Doc: "consecutive failed or timed-out Redis calls that open the breaker; 0 disables it"},
		{Name: "cooldown", Type: targets.Duration, Default: DefaultBreakerCooldown, Min: ptr(0),
			Doc: "how long an open breaker bypasses Redis before one probe call decides whether it closes"},
	}}
}

// loaderSchema is the schema of the loader block.
func loaderSchema() targets.Schema {
	return targets.Schema{Attrs: []targets.Attr{
		{Name: "latency", Type: targets.Duration, Default: time.Millisecond, Min: ptr(0), Doc: "time one load takes"},
		{Name: "error_rate", Type: targets.Number, Default: 0.0, Min: ptr(0), Doc: "probability in [0,1] that a load fails"},
		{Name: "not_found_rate", Type: targets.Number, Default: 0.0, Min: ptr(0),
			Doc: "fraction in [0,1] of keys for which the loader finds no value (fixed per key)"},
		{Name: "concurrency", Type: targets.Int, Default: int64(0), Min: ptr(0),
			Doc: "most loads in flight at once (the origin's connection pool); more wait for a slot, and the wait counts in the latency; 0 is unlimited"},
	}}
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

// parse checks and decodes a configuration: the schema's defaults and
// minimums first (targets.Schema.Resolve, which a configuration decoded
// from a plan has already passed), then the tiers' kind-dependent defaults
// and the rules a schema cannot express. Errors are *targets.AttrError
// values joined with errors.Join.
func parse(cfg targets.Config) (*config, error) {
	cfg, err := schema().Resolve(cfg)
	errs := flatten(err)
	c := &config{
		prefill:          int(cfg.Int("prefill")),
		prefillValueSize: int(cfg.Int("prefill_value_size")),
		negativeTTL:      cfg.Duration("negative_ttl"),
		negativeCapacity: int(cfg.Int("negative_capacity")),
		keyPrefix:        cfg.String("key_prefix"),
	}
	var more []error
	c.tiers, more = parseTiers(cfg.BlocksOf("tier"))
	errs = append(errs, more...)
	c.loader, more = parseLoader(cfg)
	errs = append(errs, more...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// flatten lists the errors that errors.Join joined in err, so that parse
// returns one flat list of *targets.AttrError values.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// parseTiers decodes the tier blocks: at least one, labelled l1, l2 or l3,
// in that order, and at most one of kind redis.
func parseTiers(blocks []targets.Block) ([]tierConfig, []error) {
	if len(blocks) == 0 {
		return nil, []error{targets.Errorf("tier", "at least one tier block is required")}
	}
	var tiers []tierConfig
	var errs []error
	prev, redisSeen := -1, false
	for _, b := range blocks {
		label := ""
		if len(b.Labels) > 0 {
			label = b.Labels[0]
		}
		level := slices.Index(tierLabels, label)
		if level < 0 {
			errs = append(errs, tierErr(label, "name", `tier name must be "l1", "l2" or "l3", got %q`, label))
			continue
		}
		if level <= prev {
			errs = append(errs, tierErr(label, "name", "tier %q must come after the tiers above it and appear once", label))
			continue
		}
		prev = level
		tc, more := parseTier(label, level, b.Config)
		errs = append(errs, more...)
		if tc.kind == KindRedis {
			if redisSeen {
				errs = append(errs, tierErr(label, "kind", "only one redis tier is supported"))
			}
			redisSeen = true
		}
		tiers = append(tiers, tc)
	}
	return tiers, errs
}

// parseTier decodes one tier block, whose schema defaults are filled in:
// its kind (by default otter for l1, bigcache for l2, redis for l3) and the
// attributes of that kind, with their kind-dependent defaults.
func parseTier(label string, level int, bc targets.Config) (tierConfig, []error) {
	tc := tierConfig{label: label, level: level, kind: bc.String("kind"), ttl: bc.Duration("ttl")}
	if tc.kind == "" {
		tc.kind = []string{KindOtter, KindBigcache, KindRedis}[level]
	}
	errs := checkTierKindAttrs(label, tc.kind, bc)
	switch tc.kind {
	case KindOtter, KindBigcache:
		tc.capacity = DefaultL1Capacity
		if tc.kind == KindBigcache {
			tc.capacity = DefaultL2Capacity
		}
		if bc.Has("capacity") {
			tc.capacity = int(bc.Int("capacity"))
		}
		tc.entrySize = DefaultEntrySize
		if bc.Has("entry_size") {
			tc.entrySize = int(bc.Int("entry_size"))
		}
	case KindRedis:
		errs = append(errs, parseRedisTier(&tc, bc)...)
	default:
		errs = append(errs, tierErr(label, "kind", "unknown tier kind %q", tc.kind))
	}
	return tc, errs
}

// checkTierKindAttrs reports the attributes and blocks of a tier that do
// not apply to its kind.
func checkTierKindAttrs(label, kind string, bc targets.Config) []error {
	only := []struct {
		attr  string
		kinds []string
	}{
		{"capacity", []string{KindOtter, KindBigcache}},
		{"entry_size", []string{KindBigcache}},
		{"address", []string{KindRedis}},
		{"timeout", []string{KindRedis}},
	}
	var errs []error
	for _, o := range only {
		if bc.Has(o.attr) && !slices.Contains(o.kinds, kind) {
			errs = append(errs, tierErr(label, o.attr, "does not apply to a %s tier", kind))
		}
	}
	if len(bc.BlocksOf("breaker")) > 0 && kind != KindRedis {
		errs = append(errs, tierErr(label, "breaker", "does not apply to a %s tier", kind))
	}
	return errs
}

// parseRedisTier decodes a Redis tier's address, timeout and breaker into
// tc, with their defaults.
func parseRedisTier(tc *tierConfig, bc targets.Config) []error {
	var errs []error
	tc.address = DefaultRedisAddress
	if bc.Has("address") {
		tc.address = bc.String("address")
	}
	if tc.address == "" {
		errs = append(errs, tierErr(tc.label, "address", "must not be empty"))
	}
	tc.timeout = DefaultRedisTimeout
	if bc.Has("timeout") {
		tc.timeout = bc.Duration("timeout")
	}
	if tc.timeout == 0 { // below zero is the schema's minimum
		errs = append(errs, tierErr(tc.label, "timeout", "must be positive, got %s", tc.timeout))
	}
	breakers := bc.BlocksOf("breaker")
	if len(breakers) > 1 {
		errs = append(errs, tierErr(tc.label, "breaker", "only one breaker block is allowed"))
	}
	cfg := breakerSchema().Defaults()
	if len(breakers) > 0 {
		cfg = breakers[0].Config
	}
	var more []error
	tc.breaker, more = parseBreaker(tc.label, cfg)
	return append(errs, more...)
}

// parseBreaker decodes a breaker block whose schema defaults are filled in.
func parseBreaker(label string, cfg targets.Config) (breakerConfig, []error) {
	var errs []error
	n := cfg.Int("failures")
	if n > math.MaxInt32 { // below zero is the schema's minimum
		errs = append(errs, breakerErr(label, "failures", "must be between 0 (no breaker) and %d, got %d", math.MaxInt32, n))
	}
	bc := breakerConfig{failures: int(n), cooldown: cfg.Duration("cooldown")}
	if bc.cooldown == 0 { // below zero is the schema's minimum
		errs = append(errs, breakerErr(label, "cooldown", "must be positive, got %s", bc.cooldown))
	}
	return bc, errs
}

// parseLoader decodes the loader block, or the loader's defaults when the
// plan has none.
func parseLoader(cfg targets.Config) (loaderConfig, []error) {
	lc := loaderSchema().Defaults()
	if ls := cfg.BlocksOf("loader"); len(ls) > 0 {
		lc = ls[0].Config
	}
	l := loaderConfig{
		latency:      lc.Duration("latency"),
		errorRate:    lc.Float("error_rate"),
		notFoundRate: lc.Float("not_found_rate"),
		concurrency:  int(lc.Int("concurrency")),
	}
	var errs []error
	// Below zero is the schema's minimum.
	if r := l.errorRate; r > 1 {
		errs = append(errs, loaderErr("error_rate", "must be between 0 and 1, got %g", r))
	}
	if r := l.notFoundRate; r > 1 {
		errs = append(errs, loaderErr("not_found_rate", "must be between 0 and 1, got %g", r))
	}
	return l, errs
}
