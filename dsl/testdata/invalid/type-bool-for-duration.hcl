# A bool where a duration belongs.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = true
}
