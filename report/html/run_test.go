package html

import (
	"math"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/report"
)

// TestChartValue: a chart prints its ticks and tooltips as the tables
// print figures (units.go), so an axis and a table agree.
func TestChartValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		unit string
		v    float64
		want string
	}{
		{"B", 123456789, report.Bytes(123456789)},
		{"ns", 2.5e6, report.Duration(2500 * time.Microsecond)},
		{"/s", 12345, report.Rate(12345)},
		{"s", 90, report.Duration(90 * time.Second)},
		{"s", 2.5, report.Duration(2500 * time.Millisecond)},
		{"ratio", 0.0123, report.Percent(0.0123)},
		{"%", 74, report.Percent(0.74)},
		{"p", 1000, "99.9%"},
		{"p", 2, "50%"},
		{"run", 12, "#12"},
		{"B/s", 2048, report.Bytes(2048) + "/s"},
		{"", 0.5, report.Number(0.5)},
	} {
		if got := chartValue(tc.unit, tc.v); got != tc.want {
			t.Errorf("chartValue(%q, %v) = %q, want %q", tc.unit, tc.v, got, tc.want)
		}
	}
	if report.Bytes(123456789) != "118MiB" {
		t.Errorf("123456789 bytes print as %s", report.Bytes(123456789))
	}
}

// TestChartSeriesShortTail: a last interval of a few milliseconds is merged
// into the one before.
func TestChartSeriesShortTail(t *testing.T) {
	t.Parallel()
	in := []report.SeriesDoc{
		{OffsetNS: 1e9, Ops: 100, Throughput: 100, P99NS: 5, ActiveVUs: 2},
		{OffsetNS: 2e9, Ops: 100, Throughput: 100, P99NS: 5, ActiveVUs: 2},
		{OffsetNS: 2.01e9, Ops: 1, Throughput: 100, P99NS: 9, ActiveVUs: 0},
	}
	out, _ := ChartSeries(in)
	if len(out) != 2 || out[1].Ops != 101 || out[1].OffsetNS != 2.01e9 || out[1].P99NS != 9 || out[1].ActiveVUs != 2 || math.Abs(out[1].Throughput-101/1.01) > 1e-9 {
		t.Errorf("merged: %+v", out)
	}
	if len(in) != 3 || in[1].Ops != 100 {
		t.Error("the document's series changed")
	}
	full := in[:2]
	if out, _ := ChartSeries(full); len(out) != 2 {
		t.Error("a full last interval was merged")
	}
}

func TestThinSeries(t *testing.T) {
	t.Parallel()
	var in []report.SeriesDoc
	for i := range 10 {
		in = append(in, report.SeriesDoc{OffsetNS: int64(i+1) * 1e9, Ops: 100, Throughput: 100, P99NS: int64(i), ActiveVUs: i})
	}
	out, k := thinSeries(in, 4)
	if k != 3 || len(out) != 4 {
		t.Fatalf("%d points of %d intervals", len(out), k)
	}
	var ops int64
	for _, p := range out {
		ops += p.Ops
	}
	if ops != 1000 || out[0].P99NS != 2 || out[0].ActiveVUs != 2 || out[0].Throughput != 100 || out[3].OffsetNS != 10e9 || out[3].Throughput != 100 {
		t.Errorf("thinned: %+v", out)
	}
	if same, k := thinSeries(in, 10); k != 1 || len(same) != 10 {
		t.Error("a short series was thinned")
	}
}

// TestSpectrum: the spectrum's points at the standard percentiles are the
// histogram's, which the tables show, and it stops where the counts do.
func TestSpectrum(t *testing.T) {
	t.Parallel()
	h := hdrhistogram.New(1, int64(time.Minute), 3)
	for i := int64(1); i <= 10000; i++ {
		h.RecordValue(i * 1000)
	}
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	s := &report.ScenarioDoc{Executor: "constant-vus", Total: report.OpDoc{Histogram: string(enc)}}
	c, ok := spectrumChart(s, "x")
	if !ok || len(c.Series) != 1 {
		t.Fatalf("chart %+v", c)
	}
	for i, x := range c.Xs {
		if x > 10000 {
			t.Errorf("x %v beyond the histogram's 10000 values", x)
		}
		for _, q := range []float64{50, 99, 99.9} {
			if math.Abs(x-100/(100-q)) < 1e-9 && c.Series[0].Data[i] != float64(h.ValueAtQuantile(q)) {
				t.Errorf("p%v = %v, histogram %v", q, c.Series[0].Data[i], h.ValueAtQuantile(q))
			}
		}
	}
}

// TestSoakAndBreakpointCharts: the soak chart's band holds the fitted line,
// and the breakpoint chart marks the breaking point and the recovery.
func TestSoakAndBreakpointCharts(t *testing.T) {
	t.Parallel()
	r := &executor.Resources{Soak: executor.Soak{HeapSamples: 4, HeapSlope: 60, HeapSlopeLow: 30, HeapSlopeHigh: 90}}
	for i := range 4 {
		r.Heap = append(r.Heap, executor.HeapPoint{Offset: time.Duration(i+1) * time.Minute, Live: int64(1000 + 60*i), GCs: int64(i + 1)})
	}
	c, ok := soakChart(r, "s")
	if !ok || len(c.Series) != 4 || len(c.Bands) != 1 {
		t.Fatalf("soak chart %+v", c)
	}
	for i := range c.Xs {
		fit, hi, lo := c.Series[1].Data[i], c.Series[2].Data[i], c.Series[3].Data[i]
		if fit < lo || fit > hi {
			t.Errorf("point %d: fit %v outside [%v, %v]", i, fit, lo, hi)
		}
	}
	b := &executor.BreakpointResult{Broke: true, Recovered: true, BreakingPoint: 200, RecoveryRate: 50, RecoveryTime: time.Second, Steps: []executor.BreakpointStep{
		{Phase: "search", Rate: 100, Ops: 10, P99: time.Millisecond, Throughput: 100},
		{Phase: "search", Rate: 200, Ops: 10, P99: 2 * time.Millisecond, Throughput: 200},
		{Phase: "search", Rate: 300, Ops: 10, P99: time.Second, Throughput: 210},
		{Phase: "recovery", Rate: 50, Ops: 10, P99: time.Millisecond, Throughput: 50},
	}}
	bc, ok := breakpointChart(b, "b")
	if !ok || len(bc.Markers) != 2 || bc.Markers[0].X != 200 || bc.Markers[1].Y == nil || bc.Xs[0] != 50 {
		t.Fatalf("breakpoint chart %+v", bc)
	}
}

func TestComparisonMargin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		c    report.ComparisonDoc
		want string
	}{
		{report.ComparisonDoc{Left: "latency.p99", LeftValue: 3, Op: "<", Right: `duration("5ms")`, RightValue: 5, Held: true}, "latency.p99 3.00ms < 5.00ms: 40.0% headroom"},
		{report.ComparisonDoc{Left: `op["set"].latency.p99`, LeftValue: 6, Op: "<", Right: "5", RightValue: 5}, `op["set"].latency.p99 6.00ms < 5.00ms: missed by 20.0%`},
		{report.ComparisonDoc{Left: "latency.p99 / latency.p50", LeftValue: 2.5, Op: "<", Right: "20", RightValue: 20, Held: true}, "latency.p99 / latency.p50 2.5 < 20: 87.5% headroom"},
		{report.ComparisonDoc{Left: "errors", LeftValue: 0, Op: "==", Right: "0", RightValue: 0, Held: true}, "errors 0 == 0: holds"},
	} {
		if got := comparisonMargin(tc.c); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// sweepDoc is a plan whose scenario steady was declared with for_each over
// L1 sizes, the instances in key order (large, small).
func sweepDoc() *report.PlanDoc {
	sc := func(key, value string, p99 time.Duration, thr float64) report.ScenarioDoc {
		return report.ScenarioDoc{Name: `steady["` + key + `"]`, Executor: "constant-vus", Sweep: &plan.Sweep{Name: "steady", Key: key, Value: value},
			Total:      report.OpDoc{Name: "total", Ops: 1000, Throughput: thr, Latency: report.LatencyDoc{P50: int64(p99 / 4), P99: int64(p99), Max: int64(2 * p99)}},
			Assertions: []report.AssertionDoc{{Condition: "ops > 0", Passed: key != "small"}}}
	}
	return &report.PlanDoc{Name: "sweep", Scenarios: []report.ScenarioDoc{
		sc("large", "100000", time.Millisecond, 9000),
		sc("small", "1000", 3*time.Millisecond, 3000),
		{Name: "other", Executor: "constant-vus"},
	}}
}

// TestSweepChart: the HTML report draws p99 and throughput against the
// swept value, in value order, on a log axis across a hundredfold.
func TestSweepChart(t *testing.T) {
	t.Parallel()
	charts := sweepCharts(sweepDoc(), "p0")
	if len(charts) != 1 {
		t.Fatalf("%d charts, want 1", len(charts))
	}
	c := charts[0]
	if len(c.Xs) != 2 || c.Xs[0] != 1000 || c.Xs[1] != 100000 || !c.X.Log {
		t.Errorf("xs %v log %v; want [1000 100000] on a log axis", c.Xs, c.X.Log)
	}
	if c.Series[0].Data[0] != float64(3*time.Millisecond) || c.Series[1].Data[1] != 9000 {
		t.Errorf("series %+v", c.Series)
	}
	d := sweepDoc()
	d.Scenarios[0].Sweep.Value = "lru"
	if n := len(sweepCharts(d, "p0")); n != 0 {
		t.Errorf("%d charts for values that are not numbers", n)
	}
}
