target "cache" "c" {
  capacity = 10
}

workload "w" {
  target = target.cache.c
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
  assert {
    condition = latency.p98 < 5
  }
  assert {
    condition = op.gte.latency.p99 < 5 && target.hit_rate > 0.9
  }
  assert {
    condition = service_time.p99 < 5
  }
}

scenario "t" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
  assert {
    condition = latency.p99 * 2
  }
  assert {
    condition = lower(latency.p99) == "x" || nosuch(1)
  }
}
