package executor

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

// panicky is a target that panics in the method named by in, ("do" panics
// on every third call).
type panicky struct {
	in    string
	calls atomic.Int64
}

func (p *panicky) Open(context.Context) error {
	if p.in == "open" {
		panic("open exploded")
	}
	return nil
}

func (p *panicky) Close() error {
	if p.in == "close" {
		panic("close exploded")
	}
	return nil
}

func (p *panicky) Stats() map[string]float64 {
	if p.in == "stats" {
		panic("stats exploded")
	}
	return map[string]float64{"calls": float64(p.calls.Load())}
}

func (p *panicky) NewWorker(id int) (targets.Worker, error) {
	if p.in == "newworker" {
		panic("newworker exploded")
	}
	return p, nil
}

func (p *panicky) Do(context.Context, *targets.Request) error {
	if p.calls.Add(1)%3 == 0 && p.in == "do" {
		panic(errors.New("do exploded"))
	}
	if p.in == "control" {
		time.Sleep(time.Millisecond) // outlast the event
	}
	return nil
}

func (p *panicky) Control(context.Context, string, targets.Config) error {
	if p.in == "control" {
		panic("control exploded")
	}
	return nil
}

// TestTargetPanics: a panic in any method of a target never ends the run.
func TestTargetPanics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in       string
		executor string
		check    func(t *testing.T, res *Result, err error)
	}{
		{"do", PerVUIterationsName, func(t *testing.T, res *Result, err error) {
			r := res.Scenarios[0]
			if err != nil || r.Total.Ops != 300 || r.Total.Errors != 100 || r.Panics != 100 {
				t.Fatalf("err %v ops %d errors %d panics %d, want 300 ops with 100 failed by panics", err, r.Total.Ops, r.Total.Errors, r.Panics)
			}
			es := r.Ops[0].ErrorSamples
			if len(es) != 1 || es[0].Count != 100 || !strings.Contains(es[0].Message, "panic: do exploded at panic_test.go:") ||
				!strings.Contains(es[0].Message, "(*panicky).Do") {
				t.Fatalf("error samples %+v, want the panic with its frame", es)
			}
		}},
		{"do", ConstantArrivalRateName, func(t *testing.T, res *Result, err error) {
			r := res.Scenarios[0]
			if err != nil || r.Panics == 0 || r.Total.Errors != r.Panics || r.Total.Ops < 3*r.Panics-2 {
				t.Fatalf("err %v ops %d errors %d panics %d", err, r.Total.Ops, r.Total.Errors, r.Panics)
			}
		}},
		{"newworker", PerVUIterationsName, func(t *testing.T, res *Result, err error) {
			if err != nil || !res.TargetFailed() || res.Passed() {
				t.Fatalf("err %v target failed %v passed %v", err, res.TargetFailed(), res.Passed())
			}
			if f := res.Scenarios[0].TargetFailure; !strings.Contains(f, "NewWorker panicked: newworker exploded") || !strings.Contains(f, "target panicky.t") {
				t.Fatalf("target failure %q", f)
			}
		}},
		{"open", PerVUIterationsName, func(t *testing.T, res *Result, err error) {
			var te *TargetError
			if !errors.As(err, &te) || !strings.Contains(err.Error(), "Open panicked: open exploded") {
				t.Fatalf("err = %v, want a TargetError for the panic", err)
			}
		}},
		{"stats", PerVUIterationsName, func(t *testing.T, res *Result, err error) {
			r := res.Scenarios[0]
			if err != nil || r.Total.Ops != 300 || r.TargetStats != nil || len(r.WorkerErrors) != 1 || !strings.Contains(r.WorkerErrors[0], "Stats panicked") {
				t.Fatalf("err %v ops %d stats %v errors %q", err, r.Total.Ops, r.TargetStats, r.WorkerErrors)
			}
		}},
		{"close", PerVUIterationsName, func(t *testing.T, res *Result, err error) {
			if err != nil || res.Scenarios[0].Total.Ops != 300 || len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "Close panicked: close exploded") {
				t.Fatalf("err %v errors %q", err, res.Errors)
			}
		}},
		{"control", PerVUIterationsName, func(t *testing.T, res *Result, err error) {
			r := res.Scenarios[0]
			if err != nil || len(r.EventErrors) != 1 || !strings.Contains(r.EventErrors[0], "Control panicked") {
				t.Fatalf("err %v event errors %q", err, r.EventErrors)
			}
		}},
	} {
		t.Run(tc.in+"/"+tc.executor, func(t *testing.T) {
			t.Parallel()
			pt := kindTarget("panicky", &panicky{in: tc.in})
			var cfg plan.ExecutorConfig = &PerVUIterations{VUs: 1, Iterations: 300, MaxDuration: time.Minute}
			if tc.executor == ConstantArrivalRateName {
				cfg = &ConstantArrivalRate{Rate: 300, TimeUnit: time.Second, Duration: 300 * time.Millisecond, PreAllocatedVUs: 1, MaxVUs: 2}
			}
			sc := &plan.Scenario{Name: "s", Config: cfg, Workload: workload(pt)}
			if tc.in == "control" {
				sc.Events = []plan.Event{{At: 0, Target: pt, Action: "poke"}}
			}
			res, err := Run(context.Background(), onePlan(sc), Options{NoResources: true})
			tc.check(t, res, err)
		})
	}
}

// TestInterruptWhileOpening: a signal while a target opens is an
// interruption, not a target failure.
func TestInterruptWhileOpening(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	pt := kindTarget("slow", &slowOpen{cancel: cancel})
	sc := &plan.Scenario{Name: "s", Config: &PerVUIterations{VUs: 1, Iterations: 1}, Workload: workload(pt)}
	res, err := Run(ctx, onePlan(sc), Options{NoResources: true})
	if err != nil || res == nil || !res.Interrupted || len(res.Scenarios) != 0 {
		t.Fatalf("res %+v err %v, want an interrupted result", res, err)
	}
}

// slowOpen cancels the run while it opens, then fails as a context-aware
// Open does.
type slowOpen struct{ cancel context.CancelFunc }

func (s *slowOpen) Open(ctx context.Context) error {
	s.cancel()
	<-ctx.Done()
	return ctx.Err()
}
func (s *slowOpen) Close() error                          { return nil }
func (s *slowOpen) Stats() map[string]float64             { return nil }
func (s *slowOpen) NewWorker(int) (targets.Worker, error) { return nil, errors.New("unused") }

// TestAbortCutsInFlight: with graceful_stop at a minute and every operation
// stuck, an abort after the interrupt ends the run at once, counting the
// stuck operations as cut.
func TestAbortCutsInFlight(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	abort := make(chan struct{})
	sc := &plan.Scenario{Name: "s", Config: &ConstantVUs{VUs: 4, Duration: time.Hour}, GracefulStop: time.Minute, Workload: workload(kindTarget("stuck", &sleepTarget{d: time.Hour}))}
	done := make(chan *Result)
	go func() {
		res, _ := Run(ctx, onePlan(sc), Options{NoResources: true, Abort: abort})
		done <- res
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case <-done:
		t.Fatal("the run ended before its graceful stop without an abort")
	case <-time.After(200 * time.Millisecond):
	}
	close(abort)
	res := <-done // the test's own timeout catches a hang
	r := res.Scenarios[0]
	if !res.Interrupted || r.Cut != 4 {
		t.Fatalf("interrupted %v cut %d, want the 4 stuck operations cut", res.Interrupted, r.Cut)
	}
}
