package executor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/internal/hrtimer"
	"github.com/perfplan/perfplan/targets"
)

// Open-model tolerances.
const (
	// flushBeforeSleep: a worker about to wait longer than this first
	// flushes its staged metrics, so idle workers never hold data back.
	flushBeforeSleep = time.Millisecond
	// spawnLateness: a claimed iteration this late means every worker was
	// busy when it was due, so a worker is added (up to max_vus).
	spawnLateness = time.Millisecond
	// dropLateness: at max_vus, a claimed iteration later than this is
	// dropped (counted in Dropped, and its lateness kept as a lower bound
	// of its latency) instead of run. Smaller lateness is scheduling
	// jitter: the iteration runs and its latency, measured from the
	// intended start, shows the delay.
	dropLateness = 10 * time.Millisecond
	// driverPeriod is how often, at most, the open model's driver looks
	// for iterations that no worker claimed (every worker busy); while
	// workers keep up, it has nothing to do.
	driverPeriod = 10 * time.Millisecond
)

// Worker states.
const (
	wsRunning   = 0
	wsExited    = 1
	wsAbandoned = 2
)

// worker is one VU: a goroutine with its own target worker, random
// generator, key generator, request, value buffer and metrics recorder.
type worker struct {
	s    *scenarioRun
	id   int
	tw   targets.Worker
	rng  rand.PCG
	keys *keyGen
	req  targets.Request
	rec  *metrics.Recorder
	wait *hrtimer.Waiter // open models: waits on the scenario's pacer
	seg  int             // schedule segment cache
	// unpark wakes a parked open-model worker (see worker.park).
	unpark chan struct{}

	// ctx is passed to Do. Only the worker goroutine replaces it; mu
	// guards cancel, which the ramp-down cutter calls.
	ctx    context.Context
	mu     sync.Mutex
	cancel context.CancelFunc

	state  atomic.Int32
	parked atomic.Bool
	parks  atomic.Int64
	// rampCut is set when graceful_ramp_down cut the worker's iteration
	// (cut), until the worker has counted the cut.
	rampCut atomic.Bool
	// left is a per-vu-iterations worker's iterations not yet started.
	left atomic.Int64

	// Set around each call of Do, for recoverDo: inDo tells a panic of
	// the target from one of the runner's own; opStart and opDue are the
	// operation's actual and intended starts.
	inDo           bool
	opStart, opDue time.Duration
}

func newWorker(s *scenarioRun, id int, tw targets.Worker) *worker {
	w := &worker{s: s, id: id, tw: tw}
	w.rng.Seed(uint64(id)+1, uint64(s.index)<<32|0x5eed)
	w.keys = newKeyGen(s.sc.Workload.Keys, id, &w.rng)
	if n := s.sc.Workload.ValueSize; n > 0 {
		w.req.Value = make([]byte, n)
		for i := range w.req.Value {
			w.req.Value[i] = byte('a' + i%26)
		}
	}
	w.rec = s.set.NewRecorder(id)
	if s.pace != nil {
		w.wait = s.pace.sleeper.NewWaiter()
		w.unpark = make(chan struct{}, 1)
	}
	w.ctx, w.cancel = context.WithCancel(s.doCtx)
	w.ctx.Done() // see renewCtx
	return w
}

// flush moves the staged metrics into the scenario's shards. Callers read the
// clock again afterwards: a flush is the runner's work, never part of a
// latency.
func (w *worker) flush() {
	w.rec.Flush()
	if c := w.s.clock; c != nil {
		c.flushed()
	}
}

// prepare fills the request for the next operation and returns the index of
// the operation in the workload.
func (w *worker) prepare() int {
	op := w.s.picker.pick(&w.rng)
	o := &w.s.ops[op]
	w.req.Op = o.Index
	w.req.Arg = o.Arg
	w.req.Key = w.keys.next(&w.rng)
	return op
}

// renewCtx replaces a cancelled (cut) context.
//
// A context makes its Done channel when first asked for it. The worker asks
// at once, here, rather than leave the allocation to the target's first
// wait on it, deep in the worker's stack: there, an allocation that has to
// refill the allocator's cache or assist the garbage collector would need
// more than the smallest stack, and the worker's stack would double for
// good (see TestWorkerStackStaysSmall).
func (w *worker) renewCtx() {
	w.mu.Lock()
	w.cancel()
	w.ctx, w.cancel = context.WithCancel(w.s.doCtx)
	w.ctx.Done()
	w.mu.Unlock()
}

// cut cancels the operation in flight at the end of graceful_ramp_down.
func (w *worker) cut() {
	w.mu.Lock()
	w.rampCut.Store(true)
	w.cancel()
	w.mu.Unlock()
}

// exit flushes and leaves, unless the runner has abandoned this worker.
func (w *worker) exit() {
	defer w.s.wg.Done()
	if !w.state.CompareAndSwap(wsRunning, wsExited) {
		return
	}
	w.flush()
	if !w.parked.Load() {
		w.s.live.Add(-1)
	}
}

// control runs when the scenario's control word changed: it flushes staged
// metrics, and parks the worker while its id is above the active VU count.
// It returns false when the worker must exit.
func (w *worker) control() bool {
	s := w.s
	w.flush()
	for {
		if s.stopped.Load() {
			return false
		}
		if int64(w.id) < s.active.Load() {
			return true
		}
		ch := s.wakeChan()
		w.parks.Add(1)
		w.parked.Store(true)
		s.live.Add(-1)
		if !s.stopped.Load() && int64(w.id) >= s.active.Load() {
			<-ch
		}
		w.parked.Store(false)
		s.noteLive(s.live.Add(1))
	}
}

// runClosed is the closed-model loop (constant-vus, ramping-vus,
// per-vu-iterations, shared-iterations).
//
// The hot path reads the clock once per operation: the end of one operation
// is the start of the next, so a latency covers choosing the operation and
// the key (a few ns) plus Do. The clock is read again after any work of the
// runner's own (a flush of the staging buffer, a park, a control change), so
// that work is never part of a latency. The only shared memory touched per
// operation is one atomic load of the control word (plus the shared
// iteration counter for shared-iterations); metrics go to the worker's own
// staging buffer.
func (w *worker) runClosed(budget int64) {
	defer w.exit()
	seen := w.s.gen.Load()
	if !w.control() {
		return
	}
	for !w.closedLoop(&budget, seen) {
		// A target panicked in Do: the operation was counted as an error
		// and the worker goes on.
		seen = w.s.gen.Load()
	}
}

// closedLoop runs the closed-model loop until the worker must stop (true),
// or until the target panics in Do (false, after the panic is recovered and
// counted by recoverDo). seen is the control word the worker last acted on.
func (w *worker) closedLoop(budget *int64, seen uint64) (done bool) {
	s := w.s
	defer w.recoverDo(&done)
	shared := s.sharedN > 0
	start := s.since()
	for {
		if *budget >= 0 {
			if *budget == 0 {
				return true
			}
			*budget--
			w.left.Store(*budget)
		}
		if shared && s.claimed.Add(1) > s.sharedN {
			return true
		}
		op := w.prepare()
		w.opStart, w.inDo = start, true
		err := w.tw.Do(w.ctx, &w.req)
		w.inDo = false
		end := s.since()
		if end-start >= stallFloor {
			s.noteLong(end, end-start)
		}
		// A failure with a cancelled context is a cut, never a failed
		// operation: settle tells them apart (the control word is
		// bumped before any cut, but a failure costs a check).
		if g := s.gen.Load(); g != seen || err != nil && w.ctx.Err() != nil {
			seen = g
			if !w.settle(op, err, end-start, end-start, false) {
				return true
			}
			start = s.since()
			continue
		}
		if w.rec.Record(op, err != nil, end-start) {
			w.flush()
			end = s.since()
		}
		if err != nil {
			w.sampleErr(op, err)
		}
		start = end
	}
}

// recoverDo, deferred by the worker loops, turns a panic of the target's Do
// into a failed operation: it records the operation (its latency up to the
// panic), keeps the panic value and the frame that raised it as an error
// sample, and renews the worker's context. done is set to false so the loop
// starts again. A panic that is not the target's (the runner's own) is not
// recovered.
func (w *worker) recoverDo(done *bool) {
	if !w.inDo {
		return
	}
	v := recover()
	if v == nil {
		return
	}
	w.inDo = false
	s := w.s
	end := s.since()
	op := w.req.Op
	for i := range s.ops {
		if s.ops[i].Index == op {
			op = i
			break
		}
	}
	full := false
	if s.set.Service() {
		full = w.rec.Record2(op, true, end-w.opDue, end-w.opStart)
	} else {
		full = w.rec.Record(op, true, end-w.opStart)
	}
	if full {
		w.flush()
	}
	s.panics.Add(1)
	w.sampleErr(op, panicError(v))
	w.renewCtx()
	*done = false
}

// settle finishes an operation that ended after the control word changed
// (stop, VU count change, snapshot tick) or that failed with its context
// cancelled. An abandoned worker exits at once. An operation that failed
// after its context was cancelled (by graceful_ramp_down or graceful_stop)
// is counted as cut, by cause, and neither recorded nor sampled: it did not
// fail, the runner stopped it. Any other is recorded (with its service time
// when open), with its error sampled; one that completed although its
// context was cancelled meanwhile is recorded too, as it happened. A
// cancelled context is renewed. settle then applies the change and reports
// whether the worker goes on.
func (w *worker) settle(op int, err error, latency, service time.Duration, open bool) bool {
	if w.state.Load() == wsAbandoned {
		return false
	}
	cancelled := w.ctx.Err() != nil
	if cancelled && err != nil {
		w.s.countCut(w.rampCut.Swap(false))
		w.renewCtx()
		return w.control()
	}
	if open {
		w.rec.Record2(op, err != nil, latency, service)
	} else {
		w.rec.Record(op, err != nil, latency)
	}
	if err != nil {
		w.sampleErr(op, err)
	}
	if cancelled {
		w.rampCut.Store(false)
		w.renewCtx()
	}
	return w.control()
}

// runOpen is the open-model loop (constant-arrival-rate,
// ramping-arrival-rate, breakpoint). Workers claim the next iteration index
// from the scenario's shared counter and compute its intended start from the
// schedule; an early worker waits for it (see waitUntil), a late one runs it
// at once. Every latency is measured from the intended start, as wrk2 does,
// whether the worker was busy or asleep: a worker that woke late is still
// late, and when the target runs in-process it shares the CPU with the
// runner, so that lateness is queueing a real client would see. The service
// time is measured from the actual start, and the schedule lag (actual minus
// intended start) is their difference. When the worker is saturated, the end
// of one operation serves as the actual start of the next, so the clock is
// read once per operation.
func (w *worker) runOpen() {
	defer w.exit()
	w.s.spawning.Store(false)
	for !w.openLoop() {
		// A target panicked in Do: see runClosed.
	}
}

// openLoop runs the open-model loop until the worker must stop (true), or
// until the target panics in Do (false). It is the hot path, kept in one
// function (over 80 lines) so that its state stays in registers and each
// step's cost is visible in one place.
func (w *worker) openLoop() (done bool) {
	s := w.s
	defer w.recoverDo(&done)
	seen := s.gen.Load()
	now := s.since()
	// fresh: this worker was just added or woken for a late iteration, or
	// its last operation was long: if it finds its iteration late too,
	// every worker is probably held by the target, so it adds another.
	// A worker whose last operation was short and that still finds its
	// iteration late is behind because the CPU is, and more workers would
	// only make that worse.
	fresh := true
	for {
		// Enough workers already wait for the next iterations: park
		// rather than claim one far ahead (see scenarioRun.waiting).
		if s.waiting.Add(1) > s.maxWaiting && s.maxWaiting > 0 {
			s.waiting.Add(-1)
			if !w.park() {
				return true
			}
			now = s.since()
			fresh = true
			continue
		}
		i := s.next.Add(1) - 1
		sched := s.sched.Load()
		due, ok := sched.at(i, &w.seg)
		if !ok {
			s.waiting.Add(-1)
			return true
		}
		start := now
		if due > now {
			var more bool
			start, more = w.waitUntil(due, s.pace.wakeAt(sched, i, due, &w.seg))
			if !more && !w.dueAtEnd(due, start) {
				s.waiting.Add(-1)
				return true
			}
		} else if late := now - due; late > spawnLateness {
			if fresh && s.canGrow() {
				s.more()
			} else if !s.canGrow() && late > dropLateness {
				s.waiting.Add(-1)
				s.dropped.Add(1)
				if w.rec.Omit(s.picker.pick(&w.rng), late) {
					w.flush()
					now = s.since()
				}
				continue
			}
		}
		if s.waiting.Add(-1) == 0 && s.nidle.Load() > 0 {
			// Nobody else waits for the next iteration: wake an idle
			// worker to take it, in case this operation is long.
			s.unparkOne()
		}
		op := w.prepare()
		w.opStart, w.opDue, w.inDo = start, due, true
		err := w.tw.Do(w.ctx, &w.req)
		w.inDo = false
		end := s.since()
		if g := s.gen.Load(); g != seen || err != nil && w.ctx.Err() != nil {
			seen = g
			if !w.settle(op, err, end-due, end-start, true) {
				return true
			}
			now = s.since()
			continue
		}
		fresh = end-start > spawnLateness
		if w.rec.Record2(op, err != nil, end-due, end-start) {
			w.flush()
			end = s.since()
		}
		if err != nil {
			w.sampleErr(op, err)
		}
		now = end
	}
}

// park puts an idle open-model worker aside until an iteration needs it
// (scenarioRun.unparkOne). It returns false when the scenario stopped.
func (w *worker) park() bool {
	s := w.s
	if w.rec.Pending() {
		w.flush()
	}
	s.idleMu.Lock()
	s.idle = append(s.idle, w)
	s.nidle.Add(1)
	s.idleMu.Unlock()
	select {
	case <-w.unpark:
		return true
	case <-s.stopCh:
		return false
	}
}

// dueAtEnd reports whether an iteration whose wait was cut by the
// scenario's stop must still run: the schedule ended normally (not an
// interrupt or an abort) and the iteration was due by then, so the runner,
// not the schedule, was late with it.
func (w *worker) dueAtEnd(due, now time.Duration) bool {
	return w.s.reason.Load() == stopEnd && due <= now
}

// waitUntil waits for an iteration due at due (an offset from the
// scenario's start) until wake (due, or later when the pacer batches; see
// pacer), on the scenario's pacer, which neither spins nor wakes up to a
// millisecond late as Go's timers do in an idle process. It returns the
// clock reading at which it stopped waiting, and false when the scenario
// stopped. A test clock waits until due.
func (w *worker) waitUntil(due, wake time.Duration) (time.Duration, bool) {
	s := w.s
	if due-s.since() > flushBeforeSleep && w.rec.Pending() {
		w.flush()
	}
	if s.clock != nil {
		s.clock.waitUntil(due)
		return s.since(), true
	}
	at, ok := w.wait.Until(s.base.Add(wake), s.stopCh)
	return at.Sub(s.base), ok
}

// sampleErr keeps err as an error sample of operation op (see
// errSamples); once an operation has its samples, it costs one atomic load.
func (w *worker) sampleErr(op int, err error) {
	if op >= len(w.s.errSamples) {
		return
	}
	if e := &w.s.errSamples[op]; !e.full.Load() {
		e.add(err.Error())
	}
}

// panicError describes a recovered panic: its value and the frame that
// raised it.
func panicError(v any) error {
	return fmt.Errorf("panic: %v%s", v, panicFrame())
}

// panicFrame returns " at FILE:LINE (FUNC)" for the function that panicked:
// the first frame below runtime.gopanic, as seen from a deferred recover.
func panicFrame() string {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	seenPanic := false
	for {
		f, more := frames.Next()
		if seenPanic && !strings.HasPrefix(f.Function, "runtime.") {
			return fmt.Sprintf(" at %s:%d (%s)", filepath.Base(f.File), f.Line, f.Function)
		}
		if f.Function == "runtime.gopanic" {
			seenPanic = true
		}
		if !more {
			return ""
		}
	}
}
