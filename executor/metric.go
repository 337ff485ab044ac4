package executor

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// withBaseline resolves baseline.X through Options.Baseline and every other
// name through the scenario's own figures. It implements plan.Metrics.
type withBaseline struct {
	r        *ScenarioResult
	scenario string
	baseline func(scenario, metric string) (float64, error)
}

// Metric implements plan.Metrics.
func (m withBaseline) Metric(name string) (float64, bool) {
	if rest, ok := strings.CutPrefix(name, plan.BaselinePrefix); ok {
		if m.baseline == nil {
			return 0, false
		}
		v, err := m.baseline(m.scenario, rest)
		return v, err == nil
	}
	return m.r.Metric(name)
}

// missing explains why the baseline.* metric name has no value.
func (m withBaseline) missing(name string) error {
	if m.baseline == nil {
		return fmt.Errorf("no baseline value for %s: no baseline given", name)
	}
	_, err := m.baseline(m.scenario, strings.TrimPrefix(name, plan.BaselinePrefix))
	if err == nil {
		return nil
	}
	return fmt.Errorf("no baseline value for %s: %w", name, err)
}

// Metric implements plan.Metrics: it resolves an assertion's metric name
// (see plan.MetricNames) against the scenario's figures. Latencies are in
// milliseconds. A latency of an operation that never completed has no value.
func (r *ScenarioResult) Metric(name string) (float64, bool) {
	switch name {
	case "dropped":
		return float64(r.Dropped), true
	case "vus_max":
		return float64(r.VUsMax), true
	case "elapsed":
		return ms(r.Elapsed), true
	case "availability", "availability_windows":
		return AvailabilityOf(r.Total, r.Series).Metric(name)
	}
	if rest, ok := strings.CutPrefix(name, plan.StagePrefix); ok {
		return r.stageMetric(rest)
	}
	if rest, ok := strings.CutPrefix(name, "target."); ok {
		v, ok := r.TargetStats[rest]
		if !ok && r.TargetStats != nil && r.targetKind != nil && r.targetKind.IsSparse(rest) {
			// A sparse counter that did not count over the span.
			return 0, true
		}
		return v, ok
	}
	if slices.Contains(breakpointMetrics(), name) {
		if r.Breakpoint == nil {
			return 0, false
		}
		return r.Breakpoint.Metric(name)
	}
	if strings.HasPrefix(name, "interference.") {
		return r.Interference.Metric(name)
	}
	if plan.IsResourceMetric(name) {
		if r.Resources == nil {
			return 0, false
		}
		return r.Resources.Metric(name)
	}
	if rest, ok := strings.CutPrefix(name, "op."); ok {
		for i := range r.Ops {
			o := &r.Ops[i]
			if f, ok := strings.CutPrefix(rest, o.Name+"."); ok {
				if v, ok := r.opMetric(o, f); ok {
					return v, true
				}
			}
		}
		return 0, false
	}
	return r.opMetric(&r.Total, name)
}

// opMetric resolves a counter or a field of a latency family of o
// (plan.LatencyFamilies): a family only open models measure exists in open
// models only; a family that counts omitted work has a value while any
// iteration completed or was dropped; in a closed model that stalled, a
// stall-corrected family (latency.*) reads the view corrected for
// coordinated omission unless the scenario allows omitted work.
func (r *ScenarioResult) opMetric(o *OpStats, f string) (float64, bool) {
	switch f {
	case "ops":
		return float64(o.Ops), true
	case "errors":
		return float64(o.Errors), true
	case "error_rate":
		return o.ErrorRate(), true
	case "throughput":
		return o.Throughput, true
	}
	prefix, fam, field, ok := plan.SplitFamily(f)
	if !ok || prefix != "" || (fam.OpenOnly && !IsOpen(r.Executor)) {
		return 0, false
	}
	l, _ := o.Family(fam.Family)
	n := o.Ops
	if fam.CountsOmitted {
		n += o.Omitted
	}
	if fam.StallCorrected && o.Corrected != nil && r.useCorrected() {
		l = *o.Corrected
	}
	return latencyField(l, field, n)
}

// useCorrected reports whether latency.* reads the corrected view of a
// closed model that stalled.
func (r *ScenarioResult) useCorrected() bool { return r.Stall != nil && !r.AllowOmitted }

func latencyField(l LatencyStats, f string, n int64) (float64, bool) {
	if n == 0 {
		return 0, false
	}
	var d time.Duration
	switch f {
	case "min":
		d = l.Min
	case "mean":
		d = l.Mean
	case "stddev":
		d = l.StdDev
	case "p50":
		d = l.P50
	case "p75":
		d = l.P75
	case "p90":
		d = l.P90
	case "p95":
		d = l.P95
	case "p99":
		d = l.P99
	case "p999":
		d = l.P999
	case "max":
		d = l.Max
	default:
		return 0, false
	}
	return ms(d), true
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// Flagged reports whether the result should not be trusted as a measurement
// of the target: the open model dropped iterations (the runner could not keep
// up with the rate), in-flight iterations were cut, or the scenario stopped
// early.
//
// A breakpoint search drops iterations by design once it passes the
// breaking point (that is one of its stop signals), so drops do not flag it.
func (r *ScenarioResult) Flagged() bool {
	dropped := r.Dropped > 0 && r.Breakpoint == nil
	return dropped || r.Cut > 0 || r.Aborted || r.Interrupted || r.Stall != nil || r.Saturated != ""
}

// readsLatency reports whether a metric name reads a figure of the
// scenario itself that omitted work makes a lower bound (a latency family
// with OmissionBound, per operation too), as opposed to a counter, a
// resource or a baseline.
func readsLatency(name string) bool {
	fam, ok := readsFamily(name)
	return ok && fam.OmissionBound
}

// readsFamily returns the latency family that a metric name reads a field
// of, per operation or stage too; baseline.* reads none.
func readsFamily(name string) (plan.FamilyDesc, bool) {
	if strings.HasPrefix(name, plan.BaselinePrefix) {
		return plan.FamilyDesc{}, false
	}
	_, fam, _, ok := plan.SplitFamily(name)
	return fam, ok
}

// trustNotes returns what an assertion reading refs must say about the
// figures it read, and the reason it must fail although its condition
// held, if any: a latency that omitted work makes a lower bound fails
// unless the scenario allows omitted work.
func (r *ScenarioResult) trustNotes(refs []string) (notes []string, fail string) {
	reads := false
	for _, ref := range refs {
		if readsLatency(ref) {
			reads = true
			break
		}
	}
	if !reads {
		return nil, ""
	}
	if n := r.Total.Omitted; n > 0 {
		note := fmt.Sprintf("latency is a lower bound: %d iterations were dropped with every worker up to max_vus busy, each counted with its lateness when dropped", n)
		if m := r.Total.OmitMax(); m > 0 {
			note += " (up to " + fmtDur(m) + ")"
		}
		notes = append(notes, note)
		if !r.AllowOmitted && r.Breakpoint == nil {
			fail = note + "; raise max_vus, or set allow_omitted = true to assert on the lower bound"
		}
	}
	if st := r.Stall; st != nil {
		if r.AllowOmitted {
			notes = append(notes, fmt.Sprintf("raw latency of a closed model that stalled (allow_omitted): the longest operation took %s; corrected p99 %s",
				fmtDur(st.Longest), fmtDur(r.Total.correctedP99())))
		} else {
			notes = append(notes, fmt.Sprintf("latency corrected for coordinated omission: the closed model stalled (longest operation %s, %d of at least %s), so arrivals every %s (the median) were added for the stall; raw p99 %s",
				fmtDur(st.Longest), st.Count, fmtDur(st.Threshold), fmtDur(st.Interval), fmtDur(r.Total.Latency.P99)))
		}
	}
	if r.Saturated != "" {
		notes = append(notes, "runner saturated: "+r.Saturated)
	}
	if in := r.Interference; in != nil && in.Attributed > 0 && r.Stall == nil {
		notes = append(notes, fmt.Sprintf("%d long operations (up to %s) lay in pauses of the process or the machine (the probe woke up to %s late): not the target's stall, so no coordinated-omission correction",
			in.Attributed, fmtDur(in.AttributedMax), fmtDur(in.WakeMax)))
	}
	return notes, fail
}

// OmitMax returns the longest lateness of a dropped iteration.
func (o OpStats) OmitMax() time.Duration {
	if o.OmitHist == nil {
		return 0
	}
	return time.Duration(o.OmitHist.Max())
}

func (o OpStats) correctedP99() time.Duration {
	if o.Corrected == nil {
		return 0
	}
	return o.Corrected.P99
}

// evalComparisons evaluates the comparisons of c against m. The
// comparisons are recorded together or not at all, so that a report can
// combine them as c.Logic() says: it returns nil when a side of any of
// them cannot be evaluated.
func evalComparisons(c plan.Condition, m plan.Metrics) []ComparisonResult {
	cmps := c.Comparisons()
	if len(cmps) == 0 {
		return nil
	}
	out := make([]ComparisonResult, 0, len(cmps))
	for _, cmp := range cmps {
		o, err := cmp.Eval(m)
		if err != nil {
			return nil
		}
		out = append(out, ComparisonResult{
			Left: cmp.Left.String(), Op: cmp.Op, Right: cmp.Right.String(),
			LeftValue: o.Left, RightValue: o.Right, Held: o.Held,
		})
	}
	return out
}

// stageMetric resolves NAME.METRIC, a metric of the stage called NAME. A
// stage's latency has no value in a closed model that stalled (unless the
// scenario allows omitted work): its corrected view is the whole
// scenario's, so a stage's raw figures would hide the stall.
func (r *ScenarioResult) stageMetric(name string) (float64, bool) {
	for i := range r.Stages {
		st := &r.Stages[i]
		rest, ok := strings.CutPrefix(name, st.Name+".")
		if st.Name == "" || !ok {
			continue
		}
		if r.useCorrected() && (strings.HasPrefix(rest, "latency.") || strings.Contains(rest, ".latency.")) {
			return 0, false
		}
		v := &ScenarioResult{Executor: r.Executor, Elapsed: st.End - st.Start, Total: st.Total, Ops: st.Ops, AllowOmitted: r.AllowOmitted}
		return v.Metric(rest)
	}
	return 0, false
}
