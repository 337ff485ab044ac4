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
    condition = latency.p99 < scenario.nwe.latency.p99
  }
  assert {
    condition = latency.p99 < scenario.new.latency.p9
  }
  assert {
    condition     = latency.p99 < scenario.new.latency.p99
    abort_on_fail = true
  }
  assert {
    condition = scenario.new < 1
  }
}

scenario "new" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 2
  duration = "1s"
}

scenario "other" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 1
  duration = "1s"
}

assert {
  condition = latency.p99 < 5
}
