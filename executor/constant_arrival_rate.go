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
	s.sched.Store(e.sched)
	pre := max(e.pre, 1)
	s.maxVUs = max(e.maxVUs, pre)
	return s.startOpen(pre)
}

// drive allocates workers (see driveOpen) until the schedule ends.
func (e *arrivalRate) drive(s *scenarioRun) { s.driveOpen() }
