target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "open" {
  workload = workload.w
  executor = "constant-arrival-rate"
  duration = "10s"
}

scenario "ramp" {
  workload = workload.w
  executor = "ramping-vus"
}
