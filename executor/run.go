// Package executor runs a compiled plan: it opens the targets, drives each
// scenario with its k6-style executor (closed models: constant-vus,
// ramping-vus, per-vu-iterations, shared-iterations; open models:
// constant-arrival-rate, ramping-arrival-rate), records every operation's
// latency without a lock or an allocation on the hot path (see package
// executor/metrics), takes per-interval snapshots, evaluates abort_on_fail
// assertions live and every assertion at the end.
//
// # What a latency includes
//
// Closed models read the clock once per operation: the end of one
// operation is the start of the next, so a latency is Do plus choosing the
// operation and the key (a few nanoseconds). Open models measure an
// iteration that starts late because every worker was busy from its intended
// start, computed from the schedule (wrk2 style, free of coordinated
// omission); an iteration whose worker was idle and waited for it is measured
// from the worker's wake-up, so the runner's timer slack is not charged to
// the target. Service time is always measured from the actual start.
package executor

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

// TargetError reports a target that could not be built or opened.
type TargetError struct {
	// Target is the target's reference name, "KIND.NAME".
	Target string
	Err    error
}

// Error implements error.
func (e *TargetError) Error() string { return fmt.Sprintf("target %s: %v", e.Target, e.Err) }

// Unwrap returns the underlying error.
func (e *TargetError) Unwrap() error { return e.Err }

// Run executes every scenario of p concurrently, each from its start_time,
// and returns their results with their assertions evaluated. A target that
// fails to open gives an error wrapping a *TargetError. Cancelling ctx stops
// the load gracefully; Run then returns the partial results with Interrupted
// set and a nil error.
func Run(ctx context.Context, p *plan.Plan, opts Options) (*Result, error) {
	opts = normalize(opts)
	if p == nil {
		return nil, errors.New("executor: nil plan")
	}
	opened, order, err := openTargets(ctx, p)
	if err != nil {
		if ctx.Err() != nil {
			// Interrupted while a target was starting (a long prefill,
			// say): that is an interruption, not a target failure.
			now := time.Now()
			return &Result{Plan: p, Start: now, End: now, Interrupted: true, Errors: []string{err.Error()}}, nil
		}
		return nil, err
	}
	res := &Result{Plan: p, Start: time.Now()}
	defer func() {
		for _, t := range order {
			if err := safely("Close", opened[t].Close); err != nil {
				res.Errors = append(res.Errors, fmt.Sprintf("target %s: close: %v", t.ID(), err))
			}
		}
	}()
	if !opts.StartAt.IsZero() {
		late, ok := waitStartAt(ctx, opts.StartAt)
		if !ok {
			res.End, res.Interrupted = time.Now(), true
			return res, nil
		}
		if late > maxStartLateness {
			res.Errors = append(res.Errors, fmt.Sprintf("the load started %v after the common start time %s: opening the targets took longer than the wait",
				late.Round(time.Millisecond), opts.StartAt.UTC().Format(time.RFC3339Nano)))
		}
		res.Start = time.Now()
	}

	if !opts.NoResources && opts.WakeJitter <= 0 {
		// The machine's ordinary wake-up lateness, before the load.
		opts.WakeJitter = calibrateJitter(calibrationWakes)
	}
	obs := opts.Observer
	if obs != nil {
		obs = &lockedObserver{o: obs}
	}
	res.Scenarios = make([]*ScenarioResult, len(p.Scenarios))
	pe := newPeers(p)
	var wg sync.WaitGroup
	for i, sc := range p.Scenarios {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.Scenarios[i] = runScenario(ctx, i, scaleScenario(sc, opts.DurationScale), opened, opts, obs, pe)
		}()
	}
	wg.Wait()
	res.End = time.Now()
	res.Duets = pe.duetResults()
	res.Assertions = evalPlanAssertions(p.Asserts, pe)
	// Scenarios that finished before the signal are not marked.
	res.Interrupted = ctx.Err() != nil
	return res, nil
}

// maxStartLateness is how late after Options.StartAt the load may start
// before the result says so: Go's timers wake up to a millisecond late.
const maxStartLateness = 50 * time.Millisecond

// waitStartAt waits until the wall-clock time at, or until ctx ends (false).
// It returns how late after at it returned.
func waitStartAt(ctx context.Context, at time.Time) (time.Duration, bool) {
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return 0, false
		}
	}
	return max(time.Since(at), 0), true
}

func normalize(o Options) Options {
	if o.DurationScale <= 0 {
		o.DurationScale = 1
	}
	if o.SnapshotInterval <= 0 {
		o.SnapshotInterval = time.Second
	}
	if o.SeriesLimit <= 0 {
		o.SeriesLimit = 3600
	}
	return o
}

// openTargets builds and opens each distinct target once.
func openTargets(ctx context.Context, p *plan.Plan) (map[*plan.Target]targets.Target, []*plan.Target, error) {
	var order []*plan.Target
	seen := map[*plan.Target]bool{}
	add := func(t *plan.Target) {
		if t != nil && !seen[t] {
			seen[t] = true
			order = append(order, t)
		}
	}
	for _, t := range p.Targets {
		add(t)
	}
	for _, sc := range p.Scenarios {
		if sc.Workload != nil {
			add(sc.Workload.Target)
		}
		for _, ev := range sc.Events {
			add(ev.Target)
		}
	}
	opened := map[*plan.Target]targets.Target{}
	var done []*plan.Target
	fail := func(t *plan.Target, err error) error {
		for _, d := range done {
			_ = safely("Close", opened[d].Close)
		}
		return fmt.Errorf("executor: open target %s: %w", t.ID(), &TargetError{Target: t.ID(), Err: err})
	}
	for _, t := range order {
		if t.Spec == nil || t.Spec.New == nil {
			return nil, nil, fail(t, fmt.Errorf("kind %q is not registered", t.Kind))
		}
		var tt targets.Target
		err := safely("New", func() (err error) {
			tt, err = t.Spec.New(t.Config)
			return err
		})
		if err == nil && tt == nil {
			err = errors.New("New returned no target")
		}
		if err != nil {
			return nil, nil, fail(t, err)
		}
		if err := safely("Open", func() error { return tt.Open(ctx) }); err != nil {
			_ = safely("Close", tt.Close)
			return nil, nil, fail(t, err)
		}
		opened[t] = tt
		done = append(done, t)
	}
	return opened, order, nil
}

// scaleScenario returns a copy of sc with every duration multiplied by f.
func scaleScenario(sc *plan.Scenario, f float64) *plan.Scenario {
	c := *sc
	d := func(x time.Duration) time.Duration { return time.Duration(float64(x) * f) }
	c.StartTime = d(c.StartTime)
	c.GracefulStop = d(c.GracefulStop)
	if sc.Config != nil {
		c.Config = sc.Config.Scaled(f)
	}
	c.Events = make([]plan.Event, len(sc.Events))
	for i, ev := range sc.Events {
		ev.At = d(ev.At)
		c.Events[i] = ev
	}
	c.Asserts = make([]*plan.Assertion, len(sc.Asserts))
	for i, a := range sc.Asserts {
		ac := *a
		ac.AbortGrace = d(a.AbortGrace)
		c.Asserts[i] = &ac
	}
	return &c
}

// newExecutor returns the executor that runs sc.
func newExecutor(sc *plan.Scenario) (executor, error) {
	cfg, ok := sc.Config.(Config)
	if !ok {
		return nil, fmt.Errorf("executor %q has no configuration this package can run", sc.ExecutorName())
	}
	return cfg.run(), nil
}

// runScenario runs one scenario to its end and evaluates its assertions.
func runScenario(ctx context.Context, idx int, sc *plan.Scenario, opened map[*plan.Target]targets.Target, opts Options, obs Observer, pe *peers) *ScenarioResult {
	s := newScenarioRun(idx, sc, opened, opts, obs)
	r := s.run(ctx)
	pe.publish(idx, r)
	evalAssertions(r, s.sc, opts.Baseline, pe)
	if s.abortIdx >= 0 && s.abortIdx < len(r.Assertions) {
		r.Assertions[s.abortIdx].Aborted = true
		r.Assertions[s.abortIdx].AbortComparisons = s.abortCmps
	}
	if obs != nil {
		obs.ScenarioEnd(r)
	}
	return r
}

// newScenarioRun prepares the run-time state of scenario idx: its workload
// (a default op when it has none), metrics, pacer and target.
func newScenarioRun(idx int, sc *plan.Scenario, opened map[*plan.Target]targets.Target, opts Options, obs Observer) *scenarioRun {
	s := &scenarioRun{sc: sc, index: idx, opts: opts, observer: obs, all: opened}
	s.stopCh, s.abortIdx = make(chan struct{}), -1
	s.wake = make(chan struct{})
	s.schedChanged = make(chan struct{}, 1)
	var wl plan.Workload
	if sc.Workload != nil {
		wl = *sc.Workload
	}
	if len(wl.Ops) == 0 {
		wl.Ops = []plan.Op{{Name: "op", Weight: 1}}
	}
	if len(wl.Ops) > metrics.MaxOps {
		wl.Ops = wl.Ops[:metrics.MaxOps]
	}
	sc.Workload = &wl
	s.ops = wl.Ops
	s.errSamples = make([]errSamples, len(wl.Ops))
	s.picker = newOpPicker(wl.Ops)
	s.set = metrics.NewSet(len(wl.Ops), sc.Open())
	if sc.Open() {
		s.pace = newPacer()
		s.maxWaiting = maxWaitingWorkers()
	}
	s.target = opened[wl.Target]
	return s
}

// run waits for the scenario's start_time, drives its executor to the end
// and builds its result. A scenario that cannot start gets an empty result
// that says why.
func (s *scenarioRun) run(ctx context.Context) *ScenarioResult {
	sc := s.sc
	if !s.waitStartTime(ctx) {
		r := s.emptyResult("")
		r.Interrupted = true
		return r
	}
	if s.target == nil {
		return s.emptyResult(fmt.Sprintf("scenario %s: workload has no target", sc.Name))
	}
	ex, err := newExecutor(sc)
	if err != nil {
		return s.emptyResult(fmt.Sprintf("scenario %s: %v", sc.Name, err))
	}
	s.ex = ex
	s.doCtx, s.doCancel = context.WithCancel(context.WithoutCancel(ctx))
	defer s.doCancel()

	col := newCollector(s)
	if s.observer != nil {
		s.observer.ScenarioStart(sc.Name, ex.planned())
	}
	if !s.opts.NoResources {
		col.res = newResourceSampler(s.opts.SeriesLimit)
		col.judge = newInterferenceJudge(s.opts.WakeJitter, runtime.NumCPU())
	}
	s.statsStart = s.stats()
	if p := s.opts.Profiler; p != nil {
		s.profileLabels()
		p.ScenarioStart(sc.Name, s.target)
	}
	startErr := ex.start(s)
	s.markStart() // when no worker started
	if startErr != nil {
		s.addError("%v", startErr)
	}
	bg := s.startBackground(ctx, col)
	ex.drive(s)
	s.finish(s.waitWorkers())
	if u, ok := ex.(unstarter); ok && s.reason.Load() == stopEnd {
		s.dropped.Add(u.unstarted(s))
	}
	if p := s.opts.Profiler; p != nil {
		p.ScenarioEnd(sc.Name)
	}
	if s.pace != nil {
		s.pace.close() // its timer file
	}
	elapsed, wallEnd := s.since(), time.Now()
	evErrs := bg.stop(col, elapsed)

	r := col.finalResult(elapsed)
	r.Start, r.End = s.base, wallEnd
	s.annotate(r, startErr, evErrs)
	return r
}

// waitStartTime waits for the scenario's start_time; false when ctx ended
// first.
func (s *scenarioRun) waitStartTime(ctx context.Context) bool {
	if s.sc.StartTime <= 0 {
		return true
	}
	t := time.NewTimer(s.sc.StartTime)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// emptyResult is the result of a scenario that never ran, with errMsg among
// its worker errors when it is not empty.
func (s *scenarioRun) emptyResult(errMsg string) *ScenarioResult {
	now := time.Now()
	r := &ScenarioResult{Name: s.sc.Name, Executor: s.sc.ExecutorName(), Start: now, End: now, Ops: make([]OpStats, len(s.ops))}
	for i, o := range s.ops {
		r.Ops[i].Name = o.Name
	}
	r.Total.Name = "total"
	if errMsg != "" {
		r.WorkerErrors = append(r.WorkerErrors, errMsg)
	}
	return r
}

// background is the goroutines that run beside the workers: the interrupt
// watch, the events and the collector.
type background struct {
	s        *scenarioRun
	stopWait chan struct{}
	evDone   chan struct{}
	colDone  chan struct{}
	colExit  chan struct{}
	evMu     sync.Mutex
	evErrs   []string
}

// startBackground starts the interrupt watch, the events and the collector.
func (s *scenarioRun) startBackground(ctx context.Context, col *collector) *background {
	b := &background{s: s, stopWait: make(chan struct{}), evDone: make(chan struct{}),
		colDone: make(chan struct{}), colExit: make(chan struct{})}
	go func() {
		select {
		case <-ctx.Done():
			s.requestStop(stopInterrupt)
		case <-b.stopWait:
		}
	}()
	go func() {
		defer close(b.evDone)
		runEvents(ctx, s, func(msg string) {
			b.evMu.Lock()
			b.evErrs = append(b.evErrs, msg)
			b.evMu.Unlock()
		})
	}()
	go func() {
		defer close(b.colExit)
		col.loop(b.colDone)
	}()
	return b
}

// stop ends the background goroutines once the workers are done: the
// collector (then takes the last resource sample, before the results are
// built so that their allocations do not count), the events and the
// interrupt watch. It returns the events' errors.
func (b *background) stop(col *collector, elapsed time.Duration) []string {
	close(b.colDone)
	<-b.colExit
	if col.res != nil {
		col.res.sample(elapsed)
	}
	b.s.requestStop(stopEnd) // no-op when already stopped; wakes the events
	<-b.evDone
	close(b.stopWait)
	b.evMu.Lock()
	defer b.evMu.Unlock()
	return b.evErrs
}

// annotate adds to r what the scenario's run knows beyond its figures: how
// far its numbers can be trusted, why it stopped, its errors, panics and
// error samples.
func (s *scenarioRun) annotate(r *ScenarioResult, startErr error, evErrs []string) {
	s.longMu.Lock()
	r.longs = s.longs
	s.longMu.Unlock()
	assess(r, s.sc)
	switch s.reason.Load() {
	case stopInterrupt:
		r.Interrupted = true
	case stopAbort:
		r.Aborted = true
	}
	s.mu.Lock()
	r.AbortReason = s.abortMsg
	s.mu.Unlock()
	s.errMu.Lock()
	r.WorkerErrors = append(r.WorkerErrors, s.errs...)
	r.TargetFailure = s.targetFailure
	s.errMu.Unlock()
	if startErr != nil {
		r.TargetFailure = startErr.Error()
	}
	r.Panics = s.panics.Load()
	var all []ErrorSample
	for i := range r.Ops {
		r.Ops[i].ErrorSamples = s.errSamples[i].samples()
		all = append(all, r.Ops[i].ErrorSamples...)
	}
	r.Total.ErrorSamples = all
	r.EventErrors = evErrs
}

// runEvents applies the scenario's events at their offsets until the
// scenario stops. Events still pending at the end are reported as not
// applied.
func runEvents(ctx context.Context, s *scenarioRun, report func(string)) {
	evs := append([]plan.Event(nil), s.sc.Events...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At < evs[j].At })
	for i, ev := range evs {
		if !s.sleepUntil(ev.At) {
			for _, e := range evs[i:] {
				report(fmt.Sprintf("event %s at %v on %s: not applied, the scenario ended first", e.Action, e.At, targetID(e.Target)))
			}
			return
		}
		t := s.all[ev.Target]
		c, ok := t.(targets.Controller)
		if !ok {
			report(fmt.Sprintf("event %s at %v on %s: target does not accept actions", ev.Action, ev.At, targetID(ev.Target)))
			continue
		}
		if err := safely("Control", func() error { return c.Control(ctx, ev.Action, ev.Config) }); err != nil {
			report(fmt.Sprintf("event %s at %v on %s: %v", ev.Action, ev.At, targetID(ev.Target), err))
		}
	}
}

func targetID(t *plan.Target) string {
	if t == nil {
		return "<nil>"
	}
	return t.ID()
}

// DuetNoVerdict begins the inconclusive reason of an assertion that reads a
// duet figure with no verdict (see crossMetrics.declined).
const DuetNoVerdict = "the duet gave no verdict: "

// evalAssertions evaluates every assertion of sc against r, with baseline.*
// metrics from baseline and cross-scenario ones (scenario.NAME.X, duet.NAME.X)
// from pe, which may be nil. An assertion that reads a baseline metric without
// a value fails with an error that says why.
func evalAssertions(r *ScenarioResult, sc *plan.Scenario, baseline func(scenario, metric string) (float64, error), pe *peers) {
	m := crossMetrics{m: withBaseline{r: r, scenario: sc.Name, baseline: baseline}, peers: pe}
	r.Assertions = make([]AssertionResult, 0, len(sc.Asserts))
	for _, a := range sc.Asserts {
		r.Assertions = append(r.Assertions, evalAssertion(a, r, m))
	}
}

// evalPlanAssertions evaluates the plan-level assertions once every
// scenario has finished.
func evalPlanAssertions(as []*plan.Assertion, pe *peers) []AssertionResult {
	var out []AssertionResult
	for _, a := range as {
		out = append(out, evalAssertion(a, nil, crossMetrics{peers: pe}))
	}
	return out
}

// evalAssertion evaluates a against m, the metrics of scenario r (nil for a
// plan-level assertion) and of the scenarios and duets it reads, once
// those have finished.
func evalAssertion(a *plan.Assertion, r *ScenarioResult, m crossMetrics) AssertionResult {
	ar := AssertionResult{Assertion: a, Observed: map[string]float64{}}
	if a.Condition == nil {
		ar.Err = "assertion has no condition"
		return ar
	}
	refs := a.Condition.Refs()
	m.peers.await(refs)
	var own []string
	for _, ref := range refs {
		if v, ok := m.Metric(ref); ok {
			ar.Observed[ref] = v
		} else if why := m.missing(ref); why != "" {
			ar.Err = why
			if d := m.declined(ref); d != "" {
				ar.Inconclusive = DuetNoVerdict + d
			}
			return ar
		} else if bl, ok := m.m.(withBaseline); ok && strings.HasPrefix(ref, plan.BaselinePrefix) {
			ar.Err = bl.missing(ref).Error()
			return ar
		} else if r != nil && r.Breakpoint.missing(ref) != "" {
			ar.Err = r.Breakpoint.missing(ref)
			ar.Inconclusive = r.breakpointInconclusive(refs)
			return ar
		}
		if _, _, cross := plan.SplitScenarioRef(ref); !cross {
			own = append(own, ref)
		}
	}
	ok, err := a.Condition.Eval(m)
	if err == nil {
		ar.Comparisons = evalComparisons(a.Condition, m)
	}
	var notes []string
	var distrust string
	if r != nil {
		notes, distrust = r.trustNotes(own)
	}
	cn, cf := m.crossTrust(refs)
	notes = append(notes, cn...)
	if distrust == "" {
		distrust = cf
	}
	ar.Notes = notes
	switch {
	case err != nil:
		ar.Err = err.Error()
	case ok && distrust != "" && holdsAbove(a.Condition, m):
		// A condition that holds however much higher the latencies
		// are (latency.p99 > 500ms) is true of the real figures too.
		ar.Passed = true
		ar.Notes = append(ar.Notes, "holds for any latency at or above the lower bound")
	case ok && distrust != "":
		ar.Err = distrust
		ar.Inconclusive = inconclusiveOwn(a, r, m, own, refs, distrust)
	default:
		ar.Passed = ok
		if !ok {
			ar.Inconclusive = inconclusiveOwn(a, r, m, own, refs, distrust)
		}
	}
	return ar
}

// inconclusiveOwn says why a failed assertion of scenario r is
// inconclusive (see interference.go), when it reads r's own figures only:
// an assertion across scenarios is judged on its figures as they stand.
func inconclusiveOwn(a *plan.Assertion, r *ScenarioResult, m crossMetrics, own, refs []string, distrust string) string {
	bl, ok := m.m.(withBaseline)
	if r == nil || !ok || len(own) != len(refs) {
		return ""
	}
	return r.inconclusive(a, bl, distrust)
}

// holdsAbove reports whether c still holds when the latency figures it
// reads, lower bounds, are raised: each alone, then all together, to a
// value beyond any real latency. Then the lower bounds cannot have made it
// pass.
func holdsAbove(c plan.Condition, m plan.Metrics) bool {
	var lat []string
	for _, ref := range c.Refs() {
		if readsLatency(ref) {
			lat = append(lat, ref)
		}
	}
	try := func(raised ...string) bool {
		ok, err := c.Eval(raisedMetrics{m: m, raised: raised})
		return err == nil && ok
	}
	for _, ref := range lat {
		if !try(ref) {
			return false
		}
	}
	return try(lat...)
}

// raisedMetrics reads m, except that the raised names read as an hour.
type raisedMetrics struct {
	m      plan.Metrics
	raised []string
}

func (r raisedMetrics) Metric(name string) (float64, bool) {
	for _, n := range r.raised {
		if n == name {
			return ms(time.Hour), true
		}
	}
	return r.m.Metric(name)
}

// lockedObserver serialises the calls of the scenarios' collectors.
type lockedObserver struct {
	mu sync.Mutex
	o  Observer
}

func (l *lockedObserver) ScenarioStart(name string, planned time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.o.ScenarioStart(name, planned)
}

func (l *lockedObserver) Progress(p Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.o.Progress(p)
}

func (l *lockedObserver) ScenarioEnd(r *ScenarioResult) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.o.ScenarioEnd(r)
}

// Interval forwards iv when the observer is an IntervalObserver.
func (l *lockedObserver) Interval(iv Interval) {
	if io, ok := l.o.(IntervalObserver); ok {
		l.mu.Lock()
		defer l.mu.Unlock()
		io.Interval(iv)
	}
}

// intervalObserver returns o as an IntervalObserver when it (or the
// observer it serialises) is one, and nil otherwise: the interval figures
// are computed only for an observer that wants them.
func intervalObserver(o Observer) IntervalObserver {
	if l, ok := o.(*lockedObserver); ok {
		if _, ok := l.o.(IntervalObserver); !ok {
			return nil
		}
		return l
	}
	io, _ := o.(IntervalObserver)
	return io
}
