{
  "plan": { "name": "x" },
  "scenario": [{ "executor": "constant-vus" }]
}
