plan "bench-http-noop" {
  description = "bench/http: the runner alone at the fixed rate (noop target), to tell its cost from the http target's"
}

variable "base_url" {
  type = string
}

variable "duration" {
  type    = string
  default = "10s"
}

variable "workers" {
  type    = number
  default = 32
}

variable "rate" {
  type    = number
  default = 5000
}

# Workers beyond the pre-allocated ones start only when iterations find
# every worker busy or come late (a stall of the machine): at max_vus, an
# iteration more than 10ms late is dropped instead.
variable "max_workers" {
  type    = number
  default = 256
}

target "noop" "runner" {}

workload "nothing" {
  target = target.noop.runner
  op "get" {}
}

scenario "rate" {
  workload          = workload.nothing
  executor          = "constant-arrival-rate"
  rate              = var.rate
  duration          = var.duration
  pre_allocated_vus = var.workers
  max_vus           = var.max_workers

  assert {
    condition = dropped == 0
  }
}
