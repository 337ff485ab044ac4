package dsl

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// sweepPlan declares a cache target per size, a workload per target and a
// scenario per workload, with for_each, as a sweep over two L1 sizes.
const sweepPlan = `
variable "sizes" {
  type    = map(number)
  default = { small = 100, large = 10000 }
}
target "cache" "c" {
  for_each = var.sizes
  capacity = each.value
}
workload "reads" {
  for_each = target.cache.c
  target   = each.value
  op "get" { weight = 1 }
}
scenario "steady" {
  for_each = workload.reads
  workload = each.value
  executor = "constant-vus"
  vus      = 1
  duration = "2s"
  assert {
    condition     = ops > 0
    error_message = "no operations on ${each.key}"
  }
}
scenario "one" {
  workload = workload.reads["small"]
  executor = "constant-vus"
  vus      = 1
  duration = "1s"
}
`

// TestForEach: for_each on target, workload and scenario declares an
// instance per element, named NAME["KEY"], with each.key and each.value;
// target.KIND.NAME (workload.NAME) is the map of instances and
// NAME["KEY"] one of them; the instances of a scenario run one after
// another and carry their sweep.
func TestForEach(t *testing.T) {
	t.Parallel()
	p, diags, l := loadSrc(t, sweepPlan, nil, nil)
	if diags.HasErrors() {
		t.Fatal(diagText(t, l, diags))
	}
	if len(p.Targets) != 2 || len(p.Workloads) != 2 || len(p.Scenarios) != 3 {
		t.Fatalf("%d targets, %d workloads, %d scenarios; want 2, 2, 3", len(p.Targets), len(p.Workloads), len(p.Scenarios))
	}
	var names []string
	for _, tg := range p.Targets {
		names = append(names, tg.Name+"="+strconv.FormatInt(tg.Config.Int("capacity"), 10))
	}
	if got := strings.Join(names, " "); got != `c["large"]=10000 c["small"]=100` {
		t.Errorf("targets %s", got)
	}
	large, small, one := p.Scenarios[0], p.Scenarios[1], p.Scenarios[2]
	if large.Name != `steady["large"]` || small.Name != `steady["small"]` || one.Name != "one" {
		t.Errorf("scenarios %q %q %q", large.Name, small.Name, one.Name)
	}
	if large.Workload.Target.Name != `c["large"]` || small.Workload.Target.Name != `c["small"]` || one.Workload.Name != `reads["small"]` {
		t.Errorf("references: %s %s %s", large.Workload.Target.Name, small.Workload.Target.Name, one.Workload.Name)
	}
	if large.Sweep == nil || large.Sweep.Name != "steady" || large.Sweep.Key != "large" || large.Sweep.Value != "10000" {
		t.Errorf("sweep %+v", large.Sweep)
	}
	if large.StartTime != 0 || small.StartTime != 2*time.Second || one.Sweep != nil {
		t.Errorf("start times %v %v; the instances must run one after another", large.StartTime, small.StartTime)
	}
	if large.Asserts[0].ErrorMessage != "no operations on large" {
		t.Errorf("error_message %q", large.Asserts[0].ErrorMessage)
	}
}

// TestForEachDiagnostics: mistakes with for_each are diagnostics at their
// position.
func TestForEachDiagnostics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, from, to string
		want           []string
	}{
		{"a list", `for_each = var.sizes`, `for_each = ["a", "b"]`, []string{"Invalid for_each argument", "toset()"}},
		{"empty", `for_each = var.sizes`, `for_each = {}`, []string{"Empty for_each"}},
		{"base without index", `workload = workload.reads["small"]`, `workload = workload.reads`,
			[]string{"Reference to a workload with for_each", `workload.reads["large"], workload.reads["small"]`, "each.value"}},
		{"unknown instance", `workload = workload.reads["small"]`, `workload = workload.reads["smal"]`,
			[]string{"Reference to undeclared workload", `Did you mean workload.reads["small"]?`}},
		{"a value that is no reference", `  target   = each.value`, `  target   = each.key`,
			[]string{"Invalid target reference", "Expected a reference to a target, but this is string"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(sweepPlan, tc.from) {
				t.Fatalf("plan lacks %q", tc.from)
			}
			_, diags, l := loadSrc(t, strings.Replace(sweepPlan, tc.from, tc.to, 1), nil, nil)
			text := diagText(t, l, diags)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, text)
				}
			}
		})
	}
}
