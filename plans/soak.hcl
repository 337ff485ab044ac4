plan "soak" {
  description = "Soak: a cache at steady state under a constant load; throughput, latency drift and the live heap must stay level"
  tags        = ["cache", "soak"]
}

# A soak is a long constant load. The full soak is 5 minutes, as written;
# under --quick (CI) it is 30s. For an hour:
#   perfplan run --duration-scale 12 plans/soak.hcl
#
# The cache is prefilled with every key, and sets replace 4 KiB values with
# values of the same size, so the live heap stays level while the sets make
# about 4 MiB/s of garbage: the GC runs every few seconds, which gives the
# leak regression (one point per GC cycle) enough points for a verdict even
# in the 30s CI run.
#
# A leak of one value per set would grow the heap by about 240 MiB/min. The
# threshold, 8 MiB/min, sits far below that and above the warm-up growth of
# the cache's and the runner's own structures, which shows as a slope of
# about 1 MiB/min (95% interval [-0.3, 2.9] MiB/min) in the 30s run and
# levels off in the full one.
target "cache" "steady" {
  prefill            = 2000
  prefill_value_size = 4096
  tier "l1" {
    capacity = 4000
  }
}

workload "mix" {
  target = target.cache.steady
  op "get" { weight = 80 }
  op "set" { weight = 20 }
  keys {
    count        = 2000
    distribution = "uniform"
  }
  value_size = 4096
}

scenario "soak" {
  workload                     = workload.mix
  executor                     = "constant-arrival-rate"
  rate                         = 5000
  duration                     = "5m"
  pre_allocated_vus            = 4
  max_vus                      = 64
  leak_threshold_bytes_per_min = 8388608

  assert {
    condition     = heap.leak == 0
    error_message = "the live heap grows steadily (significantly above 8 MiB/min): a memory leak"
  }
  assert {
    condition     = soak.throughput_cv < 0.1 && dropped == 0 && errors == 0
    error_message = "throughput was not steady: per-interval throughput varied by 10% or more"
  }
  assert {
    condition     = soak.p99_drift < 1
    error_message = "p99 drifted upward by 1ms per minute or more"
  }
  assert {
    condition     = memory.rss_peak < 512 * 1024 * 1024 && gc.pause_p99 < duration("10ms") && goroutines.max < 1000
    error_message = "resources: RSS above 512 MiB, GC pauses p99 above 10ms, or runaway goroutines"
  }
}
