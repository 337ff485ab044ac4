package dsl

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"

	"github.com/perfplan/perfplan/plan"
)

// paramKind is how an executor parameter is decoded.
type paramKind int

const (
	pInt paramKind = iota
	pNum
	pDur
	pBool
	// pCond is an expression compiled as a condition over the metrics
	// (stop_when); param leaves it to breakpointParams.
	pCond
)

// scenarioParams are the executor parameters, in documentation order.
var scenarioParams = []struct {
	name string
	kind paramKind
}{
	{"vus", pInt}, {"start_vus", pInt}, {"duration", pDur}, {"iterations", pInt}, {"max_duration", pDur},
	{"rate", pNum}, {"start_rate", pNum}, {"time_unit", pDur}, {"pre_allocated_vus", pInt}, {"max_vus", pInt},
	{"graceful_ramp_down", pDur},
	{"step_rate", pNum}, {"step_duration", pDur}, {"max_rate", pNum}, {"ramp", pBool}, {"stop_when", pCond},
	{"stop_grace", pDur}, {"interval", pDur}, {"recovery_rate", pNum}, {"recovery_timeout", pDur},
}

// executorSpec lists what an executor takes: parameters (with "stage" for
// stage blocks) and which of them are required.
type executorSpec struct {
	params   []string
	required []string
}

// executorSpecs follows k6's executors; common options (start_time,
// graceful_stop) are allowed everywhere.
var executorSpecs = map[string]executorSpec{
	plan.ConstantVUs:         {params: []string{"vus", "duration"}, required: []string{"duration"}},
	plan.RampingVUs:          {params: []string{"start_vus", "stage", "graceful_ramp_down"}, required: []string{"stage"}},
	plan.ConstantArrivalRate: {params: []string{"rate", "time_unit", "duration", "pre_allocated_vus", "max_vus"}, required: []string{"rate", "duration", "pre_allocated_vus"}},
	plan.RampingArrivalRate:  {params: []string{"start_rate", "time_unit", "pre_allocated_vus", "max_vus", "stage"}, required: []string{"pre_allocated_vus", "stage"}},
	plan.PerVUIterations:     {params: []string{"vus", "iterations", "max_duration"}},
	plan.SharedIterations:    {params: []string{"vus", "iterations", "max_duration"}},
	plan.Breakpoint: {
		params: []string{"start_rate", "step_rate", "step_duration", "max_rate", "ramp", "time_unit", "pre_allocated_vus", "max_vus",
			"stop_when", "stop_grace", "interval", "recovery_rate", "recovery_timeout"},
		required: []string{"step_rate", "step_duration", "max_rate", "stop_when", "pre_allocated_vus"},
	},
}

// Scenario defaults, as in k6.
const (
	defaultGracefulStop     = 30 * time.Second
	defaultGracefulRampDown = 30 * time.Second
	defaultMaxDuration      = 10 * time.Minute
	defaultTimeUnit         = time.Second
	// defaultLeakThreshold is 1 MiB per minute (heap.leak).
	defaultLeakThreshold = 1 << 20
	// Breakpoint defaults: the condition must hold (and, in recovery,
	// stay clear) for 2s, evaluated every second; recovery gets 30s.
	defaultStopGrace       = 2 * time.Second
	defaultBPInterval      = time.Second
	defaultRecoveryTimeout = 30 * time.Second
)

func scenarioSchema() *hcl.BodySchema {
	sch := &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "workload", Required: true}, {Name: "executor", Required: true},
			{Name: "start_time"}, {Name: "graceful_stop"}, {Name: "leak_threshold_bytes_per_min"}, {Name: "allow_omitted"},
		},
		Blocks: []hcl.BlockHeaderSchema{{Type: "stage"}, {Type: "event"}, {Type: "assert"}},
	}
	for _, p := range scenarioParams {
		sch.Attributes = append(sch.Attributes, hcl.AttributeSchema{Name: p.name})
	}
	return sch
}

var stageSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "duration", Required: true}, {Name: "target", Required: true}},
}

func (s *state) scenario(b *hcl.Block) {
	before := s.errCount()
	sc := &plan.Scenario{
		Name:             b.Labels[0],
		GracefulStop:     defaultGracefulStop,
		GracefulRampDown: defaultGracefulRampDown,
		TimeUnit:         defaultTimeUnit,
		MaxDuration:      defaultMaxDuration,
		LeakThreshold:    defaultLeakThreshold,
		VUs:              1,
		StartVUs:         1,
		Iterations:       1,
		Breakpoint: &plan.BreakpointSpec{
			StartRate: -1, RecoveryRate: -1, // -1: not set
			StopGrace: defaultStopGrace, Interval: defaultBPInterval, RecoveryTimeout: defaultRecoveryTimeout,
		},
	}
	body := dynblock.Expand(b.Body, s.ctx)
	content, diags := body.Content(scenarioSchema())
	s.diags = append(s.diags, diags...)
	if content == nil {
		return
	}
	at := s.dropNull(content.Attributes, "workload", "executor")
	workloadOK := false
	if a := at["workload"]; a != nil {
		var w *plan.Workload
		w, workloadOK = s.refWorkload(a.Expr)
		sc.Workload = w
		workloadOK = workloadOK && w != nil
	}
	var spec *executorSpec
	if a := at["executor"]; a != nil {
		if name, ok := s.str(a); ok {
			if es, found := executorSpecs[name]; found {
				sc.Executor, spec = name, &es
			} else {
				s.exprErrorf(a.Expr, "Unknown executor", "There is no executor %q.%s The executors are: %s.", name, didYouMean(name, plan.Executors, true), quoteList(plan.Executors))
			}
		}
	}
	if a := at["start_time"]; a != nil {
		if d, ok := s.dur(a); ok {
			sc.StartTime = d
		}
	}
	if a := at["graceful_stop"]; a != nil {
		if d, ok := s.dur(a); ok {
			sc.GracefulStop = d
		}
	}
	if a := at["allow_omitted"]; a != nil {
		if v, ok := s.boolean(a); ok {
			sc.AllowOmitted = v
		}
	}
	if a := at["leak_threshold_bytes_per_min"]; a != nil {
		if f, ok := s.num(a); ok {
			if f <= 0 || math.IsInf(f, 0) {
				s.exprErrorf(a.Expr, "Value out of range", "leak_threshold_bytes_per_min must be a positive number of bytes per minute.")
			} else {
				sc.LeakThreshold = f
			}
		}
	}

	var stages []*hcl.Block
	for _, blk := range content.Blocks {
		if blk.Type == "stage" {
			stages = append(stages, blk)
		}
	}
	if spec != nil {
		s.executorParams(sc, spec, b, at, stages, workloadOK)
	} else {
		// Unknown executor: still check each parameter's value.
		for _, p := range scenarioParams {
			if a := at[p.name]; a != nil {
				s.param(sc, p.name, p.kind, a)
			}
		}
		for _, st := range stages {
			s.stage(st, false)
		}
	}
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "event":
			if ev, ok := s.event(blk); ok {
				sc.Events = append(sc.Events, ev)
			}
		case "assert":
			// Without the executor or the workload, metric names can be
			// checked only in part.
			if as := s.assertion(sc, blk, spec != nil && workloadOK); as != nil {
				sc.Asserts = append(sc.Asserts, as)
			}
		}
	}
	if sc.Executor != plan.Breakpoint {
		sc.Breakpoint = nil
	}
	if s.errCount() == before && workloadOK && spec != nil {
		s.plan.Scenarios = append(s.plan.Scenarios, sc)
	}
}

// executorParams checks and decodes the executor's parameters.
func (s *state) executorParams(sc *plan.Scenario, spec *executorSpec, b *hcl.Block, at hcl.Attributes, stages []*hcl.Block, complete bool) {
	allowed := append(append([]string(nil), spec.params...), "start_time", "graceful_stop", "leak_threshold_bytes_per_min", "allow_omitted")
	takes := func() string { return strings.Join(allowed, ", ") }
	for _, p := range scenarioParams {
		a := at[p.name]
		if a == nil {
			continue
		}
		if !contains(spec.params, p.name) {
			s.errorf(a.NameRange.Ptr(), "Parameter not used by this executor",
				"The executor %q does not take %q. It takes: %s.", sc.Executor, p.name, takes())
			continue
		}
		s.param(sc, p.name, p.kind, a)
	}
	if len(stages) > 0 && !contains(spec.params, "stage") {
		for _, st := range stages {
			s.errorf(st.DefRange.Ptr(), "Parameter not used by this executor",
				"The executor %q does not take stage blocks; only ramping-vus and ramping-arrival-rate do. It takes: %s.", sc.Executor, takes())
		}
	}
	for _, req := range spec.required {
		if req == "stage" {
			if len(stages) == 0 {
				s.errorf(b.DefRange.Ptr(), "Missing executor parameter", "The executor %q requires at least one stage block.", sc.Executor)
			}
			continue
		}
		if at[req] == nil {
			s.errorf(b.DefRange.Ptr(), "Missing executor parameter", "The executor %q requires %q.", sc.Executor, req)
		}
	}
	if contains(spec.params, "stage") {
		var total time.Duration
		ok := true
		for _, st := range stages {
			stage, sok := s.stage(st, sc.Executor == plan.RampingVUs)
			ok = ok && sok
			sc.Stages = append(sc.Stages, stage)
			if sok && total+stage.Duration < total {
				s.errorf(st.DefRange.Ptr(), "Value out of range", "The stages of scenario %q up to this one last longer than %s in total.", sc.Name, maxDurationText)
				ok = false
				continue
			}
			total += stage.Duration
		}
		if ok && len(stages) > 0 && total <= 0 {
			s.errorf(b.DefRange.Ptr(), "Invalid stages", "The stages of scenario %q last zero time in total.", sc.Name)
		}
	}
	switch sc.Executor {
	case plan.ConstantArrivalRate, plan.RampingArrivalRate, plan.Breakpoint:
		if at["max_vus"] == nil {
			sc.MaxVUs = sc.PreAllocatedVUs
		} else if at["pre_allocated_vus"] != nil && sc.MaxVUs < sc.PreAllocatedVUs {
			s.exprErrorf(at["max_vus"].Expr, "Value out of range", "max_vus (%d) must be at least pre_allocated_vus (%d).", sc.MaxVUs, sc.PreAllocatedVUs)
		}
		if at["max_vus"] == nil && at["pre_allocated_vus"] != nil && sc.PreAllocatedVUs == 0 {
			s.exprErrorf(at["pre_allocated_vus"].Expr, "Value out of range", "With pre_allocated_vus = 0, set max_vus to at least 1 so that some worker can run.")
		}
	case plan.SharedIterations:
		if at["iterations"] != nil && at["vus"] != nil && sc.Iterations < int64(sc.VUs) {
			s.exprErrorf(at["iterations"].Expr, "Value out of range", "shared-iterations needs iterations (%d) >= vus (%d).", sc.Iterations, sc.VUs)
		}
	}
	if sc.Executor == plan.Breakpoint {
		s.breakpointParams(sc, at, complete)
	}
}

// param decodes one executor parameter into sc.
func (s *state) param(sc *plan.Scenario, name string, kind paramKind, a *hcl.Attribute) {
	var (
		i  int64
		f  float64
		d  time.Duration
		ok bool
	)
	switch kind {
	case pInt:
		i, ok = s.integer(a)
	case pNum:
		f, ok = s.num(a)
	case pDur:
		d, ok = s.dur(a)
	case pBool:
		var b bool
		if b, ok = s.boolean(a); ok && name == "ramp" {
			sc.Breakpoint.Ramp = b
		}
		return
	case pCond:
		return
	}
	if !ok {
		return
	}
	rangeErr := func(format string, args ...any) {
		s.exprErrorf(a.Expr, "Value out of range", format, args...)
	}
	const maxWorkers = 1 << 24
	switch name {
	case "vus":
		if i < 1 || i > maxWorkers {
			rangeErr("vus must be between 1 and %d.", maxWorkers)
			return
		}
		sc.VUs = int(i)
	case "start_vus":
		if i < 0 || i > maxWorkers {
			rangeErr("start_vus must be between 0 and %d.", maxWorkers)
			return
		}
		sc.StartVUs = int(i)
	case "pre_allocated_vus":
		if i < 0 || i > maxWorkers {
			rangeErr("pre_allocated_vus must be between 0 and %d.", maxWorkers)
			return
		}
		sc.PreAllocatedVUs = int(i)
	case "max_vus":
		if i < 1 || i > maxWorkers {
			rangeErr("max_vus must be between 1 and %d.", maxWorkers)
			return
		}
		sc.MaxVUs = int(i)
	case "iterations":
		if i < 1 {
			rangeErr("iterations must be at least 1.")
			return
		}
		sc.Iterations = i
	case "rate":
		if f <= 0 {
			rangeErr("rate must be greater than 0.")
			return
		}
		sc.Rate = f
	case "start_rate":
		if f < 0 {
			rangeErr("start_rate must not be negative.")
			return
		}
		sc.StartRate = f
	case "duration", "max_duration", "time_unit":
		if d <= 0 {
			rangeErr("%s must be longer than zero.", name)
			return
		}
		switch name {
		case "duration":
			sc.Duration = d
		case "max_duration":
			sc.MaxDuration = d
		default:
			sc.TimeUnit = d
		}
	case "graceful_ramp_down":
		sc.GracefulRampDown = d
	case "step_rate", "max_rate", "recovery_rate":
		if f <= 0 || math.IsInf(f, 0) {
			rangeErr("%s must be a number greater than 0.", name)
			return
		}
		switch name {
		case "step_rate":
			sc.Breakpoint.StepRate = f
		case "max_rate":
			sc.Breakpoint.MaxRate = f
		default:
			sc.Breakpoint.RecoveryRate = f
		}
	case "step_duration", "interval", "recovery_timeout":
		if d <= 0 {
			rangeErr("%s must be longer than zero.", name)
			return
		}
		switch name {
		case "step_duration":
			sc.Breakpoint.StepDuration = d
		case "interval":
			sc.Breakpoint.Interval = d
		default:
			sc.Breakpoint.RecoveryTimeout = d
		}
	case "stop_grace":
		if d < 0 {
			rangeErr("stop_grace must not be negative.")
			return
		}
		sc.Breakpoint.StopGrace = d
	}
}

// breakpointParams completes and cross-checks the breakpoint executor's
// parameters, and compiles stop_when. complete is false when the workload is
// unknown, so that metric names can be checked only in part.
func (s *state) breakpointParams(sc *plan.Scenario, at hcl.Attributes, complete bool) {
	bp := sc.Breakpoint
	bp.StartRate = sc.StartRate
	if at["start_rate"] == nil {
		bp.StartRate = bp.StepRate
	}
	if bp.RecoveryRate < 0 {
		bp.RecoveryRate = bp.StartRate
	}
	if a := at["max_rate"]; a != nil && bp.MaxRate > 0 && bp.MaxRate < bp.StartRate {
		s.exprErrorf(a.Expr, "Value out of range", "max_rate (%g) must be at least start_rate (%g).", bp.MaxRate, bp.StartRate)
	}
	if at["recovery_rate"] == nil && bp.RecoveryRate == 0 {
		if a := at["start_rate"]; a != nil {
			s.exprErrorf(a.Expr, "Value out of range", "With start_rate = 0, set recovery_rate: the recovery phase needs some load to see the condition clear.")
		}
	}
	if a := at["interval"]; a != nil && bp.StepDuration > 0 && bp.Interval > bp.StepDuration {
		s.exprErrorf(a.Expr, "Value out of range", "interval (%v) must not be longer than step_duration (%v): every step needs at least one evaluation.", bp.Interval, bp.StepDuration)
	}
	if a := at["step_duration"]; a != nil && at["interval"] == nil && bp.StepDuration > 0 && bp.StepDuration < bp.Interval {
		s.exprErrorf(a.Expr, "Value out of range", "step_duration (%v) is shorter than the evaluation interval (default %v); set interval to at most step_duration.", bp.StepDuration, bp.Interval)
	}
	a := at["stop_when"]
	if a == nil {
		return
	}
	for _, t := range a.Expr.Variables() {
		if name, ok := metricName(t); ok && plan.IsBreakpointMetric(strings.TrimPrefix(name, plan.BaselinePrefix)) {
			s.errorf(t.SourceRange().Ptr(), "Invalid metric in stop_when",
				"stop_when is evaluated over each interval of the search, so it cannot read %s, which is the search's own result. Use it in an assert block.", name)
			return
		}
	}
	cond := s.compileCondition(sc, a.Expr, complete)
	if cond == nil {
		return
	}
	bp.StopWhen = cond
	bp.StopWhenExpr = s.sourceText(a.Expr.Range())
}

func (s *state) stage(blk *hcl.Block, whole bool) (plan.Stage, bool) {
	var st plan.Stage
	content, diags := blk.Body.Content(stageSchema)
	s.diags = append(s.diags, diags...)
	ok := !diags.HasErrors()
	if content == nil {
		return st, false
	}
	content.Attributes = s.dropNull(content.Attributes, "duration", "target")
	if len(content.Attributes) != 2 {
		ok = false
	}
	if a := content.Attributes["duration"]; a != nil {
		d, dok := s.dur(a)
		st.Duration, ok = d, ok && dok
	}
	if a := content.Attributes["target"]; a != nil {
		f, fok := s.num(a)
		switch {
		case !fok:
			ok = false
		case f < 0:
			s.exprErrorf(a.Expr, "Value out of range", "A stage target must not be negative.")
			ok = false
		case whole && f != float64(int64(f)):
			s.exprErrorf(a.Expr, "Invalid whole number", "A ramping-vus stage target is a number of workers, so it must be a whole number.")
			ok = false
		default:
			st.Target = f
		}
	}
	return st, ok
}

var eventSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "at", Required: true}, {Name: "target", Required: true}, {Name: "action", Required: true}},
}

// event decodes an event block: at, target, action, and the action's own
// arguments checked against its schema.
func (s *state) event(blk *hcl.Block) (plan.Event, bool) {
	var ev plan.Event
	before := s.errCount()
	content, rest, diags := blk.Body.PartialContent(eventSchema)
	s.diags = append(s.diags, diags...)
	if content == nil {
		return ev, false
	}
	content.Attributes = s.dropNull(content.Attributes, "at", "target", "action")
	if a := content.Attributes["at"]; a != nil {
		ev.At, _ = s.dur(a)
	}
	if a := content.Attributes["target"]; a != nil {
		ev.Target, _ = s.refTarget(a.Expr)
	}
	if a := content.Attributes["action"]; a != nil {
		if name, ok := s.str(a); ok {
			ev.Action = name
			if ev.Target != nil {
				kind := ev.Target.Spec
				if spec := kind.Action(name); spec != nil {
					cfg, node, cok := s.decodeConfig(rest, blk.DefRange, spec.Schema)
					_ = node
					if cok {
						ev.Config = cfg
					}
				} else if len(kind.Actions) == 0 {
					s.exprErrorf(a.Expr, "Unknown action", "Target kind %q accepts no run-time actions.", kind.Name)
				} else {
					names := make([]string, len(kind.Actions))
					for i, ac := range kind.Actions {
						names[i] = ac.Name
					}
					s.exprErrorf(a.Expr, "Unknown action", "Target kind %q has no action %q.%s Its actions are: %s.", kind.Name, name, didYouMean(name, names, true), quoteList(names))
				}
			}
		}
	}
	return ev, s.errCount() == before && ev.Target != nil
}

// assertPos formats a range start as FILE:LINE:COL.
func assertPos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}
