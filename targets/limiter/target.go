package limiter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/perfplan/perfplan/targets"
)

// Operation indexes in Kind().Ops.
const (
	opAllow = iota
	opAllowN
)

// Action names in Kind().Actions.
const (
	ActionSetPolicy    = "set_policy"
	ActionRemovePolicy = "remove_policy"
)

func ptr(f float64) *float64 { return &f }

// policyAttrs are the attributes of a policy block and of the set_policy
// action (which adds "name").
func policyAttrs() []targets.Attr {
	return []targets.Attr{
		{Name: "match", Type: targets.String, Default: string(MatchGlobal), OneOf: matchNames,
			Doc: `"global" (one shared limit), "key" (a limit per key) or "pattern" (a limit per key, for keys matching pattern)`},
		{Name: "pattern", Type: targets.String,
			Doc: `glob over the key string ("key:123"; '*' any run, '?' one byte), for match = "pattern"`},
		{Name: "algorithm", Type: targets.String, Default: string(TokenBucket), OneOf: algorithmNames,
			Doc: `"token_bucket", "gcra", "fixed_window" or "sliding_window"`},
		{Name: "rate", Type: targets.Number, Required: true, Min: ptr(0), Example: 100.0,
			Doc: "events admitted per period; must be positive"},
		{Name: "period", Type: targets.Duration, Default: time.Second, Min: ptr(1),
			Doc: "the rate's period, and the window length of the window algorithms"},
		{Name: "burst", Type: targets.Int, Min: ptr(0),
			Doc: "token_bucket and gcra: events admitted at once; default rate rounded up"},
	}
}

func schema() targets.Schema {
	return targets.Schema{
		Attrs: []targets.Attr{
			{Name: "backend", Type: targets.String, Default: BackendMemory, OneOf: []string{BackendMemory, BackendRedis},
				Doc: `"memory" (in process) or "redis" (distributed, falls back to memory when Redis fails)`},
			{Name: "key_prefix", Type: targets.String, Default: DefaultKeyPrefix,
				Doc: `the workload's key index k becomes the key string key_prefix + k, for example "key:123"`},
		},
		Blocks: []targets.BlockSpec{
			{
				Type: "policy", Labels: []string{"name"}, Multi: true, Starter: "main",
				Doc:    "a rate limit; an event is admitted when every policy matching its key admits it",
				Schema: targets.Schema{Attrs: policyAttrs()},
			},
			{
				Type: "redis",
				Doc:  `the Redis backend's connection, for backend = "redis"`,
				Schema: targets.Schema{Attrs: []targets.Attr{
					{Name: "address", Type: targets.String, Default: DefaultRedisAddress, Doc: "host:port"},
					{Name: "timeout", Type: targets.Duration, Default: DefaultRedisTimeout, Min: ptr(1),
						Doc: "bound on each Redis call; a slower or failed decision falls back to memory"},
					{Name: "probe_interval", Type: targets.Duration, Default: DefaultProbeInterval, Min: ptr(1),
						Doc: "how often the health probe pings Redis to switch back from fallback"},
					{Name: "namespace", Type: targets.String, Default: DefaultRedisNamespace,
						Doc: "prefix of the limiter's Redis keys"},
				}},
			},
		},
	}
}

// Kind is the "limiter" target kind.
//
// Plan block:
//
//	target "limiter" "api" {
//	  backend    = "memory"   # or "redis"
//	  key_prefix = "key:"     # key index 123 is the key "key:123"
//	  policy "per-user" {
//	    match     = "key"     # "global" (default), "key" or "pattern"
//	    pattern   = "key:1*"  # for match = "pattern"
//	    algorithm = "gcra"    # token_bucket (default), gcra, fixed_window, sliding_window
//	    rate      = 100       # required
//	    period    = "1s"      # default 1s
//	    burst     = 10        # token_bucket and gcra; default rate rounded up
//	  }
//	  redis {                 # for backend = "redis"
//	    address        = "127.0.0.1:6379"
//	    timeout        = "100ms"
//	    probe_interval = "100ms"
//	    namespace      = "perfplan:limiter:"
//	  }
//	}
//
// Operations: allow (one event) and allow_n (an event of weight n, default 1).
// A denial is not an error; it is counted. Statistics: allowed, denied,
// deny_ratio, fallback_decisions, backend_errors, fallbacks, recoveries and
// mode (0 memory, 1 redis, 2 fallback). Actions: set_policy (the policy
// attributes plus name) and remove_policy (name).
func Kind() targets.Kind {
	setSchema := targets.Schema{Attrs: append([]targets.Attr{
		{Name: "name", Type: targets.String, Required: true, Doc: "the policy to add or replace"},
	}, policyAttrs()...)}
	return targets.Kind{
		Name:   "limiter",
		Doc:    "a keyed rate limiter (token bucket, GCRA, fixed and sliding window) in memory or in Redis with fallback",
		Schema: schema(),
		Ops: []targets.OpSpec{
			opAllow:  {Name: "allow", Doc: "ask to admit one event for the key"},
			opAllowN: {Name: "allow_n", Doc: "ask to admit an event of weight n for the key", Arg: "n", ArgDefault: 1},
		},
		Stats:  []string{"allowed", "denied", "deny_ratio", "fallback_decisions", "backend_errors", "fallbacks", "recoveries", "mode"},
		Gauges: []string{"mode"},
		Ratios: map[string]targets.Ratio{"deny_ratio": {Num: []string{"denied"}, Den: []string{"allowed", "denied"}}},
		Actions: []targets.ActionSpec{
			{Name: ActionSetPolicy, Doc: "add a policy, or replace the policy of the same name", Schema: setSchema},
			{Name: ActionRemovePolicy, Doc: "remove the named policy", Schema: targets.Schema{Attrs: []targets.Attr{
				{Name: "name", Type: targets.String, Required: true, Doc: "the policy to remove"},
			}}},
		},
		Validate: func(cfg targets.Config) error {
			_, err := parseConfig(cfg)
			return err
		},
		New: func(cfg targets.Config) (targets.Target, error) {
			c, err := parseConfig(cfg)
			if err != nil {
				return nil, fmt.Errorf("limiter: %w", err)
			}
			return &target{cfg: c}, nil
		},
	}
}

// policyFromConfig decodes a policy block body or a set_policy action. Its
// errors are *targets.AttrError values (joined) with the given path.
func policyFromConfig(name string, c targets.Config, path []string) (Policy, error) {
	p := Policy{
		Name:      name,
		Match:     Match(c.String("match")),
		Pattern:   c.String("pattern"),
		Algorithm: Algorithm(c.String("algorithm")),
		Rate:      c.Float("rate"),
		Period:    c.Duration("period"),
		Burst:     c.Int("burst"),
	}
	attrErr := func(attr, format string, args ...any) error {
		return &targets.AttrError{Path: path, Attr: attr, Err: fmt.Errorf(format, args...)}
	}
	var errs []error
	if p.Match == "" {
		p.Match = MatchGlobal
	}
	if p.Algorithm == "" {
		p.Algorithm = TokenBucket
	}
	switch p.Match {
	case MatchGlobal, MatchKey:
		if p.Pattern != "" {
			errs = append(errs, attrErr("pattern", "applies only to match = %q", MatchPattern))
		}
	case MatchPattern:
		if p.Pattern == "" {
			errs = append(errs, attrErr("pattern", "is required when match = %q", MatchPattern))
		}
	default:
		errs = append(errs, attrErr("match", "must be one of %q, got %q", matchNames, p.Match))
	}
	switch p.Algorithm {
	case TokenBucket, GCRA:
		if p.Burst < 0 {
			errs = append(errs, attrErr("burst", "must not be negative, got %d", p.Burst))
		}
	case FixedWindow, SlidingWindow:
		if c.Has("burst") {
			errs = append(errs, attrErr("burst", "does not apply to algorithm %q (a window admits rate events)", p.Algorithm))
		}
	default:
		errs = append(errs, attrErr("algorithm", "must be one of %q, got %q", algorithmNames, p.Algorithm))
	}
	if !c.Has("rate") {
		errs = append(errs, attrErr("rate", "is required"))
	} else if !(p.Rate > 0) {
		errs = append(errs, attrErr("rate", "must be positive, got %v", p.Rate))
	}
	if c.Has("period") && p.Period <= 0 {
		errs = append(errs, attrErr("period", "must be positive, got %s", p.Period))
	}
	if err := errors.Join(errs...); err != nil {
		return p, err
	}
	np, err := p.normalized()
	if err != nil {
		return p, attrErr("rate", "%v", err)
	}
	return np, nil
}

// parseConfig decodes and checks a target block.
func parseConfig(cfg targets.Config) (Config, error) {
	c := Config{Backend: cfg.String("backend"), KeyPrefix: cfg.String("key_prefix")}
	if c.Backend == "" {
		c.Backend = BackendMemory
	}
	if !cfg.Has("key_prefix") {
		c.KeyPrefix = DefaultKeyPrefix
	}
	var errs []error
	if c.Backend != BackendMemory && c.Backend != BackendRedis {
		errs = append(errs, targets.Errorf("backend", "must be %q or %q, got %q", BackendMemory, BackendRedis, c.Backend))
	}
	if c.KeyPrefix == "" {
		errs = append(errs, targets.Errorf("key_prefix", "must not be empty"))
	}
	seen := map[string]bool{}
	for _, b := range cfg.BlocksOf("policy") {
		name := ""
		if len(b.Labels) > 0 {
			name = b.Labels[0]
		}
		path := []string{"policy." + name}
		if name == "" {
			errs = append(errs, &targets.AttrError{Path: path, Attr: "name", Err: errors.New("policy name must not be empty")})
			continue
		}
		if seen[name] {
			errs = append(errs, &targets.AttrError{Path: path, Attr: "name", Err: fmt.Errorf("duplicate policy %q", name)})
			continue
		}
		seen[name] = true
		p, err := policyFromConfig(name, b.Config, path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.Policies = append(c.Policies, p)
	}
	rbs := cfg.BlocksOf("redis")
	if len(rbs) > 1 {
		errs = append(errs, targets.Errorf("redis", "at most one redis block"))
	}
	if len(rbs) > 0 {
		if c.Backend != BackendRedis {
			errs = append(errs, targets.Errorf("redis", "the redis block applies only to backend = %q", BackendRedis))
		}
		rc := rbs[0].Config
		path := []string{"redis"}
		c.Redis = RedisConfig{
			Address:       rc.String("address"),
			Timeout:       rc.Duration("timeout"),
			ProbeInterval: rc.Duration("probe_interval"),
			Namespace:     rc.String("namespace"),
		}
		if rc.Has("timeout") && c.Redis.Timeout <= 0 {
			errs = append(errs, &targets.AttrError{Path: path, Attr: "timeout", Err: fmt.Errorf("must be positive, got %s", c.Redis.Timeout)})
		}
		if rc.Has("probe_interval") && c.Redis.ProbeInterval <= 0 {
			errs = append(errs, &targets.AttrError{Path: path, Attr: "probe_interval", Err: fmt.Errorf("must be positive, got %s", c.Redis.ProbeInterval)})
		}
	}
	return c, errors.Join(errs...)
}

// target adapts a Limiter to targets.Target and targets.Controller.
type target struct {
	cfg Config
	l   *Limiter
}

var _ targets.Controller = (*target)(nil)

func (t *target) Open(ctx context.Context) error {
	l, err := New(ctx, t.cfg)
	if err != nil {
		return fmt.Errorf("open limiter: %w", err)
	}
	t.l = l
	return nil
}

func (t *target) NewWorker(int) (targets.Worker, error) {
	if t.l == nil {
		return nil, errors.New("limiter: NewWorker before Open")
	}
	return worker{t.l.NewHandle()}, nil
}

func (t *target) Stats() map[string]float64 {
	var s Stats
	if t.l != nil {
		s = t.l.Stats()
	} else if t.cfg.Backend == BackendRedis {
		s.Mode = ModeRedis
	}
	ratio := 0.0
	if total := s.Allowed + s.Denied; total > 0 {
		ratio = float64(s.Denied) / float64(total)
	}
	return map[string]float64{
		"allowed":            float64(s.Allowed),
		"denied":             float64(s.Denied),
		"deny_ratio":         ratio,
		"fallback_decisions": float64(s.FallbackDecisions),
		"backend_errors":     float64(s.BackendErrors),
		"fallbacks":          float64(s.Fallbacks),
		"recoveries":         float64(s.Recoveries),
		"mode":               float64(s.Mode),
	}
}

func (t *target) Close() error {
	if t.l == nil {
		return nil
	}
	return t.l.Close()
}

// Control applies set_policy or remove_policy.
func (t *target) Control(_ context.Context, action string, cfg targets.Config) error {
	if t.l == nil {
		return fmt.Errorf("limiter: %s before Open", action)
	}
	switch action {
	case ActionSetPolicy:
		name := cfg.String("name")
		if name == "" {
			return fmt.Errorf("limiter: %s: %w", action, targets.Errorf("name", "is required"))
		}
		p, err := policyFromConfig(name, cfg, nil)
		if err != nil {
			return fmt.Errorf("limiter: %s %q: %w", action, name, err)
		}
		if err := t.l.SetPolicy(p); err != nil {
			return fmt.Errorf("limiter: %w", err)
		}
		return nil
	case ActionRemovePolicy:
		if err := t.l.RemovePolicy(cfg.String("name")); err != nil {
			return fmt.Errorf("limiter: %w", err)
		}
		return nil
	}
	return fmt.Errorf("limiter: unknown action %q", action)
}

type worker struct{ h *Handle }

func (w worker) Do(ctx context.Context, req *targets.Request) error {
	n := int64(1)
	if req.Op == opAllowN {
		n = req.Arg
	}
	_, err := w.h.AllowIndex(ctx, req.Key, n)
	return err
}
