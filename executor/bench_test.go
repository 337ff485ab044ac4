package executor

import (
	"context"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/noop"
)

// hotRun builds a one-worker closed-model scenario on noop without starting
// any goroutine, so a benchmark can drive the worker loop itself.
func hotRun(tb testing.TB) *worker {
	tb.Helper()
	pt := noopTarget()
	tt, err := pt.Spec.New(pt.Config)
	if err != nil {
		tb.Fatal(err)
	}
	sc := &plan.Scenario{Name: "bench", Config: &PerVUIterations{VUs: 1}, Workload: workload(pt)}
	s := &scenarioRun{sc: sc, target: tt}
	s.stopCh, s.wake, s.abortIdx = make(chan struct{}), make(chan struct{}), -1
	s.ops = sc.Workload.Ops
	s.picker = newOpPicker(s.ops)
	s.set = metrics.NewSet(len(s.ops), false)
	s.doCtx, s.doCancel = context.WithCancel(context.Background())
	tb.Cleanup(s.doCancel)
	s.base = time.Now()
	s.active.Store(math.MaxInt64)
	w, err := s.newWorkerFor(0)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// runHot runs n iterations of the real closed-model worker loop.
func runHot(w *worker, n int64) {
	w.state.Store(wsRunning)
	w.s.wg.Add(1)
	w.s.live.Add(1)
	w.runClosed(n)
}

// BenchmarkBareLoop is the reference: a loop that times each call through
// the targets.Worker interface with time.Now/time.Since and records it into
// an HdrHistogram.
func BenchmarkBareLoop(b *testing.B) {
	k := noop.Kind()
	tt, _ := k.New(targets.Config{})
	tw, _ := tt.NewWorker(0)
	h := metrics.NewHist()
	ctx := context.Background()
	req := &targets.Request{}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		_ = tw.Do(ctx, req)
		_ = h.RecordValue(int64(time.Since(t0)))
	}
}

// BenchmarkRunnerHotPath runs b.N iterations of the runner's own closed-model
// worker loop on noop: operation and key choice, Do, one clock read, staging
// and batched flushing into the shard histograms.
func BenchmarkRunnerHotPath(b *testing.B) {
	w := hotRun(b)
	b.ReportAllocs()
	b.ResetTimer()
	runHot(w, int64(b.N))
}

// BenchmarkRunPerVUIterations is the whole of Run for one worker running b.N
// iterations on noop, set-up, collector and result included, with the
// resource sampler on (the default) and off (Options.NoResources), at the
// default 1s snapshot interval and at 10ms (100 times the sampling rate).
// The ratio of the on and off figures is the sampler's cost to the hot
// path (see docs/metrics.md, "Cost of sampling").
func BenchmarkRunPerVUIterations(b *testing.B) {
	for _, bc := range []struct {
		name     string
		interval time.Duration
		off      bool
	}{
		{"resources=on", 0, false},
		{"resources=off", 0, true},
		{"resources=on/interval=10ms", 10 * time.Millisecond, false},
		{"resources=off/interval=10ms", 10 * time.Millisecond, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			sc := &plan.Scenario{Name: "b", Config: &PerVUIterations{VUs: 1, Iterations: int64(b.N)}, Workload: workload(noopTarget())}
			p := onePlan(sc)
			b.ReportAllocs()
			b.ResetTimer()
			// WakeJitter given: the interference probe's calibration (50
			// wake-ups, about 50ms once a run, before the load) is a fixed
			// cost of a run, not a cost per operation, and would add
			// about 10ns/op to a 300ms benchmark.
			if _, err := Run(context.Background(), p, Options{NoResources: bc.off, SnapshotInterval: bc.interval, WakeJitter: 50 * time.Microsecond}); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// TestHotPathAllocs: the worker loop allocates nothing per operation.
func TestHotPathAllocs(t *testing.T) {
	w := hotRun(t)
	runHot(w, 10) // warm up
	a := testing.AllocsPerRun(20, func() { runHot(w, 10000) })
	if a != 0 {
		t.Fatalf("worker loop: %v allocations per 10000 operations, want 0", a)
	}
}

// TestOpenHotPathAllocs: the open-model worker loop allocates nothing per
// operation either.
func TestOpenHotPathAllocs(t *testing.T) {
	w := hotRun(t)
	s := w.s
	s.set = metrics.NewSet(len(s.ops), true)
	w.rec = s.set.NewRecorder(0)
	// 10000 iterations due 1 ns apart: the worker runs them back to back.
	s.sched.Store(newConstantSchedule(1e9, time.Second, 10*time.Microsecond))
	s.maxVUs = 1
	s.nworkers.Store(1)
	one := func() {
		s.next.Store(0)
		w.seg = 0
		s.base = time.Now()
		w.state.Store(wsRunning)
		s.wg.Add(1)
		s.live.Add(1)
		w.runOpen()
	}
	one()
	if a := testing.AllocsPerRun(10, one); a != 0 {
		t.Fatalf("open worker loop: %v allocations per 10000 operations, want 0", a)
	}
}

// BenchmarkBareLoopParallel is BenchmarkBareLoop on every core, one
// histogram per goroutine.
func BenchmarkBareLoopParallel(b *testing.B) {
	k := noop.Kind()
	tt, _ := k.New(targets.Config{})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		tw, _ := tt.NewWorker(0)
		h := metrics.NewHist()
		req := &targets.Request{}
		for pb.Next() {
			t0 := time.Now()
			_ = tw.Do(ctx, req)
			_ = h.RecordValue(int64(time.Since(t0)))
		}
	})
}

// BenchmarkRunParallel is Run with one worker per core (per-vu-iterations),
// b.N iterations in total.
func BenchmarkRunParallel(b *testing.B) {
	n := runtime.GOMAXPROCS(0)
	sc := &plan.Scenario{Name: "b", Config: &PerVUIterations{VUs: n, Iterations: int64(b.N/n + 1)}, Workload: workload(noopTarget())}
	p := onePlan(sc)
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := Run(context.Background(), p, Options{}); err != nil {
		b.Fatal(err)
	}
}
