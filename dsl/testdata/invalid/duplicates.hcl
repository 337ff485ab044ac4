# Everything declared twice.
variable "rate" {
  default = 1
}
variable "rate" {
  default = 2
}

locals {
  x = 1
}
locals {
  x = 2
}

target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
  op "get" {}
  keys {}
  keys {}
}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
}
