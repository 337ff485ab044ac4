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

duet "load" {
  scenarios = [scenario.old, scenario.new]
}

duet "ghost" {
  scenarios = [scenario.old, scenario.other, scenario.ghost]
}

duet "same" {
  scenarios = [scenario.old, scenario.other]
}

duet "one" {
  scenarios = [scenario.old, scenario.old]
}

assert {
  condition = duet.smae.latency.p99.change < 0.05
}

assert {
  condition = duet.same.latency.p99.chnage < 0.05
}

assert {
  condition = duet.same.latency.p99.change < 0.05 && scenario.old.throughput > 0
}
