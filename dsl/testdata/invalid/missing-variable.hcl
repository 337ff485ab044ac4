variable "endpoint" {
  type = string
}

target "noop" "n" {}
