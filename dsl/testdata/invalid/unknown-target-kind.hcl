target "cahce" "c" {
  capacity = 10
}

workload "w" {
  target = target.cahce.c
  op "get" {}
}
