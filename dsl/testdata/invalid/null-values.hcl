target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" { weight = null }
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = null
  vus      = null
}

scenario "r" {
  workload          = workload.w
  executor          = "ramping-arrival-rate"
  pre_allocated_vus = 1
  stage {
    duration = null
    target   = 1
  }
  assert {
    condition = null
  }
}
