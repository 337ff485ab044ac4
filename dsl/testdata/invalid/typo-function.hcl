# A misspelled function name.
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
    condition = latency.p99 < durtion("5ms")
  }
}
