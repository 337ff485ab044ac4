package executor

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

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
