# Blocks with too few or too many labels.
target "noop" {}

workload {
  op "get" {}
}

scenario "s" "extra" {
  executor = "constant-vus"
}
