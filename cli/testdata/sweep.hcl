plan "sweep" {}

variable "sizes" {
  type    = map(number)
  default = { small = 100, large = 10000 }
}

target "cache" "c" {
  for_each = var.sizes
  prefill  = 1000
  tier "l1" {
    capacity = each.value
  }
}

workload "reads" {
  for_each = target.cache.c
  target   = each.value
  op "get" { weight = 1 }
  keys {
    count        = 1000
    distribution = "zipf"
  }
}

scenario "steady" {
  for_each = workload.reads
  workload = each.value
  executor = "constant-vus"
  vus      = 1
  duration = "300ms"

  assert {
    condition     = target.hit_ratio > 0
    error_message = "no hits on ${each.key}"
  }
}
