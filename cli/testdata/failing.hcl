plan "failing" {}

target "sleep" "slow" {
  latency = "2ms"
}

workload "w" {
  target = target.sleep.slow
  op "get" { weight = 1 }
  keys { count = 10 }
}

scenario "too-strict" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 1
  duration = "300ms"

  assert {
    condition     = latency.p99 < duration("500us")
    error_message = "p99 above 500us"
  }
}
