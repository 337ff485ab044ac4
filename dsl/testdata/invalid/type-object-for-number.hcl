# An object and a list where numbers belong.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {
    weight = { a = 1 }
  }
  value_size = [512]
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
}
