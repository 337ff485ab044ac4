# A heredoc without its closing marker.
plan "p" {
  description = <<EOT
  A plan whose heredoc never ends.
}

target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}
