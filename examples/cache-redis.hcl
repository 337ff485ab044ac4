plan "cache-redis" {
  description = "Three tiers: otter L1, bigcache L2 and Redis L3, read through to a loader"
  tags        = ["example", "cache", "redis"]
}

# Start a Redis on loopback first, for example:
#   apt-get install -y redis-server && redis-server --port 6379 --save "" --daemonize yes
# then: perfplan run examples/cache-redis.hcl --var redis=127.0.0.1:6379
# Without a Redis server the target fails to start and perfplan exits 4.
#
# The assertions check that Redis served reads for the whole run. To see the
# circuit breaker, freeze Redis midway (kill -STOP $(pidof redis-server), and
# kill -CONT a few seconds later): five timed-out calls open the breaker,
# reads bypass Redis (l3_bypassed) instead of waiting 100ms each, one probe
# a second tests Redis again, and the first that succeeds closes the breaker
# (l3_breaker_closes). The Redis assertions then fail, as they should.
variable "redis" {
  type    = string
  default = "127.0.0.1:6379"
}

target "cache" "catalog" {
  prefill = 20000

  tier "l1" {
    capacity = 200
    ttl      = "30s"
  }
  # Small upper tiers, so that reads fall through to Redis often. (bigcache
  # sizes its memory in whole MiB, so this holds about 2000 entries.)
  tier "l2" {
    capacity = 500
    ttl      = "5m"
  }
  tier "l3" {
    kind    = "redis"
    address = var.redis
    ttl     = "30m"
    timeout = "100ms" # the most time one cache operation spends in Redis
    breaker {
      failures = 5    # consecutive failed calls that open it
      cooldown = "1s" # Redis is bypassed this long, then one call probes it
    }
  }
  loader {
    latency = "5ms"
  }
}

workload "browse" {
  target = target.cache.catalog
  op "get_or_load" { weight = 90 }
  op "set" { weight = 10 }
  keys {
    count        = 50000
    distribution = "zipf"
  }
  value_size = 256
}

scenario "read-through" {
  workload          = workload.browse
  executor          = "constant-arrival-rate"
  rate              = 1000
  duration          = "15s"
  pre_allocated_vus = 20
  max_vus           = 200

  assert {
    condition     = target.redis_errors == 0
    error_message = "Redis errors: is the server up at var.redis?"
  }
  assert {
    condition     = target.l3_breaker_opens == 0 && target.l3_bypassed == 0 && target.l3_breaker_state == 0
    error_message = "The breaker opened: Redis was bypassed for part of the run."
  }
  assert {
    condition     = target.l3_hits > 0 && target.l3_hit_ratio > 0.5
    error_message = "Redis served too few of the reads that missed L1 and L2."
  }
  assert {
    condition = target.l1_hit_ratio > 0 && latency.p99 < duration("50ms")
  }
}
