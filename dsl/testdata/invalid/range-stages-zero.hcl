# Stages that last no time at all.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "ramping-vus"
  stage {
    duration = "0s"
    target   = 1
  }
}
