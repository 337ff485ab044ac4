# Variable defaults that do not match their type, and a misspelled type.
variable "rates" {
  type    = list(number)
  default = ["fast", "slow"]
}

variable "name" {
  type    = strin
  default = "x"
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
