plan "resources" {
  description = "Resources: the process's CPU, memory, allocations, GC and disk I/O under a constant cache load"
  tags        = ["cache", "resources"]
}

# The seed's "resources" benchmark: what serving a steady load costs the
# process (perfplan and the in-process cache together). 30s as written, 3s
# under --quick (CI). The limits are loose on purpose: they catch a runaway
# (a CPU spin, a leak, per-operation garbage, a stray disk writer), not a
# few percent; compare runs (perfplan compare, perfplan history --metric
# cpu.percent) for the small changes.
target "cache" "catalog" {
  prefill            = 10000
  prefill_value_size = 512
  tier "l1" {
    capacity = 20000
    ttl      = "5m"
  }
}

workload "browse" {
  target = target.cache.catalog
  op "get" { weight = 90 }
  op "set" { weight = 10 }
  keys {
    count        = 10000
    distribution = "zipf"
  }
  value_size = 512
}

scenario "steady" {
  workload          = workload.browse
  executor          = "constant-arrival-rate"
  rate              = 2000
  duration          = "30s"
  pre_allocated_vus = 4
  max_vus           = 64

  assert {
    condition     = cpu.percent < 100
    error_message = "CPU above one core for 2000 cache operations per second"
  }
  assert {
    condition     = memory.rss_peak < 256 * 1024 * 1024 && heap.in_use_peak < 128 * 1024 * 1024
    error_message = "memory above 256 MiB resident or 128 MiB of heap"
  }
  assert {
    condition     = allocs_per_op < 20 && gc.pause_p99 < duration("10ms") && goroutines.max < 1000
    error_message = "allocations per operation, GC pauses or goroutines out of bounds"
  }
  assert {
    condition     = disk.write_bytes_per_sec < 10 * 1024 * 1024
    error_message = "the process wrote more than 10 MiB/s to disk while serving an in-memory cache"
  }
  assert {
    condition = dropped == 0 && errors == 0
  }
}
