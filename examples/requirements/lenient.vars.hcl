# The lenient requirement set of examples/requirements.hcl: a smoke check on
# a shared CI machine, where a noisy neighbour must not fail the build.
#   perfplan run --var-file examples/requirements/lenient.vars.hcl examples/requirements.hcl
rate                     = 500
duration                 = "10s"
max_p95_ms               = 20
max_p99_ms               = 50
min_throughput           = 450
max_cpu_percent          = 150
max_memory_mib           = 1024
max_error_rate           = 0.01
min_availability         = 0.99
min_availability_windows = 0.9
