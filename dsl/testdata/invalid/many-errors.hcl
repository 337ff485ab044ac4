plan "many" {
  descripton = "typo"
}

variable "vus" {
  type    = number
  default = "lots"
}

locals {
  a = local.b
  b = local.a
}

target "cache" "c" {
  capacity = 0
  policy   = "lfru"
  ratio    = 2
  tier "l1" {
    capacity = 100
  }
  tier "l2" {
    capacity = 10
  }
}

workload "w" {
  target = target.cache.c
  op "get" {}
  keys {
    distribution = "zipf"
    s            = 0.5
    hot_rate     = 0.9
  }
}

workload "w" {
  target = target.cache.c
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "constant-vu"
  duration = 10
  event {
    at     = "1s"
    target = target.cache.c
    action = "set_polcy"
  }
  event {
    at     = "2s"
    target = target.cache.c
    action = "set_policy"
    rte    = 5
  }
}

scenario "t" {
  workload   = workload.w
  executor   = "shared-iterations"
  vus        = 10
  iterations = 5
  assert {
    condition = ops > 0 && foo.bar
  }
  assert {
    condition = latency.p99
  }
}

plan "again" {}

target "noop" "dup" {}
target "noop" "dup" {}

scenario "t" {
  workload = workload.w
  executor = "per-vu-iterations"
}
