# Cross-scenario references, a duet and plan-level assertions.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {
    weight = 1
  }
}

scenario "old" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 1
  duration = "1s"

  assert {
    condition = latency.p99 < scenario.new.latency.p99 * 1.05 || scenario["new"].op.get.error_rate > 0
  }
}

scenario "new" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 1
  duration = "1s"
}

duet "pair" {
  scenarios = [scenario.old, scenario.new]
}

assert {
  condition     = duet.pair.latency.p99.change < 0.05 && duet.pair.new.throughput.low > -0.1
  error_message = "new is slower than old"
}
