# Worker and iteration counts out of range.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor   = "per-vu-iterations"
  vus        = -1
  iterations = 0
}

scenario "t" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 1e9
  duration = "10s"
}
