plan "p" {
  description = "targets and workloads, but nothing to run"
}

target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}
