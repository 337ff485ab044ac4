# A block comment without its closing */.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

/* This comment never ends.

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
}
