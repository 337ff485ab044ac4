plan "limiter-policy-change" {
  description = "A limiter whose policy is raised, then removed, while load runs"
  tags        = ["example", "limiter"]
}

# Keys are "key:0" .. "key:999"; a pattern policy limits each matching key
# on its own. The 3000/s below spread over 1000 keys is about 3/s per key.
target "limiter" "api" {
  policy "per-tenant" {
    match     = "pattern"
    pattern   = "key:1*"
    algorithm = "sliding_window"
    rate      = 1
    period    = "1s"
  }
}

workload "requests" {
  target = target.limiter.api
  op "allow" { weight = 9 }
  op "allow_n" {
    weight = 1
    n      = 5
  }
  keys {
    count        = 1000
    distribution = "uniform"
  }
}

scenario "traffic" {
  workload          = workload.requests
  executor          = "constant-arrival-rate"
  rate              = 3000
  duration          = "15s"
  pre_allocated_vus = 8
  max_vus           = 64

  # After 5s each matching key may make 10 requests per second...
  event {
    at        = "5s"
    target    = target.limiter.api
    action    = "set_policy"
    name      = "per-tenant"
    match     = "pattern"
    pattern   = "key:1*"
    algorithm = "sliding_window"
    rate      = 10
    period    = "1s"
  }

  # ...and after 10s the policy goes away: everything is admitted.
  event {
    at     = "10s"
    target = target.limiter.api
    action = "remove_policy"
    name   = "per-tenant"
  }

  assert {
    condition     = target.denied > 0 && target.allowed > target.denied
    error_message = "the policy should deny some requests before it is raised and removed"
  }
  assert {
    condition = errors == 0 && dropped == 0
  }
}
