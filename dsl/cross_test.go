package dsl

import (
	"slices"
	"testing"
)

// TestCrossLoad checks that a plan with cross-scenario references, a duet
// and plan-level assertions compiles them: the references as metric names
// (a scenario may read one declared after it, and itself), the duet with
// its members in order, the plan-level conditions evaluable on plain
// values.
func TestCrossLoad(t *testing.T) {
	t.Parallel()
	src := `
target "noop" "n" {}
workload "w" {
  target = target.noop.n
  op "get" {
    weight = 1
  }
}
scenario "old" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 1
  duration = "1s"
  assert {
    condition = latency.p99 < scenario.new.latency.p99 * 1.05 && scenario["old"].ops > 0
  }
}
scenario "new" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 1
  duration = "1s"
}
duet "pair" {
  scenarios = [scenario.old, scenario.new]
}
assert {
  condition = duet.pair.latency.p99.change < 0.05 && scenario.new.op.get.error_rate == 0
}
`
	p, diags, l := loadSrc(t, src, nil, nil)
	if diags.HasErrors() {
		t.Fatal(diagText(t, l, diags))
	}
	refs := p.Scenarios[0].Asserts[0].Condition.Refs()
	if want := []string{"latency.p99", "scenario.new.latency.p99", "scenario.old.ops"}; !slices.Equal(refs, want) {
		t.Errorf("scenario refs %v, want %v", refs, want)
	}
	if len(p.Duets) != 1 || p.Duets[0].Name != "pair" || !slices.Equal(p.Duets[0].Members, []string{"old", "new"}) {
		t.Errorf("duets %+v", p.Duets)
	}
	if len(p.Asserts) != 1 {
		t.Fatalf("plan asserts %v", p.Asserts)
	}
	c := p.Asserts[0].Condition
	if want := []string{"duet.pair.latency.p99.change", "scenario.new.op.get.error_rate"}; !slices.Equal(c.Refs(), want) {
		t.Errorf("plan refs %v, want %v", c.Refs(), want)
	}
	for _, tc := range []struct {
		change float64
		want   bool
	}{{0.01, true}, {0.08, false}} {
		ok, err := c.Eval(mapMetrics{"duet.pair.latency.p99.change": tc.change, "scenario.new.op.get.error_rate": 0})
		if err != nil || ok != tc.want {
			t.Errorf("change %v: %v, %v; want %v", tc.change, ok, err, tc.want)
		}
	}
}
