plan "breakpoint" {}

# 2 slots of 20ms: the target serves at most 100 calls/s. The search starts
# below that and breaks just above it; the recovery rate is over capacity
# too, so the run never recovers and the recovery assertion fails.
target "sleep" "pool" {
  latency     = "20ms"
  concurrency = 2
}

workload "w" {
  target = target.sleep.pool
  op "op" {}
}

scenario "search" {
  workload          = workload.w
  executor          = "breakpoint"
  start_rate        = 60
  step_rate         = 30
  step_duration     = "500ms"
  max_rate          = 1000
  interval          = "250ms"
  stop_grace        = "500ms"
  recovery_rate     = 150
  recovery_timeout  = "1s"
  pre_allocated_vus = 4
  max_vus           = 500
  stop_when         = latency.p99 > duration("100ms")

  assert {
    condition = breaking_point > 0 && breaking_point <= 120
  }
  assert {
    condition = recovery_time < duration("10s")
  }
}
