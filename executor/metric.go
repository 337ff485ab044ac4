package executor

import (
	"fmt"
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
	}
	if rest, ok := strings.CutPrefix(name, "target."); ok {
		v, ok := r.TargetStats[rest]
		return v, ok
	}
	if plan.IsBreakpointMetric(name) {
		if r.Breakpoint == nil {
			return 0, false
		}
		return r.Breakpoint.Metric(name)
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
				if v, ok := opMetric(o, f); ok {
					return v, true
				}
			}
		}
		return 0, false
	}
	return opMetric(&r.Total, name)
}

// opMetric resolves a counter or latency.* / service_time.* field of o.
func opMetric(o *OpStats, f string) (float64, bool) {
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
	if lf, ok := strings.CutPrefix(f, "latency."); ok {
		return latencyField(o.Latency, lf, o.Ops)
	}
	if lf, ok := strings.CutPrefix(f, "service_time."); ok {
		return latencyField(o.ServiceTime, lf, o.Ops)
	}
	return 0, false
}

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
	return dropped || r.Cut > 0 || r.Aborted || r.Interrupted
}
