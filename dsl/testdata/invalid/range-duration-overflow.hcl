# Durations too long for the clock, negative, and in a form Go does not read.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor      = "constant-vus"
  duration      = "99999999h"
  graceful_stop = "-5s"
  start_time    = "1e3s"
}
