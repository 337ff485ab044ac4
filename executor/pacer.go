package executor

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfplan/perfplan/executor/metrics"
	"github.com/perfplan/perfplan/internal/hrtimer"
)

// pacer wakes an open model's workers for their iterations' intended
// starts; a scenario has one.
//
// Workers claim iterations in order (see worker.openLoop) and an early
// worker waits for its iteration's intended start on the pacer. The pacer
// never spins. A wait (package hrtimer) reads a timer file of the
// pacer's through the network poller, so that an idle process wakes on
// time instead of up to a millisecond late, as Go's timers alone would,
// and the poller hands the due worker straight to the thread it wakes: no
// Go timer, and no system call that wakes the runtime's monitor thread.
// The scenario's stop interrupts the waits (requestStop).
//
// Iterations closer together than paceGrain are batched: such an
// iteration's wake-up is its intended start rounded up to the scenario's
// grid of paceGrain steps, so the iterations due within one step wake one
// worker (and one timer file) once, and it runs them back to back (an iteration
// found due runs at once). That costs each a lateness below paceGrain,
// which is measured and charged as today: the schedule lag is the actual
// start minus the intended start, and the latency counts from the intended
// start. Sparser iterations wake at their intended starts.
//
// A wake-up costs about 10µs of CPU on a 2-core VM (kernel, scheduler and
// runtime), more than a noop iteration: without batching, 100,000
// iterations a second would take a core for the wake-ups alone.
type pacer struct {
	sleeper *hrtimer.Sleeper
	grain   time.Duration
}

// paceGrain is the pacer's batching step (see pacer).
const paceGrain = 50 * time.Microsecond

// newPacer returns an open model's pacer. Waits longer than 2ms first sleep
// on a Go timer alone (being late there does not matter); a timer file covers
// the last 2ms.
func newPacer() *pacer {
	return &pacer{sleeper: hrtimer.New(hrtimer.Options{Window: 2 * time.Millisecond}), grain: paceGrain}
}

// maxWaitingWorkers is how many open-model workers may wait for their
// iterations at once (scenarioRun.maxWaiting).
func maxWaitingWorkers() int32 { return int32(max(2, runtime.GOMAXPROCS(0))) }

// wakeAt returns when to wake for iteration i, due at due, of sched: due
// itself, or due rounded up to the grid when the iteration before it is
// less than a grain earlier.
func (p *pacer) wakeAt(sched *arrivalSchedule, i int64, due time.Duration, seg *int) time.Duration {
	if p == nil || i == 0 || p.grain <= 0 {
		return due
	}
	prev, ok := sched.at(i-1, seg)
	if !ok {
		return due
	}
	return batchWake(due, prev, p.grain)
}

// batchWake rounds due up to a multiple of grain when prev, the intended
// start of the iteration before it, is less than a grain earlier.
func batchWake(due, prev, grain time.Duration) time.Duration {
	if due-prev >= grain || due <= 0 {
		return due
	}
	return (due + grain - 1) / grain * grain
}

// close releases the pacer's timer file.
func (p *pacer) close() { p.sleeper.Close() }

// openPool is the open models' pacing: the schedule, the claim counter, the
// pacer, and the idle workers.
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
	// pace wakes workers for intended starts (see pacer).
	pace *pacer
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
