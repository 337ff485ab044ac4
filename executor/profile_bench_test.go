package executor

import (
	"context"
	"io"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

// benchProfiler does what package profiling's Session does around a run,
// for the benchmarks (package profiling imports this one): a CPU profile
// of the whole run at the runtime's 100 Hz, and at each scenario's start
// and end a forced garbage collection and a write of the allocation
// profile. The labels are the executor's own.
// The benchmark's timer stops around those: they happen once a scenario,
// before its load starts and after it ends, so they cost a run a fixed
// time (tens of milliseconds), not throughput, and in a 300ms benchmark
// they would read as a few per cent of it.
type benchProfiler struct{ b *testing.B }

func (p benchProfiler) ScenarioStart(string, targets.Target) { p.untimed(allocProfile) }
func (p benchProfiler) ScenarioEnd(string)                   { p.untimed(allocProfile) }

func (p benchProfiler) untimed(f func()) {
	p.b.StopTimer()
	f()
	p.b.StartTimer()
}

func allocProfile() {
	runtime.GC()
	_ = pprof.Lookup("allocs").WriteTo(io.Discard, 0)
}

// spinTarget is a CPU-bound target: each Do does a fixed amount of
// arithmetic, about 10µs on the 2-core VMs.
type spinTarget struct{}

func (spinTarget) Open(context.Context) error            { return nil }
func (spinTarget) NewWorker(int) (targets.Worker, error) { return spinWorker{}, nil }
func (spinTarget) Stats() map[string]float64             { return nil }
func (spinTarget) Close() error                          { return nil }
func (spinWorker) Do(_ context.Context, r *targets.Request) error {
	x := r.Key
	for range 5000 {
		x = x*6364136223846793005 + 1442695040888963407
	}
	spinSink.Store(x)
	return nil
}

type spinWorker struct{}

var spinSink atomic.Uint64

// BenchmarkRunProfile measures perfplan run --profile's cost: the run with
// and without profiling, on the noop target with one worker (the hot
// path: the label switch around Do and the profiler's signals, per
// operation) and on a CPU-bound target of about 10µs with a worker per
// core (throughput: the goal is under 3 % at 100 Hz).
func BenchmarkRunProfile(b *testing.B) {
	for _, bc := range []struct {
		name   string
		target *plan.Target
		vus    int
		on     bool
	}{
		{"noop/profile=on", noopTarget(), 1, true},
		{"noop/profile=off", noopTarget(), 1, false},
		{"spin/profile=on", kindTarget("spin", spinTarget{}), runtime.GOMAXPROCS(0), true},
		{"spin/profile=off", kindTarget("spin", spinTarget{}), runtime.GOMAXPROCS(0), false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			iters := max(int64(b.N)/int64(bc.vus), 1)
			sc := &plan.Scenario{Name: "b", Config: &PerVUIterations{VUs: bc.vus, Iterations: iters}, Workload: workload(bc.target)}
			p := onePlan(sc)
			// WakeJitter given: the interference probe's calibration
			// (about 50ms once a run) is a fixed cost on both sides.
			opts := Options{WakeJitter: 50 * time.Microsecond}
			if bc.on {
				opts.Profiler = benchProfiler{b: b}
				if err := pprof.StartCPUProfile(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			_, err := Run(context.Background(), p, opts)
			b.StopTimer()
			if bc.on {
				pprof.StopCPUProfile()
			}
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}
