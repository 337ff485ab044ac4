plan "requirements" {
  description = "A typical requirement set, one assertion per requirement: latency, throughput, CPU, memory, error rate and availability; the limits come from a var file (examples/requirements/strict.vars.hcl or lenient.vars.hcl)"
  tags        = ["example", "requirements"]
}

# The limits. The defaults are the strict set; a var file replaces them.
variable "rate" {
  type        = number
  default     = 2000
  description = "offered load, operations per second"
}
variable "duration" {
  type    = string
  default = "20s"
}
variable "max_p95_ms" {
  type    = number
  default = 2
}
variable "max_p99_ms" {
  type    = number
  default = 5
}
variable "min_throughput" {
  type    = number
  default = 1980
}
variable "max_cpu_percent" {
  type    = number
  default = 50
}
variable "max_memory_mib" {
  type    = number
  default = 256
}
variable "max_error_rate" {
  type    = number
  default = 0.001
}
variable "min_availability" {
  type    = number
  default = 0.999
}
variable "min_availability_windows" {
  type    = number
  default = 0.99
}

# A prefilled in-process cache. Point the workload at your own target (an
# http target, say) and keep the assertions.
target "cache" "catalog" {
  prefill = 10000
  tier "l1" {
    capacity = 20000
    ttl      = "5m"
  }
}

workload "browse" {
  target = target.cache.catalog
  op "get" { weight = 90 }
  op "set" { weight = 10 }
  keys {
    count        = 10000
    distribution = "zipf"
  }
  value_size = 512
}

scenario "requirements" {
  workload          = workload.browse
  executor          = "constant-arrival-rate"
  rate              = var.rate
  duration          = var.duration
  pre_allocated_vus = 4
  max_vus           = 32

  # Latency: from the intended start, so queueing counts.
  assert {
    condition     = latency.p95 < duration("1ms") * var.max_p95_ms && latency.p99 < duration("1ms") * var.max_p99_ms
    error_message = "latency above the requirement"
  }
  # Throughput: the offered load was served, none of it dropped.
  assert {
    condition     = throughput >= var.min_throughput && dropped == 0
    error_message = "throughput below the requirement"
  }
  # CPU: the whole perfplan process, runner and in-process target.
  assert {
    condition     = cpu.percent < var.max_cpu_percent
    error_message = "CPU above the requirement"
  }
  # Memory: the resident set's peak.
  assert {
    condition     = memory.rss_peak < var.max_memory_mib * 1024 * 1024
    error_message = "memory above the requirement"
  }
  # Error rate.
  assert {
    condition     = error_rate <= var.max_error_rate
    error_message = "error rate above the requirement"
  }
  # Availability: successful operations over all, and the share of seconds
  # within the 1% error budget.
  assert {
    condition     = availability >= var.min_availability && availability_windows >= var.min_availability_windows
    error_message = "availability below the requirement"
  }
}
