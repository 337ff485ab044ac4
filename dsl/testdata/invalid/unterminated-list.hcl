# A list without its closing bracket.
plan "p" {
  tags = ["a", "b"
}

target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}
