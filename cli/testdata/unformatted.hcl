plan "ugly" {
description="x"
  tags=["a"]
}
