# Fractions where whole numbers belong, and a negative stage target.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor   = "shared-iterations"
  vus        = 2.5
  iterations = 10.25
}

scenario "t" {
  workload = workload.w
  executor = "ramping-vus"
  stage {
    duration = "5s"
    target   = 1.5
  }
  stage {
    duration = "5s"
    target   = -3
  }
}
