package executor

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// TestBatchWake: an iteration less than a grain after the one before it
// wakes at the next step of the grid; a sparser one at its intended start.
func TestBatchWake(t *testing.T) {
	t.Parallel()
	const g = 25 * time.Microsecond
	us := time.Microsecond
	for _, tc := range []struct {
		name            string
		due, prev, want time.Duration
	}{
		{"sparse", 1000 * us, 0, 1000 * us},
		{"a grain apart", 50 * us, 25 * us, 50 * us},
		{"dense, rounded up", 31 * us, 21 * us, 50 * us},
		{"dense, on the grid", 50 * us, 40 * us, 50 * us},
		{"dense, just past the grid", 50*us + 1, 40 * us, 75 * us},
		{"first", 0, 0, 0},
	} {
		if got := batchWake(tc.due, tc.prev, g); got != tc.want {
			t.Errorf("%s: batchWake(%v, %v) = %v, want %v", tc.name, tc.due, tc.prev, got, tc.want)
		}
		if got := batchWake(tc.due, tc.prev, g); got < tc.due {
			t.Errorf("%s: wakes %v before its iteration is due", tc.name, tc.due-got)
		}
	}
}

// TestPacerNeverSpins: an open model's workers wait on the pacer without
// spinning, at a sparse rate and at a dense one (batched), and the
// iterations all run.
func TestPacerNeverSpins(t *testing.T) {
	for _, rate := range []float64{2000, 50_000} {
		sc := &plan.Scenario{Name: "pace", Config: &ConstantArrivalRate{Rate: rate, TimeUnit: time.Second, Duration: 300 * time.Millisecond,
			PreAllocatedVUs: 2, MaxVUs: 20}, Workload: workload(noopTarget())}
		p := onePlan(sc)
		ctx := context.Background()
		opened, order, err := openTargets(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		s := newScenarioRun(0, p.Scenarios[0], opened, normalize(Options{NoResources: true}), nil)
		r := s.run(ctx)
		for _, tg := range order {
			_ = opened[tg].Close()
		}
		var waits, spun int64
		for _, w := range s.workers {
			waits += w.wait.Precise + w.wait.Direct
			spun += w.wait.Spun
		}
		if spun != 0 {
			t.Errorf("rate %v: %d of the pacer's waits spun", rate, spun)
		}
		if waits == 0 && runtime.GOOS == "linux" {
			t.Errorf("rate %v: no wait used the pacer's alarm", rate)
		}
		if want := int64(rate * 0.3); r.Total.Ops+r.Dropped != want {
			t.Errorf("rate %v: %d ran and %d dropped, want %d in all", rate, r.Total.Ops, r.Dropped, want)
		}
	}
}
