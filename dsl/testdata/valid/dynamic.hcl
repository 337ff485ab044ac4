plan "dynamic" {}

locals {
  steps = [100, 200, 400]
  mix   = { get = 80, set = 20 }
  step  = format("%ds", local.seconds)
  seconds = 2
}

target "noop" "n" {}

workload "mix" {
  target = target.noop.n
  dynamic "op" {
    for_each = local.mix
    labels   = [op.key]
    content {
      weight = op.value
    }
  }
}

scenario "ramp" {
  workload          = workload.mix
  executor          = "ramping-arrival-rate"
  pre_allocated_vus = 4
  dynamic "stage" {
    for_each = local.steps
    content {
      duration = local.step
      target   = stage.value
    }
  }
  dynamic "assert" {
    for_each = ["get", "set"]
    iterator = o
    content {
      condition     = op[o.value].error_rate < 0.01
      error_message = "errors on ${o.value}"
    }
  }
}
