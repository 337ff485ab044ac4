plan "load" {
  description = "Load: ramp a read-heavy cache up to its expected peak, hold it, ramp down; latency, errors and availability must hold throughout"
  tags        = ["cache", "load"]
}

# A load test (the seed's "load" mode): the expected production peak,
# reached gradually, held, and released. As written it ramps for 10s, holds
# 3000 ops/s for 40s and ramps down for 10s; under --quick (CI) it takes 6s.
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

scenario "ramp-hold-release" {
  workload          = workload.browse
  executor          = "ramping-arrival-rate"
  start_rate        = 100
  pre_allocated_vus = 4
  max_vus           = 64

  stage {
    duration = "10s"
    target   = 3000
  }
  stage {
    duration = "40s"
    target   = 3000
  }
  stage {
    duration = "10s"
    target   = 0
  }

  assert {
    condition     = dropped == 0 && error_rate == 0
    error_message = "the load was not served: iterations dropped or operations failed"
  }
  assert {
    condition     = availability >= 0.999 && availability_windows >= 0.99
    error_message = "availability below 99.9%, or more than 1% of seconds over the 1% error budget"
  }
  # The target's own time under load. latency.* (from the intended start)
  # adds the runner's schedule lag, which on a shared 2-core CI machine
  # reaches hundreds of milliseconds when neighbours compile; the table
  # shows it, and plans/cache.hcl gates it at a steady rate.
  assert {
    condition     = service_time.p99 < duration("10ms") && op.get.service_time.p95 < duration("2ms")
    error_message = "the cache's service time under load above p99 10ms (or get p95 2ms)"
  }
}
