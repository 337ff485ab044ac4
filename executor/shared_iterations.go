package executor

import (
	"math"
	"time"
)

// sharedIterations runs exactly iterations iterations in total, shared
// between vus workers (k6 shared-iterations), within max_duration. Workers
// claim each iteration from an atomic counter, so the total is exact
// whatever the workers' speeds.
type sharedIterations struct {
	vus        int
	iterations int64
	maxDur     time.Duration
}

func (e *sharedIterations) planned() time.Duration { return 0 }
func (e *sharedIterations) total() int64           { return e.iterations }

func (e *sharedIterations) start(s *scenarioRun) error {
	s.active.Store(math.MaxInt64)
	if e.iterations <= 0 {
		return nil
	}
	s.sharedN = e.iterations
	return s.startClosed(max(e.vus, 1), -1)
}

func (e *sharedIterations) drive(s *scenarioRun) { waitIterations(s, e.maxDur) }
