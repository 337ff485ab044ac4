plan "sweep" {}

locals {
  sizes = { small = 100, large = 10000 }
}

target "cache" "c" {
  for_each = local.sizes
  capacity = each.value
  tier "l1" {
    capacity = each.value
  }
}

workload "w" {
  for_each = target.cache.c
  target   = each.value
  dynamic "op" {
    for_each = { get = 3, set = 1 }
    labels   = [op.key]
    content {
      weight = op.value
    }
  }
}

scenario "ramp" {
  for_each          = workload.w
  workload          = each.value
  executor          = "ramping-arrival-rate"
  pre_allocated_vus = 2
  stage {
    name     = "up"
    duration = "1s"
    target   = 100
  }
  stage {
    name     = "steady"
    duration = "2s"
    target   = 100
  }

  assert {
    condition     = stage.steady.latency.p99 < 5 && stage.up.op.get.ops >= 0
    error_message = "steady p99 with ${each.key}"
  }
}

scenario "pick" {
  workload = workload.w["small"]
  executor = "constant-vus"
  duration = "1s"
}
