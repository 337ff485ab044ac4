# One sleep backend whose latency perfplan ab varies between sides.
variable "latency" {
  default = "10ms"
}
target "sleep" "backend" {
  latency = var.latency
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
