target "http" "api" {
  base_url = "127.0.0.1:8080"
}

target "http" "ok" {
  base_url = "http://127.0.0.1:8080"
}

workload "w" {
  target = target.http.ok
  op "get" {
    method = "FETCH"
  }
  op "item" {
    path = "/items/${id}"
  }
  op "status" {
    success = ["2xx", "ok"]
  }
}

scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 1
  duration = "1s"
}
