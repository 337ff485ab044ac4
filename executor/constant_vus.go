package executor

import (
	"math"
	"time"
)

// constantVUs runs a fixed number of workers for a duration (k6
// constant-vus), each looping as fast as the target allows.
type constantVUs struct {
	vus int
	dur time.Duration
}

func (e *constantVUs) planned() time.Duration { return e.dur }
func (e *constantVUs) total() int64           { return 0 }

func (e *constantVUs) start(s *scenarioRun) error {
	s.active.Store(math.MaxInt64)
	return s.startClosed(max(e.vus, 1), -1)
}

func (e *constantVUs) drive(s *scenarioRun) { s.sleepUntil(e.dur) }
