# Variable defaults cannot refer to anything, and a rule must test its variable.
variable "a" {
  default = 1
}

variable "b" {
  default = var.a * 2
}

variable "c" {
  type    = number
  default = 1
  validation {
    condition     = 1 > 0
    error_message = "always true"
  }
}

target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
}
