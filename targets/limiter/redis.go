package limiter

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// decideScript makes one decision over every matching policy atomically.
// Times are in microseconds from the server's TIME.
//
//	KEYS[i]          state key of the i-th matching policy
//	ARGV[1]          weight n
//	ARGV[2+4(i-1)..] algorithm code (tb, gcra, fw, sw), rate, period (µs), burst
//
// It checks every policy first and writes only when all admit. It returns 1
// when admitted, 0 when denied.
var decideScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = tonumber(ARGV[1])
local writes = {}
for i = 1, #KEYS do
  local b = 2 + (i - 1) * 4
  local alg = ARGV[b]
  local rate = tonumber(ARGV[b + 1])
  local period = tonumber(ARGV[b + 2])
  local burst = tonumber(ARGV[b + 3])
  local k = KEYS[i]
  if alg == 'tb' then
    local v = redis.call('HMGET', k, 'x', 't')
    local x = tonumber(v[1])
    local ts = tonumber(v[2])
    if x == nil or ts == nil then
      x = burst
      ts = now
    end
    if now > ts then
      x = math.min(burst, x + (now - ts) * rate / period)
      ts = now
    elseif x > burst then
      x = burst
    end
    if x + 1e-9 < n then return 0 end
    local ttl = math.ceil(burst * period / rate / 1000) + 1000
    writes[i] = {'tb', k, x - n, ts, ttl}
  elseif alg == 'gcra' then
    local interval = period / rate
    local tat = tonumber(redis.call('GET', k))
    if tat == nil or tat < now then tat = now end
    local nxt = tat + n * interval
    if nxt - now > burst * interval * (1 + 1e-9) then return 0 end
    writes[i] = {'gcra', k, nxt, math.ceil((nxt - now) / 1000) + 1000}
  else
    local w = math.floor(now / period)
    local v = redis.call('HMGET', k, 'w', 'c', 'p')
    local sw = tonumber(v[1])
    local c = tonumber(v[2]) or 0
    local p = tonumber(v[3]) or 0
    if sw == nil then
      sw = w
      c = 0
      p = 0
    end
    if w > sw then
      if w == sw + 1 then p = c else p = 0 end
      c = 0
      sw = w
    end
    local est = c + n
    if alg == 'sw' then
      local frac = (now - sw * period) / period
      if frac < 0 then frac = 0 elseif frac > 1 then frac = 1 end
      est = est + math.floor(p * (1 - frac) + 1e-9)
    end
    if est > rate * (1 + 1e-9) then return 0 end
    writes[i] = {'win', k, sw, c + n, p, math.ceil(2 * period / 1000) + 1000}
  end
end
for i = 1, #KEYS do
  local w = writes[i]
  if w[1] == 'tb' then
    redis.call('HSET', w[2], 'x', w[3], 't', w[4])
    redis.call('PEXPIRE', w[2], w[5])
  elseif w[1] == 'gcra' then
    redis.call('SET', w[2], w[3], 'PX', w[4])
  else
    redis.call('HSET', w[2], 'w', w[3], 'c', w[4], 'p', w[5])
    redis.call('PEXPIRE', w[2], w[6])
  end
end
return 1
`)

// redisBackend makes decisions with decideScript.
type redisBackend struct {
	rdb           *redis.Client
	namespace     string
	probeInterval time.Duration
	cur           atomic.Pointer[[]redisPolicy]
}

// redisPolicy is a policy with its script arguments prepared.
type redisPolicy struct {
	Policy
	prefix string // namespace + name + ":" + algorithm code + ":"
	args   [4]any
}

func newRedisBackend(c RedisConfig) (*redisBackend, error) {
	if c.Address == "" {
		c.Address = DefaultRedisAddress
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultRedisTimeout
	}
	if c.ProbeInterval <= 0 {
		c.ProbeInterval = DefaultProbeInterval
	}
	if c.Namespace == "" {
		c.Namespace = DefaultRedisNamespace
	}
	rb := &redisBackend{
		rdb: redis.NewClient(&redis.Options{
			Addr:         c.Address,
			DialTimeout:  c.Timeout,
			ReadTimeout:  c.Timeout,
			WriteTimeout: c.Timeout,
			PoolTimeout:  c.Timeout,
			// No retries: a failed call falls back at once instead of
			// retrying with back-off.
			MaxRetries: -1,
			// One dial attempt: go-redis otherwise retries a refused dial 5
			// times, 100ms apart, which would hold a decision for 400ms.
			DialerRetries: 1,
		}),
		namespace:     c.Namespace,
		probeInterval: c.ProbeInterval,
	}
	empty := []redisPolicy{}
	rb.cur.Store(&empty)
	return rb, nil
}

func (rb *redisBackend) set(ps []Policy) {
	out := make([]redisPolicy, 0, len(ps))
	for _, p := range ps {
		code := map[Algorithm]string{TokenBucket: "tb", GCRA: "gcra", FixedWindow: "fw", SlidingWindow: "sw"}[p.Algorithm]
		out = append(out, redisPolicy{
			Policy: p,
			// The algorithm is part of the key: a policy changed to another
			// algorithm starts fresh instead of reading state of another
			// layout (or type) under the same key.
			prefix: rb.namespace + p.Name + ":" + code + ":",
			args: [4]any{
				code,
				strconv.FormatFloat(p.Rate, 'g', -1, 64),
				strconv.FormatInt(max(1, p.Period.Microseconds()), 10),
				strconv.FormatInt(p.Burst, 10),
			},
		})
	}
	rb.cur.Store(&out)
}

// allow decides in Redis. An error means Redis failed or was too slow.
func (rb *redisBackend) allow(ctx context.Context, key string, n int64) (bool, error) {
	ps := *rb.cur.Load()
	keys := make([]string, 0, len(ps))
	args := make([]any, 1, 1+4*len(ps))
	args[0] = n
	for i := range ps {
		p := &ps[i]
		switch p.Match {
		case MatchGlobal:
			keys = append(keys, p.prefix+"*global*")
		case MatchPattern:
			if !globMatch(p.Pattern, key) {
				continue
			}
			fallthrough
		default:
			keys = append(keys, p.prefix+key)
		}
		args = append(args, p.args[:]...)
	}
	if len(keys) == 0 {
		return true, nil
	}
	r, err := decideScript.Run(ctx, rb.rdb, keys, args...).Int64()
	if err != nil {
		return false, fmt.Errorf("redis decision: %w", err)
	}
	return r == 1, nil
}

func (rb *redisBackend) ping(ctx context.Context) error {
	if err := rb.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping %s: %w", rb.rdb.Options().Addr, err)
	}
	return nil
}

func (rb *redisBackend) close() error { return rb.rdb.Close() }
