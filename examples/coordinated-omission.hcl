plan "coordinated-omission" {
  description = "One backend, one 1s stall: the open model's p99 shows it; the closed model's raw p99 hides it and perfplan corrects it"
  tags        = ["example", "measurement"]
}

# Cap the open model's workers to see omitted work handled: with
# --var max_vus=20, every worker is stuck in the stall, about a thousand
# iterations are dropped, the latencies become lower bounds, and a latency
# assertion such as latency.p99 < duration("10ms") fails saying so.
variable "max_vus" {
  type    = number
  default = 2000
}

target "sleep" "stalling" {
  latency = "1ms"
  stall {
    at       = "3s"
    duration = "1s"
  }
}

workload "w" {
  target = target.sleep.stalling
  op "get" { weight = 1 }
  keys { count = 100 }
}

# Every iteration due during the stall is measured from when it should have
# started, so the stall dominates p99.
scenario "open" {
  workload          = workload.w
  executor          = "constant-arrival-rate"
  rate              = 1000
  duration          = "10s"
  pre_allocated_vus = 20
  max_vus           = var.max_vus

  assert {
    condition     = latency.p99 > duration("500ms")
    error_message = "the stall should dominate the open model's p99"
  }
}

# The closed loop's 10 workers stop sending during the stall, so only 10 of
# about 90,000 calls see it and the raw p99 stays near 1ms. perfplan detects
# the stall and its assertions read the latency corrected for coordinated
# omission, which shows it.
scenario "closed" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 10
  duration = "10s"

  assert {
    condition     = latency.p99 > duration("500ms")
    error_message = "the corrected p99 should show the stall"
  }
  assert {
    condition = latency.max > duration("900ms")
  }
}

# The same closed loop read raw (allow_omitted): the stall is only in max.
scenario "closed-raw" {
  workload      = workload.w
  executor      = "constant-vus"
  vus           = 10
  duration      = "10s"
  allow_omitted = true

  assert {
    condition     = latency.p99 < duration("100ms")
    error_message = "a raw closed loop hides the stall from p99"
  }
  assert {
    condition = latency.max > duration("900ms")
  }
}
