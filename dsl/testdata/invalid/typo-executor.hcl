# A misspelled executor name.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor    = "ramping-arival-rate"
  start_rate  = 10
  pre_allocated_vus = 2
  stage {
    duration = "5s"
    target   = 20
  }
}
