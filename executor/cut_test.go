package executor

import (
	"context"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

// cancelAtTarget blocks every call until its context is cancelled, and
// calls cancel once n calls have started.
type cancelAtTarget struct {
	k6Target
	n      int64
	cancel context.CancelFunc
}

func (t *cancelAtTarget) NewWorker(int) (targets.Worker, error) { return t, nil }
func (t *cancelAtTarget) Do(ctx context.Context, _ *targets.Request) error {
	if t.started.Add(1) == t.n {
		t.cancel()
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestInterruptCutsCountedApart: iterations in flight when a signal stops
// the scenario, cut once graceful_stop expires, count as the interrupt's
// cuts, not as graceful_stop's at the scenario's end, and never as failures.
func TestInterruptCutsCountedApart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tgt := &cancelAtTarget{n: 3, cancel: cancel}
	sc := &plan.Scenario{Name: "i", Config: &ConstantVUs{VUs: 3, Duration: time.Minute}, GracefulStop: 100 * time.Millisecond, Workload: workload(kindTarget("cancel", tgt))}
	res, err := Run(ctx, onePlan(sc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Scenarios[0]
	if !r.Interrupted || r.Cut != 3 || r.CutInterrupt != 3 || r.CutRampDown != 0 || r.Total.Errors != 0 || len(r.Total.ErrorSamples) != 0 {
		t.Fatalf("interrupted %v cut %d (interrupt %d, ramp-down %d) errors %d %v: want 3 interrupt cuts, no errors",
			r.Interrupted, r.Cut, r.CutInterrupt, r.CutRampDown, r.Total.Errors, r.Total.ErrorSamples)
	}
	if r.Dropped != 0 {
		t.Errorf("dropped %d: an interrupted scenario's unstarted work is not dropped", r.Dropped)
	}
}
