# Two sleep backends; every assertion compares them across scenarios.
variable "fast" {
  default = "1ms"
}

variable "slow" {
  default = "2ms"
}

target "sleep" "fast" {
  latency = var.fast
}

target "sleep" "slow" {
  latency = var.slow
}

workload "fast" {
  target = target.sleep.fast
  op "get" {
    weight = 1
  }
}

workload "slow" {
  target = target.sleep.slow
  op "get" {
    weight = 1
  }
}

scenario "fast" {
  workload          = workload.fast
  executor          = "constant-arrival-rate"
  rate              = 100
  pre_allocated_vus = 10
  duration          = "2s"
  allow_omitted     = true

  assert {
    condition = latency.p50 < scenario.slow.latency.p50
  }
}

scenario "slow" {
  workload          = workload.slow
  executor          = "constant-arrival-rate"
  rate              = 100
  pre_allocated_vus = 10
  duration          = "2s"
  allow_omitted     = true
}

assert {
  condition     = scenario.fast.latency.p50 < scenario.slow.latency.p50
  error_message = "fast is not faster than slow"
}
