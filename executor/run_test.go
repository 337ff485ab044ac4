package executor

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

func TestSharedIterationsExact(t *testing.T) {
	sc := &plan.Scenario{Name: "si", Config: &SharedIterations{VUs: 7, Iterations: 10007, MaxDuration: time.Minute}, Workload: workload(noopTarget())}
	r := run(t, onePlan(sc), Options{}).Scenarios[0]
	if r.Total.Ops != 10007 || r.Ops[0].Ops != 10007 {
		t.Fatalf("ops = %d, want 10007", r.Total.Ops)
	}
}

func TestPerVUIterationsExact(t *testing.T) {
	sc := &plan.Scenario{Name: "pv", Config: &PerVUIterations{VUs: 5, Iterations: 1001, MaxDuration: time.Minute}, Workload: workload(noopTarget())}
	r := run(t, onePlan(sc), Options{}).Scenarios[0]
	if r.Total.Ops != 5005 || r.VUsMax != 5 {
		t.Fatalf("ops = %d vus = %d, want 5005 and 5", r.Total.Ops, r.VUsMax)
	}
}

// TestWeightsAndKeys runs a two-op workload with each key distribution and
// checks the op split and the key range.
func TestWeightsAndKeys(t *testing.T) {
	for _, dist := range []string{plan.DistUniform, plan.DistZipf, plan.DistSequential, plan.DistHotspot} {
		t.Run(dist, func(t *testing.T) {
			rec := &recTarget{max: 100}
			pt := kindTarget("rec", rec)
			wl := workload(pt)
			wl.Ops = []plan.Op{{Name: "op", Index: 0, Weight: 3}, {Name: "get", Index: 1, Weight: 1}}
			wl.Keys = plan.KeySpace{Count: 100, Distribution: dist, ZipfS: 1.2, ZipfV: 1, HotFraction: 0.1, HotRate: 0.9}
			wl.ValueSize = 64
			sc := &plan.Scenario{Name: "w", Config: &SharedIterations{VUs: 2, Iterations: 40000, MaxDuration: time.Minute}, Workload: wl}
			r := run(t, onePlan(sc), Options{}).Scenarios[0]
			if r.Total.Ops != 40000 {
				t.Fatalf("ops = %d", r.Total.Ops)
			}
			share := float64(r.Ops[0].Ops) / 40000
			if share < 0.72 || share > 0.78 {
				t.Errorf("op share = %.3f, want 0.75", share)
			}
			if rec.bad.Load() != 0 {
				t.Errorf("%d keys out of range or bad values", rec.bad.Load())
			}
			hot := float64(rec.low.Load()) / 40000 // keys < 10
			switch dist {
			case plan.DistHotspot:
				if hot < 0.88 || hot > 0.92 {
					t.Errorf("hot share = %.3f, want 0.9", hot)
				}
			case plan.DistZipf:
				if hot < 0.4 {
					t.Errorf("zipf share of 10 lowest keys = %.3f, want skewed", hot)
				}
			case plan.DistUniform, plan.DistSequential:
				if hot < 0.08 || hot > 0.12 {
					t.Errorf("share of 10 lowest keys = %.3f, want 0.1", hot)
				}
			}
		})
	}
}

// recTarget checks keys and values.
type recTarget struct {
	max      uint64
	bad, low atomic.Int64
}

func (t *recTarget) Open(context.Context) error            { return nil }
func (t *recTarget) Close() error                          { return nil }
func (t *recTarget) Stats() map[string]float64             { return map[string]float64{"x": 1} }
func (t *recTarget) NewWorker(int) (targets.Worker, error) { return t, nil }
func (t *recTarget) Do(_ context.Context, r *targets.Request) error {
	if r.Key >= t.max || len(r.Value) != 64 {
		t.bad.Add(1)
	}
	if r.Key < 10 {
		t.low.Add(1)
	}
	return nil
}

func TestRampingVUsFollowsStages(t *testing.T) {
	sc := &plan.Scenario{Name: "rv", Config: &RampingVUs{StartVUs: 0, Stages: []plan.Stage{
		{Duration: 400 * time.Millisecond, Target: 4},
		{Duration: 600 * time.Millisecond, Target: 4},
		{Duration: 200 * time.Millisecond, Target: 1},
		{Duration: 400 * time.Millisecond, Target: 1},
	}, GracefulRampDown: 100 * time.Millisecond}, Workload: workload(kindTarget("slow", &sleepTarget{d: time.Millisecond}))}
	r := run(t, onePlan(sc), Options{SnapshotInterval: 100 * time.Millisecond}).Scenarios[0]
	if r.VUsMax != 4 {
		t.Fatalf("VUsMax = %d, want 4", r.VUsMax)
	}
	// A point's ActiveVUs is the peak of its interval (from the point
	// before it to its offset), so the check holds however late the
	// collector ran on a loaded machine.
	var sawFour bool
	var from time.Duration
	for _, p := range r.Series {
		if from < 900*time.Millisecond && p.Offset > 500*time.Millisecond && p.ActiveVUs == 4 {
			sawFour = true
		}
		if from > 1350*time.Millisecond && p.Offset < 1550*time.Millisecond && p.ActiveVUs > 1 {
			t.Errorf("interval %v-%v: %d active VUs, want 1", from, p.Offset, p.ActiveVUs)
		}
		if p.ActiveVUs > 4 {
			t.Errorf("interval %v-%v: %d active VUs, more than any stage's 4", from, p.Offset, p.ActiveVUs)
		}
		from = p.Offset
	}
	if !sawFour {
		t.Errorf("series never shows 4 VUs during the plateau: %+v", r.Series)
	}
	if r.Total.Ops == 0 {
		t.Fatal("no ops")
	}
}

// sleepTarget sleeps d per call.
type sleepTarget struct{ d time.Duration }

func (t *sleepTarget) Open(context.Context) error            { return nil }
func (t *sleepTarget) Close() error                          { return nil }
func (t *sleepTarget) Stats() map[string]float64             { return nil }
func (t *sleepTarget) NewWorker(int) (targets.Worker, error) { return t, nil }
func (t *sleepTarget) Do(ctx context.Context, _ *targets.Request) error {
	tm := time.NewTimer(t.d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stallTarget sleeps about 1 ms per call, except inside a stall window,
// [stallAt, stallAt+stall) after Open, where every call blocks until the
// window ends.
type stallTarget struct {
	stallAt, stall time.Duration
	start          time.Time
}

func (t *stallTarget) Open(context.Context) error            { t.start = time.Now(); return nil }
func (t *stallTarget) Close() error                          { return nil }
func (t *stallTarget) Stats() map[string]float64             { return nil }
func (t *stallTarget) NewWorker(int) (targets.Worker, error) { return t, nil }
func (t *stallTarget) Do(context.Context, *targets.Request) error {
	e := time.Since(t.start)
	if e >= t.stallAt && e < t.stallAt+t.stall {
		time.Sleep(t.stallAt + t.stall - e)
		return nil
	}
	time.Sleep(time.Millisecond)
	return nil
}

// TestCoordinatedOmission shows why open models measure from the intended
// start. A target stalls for 1 s in the middle of a 3 s run.
//
// The open model (constant-arrival-rate) keeps scheduling iterations during
// the stall; each one's latency runs from when it was due, so the ~200
// iterations due in the stall show waits of up to 1 s and the p99 shows the
// stall.
//
// The closed model (constant-vus) cannot: its 2 workers are stuck in their
// in-flight calls and issue nothing else while the target is stalled, so only
// those 2 operations (out of thousands) record the stall, and its p99 stays
// near 1 ms. The closed loop coordinates with the system under test and
// omits exactly the samples that would have shown the problem.
func TestCoordinatedOmission(t *testing.T) {
	open := &plan.Scenario{Name: "open", Config: &ConstantArrivalRate{Rate: 200, TimeUnit: time.Second, Duration: 3 * time.Second, PreAllocatedVUs: 2, MaxVUs: 1000}, Workload: workload(kindTarget("stall1", &stallTarget{stallAt: time.Second, stall: time.Second}))}
	closed := &plan.Scenario{Name: "closed", Config: &ConstantVUs{VUs: 2, Duration: 3 * time.Second}, Workload: workload(kindTarget("stall2", &stallTarget{stallAt: time.Second, stall: time.Second}))}
	res := run(t, onePlan(open, closed), Options{})
	o, c := res.Scenarios[0], res.Scenarios[1]
	t.Logf("open: ops=%d dropped=%d vus=%d p50=%v p99=%v svc.p99=%v", o.Total.Ops, o.Dropped, o.VUsMax, o.Total.Latency.P50, o.Total.Latency.P99, o.Total.ServiceTime.P99)
	t.Logf("closed: ops=%d p50=%v p99=%v max=%v", c.Total.Ops, c.Total.Latency.P50, c.Total.Latency.P99, c.Total.Latency.Max)
	if o.Total.Latency.P99 < 300*time.Millisecond {
		t.Errorf("open model p99 = %v, want the stall (hundreds of ms)", o.Total.Latency.P99)
	}
	if c.Total.Latency.P99 > 100*time.Millisecond {
		t.Errorf("closed model p99 = %v, want it to hide the stall", c.Total.Latency.P99)
	}
	if c.Total.Latency.Max < 500*time.Millisecond {
		t.Errorf("closed model max = %v, want the in-flight calls to see the stall", c.Total.Latency.Max)
	}
}

// blockTarget blocks every call until ctx is done, or, with ignore, until
// release is closed.
type blockTarget struct {
	ignore  bool
	release chan struct{}
}

func (t *blockTarget) Open(context.Context) error            { return nil }
func (t *blockTarget) Close() error                          { return nil }
func (t *blockTarget) Stats() map[string]float64             { return nil }
func (t *blockTarget) NewWorker(int) (targets.Worker, error) { return t, nil }
func (t *blockTarget) Do(ctx context.Context, _ *targets.Request) error {
	if t.ignore {
		<-t.release
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func TestGracefulStopCuts(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		name := "honours ctx"
		if ignore {
			name = "ignores ctx"
		}
		t.Run(name, func(t *testing.T) {
			bt := &blockTarget{ignore: ignore, release: make(chan struct{})}
			defer close(bt.release)
			sc := &plan.Scenario{Name: "g", Config: &ConstantVUs{VUs: 3, Duration: 100 * time.Millisecond}, GracefulStop: 100 * time.Millisecond, Workload: workload(kindTarget("block", bt))}
			r := run(t, onePlan(sc), Options{}).Scenarios[0]
			if r.Cut != 3 || r.Total.Ops != 0 {
				t.Fatalf("cut = %d ops = %d, want 3 and 0", r.Cut, r.Total.Ops)
			}
			if !r.Flagged() {
				t.Error("not flagged")
			}
		})
	}
}

func TestInterruptReturnsPartialResults(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	sc := &plan.Scenario{Name: "i", Config: &ConstantVUs{VUs: 2, Duration: time.Minute}, Workload: workload(noopTarget())}
	late := &plan.Scenario{Name: "late", Config: &ConstantVUs{VUs: 1, Duration: time.Second}, StartTime: time.Minute, Workload: workload(noopTarget())}
	res, err := Run(ctx, onePlan(sc, late), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || !res.Scenarios[0].Interrupted || !res.Scenarios[1].Interrupted {
		t.Fatalf("interrupted flags: %v %v %v", res.Interrupted, res.Scenarios[0].Interrupted, res.Scenarios[1].Interrupted)
	}
	if res.Scenarios[0].Total.Ops == 0 || res.Scenarios[0].Elapsed > 30*time.Second {
		t.Fatalf("ops = %d elapsed = %v", res.Scenarios[0].Total.Ops, res.Scenarios[0].Elapsed)
	}
}

// fakeCond is a plan.Condition over one metric: metric < limit.
type fakeCond struct {
	metric string
	limit  float64
}

func (c fakeCond) Refs() []string { return []string{c.metric} }
func (c fakeCond) Comparisons() []plan.Comparison {
	return []plan.Comparison{{Left: metricExpr{name: c.metric}, Op: "<", Right: constExpr(c.limit)}}
}
func (c fakeCond) Logic() plan.Logic { return oneComparison }
func (c fakeCond) Eval(m plan.Metrics) (bool, error) {
	v, ok := m.Metric(c.metric)
	if !ok {
		return false, errors.New("no value for " + c.metric)
	}
	return v < c.limit, nil
}

func TestAbortOnFail(t *testing.T) {
	a := &plan.Assertion{Expr: "ops < 10", AbortOnFail: true, AbortGrace: 200 * time.Millisecond, Condition: fakeCond{"ops", 10}}
	keep := &plan.Assertion{Expr: "error_rate < 0.5", Condition: fakeCond{"error_rate", 0.5}}
	sc := &plan.Scenario{Name: "a", Config: &ConstantVUs{VUs: 1, Duration: time.Minute}, Workload: workload(noopTarget()), Asserts: []*plan.Assertion{keep, a}}
	r := run(t, onePlan(sc), Options{SnapshotInterval: 50 * time.Millisecond}).Scenarios[0]
	if !r.Aborted || r.AbortReason == "" || !r.Assertions[1].Aborted || r.Assertions[1].Passed {
		t.Fatalf("aborted=%v reason=%q assertion=%+v", r.Aborted, r.AbortReason, r.Assertions[1])
	}
	if !r.Assertions[0].Passed || r.Assertions[0].Aborted || r.Assertions[0].AbortComparisons != nil {
		t.Fatalf("unrelated assertion: %+v", r.Assertions[0])
	}
	// The live evaluation that aborted recorded what it saw: ops at or
	// above 10, and at most what the scenario ended with.
	if c := r.Assertions[1].AbortComparisons; len(c) != 1 || c[0].Held || c[0].Left != "ops" || c[0].Op != "<" || c[0].RightValue != 10 ||
		c[0].LeftValue < 10 || c[0].LeftValue > float64(r.Total.Ops) {
		t.Fatalf("abort comparisons %+v (ops %d)", c, r.Total.Ops)
	}
	if r.Elapsed > 30*time.Second {
		t.Fatalf("elapsed %v: not aborted early", r.Elapsed)
	}
}

func TestAssertionsObserved(t *testing.T) {
	asserts := []*plan.Assertion{
		{Expr: "latency.p99 < 1000", Condition: fakeCond{"latency.p99", 1000}},
		{Expr: "op.op.ops < 1", Condition: fakeCond{"op.op.ops", 1}},
		{Expr: "target.nope < 1", Condition: fakeCond{"target.nope", 1}},
		{Expr: "target.workers < 100", Condition: fakeCond{"target.workers", 100}},
	}
	sc := &plan.Scenario{Name: "o", Config: &PerVUIterations{VUs: 2, Iterations: 100, MaxDuration: time.Minute}, Workload: workload(noopTarget()), Asserts: asserts}
	res := run(t, onePlan(sc), Options{})
	r := res.Scenarios[0]
	as := r.Assertions
	if !as[0].Passed || as[0].Observed["latency.p99"] <= 0 {
		t.Errorf("latency: %+v", as[0])
	}
	if as[1].Passed || as[1].Observed["op.op.ops"] != 200 {
		t.Errorf("op ops: %+v", as[1])
	}
	if as[2].Passed || as[2].Err == "" {
		t.Errorf("missing metric: %+v", as[2])
	}
	if !as[3].Passed || as[3].Observed["target.workers"] != 2 {
		t.Errorf("target stat: %+v", as[3])
	}
	if res.Passed() {
		t.Error("Result.Passed with failing assertions")
	}
	for _, name := range plan.MetricNames(sc) {
		if _, ok := r.Metric(name); !ok {
			t.Errorf("metric %s has no value", name)
		}
	}
}

func TestTargetError(t *testing.T) {
	k := targets.Kind{Name: "bad", Ops: []targets.OpSpec{{Name: "op"}}, New: func(targets.Config) (targets.Target, error) {
		return nil, errors.New("cannot connect")
	}}
	pt := &plan.Target{Kind: "bad", Name: "x", Spec: &k}
	sc := &plan.Scenario{Name: "e", Config: &ConstantVUs{VUs: 1, Duration: time.Second}, Workload: workload(pt)}
	_, err := Run(context.Background(), onePlan(sc), Options{})
	var te *TargetError
	if !errors.As(err, &te) || te.Target != "bad.x" {
		t.Fatalf("err = %v, want a *TargetError for bad.x", err)
	}
}

// ctlTarget is a Controller.
type ctlTarget struct {
	sleepTarget
	mu      sync.Mutex
	actions []string
}

func (t *ctlTarget) NewWorker(int) (targets.Worker, error) { return &t.sleepTarget, nil }
func (t *ctlTarget) Control(_ context.Context, action string, _ targets.Config) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.actions = append(t.actions, action)
	if action == "fail" {
		return errors.New("refused")
	}
	return nil
}

type obs struct {
	mu                 sync.Mutex
	starts, prog, ends int
}

func (o *obs) ScenarioStart(string, time.Duration) { o.mu.Lock(); o.starts++; o.mu.Unlock() }
func (o *obs) Progress(Progress)                   { o.mu.Lock(); o.prog++; o.mu.Unlock() }
func (o *obs) ScenarioEnd(*ScenarioResult)         { o.mu.Lock(); o.ends++; o.mu.Unlock() }

func TestEventsScaleAndObserver(t *testing.T) {
	ct := &ctlTarget{sleepTarget: sleepTarget{d: time.Millisecond}}
	pt := kindTarget("ctl", ct)
	sc := &plan.Scenario{Name: "ev", Config: &ConstantVUs{VUs: 1, Duration: 1200 * time.Millisecond}, Workload: workload(pt), Events: []plan.Event{
		{At: 200 * time.Millisecond, Target: pt, Action: "set"},
		{At: 400 * time.Millisecond, Target: pt, Action: "fail"},
		{At: time.Hour, Target: pt, Action: "never"},
	}}
	o := &obs{}
	// Scale 0.5: the scenario lasts 600 ms.
	r := run(t, onePlan(sc), Options{DurationScale: 0.5, Observer: o, SnapshotInterval: 100 * time.Millisecond}).Scenarios[0]
	ct.mu.Lock()
	acts := append([]string(nil), ct.actions...)
	ct.mu.Unlock()
	if len(acts) != 2 || acts[0] != "set" || acts[1] != "fail" {
		t.Errorf("actions = %v", acts)
	}
	if len(r.EventErrors) != 2 {
		t.Errorf("event errors = %q, want the refusal and the unapplied event", r.EventErrors)
	}
	if r.Elapsed > 5*time.Second || r.Elapsed < 600*time.Millisecond {
		t.Errorf("elapsed = %v, want about 600ms", r.Elapsed)
	}
	if o.starts != 1 || o.ends != 1 || o.prog == 0 {
		t.Errorf("observer: %+v", o)
	}
}

func TestSeriesLimit(t *testing.T) {
	sc := &plan.Scenario{Name: "s", Config: &ConstantVUs{VUs: 1, Duration: 600 * time.Millisecond}, Workload: workload(noopTarget())}
	r := run(t, onePlan(sc), Options{SnapshotInterval: 20 * time.Millisecond, SeriesLimit: 8}).Scenarios[0]
	if len(r.Series) > 8 || len(r.Series) == 0 {
		t.Fatalf("series has %d points, want 1..8", len(r.Series))
	}
	var sum int64
	for _, p := range r.Series {
		sum += p.Ops
	}
	if sum != r.Total.Ops {
		t.Errorf("series ops %d != total %d", sum, r.Total.Ops)
	}
}

// TestRampDownCuts: workers removed by a ramp-down that are still blocked
// after graceful_ramp_down are cut.
func TestRampDownCuts(t *testing.T) {
	bt := &blockTarget{release: make(chan struct{})}
	defer close(bt.release)
	sc := &plan.Scenario{Name: "rd", Config: &RampingVUs{StartVUs: 3, Stages: []plan.Stage{{Duration: 100 * time.Millisecond, Target: 3}, {Duration: 0, Target: 1}, {Duration: 300 * time.Millisecond, Target: 1}}, GracefulRampDown: 50 * time.Millisecond}, GracefulStop: 50 * time.Millisecond, Workload: workload(kindTarget("block", bt))}
	r := run(t, onePlan(sc), Options{}).Scenarios[0]
	// Two cut at the ramp-down, the last one at the end.
	if r.Cut != 3 || r.VUsMax != 3 {
		t.Fatalf("cut = %d vus = %d, want 3 and 3", r.Cut, r.VUsMax)
	}
}
