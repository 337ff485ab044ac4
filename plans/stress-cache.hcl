plan "stress-cache" {
  description = "Breaking point of the read-through cache in front of an origin with 16 connections"
  tags        = ["cache", "stress"]
}

# An L1 of 5,000 entries in front of an origin (the loader) whose calls take
# 2ms over a pool of 16 connections: the origin serves at most about 8,000
# loads/s. Reads are get_or_load over 100,000 zipf-distributed keys, so
# about 80% hit L1 and the cache's capacity is roughly 8,000 / 0.2 = 40,000
# reads/s. Past it, misses queue for a connection and the p99 climbs.
target "cache" "catalog" {
  prefill = 2000
  tier "l1" {
    capacity = 5000
  }
  loader {
    latency     = "2ms"
    concurrency = 16
  }
}

workload "reads" {
  target = target.cache.catalog
  op "get_or_load" {}
  keys {
    count        = 100000
    distribution = "zipf"
  }
}

# 5,000 reads/s more every 5s (0.5s under --quick); the search stops once
# p99 has been above 20ms for 2s, then drops back to 5,000/s and times the
# recovery.
scenario "search" {
  workload          = workload.reads
  executor          = "breakpoint"
  start_rate        = 5000
  step_rate         = 5000
  step_duration     = "5s"
  max_rate          = 500000
  pre_allocated_vus = 8
  max_vus           = 1024
  stop_when         = latency.p99 > duration("20ms") || error_rate > 0.001
  stop_grace        = "2s"
  interval          = "1s"
  recovery_rate     = 5000
  recovery_timeout  = "20s"

  assert {
    condition     = breaking_point >= 10000
    error_message = "the cache could not serve 10,000 reads/s with p99 under 20ms"
  }
  assert {
    condition     = recovery_time < duration("5s")
    error_message = "after the overload, p99 took 5s or more to come back under 20ms"
  }
  assert {
    condition     = stability >= 0.9
    error_message = "p99 passed 20ms in more than 10% of the intervals below the breaking point"
  }
}
