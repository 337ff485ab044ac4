package executor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

// failing fails every operation after d, so that operations are in
// flight whenever the control word changes (snapshot ticks, the stop).
type failing struct{ d time.Duration }

func (f *failing) Open(context.Context) error            { return nil }
func (f *failing) Close() error                          { return nil }
func (f *failing) Stats() map[string]float64             { return nil }
func (f *failing) NewWorker(int) (targets.Worker, error) { return f, nil }
func (f *failing) Do(ctx context.Context, _ *targets.Request) error {
	time.Sleep(f.d)
	return errors.New("refused")
}

// TestErrorSampleCountsAddUp: the count of an op's only error message is
// its error count, whichever path recorded each error (an operation that
// ended as the control word changed included), with either model.
func TestErrorSampleCountsAddUp(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]plan.ExecutorConfig{
		"closed": &ConstantVUs{VUs: 4, Duration: 200 * time.Millisecond},
		"open":   &ConstantArrivalRate{Rate: 2000, TimeUnit: time.Second, Duration: 200 * time.Millisecond, PreAllocatedVUs: 4, MaxVUs: 8},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc := &plan.Scenario{Name: "s", Config: cfg, GracefulStop: time.Minute, Workload: workload(kindTarget("failing", &failing{d: time.Millisecond}))}
			res, err := Run(context.Background(), onePlan(sc), Options{NoResources: true, SnapshotInterval: 5 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			r := res.Scenarios[0]
			es := r.Ops[0].ErrorSamples
			if r.Total.Errors == 0 || len(es) != 1 || es[0].Count != r.Total.Errors {
				t.Errorf("errors %d, samples %+v: the counts do not add up", r.Total.Errors, es)
			}
		})
	}
}
