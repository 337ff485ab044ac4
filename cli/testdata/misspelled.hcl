plan "misspelled" {}

target "noop" "fast" {}

workload "w" {
  target = target.noop.fast
  op "get" { weight = 1 }
  keys { count = 10 }
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 1
  duraton  = "1s"
}
