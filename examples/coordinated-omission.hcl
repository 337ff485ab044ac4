plan "coordinated-omission" {
  description = "One backend, one 1s stall: the open model's p99 shows it, the closed model's hides it"
  tags        = ["example", "measurement"]
}

# Every call takes 1ms, except that the target freezes for one second, 3s
# after it opens: calls that arrive in the window wait until it ends.
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

# Open model: 1000 arrivals per second whatever happens. The ~1000
# iterations due during the stall are each measured from their intended
# start, so roughly 1 in 10 latencies is between 0 and 1s and p99 is close to
# the full second.
scenario "open" {
  workload          = workload.w
  executor          = "constant-arrival-rate"
  rate              = 1000
  duration          = "10s"
  pre_allocated_vus = 20
  max_vus           = 2000

  assert {
    condition     = latency.p99 > duration("500ms")
    error_message = "the stall should dominate the open model's p99"
  }
}

# Closed model: 10 workers, each waiting for its previous call. During the
# stall they are all stuck in one call each, so only 10 of ~90000 latencies
# see it: p99 stays near 1ms. This is coordinated omission.
scenario "closed" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 10
  duration = "10s"

  assert {
    condition     = latency.p99 < duration("100ms")
    error_message = "a closed loop hides the stall from p99"
  }
  assert {
    condition = latency.max > duration("900ms")
  }
}
