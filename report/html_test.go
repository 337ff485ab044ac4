package report

import (
	"bytes"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/executor"
)

// TestHTMLSelfContainedAndEscaped: the page inlines everything (no src or
// href to the network) and carries no script, and text from the document
// cannot end an element or open one, in a table or in a chart's SVG.
func TestHTMLSelfContainedAndEscaped(t *testing.T) {
	t.Parallel()
	d := fixtureDocument()
	evil := `</script><script>alert(1)</script><b>`
	d.Plans[0].Scenarios[0].Assertions[0].Condition = evil
	d.Plans[0].Scenarios[0].Name = evil
	d.Plans[0].Scenarios[0].Ops[0].Name = evil
	d.Plans[0].Scenarios[0].Series = []SeriesDoc{{OffsetNS: 1e9, Ops: 10, Throughput: 10, P50NS: 1000, P99NS: 2000, MaxNS: 3000, ActiveVUs: 1}}
	var b bytes.Buffer
	if err := WriteHTML(&b, d); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "<script") || strings.Contains(page, "<b>") {
		t.Error("document text is not escaped, or the page carries a script")
	}
	if m := regexp.MustCompile(`(?i)\b(src|href)\s*=\s*"(https?:)?//`).FindString(page); m != "" {
		t.Errorf("the page refers to the network: %s", m)
	}
	// The throughput chart is inline SVG with the point and its tooltip,
	// printed as the tables print a rate.
	m := regexp.MustCompile(`(?s)<div class="chart" id="p0-s0-throughput"[^>]*data-points="1"[^>]*>(<svg .*?</svg>)</div>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no throughput chart with one point")
	}
	if !strings.Contains(m[1], "<title>time "+Duration(time.Second)+"\nthroughput: "+Rate(10)+"</title>") {
		t.Errorf("the throughput chart has no tooltip for its point:\n%s", m[1])
	}
}

// TestChartValue: a chart prints its ticks and tooltips as the tables
// print figures (units.go), so an axis and a table agree.
func TestChartValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		unit string
		v    float64
		want string
	}{
		{"B", 123456789, Bytes(123456789)},
		{"ns", 2.5e6, Duration(2500 * time.Microsecond)},
		{"/s", 12345, Rate(12345)},
		{"s", 90, Duration(90 * time.Second)},
		{"s", 2.5, Duration(2500 * time.Millisecond)},
		{"ratio", 0.0123, Percent(0.0123)},
		{"%", 74, Percent(0.74)},
		{"p", 1000, "99.9%"},
		{"p", 2, "50%"},
		{"run", 12, "#12"},
		{"B/s", 2048, Bytes(2048) + "/s"},
		{"", 0.5, Number(0.5)},
	} {
		if got := ChartValue(tc.unit, tc.v); got != tc.want {
			t.Errorf("ChartValue(%q, %v) = %q, want %q", tc.unit, tc.v, got, tc.want)
		}
	}
	if Bytes(123456789) != "118MiB" {
		t.Errorf("123456789 bytes print as %s", Bytes(123456789))
	}
}

// TestHTMLStatGroups: the HTML report's grid is the text table's
// (groupStats), with the same rows and column order.
func TestHTMLStatGroups(t *testing.T) {
	t.Parallel()
	g := groupStats(map[string]float64{
		"l1_hits": 10, "l1_misses": 2, "l1_hit_ratio": 0.8, "l2_hits": 1, "l2_misses": 1, "l2_hit_ratio": 0.5,
		"hits": 11, "misses": 1, "hit_ratio": 0.9, "load_errors": 0, "redis_errors": 3, "sets": 4,
	})
	if strings.Join(g.rows, ",") != "l1,l2,total" || strings.Join(g.columns, ",") != "hits,misses,hit_ratio" {
		t.Errorf("rows %v columns %v", g.rows, g.columns)
	}
	if g.cells["l2"]["misses"] != 1 || g.cells["total"]["hits"] != 11 {
		t.Errorf("cells %v", g.cells)
	}
	// load_errors and redis_errors share no column with another row.
	if strings.Join(g.rest, ",") != "load_errors,redis_errors,sets" {
		t.Errorf("rest %v", g.rest)
	}
}

// TestChartSeriesShortTail: a last interval of a few milliseconds is merged
// into the one before.
func TestChartSeriesShortTail(t *testing.T) {
	t.Parallel()
	in := []SeriesDoc{
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
	var in []SeriesDoc
	for i := range 10 {
		in = append(in, SeriesDoc{OffsetNS: int64(i+1) * 1e9, Ops: 100, Throughput: 100, P99NS: int64(i), ActiveVUs: i})
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
	s := &ScenarioDoc{Executor: "constant-vus", Total: OpDoc{Histogram: string(enc)}}
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
		c    ComparisonDoc
		want string
	}{
		{ComparisonDoc{Left: "latency.p99", LeftValue: 3, Op: "<", Right: `duration("5ms")`, RightValue: 5, Held: true}, "latency.p99 3.00ms < 5.00ms: 40.0% headroom"},
		{ComparisonDoc{Left: `op["set"].latency.p99`, LeftValue: 6, Op: "<", Right: "5", RightValue: 5}, `op["set"].latency.p99 6.00ms < 5.00ms: missed by 20.0%`},
		{ComparisonDoc{Left: "latency.p99 / latency.p50", LeftValue: 2.5, Op: "<", Right: "20", RightValue: 20, Held: true}, "latency.p99 / latency.p50 2.5 < 20: 87.5% headroom"},
		{ComparisonDoc{Left: "errors", LeftValue: 0, Op: "==", Right: "0", RightValue: 0, Held: true}, "errors 0 == 0: holds"},
	} {
		if got := comparisonMargin(tc.c); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
