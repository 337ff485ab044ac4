plan "bench-http-rate" {
  description = "bench/http: perfplan's http target at a fixed arrival rate, from 32 workers (connections) up"
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

target "http" "nginx" {
  base_url = var.base_url
}

workload "get" {
  target = target.http.nginx
  op "get" {
    path = "/"
  }
}

scenario "rate" {
  workload          = workload.get
  executor          = "constant-arrival-rate"
  rate              = var.rate
  duration          = var.duration
  pre_allocated_vus = var.workers
  max_vus           = var.max_workers

  assert {
    condition = error_rate == 0 && dropped == 0
  }
}
