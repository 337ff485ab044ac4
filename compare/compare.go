// Package compare compares two perfplan run documents the way benchstat
// compares benchmark results: per plan, scenario, operation and metric it
// takes samples from both runs, tests them with the Mann-Whitney U test,
// shows each side's median with a confidence interval, the change with a
// bootstrap confidence interval, or "~" when the change is not significant,
// and rates significant regressions by severity.
//
// Samples come from repetitions when both documents hold the plan more than
// once (perfplan run --count N writes one PlanDoc per repetition, with the
// same name): one sample per repetition, from the whole-run figures.
// Otherwise they are the per-interval series of each scenario (about one a
// second), without the first and last intervals, which are partial; series
// exist only for the scenario as a whole, so per-operation rows need
// repetitions.
//
// Statistics come from golang.org/x/perf/benchmath (the median and its
// distribution-free confidence interval, and the U test, which it takes from
// github.com/aclements/go-moremath/stats); the delta's interval is a
// percentile bootstrap of the ratio of medians with a fixed seed, so output
// is reproducible.
package compare

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/aclements/go-moremath/stats"
	"golang.org/x/perf/benchmath"

	"github.com/perfplan/perfplan/report"
)

// Severity rates a significant regression by its size.
type Severity int

// Severities, from none to Critical.
const (
	None Severity = iota
	Low
	Medium
	High
	Critical
)

func (s Severity) String() string {
	switch s {
	case Low:
		return "Low"
	case Medium:
		return "Medium"
	case High:
		return "High"
	case Critical:
		return "Critical"
	}
	return ""
}

// Cutoffs are the relative sizes of regression (0.5 = 50 % worse) at which a
// significant regression is Medium, High and Critical; below Medium it is
// Low.
type Cutoffs struct {
	Medium, High, Critical float64
}

// DefaultCutoffs are Critical ≥ 50 %, High ≥ 25 %, Medium ≥ 10 %.
var DefaultCutoffs = Cutoffs{Medium: 0.10, High: 0.25, Critical: 0.50}

// Severity rates a regression of relative size worse (> 0).
func (c Cutoffs) Severity(worse float64) Severity {
	switch {
	case worse >= c.Critical:
		return Critical
	case worse >= c.High:
		return High
	case worse >= c.Medium:
		return Medium
	}
	return Low
}

// Options tune a comparison. The zero value is not useful; start from
// DefaultOptions.
type Options struct {
	// Alpha is the significance level of the U test.
	Alpha float64
	// Threshold is the relative regression (0.05 = 5 %) from which a
	// significant regression fails the comparison.
	Threshold float64
	// Confidence is the level of the confidence intervals.
	Confidence float64
	// Cutoffs rate regressions.
	Cutoffs Cutoffs
	// Bootstrap is the number of bootstrap resamples for the delta's
	// interval; Seed seeds them.
	Bootstrap int
	Seed      uint64
}

// DefaultOptions are alpha 0.05, threshold 5 %, 95 % intervals and the
// default cut-offs.
func DefaultOptions() Options {
	return Options{Alpha: 0.05, Threshold: 0.05, Confidence: 0.95, Cutoffs: DefaultCutoffs, Bootstrap: 2000, Seed: 1}
}

// Metric describes one compared figure.
type Metric struct {
	Name string
	// HigherIsBetter is true for throughput, false for latencies and error
	// rates.
	HigherIsBetter bool
	// Unit: "ns" (durations in nanoseconds), "/s" or "ratio".
	Unit string
}

// Metrics are the figures compared, in display order.
var metrics = []Metric{
	{Name: "p50", Unit: "ns"},
	{Name: "p90", Unit: "ns"},
	{Name: "p99", Unit: "ns"},
	{Name: "throughput", HigherIsBetter: true, Unit: "/s"},
	{Name: "error_rate", Unit: "ratio"},
}

// Metrics returns the compared metrics in display order.
func Metrics() []Metric { return append([]Metric(nil), metrics...) }

// Summary is one side's sample: its median with a confidence interval.
type Summary struct {
	N              int
	Center, Lo, Hi float64
	Values         []float64 `json:"-"`
}

// Row is one compared metric of one plan, scenario and operation.
type Row struct {
	Plan, Scenario, Op string
	Metric             Metric
	// Source is "repetitions" or "intervals".
	Source    string
	Base, New Summary
	// P is the U test's p-value.
	P float64
	// Significant is P <= alpha.
	Significant bool
	// Delta is New.Center/Base.Center − 1, with its bootstrap interval.
	Delta, DeltaLo, DeltaHi float64
	// Worse is the relative change in the bad direction (positive when the
	// metric got worse), and Regression whether it is a significant
	// worsening.
	Worse      float64
	Regression bool
	// Improvement is a significant change for the better.
	Improvement bool
	Severity    Severity
	// Failing is a regression that reaches the threshold.
	Failing bool
	Advice  string
	// Warnings from the statistics (too few samples, ...).
	Warnings []string
}

// Result is a whole comparison.
type Result struct {
	Options Options
	Rows    []Row
	// Missing lists plans or scenarios present on only one side.
	Missing []string
}

// Failed reports whether any significant regression reached the
// threshold: the comparison's exit status.
func (r *Result) Failed() bool {
	for _, row := range r.Rows {
		if row.Failing {
			return true
		}
	}
	return false
}

// Regressions returns the rows that are significant regressions.
func (r *Result) Regressions() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Regression {
			out = append(out, row)
		}
	}
	return out
}

// Compare compares the plans, scenarios and operations that both documents
// hold.
func Compare(base, next *report.Document, opts Options) (*Result, error) {
	if base == nil || next == nil {
		return nil, fmt.Errorf("compare: missing document")
	}
	if opts.Alpha <= 0 || opts.Alpha >= 1 {
		return nil, fmt.Errorf("compare: alpha %v not in (0, 1)", opts.Alpha)
	}
	if opts.Confidence <= 0 || opts.Confidence >= 1 {
		return nil, fmt.Errorf("compare: confidence %v not in (0, 1)", opts.Confidence)
	}
	if opts.Threshold < 0 {
		return nil, fmt.Errorf("compare: negative threshold %v", opts.Threshold)
	}
	if !(opts.Cutoffs.Medium <= opts.Cutoffs.High && opts.Cutoffs.High <= opts.Cutoffs.Critical) {
		return nil, fmt.Errorf("compare: severity cut-offs must rise: medium %v, high %v, critical %v", opts.Cutoffs.Medium, opts.Cutoffs.High, opts.Cutoffs.Critical)
	}
	if opts.Bootstrap <= 0 {
		opts.Bootstrap = 2000
	}
	res := &Result{Options: opts}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	baseReps, baseOrder := groupPlans(base)
	newReps, _ := groupPlans(next)
	for _, name := range baseOrder {
		nr, ok := newReps[name]
		if !ok {
			res.Missing = append(res.Missing, "plan "+name+" only in base")
			continue
		}
		res.comparePlan(name, baseReps[name], nr, rng)
	}
	for name := range newReps {
		if _, ok := baseReps[name]; !ok {
			res.Missing = append(res.Missing, "plan "+name+" only in new")
		}
	}
	sort.Strings(res.Missing)
	return res, nil
}

// groupPlans gathers the runnable plans of a document by name, repetitions
// together, in first-seen order.
func groupPlans(d *report.Document) (map[string][]*report.PlanDoc, []string) {
	m := map[string][]*report.PlanDoc{}
	var order []string
	for i := range d.Plans {
		p := &d.Plans[i]
		if p.Error != "" {
			continue
		}
		if _, ok := m[p.Name]; !ok {
			order = append(order, p.Name)
		}
		m[p.Name] = append(m[p.Name], p)
	}
	return m, order
}

func findScenario(p *report.PlanDoc, name string) *report.ScenarioDoc {
	for i := range p.Scenarios {
		if p.Scenarios[i].Name == name {
			return &p.Scenarios[i]
		}
	}
	return nil
}

func findOp(s *report.ScenarioDoc, name string) *report.OpDoc {
	if name == "" {
		return &s.Total
	}
	for i := range s.Ops {
		if s.Ops[i].Name == name {
			return &s.Ops[i]
		}
	}
	return nil
}

func (res *Result) comparePlan(name string, base, next []*report.PlanDoc, rng *rand.Rand) {
	reps := len(base) > 1 && len(next) > 1
	for _, bs := range base[0].Scenarios {
		if findScenario(next[0], bs.Name) == nil {
			res.Missing = append(res.Missing, "scenario "+name+"/"+bs.Name+" only in base")
			continue
		}
		// Operations: the total, then each op when there are several.
		ops := []string{""}
		if reps && len(bs.Ops) > 1 {
			for _, op := range bs.Ops {
				ops = append(ops, op.Name)
			}
		}
		var group []Row
		for _, op := range ops {
			for _, m := range metrics {
				var bv, nv []float64
				source := "intervals"
				if reps {
					source = "repetitions"
					bv = repetitionSamples(base, bs.Name, op, m.Name)
					nv = repetitionSamples(next, bs.Name, op, m.Name)
				} else {
					bv = intervalSamples(base, bs.Name, m.Name)
					nv = intervalSamples(next, bs.Name, m.Name)
				}
				if len(bv) == 0 || len(nv) == 0 || (allZero(bv) && allZero(nv)) {
					continue
				}
				opName := op
				if opName == "" {
					opName = "(all)"
				}
				group = append(group, res.compareSamples(name, bs.Name, opName, m, source, bv, nv, rng))
			}
		}
		addAdvice(group, scenarioDropped(base, bs.Name), scenarioDropped(next, bs.Name))
		res.Rows = append(res.Rows, group...)
	}
}

func scenarioDropped(plans []*report.PlanDoc, scenario string) int64 {
	var n int64
	for _, p := range plans {
		if s := findScenario(p, scenario); s != nil {
			n += s.Dropped
		}
	}
	return n
}

func opMetric(o *report.OpDoc, metric string) float64 {
	switch metric {
	case "p50":
		return float64(o.Latency.P50)
	case "p90":
		return float64(o.Latency.P90)
	case "p99":
		return float64(o.Latency.P99)
	case "throughput":
		return o.Throughput
	case "error_rate":
		return o.ErrorRate
	}
	return math.NaN()
}

// repetitionSamples takes one sample per repetition from the whole-run
// figures of scenario/op.
func repetitionSamples(plans []*report.PlanDoc, scenario, op, metric string) []float64 {
	var xs []float64
	for _, p := range plans {
		s := findScenario(p, scenario)
		if s == nil {
			continue
		}
		o := findOp(s, op)
		if o == nil || o.Ops == 0 {
			continue
		}
		xs = append(xs, opMetric(o, metric))
	}
	return xs
}

// intervalSamples takes the per-interval samples of a scenario from every
// repetition, without each series' first and last interval (partial) and
// without intervals that completed no operation (no latency to report).
func intervalSamples(plans []*report.PlanDoc, scenario, metric string) []float64 {
	var xs []float64
	for _, p := range plans {
		s := findScenario(p, scenario)
		if s == nil || len(s.Series) < 3 {
			continue
		}
		for _, iv := range s.Series[1 : len(s.Series)-1] {
			if iv.Ops == 0 {
				continue
			}
			switch metric {
			case "p50":
				xs = append(xs, float64(iv.P50NS))
			case "p90":
				xs = append(xs, float64(iv.P90NS))
			case "p99":
				xs = append(xs, float64(iv.P99NS))
			case "throughput":
				xs = append(xs, iv.Throughput)
			case "error_rate":
				xs = append(xs, float64(iv.Errors)/float64(iv.Ops))
			}
		}
	}
	return xs
}

func (res *Result) compareSamples(plan, scenario, op string, m Metric, source string, bv, nv []float64, rng *rand.Rand) Row {
	opts := res.Options
	th := &benchmath.Thresholds{CompareAlpha: opts.Alpha}
	bs := benchmath.NewSample(bv, th)
	ns := benchmath.NewSample(nv, th)
	row := Row{Plan: plan, Scenario: scenario, Op: op, Metric: m, Source: source}
	row.Base = summarize(bs, opts.Confidence)
	row.New = summarize(ns, opts.Confidence)
	cmp := benchmath.AssumeNothing.Compare(bs, ns)
	row.P = cmp.P
	for _, w := range append(append(append([]error(nil), bs.Warnings...), ns.Warnings...), cmp.Warnings...) {
		row.Warnings = append(row.Warnings, w.Error())
	}
	row.Significant = cmp.P <= opts.Alpha
	switch {
	case row.Base.Center == 0 && row.New.Center == 0:
		row.Delta, row.DeltaLo, row.DeltaHi = 0, 0, 0
	case row.Base.Center == 0:
		row.Delta, row.DeltaLo, row.DeltaHi = math.Inf(1), math.Inf(1), math.Inf(1)
	default:
		row.Delta = row.New.Center/row.Base.Center - 1
		row.DeltaLo, row.DeltaHi = bootstrapDelta(bs.Values, ns.Values, opts.Bootstrap, opts.Confidence, rng)
	}
	row.Worse = row.Delta
	if m.HigherIsBetter {
		row.Worse = -row.Delta
	}
	if row.Significant && row.Worse > 0 {
		row.Regression = true
		row.Severity = opts.Cutoffs.Severity(row.Worse)
		row.Failing = row.Worse >= opts.Threshold
	} else if row.Significant && row.Worse < 0 {
		row.Improvement = true
	}
	return row
}

func summarize(s *benchmath.Sample, confidence float64) Summary {
	sum := benchmath.AssumeNothing.Summary(s, confidence)
	for _, w := range sum.Warnings {
		s.Warnings = append(s.Warnings, w)
	}
	return Summary{N: len(s.Values), Center: sum.Center, Lo: sum.Lo, Hi: sum.Hi, Values: s.Values}
}

// bootstrapDelta returns the percentile-bootstrap interval of the ratio of
// medians minus one: both samples are resampled with replacement, and the
// interval's ends are quantiles of the resampled ratios (go-moremath's
// Sample.Quantile).
func bootstrapDelta(base, next []float64, b int, confidence float64, rng *rand.Rand) (lo, hi float64) {
	ratios := make([]float64, 0, b)
	rb := make([]float64, len(base))
	rn := make([]float64, len(next))
	for i := 0; i < b; i++ {
		for j := range rb {
			rb[j] = base[rng.IntN(len(base))]
		}
		for j := range rn {
			rn[j] = next[rng.IntN(len(next))]
		}
		mb := stats.Sample{Xs: rb}.Quantile(0.5)
		mn := stats.Sample{Xs: rn}.Quantile(0.5)
		if mb == 0 {
			continue
		}
		ratios = append(ratios, mn/mb-1)
	}
	if len(ratios) == 0 {
		return math.NaN(), math.NaN()
	}
	s := stats.Sample{Xs: ratios}
	s.Sort()
	tail := (1 - confidence) / 2
	return s.Quantile(tail), s.Quantile(1 - tail)
}

func allZero(xs []float64) bool {
	for _, x := range xs {
		if x != 0 {
			return false
		}
	}
	return true
}
