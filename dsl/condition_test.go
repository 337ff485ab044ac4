package dsl

import (
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
)

func TestConditionEval(t *testing.T) {
	t.Parallel()
	const src = `
variable "slo" { default = 5 }
locals { factor = 2 }
target "cache" "c" { capacity = 1 }
workload "w" {
  target = target.cache.c
  op "get" {}
  op "set" {}
}
scenario "s" {
  workload          = workload.w
  executor          = "constant-arrival-rate"
  rate              = 10
  duration          = "1s"
  pre_allocated_vus = 1
  assert { condition = latency.p99 < duration("5ms") }
  assert { condition = op.get.latency.p99 * local.factor < var.slo && target.hit_ratio >= 0.9 }
  assert { condition = error_rate < 0.01 ? throughput > 100 : false }
  assert { condition = max(service_time.p50, op["set"].ops) > 3 }
  assert { condition = dropped == 0 }
}
`
	p, diags, l := loadSrc(t, src, []VarArg{{Name: "slo", Value: "4"}}, nil)
	if diags.HasErrors() {
		t.Fatalf("Load: %s", diagText(t, l, diags))
	}
	as := p.Scenarios[0].Asserts
	tests := []struct {
		i       int
		m       mapMetrics
		want    bool
		wantErr string
		refs    []string
	}{
		{0, mapMetrics{"latency.p99": 4.9}, true, "", []string{"latency.p99"}},
		{0, mapMetrics{"latency.p99": 5}, false, "", nil},
		{0, mapMetrics{}, false, "latency.p99 has no value", nil},
		// slo is an untyped variable set from --var, so it is the string "4",
		// which HCL converts for the comparison.
		{1, mapMetrics{"op.get.latency.p99": 1.9, "target.hit_ratio": 0.95}, true, "", []string{"op.get.latency.p99", "target.hit_ratio"}},
		{1, mapMetrics{"op.get.latency.p99": 2.1, "target.hit_ratio": 0.95}, false, "", nil},
		{1, mapMetrics{"op.get.latency.p99": 1, "target.hit_ratio": 0.5}, false, "", nil},
		{2, mapMetrics{"error_rate": 0, "throughput": 101}, true, "", []string{"error_rate", "throughput"}},
		{2, mapMetrics{"error_rate": 0.5, "throughput": 101}, false, "", nil},
		{3, mapMetrics{"service_time.p50": 1, "op.set.ops": 4}, true, "", []string{"service_time.p50", "op.set.ops"}},
		{4, mapMetrics{"dropped": 0}, true, "", []string{"dropped"}},
	}
	for _, tt := range tests {
		c := as[tt.i].Condition
		if tt.refs != nil && !reflect.DeepEqual(c.Refs(), tt.refs) {
			t.Errorf("assert %d refs = %v, want %v", tt.i, c.Refs(), tt.refs)
		}
		got, err := c.Eval(tt.m)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("assert %d on %v: err = %v, want %q", tt.i, tt.m, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("assert %d on %v = %v, %v; want %v", tt.i, tt.m, got, err, tt.want)
		}
	}
	// Refs returns a copy.
	r := as[0].Condition.Refs()
	r[0] = "x"
	if as[0].Condition.Refs()[0] != "latency.p99" {
		t.Error("Refs exposes internal state")
	}
	var _ plan.Condition = as[0].Condition
}

func TestDynamicBlocks(t *testing.T) {
	t.Parallel()
	const src = `
variable "stages" {
  type    = list(object({ d = string, rate = number }))
  default = [{ d = "1s", rate = 10 }, { d = "2s", rate = 20 }]
}
target "cache" "c" {
  capacity = 1
  dynamic "tier" {
    for_each = ["a", "b"]
    labels   = [tier.value]
    content { capacity = 10 * (tier.key + 1) }
  }
}
workload "w" {
  target = target.cache.c
  dynamic "op" {
    for_each = { get = 3, set = 1 }
    labels   = [op.key]
    content {
      weight = op.value
    }
  }
  op "allow_n" { n = 7 }
}
scenario "s" {
  workload          = workload.w
  executor          = "ramping-arrival-rate"
  pre_allocated_vus = 1
  stage {
    duration = "500ms"
    target   = 5
  }
  dynamic "stage" {
    for_each = var.stages
    content {
      duration = stage.value.d
      target   = stage.value.rate
    }
  }
}
`
	p, diags, l := loadSrc(t, src, nil, nil)
	if diags.HasErrors() {
		t.Fatalf("Load: %s", diagText(t, l, diags))
	}
	tiers := p.Targets[0].Config.BlocksOf("tier")
	if len(tiers) != 2 || tiers[1].Labels[0] != "b" || tiers[1].Config.Int("capacity") != 20 {
		t.Errorf("tiers = %+v", tiers)
	}
	ops := p.Workloads[0].Ops
	want := []plan.Op{{Name: "get", Index: 0, Weight: 3}, {Name: "set", Index: 1, Weight: 1}, {Name: "allow_n", Index: 2, Weight: 1, Arg: 7}}
	if !reflect.DeepEqual(ops, want) {
		t.Errorf("ops = %+v", ops)
	}
	st := p.Scenarios[0].Config.(*executor.RampingArrivalRate).Stages
	if len(st) != 3 || st[0].Target != 5 || st[2].Target != 20 || st[2].Duration.Seconds() != 2 {
		t.Errorf("stages = %+v", st)
	}

	// Errors inside dynamic content point at the content.
	bad := strings.Replace(src, `duration = stage.value.d`, `duration = stage.value.rate`, 1)
	_, diags, l = loadSrc(t, bad, nil, nil)
	text := diagText(t, l, diags)
	if !diags.HasErrors() || !strings.Contains(text, "Duration must be a string") || !strings.Contains(text, "duration = stage.value.rate") {
		t.Errorf("diagnostics:\n%s", text)
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	got := string(Format([]byte("a=1\nbb = \"x\"\n")))
	if want := "a  = 1\nbb = \"x\"\n"; got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	l := NewLoader(nil, nil, nil)
	p, diags := l.Load("/nonexistent/plan.hcl")
	if p != nil || !diags.HasErrors() || !strings.Contains(diags[0].Detail, "/nonexistent/plan.hcl") {
		t.Errorf("Load = %v, %v", p, diags)
	}
}

// TestConditionEvalConcurrent checks that a Condition may be evaluated from
// several goroutines at once (run with -race).
func TestConditionEvalConcurrent(t *testing.T) {
	t.Parallel()
	l := NewLoader(testRegistry(t), nil, nil)
	p, diags := l.Load("testdata/valid/cache-read-heavy.hcl")
	if diags.HasErrors() {
		t.Fatal(diagText(t, l, diags))
	}
	c := p.Scenarios[0].Asserts[1].Condition
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				ratio := float64(i*100+j) / 1000
				got, err := c.Eval(mapMetrics{"target.hit_ratio": ratio, "error_rate": 0})
				if err != nil || got != (ratio >= 0.95) {
					t.Errorf("Eval(%v) = %v, %v", ratio, got, err)
					return
				}
			}
		}(i)
	}
	wg.Wait()
}

func TestLoadTwice(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "broken.hcl", "target \"noop\" {\n")
	l := NewLoader(testRegistry(t), nil, nil)
	for i := 0; i < 2; i++ {
		p, diags := l.Load(path)
		if p != nil || !diags.HasErrors() {
			t.Errorf("load %d: want syntax errors, got %v", i, diags)
		}
	}
}
