plan "bench-http-full" {
  description = "bench/http: perfplan's http target at full speed, one worker per connection"
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

target "http" "nginx" {
  base_url = var.base_url
}

workload "get" {
  target = target.http.nginx
  op "get" {
    path = "/"
  }
}

scenario "full" {
  workload = workload.get
  executor = "constant-vus"
  vus      = var.workers
  duration = var.duration

  assert {
    condition = error_rate == 0
  }
}
