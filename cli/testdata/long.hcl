plan "long" {}

target "noop" "fast" {}

workload "w" {
  target = target.noop.fast
  op "get" { weight = 1 }
  keys { count = 10 }
}

scenario "forever" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 1
  duration = "1m"

  assert {
    condition = errors == 0
  }
}
