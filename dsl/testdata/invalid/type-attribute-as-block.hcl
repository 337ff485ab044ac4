# Attributes written as blocks.
target "noop" "n" {}

workload "w" {
  target {
    kind = "noop"
  }
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration {
    seconds = 10
  }
}
