# A function call without its closing parenthesis.
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
    condition = latency.p99 < duration("5ms"
  }
}
