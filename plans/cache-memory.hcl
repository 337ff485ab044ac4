plan "cache-memory" {
  description = "Memory efficiency: 1,000 items of 1KiB stored in the cache and read back, with the heap growth reported"
  tags        = ["cache", "gate", "memory"]
}

# The only target in this plan, because heap_growth_bytes is the growth of
# the whole process's heap since the target opened: other targets in the same
# plan would count too. The runner's own metrics (a few MiB of histograms)
# are included, so the bound is loose.
target "cache" "memory" {
  tier "l1" {
    capacity = 5000
  }
}

workload "store" {
  target = target.cache.memory
  op "set" { weight = 1 }
  keys {
    count        = 1000
    distribution = "sequential"
  }
  value_size = 1024
}

workload "read-back" {
  target = target.cache.memory
  op "get" { weight = 1 }
  keys {
    count        = 1000
    distribution = "sequential"
  }
}

# One worker walks keys 0..999 in order: each is stored exactly once.
scenario "store" {
  workload   = workload.store
  executor   = "shared-iterations"
  vus        = 1
  iterations = 1000

  assert {
    condition = ops == 1000 && errors == 0 && target.entries == 1000
  }
}

scenario "read-back" {
  workload   = workload.read-back
  executor   = "shared-iterations"
  vus        = 1
  iterations = 1000
  start_time = "1s"

  assert {
    condition     = target.hits == 1000 && target.misses == 0 && target.corrupt == 0
    error_message = "every stored item must read back intact"
  }
  assert {
    condition     = target.heap_growth_bytes < 16 * 1024 * 1024
    error_message = "1,000 items of 1KiB should not grow the heap by 16MiB"
  }
}
