# Rates and worker pools out of range.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor          = "constant-arrival-rate"
  rate              = 0
  duration          = "10s"
  pre_allocated_vus = -1
  max_vus           = 0
}
