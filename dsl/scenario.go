package dsl

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
)

// Scenario defaults, as in k6. Each executor's own defaults are in its
// configuration (package executor).
const (
	defaultGracefulStop = 30 * time.Second
	// defaultLeakThreshold is 1 MiB per minute (heap.leak).
	defaultLeakThreshold = 1 << 20
)

// commonParams are the scenario attributes every executor takes.
var commonParams = []string{"start_time", "graceful_stop", "leak_threshold_bytes_per_min", "allow_omitted"}

// allParams returns every executor's parameters, each once, in the
// executors' documentation order: the attributes a scenario block may hold
// beyond the common ones.
func allParams() []executor.Param {
	var out []executor.Param
	seen := map[string]bool{}
	for _, k := range executor.Kinds() {
		for _, p := range k.Params {
			if !seen[p.Name] {
				seen[p.Name] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func scenarioSchema() *hcl.BodySchema {
	sch := &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "workload", Required: true}, {Name: "executor", Required: true}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "stage"}, {Type: "event"}, {Type: "assert"}},
	}
	for _, name := range commonParams {
		sch.Attributes = append(sch.Attributes, hcl.AttributeSchema{Name: name})
	}
	for _, p := range allParams() {
		if p.Type != executor.ParamStages {
			sch.Attributes = append(sch.Attributes, hcl.AttributeSchema{Name: p.Name})
		}
	}
	return sch
}

var stageSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "duration", Required: true}, {Name: "target", Required: true}, {Name: "name"}},
}

// scenario decodes a scenario block; a valid one joins the plan.
func (s *state) scenario(b *hcl.Block) {
	before := s.errCount()
	sc := &plan.Scenario{Name: b.Labels[0], GracefulStop: defaultGracefulStop, LeakThreshold: defaultLeakThreshold}
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
	kind, kindOK := s.executorKind(at["executor"])
	s.commonParams(sc, at)
	stages := blocksOf(content.Blocks, "stage")
	if kindOK {
		// Until the parameters are checked, the kind answers what
		// conditions need: open or closed, the executor's own metrics.
		sc.Config = kindConfig{kind}
		s.executorParams(sc, kind, b, at, stages, workloadOK)
	} else {
		s.uncheckedParams(at, stages)
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
			if as := s.assertion(sc, blk, kindOK && workloadOK); as != nil {
				sc.Asserts = append(sc.Asserts, as)
			}
		}
	}
	if _, provisional := sc.Config.(kindConfig); s.errCount() == before && workloadOK && kindOK && !provisional {
		s.plan.Scenarios = append(s.plan.Scenarios, sc)
	}
}

// blocksOf returns the blocks of one type.
func blocksOf(blocks hcl.Blocks, typ string) []*hcl.Block {
	var out []*hcl.Block
	for _, blk := range blocks {
		if blk.Type == typ {
			out = append(out, blk)
		}
	}
	return out
}

// executorKind resolves the executor attribute.
func (s *state) executorKind(a *hcl.Attribute) (executor.Kind, bool) {
	if a == nil {
		return executor.Kind{}, false
	}
	name, ok := s.str(a)
	if !ok {
		return executor.Kind{}, false
	}
	if k, found := executor.LookupKind(name); found {
		return k, true
	}
	var names []string
	for _, k := range executor.Kinds() {
		names = append(names, k.Name)
	}
	s.exprErrorf(a.Expr, "Unknown executor", "There is no executor %q.%s The executors are: %s.", name, didYouMean(name, names, true), quoteList(names))
	return executor.Kind{}, false
}

// commonParams decodes the attributes every executor takes.
func (s *state) commonParams(sc *plan.Scenario, at hcl.Attributes) {
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
}

// uncheckedParams decodes the parameters of a scenario whose executor is
// unknown, so that their values are still checked.
func (s *state) uncheckedParams(at hcl.Attributes, stages []*hcl.Block) {
	for _, p := range allParams() {
		if a := at[p.Name]; a != nil && p.Type != executor.ParamCondition {
			s.paramValue(p, a)
		}
	}
	for _, st := range stages {
		s.stage(st, false)
	}
}

// executorParams decodes the executor's parameters and has the executor
// check them; its problems become diagnostics on the attribute at fault.
func (s *state) executorParams(sc *plan.Scenario, kind executor.Kind, b *hcl.Block, at hcl.Attributes, stages []*hcl.Block, complete bool) {
	params := executor.Params{}
	for _, p := range allParams() {
		a := at[p.Name]
		if a == nil || p.Type == executor.ParamStages {
			continue
		}
		own, ok := kind.Param(p.Name)
		if !ok {
			s.errorf(a.NameRange.Ptr(), "Parameter not used by this executor",
				"The executor %q does not take %q. It takes: %s.", kind.Name, p.Name, takes(kind))
			continue
		}
		params[p.Name] = executor.Invalid
		if own.Type == executor.ParamCondition {
			if c, ok := s.condParam(sc, a, complete); ok {
				params[p.Name] = c
			}
		} else if v, ok := s.paramValue(own, a); ok {
			params[p.Name] = v
		}
	}
	s.stageParam(kind, params, stages)
	cfg, err := kind.Config(params)
	for _, pe := range executor.ParamErrors(err) {
		s.paramError(pe, b, at, stages)
	}
	if err == nil {
		sc.Config = cfg
	}
}

// takes lists what kind takes, for messages.
func takes(kind executor.Kind) string {
	var names []string
	for _, p := range kind.Params {
		names = append(names, p.Name)
	}
	return strings.Join(append(names, commonParams...), ", ")
}

// stageParam decodes the stage blocks into params, or reports them when the
// executor takes none.
func (s *state) stageParam(kind executor.Kind, params executor.Params, stages []*hcl.Block) {
	var sp *executor.Param
	for i := range kind.Params {
		if kind.Params[i].Type == executor.ParamStages {
			sp = &kind.Params[i]
		}
	}
	if sp == nil {
		var with []string
		for _, k := range executor.Kinds() {
			for _, p := range k.Params {
				if p.Type == executor.ParamStages {
					with = append(with, k.Name)
				}
			}
		}
		for _, st := range stages {
			s.errorf(st.DefRange.Ptr(), "Parameter not used by this executor",
				"The executor %q does not take stage blocks; only %s do. It takes: %s.", kind.Name, strings.Join(with, " and "), takes(kind))
		}
		return
	}
	if len(stages) == 0 {
		return
	}
	var list []plan.Stage
	ok := true
	named := map[string]int{}
	for i, st := range stages {
		stage, sok := s.stage(st, sp.WholeTargets)
		ok = ok && sok
		if stage.Name != "" {
			if prev, dup := named[stage.Name]; dup {
				rng := st.DefRange
				if c, _ := st.Body.Content(stageSchema); c != nil && c.Attributes["name"] != nil {
					rng = c.Attributes["name"].Expr.Range()
				}
				s.errorf(rng.Ptr(), "Duplicate stage name",
					"Stage %d is already named %q; each stage's name must be unique in its scenario, so that stage.%s reads one stage.", prev, stage.Name, stage.Name)
				ok = false
			}
			named[stage.Name] = i + 1
		}
		list = append(list, stage)
	}
	params[sp.Name] = executor.Invalid
	if ok {
		params[sp.Name] = list
	}
}

// paramError reports a problem the executor found with its parameters on
// the attribute at fault, the first stage block, or the scenario block.
func (s *state) paramError(pe *executor.ParamError, b *hcl.Block, at hcl.Attributes, stages []*hcl.Block) {
	if a := at[pe.Param]; a != nil {
		s.exprErrorf(a.Expr, pe.Summary, "%s", pe.Detail)
		return
	}
	rng := b.DefRange
	if pe.Param == "stage" && pe.Index > 0 && pe.Index <= len(stages) {
		rng = stages[pe.Index-1].DefRange
	}
	s.errorf(rng.Ptr(), pe.Summary, "%s", pe.Detail)
}

// paramValue decodes one parameter's value by its type.
func (s *state) paramValue(p executor.Param, a *hcl.Attribute) (any, bool) {
	switch p.Type {
	case executor.ParamInt:
		return s.integer(a)
	case executor.ParamNumber:
		return s.num(a)
	case executor.ParamDuration:
		return s.dur(a)
	case executor.ParamBool:
		return s.boolean(a)
	}
	return nil, false
}

// condParam compiles a condition parameter (stop_when). complete is false
// when the workload is unknown, so that metric names can be checked only in
// part. A condition may not read the executor's own results, which are the
// search's outcome.
func (s *state) condParam(sc *plan.Scenario, a *hcl.Attribute, complete bool) (executor.CondParam, bool) {
	if !s.rejectCross(a.Expr, a.Name) {
		return executor.CondParam{}, false
	}
	own := sc.ExecutorMetrics()
	for _, t := range a.Expr.Variables() {
		if name, ok := metricName(t); ok && contains(own, strings.TrimPrefix(name, plan.BaselinePrefix)) {
			s.errorf(t.SourceRange().Ptr(), "Invalid metric in stop_when",
				"stop_when is evaluated over each interval of the search, so it cannot read %s, which is the search's own result. Use it in an assert block.", name)
			return executor.CondParam{}, false
		}
	}
	cond := s.compileCondition(sc, a.Expr, complete)
	if cond == nil {
		return executor.CondParam{}, false
	}
	return executor.CondParam{Cond: cond, Expr: s.sourceText(a.Expr.Range())}, true
}

// kindConfig stands for a scenario's executor configuration while its
// parameters are being checked: it answers from the executor's kind.
type kindConfig struct{ k executor.Kind }

func (c kindConfig) Kind() string                       { return c.k.Name }
func (c kindConfig) Open() bool                         { return c.k.Open }
func (c kindConfig) Metrics() []string                  { return c.k.Metrics }
func (c kindConfig) Longest() time.Duration             { return 0 }
func (c kindConfig) Scaled(float64) plan.ExecutorConfig { return c }

func (s *state) stage(blk *hcl.Block, whole bool) (plan.Stage, bool) {
	var st plan.Stage
	content, diags := blk.Body.Content(stageSchema)
	s.diags = append(s.diags, diags...)
	ok := !diags.HasErrors()
	if content == nil {
		return st, false
	}
	content.Attributes = s.dropNull(content.Attributes, "duration", "target", "name")
	if a := content.Attributes["name"]; a != nil {
		name, nok := s.str(a)
		switch {
		case !nok:
			ok = false
		case !hclsyntax.ValidIdentifier(name):
			s.exprErrorf(a.Expr, "Invalid stage name", "A stage name must start with a letter and hold only letters, digits, underscores and dashes, so that stage.NAME can refer to it in assertions.")
			ok = false
		default:
			st.Name = name
		}
		delete(content.Attributes, "name")
	}
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

// metricOwner returns the executor whose results include metric name.
func metricOwner(name string) (executor.Kind, bool) {
	for _, k := range executor.Kinds() {
		if contains(k.Metrics, name) {
			return k, true
		}
	}
	return executor.Kind{}, false
}

// andList joins names as "a, b and c".
func andList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
