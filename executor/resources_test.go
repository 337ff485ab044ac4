package executor

import (
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/aclements/go-moremath/stats"

	"github.com/perfplan/perfplan/internal/lsq"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/sleep"
)

func TestRegress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		xs, ys         []float64
		slope          float64
		wantPositiveLo bool
		wantZeroInCI   bool
	}{
		{name: "exact line", xs: []float64{0, 1, 2, 3}, ys: []float64{1, 3, 5, 7}, slope: 2, wantPositiveLo: true},
		{name: "flat", xs: []float64{0, 1, 2, 3}, ys: []float64{5, 5, 5, 5}, slope: 0},
		{name: "noise", xs: []float64{0, 1, 2, 3, 4, 5}, ys: []float64{5, 7, 4, 6, 5, 6}, slope: 0.02857, wantZeroInCI: true},
		{name: "two points", xs: []float64{0, 1}, ys: []float64{0, 2}, slope: 2, wantPositiveLo: true},
		{name: "no spread", xs: []float64{1, 1, 1}, ys: []float64{0, 2, 4}, slope: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, lo, hi := regress(tc.xs, tc.ys)
			if math.Abs(b-tc.slope) > 1e-3 {
				t.Errorf("slope = %v, want %v", b, tc.slope)
			}
			if lo > b || hi < b {
				t.Errorf("CI [%v, %v] does not hold slope %v", lo, hi, b)
			}
			if tc.wantPositiveLo && lo <= 0 {
				t.Errorf("lower bound %v, want > 0", lo)
			}
			if tc.wantZeroInCI && (lo > 0 || hi < 0) {
				t.Errorf("CI [%v, %v] excludes 0", lo, hi)
			}
		})
	}
}

// TestRegressSerialCorrelation: a level series that wanders (AR(1) noise,
// φ = 0.8, 36 points, as a live heap sampled once per GC does) has no
// trend, and the textbook interval, which assumes independent residuals,
// excludes zero in about half of such series; regress's interval, which
// allows for the residuals' autocorrelation, in a sixth (the lag-1
// estimate of so short a series is biased low, so the allowance falls
// short of the 5% it aims at; corrected for that bias it found too few
// real trends), and it still finds a trend of half the noise's step per
// point nearly always. The series are seeded: the counts are fixed, not
// sampled.
func TestRegressSerialCorrelation(t *testing.T) {
	t.Parallel()
	series := func(seed uint64, slope float64) (xs, ys []float64) {
		rng := rand.New(rand.NewPCG(seed, 7))
		y := 0.0
		for i := range 36 {
			y = 0.8*y + rng.NormFloat64()
			xs = append(xs, float64(i))
			ys = append(ys, y+slope*float64(i))
		}
		return xs, ys
	}
	const n = 200
	var textbook, level, trend int
	for seed := uint64(1); seed <= n; seed++ {
		xs, ys := series(seed, 0)
		if _, lo, hi := regress(xs, ys); lo > 0 || hi < 0 {
			level++
		}
		if lo, hi := textbookCI(xs, ys); lo > 0 || hi < 0 {
			textbook++
		}
		xs, ys = series(seed, 0.5)
		if _, lo, _ := regress(xs, ys); lo > 0 {
			trend++
		}
	}
	if textbook < n/3 {
		t.Fatalf("the textbook interval excluded zero in only %d of %d level series: the series do not show the problem", textbook, n)
	}
	t.Logf("level series with zero outside the interval: %d of %d (textbook %d); trend found in %d", level, n, textbook, trend)
	if level > n*20/100 {
		t.Errorf("regress's interval excluded zero in %d of %d level series (the textbook one in %d), want at most 20%%", level, n, textbook)
	}
	if trend < n*95/100 {
		t.Errorf("regress found the trend in %d of %d series, want at least 95%%", trend, n)
	}
}

// textbookCI is the 95% interval of a least-squares slope with independent
// residuals (Student's t with n-2 degrees of freedom).
func textbookCI(xs, ys []float64) (lo, hi float64) {
	a, b, _ := lsq.Line(xs, ys)
	mx := stats.Mean(xs)
	var sxx, sse float64
	for i, x := range xs {
		sxx += (x - mx) * (x - mx)
		e := ys[i] - (a + b*x)
		sse += e * e
	}
	n := float64(len(xs))
	se := math.Sqrt(sse / (n - 2) / sxx)
	t := stats.InvCDF(stats.TDist{V: n - 2})(0.975)
	return b - t*se, b + t*se
}

func TestAnalyzeSoak(t *testing.T) {
	t.Parallel()
	pts := func(thr []float64, p99ms []float64) []SeriesPoint {
		var s []SeriesPoint
		for i := range thr {
			s = append(s, SeriesPoint{Offset: time.Duration(i+1) * time.Second, Throughput: thr[i], P99: time.Duration(p99ms[i] * 1e6)})
		}
		return s
	}
	heap := func(perSec int64, n int) []HeapPoint {
		var h []HeapPoint
		for i := range n {
			h = append(h, HeapPoint{Offset: time.Duration(i+1) * time.Second, Live: 1e7 + perSec*int64(i), GCs: int64(i + 1)})
		}
		return h
	}
	tests := []struct {
		name      string
		series    []SeriesPoint
		heap      []HeapPoint
		threshold float64
		cv, drift float64
		leak      bool
	}{
		{name: "steady", series: pts([]float64{100, 100, 100}, []float64{1, 1, 1}), heap: heap(0, 10), cv: 0, drift: 0},
		{name: "drift 1ms per second", series: pts([]float64{50, 150, 100}, []float64{1, 2, 3}), heap: heap(0, 10), cv: 0.5, drift: 60},
		// One stalled interval at the end is a spike, not a drift (a
		// least-squares slope reads 20ms/min into it).
		{name: "one spike at the end", series: pts([]float64{100, 100, 100, 100, 100, 100}, []float64{1, 1, 1, 1, 1, 9}), heap: heap(0, 10), drift: 0},
		{name: "steady rise with a spike", series: pts([]float64{100, 100, 100, 100, 100, 100}, []float64{1, 2, 3, 4, 20, 6}), heap: heap(0, 10), drift: 60},
		{name: "leak above threshold", heap: heap(1<<20, 10), leak: true},
		{name: "growth below threshold", heap: heap(1000, 10), threshold: 1 << 20},
		{name: "too few heap points", heap: heap(1<<20, 2)},
		{name: "no GC cycle", heap: []HeapPoint{{Offset: time.Second, Live: 1}, {Offset: 2 * time.Second, Live: 1e9}, {Offset: 3 * time.Second, Live: 2e9}}},
		// The heap grows with the worker pool for the first 5 seconds,
		// then stays flat: the runner's own memory, not a leak.
		{name: "growth while the pool grows", series: poolSeries(1, 2, 4, 8, 16, 16, 16, 16, 16, 16), heap: func() []HeapPoint {
			h := heap(0, 10)
			for i := range h[:5] {
				h[i].Live = 1e7 + int64(i)<<22
			}
			for i := range h[5:] {
				h[5+i].Live = 1e7 + 4<<22
			}
			return h
		}()},
		// A leak once the pool is at its peak is still a leak.
		{name: "leak after the pool's peak", series: poolSeries(1, 16, 16, 16, 16, 16, 16, 16, 16, 16), heap: heap(1<<20, 10), leak: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := analyzeSoak(tc.series, tc.heap, tc.threshold)
			if math.Abs(s.ThroughputCV-tc.cv) > 1e-9 || math.Abs(s.P99Drift-tc.drift) > 1e-6 || s.Leak != tc.leak {
				t.Errorf("soak = %+v, want cv %v drift %v leak %v", s, tc.cv, tc.drift, tc.leak)
			}
		})
	}
}

func TestPauseQuantiles(t *testing.T) {
	t.Parallel()
	h := &metrics.Float64Histogram{Buckets: []float64{0, 1e-4, 1e-3, 1e-2, math.Inf(1)}, Counts: []uint64{10, 1000, 5, 1}}
	tests := []struct {
		name     string
		base     []uint64
		p99, max time.Duration
	}{
		{name: "all", p99: time.Millisecond, max: 10 * time.Millisecond},
		{name: "since base", base: []uint64{10, 900, 5, 1}, p99: time.Millisecond, max: time.Millisecond},
		{name: "none", base: []uint64{10, 1000, 5, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p99, mx := pauseQuantiles(h, tc.base)
			if p99 != tc.p99 || mx != tc.max {
				t.Errorf("p99, max = %v, %v; want %v, %v", p99, mx, tc.p99, tc.max)
			}
		})
	}
}

func TestParseStatm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "1000 250 100 1 0 300 0\n", want: 250 * 4096},
		{in: "1000", wantErr: true},
		{in: "1000 x", wantErr: true},
	}
	for _, tc := range tests {
		got, err := parseStatm(tc.in, 4096)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseStatm(%q) = %v, %v", tc.in, got, err)
		}
	}
}

// TestResourcesSampled: every scenario gets resource figures, and every
// resource metric name resolves; NoResources turns the sampler off.
func TestResourcesSampled(t *testing.T) {
	t.Parallel()
	for _, off := range []bool{false, true} {
		sc := &plan.Scenario{Name: "r", Config: &ConstantVUs{VUs: 1, Duration: 600 * time.Millisecond}, Workload: workload(noopTarget())}
		res := run(t, onePlan(sc), Options{SnapshotInterval: 50 * time.Millisecond, NoResources: off})
		r := res.Scenarios[0]
		if off {
			if r.Resources != nil {
				t.Fatalf("NoResources: Resources = %+v", r.Resources)
			}
			if _, ok := r.Metric("cpu.percent"); ok {
				t.Fatal("NoResources: cpu.percent has a value")
			}
			continue
		}
		rs := r.Resources
		if rs == nil {
			t.Fatal("no Resources")
		}
		// One resource sample per collector tick (and one at the end):
		// as many as series points, however few ticks a busy machine
		// allowed.
		if rs.CPUUserSeconds+rs.CPUSystemSeconds <= 0 || rs.CPUPercent <= 0 || rs.HeapInUsePeak <= 0 ||
			rs.HeapInUseEnd <= 0 || rs.GoroutinesMax < 1 || len(rs.Heap) < max(len(r.Series), 1) || rs.Soak.LeakThreshold != DefaultLeakThreshold {
			t.Errorf("resources = %+v (%d series points)", rs, len(r.Series))
		}
		if rs.RSSPeak <= 0 {
			t.Logf("no RSS (no /proc/self/statm?)")
		}
		for _, name := range plan.ResourceMetrics {
			if _, ok := r.Metric(name); !ok {
				t.Errorf("metric %s has no value", name)
			}
		}
	}
}

func leakySleepTarget(leak int64) *plan.Target {
	k := sleep.Kind()
	return &plan.Target{Kind: "sleep", Name: "s", Spec: &k, Config: targets.Config{Attrs: map[string]any{
		"latency": time.Millisecond, "leak_bytes_per_call": leak,
	}}}
}

// TestLeakDetection drives leak detection through Run: a sleep target that
// retains memory on every call is flagged, the same target without the leak
// and the prefilled cache at steady state are not. The examples run scaled
// down to a few seconds with a 100ms snapshot interval. The test is not
// parallel: the heap is the process's, and other tests would move it.
func TestLeakDetection(t *testing.T) {
	tests := []struct {
		name    string
		plan    func(t *testing.T) *plan.Plan
		scale   float64
		leak    bool
		verdict bool // at least three GC cycles, so the regression ran
		gogc    int  // GOGC during the run; 0 leaves it alone
	}{
		{name: "sleep leaking 16KiB per call", leak: true, scale: 1, plan: func(*testing.T) *plan.Plan {
			return onePlan(&plan.Scenario{Name: "leak", Config: &ConstantVUs{VUs: 2, Duration: 3 * time.Second}, Workload: workload(leakySleepTarget(16384))})
		}},
		{name: "sleep without leak", scale: 1, plan: func(*testing.T) *plan.Plan {
			return onePlan(&plan.Scenario{Name: "steady", Config: &ConstantVUs{VUs: 2, Duration: 3 * time.Second}, Workload: workload(leakySleepTarget(0))})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Start from a collected heap with a low GC goal, so that the
			// previous subtest's retained memory does not delay this
			// one's GC cycles.
			runtime.GC()
			if tc.gogc > 0 {
				defer debug.SetGCPercent(debug.SetGCPercent(tc.gogc))
			}
			res := run(t, tc.plan(t), Options{SnapshotInterval: 100 * time.Millisecond, DurationScale: tc.scale})
			r := res.Scenarios[0]
			if r.Resources == nil {
				t.Fatal("no Resources")
			}
			s := r.Resources.Soak
			t.Logf("heap slope %.0f B/min [%.0f, %.0f], %d points, gc %d", s.HeapSlope, s.HeapSlopeLow, s.HeapSlopeHigh, len(r.Resources.Heap), r.Resources.GCCount)
			if (tc.leak || tc.verdict) && s.HeapSamples < 3 {
				t.Errorf("%d GC cycles in the regression, want at least 3 for a verdict", s.HeapSamples)
			}
			if s.Leak != tc.leak {
				t.Errorf("leak = %v, want %v (soak %+v)", s.Leak, tc.leak, s)
			}
			if v, _ := r.Metric("heap.leak"); (v == 1) != tc.leak {
				t.Errorf("heap.leak = %v", v)
			}
			for _, a := range r.Assertions {
				if a.Assertion.Expr == "heap.leak == 0" && a.Passed == tc.leak {
					t.Errorf("assertion %q passed = %v", a.Assertion.Expr, a.Passed)
				}
			}
		})
	}
}

// TestAbortOnResourceMetric: abort_on_fail assertions read resource metrics
// live (goroutines.max < 1 can never hold).
func TestAbortOnResourceMetric(t *testing.T) {
	t.Parallel()
	a := &plan.Assertion{Expr: "goroutines.max < 1", AbortOnFail: true, AbortGrace: 100 * time.Millisecond, Condition: fakeCond{"goroutines.max", 1}}
	sc := &plan.Scenario{Name: "a", Config: &ConstantVUs{VUs: 1, Duration: time.Minute}, Workload: workload(noopTarget()), Asserts: []*plan.Assertion{a}}
	r := run(t, onePlan(sc), Options{SnapshotInterval: 50 * time.Millisecond}).Scenarios[0]
	if !r.Aborted || !r.Assertions[0].Aborted || r.Elapsed > 30*time.Second {
		t.Fatalf("aborted=%v reason=%q elapsed=%v", r.Aborted, r.AbortReason, r.Elapsed)
	}
}

// TestCPUPercentBounded: a scenario that ends within a millisecond must not
// divide CPU time measured over its set-up by its tiny elapsed time.
func TestCPUPercentBounded(t *testing.T) {
	t.Parallel()
	sc := &plan.Scenario{Name: "short", Config: &SharedIterations{VUs: 1, Iterations: 100, MaxDuration: time.Minute}, Workload: workload(noopTarget())}
	r := run(t, onePlan(sc), Options{}).Scenarios[0]
	v, ok := r.Metric("cpu.percent")
	if !ok {
		t.Fatal("cpu.percent has no value")
	}
	// Timer and accounting granularity leave a little slack above the
	// machine's cores.
	if limit := float64(100*runtime.NumCPU()) * 1.1; v > limit {
		t.Errorf("cpu.percent = %.0f, more than %d cores can give", v, runtime.NumCPU())
	}
}

func TestTheilSenLongSeries(t *testing.T) {
	t.Parallel()
	// 3,600 intervals (an hour) rising 2ms a minute, one in ten stalled at
	// 50ms: reduced to theilSenPoints points, the slope is still the rise.
	xs := make([]float64, 3600)
	ys := make([]float64, 3600)
	for i := range xs {
		xs[i] = float64(i) / 60
		ys[i] = 1 + 2*xs[i]
		if i%10 == 9 {
			ys[i] = 50
		}
	}
	if got := theilSen(xs, ys); math.Abs(got-2) > 0.01 {
		t.Errorf("slope %v, want 2", got)
	}
}

// poolSeries is a series of one-second points with these active workers.
func poolSeries(vus ...int) []SeriesPoint {
	out := make([]SeriesPoint, len(vus))
	for i, v := range vus {
		out[i] = SeriesPoint{Offset: time.Duration(i+1) * time.Second, ActiveVUs: v, Throughput: 100, P99: time.Millisecond}
	}
	return out
}
