package executor

import (
	"math"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// ConstantVUsName is the constant-vus executor's name.
const ConstantVUsName = "constant-vus"

// ConstantVUs runs a fixed number of workers for a duration (k6
// constant-vus), each looping as fast as the target allows.
type ConstantVUs struct {
	VUs      int
	Duration time.Duration

	seg plan.Segment
}

func constantVUsKind() Kind {
	return Kind{
		Name: ConstantVUsName,
		Doc:  "vus workers loop for duration",
		Params: []Param{
			{Name: "vus", Type: ParamInt, Doc: "workers (default 1)"},
			{Name: "duration", Type: ParamDuration, Required: true, Doc: "how long they loop"},
		},
		Config: func(p Params) (Config, error) {
			c := newChecker(ConstantVUsName, p)
			c.require(constantVUsKind())
			cfg := &ConstantVUs{VUs: c.workers("vus", 1, 1), Duration: c.positiveDur("duration", 0)}
			return cfg, c.err()
		},
	}
}

// Kind implements plan.ExecutorConfig.
func (c *ConstantVUs) Kind() string { return ConstantVUsName }

// Open implements plan.ExecutorConfig.
func (c *ConstantVUs) Open() bool { return false }

// Metrics implements plan.ExecutorConfig.
func (c *ConstantVUs) Metrics() []string { return nil }

// Longest implements plan.ExecutorConfig.
func (c *ConstantVUs) Longest() time.Duration { return c.Duration }

// Scaled implements plan.ExecutorConfig.
func (c *ConstantVUs) Scaled(f float64) plan.ExecutorConfig {
	x := *c
	x.Duration = scale(c.Duration, f)
	return &x
}

// Segment implements Config: the segment's share of the workers.
func (c *ConstantVUs) Segment(seg plan.Segment) (plan.ExecutorConfig, error) {
	x := *c
	x.VUs, x.seg = segmentWorkers(seg, c.VUs), seg
	return &x, nil
}

func (c *ConstantVUs) run() executor {
	return &constantVUs{vus: closedWorkers(c.VUs, c.seg), dur: c.Duration}
}

// constantVUs is ConstantVUs running.
type constantVUs struct {
	vus int
	dur time.Duration
}

func (e *constantVUs) planned() time.Duration { return e.dur }
func (e *constantVUs) total() int64           { return 0 }

func (e *constantVUs) start(s *scenarioRun) error {
	s.active.Store(math.MaxInt64)
	return s.startClosed(e.vus, -1)
}

func (e *constantVUs) drive(s *scenarioRun) { s.sleepUntil(e.dur) }
