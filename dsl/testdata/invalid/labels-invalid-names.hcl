# Names that references cannot spell.
target "noop" "my target" {}

workload "1w" {
  target = target.noop.n
  op "get" {}
}

variable "has space" {
  default = 1
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
}
