package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/perfplan/perfplan/plan"
)

// Metric resolves an assertion's metric name (see plan.MetricNames) against
// the scenario's recorded figures, as executor.ScenarioResult.Metric does
// for a live run: latencies in milliseconds, counters, throughput,
// error_rate, service_time.*, op.NAME.*, target.STAT, dropped, vus_max and
// elapsed. A latency of an operation that never completed has no value.
func (s *ScenarioDoc) Metric(name string) (float64, bool) {
	switch name {
	case "dropped":
		return float64(s.Dropped), true
	case "vus_max":
		return float64(s.VUsMax), true
	case "elapsed":
		return float64(s.ElapsedNS) / 1e6, true
	}
	if rest, ok := strings.CutPrefix(name, "target."); ok {
		v, ok := s.TargetStats[rest]
		return v, ok
	}
	if plan.IsResourceMetric(name) {
		if s.Resources == nil {
			return 0, false
		}
		return s.Resources.Metric(name)
	}
	if rest, ok := strings.CutPrefix(name, "op."); ok {
		for i := range s.Ops {
			o := &s.Ops[i]
			if f, ok := strings.CutPrefix(rest, o.Name+"."); ok {
				if v, ok := o.metric(f); ok {
					return v, true
				}
			}
		}
		return 0, false
	}
	return s.Total.metric(name)
}

// metric resolves a counter or a latency.* / service_time.* field of o.
func (o *OpDoc) metric(f string) (float64, bool) {
	switch f {
	case "ops":
		return float64(o.Ops), true
	case "errors":
		return float64(o.Errors), true
	case "error_rate":
		return o.ErrorRate, true
	case "throughput":
		return o.Throughput, true
	}
	if o.Ops == 0 {
		return 0, false
	}
	if lf, ok := strings.CutPrefix(f, "latency."); ok {
		return o.Latency.field(lf)
	}
	if lf, ok := strings.CutPrefix(f, "service_time."); ok {
		return o.ServiceTime.field(lf)
	}
	return 0, false
}

// field returns one statistic in milliseconds.
func (l LatencyDoc) field(f string) (float64, bool) {
	var ns int64
	switch f {
	case "min":
		ns = l.Min
	case "mean":
		ns = l.Mean
	case "stddev":
		ns = l.StdDev
	case "p50":
		ns = l.P50
	case "p75":
		ns = l.P75
	case "p90":
		ns = l.P90
	case "p95":
		ns = l.P95
	case "p99":
		ns = l.P99
	case "p999":
		ns = l.P999
	case "max":
		ns = l.Max
	default:
		return 0, false
	}
	return float64(ns) / 1e6, true
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
	return median(vals), nil
}

func median(vals []float64) float64 {
	xs := append([]float64(nil), vals...)
	sort.Float64s(xs)
	mid := len(xs) / 2
	if len(xs)%2 == 0 {
		return (xs[mid-1] + xs[mid]) / 2
	}
	return xs[mid]
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

// repetitionLabel is name, followed by " (repetition N/M)" when M > 1.
func repetitionLabel(name string, rep, of int) string {
	if of <= 1 {
		return name
	}
	return fmt.Sprintf("%s (repetition %d/%d)", name, rep, of)
}
