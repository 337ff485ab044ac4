package executor

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/plan"
)

// SummarizeOp builds an operation's figures from its counts and histograms
// as a run does at its end: each latency family from the histogram hist
// returns for it (nil: not measured, as an open-only family in a closed
// model), latency with the dropped iterations' lateness in omit (as lower
// bounds), throughput over elapsed. The histograms become the result's.
// perfplan merge calls it with the segments' histograms merged.
func SummarizeOp(name string, ops, errs int64, hist func(plan.Family) *hdrhistogram.Histogram, omit *hdrhistogram.Histogram, elapsed time.Duration) OpStats {
	secs := elapsed.Seconds()
	thr := func(n int64) float64 {
		if secs <= 0 {
			return 0
		}
		return float64(n) / secs
	}
	v := familyView(ops, errs, hist, omit)
	if v.Lat == nil {
		v.Lat = metrics.NewHist()
	}
	st := opStats(name, v, thr)
	st.dropEmpty()
	return st
}

// SummarizeSoak is the soak analysis of a series and a heap series, as a run
// makes it at its end; threshold is the leak threshold in bytes per minute
// (0: the default).
func SummarizeSoak(series []SeriesPoint, heap []HeapPoint, threshold float64) Soak {
	return analyzeSoak(series, heap, threshold)
}

// Judge derives what a run derives from a scenario's figures at its end,
// for a result that perfplan merge rebuilt from the figures of segments:
// the closed model's stall with its corrected latencies, the open model's
// schedule lag saturation, then every assertion of sc against r (baseline
// resolves baseline.*, as Options.Baseline). The process's CPU is not
// judged: each segment judged its own, and its mark is the caller's to
// keep.
func Judge(r *ScenarioResult, sc *plan.Scenario, baseline func(scenario, metric string) (float64, error)) {
	res := r.Resources
	r.Resources = nil
	assess(r, sc)
	r.Resources = res
	evalAssertions(r, sc, baseline, nil)
}
