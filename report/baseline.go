package report

import (
	"fmt"
	"time"

	"github.com/aclements/go-moremath/stats"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
)

// Metric resolves an assertion's metric name (see plan.MetricNames) against
// the scenario's recorded figures. It converts them back to the executor's
// result and asks that, so a saved run and a live run resolve every name the
// same way.
func (s *ScenarioDoc) Metric(name string) (float64, bool) {
	return s.result().Metric(name)
}

// result rebuilds the figures that metric names read (not the histograms or
// the series) as an executor.ScenarioResult.
func (s *ScenarioDoc) result() *executor.ScenarioResult {
	r := &executor.ScenarioResult{
		Name:         s.Name,
		Executor:     s.Executor,
		Elapsed:      time.Duration(s.ElapsedNS),
		Total:        s.Total.stats(),
		Dropped:      s.Dropped,
		Cut:          s.Cut,
		CutRampDown:  s.CutRampDown,
		CutInterrupt: s.CutInterrupt,
		VUsMax:       s.VUsMax,
		TargetStats:  s.TargetStats,
		Resources:    s.Resources,
		Breakpoint:   s.Breakpoint,

		AllowOmitted: s.AllowOmitted,
		Stall:        s.Stall,
		Saturated:    s.RunnerSaturated,
		Interference: s.Interference,
	}
	for _, o := range s.Ops {
		r.Ops = append(r.Ops, o.stats())
	}
	// availability_windows reads the intervals' counts.
	for _, p := range s.Series {
		r.Series = append(r.Series, executor.SeriesPoint{Offset: time.Duration(p.OffsetNS), Ops: p.Ops, Errors: p.Errors})
	}
	for _, st := range s.Stages {
		sr := executor.StageResult{Name: st.Name, Index: st.Index, Target: st.Target,
			Start: time.Duration(st.StartNS), End: time.Duration(st.EndNS), Total: st.Total.stats()}
		for _, o := range st.Ops {
			sr.Ops = append(sr.Ops, o.stats())
		}
		r.Stages = append(r.Stages, sr)
	}
	return r
}

func (o OpDoc) stats() executor.OpStats {
	st := executor.OpStats{
		Name: o.Name, Ops: o.Ops, Errors: o.Errors, Throughput: o.Throughput,
		Omitted: o.Omitted,
	}
	for _, f := range plan.LatencyFamilies() {
		if l := o.Family(f.Family); l != nil {
			st.SetFamily(f.Family, l.stats(), nil)
		}
	}
	if o.Corrected != nil {
		c := o.Corrected.stats()
		st.Corrected = &c
	}
	return st
}

func (l LatencyDoc) stats() executor.LatencyStats {
	d := func(ns int64) time.Duration { return time.Duration(ns) }
	return executor.LatencyStats{
		Min: d(l.Min), Mean: d(l.Mean), StdDev: d(l.StdDev), P50: d(l.P50), P75: d(l.P75),
		P90: d(l.P90), P95: d(l.P95), P99: d(l.P99), P999: d(l.P999), Max: d(l.Max),
	}
}

// Baseline answers baseline.X metrics from a saved run document (perfplan run
// --baseline): metric X of the same plan and scenario, by name. With several
// repetitions of the plan in the document, the value is the median over the
// repetitions that have it.
type Baseline struct {
	// Source names the document in error messages, such as its file.
	Source string
	plans  map[string][]*PlanDoc
}

// NewBaseline indexes d's plans that ran (plans that failed to start are
// left out). source names the document in error messages.
func NewBaseline(d *Document, source string) *Baseline {
	b := &Baseline{Source: source, plans: map[string][]*PlanDoc{}}
	for i := range d.Plans {
		p := &d.Plans[i]
		if p.Error != "" {
			continue
		}
		b.plans[p.Name] = append(b.plans[p.Name], p)
	}
	return b
}

// Has reports whether the baseline holds a run of plan.
func (b *Baseline) Has(plan string) bool { return len(b.plans[plan]) > 0 }

// Metric returns metric of scenario in plan: the median over the baseline's
// repetitions of the plan. The error says what is missing.
func (b *Baseline) Metric(plan, scenario, metric string) (float64, error) {
	reps := b.plans[plan]
	if len(reps) == 0 {
		return 0, fmt.Errorf("plan %q is not in baseline %s", plan, b.Source)
	}
	var vals []float64
	found := false
	for _, p := range reps {
		for i := range p.Scenarios {
			s := &p.Scenarios[i]
			if s.Name != scenario {
				continue
			}
			found = true
			if v, ok := s.Metric(metric); ok {
				vals = append(vals, v)
			}
		}
	}
	if !found {
		return 0, fmt.Errorf("scenario %q of plan %q is not in baseline %s", scenario, plan, b.Source)
	}
	if len(vals) == 0 {
		return 0, fmt.Errorf("baseline %s has no value of %s for scenario %q of plan %q", b.Source, metric, scenario, plan)
	}
	// go-moremath's quantile (R8) at 0.5 is the usual median: the middle
	// value, or the mean of the two middle ones.
	return stats.Sample{Xs: vals}.Quantile(0.5), nil
}

// Repetitions returns, for each plan of d in order, its repetition number
// (from 1) and how many runs of that plan name d holds, so that exporters
// can tell the repetitions of perfplan run --count apart.
func (d *Document) Repetitions() (rep, of []int) {
	total := map[string]int{}
	for _, p := range d.Plans {
		total[p.Name]++
	}
	seen := map[string]int{}
	rep = make([]int, len(d.Plans))
	of = make([]int, len(d.Plans))
	for i, p := range d.Plans {
		seen[p.Name]++
		rep[i], of[i] = seen[p.Name], total[p.Name]
	}
	return rep, of
}

// RepetitionLabel is name, followed by " (repetition N/M)" when M > 1.
func RepetitionLabel(name string, rep, of int) string {
	if of <= 1 {
		return name
	}
	return fmt.Sprintf("%s (repetition %d/%d)", name, rep, of)
}
