package executor

import (
	"time"

	"github.com/perfplan/perfplan/plan"
)

// RampingArrivalRateName is the ramping-arrival-rate executor's name.
const RampingArrivalRateName = "ramping-arrival-rate"

// RampingArrivalRate ramps the arrival rate linearly from StartRate through
// each stage's target (per TimeUnit) over the stage (k6
// ramping-arrival-rate). The intended start of each iteration is found by
// inverting the integral of the rate (see arrivalSchedule), so ramps are
// exact at any rate. As in k6, iteration i starts when the integral reaches
// i+1: the first one once a whole iteration has accumulated, not at t = 0.
type RampingArrivalRate struct {
	StartRate       float64
	TimeUnit        time.Duration
	Stages          []plan.Stage
	PreAllocatedVUs int
	MaxVUs          int

	seg plan.Segment
}

func rampingArrivalRateKind() Kind {
	return Kind{
		Name: RampingArrivalRateName,
		Doc:  "the arrival rate ramps linearly between stage targets",
		Open: true,
		Params: []Param{
			{Name: "start_rate", Type: ParamNumber, Doc: "the rate at the start, per time_unit (default 0)"},
			{Name: "time_unit", Type: ParamDuration, Doc: "the unit of the rates (default 1s)"},
			{Name: "pre_allocated_vus", Type: ParamInt, Required: true, Doc: "workers made up front"},
			{Name: "max_vus", Type: ParamInt, Doc: "the most workers (default pre_allocated_vus)"},
			{Name: "stage", Type: ParamStages, Required: true, Doc: "ramps to a rate per time_unit"},
		},
		Config: func(p Params) (Config, error) {
			c := newChecker(RampingArrivalRateName, p)
			c.require(rampingArrivalRateKind())
			cfg := &RampingArrivalRate{StartRate: startRate(c), TimeUnit: c.positiveDur("time_unit", defaultTimeUnit), Stages: c.stageList("stage")}
			cfg.PreAllocatedVUs, cfg.MaxVUs = c.openWorkers()
			return cfg, c.err()
		},
	}
}

// startRate returns start_rate, which must not be negative.
func startRate(c *checker) float64 {
	r := c.p.numOr("start_rate", 0)
	if c.p.Has("start_rate") && r < 0 {
		c.outOfRange("start_rate", "start_rate must not be negative.")
		return 0
	}
	return r
}

// Kind implements plan.ExecutorConfig.
func (c *RampingArrivalRate) Kind() string { return RampingArrivalRateName }

// Open implements plan.ExecutorConfig.
func (c *RampingArrivalRate) Open() bool { return true }

// Metrics implements plan.ExecutorConfig.
func (c *RampingArrivalRate) Metrics() []string { return nil }

// StagePlan returns the stages, for per-stage figures (plan.Staged).
func (c *RampingArrivalRate) StagePlan() []plan.Stage { return c.Stages }

// Longest implements plan.ExecutorConfig.
func (c *RampingArrivalRate) Longest() time.Duration { return stagesLength(c.Stages) }

// Scaled implements plan.ExecutorConfig.
func (c *RampingArrivalRate) Scaled(f float64) plan.ExecutorConfig {
	x := *c
	x.Stages = scaleStages(c.Stages, f)
	return &x
}

// Segment implements Config: the segment's stripe of the whole plan's
// arrivals, and its share of the workers.
func (c *RampingArrivalRate) Segment(seg plan.Segment) (plan.ExecutorConfig, error) {
	x := *c
	x.seg = seg
	x.PreAllocatedVUs, x.MaxVUs = openSegmentWorkers(seg, c.PreAllocatedVUs, c.MaxVUs)
	return &x, nil
}

func (c *RampingArrivalRate) run() executor {
	return &arrivalRate{sched: newArrivalRampSchedule(c.StartRate, c.TimeUnit, c.Stages).striped(c.seg), pre: c.PreAllocatedVUs, maxVUs: c.MaxVUs}
}
