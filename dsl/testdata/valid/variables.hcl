plan "variables" {
  description = "rate ${var.rate}, ${upper(var.name)}"
  tags        = concat(["a"], var.tags)
}

variable "rate" {
  type    = number
  default = 100
  validation {
    condition     = var.rate > 0
    error_message = "rate must be positive"
  }
}

variable "name" {
  type    = string
  default = "svc"
}

variable "tags" {
  type    = list(string)
  default = []
}

variable "shape" {
  type = object({ vus = number, seconds = optional(number, 3) })
  default = { vus = 2 }
}

locals {
  total  = local.double + 1
  double = var.rate * 2
  limit  = max(1, min(10, abs(-4)))
}

target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" { weight = local.limit }
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  vus      = var.shape.vus
  duration = "${var.shape.seconds}s"
  assert {
    condition = throughput >= var.rate && latency.p99 < duration("250us") * local.limit
  }
}
