target "cache" "c" {
  capacity = 10
  ratio    = 1.5
  tier "l1" {
    capacity = 100
  }
  tier "l2" {
    capacity = 10
  }
}
