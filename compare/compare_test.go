package compare

import (
	"bytes"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchmath"

	"github.com/perfplan/perfplan/report"
)

// TestBenchstatExample reproduces a published benchstat comparison: the
// CRC32/poly=IEEE/size=15/align=0 rows of x/perf's cmd/benchstat testdata
// (crc-old.txt, crc-new.txt), whose expected output (crcIgnore.stdout) reads
//
//	46.55n ± 9%   44.40n ± 2%   -4.62% (p=0.008 n=10)
func TestBenchstatExample(t *testing.T) {
	t.Parallel()
	old := []float64{44.6, 47.3, 44.6, 46.3, 50.7, 45.8, 46.8, 44.3, 47.7, 50.6}
	new := []float64{43.6, 45.4, 43.4, 45.3, 43.9, 46.0, 45.1, 43.8, 43.8, 44.9}
	res := &Result{Options: DefaultOptions()}
	row := res.compareSamples("crc", "IEEE/size=15/align=0", "(all)", Metric{Name: "p50", Unit: "ns"}, "repetitions",
		append([]float64(nil), old...), append([]float64(nil), new...), rand.New(rand.NewPCG(1, 2)))
	if got := math.Round(row.P*1000) / 1000; got != 0.008 {
		t.Errorf("p = %.4f, benchstat says 0.008", row.P)
	}
	if row.Base.Center != 46.55 || row.New.Center != 44.40 {
		t.Errorf("medians %v, %v; benchstat says 46.55, 44.40", row.Base.Center, row.New.Center)
	}
	if got := ciString(row.Base); got != "± 9%" {
		t.Errorf("base interval %s, benchstat says ± 9%%", got)
	}
	if got := ciString(row.New); got != "± 2%" {
		t.Errorf("new interval %s, benchstat says ± 2%%", got)
	}
	if got := strings.Fields(row.DeltaString())[0]; got != "-4.62%" {
		t.Errorf("delta %s, benchstat says -4.62%%", got)
	}
	if !row.Improvement || row.Regression {
		t.Errorf("a latency that fell is an improvement: %+v", row)
	}
	if !(row.DeltaLo <= row.Delta && row.Delta <= row.DeltaHi) {
		t.Errorf("delta %v outside its interval [%v, %v]", row.Delta, row.DeltaLo, row.DeltaHi)
	}
	// The same p straight from the library, as a cross-check.
	c := benchmath.AssumeNothing.Compare(benchmath.NewSample(old, &benchmath.DefaultThresholds), benchmath.NewSample(new, &benchmath.DefaultThresholds))
	if c.String() != "p=0.008 n=10" {
		t.Errorf("benchmath says %s", c)
	}
}

func TestSeverity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		worse float64
		want  Severity
	}{{0.01, Low}, {0.099, Low}, {0.10, Medium}, {0.2, Medium}, {0.25, High}, {0.49, High}, {0.5, Critical}, {3, Critical}} {
		if got := DefaultCutoffs.Severity(tc.worse); got != tc.want {
			t.Errorf("Severity(%v) = %v, want %v", tc.worse, got, tc.want)
		}
	}
}

// sleepRun simulates a run of perfplan against the sleep target configured
// with distribution = "lognormal", median and p99, as targets/sleep draws
// it: exp(N(ln median, σ)) with σ = ln(p99/median)/2.3263, plus the timer's
// wake-up slack (an exponential of mean 60µs). It returns a document with
// intervals one-second intervals of opsPerSec operations each (the first
// and last are partial), or reps repetitions of the plan when reps > 1.
func sleepRun(rng *rand.Rand, median, p99 time.Duration, scale float64, intervals, opsPerSec, reps int) *report.Document {
	sigma := math.Log(float64(p99)/float64(median)) / 2.3263478740408408
	draw := func() float64 {
		v := math.Exp(math.Log(float64(median))+sigma*rng.NormFloat64()) + rng.ExpFloat64()*60e3
		return v * scale
	}
	quant := func(xs []float64, q float64) int64 {
		sort.Float64s(xs)
		return int64(xs[int(q*float64(len(xs)-1))])
	}
	d := &report.Document{SchemaVersion: report.SchemaVersion}
	if reps < 1 {
		reps = 1
	}
	for r := 0; r < reps; r++ {
		var all []float64
		s := report.ScenarioDoc{Name: "steady", Executor: "constant-vus"}
		for i := 0; i < intervals; i++ {
			n := opsPerSec
			if i == 0 || i == intervals-1 {
				n /= 3
			}
			xs := make([]float64, n)
			var sum float64
			for j := range xs {
				xs[j] = draw()
				sum += xs[j]
			}
			all = append(all, xs...)
			// A closed model with a fixed number of workers: throughput
			// follows the mean latency.
			tput := float64(n) * (float64(median) * 1.2 / (sum / float64(n)))
			s.Series = append(s.Series, report.SeriesDoc{OffsetNS: int64(i) * int64(time.Second), Ops: int64(n), Throughput: tput,
				P50NS: quant(xs, 0.5), P90NS: quant(xs, 0.9), P99NS: quant(xs, 0.99), MaxNS: quant(xs, 1)})
		}
		s.Total = report.OpDoc{Name: "(all)", Ops: int64(len(all)), Throughput: float64(len(all)) / float64(intervals),
			Latency: report.LatencyDoc{P50: quant(all, 0.5), P90: quant(all, 0.9), P99: quant(all, 0.99)}}
		s.Ops = []report.OpDoc{s.Total}
		s.Ops[0].Name = "op"
		d.Plans = append(d.Plans, report.PlanDoc{Name: "sleep", Scenarios: []report.ScenarioDoc{s}})
	}
	return d
}

// TestAAAndSlowdownDetection runs 20 A/A pairs and 20 pairs where the new
// run's sleep latencies are 10% longer, with fixed seeds, on per-second
// interval samples (30 one-second intervals of 300 operations).
func TestAAAndSlowdownDetection(t *testing.T) {
	t.Parallel()
	const pairs = 20
	opts := DefaultOptions()
	aaFlagged, slowFlagged := 0, 0
	for i := 0; i < pairs; i++ {
		rng := rand.New(rand.NewPCG(uint64(i), 42))
		a := sleepRun(rng, time.Millisecond, 5*time.Millisecond, 1, 30, 300, 1)
		b := sleepRun(rng, time.Millisecond, 5*time.Millisecond, 1, 30, 300, 1)
		slow := sleepRun(rng, time.Millisecond, 5*time.Millisecond, 1.10, 30, 300, 1)
		res, err := Compare(a, b, opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed() {
			aaFlagged++
		}
		res, err = Compare(a, slow, opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed() {
			slowFlagged++
		}
	}
	t.Logf("A/A pairs flagged: %d of %d; 10%% slower flagged: %d of %d", aaFlagged, pairs, slowFlagged, pairs)
	if aaFlagged > 2 {
		t.Errorf("A/A pairs flagged %d of %d, want at most 2", aaFlagged, pairs)
	}
	if slowFlagged < 18 {
		t.Errorf("10%% slower flagged %d of %d, want at least 18", slowFlagged, pairs)
	}
}

// TestRepetitions compares documents with --count repetitions: samples are
// per repetition, with per-operation rows, and a 30% slowdown is High and
// fails.
func TestRepetitions(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 7))
	base := sleepRun(rng, time.Millisecond, 4*time.Millisecond, 1, 10, 200, 10)
	next := sleepRun(rng, time.Millisecond, 4*time.Millisecond, 1.3, 10, 200, 10)
	res, err := Compare(base, next, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Failed() {
		t.Fatal("a 30% slowdown did not fail")
	}
	var p50 *Row
	for i := range res.Rows {
		r := &res.Rows[i]
		if r.Source != "repetitions" || r.Base.N != 10 || r.New.N != 10 {
			t.Errorf("row %s/%s: source %s n=%d+%d", r.Op, r.Metric.Name, r.Source, r.Base.N, r.New.N)
		}
		if r.Op == "(all)" && r.Metric.Name == "p50" {
			p50 = r
		}
	}
	if p50 == nil || p50.Severity != High || !strings.Contains(p50.Advice, "p50 rose") {
		t.Errorf("p50 row: %+v", p50)
	}
	var b bytes.Buffer
	if err := res.Write(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"samples: repetitions", "p=0.000 n=10", "High", "advice:", "REGRESSION"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestUnchangedShowsTilde(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 3))
	a := sleepRun(rng, time.Millisecond, 5*time.Millisecond, 1, 30, 300, 1)
	res, err := Compare(a, a, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := res.Write(&b); err != nil {
		t.Fatal(err)
	}
	if res.Failed() || !strings.Contains(b.String(), " ~ ") || !strings.Contains(b.String(), "OK: no significant regression") {
		t.Errorf("identical runs:\n%s", b.String())
	}
}

func TestAdvice(t *testing.T) {
	t.Parallel()
	row := func(metric string, worse float64, sig bool) Row {
		m := Metric{Name: metric, Unit: "ns"}
		if metric == "throughput" {
			m = Metric{Name: metric, HigherIsBetter: true, Unit: "/s"}
		}
		if metric == "error_rate" {
			m.Unit = "ratio"
		}
		r := Row{Op: "(all)", Metric: m, Significant: sig, Worse: worse, Base: Summary{Center: 0.001}, New: Summary{Center: 0.01}}
		r.Regression = sig && worse > 0
		return r
	}
	for _, tc := range []struct {
		name string
		rows []Row
		pick string
		want string
	}{
		{"tail", []Row{row("p50", 0.01, false), row("p99", 0.4, true)}, "p99", "while p50 held"},
		{"shift", []Row{row("p50", 0.3, true), row("p99", 0.3, true)}, "p99", "whole distribution shifted"},
		{"cpu-bound", []Row{row("p50", 0, false), row("p99", 0, false), row("throughput", 0.2, true)}, "throughput", "latency flat"},
		{"closed-model", []Row{row("p50", 0.2, true), row("throughput", 0.2, true)}, "throughput", "fix the latency first"},
		{"errors", []Row{row("error_rate", 9, true)}, "error_rate", "check the target's errors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addAdvice(tc.rows, 0, 0)
			for _, r := range tc.rows {
				if r.Metric.Name == tc.pick && !strings.Contains(r.Advice, tc.want) {
					t.Errorf("advice %q lacks %q", r.Advice, tc.want)
				}
			}
		})
	}
}

func TestCompareErrors(t *testing.T) {
	t.Parallel()
	d := &report.Document{SchemaVersion: 1}
	for _, tc := range []struct {
		name string
		mod  func(*Options)
	}{
		{"alpha", func(o *Options) { o.Alpha = 0 }},
		{"confidence", func(o *Options) { o.Confidence = 1 }},
		{"threshold", func(o *Options) { o.Threshold = -1 }},
		{"cutoffs", func(o *Options) { o.Cutoffs = Cutoffs{Medium: 0.5, High: 0.2, Critical: 0.9} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := DefaultOptions()
			tc.mod(&o)
			if _, err := Compare(d, d, o); err == nil {
				t.Error("no error")
			}
		})
	}
	if _, err := Compare(nil, d, DefaultOptions()); err == nil {
		t.Error("nil document: no error")
	}
}

func TestMissingPlans(t *testing.T) {
	t.Parallel()
	a := &report.Document{SchemaVersion: 1, Plans: []report.PlanDoc{{Name: "x"}, {Name: "broken", Error: "boom"}}}
	b := &report.Document{SchemaVersion: 1, Plans: []report.PlanDoc{{Name: "y"}}}
	res, err := Compare(a, b, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Missing) != 2 || res.Failed() {
		t.Errorf("missing %v", res.Missing)
	}
}
