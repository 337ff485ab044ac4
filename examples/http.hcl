plan "http" {
  description = "An HTTP service under a steady arrival rate: a page and an item lookup, with status, connection and error gates"
  tags        = ["example", "http"]
}

# The service to test. Any local server that answers GET / will do, for
# example Python's, started in another terminal:
#
#   python3 -m http.server 8000 --bind 127.0.0.1
#
# then: perfplan run examples/http.hcl --var base_url=http://127.0.0.1:8000
variable "base_url" {
  type        = string
  default     = "http://127.0.0.1:8000"
  description = "the service's URL"
}

variable "rate" {
  type        = number
  default     = 100
  description = "requests per second"
}

target "http" "service" {
  base_url        = var.base_url
  headers         = { "Accept" = "text/html, */*" }
  connect_timeout = "2s"
  request_timeout = "5s"
}

workload "browse" {
  target = target.http.service

  # The front page.
  op "index" {
    weight = 3
    path   = "/"
  }

  # An item by key: /items/0 to /items/999. A service without items
  # answers 404, which this op counts as a success.
  op "item" {
    weight  = 1
    path    = "/items/${key}"
    success = ["2xx", "3xx", 404]
  }

  keys {
    count        = 1000
    distribution = "zipf"
  }
}

scenario "steady" {
  workload          = workload.browse
  executor          = "constant-arrival-rate"
  rate              = var.rate
  duration          = "10s"
  pre_allocated_vus = 4
  max_vus           = 50

  assert {
    condition     = error_rate == 0 && dropped == 0
    error_message = "every request answered with a success status, on time"
  }
  assert {
    condition     = target.status_5xx == 0 && target.connection_errors == 0 && target.timeouts == 0
    error_message = "no server errors, refused or reset connections, or timeouts"
  }
  # p90 rather than p99: a server that closes each connection (Python's
  # does) loses one now and then to a full accept queue, which costs a
  # second-long TCP retry.
  assert {
    condition     = op.index.latency.p90 < duration("250ms")
    error_message = "front page p90 above 250ms"
  }
}
