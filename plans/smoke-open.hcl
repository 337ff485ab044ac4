plan "smoke-open" {
  description = "Open-model executors (an arrival rate) on the calibration targets"
  tags        = ["smoke", "open"]
}

target "noop" "fast" {}

target "sleep" "backend" {
  latency = "1ms"
}

workload "overhead" {
  target = target.noop.fast
  op "get" { weight = 1 }
  keys {
    count        = 1000
    distribution = "sequential"
  }
}

workload "backend" {
  target = target.sleep.backend
  op "get" { weight = 9 }
  op "set" { weight = 1 }
  keys {
    count        = 5000
    distribution = "hotspot"
    hot_fraction = 0.1
    hot_rate     = 0.9
  }
  value_size = 256
}

scenario "constant-arrival-rate" {
  workload          = workload.backend
  executor          = "constant-arrival-rate"
  rate              = 2000
  duration          = "10s"
  pre_allocated_vus = 20
  max_vus           = 200

  assert {
    condition     = dropped == 0
    error_message = "200 workers are plenty for 2000/s at 1ms"
  }
  assert {
    condition     = throughput > 1800
    error_message = "the open model should hold its 2000/s arrival rate"
  }
  assert {
    condition = latency.p99 < duration("100ms")
  }
}

scenario "ramping-arrival-rate" {
  workload          = workload.overhead
  executor          = "ramping-arrival-rate"
  start_rate        = 1000
  pre_allocated_vus = 4
  max_vus           = 50

  stage {
    duration = "3s"
    target   = 5000
  }
  stage {
    duration = "4s"
    target   = 5000
  }
  stage {
    duration = "3s"
    target   = 0
  }

  assert {
    condition = dropped == 0 && errors == 0
  }
  assert {
    condition     = service_time.p99 <= latency.p99
    error_message = "latency counts from the intended start, so it is never below the service time"
  }
}
