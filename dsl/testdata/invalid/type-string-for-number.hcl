# A string where a number belongs.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  vus      = "ten"
  duration = "10s"
}
