package executor

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

// k6's executor tests (github.com/grafana/k6, lib/executor/*_test.go) are
// the oracle of perfplan's executors, which promise k6's names and
// semantics. Each test below ports one of them and names it. Times come
// from the pure schedule (arrivalSchedule, rampSteps), never from a clock;
// counts come from the real executor, where they follow from the plan's
// structure (a target that blocks every worker until its context is
// cancelled, a worker added only when another is held) and not from how
// fast this machine runs. Where k6's exact figure could in principle miss
// on a machine that stalls the whole process for a long time, the comment
// says how long the stall would have to be; the checks that hold whatever
// the timing (started + dropped = planned) come first.
//
// perfplan's execution segments are k6's with the sequence of n equal
// segments: perfplan's segment i/n is k6's i/n:(i+1)/n within the sequence
// 0,1/n,...,1 (docs/executors.md lists every deliberate difference from
// k6).

// k6Target counts the iterations started (calls of Do). A call blocks until
// its context is cancelled (block), or sleeps d while honouring it, or,
// with ignore, blocks until release is closed whatever its context. With
// holdFirst, the first call instead blocks until a second worker has been
// made (NewWorker with an id above 0).
type k6Target struct {
	started   atomic.Int64
	d         time.Duration
	block     bool
	ignore    bool
	release   chan struct{}
	holdFirst bool
	second    chan struct{}
	seconded  atomic.Bool
}

func (t *k6Target) Open(context.Context) error { return nil }
func (t *k6Target) Close() error               { return nil }
func (t *k6Target) Stats() map[string]float64  { return nil }
func (t *k6Target) NewWorker(id int) (targets.Worker, error) {
	if id > 0 && t.second != nil && t.seconded.CompareAndSwap(false, true) {
		close(t.second)
	}
	return t, nil
}

func (t *k6Target) Do(ctx context.Context, _ *targets.Request) error {
	n := t.started.Add(1)
	switch {
	case t.holdFirst && n == 1:
		select {
		case <-t.second:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	case t.ignore:
		<-t.release
		return nil
	case t.block:
		<-ctx.Done()
		return ctx.Err()
	case t.d > 0:
		tm := time.NewTimer(t.d)
		defer tm.Stop()
		select {
		case <-tm.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// k6Run runs one scenario of cfg against tgt with the given graceful_stop
// (0 is 0, unlike onePlan's default) and returns its result. A run still
// going after watchdog fails the test: every scenario here is planned to
// end within a few seconds, so only a runner that ignores graceful_stop
// (the bug of issue 19, where a target holding every worker held the run
// for as long as the target wished) can reach it.
func k6Run(t *testing.T, name string, cfg plan.ExecutorConfig, gracefulStop time.Duration, tgt targets.Target, opts Options) *ScenarioResult {
	t.Helper()
	const watchdog = 2 * time.Minute
	sc := &plan.Scenario{Name: name, Config: cfg, GracefulStop: gracefulStop, Workload: workload(kindTarget("k6", tgt))}
	p := &plan.Plan{Name: "k6", Targets: []*plan.Target{sc.Workload.Target}, Workloads: []*plan.Workload{sc.Workload}, Scenarios: []*plan.Scenario{sc}}
	type out struct {
		res *Result
		err error
	}
	ch := make(chan out, 1)
	go func() {
		res, err := Run(context.Background(), p, opts)
		ch <- out{res, err}
	}()
	select {
	case o := <-ch:
		if o.err != nil {
			t.Fatalf("Run: %v", o.err)
		}
		return o.res.Scenarios[0]
	case <-time.After(watchdog):
		t.Fatalf("scenario %s still running after %v: graceful_stop was not honoured", name, watchdog)
		return nil
	}
}

// TestK6RampingArrivalRateCal ports k6's TestRampingArrivalRateCal: the
// intended starts of ramping-arrival-rate over 0→1 in 5 s, 1 for 1 s, 1→0
// in 5 s, to 1 ms, for the whole plan and its segments, and at time_unit
// 1s/3 (18 starts, the first at 1.825 s). The cases of k6's segments
// without a sequence, whose striping perfplan does not have, are left out.
func TestK6RampingArrivalRateCal(t *testing.T) {
	t.Parallel()
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	stages := []plan.Stage{
		{Duration: 5 * time.Second, Target: 1},
		{Duration: time.Second, Target: 1},
		{Duration: 5 * time.Second, Target: 0},
	}
	tests := []struct {
		name string
		unit time.Duration
		seg  plan.Segment
		want []time.Duration
	}{
		{"whole", time.Second, plan.Segment{}, ms(3162, 4472, 5500, 6527, 7837, 11000)},
		{"0:1/3 of 0,1/3,2/3,1", time.Second, plan.Segment{Index: 0, Count: 3}, ms(3162, 6527)},
		{"1/3:2/3 of 0,1/3,2/3,1", time.Second, plan.Segment{Index: 1, Count: 3}, ms(4472, 7837)},
		{"2/3:1 of 0,1/3,2/3,1", time.Second, plan.Segment{Index: 2, Count: 3}, ms(5500, 11000)},
		{"time_unit 1s/3", time.Second / 3, plan.Segment{}, ms(
			1825, 2581, 3162, 3651, 4082, 4472,
			4830, 5166, 5499, 5833, 6169, 6527,
			6917, 7348, 7837, 8418, 9174, 10999)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newArrivalRampSchedule(0, tt.unit, stages).striped(tt.seg)
			if got := s.count(); got != int64(len(tt.want)) {
				t.Errorf("count = %d, want %d", got, len(tt.want))
			}
			var cur int
			var got []time.Duration
			for i := int64(0); ; i++ {
				at, ok := s.at(i, &cur)
				if !ok {
					break
				}
				got = append(got, at)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d starts %v, want %d %v", len(got), got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if d := got[i] - w; d < -time.Millisecond || d > time.Millisecond {
					t.Errorf("start %d at %v, want %v to 1ms", i, got[i], w)
				}
			}
		})
	}
}

// TestK6ArrivalRateGlobalIters ports the totals of k6's
// TestRampingArrivalRateGlobalIters (ramping 0→20→0 per 950 ms over 2 s:
// 21 iterations, numbered 0..20) and TestConstantArrivalRateGlobalIters (20
// per 950 ms for 1 s: 22, numbered 0..21): the whole plan's count and the
// segments' counts adding up to it. k6's per-segment numbers use the
// unequal sequence 0,1/4,3/4,1, which perfplan's equal segments cannot
// express; its equal thirds are checked against the whole instead. The
// executor then runs the ramping schedule against a target that returns at
// once: it starts every iteration it plans (started + dropped = 21 whatever
// the timing, and no drop unless every worker up to max_vus is held, which
// a target that returns at once never does).
func TestK6ArrivalRateGlobalIters(t *testing.T) {
	t.Parallel()
	unit := 950 * time.Millisecond
	ramp := []plan.Stage{{Duration: time.Second, Target: 20}, {Duration: time.Second, Target: 0}}
	scheds := []struct {
		name string
		mk   func() *arrivalSchedule
		want int64
	}{
		{"ramping", func() *arrivalSchedule { return newArrivalRampSchedule(0, unit, ramp) }, 21},
		{"constant", func() *arrivalSchedule { return newConstantSchedule(20, unit, time.Second) }, 22},
	}
	for _, sc := range scheds {
		if got := sc.mk().count(); got != sc.want {
			t.Errorf("%s: count = %d, want %d (k6)", sc.name, got, sc.want)
		}
		var sum int64
		for i := range 3 {
			sum += sc.mk().striped(plan.Segment{Index: i, Count: 3}).count()
		}
		if sum != sc.want {
			t.Errorf("%s: thirds add up to %d, want %d", sc.name, sum, sc.want)
		}
	}
	tgt := &k6Target{}
	r := k6Run(t, "global-iters", &RampingArrivalRate{TimeUnit: unit, Stages: ramp, PreAllocatedVUs: 4, MaxVUs: 5}, 100*time.Millisecond, tgt, Options{})
	started := tgt.started.Load()
	t.Logf("started %d ops %d dropped %d", started, r.Total.Ops, r.Dropped)
	if started+r.Dropped != 21 || started != r.Total.Ops {
		t.Errorf("started %d + dropped %d, want 21 planned; ops %d", started, r.Dropped, r.Total.Ops)
	}
	if r.Dropped != 0 {
		t.Errorf("dropped %d iterations of a target that returns at once", r.Dropped)
	}
}

// TestK6RampingArrivalRateCalCount runs k6's Cal stages at time_unit 1s/3
// through the executor, scaled tenfold faster (durations /10, time_unit
// /10, so the integral, 18, is k6's): it starts 18 iterations, the first
// one not at t = 0.
func TestK6RampingArrivalRateCalCount(t *testing.T) {
	t.Parallel()
	cfg := &RampingArrivalRate{TimeUnit: time.Second / 30, Stages: []plan.Stage{
		{Duration: 500 * time.Millisecond, Target: 1},
		{Duration: 100 * time.Millisecond, Target: 1},
		{Duration: 500 * time.Millisecond, Target: 0},
	}, PreAllocatedVUs: 2, MaxVUs: 4}
	if n := cfg.run().(*arrivalRate).sched.count(); n != 18 {
		t.Fatalf("schedule count = %d, want 18", n)
	}
	tgt := &k6Target{}
	r := k6Run(t, "cal", cfg, time.Second, tgt, Options{})
	t.Logf("started %d dropped %d", tgt.started.Load(), r.Dropped)
	if got := tgt.started.Load() + r.Dropped; got != 18 {
		t.Errorf("started + dropped = %d, want 18", got)
	}
	if r.Dropped != 0 {
		t.Errorf("dropped %d iterations of a target that returns at once", r.Dropped)
	}
}

// TestK6DroppedIterations ports k6's TestConstantArrivalRateDroppedIterations,
// TestPerVuIterationsEmitDroppedIterations and
// TestSharedIterationsEmitDroppedIterations: with a target that holds every
// iteration until its context is cancelled, 10/s for 950 ms on 5 workers
// starts 5 iterations and drops 5; 5 workers × 20 iterations and 100 shared
// iterations with max_duration 1s start 5 and drop 95. The started
// iterations are cut (not failed: errors stay 0 and no error is sampled).
// started + dropped = planned holds whatever the timing; k6's exact split
// needs each worker to start its first iteration (for the open model: its
// iteration due at most 400 ms in) within 600 ms, which only a stall of the
// whole process could prevent.
func TestK6DroppedIterations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		cfg              plan.ExecutorConfig
		planned, dropped int64
	}{
		{"constant-arrival-rate", &ConstantArrivalRate{Rate: 10, TimeUnit: time.Second, Duration: 950 * time.Millisecond, PreAllocatedVUs: 5, MaxVUs: 5}, 10, 5},
		{"per-vu-iterations", &PerVUIterations{VUs: 5, Iterations: 20, MaxDuration: time.Second}, 100, 95},
		{"shared-iterations", &SharedIterations{VUs: 5, Iterations: 100, MaxDuration: time.Second}, 100, 95},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tgt := &k6Target{block: true}
			r := k6Run(t, tt.name, tt.cfg, 0, tgt, Options{})
			started := tgt.started.Load()
			t.Logf("started %d dropped %d cut %d ops %d errors %d", started, r.Dropped, r.Cut, r.Total.Ops, r.Total.Errors)
			if started+r.Dropped != tt.planned {
				t.Errorf("started %d + dropped %d, want %d planned", started, r.Dropped, tt.planned)
			}
			if r.Cut != started || r.Total.Ops != 0 || r.Total.Errors != 0 || len(r.Total.ErrorSamples) != 0 {
				t.Errorf("cut %d of %d started, ops %d errors %d samples %v: want every started iteration cut, none failed",
					r.Cut, started, r.Total.Ops, r.Total.Errors, r.Total.ErrorSamples)
			}
			if r.Dropped != tt.dropped {
				t.Errorf("dropped %d, want %d (k6)", r.Dropped, tt.dropped)
			}
			if v, ok := r.Metric("dropped"); !ok || v != float64(r.Dropped) {
				t.Errorf("metric dropped = %v %v", v, ok)
			}
			if !plan.IsMetric(&plan.Scenario{Config: tt.cfg}, "dropped") {
				t.Errorf("dropped is not a metric of %s in assertions", tt.name)
			}
			if !r.Flagged() {
				t.Error("a result with dropped iterations is not flagged")
			}
		})
	}
}

// TestK6GracefulStopUnderDrops is the case of issue 19 beside k6's
// TestConstantArrivalRateDroppedIterations: a target that ignores its
// context and holds every worker. The scenario must still end (graceful_stop
// 0, then the abandonment second), with the 5 held iterations cut and the
// other 5 dropped. Before the fix it ran for as long as the target held
// (the watchdog of k6Run).
func TestK6GracefulStopUnderDrops(t *testing.T) {
	t.Parallel()
	tgt := &k6Target{ignore: true, release: make(chan struct{})}
	defer close(tgt.release)
	r := k6Run(t, "hung", &ConstantArrivalRate{Rate: 10, TimeUnit: time.Second, Duration: 950 * time.Millisecond, PreAllocatedVUs: 5, MaxVUs: 5}, 0, tgt, Options{})
	started := tgt.started.Load()
	t.Logf("started %d dropped %d cut %d elapsed %v", started, r.Dropped, r.Cut, r.Elapsed)
	if started+r.Dropped != 10 || r.Cut != started || r.Total.Ops != 0 {
		t.Errorf("started %d dropped %d cut %d ops %d: want started + dropped = 10, every started one cut", started, r.Dropped, r.Cut, r.Total.Ops)
	}
	if r.Cut != 5 || r.Dropped != 5 {
		t.Errorf("cut %d dropped %d, want 5 and 5 (k6)", r.Cut, r.Dropped)
	}
}

// TestK6RampingArrivalRateGracefulStop ports k6's
// TestRampingArrivalRateRunGracefulStop: 10 iterations per time unit for 2
// units on 10 workers, each iteration taking 2.5 units, a graceful_stop
// far longer: the first 10 iterations complete (none is cut), the next 10
// find every worker busy and are dropped. k6 runs it with a 1 s unit; here
// the unit is 100 ms, and graceful_stop 30 s rather than k6's 2.5 units,
// so that no busy machine can make an iteration outlast it (the run ends
// when the workers are done, not at the end of graceful_stop).
func TestK6RampingArrivalRateGracefulStop(t *testing.T) {
	t.Parallel()
	unit := 100 * time.Millisecond
	tgt := &k6Target{d: 250 * time.Millisecond}
	r := k6Run(t, "graceful", &RampingArrivalRate{StartRate: 10, TimeUnit: unit, Stages: []plan.Stage{{Duration: 2 * unit, Target: 10}}, PreAllocatedVUs: 10, MaxVUs: 10}, 30*time.Second, tgt, Options{})
	t.Logf("ops %d dropped %d cut %d", r.Total.Ops, r.Dropped, r.Cut)
	if r.Total.Ops+r.Dropped != 20 || r.Cut != 0 || r.Total.Errors != 0 {
		t.Errorf("ops %d + dropped %d, want 20; cut %d errors %d, want 0", r.Total.Ops, r.Dropped, r.Cut, r.Total.Errors)
	}
	if r.Total.Ops != 10 {
		t.Errorf("full iterations %d, want 10 (k6)", r.Total.Ops)
	}
}

// TestK6ArrivalRateActiveVUs ports k6's TestConstantArrivalRateActiveVUs and
// TestRampingArrivalRateActiveVUs: with every iteration held until its
// context is cancelled, the executor adds workers from pre_allocated_vus
// (5) up to max_vus (10) and no further, each running one iteration.
func TestK6ArrivalRateActiveVUs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     plan.ExecutorConfig
		planned int64
	}{
		{"constant", &ConstantArrivalRate{Rate: 10, TimeUnit: time.Second, Duration: 950 * time.Millisecond, PreAllocatedVUs: 5, MaxVUs: 10}, 10},
		// 10→20 per second over 950 ms: an integral of 14.25, 14 starts.
		{"ramping", &RampingArrivalRate{StartRate: 10, TimeUnit: time.Second, Stages: []plan.Stage{{Duration: 950 * time.Millisecond, Target: 20}}, PreAllocatedVUs: 5, MaxVUs: 10}, 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tgt := &k6Target{block: true}
			r := k6Run(t, tt.name, tt.cfg, 0, tgt, Options{})
			started := tgt.started.Load()
			t.Logf("started %d vus_max %d dropped %d", started, r.VUsMax, r.Dropped)
			if started < 5 || started > 10 || r.VUsMax < 5 || r.VUsMax > 10 || started > int64(r.VUsMax) {
				t.Errorf("started %d on %d workers, want 5..10 on at most max_vus", started, r.VUsMax)
			}
			if started+r.Dropped != tt.planned || r.Cut != started {
				t.Errorf("started %d dropped %d cut %d, want started + dropped = %d, each started one cut", started, r.Dropped, r.Cut, tt.planned)
			}
		})
	}
}

// TestK6RampingArrivalRateUnplannedVUs ports k6's
// TestRampingArrivalRateRunUnplannedVUs: 0→10 per second over 2 s minus
// 1 ns (9 iterations) on 1 pre-allocated worker, max_vus 3, where the first
// iteration holds its worker until the executor has made a second, unplanned
// one. The executor adds it, and every planned iteration is either started
// or dropped: 9 in all.
func TestK6RampingArrivalRateUnplannedVUs(t *testing.T) {
	t.Parallel()
	cfg := &RampingArrivalRate{TimeUnit: time.Second, Stages: []plan.Stage{{Duration: 2*time.Second - 1, Target: 10}}, PreAllocatedVUs: 1, MaxVUs: 3}
	if n := cfg.run().(*arrivalRate).sched.count(); n != 9 {
		t.Fatalf("schedule count = %d, want 9", n)
	}
	tgt := &k6Target{holdFirst: true, second: make(chan struct{})}
	r := k6Run(t, "unplanned", cfg, time.Second, tgt, Options{})
	t.Logf("started %d dropped %d vus_max %d", tgt.started.Load(), r.Dropped, r.VUsMax)
	if got := tgt.started.Load() + r.Dropped; got != 9 {
		t.Errorf("started + dropped = %d, want 9", got)
	}
	if r.VUsMax < 2 || r.VUsMax > 3 {
		t.Errorf("vus_max %d, want an unplanned worker within max_vus 3", r.VUsMax)
	}
}

// TestK6RampingVUsExecutionPlan ports k6's
// TestRampingVUsConfigExecutionPlanExample and
// TestRampingVUsExecutionTupleTests: the steps at which ramping-vus changes
// its VU count over k6's 34-second example, for the whole plan and for the
// segments of the sequence 0,1/3,2/3,1, and the planned end (23 s for the
// first eight stages).
func TestK6RampingVUsExecutionPlan(t *testing.T) {
	t.Parallel()
	s := time.Second
	stages := []plan.Stage{
		{Target: 6, Duration: 2 * s}, {Target: 1, Duration: 5 * s}, {Target: 5, Duration: 4 * s},
		{Target: 1, Duration: 4 * s}, {Target: 4, Duration: 3 * s}, {Target: 4, Duration: 2 * s},
		{Target: 1, Duration: 0}, {Target: 1, Duration: 3 * s},
		{Target: 5, Duration: 0}, {Target: 5, Duration: 3 * s}, {Target: 0, Duration: 0},
		{Target: 2, Duration: 2 * s}, {Target: 0, Duration: 2 * s}, {Target: 4, Duration: 4 * s},
	}
	// steps lists (second, VUs) pairs; the first is the start.
	steps := func(v ...int) []vuStep {
		out := make([]vuStep, 0, len(v)/2)
		for i := 0; i < len(v); i += 2 {
			out = append(out, vuStep{at: time.Duration(v[i]) * s, vus: v[i+1]})
		}
		return out
	}
	tests := []struct {
		name string
		seg  plan.Segment
		want []vuStep
	}{
		{"whole", plan.Segment{}, steps(0, 4, 1, 5, 2, 6, 3, 5, 4, 4, 5, 3, 6, 2, 7, 1, 8, 2, 9, 3, 10, 4, 11, 5, 12, 4, 13, 3,
			14, 2, 15, 1, 16, 2, 17, 3, 18, 4, 20, 1, 23, 5, 26, 0, 27, 1, 28, 2, 29, 1, 30, 0, 31, 1, 32, 2, 33, 3, 34, 4)},
		{"0:1/3 of 0,1/3,2/3,1", plan.Segment{Index: 0, Count: 3}, steps(0, 2, 5, 1, 10, 2, 13, 1, 18, 2, 20, 1, 23, 2, 26, 0, 27, 1, 30, 0, 31, 1, 34, 2)},
		{"1/3:2/3 of 0,1/3,2/3,1", plan.Segment{Index: 1, Count: 3}, steps(0, 1, 1, 2, 4, 1, 7, 0, 8, 1, 11, 2, 12, 1, 15, 0, 16, 1, 20, 0, 23, 2, 26, 0, 28, 1, 29, 0, 32, 1)},
		{"2/3:1 of 0,1/3,2/3,1", plan.Segment{Index: 2, Count: 3}, steps(0, 1, 2, 2, 3, 1, 6, 0, 9, 1, 14, 0, 17, 1, 20, 0, 23, 1, 26, 0, 33, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newRampingVUs(4, stages, 0, tt.seg)
			got := append([]vuStep{{at: 0, vus: e.startVUs}}, e.steps...)
			if len(got) != len(tt.want) {
				t.Fatalf("steps %v,\nwant %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("step %d = %v, want %v\nall: %v", i, got[i], tt.want[i], got)
				}
			}
		})
	}
	if e := newRampingVUs(4, stages[:8], 0, plan.Segment{}); e.planned() != 23*s {
		t.Errorf("planned end %v, want 23s", e.planned())
	}
}

// TestK6RampingVUsGracefulRampDownZero is the case of issue 19 beside k6's
// TestRampingVUsRun (graceful_ramp_down 0): 10→0 VUs over 1 s, then 500 ms
// at 0, against a target that answers in 50 ms. The workers removed by the
// ramp are cut at once, and a cut is never a failed operation: errors stay
// 0 (before the fix, a worker whose context the cut had cancelled before the
// control word changed recorded failure after failure of "context
// canceled"). The stage at 0 keeps the last removal clear of the
// scenario's end, whose graceful_stop cut could otherwise come first: only
// a 500 ms stall between a cut's timer and its firing could make a cut
// graceful_stop's.
func TestK6RampingVUsGracefulRampDownZero(t *testing.T) {
	t.Parallel()
	for i := range 3 {
		tgt := &k6Target{d: 50 * time.Millisecond}
		r := k6Run(t, "ramp-down", &RampingVUs{StartVUs: 10, Stages: []plan.Stage{{Duration: time.Second, Target: 0}, {Duration: 500 * time.Millisecond, Target: 0}}}, 0, tgt, Options{})
		t.Logf("run %d: started %d ops %d errors %d cut %d (ramp-down %d)", i, tgt.started.Load(), r.Total.Ops, r.Total.Errors, r.Cut, r.CutRampDown)
		if r.Total.Errors != 0 || len(r.Total.ErrorSamples) != 0 {
			t.Fatalf("run %d: %d errors %v, want none", i, r.Total.Errors, r.Total.ErrorSamples)
		}
		if r.Total.Ops+r.Cut != tgt.started.Load() {
			t.Errorf("run %d: ops %d + cut %d, want the %d started", i, r.Total.Ops, r.Cut, tgt.started.Load())
		}
		if r.CutRampDown != r.Cut {
			t.Errorf("run %d: %d cut, %d by the ramp-down: the rest cannot be graceful_stop's (no worker is active at the end)", i, r.Cut, r.CutRampDown)
		}
	}
}

// TestK6RampingVUsGracefulRampDown ports k6's TestRampingVUsGracefulRampDown
// and TestRampingVUsHandleRemainingVUs: a worker removed by a ramp-down
// whose iteration outlasts graceful_ramp_down is cut, and the cut is counted
// as a ramp-down cut, not one of graceful_stop. Here the removed worker's
// iteration never ends by itself, so the cut does not depend on timing.
func TestK6RampingVUsGracefulRampDown(t *testing.T) {
	t.Parallel()
	tgt := &k6Target{block: true}
	r := k6Run(t, "ramp-down-grace", &RampingVUs{StartVUs: 2, Stages: []plan.Stage{{Duration: 200 * time.Millisecond, Target: 2}, {Duration: 200 * time.Millisecond, Target: 0}}, GracefulRampDown: 100 * time.Millisecond}, 5*time.Second, tgt, Options{})
	t.Logf("started %d cut %d ramp-down %d", tgt.started.Load(), r.Cut, r.CutRampDown)
	if r.Cut != tgt.started.Load() || r.CutRampDown != r.Cut || r.CutInterrupt != 0 || r.Total.Errors != 0 {
		t.Errorf("started %d cut %d (ramp-down %d, interrupt %d) errors %d: want every iteration cut by the ramp-down", tgt.started.Load(), r.Cut, r.CutRampDown, r.CutInterrupt, r.Total.Errors)
	}
	if r.Cut < 2 {
		t.Errorf("cut %d, want both workers' iterations", r.Cut)
	}
}

// TestK6RampingVUsGracefulStop ports k6's TestRampingVUsGracefulStopWaits
// and TestRampingVUsGracefulStopStops: an iteration in flight at the end
// completes within graceful_stop (here one taking 300 ms after a 100 ms
// stage, with a graceful_stop of 30 s no machine can outlast), and one that
// never ends is cut when graceful_stop expires, counted as graceful_stop's
// cut.
func TestK6RampingVUsGracefulStop(t *testing.T) {
	t.Parallel()
	cfg := func() plan.ExecutorConfig {
		return &RampingVUs{StartVUs: 1, Stages: []plan.Stage{{Duration: 100 * time.Millisecond, Target: 1}}}
	}
	t.Run("waits", func(t *testing.T) {
		t.Parallel()
		r := k6Run(t, "waits", cfg(), 30*time.Second, &k6Target{d: 300 * time.Millisecond}, Options{})
		if r.Total.Ops != 1 || r.Cut != 0 || r.Total.Errors != 0 {
			t.Errorf("ops %d cut %d errors %d, want the iteration completed", r.Total.Ops, r.Cut, r.Total.Errors)
		}
	})
	t.Run("stops", func(t *testing.T) {
		t.Parallel()
		r := k6Run(t, "stops", cfg(), 200*time.Millisecond, &k6Target{block: true}, Options{})
		if r.Total.Ops != 0 || r.Cut != 1 || r.CutRampDown != 0 || r.CutInterrupt != 0 || r.Total.Errors != 0 {
			t.Errorf("ops %d cut %d (ramp-down %d, interrupt %d) errors %d, want one graceful_stop cut", r.Total.Ops, r.Cut, r.CutRampDown, r.CutInterrupt, r.Total.Errors)
		}
	})
}

// TestK6RampingVUsActiveVUs ports the active-VU samples of k6's
// TestRampingVUsRun (5 VUs for 1 s, then 3 for 1 s): the series shows 5
// during the first stage and 3 during the second. A point's active VUs is
// the most workers active during its interval, so only the points whose
// interval lies within a stage are checked, 150 ms clear of the change (the
// driver's step would have to be that late for one to read otherwise).
// With graceful_ramp_down 0 the removed workers are cut at once (k6's
// case, iterations of 300 ms); with 30 s they finish their iteration (here
// of 700 ms, so the one in flight at 1 s ends at 1.4 s), and they no
// longer count as active meanwhile (issue 19: a 3-VU stage read 4).
func TestK6RampingVUsActiveVUs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ rampDown, iteration time.Duration }{{0, 300 * time.Millisecond}, {30 * time.Second, 700 * time.Millisecond}} {
		rampDown := tc.rampDown
		t.Run(rampDown.String(), func(t *testing.T) {
			t.Parallel()
			cfg := &RampingVUs{StartVUs: 5, GracefulRampDown: rampDown, Stages: []plan.Stage{{Duration: time.Second, Target: 5}, {Duration: 0, Target: 3}, {Duration: time.Second, Target: 3}}}
			r := k6Run(t, "active", cfg, 0, &k6Target{d: tc.iteration}, Options{SnapshotInterval: 100 * time.Millisecond})
			if r.VUsMax != 5 {
				t.Errorf("vus_max %d, want 5", r.VUsMax)
			}
			var in5, in3 int
			var from time.Duration
			for _, p := range r.Series {
				switch {
				case from >= 150*time.Millisecond && p.Offset <= 950*time.Millisecond:
					in5++
					if p.ActiveVUs != 5 {
						t.Errorf("interval %v-%v: %d active VUs, want 5", from, p.Offset, p.ActiveVUs)
					}
				case from >= 1150*time.Millisecond && p.Offset <= 1950*time.Millisecond:
					in3++
					if p.ActiveVUs != 3 {
						t.Errorf("interval %v-%v: %d active VUs, want 3", from, p.Offset, p.ActiveVUs)
					}
				}
				from = p.Offset
			}
			t.Logf("%d intervals in the 5-VU stage, %d in the 3-VU stage", in5, in3)
		})
	}
}
