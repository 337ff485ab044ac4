plan "limiter-redis" {
  description = "A distributed limiter on Redis that falls back to memory when Redis goes away"
  tags        = ["example", "limiter", "redis"]
}

# Start a Redis on loopback first:
#   redis-server --port 6379 --save "" --daemonize yes
# then run this plan and stop Redis while it runs (redis-cli shutdown nosave):
# decisions fall back to the in-memory limiter at once, the run keeps going
# without errors, and the table shows fallbacks and fallback_decisions.
# Start Redis again before the run ends and the health probe switches back
# (recoveries). The plan asserts that the limiter decided in Redis, and does
# so at the end: without a Redis server, or with one stopped for good, it
# fails (the limiter still answers, from memory, which the assertions tell
# apart).
variable "redis" {
  type    = string
  default = "127.0.0.1:6379"
}

target "limiter" "api" {
  backend = "redis"
  redis {
    address        = var.redis
    timeout        = "100ms"
    probe_interval = "100ms"
  }
  policy "per-user" {
    match     = "key"
    algorithm = "gcra"
    rate      = 5
    period    = "1s"
    burst     = 5
  }
}

workload "requests" {
  target = target.limiter.api
  op "allow" { weight = 1 }
  keys {
    count        = 500
    distribution = "uniform"
  }
}

scenario "traffic" {
  workload          = workload.requests
  executor          = "constant-arrival-rate"
  rate              = 2000
  duration          = "20s"
  pre_allocated_vus = 16
  max_vus           = 200

  assert {
    condition     = errors == 0
    error_message = "Redis failures must fall back, not fail callers"
  }
  assert {
    condition = target.allowed + target.denied == ops && target.denied > 0
  }
  assert {
    condition     = target.mode == 1 && target.fallback_decisions < ops
    error_message = "The limiter was not deciding in Redis (mode 1 is Redis, 2 the in-memory fallback): is the server up at var.redis?"
  }
}
