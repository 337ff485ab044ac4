plan "sensitive" {
  description = "a token that no output shows"
}

variable "base_url" {
  type = string
}

variable "token" {
  type      = string
  sensitive = true
}

locals {
  auth = "Bearer ${var.token}"
}

target "http" "api" {
  base_url = var.base_url
  headers  = { "Authorization" = local.auth, "X-Api-Key" = "plainKeyValue42" }
}

workload "w" {
  target = target.http.api
  op "get" { path = "/" }
  keys { count = 10 }
}

scenario "s" {
  workload   = workload.w
  executor   = "per-vu-iterations"
  vus        = 1
  iterations = 20

  assert {
    condition     = error_rate == 0
    error_message = "the server refused ${upper(var.token)}"
  }
}
