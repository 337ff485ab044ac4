// Package compare compares two perfplan run documents the way benchstat
// compares benchmark results: per plan, scenario, operation and metric it
// takes samples from both runs, tests them, shows each side's centre with a
// confidence interval, the change with a confidence interval, or "~" when
// the change is not significant, and rates significant regressions by
// severity. Every row names the method that decided it and its effective
// sample size (Row.Method).
//
// # Repetitions: U test over runs
//
// When both documents hold the plan more than once (perfplan run --count N
// writes one PlanDoc per repetition, with the same name) there is one sample
// per repetition, from the whole-run figures, with per-operation rows. The
// runs are independent, so the Mann-Whitney U test applies as in benchstat:
// each side shows the median with its distribution-free interval from order
// statistics. When there are too few runs for the level asked (a 95 %
// interval of the median needs 6), the interval shown is the min–max range,
// marked with its own level, 1 − 2·0.5ⁿ (93.8 % for 5 runs, "± 4% @94%"),
// and a note says so; the U test needs at least 4 runs per side to reach
// alpha 0.05. The delta's interval is a percentile bootstrap of the ratio of
// medians with a fixed seed, so output is reproducible.
//
// # One run per side: batch means
//
// Otherwise the samples are the per-second series of each scenario, without
// the first and last intervals (partial) and intervals that completed no
// operation; series exist only for the scenario as a whole, so per-operation
// rows need repetitions. Consecutive intervals are autocorrelated (a slow
// patch lasts longer than a second), so treating them as independent
// samples makes p-values far too small: on AR(1) series with phi 0.8, a U
// test over intervals called about half of A/A pairs significant.
//
// The method is batch means, from simulation output analysis. Consecutive
// intervals are grouped into k batches of b intervals (the remainder is
// dropped from the start of the series), with b growing along 1, 2, 3, 4,
// 6, 8, 12, 16, … until the lag-1 autocorrelation r1 of the batch means,
// pooled over both sides and corrected for its small-sample bias (r1 + 1/k),
// is below 0.3 while at least 5 batches per side remain. The batches are
// then made twice as long, and at least n/10 intervals long, as long as 5
// batches remain: larger batches guard against correlation that reaches
// beyond lag 1. If no size passes with 5 batches per side the comparison
// declines: no test and no verdict ("?" in the delta column, "no verdict"
// as the verdict), with a note to compare runs made with --count instead.
//
// The batch means are compared with Welch's t test. The variance of each
// side's mean is widened by (1+r)/(1−r) for the correlation r the batches
// may still carry (the larger of the final batches' r1 and the check's
// corrected estimate scaled down by the ratio of batch sizes, since the
// lag-1 correlation of batch means falls about as 1/b), which gives the
// effective sample size n_eff = k·(1−r)/(1+r); the degrees of freedom are
// those of the side with the smaller n_eff, n_eff − 1, which is
// conservative. Each side shows the mean of its intervals with the matching
// t interval, and the delta's interval is the t interval of the difference
// of means divided by the base mean.
//
// Simulated on AR(1) series with no change (4000 pairs per case), A/A pairs
// with a verdict came out significant in 3–4 % of cases for phi ≤ 0.8 from
// 60 intervals, phi 0.9 from 120 and phi 0.95 from 240; with as much white
// noise added to the AR(1) series, which hides correlation from the lag-1
// check at small batch sizes, for phi 0.8 from 120 intervals and phi 0.9
// from 240. Shorter, more autocorrelated series exceed 5 % (up to about
// 30 % for 30 intervals at phi 0.95 with noise); for them repetitions are
// the honest comparison. A 10 % shift at phi 0.8 (4 % noise) was found in
// 91 % of pairs of 120 intervals and 98 % of 240.
//
// Statistics come from golang.org/x/perf/benchmath (the median and its
// interval, and the U test, which it takes from
// github.com/aclements/go-moremath/stats) and go-moremath (the t
// distribution).
package compare

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/aclements/go-moremath/stats"
	"golang.org/x/perf/benchmath"

	"github.com/perfplan/perfplan/compare/paired"
	"github.com/perfplan/perfplan/executor"
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

// Summary is one side's sample: its centre (the median of runs, or the
// mean of batch means) with a confidence interval.
type Summary struct {
	// N is the number of samples the test used: runs, or batches (or
	// intervals when the comparison declined).
	N              int
	Center, Lo, Hi float64
	// Confidence is the level of [Lo, Hi]: usually the level asked for (or
	// a little above, for order statistics), lower when too few runs allow
	// only the min–max range (then Reduced is true), and 0 when there is no
	// interval (one run, or no verdict).
	Confidence float64
	Reduced    bool
	// Stat names the centre: "median" or "mean".
	Stat   string
	Values []float64 `json:"-"`
}

// Method names, for Method.Name.
const (
	// MethodUTest is the Mann-Whitney U test over whole-run figures, one
	// sample per repetition.
	MethodUTest = "U test"
	// MethodBatchMeans is Welch's t test on batch means of the per-second
	// series of one run per side.
	MethodBatchMeans = "batch means"
	// MethodDeclined means the series were too short, or too
	// autocorrelated, for enough uncorrelated batches: no test, no verdict.
	MethodDeclined = "declined"
	// MethodWholeRun is an operation's row with one run per side: the
	// per-second series is the scenario's, so each side has one whole-run
	// figure and there is no test, no verdict.
	MethodWholeRun = "whole run"
)

// Method records how a row's significance was decided, and on how many
// effectively independent samples.
type Method struct {
	Name string
	// BaseN and NewN are runs (MethodUTest) or intervals (otherwise) per
	// side.
	BaseN, NewN int
	// BatchSize is the batch length in intervals, BaseBatches and
	// NewBatches the batches per side.
	BatchSize               int
	BaseBatches, NewBatches int
	// R1 is the lag-1 autocorrelation of the batch means, pooled over both
	// sides.
	R1 float64
	// NEff is the effective sample size per side (of the smaller side):
	// runs for the U test; for batch means the batches discounted for their
	// residual correlation r, k·(1−r)/(1+r) (see chooseBatches).
	NEff float64
	// Reason says why the method declined.
	Reason string
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func pair(a, b int) string {
	if a == b {
		return fmt.Sprint(a)
	}
	return fmt.Sprintf("%d+%d", a, b)
}

// String describes the method in a few words, e.g. "batch means: 7 batches
// of 16 intervals, lag-1 r=0.05, n_eff 6.1".
func (m Method) String() string {
	switch m.Name {
	case MethodUTest:
		if m.BaseN == m.NewN {
			return fmt.Sprintf("U test: %s per side", plural(m.BaseN, "run", "runs"))
		}
		return fmt.Sprintf("U test: %s runs", pair(m.BaseN, m.NewN))
	case MethodBatchMeans:
		return fmt.Sprintf("batch means: %s batches of %s, lag-1 r=%.2f, n_eff %.1f",
			pair(m.BaseBatches, m.NewBatches), plural(m.BatchSize, "interval", "intervals"), m.R1, m.NEff)
	case MethodWholeRun:
		return "no verdict: whole run"
	case MethodPaired:
		return fmt.Sprintf("paired t on log ratios: %d pairs, %d batches of %d, lag-1 r=%.2f, n_eff %.1f",
			m.BaseN, m.BaseBatches, m.BatchSize, m.R1, m.NEff)
	case MethodDeclined:
		s := fmt.Sprintf("no verdict: %s intervals", pair(m.BaseN, m.NewN))
		if m.BatchSize > 0 {
			s += fmt.Sprintf(", lag-1 r=%.2f at %s batches of %d", m.R1, pair(m.BaseBatches, m.NewBatches), m.BatchSize)
		}
		return s
	}
	return m.Name
}

// Row is one compared metric of one plan, scenario and operation.
type Row struct {
	Plan, Scenario, Op string
	Metric             Metric
	// Source is "repetitions" or "intervals".
	Source string
	// Method is the test used, with its effective sample size.
	Method    Method
	Base, New Summary
	// P is the test's p-value; NaN when the comparison declined.
	P float64
	// Significant is P <= alpha.
	Significant bool
	// Declined means there was no test and so no verdict: one run per side
	// whose series were too short or too autocorrelated (see Method).
	Declined bool
	// Delta is New.Center/Base.Center − 1, with its interval (NaN when
	// there is none).
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
	// Inconclusive, on a regression that would reach the threshold, says
	// why measured interference explains it (the runs' own probe saw the
	// process late by more on the new side than the change): it does not
	// fail the comparison.
	Inconclusive string
	Advice       string
	// Warnings from the statistics (too few samples, ...).
	Warnings []string
}

// Result is a whole comparison.
type Result struct {
	Options Options
	Rows    []Row
	// Missing lists plans or scenarios present on only one side.
	Missing []string
	// Profiles are what grew in the profiles of each scenario with a
	// significant regression, when its runs carry profiles.
	Profiles []ScenarioProfile
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

// Inconclusive reports whether the comparison did not fail but a
// regression reaching the threshold was explained by measured interference.
func (r *Result) Inconclusive() bool {
	if r.Failed() {
		return false
	}
	for _, row := range r.Rows {
		if row.Inconclusive != "" {
			return true
		}
	}
	return false
}

// explainByInterference turns a failing latency regression into an
// inconclusive one when the runs measured interference that explains it:
// the probe of the new side's runs (see executor.Interference) woke late by
// more than the base side's, at the row's statistic (its median over the
// runs), by at least the latency's change. The same rule as a run's
// verdict (rule 2 of docs/metrics.md): a slower target still fails when its
// change is larger than the machine's.
func explainByInterference(row *Row, base, next []*report.PlanDoc) {
	if !row.Failing {
		return
	}
	var stat func(in *executor.Interference) float64
	switch row.Metric.Name {
	case "p50":
		stat = func(in *executor.Interference) float64 { return float64(in.WakeP50) }
	case "p90", "p99":
		stat = func(in *executor.Interference) float64 { return float64(in.WakeP99) }
	default:
		return
	}
	wake := func(plans []*report.PlanDoc) (float64, bool) {
		var xs []float64
		for _, p := range plans {
			if s := FindScenario(p, row.Scenario); s != nil && s.Interference != nil {
				xs = append(xs, stat(s.Interference))
			}
		}
		if len(xs) == 0 {
			return 0, false
		}
		return stats.Sample{Xs: xs}.Quantile(0.5), true
	}
	wb, okb := wake(base)
	wn, okn := wake(next)
	change := row.New.Center - row.Base.Center
	if !okb || !okn || change <= 0 || wn-wb < change {
		return
	}
	row.Failing = false
	row.Inconclusive = fmt.Sprintf("the runs' probe woke %s later at this statistic on the new side than on the base side (%s against %s), at least the change of %s: measured interference explains it",
		report.Duration(time.Duration(wn-wb)), report.Duration(time.Duration(wn)), report.Duration(time.Duration(wb)), report.Duration(time.Duration(change)))
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

// Declined returns the rows without a verdict.
func (r *Result) Declined() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Declined {
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
	baseReps, baseOrder := GroupPlans(base)
	newReps, _ := GroupPlans(next)
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

// GroupPlans gathers the runnable plans of a document by name, repetitions
// together, in first-seen order.
func GroupPlans(d *report.Document) (map[string][]*report.PlanDoc, []string) {
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

// FindScenario returns the scenario of a plan with the name, or nil.
func FindScenario(p *report.PlanDoc, name string) *report.ScenarioDoc {
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
		if FindScenario(next[0], bs.Name) == nil {
			res.Missing = append(res.Missing, "scenario "+name+"/"+bs.Name+" only in base")
			continue
		}
		// Operations: the total, then each op when there are several (with
		// one run per side, as whole-run figures without a verdict).
		ops := []string{""}
		if len(bs.Ops) > 1 {
			for _, op := range bs.Ops {
				ops = append(ops, op.Name)
			}
		}
		var group []Row
		for _, op := range ops {
			for _, m := range metrics {
				if m.Name == "throughput" && op != "" && executor.IsOpen(bs.Executor) {
					// An open model's operations share its fixed arrival
					// rate by the workload's random mix: one operation's
					// throughput is that draw, not the target's speed
					// (the scenario's total still shows drops).
					continue
				}
				var bv, nv []float64
				if reps || op != "" {
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
				switch {
				case reps:
					group = append(group, res.compareSamples(name, bs.Name, opName, m, "repetitions", bv, nv, rng))
				case op != "":
					group = append(group, res.compareWholeRuns(name, bs.Name, opName, m, bv, nv))
				default:
					group = append(group, res.compareSeries(name, bs.Name, opName, m, bv, nv))
				}
			}
		}
		for i := range group {
			explainByInterference(&group[i], base, next)
		}
		addAdvice(group, scenarioDropped(base, bs.Name), scenarioDropped(next, bs.Name))
		res.Rows = append(res.Rows, group...)
		res.profileGroup(name, bs.Name, group, base, next)
	}
}

func scenarioDropped(plans []*report.PlanDoc, scenario string) int64 {
	var n int64
	for _, p := range plans {
		if s := FindScenario(p, scenario); s != nil {
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
		s := FindScenario(p, scenario)
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

// intervalSamples takes the per-interval series of a scenario, in time
// order, without each series' first and last interval (partial) and without
// intervals that completed no operation (no latency to report). When a
// document holds the plan more than once (and the other does not), the
// repetitions' series are joined end to end.
func intervalSamples(plans []*report.PlanDoc, scenario, metric string) []float64 {
	var xs []float64
	for _, p := range plans {
		s := FindScenario(p, scenario)
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

// compareSamples compares one sample per repetition with the U test
// (source "repetitions"); TestBenchstatExample calls it directly.
func (res *Result) compareSamples(plan, scenario, op string, m Metric, source string, bv, nv []float64, rng *rand.Rand) Row {
	opts := res.Options
	th := &benchmath.Thresholds{CompareAlpha: opts.Alpha}
	bs := benchmath.NewSample(bv, th)
	ns := benchmath.NewSample(nv, th)
	row := Row{Plan: plan, Scenario: scenario, Op: op, Metric: m, Source: source}
	row.Method = Method{Name: MethodUTest, BaseN: len(bv), NewN: len(nv), NEff: float64(min(len(bv), len(nv)))}
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
		row.Delta, row.DeltaLo, row.DeltaHi = math.Inf(1), math.NaN(), math.NaN()
	default:
		row.Delta = row.New.Center/row.Base.Center - 1
		row.DeltaLo, row.DeltaHi = bootstrapDelta(bs.Values, ns.Values, opts.Bootstrap, opts.Confidence, rng)
	}
	res.rate(&row)
	return row
}

// compareWholeRuns is an operation's row with one run per side (or one
// side with several, the other with one): the whole-run figures, their
// delta, and no verdict (source "runs", method MethodWholeRun).
func (res *Result) compareWholeRuns(plan, scenario, op string, m Metric, bv, nv []float64) Row {
	row := Row{Plan: plan, Scenario: scenario, Op: op, Metric: m, Source: "runs", Declined: true, P: math.NaN()}
	row.Method = Method{Name: MethodWholeRun, BaseN: len(bv), NewN: len(nv)}
	res.pointFigures(&row, "median", median, bv, nv)
	return row
}

// pointFigures gives a row without a test each side's center (stat, by
// center) with no interval, and their delta, and rates it.
func (res *Result) pointFigures(row *Row, stat string, center func([]float64) float64, bv, nv []float64) {
	row.Base = Summary{N: len(bv), Center: center(bv), Stat: stat, Values: bv}
	row.New = Summary{N: len(nv), Center: center(nv), Stat: stat, Values: nv}
	row.Base.Lo, row.Base.Hi = row.Base.Center, row.Base.Center
	row.New.Lo, row.New.Hi = row.New.Center, row.New.Center
	row.DeltaLo, row.DeltaHi = math.NaN(), math.NaN()
	switch {
	case row.Base.Center == 0 && row.New.Center == 0:
		row.Delta = 0
	case row.Base.Center == 0:
		row.Delta = math.Inf(1)
	default:
		row.Delta = row.New.Center/row.Base.Center - 1
	}
	res.rate(row)
}

// median is the median of xs (not modified); NaN when empty.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// compareSeries compares the per-interval series of one run per side by
// batch means (source "intervals"), or declines.
func (res *Result) compareSeries(plan, scenario, op string, m Metric, bv, nv []float64) Row {
	opts := res.Options
	row := Row{Plan: plan, Scenario: scenario, Op: op, Metric: m, Source: "intervals"}
	bt := chooseBatches(bv, nv)
	row.Method = Method{Name: MethodBatchMeans, BaseN: len(bv), NewN: len(nv),
		BatchSize: bt.Size, BaseBatches: len(bt.Base), NewBatches: len(bt.New), R1: bt.R1}
	if bt.Declined {
		row.Declined = true
		row.Method.Name = MethodDeclined
		row.Method.Reason = bt.Reason
		row.P = math.NaN()
		res.pointFigures(&row, "mean", paired.Mean, bv, nv)
		return row
	}
	f := inflation(bt.Residual)
	row.Method.NEff = float64(min(len(bt.Base), len(bt.New))) / f
	row.Base = batchSummary(bt.Base, f, opts.Confidence)
	row.New = batchSummary(bt.New, f, opts.Confidence)
	p, lo, hi := welch(bt.Base, bt.New, f, opts.Confidence)
	row.P = p
	row.Significant = p <= opts.Alpha
	switch b := row.Base.Center; {
	case b == 0 && row.New.Center == 0:
		row.Delta, row.DeltaLo, row.DeltaHi = 0, 0, 0
	case b == 0:
		row.Delta, row.DeltaLo, row.DeltaHi = math.Inf(1), math.NaN(), math.NaN()
	default:
		// The interval of the difference of means, relative to the base
		// mean (whose own uncertainty it leaves out).
		row.Delta = row.New.Center/b - 1
		row.DeltaLo, row.DeltaHi = lo/b, hi/b
	}
	res.rate(&row)
	return row
}

// rate sets a row's direction, regression or improvement, severity and
// failure from its delta and significance.
func (res *Result) rate(row *Row) {
	opts := res.Options
	row.Worse = row.Delta
	if row.Metric.HigherIsBetter {
		row.Worse = -row.Delta
	}
	if row.Significant && row.Worse > 0 {
		row.Regression = true
		row.Severity = opts.Cutoffs.Severity(row.Worse)
		row.Failing = row.Worse >= opts.Threshold
	} else if row.Significant && row.Worse < 0 {
		row.Improvement = true
	}
}

// summarize returns the median of a sample with its distribution-free
// confidence interval. With too few samples for the level asked, it falls
// back to the widest interval there is, the min–max range, whose confidence
// for the median is 1 − 2·0.5ⁿ, and says so; with one sample there is no
// interval.
func summarize(s *benchmath.Sample, confidence float64) Summary {
	sum := benchmath.AssumeNothing.Summary(s, confidence)
	out := Summary{N: len(s.Values), Center: sum.Center, Lo: sum.Lo, Hi: sum.Hi, Confidence: sum.Confidence, Stat: "median", Values: s.Values}
	if !math.IsInf(sum.Lo, 0) && !math.IsInf(sum.Hi, 0) && !math.IsNaN(sum.Lo) && !math.IsNaN(sum.Hi) {
		return out
	}
	n := len(s.Values)
	need := 2
	for 1-math.Pow(0.5, float64(need-1)) < confidence && need < 64 {
		need++
	}
	if n < 2 {
		out.Lo, out.Hi, out.Confidence = out.Center, out.Center, 0
		s.Warnings = append(s.Warnings, fmt.Errorf("one run on a side gives no interval; a %g%% interval of the median needs %d runs", 100*confidence, need))
		return out
	}
	out.Lo, out.Hi = slices.Min(s.Values), slices.Max(s.Values)
	out.Confidence = 1 - math.Pow(0.5, float64(n-1))
	out.Reduced = true
	s.Warnings = append(s.Warnings, fmt.Errorf("with %d runs the median's interval is the min–max range, a %.1f%% interval (marked @%.0f%%); a %g%% one needs %d runs",
		n, 100*out.Confidence, 100*out.Confidence, 100*confidence, need))
	return out
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

// VerdictText is the comparison's verdict as its Markdown and HTML views
// say it, with a class (pass, fail or neutral): NOTHING TO COMPARE without
// rows, REGRESSION when it fails, NO VERDICT when every row declined, and
// otherwise OK.
func (r *Result) VerdictText() (text, class string) {
	declined := len(r.Declined())
	switch {
	case len(r.Rows) == 0:
		return "NOTHING TO COMPARE", "neutral"
	case r.Failed():
		return "REGRESSION", "fail"
	case declined == len(r.Rows):
		return "NO VERDICT", "neutral"
	}
	return "OK", "pass"
}
