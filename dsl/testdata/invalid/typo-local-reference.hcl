# A reference to a local value that is not declared.
locals {
  rate = 100
}

target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor          = "constant-arrival-rate"
  rate              = local.rat
  duration          = "10s"
  pre_allocated_vus = 2
}
