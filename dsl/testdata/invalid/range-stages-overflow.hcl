# Stages whose total is longer than a duration can hold.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "ramping-vus"
  stage {
    duration = "2000000h"
    target   = 1
  }
  stage {
    duration = "2000000h"
    target   = 1
  }
  stage {
    duration = "2000000h"
    target   = 1
  }
}
