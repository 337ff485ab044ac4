target "cache" "c" {
  capacity = 10
}

workload "w" {
  target = target.cache.c
  op "gte" { weight = 1 }
  op "set" { weight = 0 }
  op "allow_n" { n = 1.5 }
}
