plan:
  name: x
scenarios:
  - name: s
    executor: constant-vus
    duration: 10s
