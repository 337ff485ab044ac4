package executor

import (
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
)

func TestConstantVUsSmoke(t *testing.T) {
	sc := &plan.Scenario{Name: "cv", Config: &ConstantVUs{VUs: 2, Duration: 500 * time.Millisecond}, Workload: workload(noopTarget())}
	res := run(t, onePlan(sc), Options{SnapshotInterval: 100 * time.Millisecond})
	r := res.Scenarios[0]
	t.Logf("ops=%d thr=%.0f p50=%v p99=%v max=%v vus=%d series=%d", r.Total.Ops, r.Total.Throughput, r.Total.Latency.P50, r.Total.Latency.P99, r.Total.Latency.Max, r.VUsMax, len(r.Series))
	if r.Total.Ops == 0 || r.VUsMax != 2 {
		t.Fatalf("ops=%d vus=%d", r.Total.Ops, r.VUsMax)
	}
}
