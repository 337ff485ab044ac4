# A reference to a variable that is not declared.
variable "vus" {
  type    = number
  default = 4
}

target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  vus      = var.vu
  duration = "10s"
}
