# The breakpoint executor: steps with defaults, and a ramp with every
# parameter set.

target "noop" "s" {}

workload "w" {
  target = target.noop.s
  op "op" {}
}

scenario "steps" {
  workload          = workload.w
  executor          = "breakpoint"
  step_rate         = 100
  step_duration     = "10s"
  max_rate          = 1000
  pre_allocated_vus = 10
  stop_when         = latency.p99 > duration("10ms") || error_rate > 0.01

  assert {
    condition = breaking_point > 500 && recovery_time < duration("5s") && stability > 0.9
  }
}

scenario "ramp" {
  workload          = workload.w
  executor          = "breakpoint"
  start_rate        = 50
  step_rate         = 25
  step_duration     = "2s"
  max_rate          = 500
  ramp              = true
  time_unit         = "100ms"
  pre_allocated_vus = 5
  max_vus           = 50
  stop_when         = service_time.p99 > duration("5ms") || dropped > 0
  stop_grace        = "0s"
  interval          = "500ms"
  recovery_rate     = 10
  recovery_timeout  = "1m"
}
