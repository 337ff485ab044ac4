target "cache" "c" {
  capacity = 10
  ttl      = "5 minutes"
}

workload "w" {
  target = target.cache.c
  op "get" {}
}

scenario "s" {
  workload      = workload.w
  executor      = "constant-vus"
  duration      = "-5s"
  graceful_stop = "soon"
}
