target "noop" "s" {}

workload "w" {
  target = target.noop.s
  op "op" {}
}

# Every mistake in a breakpoint scenario is reported in one pass.
scenario "search" {
  workload          = workload.w
  executor          = "breakpoint"
  start_rate        = 500
  step_rate         = -10
  step_duration     = "1s"
  max_rate          = 100
  interval          = "2s"
  ramp              = "yes please"
  pre_allocated_vus = 1
  stop_when         = latency.p99 > duration("10ms") || breaking_point < 10
}

scenario "missing" {
  workload          = workload.w
  executor          = "breakpoint"
  pre_allocated_vus = 1
  stop_when         = latency.p99
}

# The search's results exist only for the breakpoint executor, and
# stop_when only for it.
scenario "closed" {
  workload  = workload.w
  executor  = "constant-vus"
  duration  = "1s"
  stop_when = error_rate > 0.1

  assert {
    condition = breaking_point > 10
  }
}
