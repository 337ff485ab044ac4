plan "stages" {}

# The steady stage's p99 limit, in milliseconds (0 makes the gate fail).
variable "p99_ms" {
  type    = number
  default = 500
}

target "sleep" "backend" {
  latency = "1ms"
}

workload "w" {
  target = target.sleep.backend
  op "get" { weight = 1 }
}

scenario "ramp" {
  workload          = workload.w
  executor          = "ramping-arrival-rate"
  pre_allocated_vus = 4
  max_vus           = 20
  stage {
    name     = "warmup"
    duration = "1s"
    target   = 100
  }
  stage {
    name     = "steady"
    duration = "2s"
    target   = 100
  }

  assert {
    condition     = stage.steady.latency.p99 < var.p99_ms
    error_message = "steady-state p99 at or above the limit"
  }
  assert {
    condition = stage.warmup.ops + stage.steady.ops == ops
  }
}
