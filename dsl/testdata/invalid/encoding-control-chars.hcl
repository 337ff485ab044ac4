plan "p" {
  description = "bell  and escape [31mred"
}

target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duraton  = "10s"
}
