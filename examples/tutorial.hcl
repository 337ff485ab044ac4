plan "tutorial" {
  description = "A first plan: a backend with a 2ms median latency under a steady arrival rate"
  tags        = ["example"]
}

variable "rate" {
  type        = number
  default     = 500
  description = "arrivals per second"

  validation {
    condition     = var.rate > 0 && var.rate <= 20000
    error_message = "rate must be between 1 and 20000 per second"
  }
}

locals {
  # Half the run warms up, half is measured at the full rate.
  warmup = "3s"
  steady = "7s"
}

# A calibration backend: lognormal latency with a 2ms median and a 6ms p99,
# failing one call in a thousand.
target "sleep" "backend" {
  distribution = "lognormal"
  median       = "2ms"
  p99          = "6ms"
  error_rate   = 0.001
  seed         = 42
}

workload "browse" {
  target = target.sleep.backend
  op "get" { weight = 90 }
  op "set" { weight = 10 }
  keys {
    count        = 10000
    distribution = "zipf"
  }
  value_size = 512
}

scenario "steady" {
  workload          = workload.browse
  executor          = "ramping-arrival-rate"
  start_rate        = 0
  pre_allocated_vus = 10
  max_vus           = 100

  stage {
    duration = local.warmup
    target   = var.rate
  }
  stage {
    duration = local.steady
    target   = var.rate
  }

  assert {
    condition     = latency.p99 < duration("20ms")
    error_message = "p99 above 20ms"
  }
  assert {
    condition     = op.get.latency.p50 < duration("5ms")
    error_message = "median read above 5ms"
  }
  assert {
    condition = error_rate < 0.01 && dropped == 0
  }
}
