target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
  key {
    count = 10
  }
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "1s"
  stages {
    duration = "1s"
  }
}
