# Two variants of one backend as a duet: same load, same time, compared
# interval by interval.
variable "a" {
  default = "5ms"
}

variable "b" {
  default = "10ms"
}

target "sleep" "a" {
  latency = var.a
}

target "sleep" "b" {
  latency = var.b
}

workload "a" {
  target = target.sleep.a
  op "get" {
    weight = 1
  }
}

workload "b" {
  target = target.sleep.b
  op "get" {
    weight = 1
  }
}

scenario "a" {
  workload          = workload.a
  executor          = "constant-arrival-rate"
  rate              = 50
  pre_allocated_vus = 5
  duration          = "14s"
  allow_omitted     = true
}

scenario "b" {
  workload          = workload.b
  executor          = "constant-arrival-rate"
  rate              = 50
  pre_allocated_vus = 5
  duration          = "14s"
  allow_omitted     = true
}

duet "ab" {
  scenarios = [scenario.a, scenario.b]
}

assert {
  condition     = duet.ab.latency.p50.change > 0.5
  error_message = "b is not much slower than a"
}
