plan "cache-tuning" {
  description = "How the hit ratio of a Zipf read mix depends on the L1 size; compare sizes with --var l1_capacity=N"
  tags        = ["example", "cache"]
}

# Try: perfplan run examples/cache-tuning.hcl --var l1_capacity=1000
#      perfplan run examples/cache-tuning.hcl --var l1_capacity=50000
variable "l1_capacity" {
  type        = number
  default     = 5000
  description = "entries in the L1 (otter) tier"
}

variable "loader_latency" {
  type    = string
  default = "2ms"
}

# L1 only, in front of a slow loader: every miss pays loader_latency.
target "cache" "catalog" {
  tier "l1" {
    capacity = var.l1_capacity
    ttl      = "10m"
  }
  loader {
    latency = var.loader_latency
  }
}

workload "browse" {
  target = target.cache.catalog
  op "get_or_load" { weight = 1 }
  keys {
    count        = 100000
    distribution = "zipf"
    s            = 1.1
  }
}

scenario "browse" {
  workload          = workload.browse
  executor          = "constant-arrival-rate"
  rate              = 2000
  duration          = "20s"
  pre_allocated_vus = 20
  max_vus           = 400

  # The first seconds fill the cache; the hit ratio is over the whole run.
  assert {
    condition     = target.hit_ratio > 0.5
    error_message = "L1 too small for this key distribution"
  }
  assert {
    condition = dropped == 0 && errors == 0
  }
}
