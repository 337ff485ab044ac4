# Misspelled metric names in assertions.
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
    condition = latency.p98 < duration("5ms")
  }
  assert {
    condition = op.gett.latency.p99 < duration("5ms")
  }
  assert {
    condition = eror_rate < 0.01
  }
}
