# Resource and soak metrics in assertions, and the leak threshold.

target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "op" {}
}

scenario "soak" {
  workload                     = workload.w
  executor                     = "constant-vus"
  duration                     = "2s"
  leak_threshold_bytes_per_min = 4096

  assert {
    condition = cpu.percent < 400 && cpu.user_seconds >= 0 && cpu.system_seconds >= 0
  }
  assert {
    condition = memory.rss_peak < 1e12 && heap.in_use_peak >= heap.in_use_end && heap.slope < 1e9
  }
  assert {
    condition = gc.count >= 0 && gc.pause_p99 <= gc.pause_max && goroutines.max < 1e6
  }
  assert {
    condition = allocs_per_op < 1 && heap.leak == 0 && soak.throughput_cv < 0.5 && soak.p99_drift < 1
  }
  assert {
    condition = heap.in_use_peak < baseline.heap.in_use_peak * 1.5
  }
}

scenario "default" {
  workload = workload.w
  executor = "constant-vus"
  duration = "1s"
}
