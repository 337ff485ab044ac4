variable "prefix" {
  default = "/v1"
}

target "web" "api" {
  base_url = "http://127.0.0.1:8080"
  headers  = { "Accept" = ["text/plain"] }
}

workload "w" {
  target = target.web.api
  op "get" {
    path    = "${var.prefix}/items/${id}"
    success = ["2xx", 404, "20x-"]
  }
  op "post" {
    method = "PUST"
    path   = "/items/${upper(key)}"
    body   = "${worker}"
  }
  op "bad name!" {
    weight = 0
  }
  op "get_body" {
    body = "{\"k\": ${key}}"
  }
  op "status" {
    success = ["2xx", 404, "20x-"]
  }
  op "headers" {
    headers = "Accept: text/plain"
    weight  = -1
  }
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 1
  duration = "1s"
}
