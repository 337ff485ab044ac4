# One sleep backend whose median latency (milliseconds) perfplan ab varies
# between sides. Each call's latency is uniform within ±40 % of the median,
# so that each interval's median carries sampling noise of its own, as a
# real backend's does: a fixed latency makes every interval's median fall
# in the same few histogram buckets, a step-like series whose lag-1
# autocorrelation leaves the paired test no verdict.
variable "latency" {
  default = 10
}
target "sleep" "backend" {
  distribution = "uniform"
  min          = "${var.latency * 0.6}ms"
  max          = "${var.latency * 1.4}ms"
}
workload "w" {
  target = target.sleep.backend
  op "get" {
    weight = 1
  }
}
scenario "steady" {
  workload          = workload.w
  executor          = "constant-arrival-rate"
  rate              = 50
  pre_allocated_vus = 5
  duration          = "22s"
}
