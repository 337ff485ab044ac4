package executor

import (
	"math"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// ConstantArrivalRateName is the constant-arrival-rate executor's name.
const ConstantArrivalRateName = "constant-arrival-rate"

// ConstantArrivalRate starts Rate iterations per TimeUnit for Duration,
// whatever the target's latency (k6 constant-arrival-rate), with workers
// from PreAllocatedVUs up to MaxVUs.
type ConstantArrivalRate struct {
	Rate            float64
	TimeUnit        time.Duration
	Duration        time.Duration
	PreAllocatedVUs int
	MaxVUs          int

	seg plan.Segment
}

func constantArrivalRateKind() Kind {
	return Kind{
		Name: ConstantArrivalRateName,
		Doc:  "starts rate iterations per time_unit, whatever the target's latency",
		Open: true,
		Params: []Param{
			{Name: "rate", Type: ParamNumber, Required: true, Doc: "iterations per time_unit"},
			{Name: "time_unit", Type: ParamDuration, Doc: "the unit of rate (default 1s)"},
			{Name: "duration", Type: ParamDuration, Required: true, Doc: "how long"},
			{Name: "pre_allocated_vus", Type: ParamInt, Required: true, Doc: "workers made up front"},
			{Name: "max_vus", Type: ParamInt, Doc: "the most workers (default pre_allocated_vus)"},
		},
		Config: func(p Params) (Config, error) {
			c := newChecker(ConstantArrivalRateName, p)
			c.require(constantArrivalRateKind())
			rate := p.numOr("rate", 0)
			if p.Has("rate") && rate <= 0 {
				c.outOfRange("rate", "rate must be greater than 0.")
			}
			cfg := &ConstantArrivalRate{Rate: rate, TimeUnit: c.positiveDur("time_unit", defaultTimeUnit), Duration: c.positiveDur("duration", 0)}
			cfg.PreAllocatedVUs, cfg.MaxVUs = c.openWorkers()
			return cfg, c.err()
		},
	}
}

// Kind implements plan.ExecutorConfig.
func (c *ConstantArrivalRate) Kind() string { return ConstantArrivalRateName }

// Open implements plan.ExecutorConfig.
func (c *ConstantArrivalRate) Open() bool { return true }

// Metrics implements plan.ExecutorConfig.
func (c *ConstantArrivalRate) Metrics() []string { return nil }

// Longest implements plan.ExecutorConfig.
func (c *ConstantArrivalRate) Longest() time.Duration { return c.Duration }

// Scaled implements plan.ExecutorConfig.
func (c *ConstantArrivalRate) Scaled(f float64) plan.ExecutorConfig {
	x := *c
	x.Duration = scale(c.Duration, f)
	return &x
}

// Segment implements Config: the segment's stripe of the whole plan's
// arrivals, and its share of the workers.
func (c *ConstantArrivalRate) Segment(seg plan.Segment) (plan.ExecutorConfig, error) {
	x := *c
	x.seg = seg
	x.PreAllocatedVUs, x.MaxVUs = openSegmentWorkers(seg, c.PreAllocatedVUs, c.MaxVUs)
	return &x, nil
}

func (c *ConstantArrivalRate) run() executor {
	return &arrivalRate{sched: newConstantSchedule(c.Rate, c.TimeUnit, c.Duration).striped(c.seg), pre: c.PreAllocatedVUs, maxVUs: c.MaxVUs}
}

// arrivalRate is the open model shared by constant-arrival-rate and
// ramping-arrival-rate, running: iterations start on the schedule whatever
// the target's latency, with workers added from pre_allocated_vus up to
// max_vus when all are busy, and iterations dropped beyond that (see
// runOpen).
type arrivalRate struct {
	sched  *arrivalSchedule
	pre    int
	maxVUs int
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
