plan "bench-http-h2" {
  description = "bench/http: perfplan's http target over HTTP/2 (h2c, or h2 over TLS) at full speed, one stream per worker"
}

variable "base_url" {
  type = string
}

variable "protocol" {
  type    = string
  default = "h2c"
}

# The CA that signed the server's certificate (h2 over TLS); empty for h2c.
variable "ca_file" {
  type    = string
  default = ""
}

# The http target's client: "auto" (perfplan's own HTTP/2 client) or
# "net/http".
variable "client" {
  type    = string
  default = "auto"
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
  protocol = var.protocol
  client   = var.client
  ca_file  = var.ca_file == "" ? null : var.ca_file
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
