target "noop" "main" {}

workload "w" {
  target = target.noop.mian
  op "get" {}
}

workload "v" {
  target = target.noop
  op "get" {}
}

scenario "s" {
  workload = workload.x
  executor = "constant-vus"
  duration = "1s"
}
