# References with a misspelled root (targets., workloads.).
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

workload "v" {
  target = targets.noop.n
  op "get" {}
}

scenario "s" {
  workload = workloads.w
  executor = "constant-vus"
  duration = "10s"
}
