plan "report" {
  description = "Every view of the HTML report: an open model with two operations on cache tiers (grouped statistics), a closed model, a breakpoint search that breaks and recovers, assertions that hold and one that fails; light on the CPU, as it runs beside other tests"
}

target "cache" "tiers" {
  prefill            = 2000
  prefill_value_size = 1024
  tier "l1" {
    capacity = 1000
  }
  tier "l2" {
    capacity = 10000
  }
}

# 2 slots of 10ms: at most 200 calls/s.
target "sleep" "pool" {
  latency     = "10ms"
  concurrency = 2
}

workload "mixed" {
  target = target.cache.tiers
  op "get" { weight = 80 }
  op "set" { weight = 20 }
  keys {
    count        = 4000
    distribution = "zipf"
  }
  value_size = 4096
}

workload "slow" {
  target = target.sleep.pool
  op "op" {}
}

target "sleep" "quick" {
  latency = "1ms"
}

workload "quick" {
  target = target.sleep.quick
  op "get" { weight = 3 }
  op "set" { weight = 1 }
}

scenario "rate" {
  workload          = workload.mixed
  executor          = "constant-arrival-rate"
  rate              = 1000
  duration          = "3s"
  pre_allocated_vus = 4
  max_vus           = 50

  assert {
    condition     = latency.p99 < duration("1s") && error_rate < 0.01
    error_message = "p99 under 1s"
  }
  assert {
    condition     = throughput < 1
    error_message = "fails on purpose: the report shows a failed assertion"
  }
}

scenario "closed" {
  workload = workload.quick
  executor = "constant-vus"
  vus      = 2
  duration = "3s"

  assert {
    condition = ops > 0 && errors == 0
  }
}

scenario "search" {
  workload          = workload.slow
  executor          = "breakpoint"
  start_rate        = 50
  step_rate         = 50
  step_duration     = "500ms"
  max_rate          = 1000
  interval          = "250ms"
  stop_grace        = "250ms"
  recovery_rate     = 20
  recovery_timeout  = "2s"
  pre_allocated_vus = 4
  max_vus           = 500
  stop_when         = latency.p99 > duration("300ms")

  assert {
    condition = breaking_point > 0
  }
}
