package executor

import (
	"math"
	"time"
)

// arrivalRate is the open model shared by constant-arrival-rate and
// ramping-arrival-rate: iterations start on the schedule whatever the
// target's latency, with workers added from pre_allocated_vus up to max_vus
// when all are busy, and iterations dropped beyond that (see runOpen).
type arrivalRate struct {
	sched  *arrivalSchedule
	pre    int
	maxVUs int
}

// newConstantArrivalRate returns the constant-arrival-rate executor: rate
// iterations per unit for dur, spaced evenly (iteration i at i*unit/rate).
func newConstantArrivalRate(rate float64, unit, dur time.Duration, pre, maxVUs int) *arrivalRate {
	return &arrivalRate{sched: newConstantSchedule(rate, unit, dur), pre: pre, maxVUs: maxVUs}
}

func (e *arrivalRate) planned() time.Duration { return e.sched.duration() }
func (e *arrivalRate) total() int64           { return 0 }

func (e *arrivalRate) start(s *scenarioRun) error {
	s.active.Store(math.MaxInt64)
	s.sched = e.sched
	pre := max(e.pre, 1)
	s.maxVUs = max(e.maxVUs, pre)
	return s.startOpen(pre)
}

// drive watches for the case that workers cannot see: every worker busy (a
// stalled target) while iterations fall due. It sleeps until the next
// unclaimed iteration is spawnLateness overdue and, if it is still
// unclaimed, adds a worker (below max_vus). That worker finds its iteration
// late and adds another, and so on, so the target keeps receiving requests
// at the schedule's rate during a stall, as an open model must. This is not
// polling for the schedule: iterations are still started by workers at the
// computed times; the driver only allocates workers.
func (e *arrivalRate) drive(s *scenarioRun) {
	var seg int
	for {
		i := s.next.Load()
		due, ok := e.sched.at(i, &seg)
		if !ok {
			break
		}
		if !s.sleepUntil(due + spawnLateness) {
			return
		}
		if s.next.Load() == i && int(s.nworkers.Load()) < s.maxVUs {
			s.spawn()
			if !s.sleepUntil(s.since() + spawnLateness) {
				return
			}
		}
	}
	s.sleepUntil(e.sched.duration())
}
