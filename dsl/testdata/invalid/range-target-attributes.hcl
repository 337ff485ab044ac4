# Target attributes out of range or of the wrong type.
target "cache" "c" {
  capacity = -5
  ratio    = 1e999
  ttl      = "1ns"
  weights  = [1, "x"]
  names    = ["a", null]
  tier "l1" {
    capacity = 0
    ttl      = "forever"
  }
}

workload "w" {
  target = target.cache.c
  op "get" {}
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
}
