target "cache" "c" {
  capacity = 10
  ratio    = 1.5
  tier "l1" {
    capacity = 100
  }
  tier "l2" {
    capacity = 10
  }
  tier "l3" {}
  loader {}
  loader {}
}

target "noop" "n" {
  names = ["x"]
}

workload "w" {
  target = target.noop.n
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "1s"
  event {
    at     = 5
    target = target.noop.n
    action = "reset"
  }
  event {
    at     = "1s"
    target = target.nope.n
    action = "reset"
  }
}

target "cache" "types" {
  capacity = 1.5
  ttl      = "1us"
  strict   = "maybe"
  weights  = ["a"]
  names    = "x"
  ratio    = "half"
}
