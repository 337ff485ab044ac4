plan "cache-read-heavy" {
  description = "L1/L2 cache under a Zipf read-heavy mix"
  tags        = ["cache", "smoke"]
}

variable "rate" {
  type    = number
  default = 5000
}

target "cache" "catalog" {
  capacity = 1000
  tier "l1" {
    capacity = 10000
    ttl      = "30s"
  }
  tier "l2" {
    capacity = 200000
    ttl      = "5m"
  }
  loader {
    latency = "1ms"
  }
}

workload "browse" {
  target = target.cache.catalog
  op "get" { weight = 90 }
  op "set" { weight = 10 }
  op "allow_n" {
    weight = 1
    n      = 5
  }
  keys {
    count        = 100000
    distribution = "zipf"
    s            = 1.2
  }
  value_size = 512
}

scenario "steady" {
  workload          = workload.browse
  executor          = "ramping-arrival-rate"
  pre_allocated_vus = 50
  stage {
    duration = "5s"
    target   = var.rate
  }
  stage {
    duration = "20s"
    target   = var.rate
  }

  event {
    at     = "10s"
    target = target.cache.catalog
    action = "set_policy"
    rate   = 100
  }

  assert {
    condition     = latency.p99 < duration("5ms")
    error_message = "p99 read latency above 5ms"
  }
  assert {
    condition     = target.hit_ratio >= 0.95 && error_rate < 0.001
    abort_on_fail = true
    abort_grace   = "10s"
  }
  assert {
    condition = op.get.latency.p99 < 2 * op["set"].latency.p50 || service_time.max < 100
  }
}
