# A template interpolation without its closing brace.
variable "name" {
  default = "x"
}

plan "p" {
  description = "run ${var.name"
}

target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}
