package executor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/internal/hrtimer"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

// abandonAfter is how long the runner waits, after cutting the in-flight
// iterations at the end of graceful_stop, for targets that ignore their
// context. Workers still inside Do after it are abandoned: counted in Cut,
// their completed operations kept, and their eventual return ignored. After
// an abort (Options.Abort) the wait is abortAbandonAfter.
const (
	abandonAfter      = time.Second
	abortAbandonAfter = 200 * time.Millisecond
)

// Stop reasons.
const (
	stopEnd = iota + 1
	stopInterrupt
	stopAbort
)

// executor drives one executor kind.
type executor interface {
	// planned is the planned length (0 when iteration-bound).
	planned() time.Duration
	// total is the number of iterations for progress (0 when time-bound).
	total() int64
	// start creates the initial workers.
	start(s *scenarioRun) error
	// drive blocks until the load should end or s.stopCh is closed.
	drive(s *scenarioRun)
}

// scenarioRun is the run-time state of one scenario.
type scenarioRun struct {
	sc       *plan.Scenario // with durations scaled
	index    int
	target   targets.Target
	ex       executor
	set      *metrics.Set
	ops      []plan.Op
	picker   *opPicker
	base     time.Time
	opts     Options
	observer Observer
	all      map[*plan.Target]targets.Target
	// runnerLabels and targetLabels are the pprof label sets of a
	// profiled run (see Profiler); nil otherwise.
	runnerLabels, targetLabels context.Context

	control
	pool
	openPool
	sharedIters
	errorLog

	doCtx    context.Context // passed to Do; cancelled when graceful_stop expires
	doCancel context.CancelFunc

	// statsStart is the target's Stats() when the scenario started; the
	// scenario's target statistics are the change since.
	statsStart map[string]float64

	// clock replaces the monotonic clock in tests; nil in real runs.
	clock testClock
}

// control is how the runner tells workers to stop, park or flush: the
// control word and what it guards.
type control struct {
	// gen is the control word: bumped on stop, on VU count changes and on
	// each snapshot tick. Workers load it once per operation and take
	// their slow path when it changed. It sits on its own cache line, away
	// from the counters that workers write (next, claimed).
	_        [64]byte
	gen      atomic.Uint64
	_        [64]byte
	stopped  atomic.Bool
	active   atomic.Int64 // workers with id < active run (ramping-vus)
	stopCh   chan struct{}
	stopOnce sync.Once
	reason   atomic.Int32
	abortIdx int // the aborting assertion, -1 if none (collector only)
	// abortCmps are the aborting assertion's comparisons when it aborted
	// (collector only).
	abortCmps []ComparisonResult
}

// pool is the scenario's workers and their counts.
type pool struct {
	mu       sync.Mutex
	workers  []*worker
	wake     chan struct{} // closed on the next control change (parked workers)
	abortMsg string        // set before stop with reason stopAbort
	wg       sync.WaitGroup
	nworkers atomic.Int64
	live     atomic.Int64
	vusMax   atomic.Int64
	// vusPeak is the most workers active since the collector's last
	// series interval: a series point shows the interval's peak, not the
	// count at the instant the collector happened to look (a collector
	// that runs late would otherwise miss a whole plateau). Active is live
	// up to the executor's active count: a worker that a ramp removed and
	// that is still finishing its iteration no longer counts, so the
	// intervals of a 3-VU stage read 3 even while the 4th finishes.
	vusPeak atomic.Int64
	dropped atomic.Int64
	// cut counts the iterations cut, of which cutRampDown by
	// graceful_ramp_down and cutInterrupt by a signal (the rest at the end
	// of graceful_stop); stopCut is the cause of the cuts of the
	// scenario's stop, set before they happen (cutAtStop or
	// cutAtInterrupt).
	cut          atomic.Int64
	cutRampDown  atomic.Int64
	cutInterrupt atomic.Int64
	stopCut      atomic.Int32
}

// Causes of the cuts of a scenario's stop (pool.stopCut).
const (
	cutAtStop = iota
	cutAtInterrupt
)

// countCut counts one iteration cut: by graceful_ramp_down when rampDown,
// else by the scenario's stop.
func (s *scenarioRun) countCut(rampDown bool) {
	s.cut.Add(1)
	switch {
	case rampDown:
		s.cutRampDown.Add(1)
	case s.stopCut.Load() == cutAtInterrupt:
		s.cutInterrupt.Add(1)
	}
}

// openPool is the open models' pacing: the schedule, the claim counter, the
// precise sleeper, and the idle workers.
type openPool struct {
	// sched is replaced at run time by the breakpoint search; workers load
	// it once per iteration.
	sched        atomic.Pointer[arrivalSchedule]
	schedChanged chan struct{}
	bp           *breakpoint // the breakpoint executor's search, or nil
	_            [64]byte
	next         atomic.Int64
	_            [64]byte
	maxVUs       int
	spawning     atomic.Bool
	// sleeper waits for intended starts precisely.
	sleeper *hrtimer.Sleeper
	// waiting counts the workers that claimed an iteration and wait for
	// its intended start. Beyond maxWaiting, an idle worker parks in idle
	// instead of claiming one further ahead: at high rates the iterations
	// then go to a few workers that are awake, rather than each waking one
	// of many (a wake costs tens of microseconds of CPU), and a pool grown
	// by a stall shrinks back to what the rate needs. A maxWaiting of 0
	// parks no worker.
	waiting    atomic.Int32
	maxWaiting int32
	// drops and dropRng record the iterations that the driver drops
	// (dropOverdue); only the driver uses them.
	drops   *metrics.Recorder
	dropRng rand.PCG
	idleMu  sync.Mutex
	idle    []*worker
	nidle   atomic.Int32
}

// sharedIters is shared-iterations' claim counter.
type sharedIters struct {
	claimed atomic.Int64
	_       [64]byte
	sharedN int64
}

// errorLog is what went wrong during the run, beyond failed operations.
type errorLog struct {
	errMu sync.Mutex
	errs  []string
	// targetFailure is the first error of the target making a worker.
	targetFailure string
	// errSamples keeps, per operation, the first distinct error messages;
	// panics counts the target's panics in Do.
	errSamples     []errSamples
	panics         atomic.Int64
	statsPanicOnce sync.Once
	// longMu guards longs, the closed model's long operations.
	longMu sync.Mutex
	longs  []longOp
}

// testClock is a clock that tests control: now replaces since, waitUntil
// replaces an open-model worker's wait for its intended start, and flushed
// is told of every flush of a worker's staged metrics.
type testClock interface {
	now() time.Duration
	waitUntil(due time.Duration)
	flushed()
}

// since returns the time elapsed since the scenario's start, on the
// monotonic clock.
func (s *scenarioRun) since() time.Duration {
	if s.clock != nil {
		return s.clock.now()
	}
	return time.Since(s.base)
}

// maxErrSamples is how many distinct error messages an operation keeps.
const maxErrSamples = 5

// errSamples is one operation's first distinct error messages, with how many
// errors carried each while it was collecting.
type errSamples struct {
	full atomic.Bool
	mu   sync.Mutex
	msgs []ErrorSample
}

func (e *errSamples) add(msg string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range e.msgs {
		if e.msgs[i].Message == msg {
			e.msgs[i].Count++
			return
		}
	}
	if len(e.msgs) < maxErrSamples {
		e.msgs = append(e.msgs, ErrorSample{Message: msg, Count: 1})
		return
	}
	e.full.Store(true)
}

func (e *errSamples) samples() []ErrorSample {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]ErrorSample(nil), e.msgs...)
}

// noteLong keeps a closed-model operation of at least stallFloor for stall
// attribution (see attributeStalls), up to maxLongOps of them.
func (s *scenarioRun) noteLong(end, d time.Duration) {
	s.longMu.Lock()
	if len(s.longs) < maxLongOps {
		s.longs = append(s.longs, longOp{end: end, d: d})
	}
	s.longMu.Unlock()
}

// markStart starts the scenario's clock, once.
func (s *scenarioRun) markStart() {
	if s.base.IsZero() {
		s.base = time.Now()
	}
}

// kind returns the scenario's target kind, or nil.
func (s *scenarioRun) kind() *targets.Kind {
	if s.sc.Workload == nil || s.sc.Workload.Target == nil {
		return nil
	}
	return s.sc.Workload.Target.Spec
}

// wakeChan returns the channel that is closed on the next control change.
func (s *scenarioRun) wakeChan() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wake
}

// broadcast bumps the control word and wakes parked workers.
func (s *scenarioRun) broadcast() {
	s.gen.Add(1)
	s.mu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}

func (s *scenarioRun) noteLive(n int64) {
	raise(&s.vusPeak, min(n, s.active.Load()))
	raise(&s.vusMax, n)
}

// raise sets v to n when n is larger.
func raise(v *atomic.Int64, n int64) {
	for {
		m := v.Load()
		if n <= m || v.CompareAndSwap(m, n) {
			return
		}
	}
}

// intervalVUs returns the most workers active since its last call (see
// vusPeak), and starts the next interval from the count active now.
func (s *scenarioRun) intervalVUs() int {
	cur := min(s.live.Load(), s.active.Load())
	return int(max(s.vusPeak.Swap(cur), cur))
}

func (s *scenarioRun) addError(format string, args ...any) {
	s.errMu.Lock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
	s.errMu.Unlock()
}

// requestStop stops starting iterations. The first reason wins.
func (s *scenarioRun) requestStop(reason int32) {
	s.stopOnce.Do(func() {
		s.reason.Store(reason)
		s.stopped.Store(true)
		close(s.stopCh)
		if s.sleeper != nil {
			s.sleeper.Interrupt()
		}
		s.broadcast()
	})
}

// newWorkerFor creates worker id with its target worker. It does not start it.
func (s *scenarioRun) newWorkerFor(id int) (*worker, error) {
	var tw targets.Worker
	err := safely("NewWorker", func() (err error) {
		tw, err = s.target.NewWorker(id)
		return err
	})
	if err == nil && tw == nil {
		err = errors.New("NewWorker returned no worker")
	}
	if err != nil {
		return nil, fmt.Errorf("scenario %s: target %s: new worker %d: %w", s.sc.Name, targetID(s.sc.Workload.Target), id, err)
	}
	w := newWorker(s, id, s.profiledWorker(tw))
	s.mu.Lock()
	s.workers = append(s.workers, w)
	s.mu.Unlock()
	return w, nil
}

// startClosed creates and starts n closed-model workers, each running at
// most budget iterations (-1: no limit).
func (s *scenarioRun) startClosed(n int, budget int64) error {
	return s.startWorkers(n, func(w *worker) { w.runClosed(budget) }, func(w *worker) { w.left.Store(budget) })
}

// startOpen creates and starts n (at least 1) open-model workers.
func (s *scenarioRun) startOpen(n int) error {
	return s.startWorkers(max(n, 1), (*worker).runOpen, nil)
}

// startWorkers creates n workers, prepares each with prep (when not nil),
// then starts each with run.
func (s *scenarioRun) startWorkers(n int, run, prep func(*worker)) error {
	ws := make([]*worker, 0, n)
	for id := range n {
		w, err := s.newWorkerFor(id)
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	// The scenario's clock starts once its first workers exist: making
	// them (the target's NewWorker) is set-up, and counting it would make
	// the first iterations late.
	s.markStart()
	s.nworkers.Store(int64(n))
	// All n workers exist now: count them before any starts, so that one
	// that finishes at once cannot hide the others from the peak. Those
	// above the active count (ramping-vus) park at once and never count
	// in the peak.
	s.noteLive(min(s.live.Add(int64(n)), s.active.Load()))
	s.wg.Add(n)
	for _, w := range ws {
		if prep != nil {
			prep(w)
		}
		go run(w)
	}
	return nil
}

// canGrow reports whether the open model can put one more worker on its
// iterations: an idle one, or a new one below max_vus.
func (s *scenarioRun) canGrow() bool {
	return s.nidle.Load() > 0 || int(s.nworkers.Load()) < s.maxVUs
}

// more puts one more worker on the open model's iterations: it wakes an
// idle worker, or adds one (below max_vus).
func (s *scenarioRun) more() {
	if !s.unparkOne() {
		s.spawn()
	}
}

// unparkOne wakes the most recently parked idle worker, if any.
func (s *scenarioRun) unparkOne() bool {
	if s.nidle.Load() == 0 {
		return false
	}
	s.idleMu.Lock()
	n := len(s.idle)
	if n == 0 {
		s.idleMu.Unlock()
		return false
	}
	w := s.idle[n-1]
	s.idle = s.idle[:n-1]
	s.nidle.Add(-1)
	s.idleMu.Unlock()
	select {
	case w.unpark <- struct{}{}:
	default:
	}
	return true
}

// spawn adds one open-model worker, unless one is being added already or
// max_vus is reached. It is called by a running worker, so the wait group
// is never at zero here.
func (s *scenarioRun) spawn() {
	if s.stopped.Load() || !s.spawning.CompareAndSwap(false, true) {
		return
	}
	id := int(s.nworkers.Add(1)) - 1
	if id >= s.maxVUs {
		s.nworkers.Add(-1)
		s.spawning.Store(false)
		return
	}
	s.wg.Add(1)
	s.noteLive(s.live.Add(1))
	go func() {
		w, err := s.newWorkerFor(id)
		if err != nil {
			s.addError("%v", err)
			s.errMu.Lock()
			if s.targetFailure == "" {
				s.targetFailure = err.Error()
			}
			s.errMu.Unlock()
			s.live.Add(-1)
			s.spawning.Store(false)
			s.wg.Done()
			return
		}
		w.runOpen()
	}()
}

// sleepUntil waits until offset at from the scenario's start, or until
// stop. It returns false when the scenario was stopped.
func (s *scenarioRun) sleepUntil(at time.Duration) bool { return s.sleepUntilOr(at, nil) }

// sleepUntilOr is sleepUntil that also returns (true) early when wake
// receives. A nil wake never does.
func (s *scenarioRun) sleepUntilOr(at time.Duration, wake <-chan struct{}) bool {
	d := at - s.since()
	if d <= 0 {
		return !s.stopped.Load()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-wake:
		return !s.stopped.Load()
	case <-s.stopCh:
		return false
	}
}

// setSchedule replaces the open model's schedule at run time and wakes the
// driver, which may be sleeping toward an iteration of the old one.
func (s *scenarioRun) setSchedule(a *arrivalSchedule) {
	s.sched.Store(a)
	select {
	case s.schedChanged <- struct{}{}:
	default:
	}
}

// driveOpen allocates open-model workers and drops the iterations that no
// worker can start; it returns when the schedule has ended (and was not
// replaced meanwhile) and every iteration it starts was claimed or dropped,
// or when the scenario stopped.
//
// Workers cannot see one case: every worker busy (a stalled target) while
// iterations fall due. driveOpen sleeps until the next unclaimed iteration is
// spawnLateness overdue (but at least driverPeriod since it last looked) and,
// if it is still unclaimed, adds a worker (below max_vus). That worker finds
// its iteration late and adds another, and so on, so the target keeps
// receiving requests at the schedule's rate during a stall, as an open model
// must. At max_vus, it drops every unclaimed iteration more than dropLateness
// late itself (see dropOverdue), as a worker would: drops are counted when
// the iterations fall due, not when a worker frees up, and a target that
// holds every worker cannot hold the schedule past its end (k6 likewise
// counts an iteration dropped when no VU is free at its start). Past the
// end, an iteration still unclaimed endDropLateness after it fell due is
// dropped whatever the pool, so the scenario ends and graceful_stop runs
// on time. This is not polling for the schedule: iterations are still
// started by workers at the computed times; the driver only allocates
// workers and drops what none can start.
func (s *scenarioRun) driveOpen() {
	var seg int
	var last time.Duration
	for {
		sched := s.sched.Load()
		i := s.next.Load()
		due, ok := sched.at(i, &seg)
		if !ok {
			if !s.sleepUntilOr(sched.duration(), s.schedChanged) {
				return
			}
			if s.sched.Load() == sched && s.since() >= sched.duration() {
				return
			}
			continue
		}
		if !s.sleepUntilOr(max(due+spawnLateness, last+driverPeriod), s.schedChanged) {
			return
		}
		last = s.since()
		if s.sched.Load() != sched || s.next.Load() != i {
			continue
		}
		switch {
		case last > sched.duration()+endDropLateness:
			s.dropOverdue(sched, &seg, last, endDropLateness)
		case s.canGrow():
			s.more()
			if !s.sleepUntilOr(s.since()+spawnLateness, s.schedChanged) {
				return
			}
		default:
			s.dropOverdue(sched, &seg, last, dropLateness)
		}
	}
}

// endDropLateness: once the schedule has ended, an iteration that no worker
// claimed this long after it fell due is dropped even below max_vus (a
// worker being added that never comes).
const endDropLateness = 100 * time.Millisecond

// dropOverdue claims and drops every unclaimed iteration of sched more than
// lateness late at now: each counts in Dropped, with its lateness as a lower
// bound of its latency, as when a worker drops one (see openLoop).
func (s *scenarioRun) dropOverdue(sched *arrivalSchedule, seg *int, now, lateness time.Duration) {
	if s.drops == nil {
		s.drops = s.set.NewRecorder(0)
		s.dropRng.Seed(uint64(s.index)+1, 0xd0)
	}
	for {
		i := s.next.Load()
		due, ok := sched.at(i, seg)
		if !ok || now-due <= lateness {
			break
		}
		if !s.next.CompareAndSwap(i, i+1) {
			continue // a worker claimed it meanwhile
		}
		s.dropped.Add(1)
		if s.drops.Omit(s.picker.pick(&s.dropRng), now-due) {
			s.drops.Flush()
		}
	}
	s.drops.Flush()
}

// waitWorkers returns a channel closed when every worker has returned.
func (s *scenarioRun) waitWorkers() chan struct{} {
	ch := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(ch)
	}()
	return ch
}

// finish stops the load and gives in-flight iterations graceful_stop to
// complete; then it cuts them, and abandons workers whose target ignores
// the cancellation.
func (s *scenarioRun) finish(done chan struct{}) {
	s.requestStop(stopEnd)
	grace := time.NewTimer(s.sc.GracefulStop)
	defer grace.Stop()
	wait := abandonAfter
	select {
	case <-done:
		return
	case <-grace.C:
		if s.reason.Load() == stopInterrupt {
			s.stopCut.Store(cutAtInterrupt)
		}
	case <-s.opts.Abort:
		wait = abortAbandonAfter
		s.stopCut.Store(cutAtInterrupt)
	}
	s.doCancel()
	ab := time.NewTimer(wait)
	defer ab.Stop()
	select {
	case <-done:
		return
	case <-ab.C:
	}
	s.mu.Lock()
	ws := append([]*worker(nil), s.workers...)
	s.mu.Unlock()
	for _, w := range ws {
		if w.state.CompareAndSwap(wsRunning, wsAbandoned) {
			s.countCut(w.rampCut.Load())
			// The worker is blocked inside Do and will not touch its
			// recorder again; keep its completed operations.
			w.rec.Flush()
		}
	}
}

// collector takes snapshots: per-interval series, progress and live abort
// assertions.
type collector struct {
	s         *scenarioRun
	c         *metrics.Collector
	interval  time.Duration
	limit     int
	series    []SeriesPoint
	stride    int
	pend      SeriesPoint
	pendN     int
	pendHist  *metrics.View
	lastAt    time.Duration
	lastPoint time.Duration      // offset of the last series point
	failing   []time.Duration    // per assertion: when it started failing, -1 if passing
	res       *resourceSampler   // nil when disabled
	judge     *interferenceJudge // nil when resources are disabled
	// lastDisturbed: the interval judged last was disturbed; lastWake
	// is the probe's lateness over it.
	lastDisturbed bool
	lastMachine   bool
	lastWake      LatencyStats
	// lagScratch is reused to merge the operations' schedule lags for
	// the series (pendLag).
	lagScratch *hdrhistogram.Histogram
	// stages holds the per-stage figures of a ramping executor; nil for
	// the others.
	stages *stageFigures
}

// stageFigures accumulates a ramping executor's figures per stage. The
// collector takes an extra collection at each boundary between stages, so
// that each collection's operations fall in one stage (to within the flush
// wait, about 20ms after the boundary); that collection is carried into
// the next regular one, so the series keeps its intervals.
type stageFigures struct {
	plan     []plan.Stage
	ends     []time.Duration // each stage's end, from the scenario's start
	views    []*metrics.View
	from, to []time.Duration // the span each stage's collections cover
	seen     []bool
	last     time.Duration // when the last collection was taken
	next     int           // the next boundary to cut at
	carry    *metrics.View // a boundary collection not yet in the series
}

func newStageFigures(s *scenarioRun) *stageFigures {
	st := s.sc.Stages()
	if len(st) == 0 {
		return nil
	}
	f := &stageFigures{plan: st, ends: make([]time.Duration, len(st)), views: make([]*metrics.View, len(st)),
		from: make([]time.Duration, len(st)), to: make([]time.Duration, len(st)), seen: make([]bool, len(st)),
		carry: s.set.NewCollector().Interval}
	var at time.Duration
	for i, x := range st {
		at += x.Duration
		f.ends[i] = at
		f.views[i] = s.set.NewCollector().Interval
	}
	return f
}

// index returns the stage running at offset t: the last one after the
// stages end (a ramp-down).
func (f *stageFigures) index(t time.Duration) int {
	for i, end := range f.ends {
		if t < end {
			return i
		}
	}
	return len(f.ends) - 1
}

// credit adds the collection iv, taken at now, to the stage that ran when
// the previous collection was taken.
func (f *stageFigures) credit(iv *metrics.View, now time.Duration) {
	i := f.index(f.last)
	f.views[i].Merge(iv)
	if !f.seen[i] {
		f.seen[i], f.from[i] = true, f.last
	}
	f.to[i] = now
	f.last = now
}

func newCollector(s *scenarioRun) *collector {
	c := &collector{
		s:        s,
		c:        s.set.NewCollector(),
		interval: s.opts.SnapshotInterval,
		limit:    s.opts.SeriesLimit,
		stride:   1,
		stages:   newStageFigures(s),
	}
	if bp, ok := s.sc.Config.(*Breakpoint); ok && bp.Interval > 0 {
		// The search evaluates stop_when once per collected interval.
		c.interval = bp.Interval
	}
	c.failing = make([]time.Duration, len(s.sc.Asserts))
	for i := range c.failing {
		c.failing[i] = -1
	}
	return c
}

// loop runs until done is closed.
func (c *collector) loop(done chan struct{}) {
	if c.judge != nil {
		c.judge.probe.base = c.s.base
		go c.judge.probe.run(done)
	}
	t := time.NewTicker(c.interval)
	defer t.Stop()
	flushWait := min(c.interval/20, 20*time.Millisecond)
	// A timer for the next boundary between stages (ramping executors).
	var cutC <-chan time.Time
	arm := func() {
		cutC = nil
		if f := c.stages; f != nil && f.next < len(f.ends)-1 {
			cut := time.NewTimer(max(f.ends[f.next]-c.s.since(), 0))
			cutC = cut.C
		}
	}
	arm()
	for {
		isCut := false
		select {
		case <-done:
			return
		case <-t.C:
		case <-cutC:
			isCut = true
		}
		c.s.gen.Add(1) // ask workers to flush
		if flushWait > 0 {
			ft := time.NewTimer(flushWait)
			select {
			case <-done:
				ft.Stop()
				return
			case <-ft.C:
			}
		}
		if isCut {
			c.cut()
			c.stages.next++
			arm()
			continue
		}
		c.tick()
	}
}

// cut takes the collection at a boundary between stages: its operations
// count in the stage that ends, and wait in the carry for the series'
// next interval.
func (c *collector) cut() {
	now := c.s.since()
	c.c.Collect()
	c.stages.credit(c.c.Interval, now)
	c.stages.carry.Merge(c.c.Interval)
}

// creditStage credits the collection just taken to its stage and adds the
// carried boundary collection to it, for the series and the progress.
func (c *collector) creditStage(now time.Duration) {
	f := c.stages
	if f == nil {
		return
	}
	f.credit(c.c.Interval, now)
	c.c.Interval.Merge(f.carry)
	f.carry.Reset()
}

// tick takes one snapshot.
func (c *collector) tick() {
	s := c.s
	// The active VUs are read with the clock: Collect can take a while
	// on a loaded machine, and the interval must end at the point's
	// offset.
	now, vus := s.since(), s.intervalVUs()
	c.c.Collect()
	c.creditStage(now)
	ops, errs := c.c.Interval.Totals()
	prev := c.lastAt
	dt := (now - prev).Seconds()
	c.lastAt = now
	rate := 0.0
	if dt > 0 {
		rate = float64(ops) / dt
	}
	c.addPoint(now, ops, errs, vus, false)
	if c.res != nil {
		c.res.sample(now)
		c.judgeInterval(now - prev)
	}
	if s.bp != nil {
		s.bp.observe(c, prev, now)
	}
	if s.observer != nil {
		cops, cerrs := c.c.Cum.Totals()
		s.observer.Progress(Progress{
			Scenario:  s.sc.Name,
			Elapsed:   now,
			Planned:   s.ex.planned(),
			Ops:       cops,
			Errors:    cerrs,
			Rate:      rate,
			ActiveVUs: int(s.live.Load()),
			Dropped:   s.dropped.Load(),
			Done:      cops,
			Total:     s.ex.total(),
		})
		if io := intervalObserver(s.observer); io != nil {
			io.Interval(c.intervalFigures(now, now-prev))
		}
	}
	c.evalAbort(now)
}

// judgeInterval judges the interval of length length just collected and
// sampled for interference (see interference.go), and attaches the
// machine's figures to its resource point.
func (c *collector) judgeInterval(length time.Duration) {
	if c.judge == nil || len(c.res.heap) == 0 {
		return
	}
	p := &c.res.heap[len(c.res.heap)-1]
	bad := c.judge.bad
	defer func() {
		c.lastDisturbed, c.lastWake, c.lastMachine = c.judge.bad > bad, c.judge.lastWake, c.judge.lastMachine
	}()
	p.Machine = c.judge.judge(c.c.Interval, func() *metrics.View { return c.s.set.NewCollector().Interval },
		p.Offset, length, c.s.dropped.Load(), p.CPUPercent, p.GCPauseMax)
}

// intervalFigures returns the figures of the interval just collected, of length
// length and ending at now, for an IntervalObserver.
func (c *collector) intervalFigures(now, length time.Duration) Interval {
	s := c.s
	secs := length.Seconds()
	thr := func(n int64) float64 {
		if secs <= 0 {
			return 0
		}
		return float64(n) / secs
	}
	iv := Interval{Scenario: s.sc.Name, Elapsed: now, Length: length, Ops: make([]OpStats, len(s.ops)),
		ActiveVUs: int(s.live.Load()), Dropped: s.dropped.Load()}
	view := c.c.Interval
	for i, o := range s.ops {
		iv.Ops[i] = opStats(o.Name, &view.Ops[i], thr)
	}
	if len(s.ops) == 1 {
		iv.Total = iv.Ops[0]
		iv.Total.Name = "total"
	} else {
		total := view.Total()
		iv.Total = opStats("total", &total, thr)
	}
	// The view's histograms are reset by the next collection.
	iv.Total.dropHists()
	for i := range iv.Ops {
		iv.Ops[i].dropHists()
	}
	if c.res != nil && len(c.res.heap) > 0 {
		p := c.res.heap[len(c.res.heap)-1]
		iv.Resources = &p
	}
	return iv
}

// dropHists forgets the operation's histograms.
func (o *OpStats) dropHists() {
	o.dropFamilyHists()
	o.OmitHist = nil
}

// addPoint adds one interval ending at at to the bounded series. Once the
// series reaches its limit, its points are merged pairwise and each new
// point spans twice as many intervals as before.
func (c *collector) addPoint(at time.Duration, ops, errs int64, vus int, last bool) {
	if c.pendHist == nil {
		c.pendHist = c.s.set.NewCollector().Interval
	}
	c.pendHist.Merge(c.c.Interval)
	c.pend.Ops += ops
	c.pend.Errors += errs
	c.pend.ActiveVUs = max(c.pend.ActiveVUs, vus)
	c.pendN++
	if c.pendN < c.stride && !last {
		return
	}
	h := metrics.Summarize(c.pendHist.MergedLat())
	p := c.pend
	p.Offset = at
	if span := at - c.lastPoint; span > 0 {
		p.Throughput = float64(p.Ops) / span.Seconds()
	}
	c.lastPoint = at
	p.P50, p.P90, p.P95, p.P99, p.Max = time.Duration(h.P50), time.Duration(h.P90), time.Duration(h.P95), time.Duration(h.P99), time.Duration(h.Max)
	if lag := c.pendLag(); lag != nil {
		p.LagP99 = time.Duration(lag.ValueAtQuantile(99))
	}
	c.series = append(c.series, p)
	c.pend, c.pendN = SeriesPoint{}, 0
	c.pendHist.Reset()
	if len(c.series) >= c.limit && c.limit > 1 {
		c.series = halveSeries(c.series)
		c.stride *= 2
	}
}

// pendLag returns the pending interval's schedule lags merged into the
// collector's scratch histogram (reused: a histogram is about 270 KB), or
// nil when there are none (closed models).
func (c *collector) pendLag() *hdrhistogram.Histogram {
	var h *hdrhistogram.Histogram
	for i := range c.pendHist.Ops {
		l := c.pendHist.Ops[i].Lag
		if l == nil || l.TotalCount() == 0 {
			continue
		}
		if h == nil {
			if c.lagScratch == nil {
				c.lagScratch = metrics.NewHist()
			}
			h = c.lagScratch
			h.Reset()
		}
		h.Merge(l)
	}
	return h
}

// halveSeries merges the series' points pairwise. Counts add up exactly;
// the percentiles of a merged point are the larger of the two (an upper
// bound, as the interval histograms are not kept).
func halveSeries(in []SeriesPoint) []SeriesPoint {
	out := in[:0]
	for i := 0; i < len(in); i += 2 {
		a := in[i]
		if i+1 < len(in) {
			b := in[i+1]
			a.Offset = b.Offset
			a.Ops += b.Ops
			a.Errors += b.Errors
			a.Throughput = (a.Throughput + b.Throughput) / 2
			a.P50, a.P90, a.P95, a.P99, a.Max = max(a.P50, b.P50), max(a.P90, b.P90), max(a.P95, b.P95), max(a.P99, b.P99), max(a.Max, b.Max)
			a.LagP99 = max(a.LagP99, b.LagP99)
			a.ActiveVUs = max(a.ActiveVUs, b.ActiveVUs)
		}
		out = append(out, a)
	}
	return out
}

// evalAbort evaluates the abort_on_fail assertions over the cumulative
// metrics. One that has failed at every evaluation for its abort_grace stops
// the scenario. An assertion that cannot be evaluated yet (a metric without
// a value, such as a latency before the first operation) does not count as
// failing.
func (c *collector) evalAbort(now time.Duration) {
	s := c.s
	if s.opts.NoAbort {
		return
	}
	var live *ScenarioResult
	for i, a := range s.sc.Asserts {
		if !a.AbortOnFail || a.Condition == nil {
			continue
		}
		if live == nil {
			live = c.result(now, false)
			c.attachResources(live)
		}
		m := withBaseline{r: live, scenario: s.sc.Name, baseline: s.opts.Baseline}
		ok, err := a.Condition.Eval(m)
		if err != nil || ok {
			c.failing[i] = -1
			continue
		}
		if c.failing[i] < 0 {
			c.failing[i] = now
		}
		if now-c.failing[i] >= a.AbortGrace && !s.stopped.Load() {
			s.mu.Lock()
			if s.abortMsg == "" {
				msg := a.ErrorMessage
				if msg == "" {
					msg = a.Expr
				}
				s.abortMsg = fmt.Sprintf("assertion %q failed for %v: %s", a.Expr, now-c.failing[i], msg)
			}
			s.mu.Unlock()
			s.abortIdx = i
			s.abortCmps = evalComparisons(a.Condition, m)
			s.requestStop(stopAbort)
		}
	}
}

// attachResources sets r's resource metrics as of the last sample, so that
// live conditions can read them (heap.in_use_peak > ...).
func (c *collector) attachResources(r *ScenarioResult) {
	if c.res == nil {
		return
	}
	cops, _ := c.c.Cum.Totals()
	rs := c.res.figures(cops)
	rs.Soak = analyzeSoak(c.series, rs.Heap, c.s.sc.LeakThreshold)
	r.Resources = &rs
}

// finalResult builds the scenario's result once its workers are done: the
// last collection, the pending series point, the resource figures and the
// breakpoint search's outcome.
func (c *collector) finalResult(elapsed time.Duration) *ScenarioResult {
	s := c.s
	c.c.Collect()
	c.creditStage(elapsed)
	if s.bp != nil && s.reason.Load() == stopEnd && elapsed > c.lastAt {
		// The schedule ran out between two ticks (a collector that ran
		// late on a loaded machine): the search judges its last interval
		// too, rather than claim a step it never looked at.
		s.bp.observe(c, c.lastAt, elapsed)
	}
	r := c.result(elapsed, true)
	// Flush the pending series interval, if any.
	ops, errs := c.c.Interval.Totals()
	if ops > 0 || errs > 0 || c.pendN > 0 {
		c.addPoint(elapsed, ops, errs, s.intervalVUs(), true)
	}
	r.Series = c.series
	if c.res != nil {
		if elapsed > c.lastAt {
			// The last, partial interval: stop() took its resource
			// sample.
			c.judgeInterval(elapsed - c.lastAt)
		}
		rs := c.res.figures(r.Total.Ops)
		rs.Soak = analyzeSoak(r.Series, rs.Heap, s.sc.LeakThreshold)
		r.Resources = &rs
		if c.judge != nil {
			rs.Machine = c.judge.mach.total()
			r.Interference = c.judge.result(c.viewResult, &rs, s.sc.LeakThreshold)
		}
	}
	if s.bp != nil {
		r.Breakpoint = s.bp.result(elapsed, s.reason.Load() != stopEnd)
	}
	r.Sweep = s.sc.Sweep
	if f := c.stages; f != nil {
		for i, st := range f.plan {
			v := c.viewFigures(f.views[i], f.to[i]-f.from[i])
			for j := range v.Ops {
				v.Ops[j].dropEmpty()
			}
			v.Total.dropEmpty()
			r.Stages = append(r.Stages, StageResult{Name: st.Name, Index: i + 1, Target: st.Target,
				Start: f.from[i], End: f.to[i], Total: v.Total, Ops: v.Ops})
		}
	}
	return r
}

// result builds a ScenarioResult from the cumulative view. final hands the
// collector's histograms over; otherwise they are shared read-only with the
// caller for the duration of the call.
func (c *collector) result(elapsed time.Duration, final bool) *ScenarioResult {
	s := c.s
	r := c.viewResult(c.c.Cum, elapsed)
	r.Dropped = s.dropped.Load()
	r.Cut = s.cut.Load()
	r.CutRampDown, r.CutInterrupt = s.cutRampDown.Load(), s.cutInterrupt.Load()
	r.VUsMax = int(s.vusMax.Load())
	if final {
		for i := range r.Ops {
			r.Ops[i].dropEmpty()
		}
		r.Total.dropEmpty()
	}
	return r
}

// viewResult builds a ScenarioResult from a view of elapsed length (the
// cumulative view, or one interval): counters, throughput, latencies and
// the target's statistics. Its histograms are the view's, or merged.
func (c *collector) viewResult(cum *metrics.View, elapsed time.Duration) *ScenarioResult {
	r := c.viewFigures(cum, elapsed)
	r.TargetStats = targets.SpanStats(c.s.kind(), c.s.statsStart, c.s.stats())
	r.targetKind = c.s.kind()
	return r
}

// viewFigures is viewResult without the target's statistics.
func (c *collector) viewFigures(cum *metrics.View, elapsed time.Duration) *ScenarioResult {
	s := c.s
	r := &ScenarioResult{
		Name:     s.sc.Name,
		Executor: s.sc.ExecutorName(),
		Elapsed:  elapsed,
		Ops:      make([]OpStats, len(s.ops)),
	}
	secs := elapsed.Seconds()
	thr := func(n int64) float64 {
		if secs <= 0 {
			return 0
		}
		return float64(n) / secs
	}
	for i, o := range s.ops {
		r.Ops[i] = opStats(o.Name, &cum.Ops[i], thr)
	}
	if len(s.ops) == 1 {
		r.Total = r.Ops[0]
		r.Total.Name = "total"
	} else {
		total := cum.Total()
		r.Total = opStats("total", &total, thr)
	}
	return r
}

// stats returns the target's statistics, or nil when Stats panics; the
// first panic is reported in the scenario's worker errors.
func (s *scenarioRun) stats() map[string]float64 {
	var st map[string]float64
	err := safely("Stats", func() error {
		st = s.target.Stats()
		return nil
	})
	if err != nil {
		s.statsPanicOnce.Do(func() { s.addError("target %s: %v", targetID(s.sc.Workload.Target), err) })
		return nil
	}
	return st
}

// safely calls f, which calls into a target, and turns a panic into an error
// that names the method (what), the panic value and the frame that raised
// it.
func safely(what string, f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%s panicked: %v%s", what, v, panicFrame())
		}
	}()
	return f()
}

// dropEmpty drops the histograms of an operation that never completed.
func (o *OpStats) dropEmpty() {
	if o.Ops == 0 {
		o.dropFamilyHists()
	}
}

// opStats summarises one operation's view. Its histograms are the view's.
func opStats(name string, v *metrics.OpView, thr func(int64) float64) OpStats {
	st := OpStats{Name: name, Ops: v.Ops, Errors: v.Errors, Throughput: thr(v.Ops)}
	st.setFamilies(v)
	if n := v.Omitted(); n > 0 {
		// A dropped iteration's latency is at least its lateness when it
		// was dropped: the percentiles become lower bounds.
		st.Omitted, st.OmitHist = n, v.Omit
		all := metrics.NewHist()
		all.Merge(v.Lat)
		all.Merge(v.Omit)
		st.Latency = latencyStats(all)
	}
	return st
}

func latencyStats(h *hdrhistogram.Histogram) LatencyStats {
	m := metrics.Summarize(h)
	d := func(f float64) time.Duration { return time.Duration(math.Round(f)) }
	return LatencyStats{
		Min: d(m.Min), Mean: d(m.Mean), StdDev: d(m.StdDev),
		P50: d(m.P50), P75: d(m.P75), P90: d(m.P90), P95: d(m.P95), P99: d(m.P99), P999: d(m.P999),
		Max: d(m.Max),
	}
}
