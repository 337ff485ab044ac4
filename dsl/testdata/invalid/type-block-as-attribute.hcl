# Blocks written as attributes.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op = "get"
}

scenario "s" {
  workload = workload.w
  executor = "ramping-vus"
  stage = {
    duration = "5s"
    target   = 10
  }
}
