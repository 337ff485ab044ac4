plan "soak-steady" {
  description = "Leak detection, not flagged: a prefilled cache at steady state under a constant read-mostly load"
  tags        = ["example", "soak", "cache"]
}

# A soak test: a long constant load with resource figures and the soak
# analysis in the table (cpu, rss, heap, gc, allocs/op; throughput CV, p99
# drift, heap slope). The cache is prefilled with every key, and sets
# replace values of the same size, so the live heap stays level and
# heap.leak is 0. The leak regression takes one point per GC cycle, and this
# cache makes little garbage: the 10s written here is a smoke run whose table
# may say "no verdict". The full soak is ten minutes:
#   perfplan run --duration-scale 60 examples/soak-steady.hcl
# The leaky counterpart is examples/soak-leak.hcl.
variable "rate" {
  type        = number
  default     = 2000
  description = "operations per second"
}

target "cache" "steady" {
  prefill            = 10000
  prefill_value_size = 256
  tier "l1" {
    capacity = 20000
  }
}

workload "mix" {
  target = target.cache.steady
  op "get" { weight = 90 }
  op "set" { weight = 10 }
  keys {
    count        = 10000
    distribution = "uniform"
  }
  value_size = 256
}

scenario "soak" {
  workload          = workload.mix
  executor          = "constant-arrival-rate"
  rate              = var.rate
  duration          = "10s"
  pre_allocated_vus = 4
  max_vus           = 50

  assert {
    condition     = heap.leak == 0
    error_message = "the live heap grows steadily: a memory leak"
  }
  assert {
    condition = soak.throughput_cv < 0.2 && errors == 0
  }
}
