package executor

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/noop"
)

// The pacing benchmarks measure what an open model costs at a fixed rate on
// the noop target: the process's CPU time (user and system, from
// getrusage) per iteration, the cores it kept busy, and the schedule lag's
// 99th percentile. b.N is the number of iterations, so a run lasts b.N ÷
// rate; run them with -test.benchtime Nx (bench/run does):
//
//	go test -run '^$' -bench 'BenchmarkPace/rate=1000/' -benchtime 3000x ./executor
//
// The reference, sleep-loop, is the least a paced loop can cost with Go's
// timers: one goroutine that sleeps (time.Sleep) until each iteration's
// intended start, calls the noop target and records the lag into an
// HdrHistogram. Go's timers wake an idle process up to a millisecond late
// (see package internal/hrtimer), so its lag is not comparable; its CPU is
// the floor.

// paceRates are the rates the pacing benchmarks run at.
var paceRates = []int{1000, 100_000}

// BenchmarkPace runs the runner (constant-arrival-rate, default options:
// collector, resource sampler and interference probe on) and the reference
// loop at each rate.
func BenchmarkPace(b *testing.B) {
	for _, rate := range paceRates {
		b.Run(fmt.Sprintf("rate=%d/perfplan", rate), func(b *testing.B) { benchPaceRun(b, rate) })
		b.Run(fmt.Sprintf("rate=%d/sleep-loop", rate), func(b *testing.B) { benchPaceSleepLoop(b, rate) })
	}
}

// cpuTime returns the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportPace reports the CPU per iteration and the cores used over wall,
// and the lag's 99th percentile.
func reportPace(b *testing.B, cpu, wall, lagP50, lagP99 time.Duration) {
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(cpu)/float64(wall), "cores")
	b.ReportMetric(float64(lagP99)/float64(time.Microsecond), "lag-p99-µs")
	b.ReportMetric(float64(lagP50)/float64(time.Microsecond), "lag-p50-µs")
}

// cpuWindow is an Observer that reads the process's CPU time at each
// progress tick: the runner's steady cost is the CPU between the first and
// the last tick, without the run's set-up and tear-down.
type cpuWindow struct {
	n            int
	cpu0, cpu1   time.Duration
	wall0, wall1 time.Time
	ops0, ops1   int64
}

func (c *cpuWindow) ScenarioStart(string, time.Duration) {}
func (c *cpuWindow) ScenarioEnd(*ScenarioResult)         {}
func (c *cpuWindow) Progress(p Progress) {
	cpu, now := cpuTime(), time.Now()
	if c.n == 0 {
		c.cpu0, c.wall0, c.ops0 = cpu, now, p.Ops
	}
	c.cpu1, c.wall1, c.ops1 = cpu, now, p.Ops
	c.n++
}

func benchPaceRun(b *testing.B, rate int) {
	d := time.Duration(float64(b.N) / float64(rate) * float64(time.Second))
	sc := &plan.Scenario{Name: "pace", Config: &ConstantArrivalRate{Rate: float64(rate), TimeUnit: time.Second, Duration: d,
		PreAllocatedVUs: 4, MaxVUs: 100}, Workload: workload(noopTarget())}
	p := onePlan(sc)
	obs := &cpuWindow{}
	r, waits, spun := runPaced(b, p, obs)
	if obs.n < 2 || obs.ops1 <= obs.ops0 {
		if b.N > 1 {
			b.Fatalf("%d progress ticks over a run of %v: run at least 3s (-benchtime %dx)", obs.n, d, 3*rate)
		}
		return // the benchmark framework's first, one-iteration run
	}
	cpu, wall := obs.cpu1-obs.cpu0, obs.wall1.Sub(obs.wall0)
	b.ReportMetric(float64(cpu)/float64(obs.ops1-obs.ops0), "cpu-ns/op")
	b.ReportMetric(float64(cpu)/float64(wall), "cores")
	b.ReportMetric(float64(r.Total.ScheduleLag.P99)/float64(time.Microsecond), "lag-p99-µs")
	b.ReportMetric(float64(r.Total.ScheduleLag.P50)/float64(time.Microsecond), "lag-p50-µs")
	b.ReportMetric(float64(r.Dropped), "dropped")
	b.ReportMetric(float64(waits), "waits")
	b.ReportMetric(float64(spun), "spun")
}

// runPaced runs p's one scenario as Run does (its target opened, the
// options normalized, the wake-up jitter calibrated), and returns its
// result with how many waits its workers made on the pacer and how many of
// them spun.
func runPaced(b *testing.B, p *plan.Plan, obs Observer) (r *ScenarioResult, waits, spun int64) {
	ctx := context.Background()
	opened, order, err := openTargets(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		for _, t := range order {
			_ = opened[t].Close()
		}
	}()
	opts := normalize(Options{Observer: obs})
	opts.WakeJitter = calibrateJitter(calibrationWakes)
	s := newScenarioRun(0, p.Scenarios[0], opened, opts, &lockedObserver{o: obs})
	b.ResetTimer()
	r = s.run(ctx)
	b.StopTimer()
	for _, w := range s.workers {
		waits += w.wait.Precise + w.wait.Direct
		spun += w.wait.Spun
	}
	return r, waits, spun
}

func benchPaceSleepLoop(b *testing.B, rate int) {
	k := noop.Kind()
	tt, _ := k.New(targets.Config{})
	tw, _ := tt.NewWorker(0)
	h := metrics.NewHist()
	ctx := context.Background()
	req := &targets.Request{}
	interval := time.Second / time.Duration(rate)
	b.ResetTimer()
	c0, t0 := cpuTime(), time.Now()
	for i := range b.N {
		due := time.Duration(i+1) * interval
		if d := due - time.Since(t0); d > 0 {
			time.Sleep(d)
		}
		_ = h.RecordValue(int64(time.Since(t0) - due))
		_ = tw.Do(ctx, req)
	}
	c1, t1 := cpuTime(), time.Now()
	reportPace(b, c1-c0, t1.Sub(t0), time.Duration(h.ValueAtQuantile(50)), time.Duration(h.ValueAtQuantile(99)))
}
