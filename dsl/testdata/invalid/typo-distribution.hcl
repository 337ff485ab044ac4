# A misspelled key distribution.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
  keys {
    count        = 1000
    distribution = "zipff"
  }
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
}
