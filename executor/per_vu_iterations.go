package executor

import (
	"math"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// PerVUIterationsName is the per-vu-iterations executor's name.
const PerVUIterationsName = "per-vu-iterations"

// PerVUIterations has each of VUs workers run exactly Iterations iterations
// (k6 per-vu-iterations), within MaxDuration.
type PerVUIterations struct {
	VUs         int
	Iterations  int64
	MaxDuration time.Duration

	seg plan.Segment
}

func perVUIterationsKind() Kind {
	return Kind{
		Name: PerVUIterationsName,
		Doc:  "each worker runs exactly iterations",
		Params: []Param{
			{Name: "vus", Type: ParamInt, Doc: "workers (default 1)"},
			{Name: "iterations", Type: ParamInt, Doc: "iterations per worker (default 1)"},
			{Name: "max_duration", Type: ParamDuration, Doc: "the longest the scenario may run (default 10m)"},
		},
		Config: func(p Params) (Config, error) {
			c := newChecker(PerVUIterationsName, p)
			vus, iters, maxDur := iterationParams(c)
			return &PerVUIterations{VUs: vus, Iterations: iters, MaxDuration: maxDur}, c.err()
		},
	}
}

// iterationParams checks vus, iterations and max_duration, shared by the
// iteration-bound executors.
func iterationParams(c *checker) (vus int, iterations int64, maxDur time.Duration) {
	vus = c.workers("vus", 1, 1)
	iterations = c.p.intOr("iterations", 1)
	if c.p.Has("iterations") && iterations < 1 {
		c.outOfRange("iterations", "iterations must be at least 1.")
		iterations = 1
	}
	maxDur = c.positiveDur("max_duration", defaultMaxDuration)
	return vus, iterations, maxDur
}

// Kind implements plan.ExecutorConfig.
func (c *PerVUIterations) Kind() string { return PerVUIterationsName }

// Open implements plan.ExecutorConfig.
func (c *PerVUIterations) Open() bool { return false }

// Metrics implements plan.ExecutorConfig.
func (c *PerVUIterations) Metrics() []string { return nil }

// Longest implements plan.ExecutorConfig.
func (c *PerVUIterations) Longest() time.Duration { return c.MaxDuration }

// Scaled implements plan.ExecutorConfig.
func (c *PerVUIterations) Scaled(f float64) plan.ExecutorConfig {
	x := *c
	x.MaxDuration = scale(c.MaxDuration, f)
	return &x
}

// Segment implements Config: the segment's share of the workers, each
// running every iteration.
func (c *PerVUIterations) Segment(seg plan.Segment) (plan.ExecutorConfig, error) {
	x := *c
	x.VUs, x.seg = segmentWorkers(seg, c.VUs), seg
	return &x, nil
}

func (c *PerVUIterations) run() executor {
	return &perVUIterations{vus: closedWorkers(c.VUs, c.seg), iterations: c.Iterations, maxDur: c.MaxDuration}
}

// perVUIterations is PerVUIterations running.
type perVUIterations struct {
	vus        int
	iterations int64
	maxDur     time.Duration
}

func (e *perVUIterations) planned() time.Duration { return 0 }
func (e *perVUIterations) total() int64           { return int64(e.vus) * e.iterations }

func (e *perVUIterations) start(s *scenarioRun) error {
	s.active.Store(math.MaxInt64)
	return s.startClosed(e.vus, max(e.iterations, 0))
}

func (e *perVUIterations) drive(s *scenarioRun) { waitIterations(s, e.maxDur) }

// unstarter is an iteration-bound executor that can say, once its workers
// are done, how many of its iterations never started: max_duration ended
// the scenario first. The run counts them in Dropped (k6's
// dropped_iterations) when the scenario ended by itself, not when a signal
// or an assertion stopped it.
type unstarter interface {
	unstarted(s *scenarioRun) int64
}

// unstarted is the sum of the workers' iterations not started.
func (e *perVUIterations) unstarted(s *scenarioRun) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, w := range s.workers {
		n += max(w.left.Load(), 0)
	}
	return n
}

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
