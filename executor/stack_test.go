package executor

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/sleep"
)

// TestWorkerStackStaysSmall: a closed-model worker parked in the sleep
// target's Do (a Go timer, or a timer file for the last milliseconds)
// keeps the smallest goroutine stack, 2 KiB. With 10,000 workers the
// stacks are then 20 MiB; one frame too many on the way from the worker
// loop to the runtime's park doubles them, which this test catches. (A
// few workers grow their stacks once, at a rare deep call such as an
// allocation that refills the allocator's cache, and the run's other
// goroutines have stacks too: the figure per worker is a little above
// 2 KiB, and far below the 4 KiB of a doubled stack.)
func TestWorkerStackStaysSmall(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector enlarges frames and stack guards")
	}
	const n = 2000
	k := sleep.Kind()
	tg := &plan.Target{Kind: "sleep", Name: "s", Spec: &k,
		Config: targets.Config{Attrs: map[string]any{"latency": 100 * time.Millisecond}}}
	sc := &plan.Scenario{Name: "s", Config: &ConstantVUs{VUs: n, Duration: 1500 * time.Millisecond}, Workload: workload(tg)}
	// No garbage collection during the test: an allocation that assists
	// the collector takes a deep call chain, and whether the collector
	// runs while the workers make their first calls would make the
	// figure vary from run to run.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := Run(context.Background(), onePlan(sc), Options{NoResources: true}); err != nil {
			t.Error(err)
		}
	}()
	// By 1.2s every worker has slept about 11 times.
	time.Sleep(1200 * time.Millisecond)
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	<-done
	perWorker := float64(during.StackInuse-before.StackInuse) / n
	t.Logf("stack per worker: %.0f bytes", perWorker)
	if perWorker > 3*1024 {
		t.Errorf("stack per worker %.0f bytes, want about 2 KiB: a worker parked in Do needs more than the smallest stack", perWorker)
	}
}
