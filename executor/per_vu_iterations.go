package executor

import (
	"math"
	"time"
)

// perVUIterations has each of vus workers run exactly iterations iterations
// (k6 per-vu-iterations), within max_duration.
type perVUIterations struct {
	vus        int
	iterations int64
	maxDur     time.Duration
}

func (e *perVUIterations) planned() time.Duration { return 0 }
func (e *perVUIterations) total() int64           { return int64(max(e.vus, 1)) * e.iterations }

func (e *perVUIterations) start(s *scenarioRun) error {
	s.active.Store(math.MaxInt64)
	return s.startClosed(max(e.vus, 1), max(e.iterations, 0))
}

func (e *perVUIterations) drive(s *scenarioRun) { waitIterations(s, e.maxDur) }

// waitIterations waits until every worker has finished its iterations, for
// at most maxDur, or until the scenario is stopped.
func waitIterations(s *scenarioRun, maxDur time.Duration) {
	done := s.waitWorkers()
	var tc <-chan time.Time
	if maxDur > 0 {
		t := time.NewTimer(maxDur)
		defer t.Stop()
		tc = t.C
	}
	select {
	case <-done:
	case <-tc:
	case <-s.stopCh:
	}
}
