plan "soak-leak" {
  description = "Leak detection, flagged: a sleep target that retains 16KiB per call; the heap.leak assertion FAILS on purpose"
  tags        = ["example", "soak", "leak"]
}

# This plan is the demonstration of a flagged leak: perfplan run exits 1
# because heap.leak == 0 does not hold. The sleep target's
# leak_bytes_per_call is a test aid that keeps every call's bytes until the
# run ends (about 16MiB per second here, 160MiB over the run). The runner
# fits a line to the live heap (after GC) sampled every second and flags a
# leak when the slope's 95% confidence interval lies above zero and the
# slope is above leak_threshold_bytes_per_min. See docs/metrics.md,
# "Resources and soak analysis".
#
# The leak needs at least three GC cycles to be judged: under --quick (1s)
# there are too few, the table says "no verdict" and the assertion holds.
# Compare with examples/soak-steady.hcl, where the same assertion holds.
target "sleep" "leaky" {
  latency             = "1ms"
  leak_bytes_per_call = 16384
}

workload "calls" {
  target = target.sleep.leaky
  op "op" {}
}

scenario "soak" {
  workload          = workload.calls
  executor          = "constant-arrival-rate"
  rate              = 1000
  duration          = "10s"
  pre_allocated_vus = 4
  max_vus           = 50

  # 1MiB per minute is the default; written out here for the reader.
  leak_threshold_bytes_per_min = 1048576

  assert {
    condition     = heap.leak == 0
    error_message = "the heap grows steadily: a memory leak (expected in this example)"
  }
}
