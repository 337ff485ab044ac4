# Assertions whose values have the wrong type.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
  assert {
    condition = "yes"
  }
  assert {
    condition     = ops > 0
    abort_on_fail = "sometimes"
  }
}
