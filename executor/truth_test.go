package executor

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

// fakeTime is a clock that moves only when told: by each Do (doCost), by
// each flush of a worker's staged metrics (flush, far longer than any
// operation), and by a worker's wait for its intended start.
type fakeTime struct {
	t, flush time.Duration
	flushes  int
}

func (c *fakeTime) now() time.Duration { return c.t }
func (c *fakeTime) waitUntil(d time.Duration) {
	if d > c.t {
		c.t = d
	}
}
func (c *fakeTime) flushed() { c.t += c.flush; c.flushes++ }

const doCost = time.Microsecond

type fakeTimeTarget struct{ clk *fakeTime }

func (t *fakeTimeTarget) Open(context.Context) error            { return nil }
func (t *fakeTimeTarget) Close() error                          { return nil }
func (t *fakeTimeTarget) Stats() map[string]float64             { return nil }
func (t *fakeTimeTarget) NewWorker(int) (targets.Worker, error) { return t, nil }
func (t *fakeTimeTarget) Do(context.Context, *targets.Request) error {
	t.clk.t += doCost
	return nil
}

// fakeClockWorker builds a one-worker scenario whose clock is clk and whose
// target's Do costs doCost.
func fakeClockWorker(t *testing.T, cfg plan.ExecutorConfig, clk *fakeTime) (*worker, *metrics.Collector) {
	t.Helper()
	pt := kindTarget("fake", &fakeTimeTarget{clk: clk})
	tt, _ := pt.Spec.New(targets.Config{})
	sc := &plan.Scenario{Name: "fake", Config: cfg, Workload: workload(pt)}
	s := &scenarioRun{sc: sc, target: tt}
	s.stopCh, s.wake, s.abortIdx = make(chan struct{}), make(chan struct{}), -1
	s.ops = sc.Workload.Ops
	s.picker = newOpPicker(s.ops)
	s.set = metrics.NewSet(len(s.ops), cfg.Open())
	s.doCtx, s.doCancel = context.WithCancel(context.Background())
	t.Cleanup(s.doCancel)
	s.base = time.Now()
	s.active.Store(math.MaxInt64)
	s.clock = clk
	w, err := s.newWorkerFor(0)
	if err != nil {
		t.Fatal(err)
	}
	return w, s.set.NewCollector()
}

// TestFlushNeverCharged runs the real worker loops over many staging-buffer
// flushes, each of which costs far longer than an operation in fake time: no
// latency or service time may contain one. A flush is followed by a fresh
// clock reading. The staging buffer grows from StageMin to Stage words as
// it fills, so the loops flush at every buffer size (growthFlushes checks
// that they did), and none of those flushes may be charged either.
func TestFlushNeverCharged(t *testing.T) {
	t.Parallel()
	const n = 20 * metrics.Stage
	t.Run("closed", func(t *testing.T) {
		t.Parallel()
		clk := &fakeTime{flush: time.Hour}
		w, col := fakeClockWorker(t, &PerVUIterations{VUs: 1}, clk)
		start := w.rec.Cap()
		w.s.wg.Add(1)
		w.s.live.Add(1)
		w.runClosed(n)
		col.Collect()
		o := col.Cum.Ops[0]
		if o.Ops != n {
			t.Fatalf("ops = %d, want %d", o.Ops, n)
		}
		growthFlushes(t, start, w.rec.Cap(), clk.flushes, n/metrics.Stage)
		// Each latency is exactly one Do: none contains a flush.
		if mn, mx := o.Lat.Min(), o.Lat.Max(); mn != int64(doCost) || mx > int64(doCost)+1 {
			t.Fatalf("latencies span %d–%dns, want %v each", mn, mx, doCost)
		}
	})
	t.Run("open", func(t *testing.T) {
		t.Parallel()
		// Iterations every 20µs; a flush costs 2ms, so the iterations
		// after it start late (that lateness is charged to latency, as a
		// real stall of the runner would be) but their service time is
		// one Do.
		clk := &fakeTime{flush: 2 * time.Millisecond}
		w, col := fakeClockWorker(t, &ConstantArrivalRate{}, clk)
		start := w.rec.Cap()
		s := w.s
		s.sched.Store(newConstantSchedule(50_000, time.Second, time.Duration(n)*20*time.Microsecond))
		s.maxVUs = 1
		s.nworkers.Store(1)
		s.wg.Add(1)
		s.live.Add(1)
		w.runOpen()
		col.Collect()
		o := col.Cum.Ops[0]
		if o.Ops != n || s.dropped.Load() != 0 {
			t.Fatalf("ops = %d dropped = %d, want %d and 0", o.Ops, s.dropped.Load(), n)
		}
		// Two words an operation: twice the flushes of the closed loop.
		growthFlushes(t, start, w.rec.Cap(), clk.flushes, 2*n/metrics.Stage)
		if mn, mx := o.Svc.Min(), o.Svc.Max(); mn != int64(doCost) || mx > int64(doCost)+1 {
			t.Fatalf("service times span %d–%dns, want %v each", mn, mx, doCost)
		}
		// The lateness a flush caused is in the latency and the lag.
		if mx := time.Duration(o.Lag.Max()); mx < clk.flush-20*time.Microsecond {
			t.Fatalf("lag max %v, want the %v a flush delayed the schedule", mx, clk.flush)
		}
	})
}

// growthFlushes checks that a worker's staging buffer started at StageMin
// words and grew to Stage, which it does only in flushes of a full buffer
// (one at each size in between), and that the loop flushed at least least
// times besides.
func growthFlushes(t *testing.T, start, end, flushes, least int) {
	t.Helper()
	if start != metrics.StageMin || end != metrics.Stage {
		t.Fatalf("staging buffer %d words at the start and %d at the end, want %d and %d: not every size was flushed",
			start, end, metrics.StageMin, metrics.Stage)
	}
	steps := 0
	for c := start; c < end; c *= 2 {
		steps++
	}
	if flushes < least+steps {
		t.Fatalf("%d flushes, want at least %d: the loop did not flush", flushes, least+steps)
	}
}

// TestLatencyIsLagPlusService: in an open model every operation's latency
// (from the intended start) is its schedule lag plus its service time, and
// all three are recorded for every operation, whether the worker waited for
// its iteration or found it late.
func TestLatencyIsLagPlusService(t *testing.T) {
	t.Parallel()
	sc := &plan.Scenario{Name: "lag", Config: &ConstantArrivalRate{Rate: 400, TimeUnit: time.Second, Duration: 500 * time.Millisecond, PreAllocatedVUs: 3, MaxVUs: 3}, Workload: workload(kindTarget("slow", &sleepTarget{d: 2 * time.Millisecond}))}
	r := run(t, onePlan(sc), Options{NoResources: true}).Scenarios[0]
	tot := r.Total
	if tot.Ops == 0 || tot.LagHist == nil {
		t.Fatalf("ops=%d lag histogram %v", tot.Ops, tot.LagHist)
	}
	if n := tot.LagHist.TotalCount(); n != tot.Ops || tot.ServiceHist.TotalCount() != tot.Ops {
		t.Fatalf("lag %d, service %d samples for %d ops", n, tot.ServiceHist.TotalCount(), tot.Ops)
	}
	// Means add up to within HdrHistogram's 0.1% bucket precision.
	lat, svc, lag := tot.Hist.Mean(), tot.ServiceHist.Mean(), tot.LagHist.Mean()
	if math.Abs(lat-(svc+lag)) > 0.002*lat+2 {
		t.Fatalf("mean latency %v ≠ mean lag %v + mean service %v", lat, lag, svc)
	}
	if tot.Latency.P50 < tot.ServiceTime.P50 {
		t.Fatalf("latency p50 %v below service time p50 %v", tot.Latency.P50, tot.ServiceTime.P50)
	}
	if v, ok := r.Metric("schedule_lag.p99"); !ok || v != ms(tot.ScheduleLag.P99) {
		t.Fatalf("schedule_lag.p99 = %v, %v", v, ok)
	}
	if v, ok := r.Metric("op.op.schedule_lag.max"); !ok || v != ms(r.Ops[0].ScheduleLag.Max) {
		t.Fatalf("op.op.schedule_lag.max = %v, %v", v, ok)
	}
}

// TestDroppedIterationsAreLowerBounds: one worker, 10ms calls at 500/s:
// most iterations are dropped. Their lateness counts in latency, the
// percentiles are lower bounds, and a latency assertion fails saying so
// unless the scenario allows omitted work.
func TestDroppedIterationsAreLowerBounds(t *testing.T) {
	t.Parallel()
	for _, allow := range []bool{false, true} {
		name := "default"
		if allow {
			name = "allow_omitted"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc := &plan.Scenario{Name: "drop", Config: &ConstantArrivalRate{Rate: 500, TimeUnit: time.Second, Duration: 600 * time.Millisecond, PreAllocatedVUs: 1, MaxVUs: 1}, AllowOmitted: allow, Workload: workload(kindTarget("slow", &sleepTarget{d: 10 * time.Millisecond})), Asserts: []*plan.Assertion{
				{Expr: "latency.p99 < 1h", Condition: lessThan("latency.p99", float64(time.Hour/time.Millisecond))},
				{Expr: "dropped > 0", Condition: greaterThan("dropped", 0)},
				{Expr: "latency.p99 > 5ms", Condition: greaterThan("latency.p99", 5)},
			}}
			r := run(t, onePlan(sc), Options{NoResources: true}).Scenarios[0]
			if r.Dropped == 0 || r.Total.Omitted != r.Dropped || !r.Total.LowerBound() {
				t.Fatalf("dropped %d, omitted %d, lower bound %v", r.Dropped, r.Total.Omitted, r.Total.LowerBound())
			}
			// The dropped iterations were at least dropLateness late.
			if r.Total.Latency.Max < dropLateness {
				t.Fatalf("latency max %v: the dropped iterations' lateness is missing", r.Total.Latency.Max)
			}
			lat, cnt, above := r.Assertions[0], r.Assertions[1], r.Assertions[2]
			if !cnt.Passed || len(cnt.Notes) != 0 {
				t.Errorf("a counter assertion is untouched by drops: %+v", cnt)
			}
			// A lower bound above 5ms proves the real p99 is too.
			if !above.Passed {
				t.Errorf("latency.p99 > 5ms on a lower bound of %v: %+v", r.Total.Latency.P99, above)
			}
			if len(lat.Notes) == 0 || !strings.Contains(lat.Notes[0], "lower bound") {
				t.Errorf("notes %q lack the lower bound", lat.Notes)
			}
			if allow {
				if !lat.Passed {
					t.Errorf("allow_omitted: %+v, want a pass on the lower bound", lat)
				}
				return
			}
			if lat.Passed || !strings.Contains(lat.Err, "allow_omitted") {
				t.Errorf("latency assertion %+v, want a failure that names allow_omitted", lat)
			}
		})
	}
}

// stallOnceTarget sleeps 1ms per call, except that its 100th call lasts
// stall.
type stallOnceTarget struct {
	stall time.Duration
	calls int
}

func (t *stallOnceTarget) Open(context.Context) error            { return nil }
func (t *stallOnceTarget) Close() error                          { return nil }
func (t *stallOnceTarget) Stats() map[string]float64             { return nil }
func (t *stallOnceTarget) NewWorker(int) (targets.Worker, error) { return t, nil }
func (t *stallOnceTarget) Do(ctx context.Context, _ *targets.Request) error {
	t.calls++ // one worker
	d := time.Millisecond
	if t.calls == 100 {
		d = t.stall
	}
	time.Sleep(d)
	return nil
}

// TestClosedStallIsCorrected: a closed loop whose target stalls once: the
// raw p99 hides it, the corrected view shows it, and latency assertions read
// the corrected view unless the scenario allows omitted work.
func TestClosedStallIsCorrected(t *testing.T) {
	t.Parallel()
	for _, allow := range []bool{false, true} {
		name := "default"
		if allow {
			name = "allow_omitted"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc := &plan.Scenario{Name: "stall", Config: &PerVUIterations{VUs: 1, Iterations: 400, MaxDuration: time.Minute}, AllowOmitted: allow, Workload: workload(kindTarget("stall", &stallOnceTarget{stall: 600 * time.Millisecond})), Asserts: []*plan.Assertion{{Expr: "latency.p99 < 100ms", Condition: lessThan("latency.p99", 100)}}}
			r := run(t, onePlan(sc), Options{NoResources: true}).Scenarios[0]
			st := r.Stall
			if st == nil || st.Longest < 600*time.Millisecond || st.Count < 1 {
				t.Fatalf("stall = %+v, want an operation of 600ms", st)
			}
			c := r.Total.Corrected
			if c == nil || c.P99 < 100*time.Millisecond {
				t.Fatalf("corrected = %+v, want a p99 that shows the stall", c)
			}
			// The correction adds about stall/interval samples.
			if added := int64(st.Longest / st.Interval); added < 300 {
				t.Fatalf("interval %v gives only %d added samples", st.Interval, added)
			}
			a := r.Assertions[0]
			if allow {
				if a.Observed["latency.p99"] != ms(r.Total.Latency.P99) {
					t.Errorf("allow_omitted reads %vms, want the raw p99 %v", a.Observed["latency.p99"], r.Total.Latency.P99)
				}
				return
			}
			if a.Passed || a.Observed["latency.p99"] != ms(c.P99) || len(a.Notes) == 0 || !strings.Contains(a.Notes[0], "coordinated omission") {
				t.Errorf("assertion %+v, want a failure on the corrected p99 %v that says so", a, c.P99)
			}
		})
	}
}

// TestCorrectedMatchesRecordCorrectedValue: the correction, with or without
// its budget, equals HdrHistogram's own RecordCorrectedValue value by value.
func TestCorrectedMatchesRecordCorrectedValue(t *testing.T) {
	t.Parallel()
	raw := metrics.NewHist()
	want := metrics.NewHist()
	const iv = 997 // ns
	for i := int64(1); i <= 5000; i++ {
		v := 500 + i%700
		if i%1000 == 0 {
			v = 3_000_000 + i*1013 // a few multi-millisecond stalls
		}
		_ = raw.RecordValue(v)
		_ = want.RecordCorrectedValue(v, iv)
	}
	// From a histogram, each recorded value is known as its bucket's
	// highest equivalent value, as HdrHistogram's own corrected copy
	// iterates it: that is the exact reference.
	exact := metrics.NewHist()
	for _, b := range raw.Distribution() {
		for range b.Count {
			_ = exact.RecordCorrectedValue(b.To, iv)
		}
	}
	for _, budget := range []int64{math.MaxInt64, 0, 2000} {
		b := budget
		got := corrected(raw, iv, &b)
		if w := latencyStats(exact); *got != w {
			t.Errorf("budget %d: corrected %+v, want %+v", budget, *got, w)
		}
		// And within the histogram's precision of the correction of the
		// raw values themselves.
		if w := latencyStats(want); math.Abs(float64(got.Mean-w.Mean)) > 0.001*float64(w.Mean) || got.P99 != w.P99 {
			t.Errorf("budget %d: corrected mean %v p99 %v, raw-value correction %v %v", budget, got.Mean, got.P99, w.Mean, w.P99)
		}
	}
}

// TestLowestEquivalent checks the bucket arithmetic against HdrHistogram.
func TestLowestEquivalent(t *testing.T) {
	t.Parallel()
	for _, x := range []int64{1, 2047, 2048, 2049, 4095, 4096, 123456, 99_999_999, int64(time.Hour) - 1} {
		h := metrics.NewHist()
		_ = h.RecordValue(x)
		if got, want := lowestEquivalent(x), h.Distribution()[len(h.Distribution())-1].From; got != want {
			t.Errorf("lowestEquivalent(%d) = %d, HdrHistogram says %d", x, got, want)
		}
	}
}

// TestSaturationIsMarked: an open model whose schedule lag is a large part
// of its latency is marked saturated; a small lag is not.
func TestSaturationIsMarked(t *testing.T) {
	t.Parallel()
	mk := func(lag, lat time.Duration, lags ...time.Duration) *ScenarioResult {
		r := &ScenarioResult{Executor: ConstantArrivalRateName, Total: OpStats{Ops: 1000,
			Latency: LatencyStats{P99: lat}, ScheduleLag: LatencyStats{P99: lag}}}
		for i, l := range lags {
			r.Series = append(r.Series, SeriesPoint{Offset: time.Duration(i+1) * time.Second, LagP99: l})
		}
		return r
	}
	ms := time.Millisecond
	for _, tc := range []struct {
		lag, lat time.Duration
		series   []time.Duration
		want     bool
	}{
		// Up to a scheduler time slice, a lag that stays level is
		// ordinary time slicing on busy cores (a CPU-bound in-process
		// target at 80% of capacity); one that grows is a queue.
		{3 * ms, 5 * ms, []time.Duration{3 * ms, 2 * ms, 3 * ms, 3 * ms, 2 * ms, 3 * ms}, false},
		{3 * ms, 5 * ms, []time.Duration{ms, ms, 2 * ms, 2 * ms, 3 * ms, 3 * ms}, true},
		{12 * ms, 20 * ms, nil, true},                               // beyond a time slice
		{50 * time.Microsecond, 100 * time.Microsecond, nil, false}, // under lagFloor
		{2 * ms, time.Second, nil, false},                           // 0.2% of the latency
	} {
		r := mk(tc.lag, tc.lat, tc.series...)
		assess(r, &plan.Scenario{})
		if got := r.Saturated != ""; got != tc.want {
			t.Errorf("lag %v latency %v: saturated %q, want %v", tc.lag, tc.lat, r.Saturated, tc.want)
		}
	}
}

// cmpCond is metric < limit (or > limit).
type cmpCond struct {
	metric  string
	limit   float64
	greater bool
}

func lessThan(m string, v float64) cmpCond    { return cmpCond{metric: m, limit: v} }
func greaterThan(m string, v float64) cmpCond { return cmpCond{metric: m, limit: v, greater: true} }

func (c cmpCond) Refs() []string { return []string{c.metric} }
func (c cmpCond) Comparisons() []plan.Comparison {
	op := "<"
	if c.greater {
		op = ">"
	}
	return []plan.Comparison{{Left: metricExpr{name: c.metric}, Op: op, Right: constExpr(c.limit)}}
}
func (c cmpCond) Logic() plan.Logic { return oneComparison }
func (c cmpCond) Eval(m plan.Metrics) (bool, error) {
	v, ok := m.Metric(c.metric)
	if !ok {
		return false, errors.New("no value for " + c.metric)
	}
	if c.greater {
		return v > c.limit, nil
	}
	return v < c.limit, nil
}
