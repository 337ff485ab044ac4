package compare

import (
	"fmt"
	"math"

	"github.com/perfplan/perfplan/compare/paired"
	"github.com/perfplan/perfplan/report"
)

// MethodPaired is the paired comparison of two variants run side by side
// (perfplan ab): see package compare/paired.
const MethodPaired = "paired"

// Sources of paired rows.
const (
	// SourcePairedIntervals pairs the intervals of two runs made at the
	// same time (duet).
	SourcePairedIntervals = "paired intervals"
	// SourcePairedSlices pairs the whole-run figures of slices run in
	// alternation, slice i of A with slice i of B.
	SourcePairedSlices = "paired slices"
)

// pairedMetrics are the figures compared pair by pair: a log ratio needs
// positive figures, so error rates (mostly zero) are left out.
var pairedMetrics = []Metric{
	{Name: "p50", Unit: "ns"},
	{Name: "p90", Unit: "ns"},
	{Name: "p99", Unit: "ns"},
	{Name: "throughput", HigherIsBetter: true, Unit: "/s"},
}

// ComparePaired compares next (B) with base (A) pair by pair, for two
// variants run side by side. When each document holds each plan once (a
// duet: both ran at the same time), the pairs are the scenarios' intervals
// in order, without each series' first and last; when they hold
// it several times (alternating slices), the pairs are the repetitions'
// whole-run figures, repetition i of A with repetition i of B. Each row's
// change and interval come from paired.Compare at opts.Confidence, and it is
// significant when its p-value is at most opts.Alpha; severity and failure
// are rated as in Compare.
func ComparePaired(base, next *report.Document, opts Options) (*Result, error) {
	if base == nil || next == nil {
		return nil, fmt.Errorf("compare: missing document")
	}
	if opts.Alpha <= 0 || opts.Alpha >= 1 || opts.Confidence <= 0 || opts.Confidence >= 1 {
		return nil, fmt.Errorf("compare: alpha %v and confidence %v must lie in (0, 1)", opts.Alpha, opts.Confidence)
	}
	res := &Result{Options: opts}
	baseReps, order := GroupPlans(base)
	newReps, _ := GroupPlans(next)
	for _, name := range order {
		nr, ok := newReps[name]
		if !ok {
			res.Missing = append(res.Missing, "plan "+name+" only in A")
			continue
		}
		br := baseReps[name]
		for _, bs := range br[0].Scenarios {
			if FindScenario(nr[0], bs.Name) == nil {
				res.Missing = append(res.Missing, "scenario "+name+"/"+bs.Name+" only in A")
				continue
			}
			var group []Row
			for _, m := range pairedMetrics {
				var a, b []float64
				source := SourcePairedSlices
				if len(br) == 1 && len(nr) == 1 {
					source = SourcePairedIntervals
					a, b = pairIntervals(FindScenario(br[0], bs.Name), FindScenario(nr[0], bs.Name), m.Name)
				} else {
					for i := 0; i < min(len(br), len(nr)); i++ {
						sa, sb := FindScenario(br[i], bs.Name), FindScenario(nr[i], bs.Name)
						if sa == nil || sb == nil || sa.Total.Ops == 0 || sb.Total.Ops == 0 {
							continue
						}
						a = append(a, opMetric(&sa.Total, m.Name))
						b = append(b, opMetric(&sb.Total, m.Name))
					}
				}
				group = append(group, res.pairedRow(name, bs.Name, m, source, a, b))
			}
			addAdvice(group, scenarioDropped(br, bs.Name), scenarioDropped(nr, bs.Name))
			res.Rows = append(res.Rows, group...)
		}
	}
	for name := range newReps {
		if _, ok := baseReps[name]; !ok {
			res.Missing = append(res.Missing, "plan "+name+" only in B")
		}
	}
	return res, nil
}

// pairIntervals returns metric m of the intervals of both scenarios, the
// i-th of one with the i-th of the other (both started together, and each
// interval ends at the same offset from its scenario's start), without
// each series' first and last and without pairs where either interval
// completed nothing.
func pairIntervals(a, b *report.ScenarioDoc, m string) (xs, ys []float64) {
	fig := func(p report.SeriesDoc) float64 {
		switch m {
		case "p50":
			return float64(p.P50NS)
		case "p90":
			return float64(p.P90NS)
		case "p99":
			return float64(p.P99NS)
		}
		return p.Throughput
	}
	n := min(len(a.Series), len(b.Series))
	for i := 1; i < n-1; i++ {
		p, q := a.Series[i], b.Series[i]
		if p.Ops == 0 || q.Ops == 0 {
			continue
		}
		xs, ys = append(xs, fig(p)), append(ys, fig(q))
	}
	return xs, ys
}

// pairedRow compares the pairs (a[i], b[i]) of one metric.
func (res *Result) pairedRow(plan, scenario string, m Metric, source string, a, b []float64) Row {
	opts := res.Options
	pr := paired.Compare(a, b, opts.Confidence)
	row := Row{Plan: plan, Scenario: scenario, Op: "(all)", Metric: m, Source: source}
	row.Method = Method{Name: MethodPaired, BaseN: pr.Pairs, NewN: pr.Pairs, BatchSize: pr.BatchSize,
		BaseBatches: pr.Batches, NewBatches: pr.Batches, R1: pr.R1, NEff: pr.NEff}
	side := func(xs []float64) Summary {
		s := Summary{N: len(xs), Stat: "mean", Values: xs}
		if len(xs) > 0 {
			s.Center = paired.Mean(xs)
		}
		s.Lo, s.Hi = s.Center, s.Center
		return s
	}
	row.Base, row.New = side(a), side(b)
	row.P = pr.P
	if pr.Declined {
		row.Declined = true
		row.Method.Name = MethodDeclined
		row.Method.Reason = pr.Reason
		row.Delta, row.DeltaLo, row.DeltaHi = math.NaN(), math.NaN(), math.NaN()
		if row.Base.Center > 0 {
			row.Delta = row.New.Center/row.Base.Center - 1
		}
		res.rate(&row)
		return row
	}
	row.Delta, row.DeltaLo, row.DeltaHi = pr.Change, pr.Low, pr.High
	row.Significant = pr.P <= opts.Alpha
	res.rate(&row)
	return row
}
