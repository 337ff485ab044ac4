package executor

import (
	"time"

	"github.com/perfplan/perfplan/plan"
)

// RampingVUsName is the ramping-vus executor's name.
const RampingVUsName = "ramping-vus"

// RampingVUs ramps the number of active workers linearly from StartVUs
// through each stage's target (a number of workers) over the stage (k6
// ramping-vus). Workers removed by a ramp finish their iteration within
// GracefulRampDown.
type RampingVUs struct {
	StartVUs         int
	Stages           []plan.Stage
	GracefulRampDown time.Duration

	seg plan.Segment
}

func rampingVUsKind() Kind {
	return Kind{
		Name: RampingVUsName,
		Doc:  "the worker count ramps linearly between stage targets",
		Params: []Param{
			{Name: "start_vus", Type: ParamInt, Doc: "workers at the start (default 1)"},
			{Name: "stage", Type: ParamStages, Required: true, WholeTargets: true, Doc: "ramps to a number of workers"},
			{Name: "graceful_ramp_down", Type: ParamDuration, Doc: "how long removed workers may finish their iteration (default 30s)"},
		},
		Config: func(p Params) (Config, error) {
			c := newChecker(RampingVUsName, p)
			c.require(rampingVUsKind())
			cfg := &RampingVUs{
				StartVUs:         c.workers("start_vus", 0, 1),
				Stages:           c.stageList("stage"),
				GracefulRampDown: c.nonNegativeDur("graceful_ramp_down", defaultGracefulRampDown),
			}
			return cfg, c.err()
		},
	}
}

// Kind implements plan.ExecutorConfig.
func (c *RampingVUs) Kind() string { return RampingVUsName }

// Open implements plan.ExecutorConfig.
func (c *RampingVUs) Open() bool { return false }

// Metrics implements plan.ExecutorConfig.
func (c *RampingVUs) Metrics() []string { return nil }

// StagePlan returns the stages, for per-stage figures (plan.Staged).
func (c *RampingVUs) StagePlan() []plan.Stage { return c.Stages }

// Longest implements plan.ExecutorConfig.
func (c *RampingVUs) Longest() time.Duration { return stagesLength(c.Stages) + c.GracefulRampDown }

// Scaled implements plan.ExecutorConfig.
func (c *RampingVUs) Scaled(f float64) plan.ExecutorConfig {
	x := *c
	x.Stages = scaleStages(c.Stages, f)
	x.GracefulRampDown = scale(c.GracefulRampDown, f)
	return &x
}

// Segment implements Config: at every moment, the segment's share of the
// whole plan's active workers (see segmentSteps).
func (c *RampingVUs) Segment(seg plan.Segment) (plan.ExecutorConfig, error) {
	x := *c
	x.seg = seg
	return &x, nil
}

func (c *RampingVUs) run() executor {
	return newRampingVUs(c.StartVUs, c.Stages, c.GracefulRampDown, c.seg)
}

// rampingVUs is RampingVUs running: it changes the number of active workers
// linearly between stage targets. Every worker that a stage may need is created up
// front; those above the active count park. The count follows the linear
// target truncated toward the stage's starting value: ramping from a to b
// over D, it becomes a±k at D·k/|b−a| into the stage. The change times are
// precomputed, so the driver just sleeps between them.
//
// When the count drops, the workers above it finish their current iteration
// and park; one still busy after graceful_ramp_down is cut (its context is
// cancelled and the iteration counted in Cut).
type rampingVUs struct {
	steps    []vuStep
	maxVUs   int
	startVUs int
	end      time.Duration
	rampDown time.Duration
	// whole is unset in a segment, whose share of the workers may be none.
	whole bool
}

// vuStep is a change of the active worker count at an offset.
type vuStep struct {
	at  time.Duration
	vus int
}

func newRampingVUs(startVUs int, stages []plan.Stage, rampDown time.Duration, seg plan.Segment) *rampingVUs {
	e := &rampingVUs{startVUs: max(startVUs, 0), maxVUs: max(startVUs, 0), rampDown: rampDown, whole: seg.Whole()}
	e.steps = segmentSteps(rampSteps(e.startVUs, stages), e.startVUs, seg)
	var t time.Duration
	for _, st := range stages {
		t += st.Duration
		e.maxVUs = max(e.maxVUs, int(st.Target))
	}
	e.end = t
	e.startVUs, e.maxVUs = segmentWorkers(seg, e.startVUs), segmentWorkers(seg, e.maxVUs)
	return e
}

// rampSteps precomputes the times at which the VU count changes.
func rampSteps(start int, stages []plan.Stage) []vuStep {
	var steps []vuStep
	cur := start
	var t time.Duration
	for _, st := range stages {
		to := max(int(st.Target), 0)
		d := st.Duration
		if d <= 0 {
			if to != cur {
				steps = append(steps, vuStep{at: t, vus: to})
			}
			cur = to
			continue
		}
		n := to - cur
		sign := 1
		if n < 0 {
			n, sign = -n, -1
		}
		for k := 1; k <= n; k++ {
			at := t + time.Duration(float64(d)*float64(k)/float64(n))
			steps = append(steps, vuStep{at: at, vus: cur + sign*k})
		}
		cur = to
		t += d
	}
	return steps
}

func (e *rampingVUs) planned() time.Duration { return e.end }
func (e *rampingVUs) total() int64           { return 0 }

func (e *rampingVUs) start(s *scenarioRun) error {
	s.active.Store(int64(e.startVUs))
	if !e.whole {
		return s.startClosed(e.maxVUs, -1)
	}
	return s.startClosed(max(e.maxVUs, 1), -1)
}

func (e *rampingVUs) drive(s *scenarioRun) {
	cur := e.startVUs
	for _, st := range e.steps {
		if !s.sleepUntil(st.at) {
			return
		}
		if st.vus == cur {
			continue
		}
		prev := cur
		cur = st.vus
		s.active.Store(int64(cur))
		if cur < prev {
			// The workers' state is taken before they are told and
			// the cuts are armed after: a cut (at once with
			// graceful_ramp_down = 0) never reaches a worker before
			// the control word says why, and a worker that parks in
			// between is not cut.
			arm := e.scheduleCuts(s, cur, prev)
			s.broadcast()
			arm()
			continue
		}
		s.broadcast()
	}
	s.sleepUntil(e.end)
}

// scheduleCuts notes the state of workers [from, to) now and returns the
// function that arms their cut: after graceful_ramp_down, the iterations of
// those still running the iteration they had at the ramp-down are cut. A
// worker cut stops without recording a failure (see worker.settle).
func (e *rampingVUs) scheduleCuts(s *scenarioRun, from, to int) (arm func()) {
	s.mu.Lock()
	var ws []*worker
	for _, w := range s.workers {
		if w.id >= from && w.id < to {
			ws = append(ws, w)
		}
	}
	s.mu.Unlock()
	snap := make([]int64, len(ws))
	for i, w := range ws {
		snap[i] = w.parks.Load()
	}
	return func() {
		time.AfterFunc(e.rampDown, func() {
			for i, w := range ws {
				if w.parks.Load() == snap[i] && !w.parked.Load() && int64(w.id) >= s.active.Load() &&
					w.state.Load() == wsRunning {
					w.cut()
				}
			}
		})
	}
}
