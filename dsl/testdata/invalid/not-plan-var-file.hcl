# A --var-file passed as a plan.
rate = 5000
name = "nightly"
