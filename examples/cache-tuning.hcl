plan "cache-tuning" {
  description = "How the hit ratio of a Zipf read mix depends on the L1 size: a for_each sweep over L1 sizes, one table with the size as a column"
  tags        = ["example", "cache"]
}

# One instance of the target, the workload and the scenario per size; the
# scenarios run one after another. Try other sizes with
#   perfplan run examples/cache-tuning.hcl --var 'l1_capacities={ tiny = 100, huge = 100000 }'
variable "l1_capacities" {
  type        = map(number)
  default     = { small = 1000, large = 50000 }
  description = "entries in the L1 (otter) tier, by name"
}

variable "loader_latency" {
  type    = string
  default = "2ms"
}

# L1 only, in front of a slow loader: every miss pays loader_latency.
target "cache" "catalog" {
  for_each = var.l1_capacities
  tier "l1" {
    capacity = each.value
    ttl      = "10m"
  }
  loader {
    latency = var.loader_latency
  }
}

workload "browse" {
  for_each = target.cache.catalog
  target   = each.value
  op "get_or_load" { weight = 1 }
  keys {
    count        = 100000
    distribution = "zipf"
    s            = 1.1
  }
}

scenario "browse" {
  for_each          = workload.browse
  workload          = each.value
  executor          = "constant-arrival-rate"
  rate              = 2000
  duration          = "20s"
  pre_allocated_vus = 20
  max_vus           = 400

  # The first seconds fill the cache; the hit ratio is over the whole run.
  assert {
    condition     = target.hit_ratio > 0.5
    error_message = "L1 ${each.key} too small for this key distribution"
  }
  assert {
    condition = dropped == 0 && errors == 0
  }
}
