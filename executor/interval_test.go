package executor

import (
	"sync"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// intervalObs records what an IntervalObserver receives.
type intervalObs struct {
	obs
	mu        sync.Mutex
	intervals []Interval
}

func (o *intervalObs) Interval(iv Interval) {
	o.mu.Lock()
	o.intervals = append(o.intervals, iv)
	o.mu.Unlock()
}

// TestIntervalObserver: an IntervalObserver gets each interval's figures
// per operation, whose operations add up to the result's, with a resource
// sample; the series carries p95 and, in an open model, the schedule lag.
func TestIntervalObserver(t *testing.T) {
	w := workload(noopTarget())
	w.Ops = []plan.Op{{Name: "op", Index: 0, Weight: 1}, {Name: "get", Index: 1, Weight: 1}}
	sc := &plan.Scenario{Name: "car", Config: &ConstantArrivalRate{Rate: 2000, TimeUnit: time.Second, Duration: 600 * time.Millisecond, PreAllocatedVUs: 2, MaxVUs: 20}, Workload: w}
	o := &intervalObs{}
	r := run(t, onePlan(sc), Options{Observer: o, SnapshotInterval: 100 * time.Millisecond}).Scenarios[0]
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.intervals) == 0 {
		t.Fatal("no interval received")
	}
	var ops int64
	for _, iv := range o.intervals {
		if iv.Scenario != "car" || len(iv.Ops) != 2 || iv.Ops[0].Name != "op" || iv.Ops[1].Name != "get" || iv.Total.Name != "total" {
			t.Fatalf("interval: %+v", iv)
		}
		if iv.Length <= 0 || iv.Elapsed < iv.Length {
			t.Errorf("interval ending at %v of length %v", iv.Elapsed, iv.Length)
		}
		if iv.Total.Ops != iv.Ops[0].Ops+iv.Ops[1].Ops {
			t.Errorf("interval total %d != %d + %d", iv.Total.Ops, iv.Ops[0].Ops, iv.Ops[1].Ops)
		}
		if iv.Total.Hist != nil || iv.Ops[0].Hist != nil {
			t.Error("interval hands over the collector's histograms")
		}
		if iv.Resources == nil || iv.Resources.Goroutines == 0 || iv.Resources.Offset != iv.Elapsed {
			t.Errorf("interval resources: %+v", iv.Resources)
		}
		ops += iv.Total.Ops
	}
	// The final collection after the last tick is not an interval.
	if ops == 0 || ops > r.Total.Ops {
		t.Errorf("intervals add up to %d operations, result %d", ops, r.Total.Ops)
	}
	lag := false
	for _, p := range r.Series {
		if p.Ops > 0 && (p.P95 < p.P90 || p.P95 > p.P99) {
			t.Errorf("series point p90 %v p95 %v p99 %v", p.P90, p.P95, p.P99)
		}
		lag = lag || p.LagP99 > 0
	}
	if !lag {
		t.Error("open model series without schedule lag")
	}
	if r.Resources == nil || len(r.Resources.Heap) == 0 {
		t.Fatal("no resource samples")
	}
	for _, h := range r.Resources.Heap {
		if h.RSS <= 0 || h.Goroutines <= 0 || h.CPUPercent < 0 {
			t.Errorf("resource sample %+v", h)
		}
	}
}
