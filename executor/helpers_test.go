package executor

import (
	"context"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/noop"
)

// noopTarget returns a plan target of the noop kind.
func noopTarget() *plan.Target {
	k := noop.Kind()
	return &plan.Target{Kind: "noop", Name: "t", Spec: &k}
}

// kindTarget returns a plan target whose kind builds t.
func kindTarget(name string, t targets.Target) *plan.Target {
	k := targets.Kind{
		Name: name,
		Ops:  []targets.OpSpec{{Name: "op"}, {Name: "get"}},
		New:  func(targets.Config) (targets.Target, error) { return t, nil },
	}
	return &plan.Target{Kind: name, Name: "t", Spec: &k}
}

func workload(t *plan.Target) *plan.Workload {
	return &plan.Workload{
		Name:   "w",
		Target: t,
		Ops:    []plan.Op{{Name: "op", Index: 0, Weight: 1}},
		Keys:   plan.KeySpace{Count: 1000, Distribution: plan.DistUniform},
	}
}

func onePlan(sc ...*plan.Scenario) *plan.Plan {
	p := &plan.Plan{Name: "p"}
	seen := map[*plan.Target]bool{}
	for _, s := range sc {
		if s.GracefulStop == 0 {
			s.GracefulStop = 2 * time.Second
		}
		if t := s.Workload.Target; !seen[t] {
			seen[t] = true
			p.Targets = append(p.Targets, t)
		}
		p.Workloads = append(p.Workloads, s.Workload)
	}
	p.Scenarios = sc
	return p
}

func run(t *testing.T, p *plan.Plan, opts Options) *Result {
	t.Helper()
	res, err := Run(context.Background(), p, opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}
