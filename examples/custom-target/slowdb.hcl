plan "slowdb-orders" {
  description = "A custom target kind: slowdb, registered beside the built-in kinds by this directory's main.go"
  tags        = ["example", "custom-target"]
}

variable "p99_budget" {
  type        = string
  default     = "25ms"
  description = "the p99 latency the orders table must keep"
}

# An orders table behind a pool of 4 connections: a query holds one for
# 1ms ± 30%, and one in a thousand fails.
target "slowdb" "orders" {
  rows       = 5000
  latency    = "1ms"
  jitter     = 0.3
  error_rate = 0.001
  pool_size  = 4
}

workload "lookups" {
  target = target.slowdb.orders
  op "get" { weight = 80 }
  op "put" { weight = 15 }
  op "delete" { weight = 5 }
  keys {
    count        = 10000
    distribution = "uniform"
  }
  value_size = 256
}

# Eight workers share four connections, so half of them queue for one:
# latency includes that wait, and target.pool_waits counts it.
scenario "steady" {
  workload = workload.lookups
  executor = "constant-vus"
  vus      = 8
  duration = "10s"

  assert {
    condition     = latency.p99 < duration(var.p99_budget)
    error_message = "orders p99 above its budget"
  }
  assert {
    condition     = error_rate < 0.01
    error_message = "more queries fail than the injected 0.1%"
  }
  assert {
    condition     = target.hit_ratio > 0.3 && target.pool_waits > 0
    error_message = "half the keys are stored in Open, and 8 workers queue for 4 connections"
  }
}
