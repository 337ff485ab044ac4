plan "stress-limiter" {
  description = "Breaking point of the in-memory rate limiter: the decision rate at which p99 passes 5ms"
  tags        = ["limiter", "stress"]
}

# Per-key GCRA over 100,000 zipf-distributed keys: every decision is a map
# lookup and an atomic update in process. Nothing here waits on I/O, so the
# breaking point is the decision rate that the limiter and the runner
# together sustain on this machine's cores (2.5M-5M/s on a 2-core VM);
# past it the runner falls behind the schedule and latency, measured from
# each decision's intended start, climbs.
target "limiter" "per-key" {
  policy "per-user" {
    match     = "key"
    algorithm = "gcra"
    rate      = 100
    period    = "1s"
    burst     = 10
  }
}

workload "per-key" {
  target = target.limiter.per-key
  op "allow" {}
  keys {
    count        = 100000
    distribution = "zipf"
  }
}

# 100k/s, then 500k/s and 400k/s more every 5s (0.5s under --quick) up to
# 20M/s; the search stops once p99 has been above 5ms for 2s, then the rate
# drops back to 500k/s and the run times how long p99 takes to come back
# under 5ms. The gentle first step lets the limiter's per-key state grow
# (a map of new keys at first) before the gate's 500k/s step.
scenario "search" {
  workload          = workload.per-key
  executor          = "breakpoint"
  start_rate        = 100000
  step_rate         = 400000
  step_duration     = "5s"
  max_rate          = 20000000
  pre_allocated_vus = 4
  max_vus           = 256
  stop_when         = latency.p99 > duration("5ms") || error_rate > 0.001
  stop_grace        = "2s"
  interval          = "1s"
  recovery_rate     = 500000
  recovery_timeout  = "20s"

  assert {
    condition     = breaking_point >= 500000
    error_message = "the limiter could not sustain 500k decisions/s with p99 under 5ms"
  }
  assert {
    condition     = recovery_time < duration("5s")
    error_message = "after the overload, p99 took 5s or more to come back under 5ms"
  }
  assert {
    condition     = stability >= 0.9
    error_message = "p99 passed 5ms in more than 10% of the intervals below the breaking point"
  }
}
