# No plan block: the plan is named after the file, "executors".

target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "op" {}
}

scenario "cv" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 4
  duration = "2s"
}

scenario "rv" {
  workload           = workload.w
  executor           = "ramping-vus"
  start_vus          = 0
  graceful_ramp_down = "1s"
  stage {
    duration = "1s"
    target   = 10
  }
  stage {
    duration = "1s"
    target   = 0
  }
}

scenario "car" {
  workload          = workload.w
  executor          = "constant-arrival-rate"
  rate              = 1000
  time_unit         = "100ms"
  duration          = "3s"
  pre_allocated_vus = 2
  start_time        = "1s"
  graceful_stop     = "5s"
}

scenario "rar" {
  workload          = workload.w
  executor          = "ramping-arrival-rate"
  start_rate        = 10
  pre_allocated_vus = 1
  max_vus           = 8
  stage {
    duration = "250ms"
    target   = 100
  }
}

scenario "pvi" {
  workload   = workload.w
  executor   = "per-vu-iterations"
  vus        = 3
  iterations = 100
}

scenario "si" {
  workload     = workload.w
  executor     = "shared-iterations"
  vus          = 2
  iterations   = 1000
  max_duration = "30s"
  assert {
    condition = ops == 1000 && errors == 0 && vus_max <= 2 && elapsed < duration("30s")
  }
}
