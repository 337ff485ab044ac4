# The strict requirement set of examples/requirements.hcl: a release gate.
#   perfplan run --var-file examples/requirements/strict.vars.hcl examples/requirements.hcl
rate                     = 2000
duration                 = "60s"
max_p95_ms               = 2
max_p99_ms               = 5
min_throughput           = 1980
max_cpu_percent          = 50
max_memory_mib           = 256
max_error_rate           = 0.001
min_availability         = 0.999
min_availability_windows = 0.99
