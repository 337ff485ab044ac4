package executor

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/plan"
)

// BreakpointName is the breakpoint executor's name.
const BreakpointName = "breakpoint"

// breakpointMetrics are the results of the breakpoint search: the last
// arrival rate that held (per the scenario's time unit), the time the stop
// condition took to clear after the rate dropped to the recovery rate
// (milliseconds), and the share of the search's intervals in which the
// condition did not hold (a fraction in [0, 1]).
func breakpointMetrics() []string { return []string{"breaking_point", "recovery_time", "stability"} }

// Breakpoint is the breakpoint executor's configuration: a search for the
// highest arrival rate the target sustains. The rate starts at StartRate
// and rises by StepRate every StepDuration (in steps, or continuously when
// Ramp is set) up to MaxRate. Every Interval, StopWhen is evaluated over
// that interval's figures; once it has held for StopGrace, the search ends,
// the rate drops to RecoveryRate and the run waits up to RecoveryTimeout for
// the condition to clear for StopGrace. Rates are per TimeUnit.
type Breakpoint struct {
	StartRate, StepRate, MaxRate float64
	StepDuration                 time.Duration
	Ramp                         bool
	StopWhen                     plan.Condition
	// StopWhenExpr is StopWhen's source text, for reports.
	StopWhenExpr    string
	StopGrace       time.Duration
	Interval        time.Duration
	RecoveryRate    float64
	RecoveryTimeout time.Duration
	TimeUnit        time.Duration
	PreAllocatedVUs int
	MaxVUs          int
}

// Breakpoint defaults: the condition must hold (and, in recovery, stay
// clear) for 2s, evaluated every second; recovery gets 30s.
const (
	defaultStopGrace       = 2 * time.Second
	defaultBPInterval      = time.Second
	defaultRecoveryTimeout = 30 * time.Second
)

func breakpointKind() Kind {
	return Kind{
		Name:    BreakpointName,
		Doc:     "raises the rate until stop_when holds, then drops to recovery_rate and times the recovery",
		Open:    true,
		Metrics: breakpointMetrics(),
		Params: []Param{
			{Name: "start_rate", Type: ParamNumber, Doc: "the first step's rate (default step_rate)"},
			{Name: "step_rate", Type: ParamNumber, Required: true, Doc: "added every step_duration"},
			{Name: "step_duration", Type: ParamDuration, Required: true, Doc: "the length of a step"},
			{Name: "max_rate", Type: ParamNumber, Required: true, Doc: "the search ends here if nothing breaks"},
			{Name: "ramp", Type: ParamBool, Doc: "rise continuously instead of in steps"},
			{Name: "time_unit", Type: ParamDuration, Doc: "the unit of the rates (default 1s)"},
			{Name: "pre_allocated_vus", Type: ParamInt, Required: true, Doc: "workers made up front"},
			{Name: "max_vus", Type: ParamInt, Doc: "the most workers (default pre_allocated_vus)"},
			{Name: "stop_when", Type: ParamCondition, Required: true, Doc: "the condition, over each interval, that ends the search"},
			{Name: "stop_grace", Type: ParamDuration, Doc: "how long stop_when must hold (default 2s)"},
			{Name: "interval", Type: ParamDuration, Doc: "how often stop_when is evaluated (default 1s)"},
			{Name: "recovery_rate", Type: ParamNumber, Doc: "the load after the break (default start_rate)"},
			{Name: "recovery_timeout", Type: ParamDuration, Doc: "how long the recovery may take (default 30s)"},
		},
		Config: breakpointConfig,
	}
}

// breakpointConfig validates and completes the breakpoint's parameters.
func breakpointConfig(p Params) (Config, error) {
	c := newChecker(BreakpointName, p)
	c.require(breakpointKind())
	positive := func(name string) float64 {
		f := p.numOr(name, 0)
		if p.Has(name) && (f <= 0 || math.IsInf(f, 0)) {
			c.outOfRange(name, "%s must be a number greater than 0.", name)
			return 0
		}
		return f
	}
	b := &Breakpoint{
		StepRate: positive("step_rate"), MaxRate: positive("max_rate"), RecoveryRate: positive("recovery_rate"),
		StepDuration:    c.positiveDur("step_duration", 0),
		Ramp:            p.boolOr("ramp", false),
		StopGrace:       c.nonNegativeDur("stop_grace", defaultStopGrace),
		Interval:        c.positiveDur("interval", defaultBPInterval),
		RecoveryTimeout: c.positiveDur("recovery_timeout", defaultRecoveryTimeout),
		TimeUnit:        c.positiveDur("time_unit", defaultTimeUnit),
	}
	b.PreAllocatedVUs, b.MaxVUs = c.openWorkers()
	cond := p.cond("stop_when")
	b.StopWhen, b.StopWhenExpr = cond.Cond, cond.Expr
	b.StartRate = startRate(c)
	if !p.Has("start_rate") {
		b.StartRate = b.StepRate
	}
	if !p.Has("recovery_rate") {
		b.RecoveryRate = b.StartRate
		if b.RecoveryRate == 0 && p.Has("start_rate") {
			c.outOfRange("start_rate", "With start_rate = 0, set recovery_rate: the recovery phase needs some load to see the condition clear.")
		}
	}
	if p.Has("max_rate") && b.MaxRate > 0 && b.MaxRate < b.StartRate {
		c.outOfRange("max_rate", "max_rate (%g) must be at least start_rate (%g).", b.MaxRate, b.StartRate)
	}
	switch {
	case p.Has("interval") && b.StepDuration > 0 && b.Interval > b.StepDuration:
		c.outOfRange("interval", "interval (%v) must not be longer than step_duration (%v): every step needs at least one evaluation.", b.Interval, b.StepDuration)
	case p.Has("step_duration") && !p.Has("interval") && b.StepDuration > 0 && b.StepDuration < b.Interval:
		c.outOfRange("step_duration", "step_duration (%v) is shorter than the evaluation interval (default %v); set interval to at most step_duration.", b.StepDuration, b.Interval)
	}
	return b, c.err()
}

// Kind implements plan.ExecutorConfig.
func (b *Breakpoint) Kind() string { return BreakpointName }

// Open implements plan.ExecutorConfig.
func (b *Breakpoint) Open() bool { return true }

// Metrics implements plan.ExecutorConfig: breaking_point, recovery_time and
// stability.
func (b *Breakpoint) Metrics() []string { return breakpointMetrics() }

// Longest implements plan.ExecutorConfig: the whole search and the recovery
// timeout.
func (b *Breakpoint) Longest() time.Duration {
	return min(b.SearchDuration(), math.MaxInt64-max(b.RecoveryTimeout, 0)) + b.RecoveryTimeout
}

// Scaled implements plan.ExecutorConfig.
func (b *Breakpoint) Scaled(f float64) plan.ExecutorConfig {
	x := *b
	x.StepDuration = scale(b.StepDuration, f)
	x.StopGrace = scale(b.StopGrace, f)
	x.Interval = scale(b.Interval, f)
	x.RecoveryTimeout = scale(b.RecoveryTimeout, f)
	return &x
}

// ErrBreakpointSegment is the error of Breakpoint.Segment.
var ErrBreakpointSegment = errors.New("the breakpoint executor cannot run as a segment: its search raises the rate from what it measures, and segments searching apart would find a breaking point each, not the target's; run the plan whole (without --segment)")

// Segment implements Config: a breakpoint search cannot be split.
func (b *Breakpoint) Segment(plan.Segment) (plan.ExecutorConfig, error) {
	return nil, ErrBreakpointSegment
}

func (b *Breakpoint) run() executor { return newBreakpoint(*b) }

// RateAt returns the search's arrival rate at offset t from the scenario's
// start: StartRate plus StepRate for every whole StepDuration (or pro rata
// with Ramp), capped at MaxRate.
func (b *Breakpoint) RateAt(t time.Duration) float64 {
	if t < 0 || b.StepDuration <= 0 {
		return b.StartRate
	}
	k := float64(t) / float64(b.StepDuration)
	if !b.Ramp {
		k = float64(int64(k))
	}
	return min(b.StartRate+k*b.StepRate, b.MaxRate)
}

// Steps returns the number of steps of the search: the step at index k
// runs at StartRate + k*StepRate, and the last one reaches MaxRate.
func (b *Breakpoint) Steps() int {
	if b.StepRate <= 0 || b.MaxRate <= b.StartRate {
		return 1
	}
	n := (b.MaxRate - b.StartRate) / b.StepRate
	k := int(n)
	if float64(k) < n-1e-9 {
		k++
	}
	return k + 1
}

// SearchDuration is the longest the search runs: every step, to MaxRate
// (at most the longest time.Duration).
func (b *Breakpoint) SearchDuration() time.Duration {
	d := float64(b.Steps()) * float64(b.StepDuration)
	if d >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(d)
}

// Breakpoint phases.
const (
	phaseSearch   = "search"
	phaseRecovery = "recovery"
)

// Reasons the search stopped (BreakpointResult.Reason).
const (
	// ReasonCondition: stop_when held for stop_grace.
	ReasonCondition = "condition"
	// ReasonDropped: the runner dropped iterations (every one of max_vus
	// workers busy), so latencies no longer showed the overload.
	ReasonDropped = "dropped"
	// ReasonStalled: iterations fell due but none completed.
	ReasonStalled = "stalled"
	// ReasonMaxRate: max_rate held; no breaking point below it.
	ReasonMaxRate = "max_rate"
	// ReasonStopped: the run was interrupted or aborted during the search.
	ReasonStopped = "stopped"
)

// BreakpointResult is the outcome of a breakpoint search. Rates are per the
// scenario's time unit.
type BreakpointResult struct {
	// StopWhen is the stop condition's source text.
	StopWhen string        `json:"stop_when"`
	TimeUnit time.Duration `json:"time_unit_ns"`
	Ramp     bool          `json:"ramp"`
	// Broke is set when the search found a breaking point below max_rate.
	Broke bool `json:"broke"`
	// BrokeDisturbed is set when measured interference (a neighbour, a
	// quota, a pause of the process) explains every interval of the
	// failing run that broke the search: each was disturbed, and stop_when
	// no longer held once its latencies were allowed for. The breaking
	// point may be the machine's, and assertions on it that fail are
	// inconclusive. UnstableDisturbed says the same of every failed
	// interval below the breaking point (stability), and
	// RecoveryDisturbed of every failed interval of a recovery that did
	// not clear (recovery_time).
	BrokeDisturbed    bool `json:"broke_disturbed,omitempty"`
	UnstableDisturbed bool `json:"unstable_disturbed,omitempty"`
	RecoveryDisturbed bool `json:"recovery_disturbed,omitempty"`
	// Reason says why the search stopped: one of the Reason constants.
	Reason string `json:"reason"`
	// BreakingPoint is the last rate that held: with steps, the rate of the
	// last step that completed before the failure began; on a ramp, the
	// rate when the first failing interval began. When the search did not
	// break, it is the highest rate reached (max_rate unless stopped).
	BreakingPoint float64 `json:"breaking_point"`
	// PeakRate is the highest rate the search offered.
	PeakRate float64 `json:"peak_rate"`
	// BrokeAt is when the search stopped and the rate dropped to
	// RecoveryRate, from the scenario's start.
	BrokeAt      time.Duration `json:"broke_at_ns,omitempty"`
	RecoveryRate float64       `json:"recovery_rate"`
	// Recovered is set when, after the drop, the condition cleared and
	// stayed clear for stop_grace. RecoveryTime is from the drop to the
	// start of the first interval of that clear run, so it is a multiple
	// of the evaluation interval (0: the first interval after the drop was
	// already clear). Without a break there is nothing to recover from:
	// Recovered is set and RecoveryTime is 0.
	Recovered    bool          `json:"recovered"`
	RecoveryTime time.Duration `json:"recovery_time_ns"`
	// Stability is the share of the search's evaluated intervals, before
	// the failure that ended it, in which the condition did not hold.
	Stability float64 `json:"stability"`
	// Intervals and Failed count those intervals.
	Intervals int `json:"intervals"`
	Failed    int `json:"failed_intervals"`
	// Steps summarises the run step by step (one row per step_duration of
	// the search, then one for the recovery).
	Steps []BreakpointStep `json:"steps"`
	// Incomplete is set when the run stopped (interrupt or abort) before
	// the search and recovery concluded.
	Incomplete bool `json:"incomplete,omitempty"`
	// EvalErrors lists why stop_when could not be evaluated, once each.
	EvalErrors []string `json:"eval_errors,omitempty"`
}

// BreakpointStep is one row of the search: a step (or a step_duration of a
// ramp) or the recovery.
type BreakpointStep struct {
	Phase string `json:"phase"`
	// Rate is the row's arrival rate per time unit: the step's or the
	// recovery's rate, or on a ramp the mean intended rate over the row.
	Rate       float64       `json:"rate"`
	Start      time.Duration `json:"start_ns"`
	End        time.Duration `json:"end_ns"`
	Ops        int64         `json:"ops"`
	Errors     int64         `json:"errors"`
	Dropped    int64         `json:"dropped"`
	Throughput float64       `json:"throughput"`
	P99        time.Duration `json:"p99_ns"`
	Intervals  int           `json:"intervals"`
	Failed     int           `json:"failed_intervals"`
}

// Metric resolves breaking_point, recovery_time (ms) and stability. A
// recovery that never completed has no recovery_time.
func (b *BreakpointResult) Metric(name string) (float64, bool) {
	switch name {
	case "breaking_point":
		return b.BreakingPoint, true
	case "recovery_time":
		if !b.Recovered {
			return 0, false
		}
		return ms(b.RecoveryTime), true
	case "stability":
		if b.Intervals == 0 {
			return 0, false
		}
		return b.Stability, true
	}
	return 0, false
}

// missing explains why metric name has no value, or returns "". A nil b
// (not a breakpoint scenario) has nothing to explain.
func (b *BreakpointResult) missing(name string) string {
	switch {
	case b == nil:
		return ""
	case name == "recovery_time" && !b.Recovered && b.Incomplete:
		return "recovery_time has no value: the run stopped before the search ended"
	case name == "recovery_time" && !b.Recovered:
		return "recovery_time has no value: the stop condition did not clear within recovery_timeout"
	case name == "stability" && b.Intervals == 0:
		return "stability has no value: no interval of the search was evaluated"
	}
	return ""
}

// breakpoint is the breakpoint executor: an open model whose schedule the
// search changes at run time. The search runs on the collector goroutine:
// each tick it evaluates stop_when over the interval just collected (see
// observe), and when the condition has held for stop_grace it replaces the
// schedule with the recovery rate; once the condition has cleared (or
// recovery_timeout passed) it ends the schedule.
type breakpoint struct {
	spec   Breakpoint
	unit   time.Duration
	search *arrivalSchedule
	// need is how many consecutive intervals make stop_grace.
	need int

	// Collector-goroutine state.
	phase       string // "" once the search and recovery are over
	streak      int    // consecutive failing (search) or clear (recovery) intervals
	streakStart time.Duration
	streakFirst int // index in windows of the first interval of the streak
	lastDropped int64
	windows     []bpWindow
	row         *bpRow
	evalErrs    map[string]bool
	res         BreakpointResult
}

// bpWindow is one evaluated interval.
type bpWindow struct {
	failed bool
	phase  string
	// explained: the interval failed, but measured interference
	// disturbed it and explains the failure (see explainedFailure).
	explained bool
}

// bpRow accumulates one row of Steps.
type bpRow struct {
	step BreakpointStep
	key  int // step index, or -1 for the recovery
	due  float64
	span time.Duration
	hist *metrics.View
}

// newBreakpoint returns the executor for spec.
func newBreakpoint(spec Breakpoint) *breakpoint {
	unit := spec.TimeUnit
	if unit <= 0 {
		unit = time.Second
	}
	e := &breakpoint{spec: spec, unit: unit}
	e.need = max(1, int(math.Round(float64(spec.StopGrace)/float64(max(spec.Interval, 1)))))
	// The search, then max_rate held for two more intervals, so that the
	// tick that ends the last step still sees load; observe ends the
	// schedule there.
	var stages []plan.Stage
	d := spec.StepDuration
	n := spec.Steps()
	if spec.Ramp {
		total := time.Duration(n) * d
		climb := time.Duration(float64(n-1) * float64(d))
		if spec.StepRate > 0 {
			climb = min(time.Duration((spec.MaxRate-spec.StartRate)/spec.StepRate*float64(d)), total)
		}
		stages = append(stages, plan.Stage{Duration: climb, Target: spec.MaxRate}, plan.Stage{Duration: total - climb, Target: spec.MaxRate})
	} else {
		for k := range n {
			r := spec.RateAt(time.Duration(k) * d)
			stages = append(stages, plan.Stage{Duration: 0, Target: r}, plan.Stage{Duration: d, Target: r})
		}
	}
	stages = append(stages, plan.Stage{Duration: 2 * spec.Interval, Target: spec.MaxRate})
	e.search = newRampingSchedule(spec.StartRate, unit, stages)
	e.res = BreakpointResult{StopWhen: spec.StopWhenExpr, TimeUnit: unit, Ramp: spec.Ramp, RecoveryRate: spec.RecoveryRate}
	return e
}

// planned is the longest the run can last: the whole search and the
// recovery timeout.
func (e *breakpoint) planned() time.Duration {
	return e.spec.SearchDuration() + e.spec.RecoveryTimeout
}

func (e *breakpoint) total() int64 { return 0 }

func (e *breakpoint) start(s *scenarioRun) error {
	s.active.Store(math.MaxInt64)
	s.sched.Store(e.search)
	s.bp = e
	e.phase = phaseSearch
	pre := max(e.spec.PreAllocatedVUs, 1)
	s.maxVUs = max(e.spec.MaxVUs, pre)
	return s.startOpen(pre)
}

func (e *breakpoint) drive(s *scenarioRun) { s.driveOpen() }

// observe evaluates stop_when over the interval [t0, t1] that the collector
// has just collected, and advances the search. It runs on the collector
// goroutine.
func (e *breakpoint) observe(c *collector, t0, t1 time.Duration) {
	if e.phase == "" || t1 <= t0 {
		return
	}
	s := c.s
	dropped := s.dropped.Load()
	dDropped := dropped - e.lastDropped
	e.lastDropped = dropped
	sched := s.sched.Load()
	due := sched.dueBy(t1) - sched.dueBy(t0)

	r := c.viewResult(c.c.Interval, t1-t0)
	r.Dropped = dDropped
	r.VUsMax = int(s.live.Load())
	c.attachResources(r)
	failed, evaluated, reason := e.evaluate(s, r, due)
	e.account(c, t0, t1, r, due, failed, evaluated)
	if !evaluated {
		return
	}
	explained := failed && e.explainedFailure(c, r, reason, due, t1-t0)
	e.windows = append(e.windows, bpWindow{failed: failed, phase: e.phase, explained: explained})

	switch e.phase {
	case phaseSearch:
		if failed {
			if e.streak == 0 {
				e.streakStart, e.streakFirst = t0, len(e.windows)-1
			}
			e.streak++
			if e.streak >= e.need {
				e.broke(s, t1, reason)
				return
			}
		} else {
			e.streak = 0
		}
		if t1 >= e.spec.SearchDuration() {
			e.noBreak(s, t1)
		}
	case phaseRecovery:
		if !failed {
			if e.streak == 0 {
				e.streakStart = t0
			}
			e.streak++
			if e.streak >= e.need {
				e.res.Recovered = true
				e.res.RecoveryTime = max(e.streakStart-e.res.BrokeAt, 0)
				e.end(s, t1)
				return
			}
		} else {
			e.streak = 0
		}
		if t1-e.res.BrokeAt >= e.spec.RecoveryTimeout {
			e.end(s, t1)
		}
	}
}

// explainedFailure reports whether the interval just collected failed only
// because of measured interference: the collector judged it disturbed, and
// stop_when no longer holds once its latencies are lowered by the probe's
// lateness over the same interval (rule 2 of the verdict), or its drops
// are no more than came due while the probe could not run.
func (e *breakpoint) explainedFailure(c *collector, r *ScenarioResult, reason string, due float64, length time.Duration) bool {
	if !c.lastDisturbed || length <= 0 {
		return false
	}
	switch reason {
	case ReasonDropped:
		return float64(r.Dropped) <= due/length.Seconds()*c.lastWake.Max.Seconds()
	case ReasonCondition:
		if e.spec.StopWhen == nil {
			return false
		}
		wb := withBaseline{r: r, scenario: c.s.sc.Name, baseline: c.s.opts.Baseline}
		if still, err := e.spec.StopWhen.Eval(allowedMetrics{m: wb, in: &Interference{wake: c.lastWake}}); err == nil && !still {
			return true
		}
		// Rule 3: the machine held the runner back, and the interval
		// holds on the service time.
		if c.lastMachine {
			still, err := e.spec.StopWhen.Eval(serviceMetrics{m: wb, r: r})
			return err == nil && !still
		}
		return false
	}
	return false
}

// evaluate decides whether the interval failed: stop_when held, iterations
// were dropped, or iterations fell due and none completed. evaluated is
// false for an interval that cannot be judged (no operation due, or
// stop_when could not be evaluated).
func (e *breakpoint) evaluate(s *scenarioRun, r *ScenarioResult, due float64) (failed, evaluated bool, reason string) {
	if r.Dropped > 0 {
		return true, true, ReasonDropped
	}
	if e.spec.StopWhen == nil {
		return false, false, ""
	}
	ok, err := e.spec.StopWhen.Eval(withBaseline{r: r, scenario: s.sc.Name, baseline: s.opts.Baseline})
	if err != nil {
		if r.Total.Ops == 0 {
			if due >= 1 {
				return true, true, ReasonStalled
			}
			return false, false, ""
		}
		if msg := err.Error(); !e.evalErrs[msg] {
			if e.evalErrs == nil {
				e.evalErrs = map[string]bool{}
			}
			e.evalErrs[msg] = true
			e.res.EvalErrors = append(e.res.EvalErrors, msg)
		}
		return false, false, ""
	}
	return ok, true, ReasonCondition
}

// account adds the interval to its row of Steps.
func (e *breakpoint) account(c *collector, t0, t1 time.Duration, r *ScenarioResult, due float64, failed, evaluated bool) {
	key := -1
	if e.phase == phaseSearch {
		mid := t0 + (t1-t0)/2
		key = min(int(mid/e.spec.StepDuration), e.spec.Steps()-1)
	}
	if e.row == nil || e.row.key != key {
		e.closeRow()
		e.row = &bpRow{key: key, hist: c.s.set.NewCollector().Interval}
		e.row.step.Phase = e.phase
		e.row.step.Start = t0
	}
	row := e.row
	row.step.End = t1
	row.step.Ops += r.Total.Ops
	row.step.Errors += r.Total.Errors
	row.step.Dropped += r.Dropped
	row.due += due
	row.span += t1 - t0
	row.hist.Merge(c.c.Interval)
	if evaluated {
		row.step.Intervals++
		if failed {
			row.step.Failed++
		}
	}
}

// closeRow summarises the current row into the result.
func (e *breakpoint) closeRow() {
	row := e.row
	if row == nil {
		return
	}
	e.row = nil
	if secs := row.span.Seconds(); secs > 0 {
		row.step.Throughput = float64(row.step.Ops) / secs
		row.step.Rate = row.due / secs * e.unit.Seconds()
	}
	// The nominal rate where it is constant: a step, or the recovery. A
	// row whose intervals reach into another step (a collector that ran
	// late on a loaded machine) keeps the mean intended rate over its span.
	switch {
	case row.key < 0:
		row.step.Rate = e.spec.RecoveryRate
	case !e.spec.Ramp && !e.spansSteps(row):
		row.step.Rate = e.spec.RateAt(time.Duration(row.key) * e.spec.StepDuration)
	}
	row.step.P99 = time.Duration(metrics.Summarize(row.hist.MergedLat()).P99)
	e.res.Steps = append(e.res.Steps, row.step)
}

// spansSteps reports whether a search row's span reaches more than half an
// interval into the step before or after its own.
func (e *breakpoint) spansSteps(row *bpRow) bool {
	d, slack := e.spec.StepDuration, e.spec.Interval/2
	from := time.Duration(row.key) * d
	return row.step.Start < from-slack || row.step.End > from+d+slack
}

// broke ends the search at t1: the condition has held since streakStart.
func (e *breakpoint) broke(s *scenarioRun, t1 time.Duration, reason string) {
	sp := &e.spec
	e.res.Broke = true
	e.res.Reason = reason
	e.res.BrokeAt = t1
	// The rate of the last interval evaluated (not of a step that began
	// during the collector's flush wait).
	e.res.PeakRate = sp.RateAt(t1 - sp.Interval/2)
	if sp.Ramp {
		e.res.BreakingPoint = sp.RateAt(e.streakStart)
	} else {
		// The step in which the failing run began (by its first
		// interval's midpoint); the one before it held.
		w0 := e.streakStart + sp.Interval/2
		k := min(int(w0/sp.StepDuration), sp.Steps()-1)
		e.res.BreakingPoint = 0
		if k > 0 {
			e.res.BreakingPoint = sp.RateAt(time.Duration(k-1) * sp.StepDuration)
		}
	}
	e.res.BrokeDisturbed = true
	for _, w := range e.windows[e.streakFirst:] {
		e.res.BrokeDisturbed = e.res.BrokeDisturbed && w.explained
	}
	e.stability(e.streakFirst)
	e.phase = phaseRecovery
	e.streak = 0
	s.setSchedule(s.sched.Load().then(t1, sp.RecoveryRate, e.unit, sp.RecoveryTimeout+2*sp.Interval))
}

// noBreak ends a search that reached max_rate without breaking.
func (e *breakpoint) noBreak(s *scenarioRun, t1 time.Duration) {
	e.heldMaxRate()
	e.stability(len(e.windows))
	e.end(s, t1)
}

// heldMaxRate records a search that reached max_rate without breaking:
// nothing to recover from.
func (e *breakpoint) heldMaxRate() {
	e.res.Reason = ReasonMaxRate
	e.res.BreakingPoint, e.res.PeakRate = e.spec.MaxRate, e.spec.MaxRate
	e.res.Recovered = true
}

// stability scores the search's intervals before index upto.
func (e *breakpoint) stability(upto int) {
	n, bad, explained := 0, 0, 0
	for _, w := range e.windows[:upto] {
		if w.phase != phaseSearch {
			continue
		}
		n++
		if w.failed {
			bad++
		}
		if w.explained {
			explained++
		}
	}
	e.res.Intervals, e.res.Failed = n, bad
	e.res.UnstableDisturbed = bad > 0 && explained == bad
	if n > 0 {
		e.res.Stability = float64(n-bad) / float64(n)
	}
}

// end stops the schedule at t1; the scenario then finishes as any other.
func (e *breakpoint) end(s *scenarioRun, t1 time.Duration) {
	if e.phase == phaseRecovery && !e.res.Recovered {
		failed, explained := 0, 0
		for _, w := range e.windows {
			if w.phase == phaseRecovery && w.failed {
				failed++
				if w.explained {
					explained++
				}
			}
		}
		e.res.RecoveryDisturbed = failed > 0 && explained == failed
	}
	e.phase = ""
	e.closeRow()
	s.setSchedule(s.sched.Load().then(t1, 0, e.unit, 0))
}

// result returns the search's outcome once the scenario has finished. A
// search that the collector did not conclude was cut short: by an
// interrupt or an abort, or by the schedule running out between ticks.
func (e *breakpoint) result(elapsed time.Duration, stopped bool) *BreakpointResult {
	// A run stopped mid-search, or one whose search broke in the very
	// last interval (its recovery never watched), did not conclude.
	if e.phase != "" && stopped || e.phase == phaseRecovery {
		e.res.Incomplete = true
	}
	switch e.phase {
	case phaseSearch:
		if !stopped && elapsed >= e.spec.SearchDuration() {
			e.heldMaxRate()
		} else {
			e.res.Reason = ReasonStopped
			e.res.PeakRate = e.spec.RateAt(elapsed)
			// The last rate that held: the step before the current one.
			e.res.BreakingPoint = e.spec.RateAt(elapsed - e.spec.StepDuration)
			if elapsed < e.spec.StepDuration {
				e.res.BreakingPoint = 0
			}
		}
		e.stability(len(e.windows))
	}
	e.phase = ""
	e.closeRow()
	res := e.res
	return &res
}

// String is a one-line summary, for logs and tests.
func (b *BreakpointResult) String() string {
	rec := "not recovered"
	if b.Recovered {
		rec = fmt.Sprintf("recovered in %v", b.RecoveryTime)
	}
	return fmt.Sprintf("breaking point %.4g/%v (%s, peak %.4g), %s, stability %.2f (%d/%d intervals failed)",
		b.BreakingPoint, b.TimeUnit, b.Reason, b.PeakRate, rec, b.Stability, b.Failed, b.Intervals)
}
