# Closing braces and brackets that close nothing.
target "noop" "n" {}

workload "w" {
  target = target.noop.n
  op "get" {}
}

}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  duration = "10s"
}
)
]
