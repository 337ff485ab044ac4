plan "smoke-closed" {
  description = "Closed-model executors (a fixed number of workers) on the calibration targets"
  tags        = ["smoke", "closed"]
}

# noop returns at once: these scenarios measure the runner's own overhead.
target "noop" "fast" {}

# sleep stands in for a backend with a known latency distribution.
target "sleep" "backend" {
  distribution = "normal"
  mean         = "2ms"
  stddev       = "200us"
  seed         = 7
}

workload "overhead" {
  target = target.noop.fast
  op "get" { weight = 80 }
  op "set" { weight = 20 }
  keys {
    count        = 10000
    distribution = "zipf"
  }
  value_size = 64
}

workload "backend" {
  target = target.sleep.backend
  op "op" { weight = 1 }
  keys {
    count        = 1000
    distribution = "uniform"
  }
}

scenario "constant-vus" {
  workload = workload.overhead
  executor = "constant-vus"
  vus      = 2
  duration = "5s"

  assert {
    condition     = error_rate == 0
    error_message = "noop never fails"
  }
  assert {
    condition     = throughput > 100000
    error_message = "the runner should drive noop far beyond 100k ops/s"
  }
  assert {
    condition = op.get.ops > op.set.ops
  }
}

# Scenarios of a plan run concurrently from their start_time. The noop
# scenario above saturates both cores, which would delay the sleep target's
# timers, so the latency-sensitive scenarios start after it.
scenario "ramping-vus" {
  workload   = workload.backend
  executor   = "ramping-vus"
  start_vus  = 1
  start_time = "6s"
  stage {
    duration = "2s"
    target   = 8
  }
  stage {
    duration = "2s"
    target   = 8
  }
  stage {
    duration = "1s"
    target   = 0
  }

  assert {
    condition     = latency.p50 > duration("1.5ms") && latency.p50 < duration("20ms")
    error_message = "median should sit near the sleep target's 2ms mean"
  }
  assert {
    condition = vus_max == 8
  }
}

scenario "per-vu-iterations" {
  workload   = workload.overhead
  executor   = "per-vu-iterations"
  vus        = 4
  iterations = 5000
  start_time = "12s"

  assert {
    condition     = ops == 4 * 5000
    error_message = "every worker runs exactly its iterations"
  }
}

scenario "shared-iterations" {
  workload   = workload.backend
  executor   = "shared-iterations"
  vus        = 8
  iterations = 400
  start_time = "12s"

  assert {
    condition     = ops == 400 && errors == 0
    error_message = "the workers share exactly 400 iterations"
  }
}
