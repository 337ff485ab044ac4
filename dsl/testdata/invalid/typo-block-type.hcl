# Misspelled block types.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenaro "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
}

worklaod "v" {}
