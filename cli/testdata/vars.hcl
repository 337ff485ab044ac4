plan "vars" {}

variable "vus" {
  type    = number
  default = 1
}

target "noop" "fast" {}

workload "w" {
  target = target.noop.fast
  op "get" { weight = 1 }
  keys { count = 10 }
}

scenario "s" {
  workload   = workload.w
  executor   = "per-vu-iterations"
  vus        = var.vus
  iterations = 100

  assert {
    condition = ops == var.vus * 100
  }
}
