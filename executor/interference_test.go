package executor

import (
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/plan"
)

func TestOverlap(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	ws := []pauseWindow{{10 * ms, 20 * ms}, {30 * ms, 35 * ms}, {50 * ms, 90 * ms}}
	cases := []struct {
		from, to, want time.Duration
	}{
		{0, 5 * ms, 0},
		{0, 100 * ms, 55 * ms},
		{15 * ms, 32 * ms, 7 * ms},
		{20 * ms, 30 * ms, 0},
		{60 * ms, 70 * ms, 10 * ms},
		{95 * ms, 99 * ms, 0},
	}
	for _, c := range cases {
		if got := overlap(ws, c.from, c.to); got != c.want {
			t.Errorf("overlap(%v, %v) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
	if got := overlap(nil, 0, time.Second); got != 0 {
		t.Errorf("overlap of no windows = %v", got)
	}
}

func TestAttributeStalls(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	st := &Stall{Threshold: 10 * ms, Count: 3}
	cases := []struct {
		name  string
		in    Interference
		longs []longOp
		left  int64
	}{
		{"no pauses: every stall is the target's", Interference{PauseFloor: 2 * ms},
			[]longOp{{100 * ms, 30 * ms}, {200 * ms, 40 * ms}, {300 * ms, 50 * ms}}, 3},
		{"a pause window covers the stall", Interference{PauseFloor: 2 * ms, windows: []pauseWindow{{70 * ms, 95 * ms}}},
			[]longOp{{100 * ms, 30 * ms}, {200 * ms, 40 * ms}, {300 * ms, 50 * ms}}, 2},
		{"preemption: no longer than twice the probe's worst lateness", Interference{PauseFloor: 2 * ms, WakeMax: 22 * ms},
			[]longOp{{100 * ms, 30 * ms}, {200 * ms, 40 * ms}, {300 * ms, 50 * ms}}, 1},
		{"a one-second stall beside small pauses stays the target's", Interference{PauseFloor: 2 * ms, WakeMax: 20 * ms,
			windows: []pauseWindow{{1000 * ms, 1020 * ms}}},
			[]longOp{{2000 * ms, time.Second}}, 3 - 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := c.in
			if got := attributeStalls(&in, c.longs, st); got != c.left {
				t.Errorf("left = %d, want %d (attributed %d)", got, c.left, in.Attributed)
			}
		})
	}
}

// latencyResult is an open-model result whose latency percentiles are all p.
func latencyResult(p time.Duration, ops int64) *ScenarioResult {
	l := LatencyStats{Min: p / 2, Mean: p, P50: p, P75: p, P90: p, P95: p, P99: p, P999: p, Max: p}
	return &ScenarioResult{Name: "s", Executor: ConstantArrivalRateName, Elapsed: 10 * time.Second,
		Total: OpStats{Name: "total", Ops: ops, Latency: l, ServiceTime: l}}
}

func TestInconclusiveRules(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	wake := func(p50, p99, maxW time.Duration) LatencyStats {
		return LatencyStats{P50: p50, P75: p50, P90: p99, P95: p99, P99: p99, P999: maxW, Max: maxW, Mean: p50}
	}
	neighbour := []string{"other processes used up to 180% CPU of 2 cores (4 of 4 intervals)"}
	cases := []struct {
		name    string
		r       *ScenarioResult
		cond    plan.Condition
		verdict string
	}{
		{"no interference measured: a failure fails",
			func() *ScenarioResult {
				r := latencyResult(12*ms, 1000)
				r.Interference = &Interference{Intervals: 4}
				return r
			}(), lessThan("latency.p99", 10), VerdictFail},
		{"no resources sampled: a failure fails",
			latencyResult(12*ms, 1000), lessThan("latency.p99", 10), VerdictFail},
		{"rule 1: holds in the undisturbed intervals",
			func() *ScenarioResult {
				r := latencyResult(40*ms, 1000)
				r.Interference = &Interference{Intervals: 4, Disturbed: 1, Reasons: neighbour, clean: latencyResult(3*ms, 700)}
				return r
			}(), lessThan("latency.p99", 10), VerdictInconclusive},
		{"rule 1 needs half the intervals clean",
			func() *ScenarioResult {
				r := latencyResult(40*ms, 1000)
				r.Interference = &Interference{Intervals: 4, Disturbed: 3, Reasons: neighbour, clean: latencyResult(3*ms, 300)}
				return r
			}(), lessThan("latency.p99", 10), VerdictFail},
		{"rule 1 needs enough operations",
			func() *ScenarioResult {
				r := latencyResult(40*ms, 1000)
				r.Interference = &Interference{Intervals: 4, Disturbed: 1, Reasons: neighbour, clean: latencyResult(3*ms, 20)}
				return r
			}(), lessThan("latency.p99", 10), VerdictFail},
		{"rule 2: a p99 within the probe's lateness",
			func() *ScenarioResult {
				r := latencyResult(12*ms, 1000)
				r.Total.Latency.P50 = ms
				r.Interference = &Interference{Intervals: 4, Disturbed: 4, Reasons: neighbour, Pauses: 30, wake: wake(100*time.Microsecond, 4*ms, 18*ms),
					WakeP99: 4 * ms, WakeMax: 18 * ms}
				return r
			}(), lessThan("latency.p99", 10), VerdictInconclusive},
		{"rule 2: a 20ms backend gated at 10ms fails beside a neighbour",
			func() *ScenarioResult {
				r := latencyResult(20*ms, 1000)
				r.Interference = &Interference{Intervals: 4, Disturbed: 4, Reasons: neighbour, Pauses: 30, wake: wake(100*time.Microsecond, 5*ms, 18*ms),
					WakeP99: 5 * ms, WakeMax: 18 * ms}
				return r
			}(), lessThan("latency.p99", 10), VerdictFail},
		{"rule 2 never lowers a figure below the median",
			func() *ScenarioResult {
				// A 2ms backend gated at p99 < 0.5ms, beside 30ms pauses
				// seen by few probe wake-ups (p99 = max).
				r := latencyResult(2*ms, 100)
				r.Total.Latency.P99 = 18 * ms
				r.Interference = &Interference{Intervals: 1, Disturbed: 1, Reasons: neighbour, Pauses: 8, wake: wake(100*time.Microsecond, 30*ms, 30*ms)}
				return r
			}(), lessThan("latency.p99", 0.5), VerdictFail},
		{"rule 2: the median is not explained by rare pauses",
			func() *ScenarioResult {
				r := latencyResult(12*ms, 1000)
				r.Interference = &Interference{Intervals: 4, Disturbed: 4, Reasons: neighbour, Pauses: 30, wake: wake(100*time.Microsecond, 5*ms, 18*ms)}
				return r
			}(), lessThan("latency.p50", 10), VerdictFail},
		{"rule 2 does not touch throughput",
			func() *ScenarioResult {
				r := latencyResult(1*ms, 1000)
				r.Total.Throughput = 100
				r.Interference = &Interference{Intervals: 4, Disturbed: 4, Reasons: neighbour, Pauses: 30, wake: wake(ms, 5*ms, 18*ms)}
				return r
			}(), greaterThan("throughput", 120), VerdictFail},
		{"drops that came due while the process was paused",
			func() *ScenarioResult {
				r := latencyResult(1*ms, 2000)
				r.Dropped = 10
				// 2,010 iterations over 10s: 201/s; 100ms of pauses explain 21.
				r.Interference = &Interference{Intervals: 10, Disturbed: 10, Reasons: neighbour, Pauses: 20, PauseTotal: 100 * ms}
				return r
			}(), lessThan("dropped", 1), VerdictInconclusive},
		{"more drops than the pauses explain",
			func() *ScenarioResult {
				r := latencyResult(1*ms, 2000)
				r.Dropped = 100
				r.Interference = &Interference{Intervals: 10, Disturbed: 10, Reasons: neighbour, Pauses: 20, PauseTotal: 100 * ms}
				return r
			}(), lessThan("dropped", 1), VerdictFail},
		{"rule 3: an open model the machine held back holds on its service time",
			func() *ScenarioResult {
				r := latencyResult(60*ms, 1000)
				r.Total.ServiceTime = LatencyStats{P50: 10 * time.Microsecond, P99: 2 * ms, Max: 3 * ms}
				r.Saturated = "schedule lag p99 58ms: iterations started late"
				r.Interference = &Interference{Intervals: 4, Disturbed: 4, Reasons: neighbour, Pauses: 3, wake: wake(100*time.Microsecond, 5*ms, 9*ms), machine: true}
				return r
			}(), lessThan("latency.p99", 10), VerdictInconclusive},
		{"rule 3 is not for perfplan's own CPU",
			func() *ScenarioResult {
				r := latencyResult(60*ms, 1000)
				r.Total.ServiceTime = LatencyStats{P50: 10 * time.Microsecond, P99: 2 * ms, Max: 3 * ms}
				r.Saturated = "schedule lag p99 58ms: iterations started late"
				r.Interference = &Interference{Intervals: 4, Disturbed: 4, Pauses: 3, wake: wake(100*time.Microsecond, 5*ms, 9*ms),
					Reasons: []string{"the process could not run for up to 9.00ms while perfplan itself used nearly every core (a saturated runner) (4 of 4 intervals)"}}
				return r
			}(), lessThan("latency.p99", 10), VerdictFail},
		{"rule 3: a slow service time still fails",
			func() *ScenarioResult {
				r := latencyResult(60*ms, 1000)
				r.Saturated = "schedule lag p99 58ms: iterations started late"
				r.Interference = &Interference{Intervals: 4, Disturbed: 4, Reasons: neighbour, Pauses: 3, wake: wake(100*time.Microsecond, 5*ms, 9*ms), machine: true}
				return r
			}(), lessThan("latency.p99", 10), VerdictFail},
		{"a closed-model stall partly in pauses: the allowance reads the raw figures",
			func() *ScenarioResult {
				r := latencyResult(time.Microsecond, 100000)
				r.Executor = ConstantVUsName
				r.Stall = &Stall{Longest: 230 * ms, Interval: time.Microsecond, Count: 27, Threshold: 10 * ms}
				r.Total.Corrected = &LatencyStats{Mean: 36 * ms, P50: 11 * ms, P99: 222 * ms, Max: 232 * ms}
				r.Interference = &Interference{Intervals: 1, Disturbed: 1, Reasons: neighbour, Pauses: 17, Attributed: 20, wake: wake(ms, 100*ms, 110*ms)}
				return r
			}(), lessThan("latency.mean", 1), VerdictInconclusive},
		{"a GC pause the machine lengthened",
			func() *ScenarioResult {
				r := latencyResult(time.Millisecond, 1000)
				r.Resources = &Resources{GCPauseP99: 134 * ms}
				r.Interference = &Interference{Intervals: 4, Disturbed: 4, Reasons: neighbour, Pauses: 40, WakeMax: 420 * ms}
				return r
			}(), lessThan("gc.pause_p99", 10), VerdictInconclusive},
		{"a GC pause longer than any pause of the process",
			func() *ScenarioResult {
				r := latencyResult(time.Millisecond, 1000)
				r.Resources = &Resources{GCPauseP99: 134 * ms}
				r.Interference = &Interference{Intervals: 4, Disturbed: 4, Reasons: neighbour, Pauses: 40, WakeMax: 20 * ms}
				return r
			}(), lessThan("gc.pause_p99", 10), VerdictFail},
		{"a metric without a value fails",
			func() *ScenarioResult {
				r := latencyResult(1*ms, 2000)
				r.Interference = &Interference{Intervals: 10, Disturbed: 10, Reasons: neighbour, Pauses: 20, PauseTotal: 100 * ms}
				return r
			}(), lessThan("target.nothing", 1), VerdictFail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sc := &plan.Scenario{Name: "s", Asserts: []*plan.Assertion{{Expr: "cond", Condition: c.cond}}}
			evalAssertions(c.r, sc, nil, nil)
			a := c.r.Assertions[0]
			if got := a.Verdict(); got != c.verdict {
				t.Errorf("verdict %s, want %s (err %q, inconclusive %q)", got, c.verdict, a.Err, a.Inconclusive)
			}
			if a.Verdict() == VerdictInconclusive && !strings.Contains(a.Inconclusive, "other processes") {
				t.Errorf("the reason does not name the interference: %q", a.Inconclusive)
			}
			if c.r.Verdict() != c.verdict {
				t.Errorf("scenario verdict %s, want %s", c.r.Verdict(), c.verdict)
			}
		})
	}
}

func TestVerdictPrecedence(t *testing.T) {
	t.Parallel()
	pass := AssertionResult{Passed: true}
	fail := AssertionResult{}
	inc := AssertionResult{Inconclusive: "a neighbour"}
	res := func(as ...[]AssertionResult) *Result {
		r := &Result{}
		for _, a := range as {
			r.Scenarios = append(r.Scenarios, &ScenarioResult{Assertions: a})
		}
		return r
	}
	cases := []struct {
		r    *Result
		want string
	}{
		{res([]AssertionResult{pass}), VerdictPass},
		{res([]AssertionResult{pass, inc}), VerdictInconclusive},
		{res([]AssertionResult{inc}, []AssertionResult{fail}), VerdictFail},
		{res([]AssertionResult{fail, inc}), VerdictFail},
		{&Result{Scenarios: []*ScenarioResult{{TargetFailure: "no", Assertions: []AssertionResult{inc}}}}, VerdictFail},
	}
	for i, c := range cases {
		if got := c.r.Verdict(); got != c.want {
			t.Errorf("case %d: %s, want %s", i, got, c.want)
		}
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		name   string
		m      Machine
		pf     probeFigures
		own    float64
		gc     time.Duration
		reason string // "" when undisturbed
	}{
		{"idle", Machine{OtherCPU: f(5), Steal: f(0), Throttled: f(0)}, probeFigures{Max: 500 * time.Microsecond}, 30, 0, ""},
		{"a neighbour on a machine with room", Machine{OtherCPU: f(60)}, probeFigures{}, 40, 0, ""},
		{"a neighbour competing", Machine{OtherCPU: f(150)}, probeFigures{}, 40, 0, "other processes used up to 150%"},
		{"steal", Machine{Steal: f(30)}, probeFigures{}, 40, 0, "stole up to 30%"},
		{"quota", Machine{Throttled: f(20)}, probeFigures{}, 40, 0, "quota throttled up to 20%"},
		{"io stall", Machine{IOFull: f(40)}, probeFigures{}, 40, 0, "waited for I/O"},
		{"a pause of the process", Machine{}, probeFigures{Max: 30 * time.Millisecond}, 40, 0, "could not run for up to 30.00ms, no cause measured"},
		{"a pause beside a neighbour", Machine{OtherCPU: f(150)}, probeFigures{Max: 30 * time.Millisecond}, 40, 0, "could not run for up to 30.00ms while the machine was busy"},
		{"a pause of a saturated runner", Machine{OtherCPU: f(5)}, probeFigures{Max: 30 * time.Millisecond}, 195, 0, "while perfplan itself used nearly every core"},
		{"a long GC pause", Machine{}, probeFigures{}, 40, 5 * time.Millisecond, "GC stopped the world"},
		{"not measured is not disturbed", Machine{}, probeFigures{}, 40, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			j := &interferenceJudge{probe: newPauseProbe(time.Time{}, 0), cores: 2, kinds: map[string]*disturbance{}}
			cleaned := false
			m := c.m
			j.classify(&m, c.pf, c.own, c.gc, func() { cleaned = true }, 0)
			reasons, _ := j.reasons()
			rs := strings.Join(reasons, "; ")
			if c.reason == "" {
				if !cleaned || j.bad != 0 || rs != "" {
					t.Errorf("disturbed: %q", rs)
				}
				return
			}
			if cleaned || j.bad != 1 || !strings.Contains(rs, c.reason) {
				t.Errorf("reasons %q (clean %v), want %q", rs, cleaned, c.reason)
			}
		})
	}
}

func TestPauseProbeRecords(t *testing.T) {
	t.Parallel()
	p := newPauseProbe(time.Time{}, 0)
	ms := time.Millisecond
	p.record(5*ms, 5*ms+100*time.Microsecond)
	p.record(10*ms, 40*ms) // a 30ms pause
	p.record(45*ms, 45*ms)
	f := p.take()
	if f.N != 3 || f.Max < 29*ms || f.Max > 31*ms {
		t.Errorf("take = %+v", f)
	}
	if f := p.take(); f.N != 0 {
		t.Errorf("second take = %+v, want empty", f)
	}
	ws := p.windows()
	if len(ws) != 1 || ws[0] != (pauseWindow{10 * ms, 40 * ms}) {
		t.Errorf("windows = %v", ws)
	}
	if tot := p.total(); tot.N != 3 {
		t.Errorf("total = %+v", tot)
	}
}

func TestBreakpointInconclusive(t *testing.T) {
	t.Parallel()
	neighbour := []string{"other processes used up to 190% CPU of 2 cores (9 of 10 intervals)"}
	cases := []struct {
		name    string
		bp      BreakpointResult
		in      *Interference
		verdict string
	}{
		{"the break lay in disturbed intervals", BreakpointResult{Broke: true, BreakingPoint: 5000, Intervals: 8, BrokeDisturbed: true},
			&Interference{Intervals: 10, Disturbed: 9, Reasons: neighbour}, VerdictInconclusive},
		{"the break lay in clean intervals", BreakpointResult{Broke: true, BreakingPoint: 5000, Intervals: 8},
			&Interference{Intervals: 10, Disturbed: 2, Reasons: neighbour}, VerdictFail},
		{"no interference measured", BreakpointResult{Broke: true, BreakingPoint: 5000, Intervals: 8, BrokeDisturbed: true},
			&Interference{Intervals: 10}, VerdictFail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			bp := c.bp
			r := &ScenarioResult{Name: "s", Executor: BreakpointName, Breakpoint: &bp, Interference: c.in, Total: OpStats{Ops: 1000}}
			sc := &plan.Scenario{Name: "s", Asserts: []*plan.Assertion{{Expr: "breaking_point >= 10000", Condition: greaterThan("breaking_point", 9999)}}}
			evalAssertions(r, sc, nil, nil)
			if got := r.Assertions[0].Verdict(); got != c.verdict {
				t.Errorf("verdict %s, want %s (%q)", got, c.verdict, r.Assertions[0].Inconclusive)
			}
		})
	}
}

func TestDriftAllowance(t *testing.T) {
	t.Parallel()
	neighbour := []string{"other processes used up to 180% CPU of 2 cores (4 of 4 intervals)"}
	for _, c := range []struct {
		drift, wakeDrift float64
		verdict          string
	}{
		{1.4, 0.8, VerdictInconclusive}, // the machine drifted as much
		{1.4, 0, VerdictFail},           // the machine did not
		{5, 0.8, VerdictFail},           // far beyond the machine's drift
	} {
		r := latencyResult(time.Millisecond, 1000)
		r.Resources = &Resources{Soak: Soak{P99Drift: c.drift}}
		r.Interference = &Interference{Intervals: 4, Disturbed: 4, Reasons: neighbour, Pauses: 3, WakeDrift: c.wakeDrift}
		sc := &plan.Scenario{Name: "s", Asserts: []*plan.Assertion{{Expr: "soak.p99_drift < 1", Condition: lessThan("soak.p99_drift", 1)}}}
		evalAssertions(r, sc, nil, nil)
		if got := r.Assertions[0].Verdict(); got != c.verdict {
			t.Errorf("drift %v, machine's %v: %s, want %s", c.drift, c.wakeDrift, got, c.verdict)
		}
	}
}

func TestThroughputCVAllowance(t *testing.T) {
	t.Parallel()
	neighbour := []string{"other processes used up to 199% CPU of 2 cores (31 of 31 intervals)"}
	for _, c := range []struct {
		name       string
		executor   string
		serviceMax time.Duration
		verdict    string
	}{
		{"a constant rate held back by the machine", ConstantArrivalRateName, 2 * time.Millisecond, VerdictInconclusive},
		{"operations that span intervals", ConstantArrivalRateName, 2 * time.Second, VerdictFail},
		{"a ramping rate", RampingArrivalRateName, 2 * time.Millisecond, VerdictFail},
	} {
		r := latencyResult(time.Millisecond, 1000)
		r.Executor = c.executor
		r.Total.ServiceTime.Max = c.serviceMax
		r.Saturated = "schedule lag p99 1.69s: iterations started late"
		r.Resources = &Resources{Soak: Soak{ThroughputCV: 0.107}}
		r.Interference = &Interference{Intervals: 31, Disturbed: 31, Reasons: neighbour, Pauses: 3, machine: true}
		sc := &plan.Scenario{Name: "s", Asserts: []*plan.Assertion{{Expr: "soak.throughput_cv < 0.1", Condition: lessThan("soak.throughput_cv", 0.1)}}}
		evalAssertions(r, sc, nil, nil)
		if got := r.Assertions[0].Verdict(); got != c.verdict {
			t.Errorf("%s: %s, want %s", c.name, got, c.verdict)
		}
	}
}

func TestLagDriftAllowance(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	series := func(lagRise, p99Rise time.Duration) []SeriesPoint {
		var out []SeriesPoint
		for i := range 30 {
			out = append(out, SeriesPoint{Offset: time.Duration(i+1) * time.Second,
				P99: ms + p99Rise*time.Duration(i)/29, LagP99: lagRise * time.Duration(i) / 29})
		}
		return out
	}
	for _, c := range []struct {
		name             string
		lagRise, p99Rise time.Duration
		reasons          []string
		verdict          string
	}{
		// Over 30 seconds, p99 rises 2ms, all of it schedule lag.
		{"the machine's lag drifted", 2 * ms, 2 * ms, []string{"other processes used up to 190% CPU of 2 cores (30 of 30 intervals)"}, VerdictInconclusive},
		{"the lag drifted, no neighbour", 2 * ms, 2 * ms, []string{"GC stopped the world for up to 3ms (1 of 30 intervals)"}, VerdictFail},
		{"the service time drifted", 0, 2 * ms, []string{"other processes used up to 190% CPU of 2 cores (30 of 30 intervals)"}, VerdictFail},
	} {
		r := latencyResult(ms, 100000)
		r.Series = series(c.lagRise, c.p99Rise)
		r.Resources = &Resources{Soak: analyzeSoak(r.Series, nil, 0)}
		r.Interference = &Interference{Intervals: 30, Disturbed: 30, Reasons: c.reasons, Pauses: 3,
			machine: strings.HasPrefix(c.reasons[0], "other processes")}
		sc := &plan.Scenario{Name: "s", Asserts: []*plan.Assertion{{Expr: "soak.p99_drift < 1", Condition: lessThan("soak.p99_drift", 1)}}}
		evalAssertions(r, sc, nil, nil)
		if got := r.Assertions[0].Verdict(); got != c.verdict {
			t.Errorf("%s: %s, want %s (drift %v)", c.name, got, c.verdict, r.Resources.Soak.P99Drift)
		}
	}
}
