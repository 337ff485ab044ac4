package executor

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

// Options tune a run.
type Options struct {
	// DurationScale multiplies every scenario duration: duration,
	// max_duration, stage durations, start_time, graceful stops, event
	// offsets and abort grace periods. 0 means 1.
	DurationScale float64
	// Observer receives live progress; it may be nil.
	Observer Observer
	// SnapshotInterval is how often live snapshots, the per-second series and
	// abort_on_fail assertions are taken. 0 means 1s.
	SnapshotInterval time.Duration
	// NoAbort disables the live evaluation of abort_on_fail assertions: every
	// scenario runs to its end (perfplan run --mode benchmark). The
	// assertions are still evaluated at the end.
	NoAbort bool
	// Baseline resolves baseline.X metrics: it returns metric X (named as in
	// assertions, without the "baseline." prefix) of the named scenario in a
	// baseline run, or an error saying why there is none. When Baseline is
	// nil, an assertion that reads baseline.* fails with an error.
	Baseline func(scenario, metric string) (float64, error)
	// SeriesLimit bounds the number of per-interval series points kept per
	// scenario; older points are merged pairwise when it is reached. 0
	// means 3600.
	SeriesLimit int
	// Abort, when it is closed (a second Ctrl-C), cuts the operations in
	// flight at once instead of giving them the rest of graceful_stop:
	// their contexts are cancelled, and workers still inside Do a moment
	// later are abandoned. The run's context must be cancelled too (it
	// stops starting iterations). A nil Abort never fires.
	Abort <-chan struct{}
	// NoResources disables the resource sampler (Resources stays nil and
	// resource metrics have no value). It exists to measure the sampler's
	// cost; the sampler runs on the collector goroutine, never on the
	// per-operation path.
	NoResources bool
	// StartAt, when set, is the wall-clock time at which the load starts
	// (perfplan run --start-at): Run opens the targets, then waits for it,
	// so that segments started on several machines at slightly different
	// moments begin their load together. A StartAt that has passed by the
	// time the targets are open starts the load at once, and the result's
	// Errors say how late it started.
	StartAt time.Time
	// WakeJitter is the machine's ordinary wake-up lateness, from which
	// the pause floor and the saturation flag's lag floor are set. 0 means
	// Run measures it at its start (about 50ms; see Interference.Jitter).
	WakeJitter time.Duration
	// Profiler, when set, is told of each scenario's span and the
	// scenarios' goroutines carry pprof labels (see Profiler).
	Profiler Profiler
}

// Observer receives live progress from a run. Its methods are called from the
// run's collector goroutine and must not block for long.
type Observer interface {
	// ScenarioStart is called when a scenario starts; planned is its
	// planned length (0 when it has no fixed length, as for iterations).
	ScenarioStart(name string, planned time.Duration)
	// Progress is called about once per SnapshotInterval per running
	// scenario.
	Progress(p Progress)
	// ScenarioEnd is called when a scenario has finished.
	ScenarioEnd(r *ScenarioResult)
}

// IntervalObserver is an Observer that also receives each snapshot
// interval's figures, per operation, with the process's resources (perfplan
// run --out prometheus). The run computes them only for an observer that
// implements it, on the collector goroutine, right after Progress.
type IntervalObserver interface {
	Observer
	Interval(iv Interval)
}

// Interval is the figures of one snapshot interval of a running scenario.
type Interval struct {
	Scenario string
	// Elapsed is the end of the interval from the scenario's start, and
	// Length its length.
	Elapsed, Length time.Duration
	// Total and Ops (one per workload op, in workload order) are the
	// interval's own figures: operations and errors completed in it,
	// Throughput over Length, and the latency, service time and schedule
	// lag of the operations completed in it (dropped iterations count in
	// Latency with their lateness, as in the result). Their histograms
	// are nil.
	Total OpStats
	Ops   []OpStats
	// ActiveVUs is the number of workers now; Dropped counts the
	// iterations dropped since the scenario started.
	ActiveVUs int
	Dropped   int64
	// Resources is the process's resource sample taken at the end of the
	// interval; nil when sampling is off (Options.NoResources).
	Resources *HeapPoint
}

// Progress is a live view of one scenario.
type Progress struct {
	Scenario string
	Elapsed  time.Duration
	Planned  time.Duration
	// Ops and Errors are totals so far; Rate is ops/s over the last interval.
	Ops, Errors int64
	Rate        float64
	ActiveVUs   int
	Dropped     int64
	// Done and Total count iterations for iteration-based executors (Total
	// is 0 otherwise).
	Done, Total int64
}

// Result is the outcome of running one plan.
type Result struct {
	Plan       *plan.Plan
	Start, End time.Time
	// Interrupted is set when the run's context was cancelled (a signal).
	Interrupted bool
	Scenarios   []*ScenarioResult
	// Errors lists problems outside any scenario: a target whose Close
	// failed or panicked, the error of a target interrupted while it
	// started.
	Errors []string
	// Assertions are the plan-level assertions' outcomes, evaluated once
	// every scenario had finished.
	Assertions []AssertionResult
	// Duets are the paired comparisons of the plan's duet blocks.
	Duets []*DuetResult
}

// TargetFailed reports whether a scenario could not start because its
// target failed to make a worker (an error or a panic in NewWorker).
func (r *Result) TargetFailed() bool {
	for _, s := range r.Scenarios {
		if s.TargetFailure != "" {
			return true
		}
	}
	return false
}

// Verdict returns the run's verdict: fail when any scenario failed, else
// inconclusive when any was, else pass.
func (r *Result) Verdict() string {
	v := VerdictPass
	for _, s := range r.Scenarios {
		v = WorseVerdict(v, s.Verdict())
	}
	for _, a := range r.Assertions {
		v = WorseVerdict(v, a.Verdict())
	}
	return v
}

// WorseVerdict returns the worse of two verdicts: fail over inconclusive
// over pass.
func WorseVerdict(a, b string) string {
	rank := func(v string) int {
		switch v {
		case VerdictFail:
			return 2
		case VerdictInconclusive:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// Passed reports whether every assertion of every scenario held, every
// scenario's target started and no worker error (a Stats that panicked)
// left its figures incomplete.
func (r *Result) Passed() bool {
	if r.TargetFailed() {
		return false
	}
	for _, s := range r.Scenarios {
		if len(s.WorkerErrors) > 0 {
			return false
		}
		for _, a := range s.Assertions {
			if !a.Passed {
				return false
			}
		}
	}
	for _, a := range r.Assertions {
		if !a.Passed {
			return false
		}
	}
	return true
}

// ScenarioResult holds one scenario's figures.
type ScenarioResult struct {
	Name     string
	Executor string
	// Start and End are wall-clock times; Elapsed is End-Start as measured
	// by the monotonic clock, excluding start_time.
	Start, End time.Time
	Elapsed    time.Duration
	// Total aggregates every operation; Ops has one entry per workload op,
	// in workload order.
	Total OpStats
	Ops   []OpStats
	// Dropped counts the iterations the executor planned that never
	// started: in an open model, those no worker could start in time (all
	// max_vus busy); in per-vu-iterations and shared-iterations, those
	// that max_duration left unstarted, as k6's dropped_iterations. Any
	// drop flags the result.
	Dropped int64
	// Cut counts the iterations cut while in flight: their context was
	// cancelled (or their worker abandoned) and they count neither as
	// operations nor as errors. CutRampDown of them were cut at the end of
	// graceful_ramp_down (ramping-vus), CutInterrupt by a signal (the
	// second one, or the end of graceful_stop after the first); the rest,
	// Cut-CutRampDown-CutInterrupt, were still in flight when
	// graceful_stop expired at the scenario's end.
	Cut, CutRampDown, CutInterrupt int64
	// VUsMax is the peak number of workers.
	VUsMax int
	// Aborted is set when an abort_on_fail assertion stopped the scenario;
	// AbortReason names it.
	Aborted     bool
	AbortReason string
	// Interrupted is set when a signal stopped the scenario early.
	Interrupted bool
	// TargetStats is the target's statistics over the scenario's span: a
	// counter is its change from the scenario's start to its end, a gauge its
	// value at the end (see targets.Kind.Gauges). When two scenarios use one
	// target at the same time, each sees the other's calls too.
	TargetStats map[string]float64
	// targetKind is the target's kind, whose sparse statistics (see
	// targets.Kind.Sparse) read as 0 when TargetStats lacks them.
	targetKind *targets.Kind
	// Series has one point per SnapshotInterval.
	Series []SeriesPoint
	// Resources holds the process's resource figures and the soak
	// analysis; nil when Options.NoResources is set or the scenario never
	// started.
	Resources *Resources
	// Breakpoint is the breakpoint executor's search; nil for the others.
	Breakpoint *BreakpointResult
	// AllowOmitted is the scenario's allow_omitted: latency assertions may
	// pass on figures that omitted work makes a lower bound (open models)
	// or on the raw figures of a closed model that stalled.
	AllowOmitted bool
	// Stall describes a closed-model stall; nil when none was detected.
	Stall *Stall
	// Saturated explains why the runner could not be trusted to keep its
	// schedule or share the CPU fairly; empty when it could.
	Saturated string
	// Interference is what was measured of the machine's neighbours, the
	// cgroup's quota and pauses of the process during the scenario; nil
	// when resources were not sampled.
	Interference *Interference
	// longs are the closed model's operations of at least stallFloor, for
	// stall attribution.
	longs      []longOp
	Assertions []AssertionResult
	// EventErrors lists events that failed or were not applied, one line
	// each.
	EventErrors []string
	// WorkerErrors lists run-time problems with workers, such as a target
	// that could not create a worker.
	WorkerErrors []string
	// TargetFailure is set when the scenario could not start its workers
	// because the target failed to make one (an error or a panic in
	// NewWorker): a target that failed to start.
	TargetFailure string
	// Panics counts the target's panics in Do, each recovered and counted
	// as a failed operation (see OpStats.ErrorSamples).
	Panics int64
	// Stages holds a ramping executor's figures per stage, in order; nil
	// for the other executors.
	Stages []StageResult
	// Sweep identifies the instance of a for_each scenario; nil for a
	// scenario without for_each.
	Sweep *plan.Sweep
}

// StageResult is the figures of one stage of a ramping executor: the
// operations completed from the stage's start to its end (to within the
// collector's flush wait, about 20ms, after each boundary), and throughput
// over that span. A stage that never ran has no operations.
type StageResult struct {
	// Name is the stage's name; "" when the plan does not name it.
	Name string
	// Index counts the stages from 1.
	Index int
	// Target is the stage's target (workers, or a rate per time_unit).
	Target float64
	// Start and End are the span the figures cover, from the scenario's
	// start.
	Start, End time.Duration
	Total      OpStats
	Ops        []OpStats
}

// OpStats is the figures of one operation (or of all of them).
type OpStats struct {
	Name        string
	Ops, Errors int64
	// Throughput is Ops per second of the scenario's elapsed time.
	Throughput float64
	// Latency summarises Hist and, in an open model that dropped
	// iterations, OmitHist: a dropped iteration counts with its lateness
	// when it was dropped, so its percentiles are lower bounds then
	// (LowerBound).
	Latency LatencyStats
	// ServiceTime is measured from the actual start of each operation; it
	// differs from Latency only in open models, where Latency is measured
	// from the intended start.
	ServiceTime LatencyStats
	// ScheduleLag is, in open models, the actual start of each operation
	// minus its intended start: how late the runner started it. Latency
	// is ScheduleLag plus ServiceTime, operation by operation.
	ScheduleLag LatencyStats
	// Omitted counts the open model's iterations of this operation that the
	// runner dropped.
	Omitted int64
	// Corrected is, for a closed model that stalled (ScenarioResult.Stall),
	// the latency corrected for coordinated omission; nil otherwise.
	Corrected *LatencyStats
	// ErrorSamples are the operation's first distinct error messages (a
	// target's panic reads "panic: VALUE at FILE:LINE (FUNC)"), each with
	// the number of errors that carried it while samples were collected.
	ErrorSamples []ErrorSample
	// Hist, ServiceHist and LagHist are the merged histograms (nanoseconds)
	// of the completed operations; OmitHist holds the dropped iterations'
	// lateness. They may be nil when empty.
	Hist        *hdrhistogram.Histogram
	ServiceHist *hdrhistogram.Histogram
	LagHist     *hdrhistogram.Histogram
	OmitHist    *hdrhistogram.Histogram
}

// ErrorSample is one distinct error message of an operation.
type ErrorSample struct {
	Message string `json:"message"`
	// Count is how many errors carried the message while samples were
	// being collected (a lower bound of its total).
	Count int64 `json:"count"`
}

// LowerBound reports whether the latency percentiles are lower bounds,
// because iterations were dropped.
func (o OpStats) LowerBound() bool { return o.Omitted > 0 }

// Stall is a closed-model stall: an operation far longer than the typical
// one. A closed loop issues nothing while its workers wait, so the raw
// latencies hide what a client arriving during the stall would have seen;
// the corrected view adds, as HdrHistogram's RecordCorrectedValue does, the
// samples those arrivals would have had, every Interval.
type Stall struct {
	// Longest is the longest operation.
	Longest time.Duration `json:"longest_ns"`
	// Interval is the expected interval between a worker's operations (the
	// median latency), used for the correction.
	Interval time.Duration `json:"interval_ns"`
	// Count is the number of operations of at least Threshold.
	Count int64 `json:"count"`
	// Threshold is the length from which an operation counts as a stall.
	Threshold time.Duration `json:"threshold_ns"`
}

// ErrorRate returns Errors/Ops, or 0 when there were no operations.
func (o OpStats) ErrorRate() float64 {
	if o.Ops == 0 {
		return 0
	}
	return float64(o.Errors) / float64(o.Ops)
}

// LatencyStats summarises a latency distribution.
type LatencyStats struct {
	Min, Mean, StdDev, P50, P75, P90, P95, P99, P999, Max time.Duration
}

// SeriesPoint is one interval of a scenario's time series.
type SeriesPoint struct {
	// Offset is the end of the interval, from the scenario's start.
	Offset                  time.Duration
	Ops, Errors             int64
	Throughput              float64
	P50, P90, P95, P99, Max time.Duration
	// LagP99 is the schedule lag's p99 over the interval (open models;
	// 0 in closed ones).
	LagP99 time.Duration
	// ActiveVUs is the most workers active at once during the interval:
	// live workers up to the executor's active count (a worker that a
	// ramp removed and that still finishes its iteration does not count).
	ActiveVUs int
}

// AssertionResult is the outcome of one assertion.
type AssertionResult struct {
	Assertion *plan.Assertion
	Passed    bool
	// Err explains why the condition could not be evaluated (a metric
	// without a value); such an assertion fails.
	Err string
	// Observed maps each metric the condition reads to its value.
	Observed map[string]float64
	// Comparisons are the condition's top-level comparisons
	// (plan.Condition.Comparisons), in order, as evaluated at the end of
	// the scenario; nil when the condition could not be evaluated.
	Comparisons []ComparisonResult
	// AbortComparisons are the comparisons as the live evaluation saw them
	// when this assertion stopped the scenario (Aborted).
	AbortComparisons []ComparisonResult
	// Notes say what the observed figures mean where that matters to the
	// verdict: a latency that is a lower bound, a coordinated-omission
	// corrected view, a saturated runner.
	Notes []string
	// Aborted is set when this assertion stopped the scenario early.
	Aborted bool
	// Inconclusive, on an assertion that did not pass, says why measured
	// interference explains the failure (see the verdict rules in
	// interference.go), or that a duet figure it reads gave no verdict
	// (DuetNoVerdict): its verdict is then inconclusive, not fail.
	Inconclusive string
}

// Verdict returns the assertion's verdict: VerdictPass, VerdictFail or
// VerdictInconclusive.
func (a AssertionResult) Verdict() string {
	switch {
	case a.Passed:
		return VerdictPass
	case a.Inconclusive != "":
		return VerdictInconclusive
	}
	return VerdictFail
}

// Verdict returns the scenario's verdict: fail when any assertion failed,
// the target failed to start or a worker error (a Stats that panicked) left
// its figures incomplete, else inconclusive when any assertion was, else
// pass.
func (r *ScenarioResult) Verdict() string {
	if r.TargetFailure != "" || len(r.WorkerErrors) > 0 {
		return VerdictFail
	}
	v := VerdictPass
	for _, a := range r.Assertions {
		v = WorseVerdict(v, a.Verdict())
	}
	return v
}

// ComparisonResult is one comparison of an assertion's condition, as
// evaluated: LeftValue Op RightValue, and whether it held.
type ComparisonResult struct {
	// Left and Right are the sides' source texts, such as "latency.p99"
	// and `duration("5ms")`.
	Left, Right string
	// Op is one of <, <=, >, >=, == and !=.
	Op                    string
	LeftValue, RightValue float64
	Held                  bool
}

// Family returns o's summary and histogram of the latency family f. The
// histogram is nil when empty, dropped (an interval's figures) or not
// measured (an open-only family in a closed model).
//
// This file and report/document.go are where a family has a field of its
// own; everything else reads families through plan.LatencyFamilies.
func (o *OpStats) Family(f plan.Family) (LatencyStats, *hdrhistogram.Histogram) {
	switch f {
	case plan.Latency:
		return o.Latency, o.Hist
	case plan.ServiceTime:
		return o.ServiceTime, o.ServiceHist
	case plan.ScheduleLag:
		return o.ScheduleLag, o.LagHist
	}
	return LatencyStats{}, nil
}

// SetFamily sets o's summary and histogram (nil for none) of the latency
// family f.
func (o *OpStats) SetFamily(f plan.Family, l LatencyStats, h *hdrhistogram.Histogram) {
	switch f {
	case plan.Latency:
		o.Latency, o.Hist = l, h
	case plan.ServiceTime:
		o.ServiceTime, o.ServiceHist = l, h
	case plan.ScheduleLag:
		o.ScheduleLag, o.LagHist = l, h
	}
}

// dropFamilyHists forgets the histograms of every latency family, keeping
// their summaries.
func (o *OpStats) dropFamilyHists() {
	for _, f := range plan.LatencyFamilies() {
		l, _ := o.Family(f.Family)
		o.SetFamily(f.Family, l, nil)
	}
}

// setFamilies sets o's latency families from the histograms of v. A
// closed model records no service time (v.Svc is nil): its service time
// is its latency, and it has no schedule lag.
func (o *OpStats) setFamilies(v *metrics.OpView) {
	o.SetFamily(plan.Latency, latencyStats(v.Lat), v.Lat)
	o.SetFamily(plan.ServiceTime, o.Latency, o.Hist)
	if v.Svc != nil {
		o.SetFamily(plan.ServiceTime, latencyStats(v.Svc), v.Svc)
		o.SetFamily(plan.ScheduleLag, latencyStats(v.Lag), v.Lag)
	}
}

// familyView is the view of one operation with the histograms hist
// returns for each latency family (nil: not measured), and omit the
// dropped iterations' lateness.
func familyView(ops, errs int64, hist func(plan.Family) *hdrhistogram.Histogram, omit *hdrhistogram.Histogram) *metrics.OpView {
	return &metrics.OpView{Ops: ops, Errors: errs, Omit: omit,
		Lat: hist(plan.Latency), Svc: hist(plan.ServiceTime), Lag: hist(plan.ScheduleLag)}
}
