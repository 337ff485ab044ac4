package executor

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/targets"
)

// Open-model tolerances.
const (
	// shortSpin is the last part of a wait that a worker spins (with
	// runtime.Gosched) rather than sleeps, so that timer slack does not
	// shift iterations.
	shortSpin = 50 * time.Microsecond
	// fastSpin replaces shortSpin at rates of fastRate and above. Go's
	// timers wake an idle process on millisecond boundaries (epoll's
	// timeout is in ms), so a sleep of 30µs can last 1ms; were every worker
	// asleep across such a boundary at a high rate, the iterations that
	// fell due meanwhile would start late and be charged to the target.
	// One worker spinning the last 1.1ms of its wait keeps the process
	// awake, and its Gosched calls run the other workers' timers on time.
	// Only spinSlots workers (GOMAXPROCS/2, at least 1) spin so at once;
	// the others sleep.
	fastSpin = 1100 * time.Microsecond
	// fastRate is the rate, in iterations per nanosecond (1,000/s), from
	// which iterations are due less than a millisecond apart.
	fastRate = 1e-6
	// flushBeforeSleep: a worker about to sleep longer than this first
	// flushes its staged metrics, so idle workers never hold data back.
	flushBeforeSleep = time.Millisecond
	// spawnLateness: a claimed iteration this late means every worker was
	// busy when it was due, so a worker is added (up to max_vus).
	spawnLateness = time.Millisecond
	// dropLateness: at max_vus, a claimed iteration later than this is
	// dropped (counted in Dropped) instead of run. Smaller lateness is
	// scheduling jitter: the iteration runs and its latency, measured from
	// the intended start, shows the delay.
	dropLateness = 10 * time.Millisecond
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
	s     *scenarioRun
	id    int
	tw    targets.Worker
	rng   rand.PCG
	keys  *keyGen
	req   targets.Request
	rec   *metrics.Recorder
	timer *time.Timer
	seg   int // schedule segment cache

	// ctx is passed to Do. Only the worker goroutine replaces it; mu
	// guards cancel, which the ramp-down cutter calls.
	ctx    context.Context
	mu     sync.Mutex
	cancel context.CancelFunc

	state  atomic.Int32
	parked atomic.Bool
	parks  atomic.Int64
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
	w.ctx, w.cancel = context.WithCancel(s.doCtx)
	return w
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
func (w *worker) renewCtx() {
	w.mu.Lock()
	w.cancel()
	w.ctx, w.cancel = context.WithCancel(w.s.doCtx)
	w.mu.Unlock()
}

// cut cancels the operation in flight.
func (w *worker) cut() {
	w.mu.Lock()
	w.cancel()
	w.mu.Unlock()
}

// exit flushes and leaves, unless the runner has abandoned this worker.
func (w *worker) exit() {
	defer w.s.wg.Done()
	if !w.state.CompareAndSwap(wsRunning, wsExited) {
		return
	}
	w.rec.Flush()
	if !w.parked.Load() {
		w.s.live.Add(-1)
	}
	if w.timer != nil {
		w.timer.Stop()
	}
}

// control runs when the scenario's control word changed: it flushes staged
// metrics, and parks the worker while its id is above the active VU count.
// It returns false when the worker must exit.
func (w *worker) control() bool {
	s := w.s
	w.rec.Flush()
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
// the key (a few ns) plus Do. The clock is re-read after any runner work
// (flush, park), so that work is never counted as latency. The only shared
// memory touched per operation is one atomic load of the control word (plus
// the shared iteration counter for shared-iterations); metrics go to the
// worker's own staging buffer.
func (w *worker) runClosed(budget int64) {
	s := w.s
	defer w.exit()
	seen := s.gen.Load()
	if !w.control() {
		return
	}
	shared := s.sharedN > 0
	start := s.since()
	for {
		if budget >= 0 {
			if budget == 0 {
				return
			}
			budget--
		}
		if shared && s.claimed.Add(1) > s.sharedN {
			return
		}
		op := w.prepare()
		err := w.tw.Do(w.ctx, &w.req)
		end := s.since()
		if g := s.gen.Load(); g != seen {
			seen = g
			if !w.settle(op, err != nil, end-start, end-start, false) {
				return
			}
			start = s.since()
			continue
		}
		w.rec.Record(op, err != nil, end-start)
		start = end
	}
}

// settle finishes an operation that ended after the control word changed
// (stop, VU count change, snapshot tick). An abandoned worker exits at once;
// an operation whose context was cancelled by graceful_stop is counted as
// cut, not recorded; any other is recorded (with its service time when
// open). It then applies the change and reports whether the worker goes on.
func (w *worker) settle(op int, failed bool, latency, service time.Duration, open bool) bool {
	if w.state.Load() == wsAbandoned {
		return false
	}
	switch {
	case w.ctx.Err() != nil:
		w.s.cut.Add(1)
		w.renewCtx()
	case open:
		w.rec.Record2(op, failed, latency, service)
	default:
		w.rec.Record(op, failed, latency)
	}
	return w.control()
}

// runOpen is the open-model loop (constant-arrival-rate,
// ramping-arrival-rate). Workers claim the next iteration index from the
// scenario's shared counter and compute its intended start from the
// schedule; an early worker waits for it, a late one runs it at once. A late
// iteration's latency is measured from its intended start (as wrk2 does, free
// of coordinated omission); an iteration whose worker waited for it is
// measured from when the worker woke, so the runner's own timer slack is not
// charged to the target. The service time is always from the actual start. When the
// worker is saturated, the end of one operation serves as the actual start
// of the next, so the clock is read once per operation.
func (w *worker) runOpen() {
	s := w.s
	defer w.exit()
	s.spawning.Store(false)
	seen := s.gen.Load()
	now := s.since()
	for {
		i := s.next.Add(1) - 1
		due, ok := s.sched.Load().at(i, &w.seg)
		if !ok {
			return
		}
		start := now
		// from is where the latency starts: the intended start, unless the
		// worker was idle and waited for it. A late iteration found by a
		// free worker means every worker was busy at its intended start,
		// so the delay is the target's and counts (coordinated omission).
		// A worker that slept and woke after due only shows its own timer
		// slack, which is not the target's latency.
		from := due
		if due > now {
			var more bool
			start, more = w.waitUntil(due)
			if !more {
				return
			}
			from = start
		} else if late := now - due; late > spawnLateness {
			if int(s.nworkers.Load()) < s.maxVUs {
				s.spawn()
			} else if late > dropLateness {
				s.dropped.Add(1)
				continue
			}
		}
		op := w.prepare()
		err := w.tw.Do(w.ctx, &w.req)
		end := s.since()
		if g := s.gen.Load(); g != seen {
			seen = g
			if !w.settle(op, err != nil, end-from, end-start, true) {
				return
			}
			now = s.since()
			continue
		}
		w.rec.Record2(op, err != nil, end-from, end-start)
		now = end
	}
}

// waitUntil waits until due (an offset from the scenario's start): it sleeps
// for long waits and spins for the last shortSpin, or at high rates for the
// last fastSpin if it gets a spinning slot. It returns the clock reading at
// which it stopped waiting, and false when the scenario stopped.
func (w *worker) waitUntil(due time.Duration) (time.Duration, bool) {
	s := w.s
	spin := shortSpin
	if s.sched.Load().rateAt(due, w.seg) >= fastRate {
		spin = fastSpin
	}
	for {
		now := s.since()
		d := due - now
		if d <= 0 {
			return now, true
		}
		if d <= spin {
			if spin == shortSpin {
				return w.spinUntil(due, false)
			}
			if s.acquireSpin() {
				return w.spinUntil(due, true)
			}
		}
		if d > flushBeforeSleep && w.rec.Pending() {
			w.rec.Flush()
			continue
		}
		sleep := d - spin
		if sleep <= 0 {
			sleep = d // no spinning slot: sleep the rest
		}
		if w.timer == nil {
			w.timer = time.NewTimer(sleep)
		} else {
			w.timer.Reset(sleep)
		}
		select {
		case <-w.timer.C:
		case <-s.stopCh:
			w.timer.Stop()
			return now, false
		}
	}
}

// spinUntil spins until due, yielding the processor on every round, and
// releases the spinning slot that waitUntil took, if any.
func (w *worker) spinUntil(due time.Duration, slot bool) (time.Duration, bool) {
	s := w.s
	if slot {
		defer s.spinners.Add(-1)
	}
	for {
		now := s.since()
		if now >= due {
			return now, true
		}
		if s.stopped.Load() {
			return now, false
		}
		runtime.Gosched()
	}
}
