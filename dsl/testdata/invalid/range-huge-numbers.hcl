# Numbers too large for their type, and an infinite one.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor   = "shared-iterations"
  vus        = 1e400
  iterations = 99999999999999999999
}

scenario "t" {
  workload = workload.w
  executor          = "constant-arrival-rate"
  rate              = 1.5e308 * 10
  duration          = "10s"
  pre_allocated_vus = 1
}
