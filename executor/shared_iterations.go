package executor

import (
	"math"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// SharedIterationsName is the shared-iterations executor's name.
const SharedIterationsName = "shared-iterations"

// SharedIterations runs exactly Iterations iterations in total, shared
// between VUs workers (k6 shared-iterations), within MaxDuration. Workers
// claim each iteration from an atomic counter, so the total is exact
// whatever the workers' speeds.
type SharedIterations struct {
	VUs         int
	Iterations  int64
	MaxDuration time.Duration

	seg plan.Segment
}

func sharedIterationsKind() Kind {
	return Kind{
		Name: SharedIterationsName,
		Doc:  "the workers share exactly iterations in total",
		Params: []Param{
			{Name: "vus", Type: ParamInt, Doc: "workers (default 1)"},
			{Name: "iterations", Type: ParamInt, Doc: "iterations in total (default 1)"},
			{Name: "max_duration", Type: ParamDuration, Doc: "the longest the scenario may run (default 10m)"},
		},
		Config: func(p Params) (Config, error) {
			c := newChecker(SharedIterationsName, p)
			vus, iters, maxDur := iterationParams(c)
			if p.Has("iterations") && p.Has("vus") && iters < int64(vus) {
				c.outOfRange("iterations", "shared-iterations needs iterations (%d) >= vus (%d).", iters, vus)
			}
			return &SharedIterations{VUs: vus, Iterations: iters, MaxDuration: maxDur}, c.err()
		},
	}
}

// Kind implements plan.ExecutorConfig.
func (c *SharedIterations) Kind() string { return SharedIterationsName }

// Open implements plan.ExecutorConfig.
func (c *SharedIterations) Open() bool { return false }

// Metrics implements plan.ExecutorConfig.
func (c *SharedIterations) Metrics() []string { return nil }

// Longest implements plan.ExecutorConfig.
func (c *SharedIterations) Longest() time.Duration { return c.MaxDuration }

// Scaled implements plan.ExecutorConfig.
func (c *SharedIterations) Scaled(f float64) plan.ExecutorConfig {
	x := *c
	x.MaxDuration = scale(c.MaxDuration, f)
	return &x
}

// Segment implements Config: the segment's share of the iterations and of
// the workers, with one worker at least when it has iterations.
func (c *SharedIterations) Segment(seg plan.Segment) (plan.ExecutorConfig, error) {
	x := *c
	x.Iterations, x.VUs, x.seg = seg.Share(c.Iterations), segmentWorkers(seg, c.VUs), seg
	if x.Iterations > 0 {
		x.VUs = max(x.VUs, 1)
	}
	return &x, nil
}

func (c *SharedIterations) run() executor {
	return &sharedIterations{vus: closedWorkers(c.VUs, c.seg), iterations: c.Iterations, maxDur: c.MaxDuration}
}

// sharedIterations is SharedIterations running.
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
	return s.startClosed(e.vus, -1)
}

func (e *sharedIterations) drive(s *scenarioRun) { waitIterations(s, e.maxDur) }

// unstarted is the iterations no worker claimed. A worker's claim beyond
// the total starts nothing, so the claims that started an iteration are
// at most the total.
func (e *sharedIterations) unstarted(s *scenarioRun) int64 {
	return s.sharedN - min(s.claimed.Load(), s.sharedN)
}
