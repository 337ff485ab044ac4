# Two variants of one backend as a duet: same load, same time, compared
# interval by interval. Each backend's latency is uniform within ±40 % of
# its median (milliseconds), so that each interval's median carries
# sampling noise of its own, as a real backend's does.
# Each runs 24s for about 22 pairs of intervals: with 12, the paired test
# needs a lag-1 autocorrelation below about 0.2, and a busy machine drifts
# more than that (the test then rightly gives no verdict).
variable "a" {
  default = 5
}

variable "b" {
  default = 10
}

target "sleep" "a" {
  distribution = "uniform"
  min          = "${var.a * 0.6}ms"
  max          = "${var.a * 1.4}ms"
}

target "sleep" "b" {
  distribution = "uniform"
  min          = "${var.b * 0.6}ms"
  max          = "${var.b * 1.4}ms"
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
  duration          = "24s"
  allow_omitted     = true
}

scenario "b" {
  workload          = workload.b
  executor          = "constant-arrival-rate"
  rate              = 50
  pre_allocated_vus = 5
  duration          = "24s"
  allow_omitted     = true
}

duet "ab" {
  scenarios = [scenario.a, scenario.b]
}

assert {
  condition     = duet.ab.latency.p50.change > 0.5
  error_message = "b is not much slower than a"
}
