package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/targets/builtin"
)

// nPlans is how many plans the loading measurement loads.
const nPlans = 100

// genPlan returns plan i of the loading measurement: a plan of the size of
// the bundled ones, with a variable, locals, a cache target with two tiers,
// a sleep target, three workloads and four scenarios of different
// executors with stages and assertions. The numbers vary with i, so no two
// plans are the same.
func genPlan(i int) string {
	args := []any{i, 1000 + 37*i, 2 + i%3, 5 + i%7, 1000 + 100*i, 2000 + 200*i, 20000 + 500*i,
		500 + 10*i, 2000 + 40*i, 70 + i%20, 10 + i%10, 1 + i%4, 100 + i, 50 + i}
	return fmt.Sprintf(planHead, args...) + fmt.Sprintf(planScenarios, args...)
}

// planHead is the first part of a generated plan: the plan block, a
// variable, locals, the targets and the workloads. Its verbs and
// planScenarios' index genPlan's arguments.
const planHead = `plan "generated-%[1]d" {
  description = "generated plan %[1]d for bench/run's loading measurement"
  tags        = ["generated", "bench"]
}

variable "rate" {
  type    = number
  default = %[2]d

  validation {
    condition     = var.rate > 0 && var.rate <= 100000
    error_message = "rate must be between 1 and 100000"
  }
}

locals {
  warmup = "%[3]ds"
  steady = "%[4]ds"
}

target "cache" "catalog" {
  prefill            = %[5]d
  prefill_value_size = 256

  tier "l1" {
    capacity = %[6]d
    ttl      = "5m"
  }
  tier "l2" {
    capacity = %[7]d
    ttl      = "30m"
  }
}

target "sleep" "backend" {
  distribution = "lognormal"
  median       = "%[8]dus"
  p99          = "%[9]dus"
  seed         = %[1]d
}

workload "reads" {
  target = target.cache.catalog
  op "get" { weight = 1 }
  keys {
    count        = %[5]d
    distribution = "zipf"
  }
}

workload "mixed" {
  target = target.cache.catalog
  op "get" { weight = %[10]d }
  op "set" { weight = %[11]d }
  op "delete" { weight = 1 }
  keys {
    count        = %[5]d
    distribution = "uniform"
  }
  value_size = 512
}

workload "backend" {
  target = target.sleep.backend
  op "op" { weight = 1 }
}

`

// planScenarios is the second part of a generated plan: its four
// scenarios.
const planScenarios = `scenario "read-throughput" {
  workload = workload.reads
  executor = "constant-vus"
  vus      = %[12]d
  duration = local.steady

  assert {
    condition     = throughput > 1000 && target.hit_ratio > 0.9
    error_message = "read throughput or hit ratio too low"
  }
  assert {
    condition = latency.p99 < duration("10ms") && latency.p99 / latency.p50 < 50
  }
}

scenario "latency" {
  workload          = workload.mixed
  executor          = "ramping-arrival-rate"
  start_rate        = 0
  pre_allocated_vus = 4
  max_vus           = 64
  start_time        = local.steady

  stage {
    duration = local.warmup
    target   = var.rate
  }
  stage {
    duration = local.steady
    target   = var.rate
  }

  assert {
    condition     = latency.p95 < duration("5ms") && op.get.latency.p50 < duration("1ms")
    error_message = "latency above its bounds"
  }
  assert {
    condition = dropped == 0 && error_rate < 0.001 && target.corrupt == 0
  }
}

scenario "backend" {
  workload          = workload.backend
  executor          = "constant-arrival-rate"
  rate              = %[13]d
  duration          = local.steady
  pre_allocated_vus = 4
  max_vus           = 32
  start_time        = "1s"

  assert {
    condition     = latency.p50 < duration("%[9]dus")
    error_message = "median above the backend's p99"
  }
}

scenario "iterations" {
  workload   = workload.mixed
  executor   = "per-vu-iterations"
  vus        = %[12]d
  iterations = %[14]d

  assert {
    condition = ops == %[12]d * %[14]d
  }
}
`

// writePlans writes the nPlans generated plans into dir and returns their
// paths.
func writePlans(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	for i := range nPlans {
		f := filepath.Join(dir, fmt.Sprintf("p%03d.hcl", i))
		if err := os.WriteFile(f, []byte(genPlan(i)), 0o644); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// loadPlans loads and validates files in process, as perfplan run does
// before it runs anything.
func loadPlans(files []string) error {
	reg := builtin.Registry()
	for _, f := range files {
		if _, diags := dsl.NewLoader(reg, nil, nil).Load(f); diags.HasErrors() {
			return fmt.Errorf("%s: %s", f, diags.Error())
		}
	}
	return nil
}

// plans measures loading and validating nPlans generated plans: in process
// with dsl's loader (parse, variables, validation, assertion compilation),
// and through perfplan validate as a child, start-up included, both
// repeated.
func (r *runner) plans() error {
	files, err := writePlans(filepath.Join(r.dir, "plans"))
	if err != nil {
		return err
	}
	var inproc, child []float64
	for range r.opts.reps {
		t0 := time.Now()
		if err := loadPlans(files); err != nil {
			return err
		}
		inproc = append(inproc, float64(time.Since(t0))/1e6)
		t0 = time.Now()
		cmd := exec.CommandContext(r.ctx, r.bins["perfplan"], append([]string{"validate"}, files...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("perfplan validate: %w\n%s", err, out)
		}
		child = append(child, float64(time.Since(t0))/1e6)
	}
	s := summarize(inproc)
	r.add("plans", fmt.Sprintf("load and validate %d generated plans, in process (dsl.Loader)", nPlans),
		fmt.Sprintf("%.0f ms (%.2f ms a plan)", s.med, s.med/nPlans), s.rangef("%.0f"), "", nil)
	s = summarize(child)
	r.add("plans", fmt.Sprintf("perfplan validate of the %d plans (a child process, start-up included)", nPlans),
		fmt.Sprintf("%.0f ms", s.med), s.rangef("%.0f"), "", nil)
	return nil
}
