package compare

import (
	"bytes"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchmath"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/report"
)

// repRun is a document with the plan repeated once per p50 (in ms), each
// repetition with the given error rate.
func repRun(errorRate float64, p50ms ...float64) *report.Document {
	d := &report.Document{SchemaVersion: report.SchemaVersion}
	for i, v := range p50ms {
		op := report.OpDoc{Name: "get", Ops: 1000, Throughput: 1000 / v, ErrorRate: errorRate,
			Latency: report.LatencyDoc{P50: int64(v * 1e6), P90: int64(v * 1.2e6), P99: int64(v * 1.5e6)}}
		d.Plans = append(d.Plans, report.PlanDoc{Name: "p", Repetition: i + 1,
			Scenarios: []report.ScenarioDoc{{Name: "s", Total: op, Ops: []report.OpDoc{op}}}})
	}
	return d
}

// TestNoInfinityInOutput compares documents that used to print "± ∞" or
// "+∞" (too few runs for an interval, a metric rising from zero) and checks
// that no output holds ∞, Inf or NaN.
func TestNoInfinityInOutput(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(4, 4))
	errorsFromZero := func(errs int64) *report.Document {
		d := seriesRun(60, func(i int) float64 { return 1000 + float64(i%5) })
		for i := range d.Plans[0].Scenarios[0].Series {
			d.Plans[0].Scenarios[0].Series[i].Errors = errs
		}
		return d
	}
	for _, tc := range []struct {
		name      string
		base, new *report.Document
		want      string
	}{
		{"count 5", sleepRun(rng, time.Millisecond, 4*time.Millisecond, 1, 10, 200, 5), sleepRun(rng, time.Millisecond, 4*time.Millisecond, 1.3, 10, 200, 5), "@94%"},
		{"count 2", repRun(0, 1, 1.1), repRun(0, 2, 2.1), "@50%"},
		{"count 3 errors from zero", repRun(0, 1, 1.1, 1.05), repRun(0.02, 1, 1.1, 1.05), "@75%"},
		{"intervals errors from zero", errorsFromZero(0), errorsFromZero(3), "up from 0"},
		{"declined", seriesRun(4, func(int) float64 { return 1000 }), seriesRun(4, func(int) float64 { return 2000 }), "no verdict"},
		{"one run", ar1Run(rng, 30, 0.5, 0.05, 1), ar1Run(rng, 30, 0.5, 0.05, 1.3), "batch means"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Compare(tc.base, tc.new, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := res.Write(&b); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, bad := range []string{"∞", "Inf", "NaN"} {
				if strings.Contains(out, bad) {
					t.Errorf("output holds %q:\n%s", bad, out)
				}
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

// TestMedianIntervalFallback checks the median's interval with too few runs
// for the level asked: the min–max range at its own, lower level.
func TestMedianIntervalFallback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n          int
		reduced    bool
		confidence float64
		ci         string
	}{
		{1, false, 0, ""},
		{2, true, 0.5, "± 50% @50%"},
		{4, true, 0.875, "± 50% @88%"},
		{5, true, 0.9375, "± 50% @94%"},
		{6, false, 0.96875, "± 50%"},
	} {
		xs := make([]float64, tc.n)
		for i := range xs {
			// Symmetric around 10 with min 5 and max 15.
			xs[i] = 5 + 10*float64(i)/float64(max(tc.n-1, 1))
		}
		if tc.n == 1 {
			xs[0] = 10
		}
		s := benchmath.NewSample(xs, &benchmath.DefaultThresholds)
		sum := summarize(s, 0.95)
		if sum.Reduced != tc.reduced || sum.Confidence != tc.confidence {
			t.Errorf("n=%d: reduced %v confidence %v, want %v %v", tc.n, sum.Reduced, sum.Confidence, tc.reduced, tc.confidence)
		}
		if got := ciString(sum); got != tc.ci {
			t.Errorf("n=%d: interval %q, want %q", tc.n, got, tc.ci)
		}
		if tc.reduced && (len(s.Warnings) == 0 || !strings.Contains(s.Warnings[0].Error(), "min–max")) {
			t.Errorf("n=%d: warnings %v", tc.n, s.Warnings)
		}
	}
}

// TestAdviceWording checks directions and signs in the advice: a fall says
// "fell" with an unsigned percentage, and no advice carries a signed one.
func TestAdviceWording(t *testing.T) {
	t.Parallel()
	mk := func(metric string, delta float64, sig bool) Row {
		m := Metric{Name: metric, Unit: "ns"}
		switch metric {
		case "throughput":
			m = Metric{Name: metric, HigherIsBetter: true, Unit: "/s"}
		case "error_rate":
			m.Unit = "ratio"
		}
		r := Row{Op: "(all)", Metric: m, Significant: sig, Delta: delta, Base: Summary{Center: 100}, New: Summary{Center: 100 * (1 + delta)}}
		(&Result{Options: DefaultOptions()}).rate(&r)
		return r
	}
	// An error rate that rose from zero: an infinite relative change.
	fromZero := mk("error_rate", math.Inf(1), true)
	fromZero.Base.Center, fromZero.New.Center = 0, 0.02
	declined := mk("p50", 0.3, false)
	declined.Declined = true
	signed := regexp.MustCompile(`[+-][0-9]`)
	for _, tc := range []struct {
		name string
		rows []Row
		pick string
		want []string
	}{
		{"throughput fell", []Row{mk("p50", 0.087, true), mk("p99", 0.1, true), mk("throughput", -0.087, true)}, "throughput",
			[]string{"throughput fell 8.7% as latency rose (p50 rose 8.7%, p99 rose 10.0%)"}},
		{"throughput fell, latency flat", []Row{mk("p50", 0.01, false), mk("p99", -0.02, false), mk("throughput", -0.2, true)}, "throughput",
			[]string{"throughput fell 20.0% with latency flat (p50 held, p99 held)"}},
		{"throughput fell, latency lower", []Row{mk("p50", -0.05, true), mk("p99", 0, false), mk("throughput", -0.2, true)}, "throughput",
			[]string{"latency flat or lower (p50 fell 5.0%, p99 held)"}},
		{"throughput fell, latency undecided", []Row{declined, mk("throughput", -0.2, true)}, "throughput",
			[]string{"throughput fell 20.0%", "p50 had no verdict", "--count"}},
		{"tail with p50 faster", []Row{mk("p50", -0.05, true), mk("p99", 0.3, true)}, "p99",
			[]string{"p99 rose 30.0% while p50 fell 5.0%", "tail causes"}},
		{"tail with p50 undecided", []Row{declined, mk("p99", 0.3, true)}, "p99",
			[]string{"p99 rose 30.0%, but p50 had no verdict"}},
		{"growing slowdown", []Row{mk("p50", 0.12, true), mk("p99", 0.4, true)}, "p50",
			[]string{"p50 rose 12.0% and p99 rose 40.0%"}},
		{"errors from zero", []Row{fromZero, mk("p99", 0.3, true)}, "p99",
			[]string{"p99 rose 30.0% while the error rate rose from 0% to 2.00%"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows := append([]Row(nil), tc.rows...)
			addAdvice(rows, 0, 0)
			found := false
			for _, r := range rows {
				if r.Advice != "" && signed.MatchString(r.Advice) {
					t.Errorf("advice with a signed percentage: %q", r.Advice)
				}
				if r.Metric.Name != tc.pick {
					continue
				}
				found = true
				for _, want := range tc.want {
					if !strings.Contains(r.Advice, want) {
						t.Errorf("advice %q lacks %q", r.Advice, want)
					}
				}
			}
			if !found {
				t.Fatalf("no %s row", tc.pick)
			}
		})
	}
}

// TestOpenModelOpThroughput: an open model's operations share its fixed
// arrival rate by the random mix, so compare gives no verdict on one
// operation's throughput (an A/A run beside a CPU hog flagged "set
// throughput -5.5%"); the scenario's total and a closed model's ops are
// still compared.
func TestOpenModelOpThroughput(t *testing.T) {
	t.Parallel()
	run := func(executor string, setShare ...float64) *report.Document {
		d := &report.Document{SchemaVersion: report.SchemaVersion}
		for i, sh := range setShare {
			get := report.OpDoc{Name: "get", Ops: int64(2000 * (1 - sh)), Throughput: 2000 * (1 - sh), Latency: report.LatencyDoc{P50: 1e6, P90: 1e6, P99: 2e6}}
			set := report.OpDoc{Name: "set", Ops: int64(2000 * sh), Throughput: 2000 * sh, Latency: report.LatencyDoc{P50: 1e6, P90: 1e6, P99: 2e6}}
			total := report.OpDoc{Name: "(all)", Ops: 2000, Throughput: 2000, Latency: report.LatencyDoc{P50: 1e6, P90: 1e6, P99: 2e6}}
			d.Plans = append(d.Plans, report.PlanDoc{Name: "p", Repetition: i + 1,
				Scenarios: []report.ScenarioDoc{{Name: "s", Executor: executor, Total: total, Ops: []report.OpDoc{get, set}}}})
		}
		return d
	}
	for _, c := range []struct {
		executor string
		want     bool
	}{{"constant-arrival-rate", false}, {"constant-vus", true}} {
		res, err := Compare(run(c.executor, 0.10, 0.101, 0.102, 0.103, 0.104), run(c.executor, 0.090, 0.091, 0.092, 0.093, 0.094), DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		got := false
		for _, r := range res.Rows {
			if r.Op == "set" && r.Metric.Name == "throughput" {
				got = true
			}
		}
		if got != c.want {
			t.Errorf("%s: a row for set throughput: %v, want %v", c.executor, got, c.want)
		}
	}
}

// TestRegressionExplainedByInterference: a p99 regression of 1ms whose new
// side's runs saw the probe wake 3ms later than the base side's is
// inconclusive, not failing; one of 5ms is a regression still.
func TestRegressionExplainedByInterference(t *testing.T) {
	t.Parallel()
	run := func(p99 time.Duration, wakeP99 time.Duration) *report.Document {
		d := &report.Document{SchemaVersion: report.SchemaVersion}
		for i := range 5 {
			v := p99 + time.Duration(i)*10*time.Microsecond
			op := report.OpDoc{Name: "get", Ops: 1000, Throughput: 1000, Latency: report.LatencyDoc{P50: int64(v / 2), P90: int64(v), P99: int64(v)}}
			d.Plans = append(d.Plans, report.PlanDoc{Name: "p", Repetition: i + 1,
				Scenarios: []report.ScenarioDoc{{Name: "s", Executor: "constant-vus", Total: op, Ops: []report.OpDoc{op},
					Interference: &executor.Interference{Intervals: 5, Disturbed: 5, WakeP50: wakeP99 / 2, WakeP99: wakeP99}}}})
		}
		return d
	}
	for _, c := range []struct {
		name                 string
		newP99               time.Duration
		failed, inconclusive bool
	}{
		{"within the interference", 3 * time.Millisecond, false, true},
		{"beyond it", 7 * time.Millisecond, true, false},
	} {
		res, err := Compare(run(2*time.Millisecond, time.Millisecond), run(c.newP99, 4*time.Millisecond), DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed() != c.failed || res.Inconclusive() != c.inconclusive {
			t.Errorf("%s: failed %v inconclusive %v, want %v %v", c.name, res.Failed(), res.Inconclusive(), c.failed, c.inconclusive)
		}
	}
}
