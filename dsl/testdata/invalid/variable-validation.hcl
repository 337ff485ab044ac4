variable "rate" {
  type    = number
  default = -5
  validation {
    condition     = var.rate > 0
    error_message = "The rate must be positive."
  }
}

target "noop" "n" {}
