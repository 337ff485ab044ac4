package executor

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

// recProfiler records the Profiler calls.
type recProfiler struct {
	mu    sync.Mutex
	calls []string
	tgt   []targets.Target
}

func (r *recProfiler) ScenarioStart(name string, t targets.Target) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "start "+name)
	r.tgt = append(r.tgt, t)
}

func (r *recProfiler) ScenarioEnd(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "end "+name)
}

// TestProfilerSpans: a Profiler hears each scenario's start, with its
// opened target, before any operation and its end after the last, and the
// workers' target Worker is wrapped to switch labels; without a Profiler
// nothing is wrapped.
func TestProfilerSpans(t *testing.T) {
	t.Parallel()
	var rec recProfiler
	sc := &plan.Scenario{Name: "a", Config: &PerVUIterations{VUs: 2, Iterations: 50}, Workload: workload(noopTarget())}
	res, err := Run(context.Background(), onePlan(sc), Options{Profiler: &rec, NoResources: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Scenarios[0].Total.Ops != 100 {
		t.Errorf("ops %d, want 100", res.Scenarios[0].Total.Ops)
	}
	if !slices.Equal(rec.calls, []string{"start a", "end a"}) || len(rec.tgt) != 1 || rec.tgt[0] == nil {
		t.Errorf("calls %v, targets %v", rec.calls, rec.tgt)
	}
	s := newScenarioRun(0, sc, nil, Options{Profiler: &rec}, nil)
	s.runnerLabels, s.targetLabels = context.Background(), context.Background() // as profileLabels sets them
	if _, ok := s.profiledWorker(nopWorker{}).(*labelledWorker); !ok {
		t.Error("a profiled run's worker is not labelled")
	}
	s = newScenarioRun(0, sc, nil, Options{}, nil)
	s.profileLabels() // no Profiler: nothing to label
	if _, ok := s.profiledWorker(nopWorker{}).(nopWorker); !ok {
		t.Error("an unprofiled run's worker is wrapped")
	}
}

type nopWorker struct{}

func (nopWorker) Do(context.Context, *targets.Request) error { return nil }
