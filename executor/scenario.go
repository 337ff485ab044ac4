package executor

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
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
		if s.pace != nil {
			// Waits on the pacer's timer files notice stopCh only
			// when woken (see hrtimer.Waiter.Until).
			s.pace.sleeper.Interrupt()
		}
		s.broadcast()
	})
}
