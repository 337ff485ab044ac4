package executor

import (
	"math"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// TestConstantArrivalRateKeepsRate: 5000/s over 2 s on noop is 10000
// iterations, within 2%.
func TestConstantArrivalRateKeepsRate(t *testing.T) {
	sc := &plan.Scenario{Name: "car", Config: &ConstantArrivalRate{Rate: 5000, TimeUnit: time.Second, Duration: 2 * time.Second, PreAllocatedVUs: 4, MaxVUs: 200}, Workload: workload(noopTarget())}
	r := run(t, onePlan(sc), Options{}).Scenarios[0]
	want := 10000.0
	t.Logf("ops=%d dropped=%d vus=%d p99=%v svc.p99=%v elapsed=%v", r.Total.Ops, r.Dropped, r.VUsMax, r.Total.Latency.P99, r.Total.ServiceTime.P99, r.Elapsed)
	if d := math.Abs(float64(r.Total.Ops)-want) / want; d > 0.02 {
		t.Fatalf("ops = %d, want %v within 2%% (dropped %d)", r.Total.Ops, want, r.Dropped)
	}
}

// TestRampingArrivalRateIntegral: 0→4000/s over 1 s, 4000/s for 1 s, then
// down to 0 over 0.5 s: 2000 + 4000 + 1000 = 7000 iterations.
func TestRampingArrivalRateIntegral(t *testing.T) {
	sc := &plan.Scenario{Name: "rar", Config: &RampingArrivalRate{StartRate: 0, TimeUnit: time.Second, Stages: []plan.Stage{
		{Duration: time.Second, Target: 4000},
		{Duration: time.Second, Target: 4000},
		{Duration: 500 * time.Millisecond, Target: 0},
	}, PreAllocatedVUs: 4, MaxVUs: 200}, Workload: workload(noopTarget())}
	r := run(t, onePlan(sc), Options{}).Scenarios[0]
	want := 7000.0
	t.Logf("ops=%d dropped=%d vus=%d p99=%v series=%d", r.Total.Ops, r.Dropped, r.VUsMax, r.Total.Latency.P99, len(r.Series))
	if d := math.Abs(float64(r.Total.Ops)-want) / want; d > 0.02 {
		t.Fatalf("ops = %d, want %v within 2%%", r.Total.Ops, want)
	}
}

// TestDroppedAtMaxVUs: one worker at most, 10 ms per call, 500/s: the
// runner cannot keep up, so it drops iterations and flags the result.
func TestDroppedAtMaxVUs(t *testing.T) {
	sc := &plan.Scenario{Name: "drop", Config: &ConstantArrivalRate{Rate: 500, TimeUnit: time.Second, Duration: time.Second, PreAllocatedVUs: 1, MaxVUs: 1}, Workload: workload(kindTarget("slow", &sleepTarget{d: 10 * time.Millisecond}))}
	r := run(t, onePlan(sc), Options{}).Scenarios[0]
	t.Logf("ops=%d dropped=%d vus=%d", r.Total.Ops, r.Dropped, r.VUsMax)
	if r.Dropped < 300 || r.VUsMax != 1 || !r.Flagged() {
		t.Fatalf("dropped = %d vus = %d flagged = %v", r.Dropped, r.VUsMax, r.Flagged())
	}
	if v, ok := r.Metric("dropped"); !ok || v != float64(r.Dropped) {
		t.Fatalf("metric dropped = %v %v", v, ok)
	}
}

// TestIdleWorkerLatencyFromIntendedStart: at a low rate with many idle
// workers, each worker waits for its iteration; its latency still counts
// from the intended start (a worker that woke late is late), so it is its
// service time plus its schedule lag, never less than the service time.
func TestIdleWorkerLatencyFromIntendedStart(t *testing.T) {
	t.Parallel()
	sc := &plan.Scenario{Name: "idle", Config: &ConstantArrivalRate{Rate: 500, TimeUnit: time.Second, Duration: time.Second, PreAllocatedVUs: 20, MaxVUs: 20}, Workload: workload(noopTarget())}
	r := run(t, onePlan(sc), Options{}).Scenarios[0]
	lat, svc, lag := r.Total.Latency, r.Total.ServiceTime, r.Total.ScheduleLag
	t.Logf("ops=%d latency p50=%v p90=%v service p50=%v lag p50=%v p99=%v", r.Total.Ops, lat.P50, lat.P90, svc.P50, lag.P50, lag.P99)
	if r.Total.Ops == 0 {
		t.Fatal("no operations")
	}
	if lat.P50 < svc.P50 || lat.Max < lag.Max {
		t.Errorf("latency %+v below its service time %+v or schedule lag %+v", lat, svc, lag)
	}
	if r.Total.LagHist.TotalCount() != r.Total.Ops {
		t.Errorf("%d lags for %d operations", r.Total.LagHist.TotalCount(), r.Total.Ops)
	}
}
